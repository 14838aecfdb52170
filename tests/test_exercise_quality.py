"""Exercises that cannot be passed without learning (issue: questionnaires, visible answers, open questions).

* **Questionnaires**: the correct option is the longest one (ties count) in at most 40 % of each chapter's
  items and of all items, and the shortest one in at most 40 % too, so that no rule of length passes.
* **Answers not on screen**: no line of a reference solution appears in a cell above its exercise (a worked
  example that gives the answer away), and no two chapters share a solution.
* **Open questions**: every chapter asks two or three "in your own words" questions, manually graded at 0
  points, whose model answer sits between solution markers (the student version removes it).
"""
import importlib
import json
import re
from pathlib import Path

from course_tools.classroom import exercises as table

import pytest

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb"))
LONGEST_SHARE = 0.40
pytestmark = pytest.mark.once


def _notebook(path):
    return json.loads(path.read_text(encoding="utf-8"))


def questionnaire_items(text: str) -> dict[int, dict[str, str]]:
    """{item number: {letter: option text}} of a questionnaire cell ("Answer with a letter each." then
    "1. question (a) ... (b) ... (c) ...")."""
    body = text.split("Answer with a letter each.", 1)[1]
    parts = re.split(r"(?m)^(\d+)\. ", body)
    items = {}
    for number, chunk in zip(parts[1::2], parts[2::2]):
        pieces = re.split(r"\(([a-e])\)\s", " ".join(chunk.split()))
        items[int(number)] = {letter: option.strip() for letter, option in zip(pieces[1::2], pieces[2::2])}
    return items


def longest_is_correct(path, shortest: bool = False) -> tuple[list[int], int]:
    """(items whose correct option is the longest, ties counted; number of items) of a chapter; with
    ``shortest``, the items whose correct option is the shortest."""
    notebook = _notebook(path)
    exercises = table.exercises(notebook, path.name)
    answer = next(exercise for exercise in exercises if exercise.answer_id == "questionnaire")
    above = notebook["cells"][: answer.answer_cell]
    cell = next(cell for cell in reversed(above) if cell["cell_type"] == "markdown")
    items = questionnaire_items(table.source(cell))
    key = importlib.import_module(answer.module).QUESTIONNAIRE
    assert sorted(items) == sorted(key), f"{path.name}: the questionnaire's items and its answer key differ"
    pick = min if shortest else max
    found = [number for number, options in items.items()
             if len(options[key[number]]) == pick(len(option) for option in options.values())]
    return found, len(items)


@pytest.mark.parametrize("shortest", [False, True], ids=["longest", "shortest"])
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_the_length_of_an_option_does_not_give_it_away(path, shortest):
    """Neither the longest nor the shortest option is right in more than 40 % of a chapter's items."""
    found, count = longest_is_correct(path, shortest)
    which = "shortest" if shortest else "longest"
    assert len(found) <= LONGEST_SHARE * count, (
        f"{path.name}: the correct option is the {which} in items {found} ({len(found)} of {count}); "
        f"at most {LONGEST_SHARE:.0%}")


@pytest.mark.parametrize("shortest", [False, True], ids=["longest", "shortest"])
def test_the_length_of_an_option_does_not_give_it_away_over_the_course(shortest):
    found = [longest_is_correct(path, shortest) for path in CHAPTERS]
    hits, count = sum(len(items) for items, _ in found), sum(total for _, total in found)
    assert hits <= LONGEST_SHARE * count, f"{hits} of {count} items"


def _solution_lines(source: str) -> list[str]:
    """The lines between the solution markers that carry an idea (not blank, a comment, or a bare return)."""
    inside, lines = False, []
    for line in source.split("\n"):
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside:
            code = line.split("#", 1)[0].strip()
            if len(code) >= 16 and not re.fullmatch(r"return \w+", code):
                lines.append(code)
    return lines


def _code_lines(source: str) -> set[str]:
    return {line.split("#", 1)[0].strip() for line in source.split("\n")}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_no_solution_line_is_on_screen_before_its_exercise(path):
    cells = _notebook(path)["cells"]
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code" or not table.grader(cell).get("solution"):
            continue
        earlier = set().union(*(_code_lines(table.source(other)) for other in cells[:index]
                                if other["cell_type"] == "code" and not table.grader(other).get("solution")))
        shown = [line for line in _solution_lines(table.source(cell)) if line in earlier]
        assert not shown, f"{path.name}, cell {index}: the answer is on screen above it: {shown}"


def test_no_two_chapters_share_a_solution():
    seen = {}
    for path in CHAPTERS:
        for cell in _notebook(path)["cells"]:
            if cell["cell_type"] == "code" and table.grader(cell).get("solution"):
                body = "\n".join(_solution_lines(table.source(cell)))
                if body and not table.grader(cell)["grade_id"].endswith(("questionnaire", "prediction")):
                    assert body not in seen, f"{path.name} and {seen.get(body)} share a solution: {body}"
                    seen[body] = path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_two_or_three_open_questions_with_a_model_answer(path):
    open_questions = [cell for cell in _notebook(path)["cells"]
                      if cell["cell_type"] == "markdown" and table.grader(cell).get("solution")]
    assert 2 <= len(open_questions) <= 3, f"{path.name}: {len(open_questions)} open questions"
    for cell in open_questions:
        grading = table.grader(cell)
        assert grading.get("grade") and grading.get("points") == 0, f"{path.name}: {grading}"
        text = table.source(cell)
        assert text.index("### BEGIN SOLUTION") > 0 and "### END SOLUTION" in text, (
            f"{path.name}, {grading['grade_id']}: a question, then its model answer between the markers")
