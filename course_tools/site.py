"""A static HTML site of the course, built offline: ``python -m course_tools site OUT/ [--fast]``.

Each chapter runs top to bottom in a fresh Jupyter kernel (nbclient), in a temporary folder (so that
nothing is written into ``chapters/``), in full mode or, with ``--fast``, in fast mode
(``COURSE_FAST=1``). nbconvert's HTML exporter (its JupyterLab template, CSS embedded, images inlined)
writes one page per chapter with every output, and ``index.html`` shows the chapter map (from the
chapter manifest, ``chapters/chapters.toml``).
GLOSSARY.md and RESULTS.md become pages too, so that the links to them work.

The pages fetch nothing from the network when they are viewed: nbconvert's require.js and mermaid
scripts (from a CDN by default) are left out, since the chapters need neither, and MathJax comes from a
local copy (the ``jupyter-server-mathjax`` package, MathJax 2.7, copied into ``OUT/_mathjax/``). Without
that package the pages load MathJax from nbconvert's CDN address, and the index says that math then
needs a network. Interactive widgets need a running kernel: the site shows a note in their place.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from course_tools import REPO_ROOT, manifest

ROOT = REPO_ROOT
CHAPTERS = ROOT / "chapters"
EXTRA_PAGES = {"GLOSSARY.md": "glossary.html", "RESULTS.md": "results.html"}
MATHJAX_FOLDER = "_mathjax"
MATHJAX_CONFIG = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<p class="course-widget-note"><em>An interactive widget is here when the notebook runs in '
               "JupyterLab (it needs a running kernel; a static page cannot move its sliders).</em></p>")

# nbconvert's JupyterLab page without the scripts a chapter does not need (both come from a CDN).
PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style type="text/css">
nav.course-nav { font-family: var(--jp-ui-font-family, sans-serif); padding: 0.6em 1em; margin-bottom: 1em;
                 border-bottom: 1px solid #ccc; display: flex; gap: 1.5em; }
.course-widget-note { color: #555; }
</style>{%- endblock extra_css -%}
{%- block body_header -%}{{ super() }}
<nav class="course-nav">{{ resources.course_nav }}</nav>
{%- endblock body_header -%}
{% block body_footer %}<nav class="course-nav">{{ resources.course_nav }}</nav>
{{ super() }}{% endblock body_footer %}
"""

SHELL = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
{mathjax}
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif;
       max-width: 68em; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.35em 0.6em; vertical-align: top; text-align: left; }}
