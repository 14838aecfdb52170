"""Which answer each graded cell judges, read from the teacher's copy of a chapter.

Every exercise in a chapter is an answer cell (nbgrader ``solution``, its ``grade_id`` names the answer)
followed by a locked, graded checker cell that calls one of the course's checkers on that answer::

    def to_float(images):                   # answer cell, grade_id "to_float"
        ...
    checks.check_to_float(to_float)         # graded cell, grade_id "check_to_float", 1 point

The table is read from the teacher's notebook, never from a submission: a student may edit an unlocked
cell, so which checker judges which answer, and the import lines an answer may rely on, come from the
copy the teacher released.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

CHECKS_PACKAGE = "course_lib.checks"


class ExerciseTableError(ValueError):
    """The notebook's graded cells do not follow the course's pattern; the message names the cell."""


@dataclass(frozen=True)
class Exercise:
    answer_id: str  # grade_id of the answer cell, e.g. "to_float"
    check_id: str  # grade_id of the graded checker cell, e.g. "check_to_float"
    points: float
    answer_name: str  # the name the checker is given, e.g. "to_float"
    module: str  # the checker's module, e.g. "course_lib.checks.images"
    checker: str  # the checker's name in it, e.g. "check_to_float"
    answer_cell: int  # cell indices in the teacher's notebook
    check_cell: int


def read_notebook(path) -> dict:
    path = Path(path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ExerciseTableError(f"{path} is not a readable notebook: {error}") from error
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ExerciseTableError(f"{path} is not a Jupyter notebook (no 'cells' list)")
    return notebook


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def grader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def python_of(cell_source: str) -> str:
    """A cell's source as plain Python (IPython's magics and ``!`` lines become calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell_source)


def _tree(cell_source: str):
    try:
        return ast.parse(python_of(cell_source))
    except SyntaxError:
        return None


def import_lines(notebook: dict) -> list[str]:
    """The top-level import statements of the notebook's teacher cells (not answers), in order."""
    lines = []
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code" or grader(cell).get("solution"):
            continue
        tree = _tree(source(cell))
        for node in tree.body if tree else ():
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                lines.append(ast.unparse(node))
    return lines


def _checker_aliases(import_statements: list[str]) -> dict[str, str]:
    """{name in the notebook: checker module}, e.g. {"checks": "course_lib.checks.images"}."""
    aliases = {}
    for statement in import_statements:
        node = ast.parse(statement).body[0]
        if isinstance(node, ast.ImportFrom) and node.module == CHECKS_PACKAGE:
            for name in node.names:
                aliases[name.asname or name.name] = f"{CHECKS_PACKAGE}.{name.name}"
        elif isinstance(node, ast.Import):
            for name in node.names:
                if name.name.startswith(CHECKS_PACKAGE + ".") and name.asname:
                    aliases[name.asname] = name.name
    return aliases


def _first_check_call(tree, aliases: dict[str, str]):
    """(module, checker, answer name) of the first ``checks.check_x(answer)`` call in a cell.

    A bare ``check_x(answer)`` calls a checker the notebook writes out to teach the pattern (chapter 00);
    its copy in the chapter's checker module (the one imported as ``checks``) judges it."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))
    for call in calls:
        function = call.func
        if len(call.args) != 1 or not isinstance(call.args[0], ast.Name) or call.keywords:
            continue
        if (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Name)
            and function.value.id in aliases
            and function.attr.startswith("check_")
        ):
            return aliases[function.value.id], function.attr, call.args[0].id
        if isinstance(function, ast.Name) and function.id.startswith("check_") and "checks" in aliases:
            return aliases["checks"], function.id, call.args[0].id
    return None


def exercises(notebook: dict, name: str = "notebook") -> list[Exercise]:
    """The exercises of a teacher's notebook, in order; raises ExerciseTableError on a cell that breaks
    the pattern (a graded cell that calls no checker, or has no answer cell before it)."""
    aliases = _checker_aliases(import_lines(notebook))
    table, answer = [], None
    for index, cell in enumerate(notebook["cells"]):
        metadata = grader(cell)
        if metadata.get("solution") and cell.get("cell_type") == "code":
            answer = (index, metadata["grade_id"])
        elif metadata.get("grade") and not metadata.get("solution"):
            tree = _tree(source(cell))
            found = _first_check_call(tree, aliases) if tree else None
            if found is None or answer is None:
                raise ExerciseTableError(
                    f"{name}, cell {index} ({metadata.get('grade_id')}): a graded cell should call "
                    f"checks.check_<name>(<answer>) on the answer cell above it; found "
                    f"{'no checker call' if found is None else 'no answer cell before it'}"
                )
            module, checker, answer_name = found
            table.append(
                Exercise(
                    answer_id=answer[1],
                    check_id=metadata["grade_id"],
                    points=float(metadata.get("points", 0)),
                    answer_name=answer_name,
                    module=module,
                    checker=checker,
                    answer_cell=answer[0],
                    check_cell=index,
                )
            )
            answer = None
    return table


def answer_sources(submission: dict) -> dict[str, str]:
    """{answer grade_id: the student's source} for the answer cells of a submitted notebook."""
    return {
        grader(cell)["grade_id"]: source(cell)
        for cell in submission["cells"]
        if grader(cell).get("solution") and cell.get("cell_type") == "code" and grader(cell).get("grade_id")
    }
