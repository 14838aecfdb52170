"""The chapter notebooks as committed: valid nbformat v4, no outputs, no execution counts, balanced
``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers, and the closing boxes of the house style. Reads the
files on disk; runs nothing."""
import json
from pathlib import Path

from course_tools import student

import nbformat
import pytest

pytestmark = pytest.mark.once   # the notebooks as files

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 13, [path.name for path in NOTEBOOKS]


@pytest.fixture(params=NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def notebook(request):
    path = request.param
    try:
        return path.name, nbformat.read(path, as_version=nbformat.NO_CONVERT)
    except Exception as error:  # not JSON, or not a notebook at all
        pytest.fail(f"{path.name} cannot be read as a notebook: {type(error).__name__}: {error}")


def test_valid_nbformat_4(notebook):
    name, content = notebook
    assert content.nbformat == 4, f"{name} is nbformat {content.nbformat}, expected 4"
    try:
        nbformat.validate(content)
    except nbformat.ValidationError as error:
        pytest.fail(f"{name} is not valid nbformat 4: {error.message}")


def test_committed_without_outputs(notebook):
    name, content = notebook
    problems = []
    for index, cell in enumerate(content.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{name}, cell {index}: {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"{name}, cell {index}: execution_count {cell.execution_count}")
    advice = "clear the outputs before committing (Kernel → Restart & Clear Output):"
    assert not problems, "\n".join([advice, *problems])


def test_solution_markers_are_balanced(notebook):
    name, content = notebook
    problems, solutions = [], 0
    for index, cell in enumerate(content.cells):
        if cell.cell_type not in ("code", "markdown"):
            continue
        try:
            solutions += student.strip_solutions(cell.source, cell.cell_type, f"{name}, cell {index}")[1]
        except student.SolutionMarkerError as error:
            problems.append(str(error))
    assert not problems, "\n".join(problems)
    assert solutions >= 1, f"{name} has no exercise (no {student.BEGIN} line)"


def test_the_first_code_cell_says_which_mode_runs(notebook):
    """In fast mode a learner is told once, at the top, that the figures come from a tiny run."""
    _, content = notebook
    first = next(cell.source for cell in content.cells if cell.cell_type == "code")
    assert "config.announce_mode()" in first


@pytest.mark.parametrize("path", sorted(CHAPTERS.glob("*.ipynb")), ids=lambda path: path.stem)
def test_every_chapter_has_what_to_remember_and_ends_with_its_chinese_key_points(path):
    """The house style: a "What to remember" box (after the teaching, before or after the exercises) and the
    中文要点 box as the last cell."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(cell["source"]) for cell in cells]
    assert sources[-1].startswith("## 中文要点"), f"{path.name}: the last cell is not the 中文要点 box"
    remember = [index for index, source in enumerate(sources) if "## What to remember" in source.splitlines()]
    assert len(remember) == 1, f"{path.name}: {len(remember)} '## What to remember' boxes"
    assert remember[0] > len(cells) // 3, f"{path.name}: 'What to remember' comes before the teaching is done"
