"""``classroom init``: a standard nbgrader course with one assignment per chapter.

    COURSE_DIR/nbgrader_config.py            the course's settings (below); rewrite it with init, not by hand
    COURSE_DIR/student_nbgrader_config.py    what each student's nbgrader needs (course id, exchange)
    COURSE_DIR/source/<stem>/<stem>.ipynb    the teacher's copy of each chapter (with its solutions)

The assignment id is the chapter's stem (``01_images_as_data``). The settings force what grading needs,
whatever the teacher's shell has: strict checks (a failed check raises, so an untouched stub scores 0),
fast mode, offline data, a cell timeout per chapter from the chapter manifest, and the course's stubs.
"""

from __future__ import annotations

import datetime
import json
import math
import shutil
from pathlib import Path

from course_tools import manifest

#: The cell timeout is this many times the chapter's whole fast-mode run on the reference machine
#: (a margin for a slower computer and for two submissions graded at once), and at least MIN_CELL_TIMEOUT.
TIMEOUT_FACTOR = 5
MIN_CELL_TIMEOUT = 60
DEFAULT_CELL_TIMEOUT = 300  # a chapter without a fast-mode time in the manifest
KERNEL_ENV = {"COURSE_STRICT": "1", "COURSE_FAST": "1", "COURSE_OFFLINE": "1"}
IGNORED = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "artifacts"]

CONFIG_TEMPLATE = '''"""nbgrader's settings for this course (`python -m course_tools classroom init`, {date}).

Run nbgrader's commands in this folder; one assignment per chapter, source/<stem>/<stem>.ipynb (README,
"Grading a class"; TEACHING.md). To change a setting, run `classroom init` again with its options.
"""
from course_tools.classroom.execute import autograde_steps
from course_tools.student import BEGIN, CODE_STUB, END, MARKDOWN_STUB

c = get_config()  # noqa: F821 -- nbgrader (traitlets) defines get_config when it reads this file

c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
c.CourseDirectory.ignore = {ignore!r}
c.Exchange.root = {exchange!r}

# The student version: the same stubs as `python -m course_tools student`.
c.ClearSolutions.code_stub = {{"python": CODE_STUB}}
c.ClearSolutions.text_stub = MARKDOWN_STUB
c.ClearSolutions.begin_solution_delimeter = BEGIN   # nbgrader spells it "delimeter"
c.ClearSolutions.end_solution_delimeter = END

# Autograding: nbgrader's steps with the course's Execute (course_tools/classroom/execute.py). Every kernel
# it starts gets strict checks (an untouched stub scores 0), fast mode and offline data, whatever this
# shell has set; a dead kernel keeps the points checked before it died; stderr in a checker costs nothing.
c.Autograde.autograde_preprocessors = autograde_steps()
c.CourseExecute.kernel_env = {kernel_env!r}
# Seconds per cell, per chapter: {factor} x the chapter's fast-mode run (chapters/chapters.toml), at least
# {minimum}.
c.CourseExecute.cell_timeouts = {timeouts}
c.CourseExecute.default_cell_timeout = {default_timeout}
'''

STUDENT_TEMPLATE = '''"""nbgrader's settings for a student of course {course_id!r} (from `classroom init`).

Copy it to each student's ~/.jupyter/nbgrader_config.py, or to /etc/jupyter/nbgrader_config.py on a shared
machine, so that `nbgrader fetch_assignment`, `submit` and `fetch_feedback` find the course.
"""
c = get_config()  # noqa: F821 -- nbgrader (traitlets) defines get_config when it reads this file

c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
'''


class ClassroomError(ValueError):
    """A classroom command cannot go on; the message says what was expected and what was found."""


def cell_timeout(chapter: manifest.Chapter) -> int:
    """Seconds per cell for grading ``chapter`` in fast mode (see TIMEOUT_FACTOR)."""
    seconds = chapter.measured.get("fast", {}).get("seconds")
    if not seconds:
        return DEFAULT_CELL_TIMEOUT
    return max(MIN_CELL_TIMEOUT, int(math.ceil(TIMEOUT_FACTOR * max(seconds) / 10) * 10))


