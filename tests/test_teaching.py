"""TEACHING.md stays in sync with the chapters: a section for every chapter notebook, and its "Exercises to
grade" names exactly the exercise functions of that chapter (its ``### BEGIN SOLUTION`` cells)."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
TEACHING = (ROOT / "TEACHING.md").read_text(encoding="utf-8")
GENERIC = "the prediction (predict, run, explain) and the questionnaire"


def sections() -> dict[str, str]:
    """Notebook file name -> the text of its section (a ``### [..](chapters/NAME)`` heading to the next)."""
    found = {}
    parts = re.split(r"^(?=### )", TEACHING, flags=re.M)
    for part in parts:
        heading = re.match(r"### \[[^\]]+\]\(chapters/([^)]+\.ipynb)\)", part)
        if heading:
            found[heading.group(1)] = part
    return found


def exercise_paragraph(section: str) -> str:
    match = re.search(r"^\*\*Exercises to grade:\*\*(.*?)(?:\n\s*\n|\Z)", section, flags=re.M | re.S)
    return " ".join(match.group(1).split()) if match else ""   # one line, whatever the wrapping


def solution_functions(path: Path) -> set[str]:
    names = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "### BEGIN SOLUTION" in source:
            names.update(re.findall(r"^def (\w+)\(", source, flags=re.M))
    return names


def test_every_section_is_a_chapter():
    stale = sorted(set(sections()) - {path.name for path in CHAPTERS})
    assert not stale, f"TEACHING.md has sections for notebooks that are not in chapters/: {stale}"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_has_a_section_with_the_parts_a_teacher_needs(path):
    section = sections().get(path.name)
    assert section, f"TEACHING.md has no section '### [...](chapters/{path.name})'"
    for part in ("**Objectives", "**Prerequisites:**", "**Time:**", "**Class plan (90 minutes",
                 "**Exercises to grade:**"):
        assert part in section, f"TEACHING.md's section for {path.name} lacks {part}"
    prefix = path.name.split("_")[0]
    assert re.search(rf"^\| {prefix} ", TEACHING, flags=re.M), f"the overview table has no row for {prefix}"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_exercises_to_grade_match_the_chapter(path):
    paragraph = exercise_paragraph(sections().get(path.name, ""))
    named = set(re.findall(r"`(\w+)`", paragraph))
    in_chapter = solution_functions(path)
    unknown = sorted(named - in_chapter)
    assert not unknown, (f"TEACHING.md names exercises that {path.name} does not have (no solution cell "
                         f"defines them): {unknown}; the chapter has {sorted(in_chapter)}")
    generic = GENERIC in paragraph
    unnamed = sorted(name for name in in_chapter - named
                     if not (generic and (name == "questionnaire" or name.endswith("_prediction"))))
    assert not unnamed, f"{path.name} has exercises that TEACHING.md does not list: add {unnamed} there"
    if generic:
        assert "questionnaire" in in_chapter and any(name.endswith("_prediction") for name in in_chapter), (
            f"TEACHING.md promises {GENERIC!r} for {path.name}, which lacks one of them: "
            f"{sorted(in_chapter)}")


def test_links_point_to_files_that_exist():
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", TEACHING)
    missing = sorted({target for target in targets if not (ROOT / target).exists()})
    assert targets and not missing, f"TEACHING.md links to files that do not exist: {missing}"
