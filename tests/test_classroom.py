"""nbgrader's whole loop on a real chapter, with the course's classroom commands (no mocks).

``classroom init`` writes a course with chapter 01; nbgrader generates, releases, five students fetch and
submit, the teacher collects; ``classroom grade`` grades with two workers and again with one; feedback goes
back and the gradebook is exported. The five students:

* alice: the reference answers: full score;
* bob: every stub left as released, graded with ``COURSE_STRICT`` unset in this process: 0;
* carol: a wrong ``rgb_to_gray`` and, in the same cell, ``checks.check_rgb_to_gray = lambda f: True``:
  ``tampered``, that exercise 0, the rest kept;
* dave: a ``to_tiles`` cell that hangs: ``timeout`` on that exercise only (a short timeout for the test);
* erin: a ``rgb_to_gray`` cell that kills its kernel, as a hub's out-of-memory killer does: ``kernel-died``,
  the exercise checked before it kept, the four after it named as not reached.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course_tools.classroom import exercises as table

import pytest

ROOT = Path(__file__).resolve().parent.parent
STEM = "01_images_as_data"
CELL_TIMEOUT = 20  # seconds: chapter 01's slowest cell takes about 5 s in fast mode, dave's hangs
STUDENTS = ("alice", "bob", "carol", "dave", "erin")
WARNS = """
import sys
quiet_version = to_channels_first
def to_channels_first(images):
    print("a warning on stderr", file=sys.stderr)
    return quiet_version(images)
"""
pytestmark = [pytest.mark.once, pytest.mark.slow]


def _run(command, cwd, env, timeout=900):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode in (0, 1), (
        f"{' '.join(map(str, command))} failed:\n{(result.stdout + result.stderr)[-3000:]}"
    )
    return result


def _nbgrader(*arguments, cwd, env):
    result = _run([sys.executable, "-m", "nbgrader", *arguments], cwd, env)
    assert result.returncode == 0, (
        f"nbgrader {' '.join(arguments)}:\n{(result.stdout + result.stderr)[-3000:]}"
    )
    return result


def _answers(notebook):
    """{answer id: source} of the teacher's answers, markers removed."""
    return {
        cell_id: "\n".join(
            line for line in text.split("\n") if "### BEGIN" not in line and "### END" not in line
        )
        for cell_id, text in table.answer_sources(notebook).items()
    }