def pick_chapters(requested, chapters: list[manifest.Chapter]) -> list[manifest.Chapter]:
    """The chapters named by number ("01", "08a") or stem, in course order; all when none is named."""
    if not requested:
        return list(chapters)
    by_name = {chapter.number: chapter for chapter in chapters} | {
        chapter.stem: chapter for chapter in chapters
    }
    unknown = [name for name in requested if name not in by_name]
    if unknown:
        raise ClassroomError(
            f"unknown chapter(s) {', '.join(unknown)}; expected numbers or stems among: "
            f"{', '.join(chapter.number for chapter in chapters)}"
        )
    wanted = {by_name[name].stem for name in requested}
    return [chapter for chapter in chapters if chapter.stem in wanted]


def init_course(
    course_dir,
    requested=None,
    *,
    course_id: str | None = None,
    exchange=None,
    cell_timeout_seconds: int | None = None,
    data_dir=None,
    force: bool = False,
) -> dict:
    """Write the course (see the module docstring); return {stem: cell timeout}.

    A source notebook that exists and differs from the chapter is kept unless ``force`` (the teacher may
    have edited it); the config files are always rewritten."""
    root = Path(course_dir).resolve()
    chapters = pick_chapters(requested, manifest.load())
    if root.exists() and not root.is_dir():
        raise ClassroomError(f"COURSE_DIR should be a folder; {root} is a file")
    course_id = course_id or "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in root.name)
    exchange = Path(exchange).resolve() if exchange else root / "exchange"
    if cell_timeout_seconds is not None and (
        isinstance(cell_timeout_seconds, bool) or cell_timeout_seconds < 1
    ):
        raise ClassroomError(
            f"the cell timeout should be a positive number of seconds, got {cell_timeout_seconds!r}"
        )
    timeouts = {chapter.stem: cell_timeout_seconds or cell_timeout(chapter) for chapter in chapters}

    kept = []
    for chapter in chapters:
        target = root / "source" / chapter.stem / f"{chapter.stem}.ipynb"
        if target.exists() and not force and target.read_bytes() != chapter.notebook.read_bytes():
            kept.append(str(target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(chapter.notebook, target)
    if kept:
        raise ClassroomError(
            "these source notebooks differ from the chapters (edited?) and were kept: "
            f"{', '.join(kept)}; run again with --force to overwrite them"
        )
    exchange.mkdir(parents=True, exist_ok=True)
    environment = dict(KERNEL_ENV, **({"COURSE_DATA_DIR": str(Path(data_dir).resolve())} if data_dir else {}))
    config = CONFIG_TEMPLATE.format(
        date=datetime.date.today().isoformat(),
        course_id=course_id,
        root=str(root),
        ignore=IGNORED,
        exchange=str(exchange),
        kernel_env=environment,
        factor=TIMEOUT_FACTOR,
        minimum=MIN_CELL_TIMEOUT,
        timeouts=json.dumps(timeouts, indent=4).replace("\n}", ",\n}") if timeouts else "{}",
        default_timeout=cell_timeout_seconds or DEFAULT_CELL_TIMEOUT,
    )
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    (root / "student_nbgrader_config.py").write_text(
        STUDENT_TEMPLATE.format(course_id=course_id, exchange=str(exchange)), encoding="utf-8"
    )
    return timeouts


def generate_assignments(course_dir, stems) -> None:
    """``nbgrader generate_assignment <stem>`` for each stem, into the gradebook, in this process (one
    start-up of nbgrader instead of one per chapter: the tests and bench/grading.py release every chapter)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = str(Path(course_dir).resolve())
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    api = NbGraderAPI(CourseDirectory(config=config, root=root), config=config)
    for stem in stems:
        result = api.generate_assignment(stem, force=True, create=True)
        if not result["success"]:
            raise ClassroomError(f"nbgrader generate_assignment {stem} failed: {result.get('error', '')}"
                                 f"{result.get('log', '')}")
