"""Write the student version of the course's notebooks (teachers, see README "Teaching with it").

Reference solutions sit between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines (the nbgrader
convention). The student version replaces each such block, markers included, with a stub at the
same indentation that raises ``NotImplementedError``, and clears every output. Nothing else in a
notebook changes. In a markdown cell the block becomes an "Your answer here" line.

The rule is nbgrader's own (its ClearSolutions preprocessor): a line that contains a marker is a
marker line, and the stub lines take the marker line's indentation. The course's ``nbgrader_config.py``
(written by ``python -m course_tools classroom init``) sets nbgrader's stubs to ``CODE_STUB`` and
``MARKDOWN_STUB``, so that ``nbgrader generate_assignment``
and ``python -m course_tools student`` write the same text in every cell (tests/test_nbgrader.py).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = '# YOUR CODE HERE\nraise NotImplementedError("Write your solution here")'
MARKDOWN_STUB = "_Your answer here._"


class SolutionMarkerError(ValueError):
    """A BEGIN/END SOLUTION pair is unbalanced; the message names the notebook and cell."""


def strip_solutions(source: str, cell_type: str = "code", where: str = "cell") -> tuple[str, int]:
    """Replace every solution block in ``source``; return the new source and how many were replaced."""
    stub = (CODE_STUB if cell_type == "code" else MARKDOWN_STUB).split("\n")
    out, inside, count = [], False, 0
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN in line:
            if inside:
                raise SolutionMarkerError(f"{where}, line {number}: {BEGIN} inside another solution block")
            inside, count = True, count + 1
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + stub_line for stub_line in stub)
        elif END in line:
            if not inside:
                raise SolutionMarkerError(f"{where}, line {number}: {END} without a {BEGIN} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise SolutionMarkerError(f"{where}: {BEGIN} is never closed by {END}")
    return "\n".join(out), count


def student_notebook(notebook: dict, name: str = "notebook") -> tuple[dict, int]:
    """Return a student copy of a notebook (as parsed JSON) and the number of solutions removed."""
    if not isinstance(notebook, dict) or "cells" not in notebook:
        raise ValueError(f"{name} is not a Jupyter notebook (no 'cells' list)")
    copy = json.loads(json.dumps(notebook))
    total = 0
    for index, cell in enumerate(copy["cells"]):
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") in ("code", "markdown"):
            text, count = strip_solutions(text, cell["cell_type"], f"{name}, cell {index}")
            total += count
        cell["source"] = text
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return copy, total


def write_student_version(source_dir: str | Path, target_dir: str | Path) -> dict[str, int]:
    """Write every ``*.ipynb`` of ``source_dir`` into ``target_dir`` as a student version.

    Returns {notebook name: solutions removed}. Files other than notebooks are not copied.
    """
    source_dir, target_dir = Path(source_dir), Path(target_dir)
    if not source_dir.is_dir():
        raise FileNotFoundError(f"source folder {source_dir} does not exist")
    notebooks = sorted(source_dir.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no .ipynb notebooks in {source_dir}")
    if target_dir.resolve() == source_dir.resolve():
        raise ValueError("the target folder must differ from the source folder, "
                         "or solutions would be overwritten")
    target_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for path in notebooks:
        with open(path, encoding="utf-8") as handle:
            notebook = json.load(handle)
        student, count = student_notebook(notebook, path.name)
        with open(target_dir / path.name, "w", encoding="utf-8") as handle:
            json.dump(student, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        summary[path.name] = count
    return summary
