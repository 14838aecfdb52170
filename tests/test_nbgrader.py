"""nbgrader on the chapters: the release keeps no solution, has course_lib's stubs and locked checkers.

Every chapter is made an assignment of one temporary course by ``python -m course_tools classroom init``
(the layout a teacher uses: ``source/<stem>/<stem>.ipynb``) and released with nbgrader's
``generate_assignment``, into the gradebook. The release must equal ``python -m course_tools student`` cell
by cell: one set of markers, one stub text, whichever tool a teacher uses.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

from course_tools import student

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"


def _load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _grader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _has_nbgrader_metadata(path):
    return any(_grader(cell) for cell in _load(path)["cells"])


GRADED = [path for path in sorted(CHAPTERS.glob("*.ipynb")) if _has_nbgrader_metadata(path)]
# nbgrader's release does not depend on Keras's backend; the tests that release run nbgrader in a subprocess.
pytestmark = pytest.mark.once


# Every assignment generated in one process through nbgrader's API (what `nbgrader generate_assignment <stem>`
# runs), rather than 16 commands that each pay nbgrader's start-up.
GENERATE = ("import sys; from course_tools.classroom.course import generate_assignments; "
            "generate_assignments('.', sys.argv[1:])")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """Every chapter with nbgrader metadata as an assignment of one course, generated; return the course."""
    course = tmp_path_factory.mktemp("nbgrader_course") / "course"
    init = subprocess.run([sys.executable, "-m", "course_tools", "classroom", "init", str(course)],
                          capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stdout + init.stderr
    stems = [path.stem for path in GRADED]
    artifacts = course / "source" / stems[0] / "artifacts"   # what chapters write while they run
    artifacts.mkdir()
    (artifacts / "model.keras").write_bytes(b"not for students")
    result = subprocess.run([sys.executable, "-c", GENERATE, *stems], cwd=course, capture_output=True,
                            text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"nbgrader generate_assignment failed:\n{output[-4000:]}"
    assert not (course / "release" / stems[0] / "artifacts").exists(), "artifacts/ stays out"
    return course


def _pair(course, path):
    """The notebook nbgrader released from (the course's copy, not chapters/, which may change meanwhile)
    and its release."""
    return (_load(course / "source" / path.stem / path.name),
            _load(course / "release" / path.stem / path.name))


def _solution_lines(text):
    """Non-blank lines inside solution blocks that do not also stand outside them in the same cell."""
    inside, solution, outside = False, set(), set()
    for line in text.split("\n"):
        if student.BEGIN in line:
            inside = True
        elif student.END in line:
            inside = False
        elif line.strip():
            (solution if inside else outside).add(line.strip())
    return solution - outside


@pytest.mark.slow   # the release: nbgrader generate_assignment in a subprocess
@pytest.mark.parametrize("path", GRADED, ids=lambda path: path.stem)
def test_release_has_no_solution_line(release, path):
    original, released = _pair(release, path)
    assert len(released["cells"]) == len(original["cells"])
    for index, (before, after) in enumerate(zip(original["cells"], released["cells"])):
        text = _source(after)
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, f"cell {index} keeps a marker"
        left = _solution_lines(_source(before)) & {line.strip() for line in text.split("\n")}
        assert not left, f"{path.name}, cell {index}: solution lines in the release: {sorted(left)}"


@pytest.mark.slow   # the release: nbgrader generate_assignment in a subprocess
@pytest.mark.parametrize("path", GRADED, ids=lambda path: path.stem)
def test_release_equals_course_lib_student_version(release, path):
    original, released = _pair(release, path)
    expected, _ = student.student_notebook(original, path.name)
    kinds = [cell["cell_type"] for cell in expected["cells"]]
    assert [cell["cell_type"] for cell in released["cells"]] == kinds
    for index, (mine, theirs) in enumerate(zip(expected["cells"], released["cells"])):
        assert _source(theirs) == _source(mine), f"{path.name}, cell {index}: nbgrader and course_lib differ"
        if theirs["cell_type"] == "code":
            assert theirs["outputs"] == [], f"{path.name}, cell {index}: the release keeps outputs"


@pytest.mark.slow   # the release: nbgrader generate_assignment in a subprocess
@pytest.mark.parametrize("path", GRADED, ids=lambda path: path.stem)
def test_every_exercise_is_a_solution_cell_followed_by_a_locked_checker(release, path):
    original, released = _pair(release, path)
    cells = original["cells"]
    for index, cell in enumerate(cells):
        marked = student.BEGIN in _source(cell)
        if marked or _grader(cell).get("solution"):
            # a solution cell without markers would be blanked whole by nbgrader, not by course_lib
            assert marked and _grader(cell).get("solution"), (
                f"{path.name}, cell {index}: solution markers and nbgrader 'solution' metadata go together")
            if cell["cell_type"] == "markdown":   # an open question: read by the teacher, 0 points
                assert _grader(cell).get("grade") and _grader(cell).get("points") == 0, (path.name, index)
                continue
            after = cells[index + 1] if index + 1 < len(cells) else {}
            assert _grader(after).get("grade"), f"{path.name}, cell {index}: no graded checker cell after it"
    ids = [_grader(cell)["grade_id"] for cell in cells if _grader(cell)]
    assert len(ids) == len(set(ids)), f"{path.name}: grade_ids repeat"
    graded = [(index, cell) for index, cell in enumerate(released["cells"])
              if _grader(cell).get("grade") and not _grader(cell).get("solution")]
    assert graded, f"{path.name} has no graded cell"
    for index, cell in graded:
        assert _grader(cell)["locked"] and _grader(cell)["points"] > 0, f"{path.name}, cell {index}"
        assert cell["metadata"].get("editable") is False and cell["metadata"].get("deletable") is False, (
            f"{path.name}, cell {index}: a graded checker cell must be locked in the release")
        assert _source(cell) == _source(original["cells"][index]), "a checker cell is released unchanged"


# The rule itself, beyond the chapters: nbgrader's ClearSolutions with this course's configuration and
# course_tools.student.strip_solutions give the same text for any source course_lib accepts.
LINES = ["x = 1", "    return x", "", "def f():", "  # note", "Because.",
         "### BEGIN SOLUTION", "    ### BEGIN SOLUTION", "\t### BEGIN SOLUTION",
         "### END SOLUTION", "    ### END SOLUTION", "y = 2  ### END SOLUTION"]


@pytest.fixture(scope="module")
def clear_solutions(tmp_path_factory):
    """nbgrader's ClearSolutions as the course's nbgrader_config.py (written by classroom init) sets it."""
    from course_tools.classroom.course import init_course

    from nbgrader.preprocessors import ClearSolutions
    from traitlets.config.loader import PyFileConfigLoader

    course = tmp_path_factory.mktemp("stubs") / "course"
    init_course(course, ["00"])
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return ClearSolutions(config=config)


@settings(deadline=None)   # timings on a shared CPU are noisy
@given(lines=st.lists(st.sampled_from(LINES), max_size=9), trailing=st.booleans(),
       cell_type=st.sampled_from(["code", "markdown"]))
def test_same_rule_as_nbgrader_on_any_source(clear_solutions, lines, trailing, cell_type):
    source = "\n".join(lines) + ("\n" if trailing else "")
    try:
        mine, count = student.strip_solutions(source, cell_type)
    except student.SolutionMarkerError:
        return   # course_lib refuses unbalanced markers (nbgrader drops a lone END line silently)
    cell = (nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell)(source)
    replaced = clear_solutions._replace_solution_region(cell, "python")
    assert cell.source == mine and replaced == (count > 0)


def test_configured_stubs_are_course_libs(clear_solutions):
    assert clear_solutions.code_stub["python"] == student.CODE_STUB
    assert clear_solutions.text_stub == student.MARKDOWN_STUB
    assert re.fullmatch(r"### (BEGIN|END) SOLUTION", clear_solutions.begin_solution_delimeter)
    assert (clear_solutions.begin_solution_delimeter, clear_solutions.end_solution_delimeter) == (
        student.BEGIN, student.END)
