"""The student version: every solution replaced by a stub, everything else unchanged."""
import json
import re
import subprocess
import sys
from pathlib import Path

from course_tools import student

import pytest

pytestmark = pytest.mark.once   # the notebooks as files

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"


def test_strip_keeps_indentation_and_surroundings():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\nprint(f)"
    text, count = student.strip_solutions(source)
    assert count == 1
    assert text == ('def f(x):\n    # YOUR CODE HERE\n'
                    '    raise NotImplementedError("Write your solution here")\n'
                    "print(f)")
    compile(text, "stub", "exec")  # still valid Python


def test_markdown_answer_is_replaced():
    answer = "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION\n"
    text, count = student.strip_solutions(answer, "markdown")
    assert count == 1 and "Because" not in text and student.MARKDOWN_STUB in text


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
])
def test_unbalanced_markers_are_reported(source, problem):
    with pytest.raises(student.SolutionMarkerError, match=problem):
        student.strip_solutions(source, where="nb.ipynb, cell 3")


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _outside_solutions(text):
    kept, inside = [], False
    for line in text.splitlines():
        if line.strip().startswith(student.BEGIN):
            inside = True
        elif line.strip().startswith(student.END):
            inside = False
        elif not inside:
            kept.append(line)
    return kept


@pytest.mark.slow   # a subprocess that loads TensorFlow (import course_lib does)
def test_cli_on_the_real_chapters(tmp_path):
    notebooks = sorted(CHAPTERS.glob("*.ipynb"))
    assert notebooks, "the course has chapters"
    result = subprocess.run([sys.executable, "-m", "course_tools", "student", str(CHAPTERS), str(tmp_path)],
                            capture_output=True, text=True, check=True)
    assert f"{len(notebooks)} notebooks written" in result.stdout
    reported = dict(re.findall(r"^(\S+\.ipynb): (\d+) solution\(s\) replaced by stubs$", result.stdout, re.M))
    stubs = ("# YOUR CODE HERE", 'raise NotImplementedError("Write your solution here")',
             student.MARKDOWN_STUB)
    for original_path in notebooks:
        original = json.loads(original_path.read_text(encoding="utf-8"))
        copy = json.loads((tmp_path / original_path.name).read_text(encoding="utf-8"))
        assert len(copy["cells"]) == len(original["cells"])
        assert copy["metadata"] == original["metadata"]
        markers = sum(_source(cell).count(student.BEGIN) for cell in original["cells"])
        replaced = sum(line.strip() in (stubs[0], stubs[2])
                       for cell in copy["cells"] for line in _source(cell).splitlines())
        assert int(reported[original_path.name]) == replaced == markers, (
            f"{original_path.name}: {markers} solutions, {replaced} stubs written, "
            f"{reported[original_path.name]} reported")
        minimum = 1 if original_path.name.startswith("00") else 3
        assert markers >= minimum, f"{original_path.name} has {markers} exercises, not at least {minimum}"
        for before, after in zip(original["cells"], copy["cells"]):
            old, new = _source(before), _source(after)
            assert student.BEGIN not in new and student.END not in new
            # every line outside a solution block survives, in order
            kept = [line for line in new.splitlines() if line.strip() not in stubs]
            assert kept == _outside_solutions(old)
            if student.BEGIN in old:
                solution_lines = set(old.splitlines()) - set(_outside_solutions(old))
                solution_lines -= {line for line in solution_lines if "SOLUTION" in line or not line.strip()}
                assert not solution_lines & set(new.splitlines()), "no solution line survives"
            if after["cell_type"] == "code":
                assert after["outputs"] == [] and after["execution_count"] is None


def test_refuses_to_overwrite_the_source(tmp_path):
    empty_notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "a.ipynb").write_text(json.dumps(empty_notebook))
    with pytest.raises(ValueError, match="must differ"):
        student.write_student_version(tmp_path, tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        student.write_student_version(tmp_path / "nothing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .ipynb"):
        student.write_student_version(tmp_path / "empty", tmp_path / "out")
