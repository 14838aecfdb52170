"""TEACHING.md: a section for every chapter, each with the manifest's facts and a class plan written by hand;
its links work. (That the facts agree with chapters/chapters.toml is tests/test_manifest.py's check.)"""
import re
from pathlib import Path

from course_tools import manifest

import pytest

pytestmark = pytest.mark.once          # text only: the same under every Keras backend

ROOT = Path(__file__).resolve().parent.parent
TEACHING = (ROOT / "TEACHING.md").read_text(encoding="utf-8")
CHAPTERS = manifest.load()


def sections() -> dict[str, str]:
    """Notebook stem -> the text of its section (a ``### [..](chapters/NAME.ipynb)`` heading to the next)."""
    found = {}
    for part in re.split(r"^(?=### )", TEACHING, flags=re.M):
        heading = re.match(r"### \[[^\]]+\]\(chapters/([^)]+)\.ipynb\)", part)
        if heading:
            found[heading.group(1)] = part
    return found


def test_a_section_per_chapter_in_reading_order():
    assert list(sections()) == [chapter.stem for chapter in CHAPTERS]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda chapter: chapter.number)
def test_each_section_has_the_generated_facts_and_a_class_plan(chapter):
    section = sections()[chapter.stem]
    begin, end = manifest.markers(f"{chapter.number} facts")
    assert begin in section and end in section, f"TEACHING.md's {chapter.number} section has no facts block"
    assert "**Class plan (90 minutes" in section.split(end, 1)[1], \
        f"TEACHING.md's {chapter.number} section has no class plan after its facts"


def test_links_point_to_files_that_exist():
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", TEACHING)
    missing = sorted({target for target in targets if not (ROOT / target).exists()})
    assert targets and not missing, f"TEACHING.md links to files that do not exist: {missing}"
