"""The classroom's pieces on their own: the exercise table of every chapter, the judge that confirms answers
outside the student's kernel, and ``classroom init`` and ``grade``'s refusals. The whole nbgrader loop is
tests/test_classroom.py."""

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

from course_tools import manifest, student
from course_tools.classroom import course as classroom_course
from course_tools.classroom import exercises as table
from course_tools.classroom.course import ClassroomError

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
pytestmark = pytest.mark.once


def _notebook(path):
    return table.read_notebook(path)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_every_graded_cell_names_a_checker_of_the_library_and_an_answer_above_it(path):
    notebook = _notebook(path)
    found = table.exercises(notebook, path.name)
    graded = [cell for cell in notebook["cells"]
              if table.grader(cell).get("grade") and not table.grader(cell).get("solution")]
    assert len(found) == len(graded) > 0
    for exercise in found:
        checker = getattr(importlib.import_module(exercise.module), exercise.checker, None)
        assert callable(checker), f"{path.name}: {exercise.module}.{exercise.checker} does not exist"
        answer = table.source(notebook["cells"][exercise.answer_cell])
        assert exercise.answer_name in answer, (
            f"{path.name}: {exercise.answer_id} does not define {exercise.answer_name}"
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_every_graded_cell_ends_in_a_statement(path):
    """nbgrader reads a graded cell's last value as a partial score ('cannot be converted to a float',
    which it says future versions will treat as an error): a checker cell ends in display(...) or a
    statement."""
    for index, cell in enumerate(_notebook(path)["cells"]):
        if table.grader(cell).get("grade") and not table.grader(cell).get("solution"):
            last = ast.parse(table.python_of(table.source(cell))).body[-1]
            bare = isinstance(last, ast.Expr) and not (
                isinstance(last.value, ast.Call)
                and isinstance(last.value.func, ast.Name)
                and last.value.func.id in ("display", "print")
            )
            assert not bare, f"{path.name}, cell {index}: ends in a bare expression; wrap it in display(...)"


def _judge(pairs, timeout=60.0):
    """Run the judge once per (teacher's notebook, submission) in one fresh process; return the verdicts."""
    script = (
        "import sys\nfrom course_tools.classroom import confirm\n"
        "for source, submission, results in zip(*[iter(sys.argv[1:])] * 3):\n"
        f"    confirm.judge(source, submission, results, {timeout})\n"
    )
    arguments = []
    for index, (source, submission) in enumerate(pairs):
        arguments += [str(source), str(submission), str(Path(submission).with_suffix(f".{index}.jsonl"))]
    env = dict(os.environ, COURSE_STRICT="0", COURSE_FAST="1", COURSE_OFFLINE="1", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", script, *arguments], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [
        [json.loads(line) for line in Path(results).read_text().splitlines()] for results in arguments[2::3]
    ]


def _with_answers(notebook, answers):
    copy = json.loads(json.dumps(notebook))
    for cell in copy["cells"]:
        if table.grader(cell).get("solution") and table.grader(cell).get("grade_id") in answers:
            cell["source"] = answers[table.grader(cell)["grade_id"]]
    return copy


@pytest.mark.slow  # one process importing TensorFlow, 16 chapters judged in it (about 20 s)
def test_the_judge_confirms_every_reference_answer_and_no_stub(tmp_path):
    """Every exercise alternately answered with its reference solution and left as its stub: the judge, which
    sees only the chapter's imports and the answers, confirms exactly the answered ones. An answer that
    needed anything else from the notebook would fail here."""
    pairs, expected = [], []
    for path in CHAPTERS:
        notebook = _notebook(path)
        stubbed, _ = student.student_notebook(notebook, path.name)
        stubs = table.answer_sources(stubbed)
        ids = [exercise.answer_id for exercise in table.exercises(notebook, path.name)]
        mixed = _with_answers(notebook, {answer_id: stubs[answer_id] for answer_id in ids[1::2]})
        submission = tmp_path / f"{path.stem}.ipynb"
        submission.write_text(json.dumps(mixed))
        pairs.append((path, submission))
        expected.append(
            {answer_id: "confirmed" if n % 2 == 0 else "wrong" for n, answer_id in enumerate(ids)}
        )
    for path, verdicts, wanted in zip(CHAPTERS, _judge(pairs), expected):
        assert {verdict["answer_id"]: verdict["outcome"] for verdict in verdicts} == wanted, path.name


@pytest.mark.slow  # a process that imports TensorFlow
def test_the_judge_sees_through_what_an_answer_does_to_the_checkers(tmp_path):
    source = ROOT / "chapters" / "01_images_as_data.ipynb"
    answers = {
        # a wrong answer that rebinds its checker at the cell's top level
        "rgb_to_gray": "def rgb_to_gray(image):\n    return image.mean(axis=-1)\n"
        "checks.check_rgb_to_gray = lambda f: True\n"
        "checks_core.CheckResult.__bool__ = lambda self: True\n",
        # a wrong answer that makes NumPy's comparisons always agree, while it is being checked
        "to_channels_first": "def to_channels_first(images):\n    import numpy\n"
        "    numpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(a), bool)\n"
        "    return images\n",
        # a cell that never finishes, and one that raises
        "to_tiles": "while True:\n    pass\n",
        "contrast_prediction": "raise ValueError('no idea')\n",
    }
    notebook = _with_answers(_notebook(source), answers)
    notebook["cells"] = [
        cell for cell in notebook["cells"] if table.grader(cell).get("grade_id") != "questionnaire"
    ]
    submission = tmp_path / "cheat.ipynb"
    submission.write_text(json.dumps(notebook))
    # and an answer that uses a name the notebook defines outside the answer cells: not judged either way
    other = ROOT / "chapters" / "02_convolution.ipynb"
    outside = tmp_path / "outside.ipynb"
    outside.write_text(
        json.dumps(
            _with_answers(
                _notebook(other),
                {"padding_for_same": "def padding_for_same(n, k, stride):\n    return IMAGE_SIDE, 0\n"},
            )
        )
    )
    cheat, elsewhere = _judge([(source, submission), (other, outside)], timeout=3)
    verdicts = {verdict["answer_id"]: verdict for verdict in cheat}
    assert {name: verdict["outcome"] for name, verdict in verdicts.items()} == {
        "contrast_prediction": "wrong",
        "to_tiles": "timeout",
        "rgb_to_gray": "wrong",
        "to_channels_first": "tampered",
        "questionnaire": "missing",
    }
    assert "ValueError: no idea" in verdicts["contrast_prediction"]["message"]
    assert "course_lib.checks.images.check_rgb_to_gray" in verdicts["rgb_to_gray"]["changed"]
    assert "the eye is most sensitive to green" in verdicts["rgb_to_gray"]["message"]
    assert verdicts["to_channels_first"]["changed"] == ["numpy.isclose"]
    by_answer = {verdict["answer_id"]: verdict for verdict in elsewhere}
    assert by_answer["padding_for_same"]["outcome"] == "outside"
    assert "IMAGE_SIDE" in by_answer["padding_for_same"]["message"]
    assert {verdict["outcome"] for name, verdict in by_answer.items() if name != "padding_for_same"} == {
        "confirmed"
    }


def test_cell_timeouts_come_from_the_manifests_fast_mode_times():
    chapters = {chapter.stem: chapter for chapter in manifest.load()}
    for chapter in chapters.values():
        seconds = max(chapter.measured["fast"]["seconds"])
        timeout = classroom_course.cell_timeout(chapter)
        assert timeout >= max(classroom_course.MIN_CELL_TIMEOUT, classroom_course.TIMEOUT_FACTOR * seconds)
        assert timeout % 10 == 0 and timeout < classroom_course.TIMEOUT_FACTOR * seconds + 10 + 60


def test_init_refuses_unknown_chapters_and_a_bad_timeout_and_keeps_an_edited_source(tmp_path):
    with pytest.raises(ClassroomError, match="unknown chapter.*99.*expected numbers or stems among: 00, 01"):
        classroom_course.init_course(tmp_path / "c", ["99"])
    with pytest.raises(ClassroomError, match="positive number of seconds, got 0"):
        classroom_course.init_course(tmp_path / "c", ["01"], cell_timeout_seconds=0)
    timeouts = classroom_course.init_course(tmp_path / "c", ["03", "01_images_as_data"])
    assert list(timeouts) == ["01_images_as_data", "03_pooling"]
    edited = tmp_path / "c" / "source" / "03_pooling" / "03_pooling.ipynb"
    edited.write_text(edited.read_text() + " ")
    with pytest.raises(ClassroomError, match="03_pooling.ipynb.*--force"):
        classroom_course.init_course(tmp_path / "c", ["03"])
    classroom_course.init_course(tmp_path / "c", ["03"], force=True)
    assert edited.read_bytes() == (ROOT / "chapters" / "03_pooling.ipynb").read_bytes()
    config = (tmp_path / "c" / "nbgrader_config.py").read_text()
    assert "'COURSE_STRICT': '1'" in config and '"03_pooling": ' in config


def test_grade_refuses_a_folder_that_is_no_course_and_a_chapter_not_generated(tmp_path):
    from course_tools.classroom.grade import grade_class

    with pytest.raises(ClassroomError, match="no nbgrader_config.py: expected a course written by"):
        grade_class(tmp_path, "01_images_as_data")
    classroom_course.init_course(tmp_path / "c", ["01"])
    with pytest.raises(ClassroomError, match="nbgrader generate_assignment 01_images_as_data"):
        grade_class(tmp_path / "c", "01_images_as_data")
    with pytest.raises(ClassroomError, match="no assignment '03_pooling'"):
        grade_class(tmp_path / "c", "03_pooling")
    with pytest.raises(ClassroomError, match="--workers should be a whole number of at least 1, got 0"):
        grade_class(tmp_path / "c", "01_images_as_data", workers=0)
