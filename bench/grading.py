"""Grading time and memory: one submission per chapter, and a class of one chapter, with ``classroom grade``.

    python bench/grading.py [--chapters 01 05 ...] [--class-size 20] [--class-chapter 01] [--workers 2]

A course is written with ``classroom init`` in a temporary folder and every chapter generated with
nbgrader. Each chapter then gets one submission with the reference answers (the release with each answer
cell filled in), graded alone: the seconds and peak memory in ``grades/<stem>.csv`` (nbgrader's autograde
and the judge, kernel included). Then ``--class-size`` submissions of one chapter, every third one with the
stubs left, are graded one at a time and then with ``--workers``, side by side. Fast mode and the bundled
samples, as ``classroom init`` sets it.
Writes ``bench/results/grading.json``; the last line printed is the same JSON.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_tools import manifest  # noqa: E402
from course_tools.classroom import exercises as table  # noqa: E402
from course_tools.classroom.course import init_course, pick_chapters  # noqa: E402

GENERATE = ("import sys; from course_tools.classroom.course import generate_assignments; "
            "generate_assignments('.', sys.argv[1:])")


def submit(course: Path, stem: str, student: str, answered: bool) -> None:
    """Put a submission where ``nbgrader collect`` would: the release, with the reference answers if asked."""
    release = json.loads((course / "release" / stem / f"{stem}.ipynb").read_text(encoding="utf-8"))
    reference = table.answer_sources(table.read_notebook(course / "source" / stem / f"{stem}.ipynb"))
    if answered:
        for cell in release["cells"]:
            answer_id = table.grader(cell).get("grade_id")
            if table.grader(cell).get("solution") and answer_id in reference:
                lines = reference[answer_id].split("\n")
                cell["source"] = "\n".join(line for line in lines if "### " not in line)   # the markers
    target = course / "submitted" / student / stem / f"{stem}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(release), encoding="utf-8")


def grade(course: Path, stem: str, workers: int) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "course_tools", "classroom", "grade", str(course), stem,
                    "--workers", str(workers)], cwd=course, check=False, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    with open(course / "grades" / f"{stem}.csv", newline="", encoding="utf-8") as handle:
        return seconds, list(csv.DictReader(handle))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="+", help="chapter numbers or stems (default: all)")
    parser.add_argument("--class-size", type=int, default=20)
    parser.add_argument("--class-chapter", default="01")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    chapters = [chapter.stem for chapter in pick_chapters(args.chapters, manifest.load())]
    class_stem = pick_chapters([args.class_chapter], manifest.load())[0].stem

    with tempfile.TemporaryDirectory() as folder:
        course = Path(folder) / "course"
        init_course(course, sorted(set(chapters) | {class_stem}))
        subprocess.run([sys.executable, "-c", GENERATE, *sorted(set(chapters) | {class_stem})], cwd=course,
                       check=True)
        per_chapter = {}
        for stem in chapters:
            submit(course, stem, "reference", answered=True)
            seconds, rows = grade(course, stem, workers=1)
            row = rows[0]
            per_chapter[stem] = {"status": row["status"], "score": row["score"],
                                 "max_score": row["max_score"], "seconds": float(row["seconds"]),
                                 "peak_mb": float(row["peak_mb"])}
            print(f"{stem:36s} {row['status']:8s} {row['score']:>3s}/{row['max_score']:<3s} "
                  f"{float(row['seconds']):6.1f} s {float(row['peak_mb']):6.0f} MB", flush=True)

        students = [f"student{number:02d}" for number in range(1, args.class_size + 1)]
        for number, student in enumerate(students):
            submit(course, class_stem, student, answered=number % 3 != 2)
        class_runs = []
        for workers in sorted({1, args.workers}):   # side by side: one at a time, then --workers at once
            seconds, rows = grade(course, class_stem, workers=workers)
            rows = [row for row in rows if row["student"] in students]
            class_runs.append({"chapter": class_stem, "submissions": len(rows), "workers": workers,
                               "seconds": round(seconds, 1),
                               "statuses": sorted({row["status"] for row in rows}),
                               "scores": sorted({row["score"] for row in rows}),
                               "peak_mb": max(float(row["peak_mb"]) for row in rows)})
            print(f"class: {len(rows)} submissions of {class_stem}, {workers} worker(s): {seconds:.1f} s "
                  f"({seconds / len(rows):.1f} s per submission)", flush=True)
        if len(class_runs) == 2:
            ratio = class_runs[0]["seconds"] / class_runs[1]["seconds"]
            print(f"{args.workers} workers against 1: {ratio:.2f}x as fast", flush=True)

    result = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
              "date": time.strftime("%Y-%m-%d"), "per_chapter": per_chapter, "class": class_runs}
    out = ROOT / "bench" / "results" / "grading.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
