"""Both languages: every chapter's title carries the article's Chinese, and every Chinese term in a chapter
heading is in GLOSSARY.md (so a reader can look up any heading in the other language)."""
import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.once   # the notebooks and GLOSSARY.md as text

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
GLOSSARY = (ROOT / "GLOSSARY.md").read_text(encoding="utf-8")
CHINESE = re.compile(r"[\u4e00-\u9fff]+")


def headings(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "markdown":
            lines += [line for line in "".join(cell["source"]).splitlines() if line.startswith("#")]
    return lines


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_the_title_carries_chinese(path):
    title = headings(path)[0]
    assert title.startswith("# ") and CHINESE.search(title), f"{path.name}: the title has no Chinese: {title}"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chinese_term_in_a_heading_is_in_the_glossary(path):
    terms = {term for line in headings(path) for term in CHINESE.findall(line)}
    missing = sorted(term for term in terms if term not in GLOSSARY)
    assert not missing, f"{path.name}: add to GLOSSARY.md: {missing}"


def test_the_glossary_is_a_real_one():
    rows = [line for line in GLOSSARY.splitlines() if line.startswith("| ") and CHINESE.search(line)]
    terms = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 3 and CHINESE.search(cells[0]) and re.search(r"[a-z]", cells[1]), row
        if cells[0] != "中文":                # not a table's header row
            terms.append(cells[0])
    # the article's 11 sections, the course's own words and over a hundred terms (127 rows when written)
    assert len(terms) >= 120, f"GLOSSARY.md lists only {len(terms)} terms"
    twice = sorted(term for term in set(terms) if terms.count(term) > 1)
    assert not twice, f"GLOSSARY.md lists these terms twice: {twice}"
    for required in ("卷积", "互相关", "池化", "全连接层", "转置卷积", "生成对抗网络", "判别器", "生成器",
                     "过拟合", "数据增强", "迁移学习", "对抗样本"):
        assert required in GLOSSARY


def test_chapter_00_and_the_readme_link_the_glossary():
    assert "GLOSSARY.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "GLOSSARY.md" in (ROOT / "chapters" / "00_start_here.ipynb").read_text(encoding="utf-8")


def _glossary_rows():
    """(Chinese, English, chapters) of every row of GLOSSARY.md's term tables (the first table lists the
    article's sections and the chapters that follow each, which is another kind of credit)."""
    terms = GLOSSARY[GLOSSARY.index("## The course itself"):]
    for line in terms.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3 and CHINESE.search(cells[0]) and cells[0] != "中文":
            yield tuple(cells)


def _chapters(field: str) -> list[str]:
    """"05, 08a–08c" or "all" → the chapter numbers it names."""
    numbers = [path.stem.split("_", 1)[0] for path in CHAPTERS]
    if field == "all":
        return numbers
    named = []
    for part in re.split(r",\s*", field):
        first, _, last = part.partition("–")
        assert first in numbers and (not last or last in numbers), f"GLOSSARY.md: no chapter {part!r}"
        named += numbers[numbers.index(first): numbers.index(last) + 1] if last else [first]
    return named


def _names(text: str, separators: str) -> list[str]:
    """A cell's names: the parts between separators, each with and without its parenthesis, and what the
    parenthesis holds ("线性整流函数 (ReLU)" → 线性整流函数, ReLU)."""
    inside = re.findall(r"[(（]([^)）]*)[)）]", text)
    outside = re.sub(r"[(（][^)）]*[)）]", "", text)
    parts = [part for piece in [outside, *inside] for part in re.split(separators, piece)]
    return [part.strip() for part in parts if len(part.strip()) >= 2]


@pytest.mark.parametrize("row", list(_glossary_rows()), ids=lambda row: row[0])
def test_every_term_is_used_by_the_chapters_the_glossary_names(row):
    """A term's chapters really use it: its Chinese, or its English name (the text before a colon or a
    semicolon; hyphens ignored), appears in each chapter the row names."""
    chinese, english, field = row
    names = _names(chinese, r"[/、]") + _names(re.split(r"[:;]", english)[0], r"/")
    for number in _chapters(field):
        path = next(path for path in CHAPTERS if path.stem.split("_", 1)[0] == number)
        text = path.read_text(encoding="utf-8")
        plain = json.dumps(json.loads(text), ensure_ascii=False).lower().replace("-", "")
        assert any(name.lower().replace("-", "") in plain for name in names), (
            f"GLOSSARY.md: {chinese} ({english}) is credited to chapter {number}, which never uses it")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_opens_with_its_goals_in_chinese(path):
    """A 本章目标 box under the title: three or four goals, in Chinese, before the chapter starts."""
    sources = ["".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"][:2]]
    text = next((source for source in sources if "**本章目标**" in source), None)
    assert text, f"{path.name}: no **本章目标** box in its first two cells"
    box = text[text.index("**本章目标**"):].split("\n\n")[0]
    goals = [line for line in box.splitlines() if line.startswith("> - ") and CHINESE.search(line)]
    assert 3 <= len(goals) <= 4, f"{path.name}: 本章目标 lists {len(goals)} goals"
