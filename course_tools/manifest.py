"""The chapter manifest, ``chapters/chapters.toml``: one record per chapter, the one source of its facts.

Each record holds a chapter's stem, English and Chinese title, the article's sections it follows, what a
learner builds, its objectives and prerequisites, the targets it asserts in full mode (metric, comparison,
threshold) and the times measured by ``bench/chapters.py`` (which writes them, with the machine and the
backend). The exercise names are not stored: they are read from the notebook's solution cells.

Everything that repeats those facts is generated from it, between markers, and never edited by hand:

* the README's chapter map;
* TEACHING.md's overview table, each chapter's heading and its objectives, prerequisites, times and
  exercises;
* each notebook's title line and its ``**Time:**`` line;
* the static site's index (``course_tools.site``).

    python -m course_tools chapters --check     exit status 1 and the files that are out of date
    python -m course_tools chapters --write     rewrite them from the manifest

Changing a chapter's time or target is one edit of the manifest (or one ``bench/chapters.py`` run) and
``--write``.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from course_tools import REPO_ROOT

ROOT = REPO_ROOT
CHAPTERS = ROOT / "chapters"
MANIFEST = CHAPTERS / "chapters.toml"
README = ROOT / "README.md"
TEACHING = ROOT / "TEACHING.md"

COMPARISONS = (">=", ">", "<=", "<")
MODES = ("full", "fast")
REQUIRED = ("stem", "title", "title_zh", "label", "sections", "summary", "objectives")
OPTIONAL = ("prerequisites", "time_note", "teaching_note", "targets", "measured")
MEASURED_FIELDS = ("seconds", "seeds", "backend", "machine", "date", "data", "code_hash")
#: A chapter whose longest full-mode run is at most this long can run in full mode during a class.
FITS_IN_CLASS_SECONDS = 180
SOLUTION = "### BEGIN SOLUTION"


class ManifestError(ValueError):
    """The manifest is malformed: the message names the chapter and the field."""


@dataclass(frozen=True)
class Chapter:
    """One chapter's record (see the module docstring for the fields)."""

    stem: str
    title: str
    title_zh: str
    label: str
    sections: str
    summary: str
    objectives: str
    prerequisites: tuple[str, ...] = ()
    time_note: str = ""
    teaching_note: str = ""
    targets: dict = field(default_factory=dict)       # metric -> (comparison, threshold)
    measured: dict = field(default_factory=dict)      # "full"/"fast" -> {seconds, seeds, backend, ...}

    @property
    def number(self) -> str:
        """"05", "08a": the part of the stem before the first underscore."""
        return self.stem.split("_", 1)[0]

    @property
    def notebook(self) -> Path:
        return CHAPTERS / f"{self.stem}.ipynb"

    @property
    def heading(self) -> str:
        """The notebook's title line."""
        return f"# {self.number} · {self.title} — {self.title_zh}"


# ------------------------------------------------------------------------------------------------- reading

