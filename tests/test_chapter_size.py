"""Every chapter fits one lesson (issue 25): at most about 2,500 words a learner reads, no code cell longer
than a screen (40 lines), and digressions a learner may skip marked one way everywhere, with the promise
that nothing after them depends on them checked on the code. Reads the notebooks; runs nothing."""
import ast
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

pytestmark = pytest.mark.once   # the notebooks as files

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))

MAX_WORDS = 2_500          # 100-150 words a minute in a second language: 17-25 minutes of a 90-minute class
MAX_CODE_LINES = 40        # one screen: a cell a learner can read whole before running it
OPTIONAL_HEADING = re.compile(r"^(#{2,3}) (?:\d+ · )?Optional \(选读\): \S")
SKIP_SENTENCE = "*You may skip this section: nothing after it depends on it.*"


def read(path):
    return nbformat.read(path, as_version=4)


def words_a_learner_reads(markdown: str) -> int:
    """English words, with $math$ left out and each `code span` counted as one word."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " ", markdown, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " code ", text)
    return len(re.findall(r"[A-Za-z][A-Za-z'’-]*", text))


def test_word_count_counts_what_a_learner_reads():
    assert words_a_learner_reads("The `Conv2D` layer's output, $y = Wx + b$, is 26 × 26.") == 5
    assert words_a_learner_reads("$$\\sum_i x_i$$ adds them up") == 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_a_chapter_is_at_most_about_2500_words(path):
    """Model answers (removed from the student's copy) do not count: a learner reads the rest."""
    cells = [cell for cell in read(path).cells if cell.cell_type == "markdown"]
    words = sum(words_a_learner_reads(cell.source) for cell in cells
                if "### BEGIN SOLUTION" not in cell.source)
    assert words <= MAX_WORDS, (f"{path.name}: {words:,} words of markdown, more than {MAX_WORDS:,}; "
                                "trim it, mark a digression optional, or split the chapter")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_no_code_cell_is_longer_than_a_screen(path):
    long = [(index, cell.source.count("\n") + 1) for index, cell in enumerate(read(path).cells)
            if cell.cell_type == "code" and cell.source.count("\n") + 1 > MAX_CODE_LINES]
    assert not long, f"{path.name}: code cells (index, lines) over {MAX_CODE_LINES} lines: {long}"


def optional_sections(cells):
    """{index of a cell: True when it lies in a section marked optional}. A section runs from its heading to
    the next heading of the same or a higher level."""
    inside, level, marks = False, 0, {}
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                heading = re.match(r"^(#{1,6}) ", line)
                if not heading:
                    continue
                depth = len(heading.group(1))
                if OPTIONAL_HEADING.match(line):
                    inside, level = True, depth
                elif inside and depth <= level:
                    inside = False
        marks[index] = inside
    return marks


def python_of(cell_source: str) -> ast.Module:
    if cell_source.lstrip().startswith("%%"):
        return ast.parse("")   # a cell magic (%%writefile, %%time of a file): not the kernel's Python
    return ast.parse(TransformerManager().transform_cell(cell_source))


def names_defined(tree: ast.AST) -> set[str]:
    defined = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            defined.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return defined


def names_used(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def test_the_dependency_check_sees_a_name_an_optional_section_defines():
    cells = [nbformat.v4.new_markdown_cell("## 1 · Main"), nbformat.v4.new_code_cell("x = 1"),
             nbformat.v4.new_markdown_cell(f"### Optional (选读): A side trip\n\n{SKIP_SENTENCE}"),
             nbformat.v4.new_code_cell("side = x + 1\n%time y = side"),
             nbformat.v4.new_markdown_cell("## 2 · Back"), nbformat.v4.new_code_cell("print(side)")]
    assert optional_sections(cells) == {0: False, 1: False, 2: True, 3: True, 4: False, 5: False}
    assert leaks(cells) == {"side"}
    cells[5] = nbformat.v4.new_code_cell("print(x)")
    assert leaks(cells) == set()


def leaks(cells) -> set[str]:
    """Names an optional section defines, not defined elsewhere, that a later non-optional cell uses."""
    marks = optional_sections(cells)
    code = [(index, python_of(cell.source)) for index, cell in enumerate(cells) if cell.cell_type == "code"]
    in_optional = {index for index, inside in marks.items() if inside}
    defined_there = set().union(*(names_defined(tree) for index, tree in code if index in in_optional))
    defined_elsewhere = set().union(*(names_defined(tree) for index, tree in code
                                      if index not in in_optional))
    found = set()
    for index, tree in code:
        if index in in_optional:
            continue
        earlier_optional = {i for i in in_optional if i < index}
        if earlier_optional:
            found |= (names_used(tree) & defined_there) - defined_elsewhere
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_optional_sections_are_marked_one_way_and_nothing_later_needs_them(path):
    cells = read(path).cells
    problems = []
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        for line_number, line in enumerate(cell.source.splitlines()):
            if not re.match(r"^#{1,6} ", line) or not re.search(r"optional|选读", line, flags=re.I):
                continue
            if not OPTIONAL_HEADING.match(line):
                problems.append(f"cell {index}: {line!r} is not '## N · Optional (选读): Title' "
                                "or '### Optional (选读): Title'")
            rest = [text for text in cell.source.splitlines()[line_number + 1:] if text.strip()]
            if not rest or rest[0].strip() != SKIP_SENTENCE:
                problems.append(f"cell {index}: the first line after {line!r} is not {SKIP_SENTENCE!r}")
    leaked = leaks(cells)
    if leaked:
        problems.append(f"names defined in an optional section and used after it: {sorted(leaked)}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    optional = sum(1 for cell in cells if cell.cell_type == "markdown"
                   for line in cell.source.splitlines() if OPTIONAL_HEADING.match(line))
    assert optional <= 2, f"{path.name}: {optional} optional sections; at most two real digressions"
