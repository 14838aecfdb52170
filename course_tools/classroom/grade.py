"""``classroom grade``: autograde every submission of one chapter, N at a time, and confirm each answer
outside the student's kernel.

For each ``COURSE_DIR/submitted/<student>/<stem>/<stem>.ipynb`` (what ``nbgrader collect`` leaves):

1. ``nbgrader autograde <stem> --student <student> --force``, with the course's settings (``execute.py``):
   the kernel's own verdicts, in the gradebook and in ``autograded/``;
2. the judge (``confirm.py``), in a process of its own: the answer cells in a fresh namespace, judged by
   freshly loaded checkers;
3. the two compared, exercise by exercise. An exercise scores its points only when the judge confirms it and
   the kernel reached it without running out of time. The gradebook gets these scores as manual scores, and
   each answer cell whose score changed gets a comment, so that nbgrader's feedback and export agree with
   ``grades/<stem>.csv``.

Status of a row: ``failed`` when nbgrader could not grade the submission (the log in ``grades/logs/``
says why); otherwise the first that applies: ``tampered`` (the kernel's checks passed an answer that the judge
finds wrong), ``kernel-died``, ``timeout``, ``failed`` (the judge stopped early, or an answer uses a name
defined outside the answer cells, which the judge cannot see: grade it by hand), ``graded``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from course_tools.classroom.course import ClassroomError
from course_tools.classroom.execute import METADATA_KEY
from course_tools.classroom.exercises import ExerciseTableError, exercises, grader, read_notebook

import psutil

COLUMNS = ("student", "status", "score", "max_score", "seconds", "peak_mb", "notes")
STATUSES = ("graded", "tampered", "timeout", "kernel-died", "failed")
IMPORT_SECONDS = 120  # the judge's allowance for importing the chapter's modules (TensorFlow)


@dataclass
class Row:
    student: str
    status: str = "graded"
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    peak_mb: float = 0.0
    notes: list = field(default_factory=list)

    def as_csv(self) -> dict:
        return {
            "student": self.student,
            "status": self.status,
            "score": _number(self.score),
            "max_score": _number(self.max_score),
            "seconds": f"{self.seconds:.1f}",
            "peak_mb": f"{self.peak_mb:.0f}",
            "notes": "; ".join(self.notes),
        }


def _number(value: float) -> str:
    return f"{value:g}"


class PeakRSS:
    """The largest total resident memory of a process and its children, sampled every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(pid, interval), daemon=True)
        self._thread.start()

    def _watch(self, pid, interval):
        try:
            root = psutil.Process(pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                for process in [root, *root.children(recursive=True)]:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)
            self._stop.wait(interval)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def run_measured(command, *, cwd, env, log_path: Path, timeout: float):
    """Run ``command`` with its output in ``log_path``; return (exit status or None on timeout, peak MB)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        watcher = PeakRSS(process.pid)
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            status = None
        peak = watcher.stop()
    return status, peak


def _kill_group(process):
    try:
        os.killpg(process.pid, 9)
    except OSError:
        pass
    process.wait()


class Course:
    """What grading needs from ``COURSE_DIR``: its nbgrader settings, paths and gradebook."""

    def __init__(self, course_dir):
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        self.root = Path(course_dir).resolve()
        if not (self.root / "nbgrader_config.py").exists():
            raise ClassroomError(
                f"{self.root} has no nbgrader_config.py: expected a course written by "
                f"`python -m course_tools classroom init {course_dir}`"
            )
        self.config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        self.coursedir = CourseDirectory(config=self.config, root=str(self.root))
        execute = self.config.get("CourseExecute", {})
        self.cell_timeouts = dict(execute.get("cell_timeouts", {}))
        self.default_timeout = int(execute.get("default_cell_timeout", 300))
        self.kernel_env = dict(execute.get("kernel_env", {}))

    def gradebook(self):
        from nbgrader.api import Gradebook

        return Gradebook(self.coursedir.db_url, self.coursedir.course_id)

    def source(self, stem: str) -> Path:
        return self.root / self.coursedir.source_directory / stem / f"{stem}.ipynb"

    def submitted(self, student: str, stem: str) -> Path:
        return self.root / self.coursedir.submitted_directory / student / stem / f"{stem}.ipynb"

    def autograded(self, student: str, stem: str) -> Path:
        return self.root / self.coursedir.autograded_directory / student / stem / f"{stem}.ipynb"

    def students_with_submissions(self, stem: str) -> list[str]:
        folder = self.root / self.coursedir.submitted_directory
        return (
            sorted(path.name for path in folder.glob("*") if (path / stem).is_dir())
            if folder.is_dir()
            else []
        )


def _cell_indices(notebook: dict) -> dict[str, int]:
    return {
        grader(cell)["grade_id"]: index
        for index, cell in enumerate(notebook["cells"])
        if grader(cell).get("grade_id")
    }


def _kernel_claims(course: Course, stem: str, student: str) -> dict[str, float]:
    """{graded cell id: the score nbgrader's run in the student's kernel gave it}."""
    with course.gradebook() as gradebook:
        notebook = gradebook.find_submission_notebook(stem, stem, student)
        return {grade.name: grade.auto_score or 0.0 for grade in notebook.grades}


def grade_submission(course: Course, stem: str, student: str, table, timeout: int) -> tuple[Row, dict]:
    """Grade one student's submission; return its row and {exercise: (points earned, comment or None)}."""
    row = Row(student, max_score=sum(exercise.points for exercise in table))
    logs = course.root / "grades" / "logs" / stem
    started = time.perf_counter()
    earned = {}
    submitted = course.submitted(student, stem)
    if not submitted.exists():
        row.status, row.notes = "failed", [f"no {submitted.name} in {submitted.parent}"]
        return row, earned
    try:
        read_notebook(submitted)
    except ExerciseTableError as error:
        row.status, row.notes = "failed", [str(error)]
        return row, earned

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg")
    cells = len(read_notebook(course.source(stem))["cells"])
    status, peak = run_measured(
        [sys.executable, "-m", "nbgrader", "autograde", stem, "--student", student, "--force"],
        cwd=course.root,
        env=env,
        log_path=logs / f"{student}.autograde.log",
        timeout=timeout * cells + 120,
    )

    results = logs / f"{student}.confirm.jsonl"
    results.unlink(missing_ok=True)
    judge_env = {**env, **course.kernel_env, "COURSE_STRICT": "0"}  # the judge reads each verdict itself
    judge_status, judge_peak = run_measured(
        [
            sys.executable,
            "-m",
            "course_tools.classroom.confirm",
            str(course.source(stem)),
            str(submitted),
            str(results),
            "--timeout",
            str(timeout),
        ],
        cwd=course.root,
        env=judge_env,
        log_path=logs / f"{student}.confirm.log",
        timeout=IMPORT_SECONDS + (2 * timeout + 10) * len(table),
    )
    row.seconds = time.perf_counter() - started
    row.peak_mb = max(peak, judge_peak)

    verdicts = {}
    if results.exists():
        for line in results.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            verdicts[record["check_id"]] = record

    autograded = course.autograded(student, stem)
    if status != 0 or not autograded.exists():
        log = (logs / f"{student}.autograde.log").read_text(encoding="utf-8", errors="replace").strip()
        last = log.splitlines()[-1] if log else "no output"
        why = "ran out of time" if status is None else f"exit status {status}"
        row.status, row.notes = "failed", [f"nbgrader autograde failed ({why}): {last[-300:]}"]
        row.score = sum(
            exercise.points
            for exercise in table
            if verdicts.get(exercise.check_id, {}).get("outcome") == "confirmed"
        )
        if row.score:
            row.notes.append(f"confirmed outside the kernel: {_names(table, verdicts, 'confirmed')}")
        return row, earned

    graded_notebook = read_notebook(autograded)
    seen = graded_notebook.get("metadata", {}).get(METADATA_KEY, {})
    where = _cell_indices(graded_notebook)
    died_at = seen.get("kernel_died_at_cell")
    timed_out = set(seen.get("timed_out_cells", []))
    claims = _kernel_claims(course, stem, student)

    tampered, unreached, out_of_time, changed, rescued, outside = [], [], [], [], [], []
    for exercise in table:
        verdict = verdicts.get(exercise.check_id, {"outcome": "not judged", "message": "", "changed": []})
        check_cell = where.get(exercise.check_id, -1)
        reached = died_at is None or check_cell < died_at
        late = (
            bool(timed_out & {where.get(exercise.answer_id, -1), check_cell})
            or verdict["outcome"] == "timeout"
        )
        claimed = claims.get(exercise.check_id, 0.0) > 0
        points = exercise.points if (verdict["outcome"] == "confirmed" and reached and not late) else 0.0
        comment = None
        if verdict.get("changed"):
            changed.append(f"{exercise.answer_id} ({', '.join(verdict['changed'])})")
        if not reached:
            unreached.append(exercise.answer_id)
            comment = f"Not graded: the kernel died in cell {died_at}, before this exercise's check ran."
        elif late:
            out_of_time.append(exercise.answer_id)
            comment = f"Not graded: a cell of this exercise ran longer than the {timeout} s allowed."
        elif verdict["outcome"] == "outside":
            outside.append(f"{exercise.answer_id} ({verdict['message']})")
            comment = (
                "Not confirmed: this answer uses a name defined outside the answer cells; an answer may "
                "use the chapter's imports and your earlier answers. Your teacher will look at it."
            )
        elif claimed and points == 0:
            tampered.append(f"{exercise.answer_id} ({verdict['outcome']}: {verdict['message']})")
            comment = (
                "Checked again outside your notebook's kernel, this answer is not right: "
                f"{verdict['message']}"
            )
        elif points and not claimed:
            rescued.append(exercise.answer_id)
            comment = "Confirmed outside the kernel (the check in the notebook reported a problem)."
        earned[exercise] = (points, comment)
        row.score += points

    if tampered:
        row.notes.append("the kernel's check passed, the check outside it did not: " + "; ".join(tampered))
    if changed:
        row.notes.append(
            "answer cells changed the course's or NumPy's code (undone before checking): "
            + "; ".join(changed)
        )
    if died_at is not None:
        row.notes.append(f"kernel died in cell {died_at}; not reached: {', '.join(unreached) or 'none'}")
    if out_of_time:
        row.notes.append(f"timeout ({timeout} s per cell): {', '.join(out_of_time)}")
    if rescued:
        row.notes.append(
            f"confirmed outside the kernel although its check in the kernel failed: {', '.join(rescued)}"
        )
    if outside:
        row.notes.append("could not be judged outside the kernel, grade by hand: " + "; ".join(outside))
    if judge_status != 0:
        why = "ran out of time" if judge_status is None else f"exit status {judge_status}"
        row.notes.append(
            f"the check outside the kernel stopped ({why}) after {len(verdicts)} of {len(table)} exercises"
        )
    row.status = (
        "tampered"
        if tampered
        else "kernel-died"
        if died_at is not None
        else "timeout"
        if out_of_time
        else "graded"
    )
    if (judge_status != 0 or outside) and row.status == "graded":
        row.status = "failed"
    return row, earned


