"""Command line for learners and teachers: ``python -m course_tools <command>``.

``python -m course_tools <command>`` is the same command line (an alias).

    python -m course_tools info                    versions, device, mode, which data would be used
    python -m course_tools fetch [FOLDER]          download MNIST and Fashion-MNIST once (default: data/)
    python -m course_tools student chapters/ OUT/  write the student version (solutions stubbed out)
    python -m course_tools doctor                  check this machine: one line per check, with fixes
    python -m course_tools site OUT/ [--fast]      run the chapters and write a static HTML site (offline)
    python -m course_tools slides --write|--check NOTEBOOKS...   slide types for presenting the chapters
    python -m course_tools chapters --write|--check   regenerate what chapters/chapters.toml feeds
    python -m course_tools classroom init|grade ...   grade a class with nbgrader (course_tools/classroom)
"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools", description="Course helper commands.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="print versions, device, mode and which dataset copies would be used"
                                     " (looks only)")
    fetch = commands.add_parser("fetch", help="download the datasets once, for a classroom without network")
    fetch.add_argument("folder", nargs="?", default=None, help="where to save mnist.npz (default: data/)")
    student = commands.add_parser("student", help="write student notebooks with the solutions stubbed out")
    student.add_argument("source", help="folder with the chapter notebooks, e.g. chapters/")
    student.add_argument("target", help="folder to write the student notebooks into")
    doctor = commands.add_parser("doctor", help="check this machine (versions, backend, device, datasets, "
                                                "disk, widgets, a Jupyter kernel); exit status 1 on problems")
    doctor.add_argument("--no-kernel", action="store_true",
                        help="skip starting a Jupyter kernel (the slow check)")
    doctor.add_argument("--kernel-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="how long a kernel may take to start and answer (default: 60)")
    from course_tools import classroom, manifest, site, slides

    classroom.add_parser(commands)
    site.add_parser(commands)
    slides.add_parser(commands)
    manifest.add_parser(commands)
    args = parser.parse_args(argv)

    if args.command in ("site", "slides", "chapters", "classroom"):
        tools = {"site": site, "slides": slides, "chapters": manifest, "classroom": classroom}
        return tools[args.command].main(args)

    if args.command == "student":
        from course_tools.student import write_student_version

        summary = write_student_version(args.source, args.target)
        for name, count in summary.items():
            print(f"{name}: {count} solution(s) replaced by stubs")
        print(f"{len(summary)} notebooks written to {args.target}")
        return 0

    if args.command == "doctor":
        from course_tools import doctor

        return doctor.run(kernel=not args.no_kernel, kernel_timeout=args.kernel_timeout)

    from course_lib import data

    if args.command == "fetch":
        failures = 0
        for name, fetch in (("MNIST", data.fetch_mnist), ("Fashion-MNIST", data.fetch_fashion_mnist)):
            try:
                target = fetch(args.folder)
            except Exception as error:
                failures += 1
                print(f"could not download {name} ({type(error).__name__}: {error}); "
                      "see data/README.md for copying it from another machine", file=sys.stderr)
            else:
                print(f"saved and verified {target}")
        return 1 if failures else 0

    from course_lib import train

    train.device_report()
    for dataset, where in data.describe_sources().items():   # looks only: info never starts a download
        print(f"{dataset + ' source':<22}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