def _edit(path, answers):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        cell_id = table.grader(cell).get("grade_id")
        if table.grader(cell).get("solution") and cell_id in answers:
            cell["source"] = answers[cell_id]
    path.write_text(json.dumps(notebook), encoding="utf-8")


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """The loop up to `nbgrader collect`: (course, environment, students' folders, reference answers)."""
    base = tmp_path_factory.mktemp("classroom")
    course = base / "course"
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("COURSE_")
    }  # no COURSE_STRICT
    env.update(PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg")
    init = _run(
        [
            sys.executable,
            "-m",
            "course_tools",
            "classroom",
            "init",
            str(course),
            "--chapters",
            "01",
            "--cell-timeout",
            str(CELL_TIMEOUT),
        ],
        base,
        env,
    )
    assert init.returncode == 0, init.stderr
    _nbgrader("generate_assignment", STEM, cwd=course, env=env)
    _nbgrader("release_assignment", STEM, cwd=course, env=env)

    reference = _answers(json.loads((course / "source" / STEM / f"{STEM}.ipynb").read_text(encoding="utf-8")))
    wrong_gray = "def rgb_to_gray(image):\n    return image.mean(axis=-1)\n"
    edits = {
        "alice": reference,
        "bob": {},
        "carol": dict(reference, rgb_to_gray=wrong_gray + "checks.check_rgb_to_gray = lambda f: True\n"),
        # dave's to_channels_first also writes to stderr each time it runs, inside the graded checker cell
        "dave": dict(
            reference,
            to_tiles="import time\ntime.sleep(600)\n" + reference["to_tiles"],
            to_channels_first=reference["to_channels_first"] + WARNS,
        ),
        "erin": dict(
            reference,
            rgb_to_gray="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
            + reference["rgb_to_gray"],
        ),
    }

    def fetch_edit_submit(name):
        home = base / "students" / name
        home.mkdir(parents=True)
        shutil.copy(course / "student_nbgrader_config.py", home / "nbgrader_config.py")
        student_env = dict(env, HOME=str(home))
        _nbgrader("fetch_assignment", STEM, cwd=home, env=student_env)
        _edit(home / STEM / f"{STEM}.ipynb", edits[name])
        # one Unix user plays every student here, so each says who it is (a hub gives each its own user)
        _nbgrader("submit", STEM, "--student", name, cwd=home, env=student_env)
        return name, (home, student_env)

    with ThreadPoolExecutor(len(STUDENTS)) as pool:  # the students work at the same time, as in a class
        homes = dict(pool.map(fetch_edit_submit, STUDENTS))
    _nbgrader("collect", STEM, cwd=course, env=env)
    return course, env, homes, reference


@pytest.fixture(scope="module")
def graded(classroom):
    course, env, _, _ = classroom
    result = _run(
        [sys.executable, "-m", "course_tools", "classroom", "grade", str(course), STEM, "--workers", "2"],
        course,
        env,
    )
    return result, _read_csv(course / "grades" / f"{STEM}.csv")


def test_the_csv_has_one_row_per_student_with_the_interface_columns(graded, classroom):
    result, rows = graded
    with open(classroom[0] / "grades" / f"{STEM}.csv", newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == [
            "student",
            "status",
            "score",
            "max_score",
            "seconds",
            "peak_mb",
            "notes",
        ]
    assert sorted(rows) == sorted(STUDENTS)
    assert {row["max_score"] for row in rows.values()} == {"7"}
    assert result.returncode == 1, "exit status 0 only when every row is graded"
    for row in rows.values():
        assert float(row["seconds"]) > 1 and 200 < float(row["peak_mb"]) < 4000, row


def test_reference_answers_score_full_marks(graded):
    assert (graded[1]["alice"]["status"], graded[1]["alice"]["score"]) == ("graded", "7")


def test_untouched_stubs_score_zero_without_course_strict_in_the_environment(graded, classroom):
    assert "COURSE_STRICT" not in classroom[1]
    assert (graded[1]["bob"]["status"], graded[1]["bob"]["score"]) == ("graded", "0")


def test_a_rebound_checker_is_caught(graded):
    carol = graded[1]["carol"]
    assert (carol["status"], carol["score"]) == ("tampered", "6")
    assert "rgb_to_gray" in carol["notes"] and "course_lib.checks.images.check_rgb_to_gray" in carol["notes"]


def test_a_hung_cell_costs_its_exercise_only(graded):
    dave = graded[1]["dave"]
    assert (dave["status"], dave["score"]) == ("timeout", "5")
    assert f"timeout ({CELL_TIMEOUT} s per cell): to_tiles" in dave["notes"]


def test_stderr_in_a_graded_cell_does_not_cost_a_correct_answer_its_points(graded, classroom):
    """nbgrader alone scores a graded cell that wrote to stderr 0; the course's Execute step does not."""
    from nbgrader.api import Gradebook

    course = classroom[0]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        grade = gradebook.find_grade("check_to_channels_first", STEM, STEM, "dave")
        assert (grade.auto_score, grade.score) == (2, 2)
    autograded = json.loads((course / "autograded" / "dave" / STEM / f"{STEM}.ipynb").read_text())
    cell = next(
        cell
        for cell in autograded["cells"]
        if table.grader(cell).get("grade_id") == "check_to_channels_first"
    )
    shown = [(output.get("name"), "".join(output.get("text", ""))) for output in cell["outputs"]]
    assert ("stdout", "a warning on stderr\n") in shown and "stderr" not in dict(shown)


def test_a_killed_kernel_keeps_the_points_checked_before_it(graded):
    erin = graded[1]["erin"]
    assert (erin["status"], erin["score"]) == ("kernel-died", "1")
    assert "not reached: rgb_to_gray, to_channels_first, to_tiles, questionnaire" in erin["notes"]


def test_nbgraders_gradebook_and_export_agree_with_the_csv(graded, classroom):
    course, env, _, _ = classroom
    _nbgrader("export", cwd=course, env=env)
    exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(open(course / "grades.csv"))}
    assert exported == {name: float(row["score"]) for name, row in graded[1].items()}


def test_one_worker_gives_the_same_grades_as_two(graded, classroom, tmp_path):
    """Graded again one at a time, in a copy of the course without dave (whose hung cell takes longest)."""
    course, env, _, _ = classroom
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    shutil.rmtree(copy / "submitted" / "dave")
    config = copy / "nbgrader_config.py"
    config.write_text(
        config.read_text(encoding="utf-8").replace(repr(str(course)), repr(str(copy))), encoding="utf-8"
    )
    _run(
        [sys.executable, "-m", "course_tools", "classroom", "grade", str(copy), STEM, "--workers", "1"],
        copy,
        env,
    )
    again = _read_csv(copy / "grades" / f"{STEM}.csv")
    assert sorted(again) == ["alice", "bob", "carol", "erin"]
    assert {name: (row["status"], row["score"], row["notes"]) for name, row in again.items()} == {
        name: (row["status"], row["score"], row["notes"]) for name, row in graded[1].items() if name != "dave"
    }


def test_feedback_reaches_the_students_and_holds_no_solution_line(graded, classroom):
    course, env, homes, reference = classroom
    _nbgrader("generate_feedback", STEM, cwd=course, env=env)
    _nbgrader("release_feedback", STEM, cwd=course, env=env)
    home, student_env = homes["bob"]
    _nbgrader("fetch_feedback", STEM, "--student", "bob", cwd=home, env=student_env)
    pages = list((home / STEM / "feedback").rglob("*.html"))
    assert pages, "bob received no feedback"
    page = pages[0].read_text(encoding="utf-8")
    solution_lines = {
        line.strip()
        for text in reference.values()
        for line in text.split("\n")
        if line.strip() and not line.lstrip().startswith(("def ", "#"))
    }
    import html

    assert not [line for line in solution_lines if html.escape(line) in page or line in page]
    assert "0.0 / 7.0" in page   # bob's score: 0 of 7 points
    carol = (course / "feedback" / "carol" / STEM / f"{STEM}.html").read_text(encoding="utf-8")
    assert "Checked again outside your notebook" in carol