def _names(table, verdicts, outcome):
    return ", ".join(
        exercise.answer_id
        for exercise in table
        if verdicts.get(exercise.check_id, {}).get("outcome") == outcome
    )


def record_in_gradebook(course: Course, stem: str, student: str, earned: dict) -> None:
    """Write the confirmed scores as manual scores (where they differ from nbgrader's) and the comments."""
    if not earned:
        return
    with course.gradebook() as gradebook:
        for exercise, (points, comment) in earned.items():
            grade = gradebook.find_grade(exercise.check_id, stem, stem, student)
            grade.manual_score = None if (grade.auto_score or 0.0) == points else points
            grade.needs_manual_grade = False
            try:
                note = gradebook.find_comment(exercise.answer_id, stem, stem, student)
            except Exception:  # an answer cell the student deleted has no comment to attach to
                continue
            note.manual_comment = comment
        gradebook.db.commit()


def grade_class(course_dir, stem: str, workers: int = 1, echo=print) -> list[Row]:
    """Grade every submission of ``stem``; write ``grades/<stem>.csv``; return the rows."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ClassroomError(f"--workers should be a whole number of at least 1, got {workers!r}")
    course = Course(course_dir)
    source = course.source(stem)
    if not source.exists():
        raise ClassroomError(f"no assignment {stem!r}: expected {source} (written by `classroom init`)")
    table = exercises(read_notebook(source), str(source))
    with course.gradebook() as gradebook:
        try:
            gradebook.find_assignment(stem)
        except Exception:
            raise ClassroomError(
                f"assignment {stem!r} is not in the gradebook yet: run "
                f"`nbgrader generate_assignment {stem}` in {course.root} first"
            ) from None
    students = course.students_with_submissions(stem)
    if not students:
        raise ClassroomError(
            f"no submissions of {stem!r} under {course.root / 'submitted'}: expected "
            f"submitted/<student>/{stem}/{stem}.ipynb, as `nbgrader collect {stem}` leaves them"
        )
    with course.gradebook() as gradebook:
        for student in students:  # before the workers start: they would all add them to SQLite at once
            gradebook.update_or_create_student(student)
    timeout = int(course.cell_timeouts.get(stem, course.default_timeout))
    lock = threading.Lock()

    def one(student):
        row, earned = grade_submission(course, stem, student, table, timeout)
        with lock:
            record_in_gradebook(course, stem, student, earned)
            echo(
                f"{student}: {row.status}, {_number(row.score)}/{_number(row.max_score)}, "
                f"{row.seconds:.1f} s, {row.peak_mb:.0f} MB"
                + (f" ({'; '.join(row.notes)})" if row.notes else "")
            )
        return row

    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(one, students))
    target = course.root / "grades" / f"{stem}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(row.as_csv() for row in rows)
    echo(
        f"{len(rows)} submissions of {stem}: {sum(row.status == 'graded' for row in rows)} graded; "
        f"wrote {target}"
    )
    return rows
