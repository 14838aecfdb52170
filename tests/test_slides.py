"""Slide types (python -m course_tools slides): every cell gets one, sections start slides, idempotent."""
import json
from pathlib import Path

from course_tools import slides
from course_tools.__main__ import main

import pytest

pytestmark = pytest.mark.once   # the notebooks as files

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))
KINDS = {"slide", "subslide", "fragment", "-"}


def _text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _without_slides(notebook):
    for cell in notebook["cells"]:
        cell["metadata"].pop("slideshow", None)
    return notebook


@pytest.fixture
def copies(tmp_path):
    """Every chapter copied, with any slide metadata removed (as before the first --write)."""
    for path in NOTEBOOKS:
        notebook = _without_slides(json.loads(path.read_text(encoding="utf-8")))
        (tmp_path / path.name).write_text(slides.serialise(notebook), encoding="utf-8")
    return sorted(tmp_path.glob("*.ipynb"))


def test_write_sets_every_cell_and_check_agrees(copies, capsys):
    paths = [str(path) for path in copies]
    assert main(["slides", "--check", *paths]) == 1
    assert "fix with: python -m course_tools slides --write" in capsys.readouterr().err
    assert main(["slides", "--write", *paths]) == 0
    assert main(["slides", "--check", *paths]) == 0
    for path in copies:
        for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            kind = cell["metadata"].get("slideshow", {}).get("slide_type")
            assert kind in KINDS, f"{path.name}, cell {index}: slide type {kind!r}"


def test_sections_start_slides_and_exercises_subslides(copies):
    for path in copies:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells, kinds = notebook["cells"], slides.slide_types(notebook)
        assert kinds[0] == "slide", f"{path.name}: the title cell starts a slide"
        for index, cell in enumerate(cells):
            lines = _text(cell).splitlines()
            if cell["cell_type"] == "markdown" and any(line.startswith("## ") for line in lines):
                assert kinds[index] == "slide", f"{path.name}, cell {index}: a section starts a slide"
            if cell["cell_type"] == "code" and slides.BEGIN in _text(cell):
                opener = index - 1 if cells[index - 1]["cell_type"] == "markdown" else index
                assert kinds[opener] in ("slide", "subslide"), f"{path.name}, cell {index}: exercise"
                assert kinds[index + 1] == "-", f"{path.name}, cell {index + 1}: the checker stays with it"


def test_running_twice_changes_nothing_and_only_slide_metadata_changes(copies):
    before = {path: path.read_text(encoding="utf-8") for path in copies}
    first = slides.process(copies, write=True)
    assert all(count > 0 for count in first.values())
    after_first = {path: path.read_text(encoding="utf-8") for path in copies}
    assert all(count == 0 for count in slides.process(copies, write=True).values())
    assert {path: path.read_text(encoding="utf-8") for path in copies} == after_first
    for path in copies:
        written = json.loads(after_first[path])
        assert after_first[path] == slides.serialise(written), "the course's JSON format"
        assert _without_slides(written) == json.loads(before[path]), f"{path.name}: more than slides changed"


def test_rules_on_a_small_notebook():
    def markdown(text):
        return {"cell_type": "markdown", "metadata": {}, "source": text}

    def code(text, **metadata):
        return {"cell_type": "code", "metadata": metadata, "source": text, "outputs": [],
                "execution_count": None}

    long_text = "\n".join(f"line {n} of a long explanation" for n in range(40))
    notebook = {"cells": [
        markdown("# 99 · Title"), code("import numpy"),
        markdown("## 1 · A section"), code("x = 1"),
        markdown("**Exercise.** Write f."), code("def f():\n    ### BEGIN SOLUTION\n    return 1\n"
                                                 "    ### END SOLUTION", nbgrader={"solution": True}),
        code("display(checks.check_f(f))"),
        markdown("### Predict, then run"), code("run()"), markdown("**Explain.** Because."),
        markdown(long_text), markdown("More text after a screenful."),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert slides.slide_types(notebook) == ["slide", "-", "slide", "-", "subslide", "-", "-",
                                            "subslide", "-", "fragment", "subslide", "subslide"]
    metadata = {"nbgrader": {"solution": True}, "tags": ["x"]}
    notebook["cells"][5]["metadata"] = metadata
    slides.apply(notebook)
    assert list(notebook["cells"][5]["metadata"]) == ["nbgrader", "slideshow", "tags"]   # sorted, as Jupyter


def test_every_chapter_has_slide_metadata():
    # Passes once `python -m course_tools slides --write chapters/*.ipynb` has been run (and again after
    # cells are added or moved): the chapters carry the slide types the rules give.
    stale = {name: count for name, count in slides.process(NOTEBOOKS, write=False).items() if count}
    assert not stale, ("cells without their slide type: " + ", ".join(f"{Path(name).name} ({count})"
                       for name, count in stale.items())
                       + "; run: python -m course_tools slides --write chapters/*.ipynb")

