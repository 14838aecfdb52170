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
