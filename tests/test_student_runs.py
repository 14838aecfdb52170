"""The student version of every chapter runs top to bottom without a traceback (DESIGN.md, "A chapter").

Every solution is replaced by its stub (``course_tools.student``), then the notebook runs in fast mode in a
fresh kernel with strict checks off, as a learner would first open it. No cell may raise, and the checker
cell after each exercise must say that the exercise is not answered yet. The kernel runs without
``TF_CPP_MIN_LOG_LEVEL`` (the test session sets it; a learner has not) and without ``PYTEST_CURRENT_TEST``
(with it, ipykernel stops passing what C++ writes to the process's stderr on to the cells), and no cell may
show a TensorFlow C++ log line in its stderr: in JupyterLab that is a pink box under the cell. The student
version differs from the chapter only in its stubs, so it runs in the second pass of the test command
(another backend: JAX), while the TensorFlow pass runs the chapters themselves through nbval; every chapter's
code thus runs once on each backend (tests/conftest.py). Every chapter's exercises also carry nbgrader cell
metadata.
"""
import json
import os
from pathlib import Path

from course_lib import _quiet
from course_tools import student

import nbformat
import pytest
from nbclient import NotebookClient

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
STEMS = sorted(path.stem for path in CHAPTERS.glob("*.ipynb"))


def _text(outputs) -> str:
    parts = []
    for output in outputs:
        parts.append(output.get("text", ""))
        parts.extend(str(value) for value in output.get("data", {}).values())
    return "\n".join(parts)


def _learners_environment() -> dict:
    """The kernel's environment: the test session's, less what a learner's Jupyter does not set."""
    return {key: value for key, value in os.environ.items()
            if key not in ("TF_CPP_MIN_LOG_LEVEL", "PYTEST_CURRENT_TEST")}


def _cpp_log_lines(notebook) -> dict:
    """{cell index: TensorFlow C++ log lines in the cell's stderr}, for the cells that show any."""
    found = {}
    for index, cell in enumerate(notebook.cells):
        stderr = "".join(output.get("text", "") for output in cell.get("outputs", [])
                         if output.get("output_type") == "stream" and output.get("name") == "stderr")
        if _quiet.cpp_log_lines(stderr):
            found[index] = _quiet.cpp_log_lines(stderr)
    return found


@pytest.mark.slow                # every chapter in a fresh Jupyter kernel
@pytest.mark.other_backends      # the second pass's run of every chapter
@pytest.mark.parametrize("stem", STEMS)
def test_the_student_version_runs_and_says_what_is_unanswered(stem, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_FAST", "1")
    monkeypatch.setenv("COURSE_STRICT", "0")   # as a learner runs it: a failed check is a red line
    with open(CHAPTERS / f"{stem}.ipynb", encoding="utf-8") as handle:
        source = json.load(handle)
    stubbed, removed = student.student_notebook(source, stem)
    assert removed >= 1, f"{stem}: expected at least one exercise"
    notebook = nbformat.from_dict(stubbed)
    NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=False,   # raises on a traceback
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=_learners_environment())
    checked = 0
    for index, cell in enumerate(source["cells"][:-1]):
        if cell["cell_type"] == "code" and student.BEGIN in "".join(cell["source"]):
            checker = notebook.cells[index + 1]
            assert "not yet" in _text(checker.outputs), \
                f"{stem}, cell {index + 1}: the checker after an exercise did not say it is unanswered:\n" \
                f"{checker.source}"
            checked += 1
    open_questions = sum(cell["cell_type"] == "markdown" and student.BEGIN in "".join(cell["source"])
                         for cell in source["cells"])   # their model answers, stubbed too
    assert checked == removed - open_questions
    shown = _cpp_log_lines(notebook)
    assert not shown, f"{stem}: cells show TensorFlow C++ log lines (cell index: lines): {shown}"


@pytest.mark.once
@pytest.mark.parametrize("stem", STEMS)
def test_exercise_cells_carry_nbgrader_metadata(stem):
    """Each solution cell is an nbgrader answer cell, and the checker cell after it a graded, locked test."""
    with open(CHAPTERS / f"{stem}.ipynb", encoding="utf-8") as handle:
        cells = json.load(handle)["cells"]
    ids = []
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if student.BEGIN not in source:
            continue
        answer = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "markdown":   # an open question: a manually graded answer, 0 points
            assert (answer.get("solution"), answer.get("grade"), answer.get("points")) == (True, True, 0), \
                f"{stem}, cell {index}: an open question needs solution=true, grade=true, points=0"
            ids.append(answer["grade_id"])
            continue
        assert (answer.get("solution"), answer.get("grade"), answer.get("locked")) == (True, False, False), \
            f"{stem}, cell {index}: a solution cell needs nbgrader metadata solution=true, grade=false"
        test = cells[index + 1]["metadata"].get("nbgrader", {})
        assert test.get("grade") is True and test.get("locked") is True and test.get("points", 0) > 0, \
            f"{stem}, cell {index + 1}: the checker cell after a solution should be a graded, locked test"
        assert "check_" in "".join(cells[index + 1]["source"])      # 00's checker is written in the notebook
        ids += [answer["grade_id"], test["grade_id"]]
        assert answer.get("schema_version") == test.get("schema_version") == 3
    assert len(ids) == len(set(ids)) >= 6, f"{stem}: grade_id values must be unique"
