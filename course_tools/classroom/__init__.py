"""Grading a class with nbgrader: ``python -m course_tools classroom init|grade``.

    python -m course_tools classroom init COURSE_DIR [--chapters 01 03 ...]
        a standard nbgrader course, one assignment per chapter (course.py)
    python -m course_tools classroom grade COURSE_DIR <stem> [--workers N]
        autograde every submission, confirm each answer outside the student's kernel, and write
        COURSE_DIR/grades/<stem>.csv (grade.py); exit status 0 only when every row is "graded"

``exercises``  which checker judges which answer, read from the teacher's notebook
``execute``    nbgrader's Execute step with per-chapter timeouts, dead kernels and stderr handled
``confirm``    the judge that runs a submission's answers outside its kernel
"""

from __future__ import annotations


def add_parser(commands) -> None:
    classroom = commands.add_parser(
        "classroom", help="grade a class with nbgrader: init a course, grade a chapter"
    )
    actions = classroom.add_subparsers(dest="action", required=True)
    init = actions.add_parser("init", help="write an nbgrader course with one assignment per chapter")
    init.add_argument("course_dir", metavar="COURSE_DIR")
    init.add_argument(
        "--chapters", nargs="+", metavar="CHAPTER", help="chapter numbers or stems, e.g. 01 03 (default: all)"
    )
    init.add_argument("--course-id", help="nbgrader's course id (default: COURSE_DIR's folder name)")
    init.add_argument(
        "--exchange",
        help="nbgrader's exchange folder, shared with the students (default: COURSE_DIR/exchange)",
    )
    init.add_argument(
        "--data-dir",
        help="a shared folder with the datasets, set as COURSE_DATA_DIR in "
        "grading kernels (default: the bundled samples)",
    )
    init.add_argument(
        "--cell-timeout",
        type=int,
        metavar="SECONDS",
        help="seconds per cell for every chapter (default: per chapter, from the manifest)",
    )
    init.add_argument("--force", action="store_true", help="overwrite source notebooks that differ")
    grade = actions.add_parser("grade", help="autograde and confirm every submission of one chapter")
    grade.add_argument("course_dir", metavar="COURSE_DIR")
    grade.add_argument("stem", help="the assignment id: the chapter's stem, e.g. 01_images_as_data")
    grade.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="submissions graded at once (default: 1; about one per two cores)",
    )


def main(args) -> int:
    import sys

    from course_tools.classroom.course import ClassroomError

    try:
        if args.action == "init":
            from course_tools.classroom.course import init_course

            timeouts = init_course(
                args.course_dir,
                args.chapters,
                course_id=args.course_id,
                exchange=args.exchange,
                cell_timeout_seconds=args.cell_timeout,
                data_dir=args.data_dir,
                force=args.force,
            )
            for stem, seconds in timeouts.items():
                print(f"source/{stem}/{stem}.ipynb  (cell timeout {seconds} s)")
            print(
                f"wrote an nbgrader course with {len(timeouts)} assignment(s) in {args.course_dir}; next, in "
                f"that folder: nbgrader generate_assignment <stem>, then release_assignment <stem>"
            )
            return 0
        from course_tools.classroom.grade import grade_class

        rows = grade_class(args.course_dir, args.stem, workers=args.workers)
        return 0 if all(row.status == "graded" for row in rows) else 1
    except ClassroomError as error:
        print(f"classroom {args.action}: {error}", file=sys.stderr)
        return 2
