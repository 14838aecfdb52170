"""python -m course_tools site: two short chapters run in fast mode become pages linked from an index."""
import html
import json
import re
from pathlib import Path

from course_tools import manifest, site

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
BUILT = ["00_start_here", "01_images_as_data"]
# The site's code does not depend on Keras's backend, and the JAX pass runs both chapters through nbval.
pytestmark = pytest.mark.once


@pytest.fixture(scope="module")
def built(tmp_path_factory, copy_chapters):
    """The site of chapters 00 and 01, run in fast mode from copies (nothing is written into chapters/)."""
    copies = copy_chapters([f"{stem}.ipynb" for stem in BUILT])
    out = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_OFFLINE", "1")          # the bundled sample at once, no download attempt
        results = site.build_site(out, ["00", "01"], fast=True, timeout=600, source=copies,
                                  log=lambda _: None)
    return out, results


@pytest.mark.slow   # builds the site: chapters 00 and 01 run in kernels
def test_every_chapter_ran_without_error(built):
    _, results = built
    assert sorted(results) == BUILT
    for stem, result in results.items():
        assert result["error"] is None, f"{stem}: {result['error']}"


@pytest.mark.slow   # builds the site: chapters 00 and 01 run in kernels
def test_index_mirrors_the_chapter_map_and_links_both_pages(built):
    out, _ = built
    index = (out / "index.html").read_text(encoding="utf-8")
    chapters = manifest.load()
    for chapter in chapters:                          # every chapter of the manifest is listed
        assert html.escape(chapter.label) in index and html.escape(chapter.sections) in index
    for stem in BUILT:
        assert f'href="{stem}.html"' in index and (out / f"{stem}.html").exists()
    assert 'href="02_convolution.html"' not in index   # not built, so not linked
    full_time = manifest.duration(manifest.chapter("05", chapters).measured.get("full"))
    assert "fast mode" in index and full_time in index  # the mode, and the manifest's times


@pytest.mark.slow   # builds the site: chapters 00 and 01 run in kernels
@pytest.mark.parametrize("stem", BUILT)
def test_page_has_title_outputs_and_no_traceback(built, stem):
    out, _ = built
    page = (out / f"{stem}.html").read_text(encoding="utf-8")
    notebook = json.loads((CHAPTERS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    title = site.chapter_title(notebook, stem)
    assert f"<title>{html.escape(title)}</title>" in page
    assert re.search(r'<img[^>]+src="data:image/png;base64,', page), f"{stem}: no image output on the page"
    assert "Traceback" not in page and "application/vnd.jupyter.error" not in page
    assert 'href="index.html"' in page


FETCHES = [r'src="(https?://[^"]+)"', r'<link[^>]+href="(https?://[^"]+)"', r'import\("(https?://[^"]+)"\)',
           r"url\(['\"]?(https?://[^)'\"]+)"]


@pytest.mark.slow   # builds the site: chapters 00 and 01 run in kernels
def test_pages_fetch_nothing_from_the_network(built):
    out, _ = built
    offline = site.mathjax_source() is not None
    for page in out.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        fetched = [url for pattern in FETCHES for url in re.findall(pattern, text)]
        if offline:
            assert not fetched, f"{page.name} loads {fetched} from the network"
        else:
            assert all("mathjax" in url.lower() for url in fetched), f"{page.name} loads {fetched}"
    index = (out / "index.html").read_text(encoding="utf-8")
    if offline:
        assert (out / site.MATHJAX_FOLDER / "MathJax.js").exists() and "without a network" in index
    else:
        assert "Formulas need a network" in index


def test_links_to_the_glossary_and_other_chapters_point_at_pages():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("See [the glossary](../GLOSSARY.md) and [chapter 01]"
                                      "(01_images_as_data.ipynb), [02](02_convolution.ipynb#section)."),
        nbformat.v4.new_code_cell("slider", outputs=[nbformat.v4.new_output(
            "display_data", data={site.WIDGET_MIME: {"model_id": "x"}, "text/plain": "IntSlider()"})]),
    ])
    site.prepare_for_page(notebook, {"01_images_as_data"})
    text = notebook.cells[0].source
    assert "(glossary.html)" in text and "(01_images_as_data.html)" in text
    assert "(02_convolution.ipynb#section)" in text        # not in this build: the link is left alone
    assert notebook.cells[1].outputs[0]["data"] == {"text/html": site.WIDGET_NOTE}


@pytest.mark.slow   # runs a chapter in a Jupyter kernel
def test_a_failing_chapter_is_reported_and_fails_the_command(tmp_path, capsys):
    from course_tools.__main__ import main

    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# zz · Broken"),
                                             nbformat.v4.new_code_cell("1 / 0")])
    nbformat.write(broken, tmp_path / "zz_broken.ipynb")
    out = tmp_path / "site"
    assert main(["site", str(out), "--fast", "--source", str(tmp_path), "--chapters", "zz",
                 "--timeout", "120"]) == 1
    assert "zz_broken: a cell raised ZeroDivisionError" in capsys.readouterr().err
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Chapters that failed" in index and "ZeroDivisionError" in index
    assert "ZeroDivisionError" in (out / "zz_broken.html").read_text(encoding="utf-8")   # the page shows it


def test_chapter_selection():
    chosen = site.select_chapters(["08a", "00"])
    assert [path.stem for path in chosen] == ["00_start_here", "08a_classification"]
    with pytest.raises(site.SiteError, match="no chapter matches"):
        site.select_chapters(["99"])