th {{ background: #f4f4f4; }}
code {{ background: #f4f4f4; padding: 0 0.2em; }}
.note {{ background: #f7f7e8; border-left: 4px solid #cc9; padding: 0.5em 1em; }}
.failed {{ color: #b00; font-weight: bold; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


class SiteError(RuntimeError):
    """A chapter could not be found."""


def select_chapters(wanted: list[str] | None, folder: Path = CHAPTERS) -> list[Path]:
    """The chapter notebooks named by ``wanted`` (stems or prefixes such as "00" or "08a"), or all."""
    notebooks = sorted(folder.glob("*.ipynb"))
    if not wanted:
        return notebooks
    chosen = []
    for prefix in wanted:
        prefix = Path(prefix).stem if prefix.endswith(".ipynb") else prefix
        matches = [path for path in notebooks if path.stem.startswith(prefix)]
        if not matches:
            raise SiteError(f"no chapter matches {prefix!r} in {folder}")
        chosen += [path for path in matches if path not in chosen]
    return sorted(chosen)


def chapter_title(notebook: dict, fallback: str) -> str:
    """The first heading of the first markdown cell ("00 · Start here — ..."), else ``fallback``."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for line in _text(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
            break
    return fallback


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def kernel_environment(fast: bool) -> dict[str, str]:
    """The kernel's environment: the chosen mode, TensorFlow's C++ chatter off, inline plots."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)          # a kernel draws inline figures; Agg (set for tests) would draw none
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if fast:
        env["COURSE_FAST"] = "1"
    else:
        env.pop("COURSE_FAST", None)
    return env


def execute(path: Path, workdir: Path, fast: bool, timeout: int = 1800):
    """Run one notebook in a fresh kernel inside ``workdir``; return (notebook, error message or None)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    workdir.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute(env=kernel_environment(fast))
    except CellExecutionError as error:
        return notebook, f"a cell raised {error.ename}: {error.evalue}"
    except (CellTimeoutError, DeadKernelError) as error:
        return notebook, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return notebook, None


def _rewrite_links(text: str, built: set[str]) -> str:
    """Links between chapters and to GLOSSARY.md/RESULTS.md point at the site's pages."""
    def chapter(match):
        stem = match.group(2)
        return f"]({stem}.html{match.group(3) or ''})" if stem in built else match.group(0)

    text = re.sub(r"\]\((\.\./chapters/|chapters/|\./)?([\w.-]+)\.ipynb(#[^)]*)?\)", chapter, text)
    for name, page in EXTRA_PAGES.items():
        pattern = rf"\]\((\.\./)?{re.escape(name)}(#[^)]*)?\)"
        text = re.sub(pattern, lambda match, page=page: f"]({page}{match.group(2) or ''})", text)
    return text


def prepare_for_page(notebook, built: set[str]):
    """Rewrite links in markdown and put a note where a widget would be (in place)."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = _rewrite_links(cell.source, built)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME in data:
                output["data"] = {"text/html": WIDGET_NOTE}
    return notebook


def mathjax_source() -> Path | None:
    """The folder holding MathJax.js from the jupyter-server-mathjax package, if it is installed."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    folder = Path(jupyter_server_mathjax.__file__).parent / "static"
    return folder if (folder / "MathJax.js").exists() else None


def _exporter(mathjax_url: str | None):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    loader = DictLoader({"course_page.html.j2": PAGE_TEMPLATE})
    exporter = HTMLExporter(template_name="lab", extra_loaders=[loader])
    exporter.template_file = "course_page.html.j2"
    if mathjax_url:
        exporter.mathjax_url = mathjax_url
    return exporter


def _nav(index: int, pages: list[tuple[str, str]]) -> str:
    parts = ['<a href="index.html">course index</a>']
    if index > 0:
        parts.append(f'<a href="{pages[index - 1][0]}">← {html.escape(pages[index - 1][1])}</a>')
    if index + 1 < len(pages):
        parts.append(f'<a href="{pages[index + 1][0]}">{html.escape(pages[index + 1][1])} →</a>')
    return " ".join(parts)


def _markdown_page(markdown: str, title: str, mathjax_script: str, built: set[str]) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    body = markdown2html_mistune(_rewrite_links(markdown, built))
    body = f'<p><a href="index.html">course index</a></p>\n{body}'
    return SHELL.format(title=html.escape(title), mathjax=mathjax_script, body=body)


def _mathjax_script(url: str) -> str:
    return (f'<script src="{html.escape(url)}"></script>\n<script type="text/x-mathjax-config">\n'
            "MathJax.Hub.Config({tex2jax: {inlineMath: [['$','$'], ['\\\\(','\\\\)']], processEscapes: true},"
            " messageStyle: 'none'});\n</script>")


def index_page(chapters, results, fast, math_offline, mathjax_script, built_at) -> str:
    """The index: the chapter map (from the chapter manifest), each chapter linked to its page, and how the
    site was built."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    built = {stem for stem, result in results.items()}
    lines = ["| chapter | article section | what you build | full mode | fast mode | this build |",
             "|---|---|---|---|---|---|"]
    for chapter in chapters:
        result = results.get(chapter.stem)
        if result is None:
            name, status = chapter.label, "not in this build"
        else:
            name = f"[{chapter.label}]({chapter.stem}.html)"
            status = f"ran in {result['seconds']:.0f} s" if result["error"] is None else "**failed**"
        lines.append(f"| {name} | {chapter.sections} | {chapter.summary} | "
                     f"{manifest.duration(chapter.measured.get('full'))} | "
                     f"{manifest.duration(chapter.measured.get('fast'))} | {status} |")
    table = markdown2html_mistune(_rewrite_links("\n".join(lines) + "\n", built))
    mode = "fast mode (COURSE_FAST=1: small subsets, few epochs)" if fast else "full mode"
    math = ("Formulas are drawn by a copy of MathJax in <code>_mathjax/</code>: the site works without a "
            "network." if math_offline else
            "<strong>Formulas need a network</strong>: MathJax is loaded from a CDN because the "
            "<code>jupyter-server-mathjax</code> package is not installed (<code>pip install "
            "jupyter-server-mathjax</code> and build again for an offline site). Everything else works "
            "offline.")
    failures = [f'<li class="failed">{html.escape(stem)}: {html.escape(result["error"])}</li>'
                for stem, result in results.items() if result["error"]]
    body = [
        "<h1>Deep learning on large image datasets — 大规模图像数据集上的深度学习</h1>",
        f"<p>Every chapter below was run top to bottom in a fresh kernel, in {mode}, on Keras's "
        f"{html.escape(_backend())} backend, on {html.escape(built_at)}; each page shows the outputs of that "
        "run. "
        "Start with chapter 00. To run the chapters yourself, open them in JupyterLab (see the README).</p>",
        f'<p class="note">{math} Interactive widgets (sliders) need a running kernel: their pages show a '
        "note in their place.</p>",
        "<h2>Chapter map</h2>", table,
        f'<p>Other pages: <a href="{EXTRA_PAGES["GLOSSARY.md"]}">glossary 术语表</a>, '
        f'<a href="{EXTRA_PAGES["RESULTS.md"]}">results over seeds (RESULTS.md)</a>.</p>',
    ]
    if failures:
        body += ["<h2>Chapters that failed</h2>", "<ul>", *failures, "</ul>"]
    return SHELL.format(title="Deep learning on large image datasets — the course",
                        mathjax=mathjax_script, body="\n".join(body))


def _backend() -> str:
    """Keras's backend the kernels use (KERAS_BACKEND, else Keras's configured or default one)."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    import json

    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        return json.loads(config.read_text())["backend"]
    except (OSError, ValueError, KeyError):
        return "tensorflow"


def build_site(out: str | Path, chapters: list[str] | None = None, fast: bool = False, timeout: int = 1800,
               source: str | Path = CHAPTERS, log=print) -> dict[str, dict]:
    """Run the chosen chapters and write the site into ``out``; return {stem: {title, seconds, error}}.

    ``source`` is the folder the notebooks are read from (never written to): ``chapters/`` by default.
    """
    out = Path(out)
    records = manifest.load()
    paths = select_chapters(chapters, Path(source))
    out.mkdir(parents=True, exist_ok=True)
    mathjax = mathjax_source()
    if mathjax is not None:
        shutil.copytree(mathjax, out / MATHJAX_FOLDER, dirs_exist_ok=True)
        mathjax_url = f"{MATHJAX_FOLDER}/{MATHJAX_CONFIG}"
    else:
        mathjax_url = None
    exporter = _exporter(mathjax_url)
    script = _mathjax_script(mathjax_url or exporter.mathjax_url)
    built = {path.stem for path in paths}
    results, executed = {}, []
    with tempfile.TemporaryDirectory(prefix="course_site_") as scratch:
        for path in paths:
            log(f"running {path.name} ({'fast' if fast else 'full'} mode) ...")
            start = time.perf_counter()
            notebook, error = execute(path, Path(scratch) / path.stem, fast, timeout)
            seconds = time.perf_counter() - start
            title = chapter_title(notebook, path.stem)
            results[path.stem] = {"title": title, "seconds": seconds, "error": error}
            executed.append((path, prepare_for_page(notebook, built)))
            log(f"  {'FAILED: ' + error if error else 'done'} in {seconds:.0f} s")
    pages = [(f"{path.stem}.html", results[path.stem]["title"]) for path, _ in executed]
    for index, (path, notebook) in enumerate(executed):
        body, _ = exporter.from_notebook_node(notebook, resources={
            "metadata": {"name": results[path.stem]["title"]}, "course_nav": _nav(index, pages)})
        (out / pages[index][0]).write_text(body, encoding="utf-8")
    for name, page in EXTRA_PAGES.items():
        if (ROOT / name).exists():
            text = (ROOT / name).read_text(encoding="utf-8")
            (out / page).write_text(_markdown_page(text, name, script, built), encoding="utf-8")
    built_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    index = index_page(records, results, fast, mathjax is not None, script, built_at)
    (out / "index.html").write_text(index, encoding="utf-8")
    log(f"site written to {out / 'index.html'}")
    return results


def add_parser(commands) -> None:
    site = commands.add_parser("site", help="run the chapters and write a static HTML site (offline)")
    site.add_argument("out", help="folder to write the site into (index.html and one page per chapter)")
    site.add_argument("--fast", action="store_true", help="run the chapters in fast mode (COURSE_FAST=1)")
    site.add_argument("--chapters", nargs="+", metavar="CHAPTER",
                      help="only these chapters, by number or name (e.g. 00 02 08a); default: all")
    site.add_argument("--timeout", type=int, default=1800, metavar="SECONDS",
                      help="longest a single cell may run (default: 1800)")
    site.add_argument("--source", default=str(CHAPTERS), metavar="FOLDER",
                      help="folder to read the notebooks from (default: chapters/; e.g. a student version)")


def main(args) -> int:
    try:
        results = build_site(args.out, args.chapters, fast=args.fast, timeout=args.timeout,
                             source=args.source)
    except SiteError as error:
        print(f"site: {error}", file=sys.stderr)
        return 2
    failed = [stem for stem, result in results.items() if result["error"]]
    for stem in failed:
        print(f"{stem}: {results[stem]['error']}", file=sys.stderr)
    return 1 if failed else 0