def _toml(text: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:             # Python 3.10
        import tomlkit

        return tomlkit.parse(text).unwrap()
    return tomllib.loads(text)


def load(path: Path | None = None) -> list[Chapter]:
    """The chapters of the manifest (``chapters/chapters.toml`` by default), in order, each checked."""
    path = Path(path or MANIFEST)
    if not path.exists():
        raise ManifestError(f"the chapter manifest {path} does not exist")
    try:
        records = _toml(path.read_text(encoding="utf-8")).get("chapters")
    except ValueError as error:
        raise ManifestError(f"{path} is not valid TOML: {error}") from error
    if not isinstance(records, list) or not records:
        raise ManifestError(f"{path} should hold [[chapters]] records; found {type(records).__name__}")
    chapters = [_chapter(record, index) for index, record in enumerate(records)]
    stems = [chapter.stem for chapter in chapters]
    if stems != sorted(stems) or len(set(stems)) != len(stems):
        raise ManifestError(f"the chapters should be listed once each, in reading order; found {stems}")
    numbers = [chapter.number for chapter in chapters]
    for chapter in chapters:
        earlier = numbers[:numbers.index(chapter.number)]
        for prerequisite in chapter.prerequisites:
            number = prerequisite.split(" ", 1)[0]
            if number not in earlier:
                raise ManifestError(f"{chapter.stem}: prerequisite {prerequisite!r} should start with the "
                                    f"number of an earlier chapter ({', '.join(earlier) or 'none'})")
    return chapters


def _chapter(record: dict, index: int) -> Chapter:
    where = f"chapter record {index + 1} ({record.get('stem', 'no stem')})"
    unknown = sorted(set(record) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ManifestError(f"{where}: unknown field(s) {unknown}; the fields are {REQUIRED + OPTIONAL}")
    for name in REQUIRED:
        if not isinstance(record.get(name), str) or not record[name].strip():
            raise ManifestError(f"{where}: {name!r} should be a non-empty string, got {record.get(name)!r}")
    if not re.fullmatch(r"\d\d[a-z]?_[a-z0-9_]+", record["stem"]):
        raise ManifestError(f"{where}: stem should look like '05_mnist_project', got {record['stem']!r}")
    prerequisites = record.get("prerequisites", [])
    if not isinstance(prerequisites, list) or not all(isinstance(p, str) for p in prerequisites):
        raise ManifestError(f"{where}: prerequisites should be a list of strings, got {prerequisites!r}")
    targets = {}
    for metric, target in record.get("targets", {}).items():
        if (not isinstance(target, list) or len(target) != 2 or target[0] not in COMPARISONS
                or not isinstance(target[1], (int, float)) or isinstance(target[1], bool)):
            raise ManifestError(f"{where}: target {metric!r} should be [comparison, number] with a "
                                f"comparison in {COMPARISONS}, got {target!r}")
        targets[metric] = (target[0], target[1])
    measured = dict(record.get("measured", {}))
    for mode, run in measured.items():
        if mode not in MODES:
            raise ManifestError(f"{where}: measured.{mode} is not a mode; the modes are {MODES}")
        missing = [name for name in MEASURED_FIELDS if name not in run]
        seconds = run.get("seconds")
        if missing or not isinstance(seconds, list) or not seconds:
            raise ManifestError(f"{where}: measured.{mode} should have {MEASURED_FIELDS} with at least one "
                                f"time in seconds; missing {missing}")
    return Chapter(stem=record["stem"], title=record["title"], title_zh=record["title_zh"],
                   label=record["label"], sections=record["sections"], summary=record["summary"],
                   objectives=" ".join(record["objectives"].split()), prerequisites=tuple(prerequisites),
                   time_note=record.get("time_note", ""), teaching_note=record.get("teaching_note", ""),
                   targets=targets, measured=measured)


def chapter(stem_or_number: str, chapters: list[Chapter] | None = None) -> Chapter:
    """The chapter whose stem or number is given ("05" or "05_mnist_project")."""
    chapters = load() if chapters is None else chapters
    for candidate in chapters:
        if stem_or_number in (candidate.stem, candidate.number):
            return candidate
    raise ManifestError(f"no chapter {stem_or_number!r} in the manifest; chapters: "
                        f"{', '.join(c.number for c in chapters)}")


# ----------------------------------------------------------------------------------------------- notebooks

def _cells(notebook: Path) -> list[dict]:
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    def text(source) -> str:
        return "".join(source) if isinstance(source, list) else source

    return [{**cell, "source": text(cell["source"])} for cell in cells]


def exercises(notebook: Path) -> list[str]:
    """The functions a learner writes, in order: those defined in the notebook's solution cells."""
    names = []
    for cell in _cells(notebook):
        if cell["cell_type"] == "code" and SOLUTION in cell["source"]:
            names += [name for name in re.findall(r"^def (\w+)\(", cell["source"], flags=re.M)
                      if name not in names]
    return names


def code_hash(notebook: Path) -> str:
    """A short hash of the notebook's code cells: a time measured on other code is marked as such."""
    code = "\n\n".join(cell["source"] for cell in _cells(notebook) if cell["cell_type"] == "code")
    return hashlib.sha256(code.encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------------------------------- times

def minutes(seconds: float) -> str:
    """A duration for a reader: "40 s" under a minute, else minutes to the half ("2½ min")."""
    if seconds <= 55:                       # rounded up: a plan made with it does not run short
        return f"{max(5, math.ceil(seconds / 5) * 5):.0f} s"
    halves = max(2, math.ceil(seconds / 30))
    whole, half = divmod(halves, 2)
    return f"{whole}{'½' if half else ''} min"


def duration(run: dict | None) -> str:
    """The time of a measured run for a reader: one figure, or a range over seeds ("7–8½ min")."""
    if not run:
        return "not measured yet"
    low, high = minutes(min(run["seconds"])), minutes(max(run["seconds"]))
    if low == high:
        return low
    if low.endswith(" s") and high.endswith(" s"):
        return f"{low[:-2]}–{high}"
    if low.endswith(" min") and high.endswith(" min"):
        return f"{low[:-4]}–{high}"
    return f"{low}–{high}"


def _stale(chapter: Chapter, run: dict) -> bool:
    return run.get("code_hash") != code_hash(chapter.notebook)


def measurement(chapter: Chapter, mode: str) -> str:
    """Where a time comes from: "139–154 s over seeds 0, 1, 2; TensorFlow; 2026-11-27"."""
    run = chapter.measured.get(mode)
    if not run:
        return "not measured yet"
    seconds = ", ".join(f"{value:.0f} s" for value in run["seconds"])
    seeds = "seed" if len(run["seeds"]) == 1 else "seeds"
    text = (f"{seconds} for {seeds} {', '.join(map(str, run['seeds']))}; {_backend_name(run['backend'])}, "
            f"{run['machine']}, {run['data']}, {run['date']}")
    if _stale(chapter, run):
        text += "; measured on an earlier version of the chapter's code"
    return text


def _backend_name(backend: str) -> str:
    return {"tensorflow": "TensorFlow", "jax": "JAX"}.get(backend, backend)


def fits_in_class(chapter: Chapter) -> bool:
    run = chapter.measured.get("full")
    return bool(run) and max(run["seconds"]) <= FITS_IN_CLASS_SECONDS


# ------------------------------------------------------------------------------------------ generated text

def header_time_line(chapter: Chapter) -> str:
    """The notebook's ``**Time:**`` line."""
    full, fast = chapter.measured.get("full"), chapter.measured.get("fast")
    note = f" ({chapter.time_note})" if chapter.time_note else ""
    line = (f"**Time:** full mode {duration(full)} on a 2-core laptop CPU{note}; fast mode (`COURSE_FAST=1`) "
            f"{duration(fast)}.")
    if any(run and _stale(chapter, run) for run in (full, fast)):
        line += " (Measured on an earlier version of this chapter.)"
    return line


STALE_MARK = "†"


def _map_time(chapter: Chapter, mode: str) -> str:
    run = chapter.measured.get(mode)
    return duration(run) + (STALE_MARK if run and _stale(chapter, run) else "")


def course_total(chapters: list[Chapter], mode: str) -> str:
    """The whole course in one mode: the sum of each chapter's slowest measured run."""
    runs = [chapter.measured.get(mode) for chapter in chapters]
    total = minutes(sum(max(run["seconds"]) for run in runs if run))
    missing = sum(1 for run in runs if not run)
    return total + (f" ({missing} chapter{'s' if missing != 1 else ''} not measured yet)" if missing else "")


def readme_map(chapters: list[Chapter]) -> str:
    lines = ["| chapter | article section | what you build | full mode | fast mode |",
             "|---|---|---|---|---|"]
    for chapter in chapters:
        lines.append(f"| [{chapter.label}](chapters/{chapter.stem}.ipynb) | {chapter.sections} | "
                     f"{chapter.summary} | {_map_time(chapter, 'full')} | {_map_time(chapter, 'fast')} |")
    lines += [f"| **the whole course** | | every chapter once, the slowest seed of each | "
              f"**{course_total(chapters, 'full')}** | **{course_total(chapters, 'fast')}** |",
              "", "Times: one run top to bottom in a fresh kernel on a 2-core CPU with TensorFlow, the range "
              "over seeds where there are several (`bench/chapters.py`; each run in [RESULTS.md](RESULTS.md) "
              f"and [TEACHING.md](TEACHING.md)). {STALE_MARK} measured on an earlier version of "
              "the chapter's code."]
    return "\n".join(lines)


def _prerequisites(chapter: Chapter) -> str:
    return ", ".join(chapter.prerequisites) if chapter.prerequisites else "none"


def teaching_overview(chapters: list[Chapter]) -> str:
    lines = ["| chapter | prerequisites | full mode | full mode, each run | fast mode | full mode in class |",
             "|---|---|---|---|---|---|"]
    for chapter in chapters:
        full = chapter.measured.get("full")
        runs = ", ".join(f"{value:.0f} s" for value in full["seconds"]) if full else "not measured yet"
        if full and _stale(chapter, full):
            runs += " (earlier code)"
        prerequisites = ", ".join(p.split(" ", 1)[0] for p in chapter.prerequisites) or "none"
        in_class = "yes" if fits_in_class(chapter) else "start early, or fast mode"
        lines.append(f"| {chapter.number} {chapter.label.split(' ', 1)[1]} | {prerequisites} | "
                     f"{duration(full)} | {runs} | {duration(chapter.measured.get('fast'))} | {in_class} |")
    return "\n".join(lines)


def _timed(chapter: Chapter, mode: str) -> str:
    run = chapter.measured.get(mode)
    return f"{duration(run)} ({measurement(chapter, mode)})" if run else "not measured yet"


def _code_list(names: list[str]) -> str:
    names = [f"`{name}`" for name in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def teaching_facts(chapter: Chapter) -> str:
    """A chapter's facts in TEACHING.md: objectives, prerequisites, time, exercises to grade."""
    names = exercises(chapter.notebook)
    own = [name for name in names if name != "questionnaire" and not name.endswith("_prediction")]
    generic = [text for present, text in (
        (any(name.endswith("_prediction") for name in names), "the prediction (predict, run, explain)"),
        ("questionnaire" in names, "the questionnaire")) if present]
    graded = ([_code_list(own)] if own else []) + ([" and ".join(generic)] if generic else [])
    in_class = (" Full mode fits in a class." if fits_in_class(chapter)
                else " Start full mode at the beginning of the class, or run fast mode in class.")
    return "\n\n".join([
        f"**Objectives:** {chapter.objectives}",
        f"**Prerequisites:** {_prerequisites(chapter)}.",
        f"**Time:** full mode {_timed(chapter, 'full')}; fast mode {_timed(chapter, 'fast')}; GPU not "
        f"measured.{in_class}" + (f" {chapter.teaching_note}" if chapter.teaching_note else ""),
        f"**Exercises to grade:** {'; '.join(graded) or 'none'}.",
    ])


# --------------------------------------------------------------------------------------------------- files

def markers(name: str) -> tuple[str, str]:
    """The two comment lines around a generated block in a Markdown file."""
    command = "python -m course_tools chapters --write"
    return (f"<!-- generated from chapters/chapters.toml: {name} ({command}) -->",
            f"<!-- end of generated {name} -->")


def replace_block(text: str, name: str, body: str, where: str) -> str:
    """``text`` with the block between the markers for ``name`` replaced by ``body``."""
    begin, end = markers(name)
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.S)
    if len(pattern.findall(text)) != 1:
        raise ManifestError(f"{where} should hold the block {name!r} once, between the lines\n{begin}\n"
                            f"and\n{end}")
    return pattern.sub(lambda _: f"{begin}\n{body}\n{end}", text)


def render_readme(text: str, chapters: list[Chapter]) -> str:
    return replace_block(text, "chapter map", readme_map(chapters), "README.md")


def render_teaching(text: str, chapters: list[Chapter]) -> str:
    text = replace_block(text, "overview", teaching_overview(chapters), "TEACHING.md")
    for chapter in chapters:
        heading = re.compile(rf"^### \[[^\]\n]*\]\(chapters/{re.escape(chapter.stem)}\.ipynb\)$", re.M)
        if len(heading.findall(text)) != 1:
            raise ManifestError(f"TEACHING.md should have one heading "
                                f"'### [...](chapters/{chapter.stem}.ipynb)'")
        title = f"### [{chapter.number} · {chapter.title}](chapters/{chapter.stem}.ipynb)"
        text = heading.sub(lambda _, title=title: title, text)
        text = replace_block(text, f"{chapter.number} facts", teaching_facts(chapter), "TEACHING.md")
    return text


def render_header(source: str, chapter: Chapter) -> str:
    """A notebook's first cell with its title line and its ``**Time:**`` paragraph from the manifest."""
    lines = source.split("\n")
    if not lines[0].startswith("# "):
        raise ManifestError(f"{chapter.notebook.name}: the first cell should start with its '# ' title line")
    lines[0] = chapter.heading
    text = "\n".join(lines)
    paragraph = re.compile(r"^\*\*Time:\*\*.*?(?=\n\n|\n\*\*|\Z)", re.M | re.S)
    if len(paragraph.findall(text)) != 1:
        raise ManifestError(f"{chapter.notebook.name}: the first cell should have one paragraph starting "
                            "with **Time:**")
    return paragraph.sub(lambda _: header_time_line(chapter), text)


def rendered(chapters: list[Chapter] | None = None) -> dict[Path, str]:
    """Every generated file's text as the manifest says it should be: {path: text}."""
    import nbformat

    chapters = load() if chapters is None else chapters
    on_disk = sorted(path.stem for path in CHAPTERS.glob("*.ipynb"))
    if on_disk != [chapter.stem for chapter in chapters]:
        raise ManifestError(f"chapters/ holds {on_disk}, the manifest lists "
                            f"{[chapter.stem for chapter in chapters]}: one record per notebook")
    texts = {README: render_readme(README.read_text(encoding="utf-8"), chapters),
             TEACHING: render_teaching(TEACHING.read_text(encoding="utf-8"), chapters)}
    for chapter in chapters:
        notebook = nbformat.read(chapter.notebook, as_version=4)
        header = render_header(notebook.cells[0].source, chapter)
        original = chapter.notebook.read_text(encoding="utf-8")
        if header == notebook.cells[0].source:
            texts[chapter.notebook] = original
        else:
            notebook.cells[0].source = header
            texts[chapter.notebook] = nbformat.writes(notebook) + "\n"
    return texts


def out_of_date(chapters: list[Chapter] | None = None) -> list[Path]:
    """The generated files whose text differs from what the manifest says."""
    return [path for path, text in rendered(chapters).items() if path.read_text(encoding="utf-8") != text]


def write(chapters: list[Chapter] | None = None) -> list[Path]:
    """Rewrite every out-of-date generated file; return the ones written."""
    written = []
    for path, text in rendered(chapters).items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


# ----------------------------------------------------------------------------------------------- measuring

def record_times(stem: str, mode: str, run: dict, path: Path | None = None) -> None:
    """Write a measured time into the manifest (``bench/chapters.py`` calls this), comments kept."""
    import tomlkit

    if mode not in MODES:
        raise ManifestError(f"mode should be one of {MODES}, got {mode!r}")
    missing = [name for name in MEASURED_FIELDS if name not in run]
    if missing:
        raise ManifestError(f"a measured run needs {MEASURED_FIELDS}; missing {missing}")
    path = Path(path or MANIFEST)
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for record in document["chapters"]:
        if record["stem"] == stem:
            if "measured" not in record:
                record["measured"] = tomlkit.table()
            table = tomlkit.inline_table()
            table.update({name: run[name] for name in MEASURED_FIELDS})
            record["measured"][mode] = table
            text = re.sub(r"\n+\[\[chapters\]\]", "\n\n[[chapters]]", tomlkit.dumps(document))  # a blank line
            Path(path).write_text(text, encoding="utf-8")                                # between records
            return
    raise ManifestError(f"no chapter {stem!r} in {path}")


# -------------------------------------------------------------------------------------------- command line

def add_parser(commands) -> None:
    parser = commands.add_parser("chapters", help="regenerate the chapter map, TEACHING.md's tables and "
                                                  "the notebooks' title and time lines from "
                                                  "chapters/chapters.toml")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the generated parts that are out of date")
    mode.add_argument("--check", action="store_true", help="exit status 1 if a generated part is out of date")


def main(args) -> int:
    try:
        if args.write:
            written = write()
            for path in written:
                print(f"wrote {path.relative_to(ROOT)}")
            print(f"{len(written)} file(s) rewritten from {MANIFEST.relative_to(ROOT)}")
            return 0
        stale = out_of_date()
    except ManifestError as error:
        print(f"error: {error}")
        return 1
    for path in stale:
        print(f"out of date: {path.relative_to(ROOT)}")
    if stale:
        print("run: python -m course_tools chapters --write")
        return 1
    print(f"every generated part agrees with {MANIFEST.relative_to(ROOT)}")
    return 0
