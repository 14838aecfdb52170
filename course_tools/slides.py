"""Slide types for presenting a chapter (jupyterlab-rise, or ``jupyter nbconvert --to slides``).

    python -m course_tools slides --write chapters/*.ipynb    set ``metadata.slideshow.slide_type`` in place
    python -m course_tools slides --check chapters/*.ipynb    exit status 1 if a notebook's slide types differ

The slide type of a cell follows from the notebook's content alone, so running ``--write`` twice
changes nothing, and ``--check`` fails when cells were added or moved since the last ``--write``:

* the title cell (the first cell) and every cell with a section heading (a line starting ``## ``)
  start a **slide**;
* a ``### `` heading, an exercise's prompt (the markdown cell just before a solution cell, e.g.
  "**Exercise.**" or "**Questionnaire.**") and the "Predict, then run" prompts start a **subslide**;
  the solution and checker cells stay on it ("-");
* the "**Explain.**" answer to a prediction appears as a **fragment** (one more click);
* every other cell continues the current slide ("-"), except that a markdown cell starts a new
  subslide when the slide already holds about a screenful (``SCREEN_LINES`` estimated lines).

Only ``metadata.slideshow`` changes; the notebook is written back as the course writes notebooks
(``json.dumps(nb, indent=1, ensure_ascii=False) + "\\n"``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from course_tools.student import BEGIN

SLIDE, SUBSLIDE, FRAGMENT, CONTINUE = "slide", "subslide", "fragment", "-"
SCREEN_LINES = 24          # about what a projected slide shows at a readable font size (1280×800)
CODE_OUTPUT_LINES = 8      # allowance for a code cell's output (a plot, a table or a few printed lines)
WRAP = 100                 # characters of a markdown line on a slide


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _first_line(cell) -> str:
    for line in _text(cell).splitlines():
        if line.strip():
            return line.strip()
    return ""


def _is_solution(cell) -> bool:
    return BEGIN in _text(cell) or bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def _is_checker(cell) -> bool:
    grader = cell.get("metadata", {}).get("nbgrader", {})
    return bool(grader.get("grade")) or "checks.check_" in _text(cell)


def _height(cell) -> int:
    """Estimated lines a cell takes on a slide."""
    lines = _text(cell).splitlines() or [""]
    if cell.get("cell_type") == "code":
        return len(lines) + CODE_OUTPUT_LINES
    return sum(1 + len(line) // WRAP for line in lines)


def slide_types(notebook: dict) -> list[str]:
    """The slide type of every cell of ``notebook`` (a parsed .ipynb), from its content only."""
    cells = notebook["cells"]
    types = [None] * len(cells)
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and _is_solution(cell):
            prompted = index > 0 and cells[index - 1].get("cell_type") == "markdown"
            if prompted and types[index - 1] is None:
                types[index - 1] = SUBSLIDE
            types[index] = CONTINUE if prompted else SUBSLIDE
            if index + 1 < len(cells) and _is_checker(cells[index + 1]):
                types[index + 1] = CONTINUE
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "markdown":
            continue
        lines = [line.strip() for line in _text(cell).splitlines()]
        if index == 0 or any(line.startswith("## ") for line in lines):
            types[index] = SLIDE
        elif types[index] is None and any(line.startswith("### ") for line in lines):
            types[index] = SUBSLIDE
        elif types[index] is None and _first_line(cell).startswith("**Explain"):
            types[index] = FRAGMENT
    types[0] = SLIDE
    used = 0
    for index, cell in enumerate(cells):
        height = _height(cell)
        if types[index] in (SLIDE, SUBSLIDE):
            used = height
            continue
        if types[index] is None:
            crowded = used > 0 and used + height > SCREEN_LINES
            types[index] = SUBSLIDE if crowded and cell.get("cell_type") == "markdown" else CONTINUE
            if types[index] == SUBSLIDE:
                used = height
                continue
        used += height
    return types


def apply(notebook: dict) -> int:
    """Set every cell's ``metadata.slideshow.slide_type`` in place; return how many cells changed."""
    changed = 0
    for cell, kind in zip(notebook["cells"], slide_types(notebook)):
        metadata = cell.setdefault("metadata", {})
        if metadata.get("slideshow", {}).get("slide_type") == kind:
            continue
        was_sorted = list(metadata) == sorted(metadata)
        metadata["slideshow"] = {**metadata.get("slideshow", {}), "slide_type": kind}
        if was_sorted:   # keep keys in the order Jupyter writes them (sorted), so a save changes nothing
            cell["metadata"] = dict(sorted(metadata.items()))
        changed += 1
    return changed


def serialise(notebook: dict) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def process(paths: list[str | Path], write: bool) -> dict[str, int]:
    """{notebook: cells whose slide type differs (and, with ``write``, was set)}."""
    report = {}
    for path in map(Path, paths):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        changed = apply(notebook)
        report[str(path)] = changed
        if write and changed:
            path.write_text(serialise(notebook), encoding="utf-8")
    return report


def add_parser(commands) -> None:
    slides = commands.add_parser("slides", help="set or check the slide type of every cell (RISE, "
                                                "nbconvert --to slides)")
    mode = slides.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="set the slide types in place")
    mode.add_argument("--check", action="store_true",
                      help="change nothing; exit status 1 if a notebook's slide types are missing or stale")
    slides.add_argument("notebooks", nargs="+", help="notebooks, e.g. chapters/*.ipynb")


def main(args) -> int:
    report = process(args.notebooks, write=args.write)
    stale = {name: count for name, count in report.items() if count}
    for name, count in report.items():
        if args.write:
            print(f"{name}: {count} cell(s) updated" if count else f"{name}: unchanged")
        elif count:
            print(f"{name}: {count} cell(s) lack their slide type or have a stale one", file=sys.stderr)
    if args.check and stale:
        print("fix with: python -m course_tools slides --write " + " ".join(stale), file=sys.stderr)
        return 1
    return 0
