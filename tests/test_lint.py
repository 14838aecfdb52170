"""The code base passes ruff (pyproject.toml): the library, the tests, bench and the notebooks' code."""
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.once   # the source as text

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["course_lib", "course_tools", "scripts", "tests", "bench", "chapters", "conftest.py"]


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *CHECKED], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"ruff check {' '.join(CHECKED)} found problems:\n{report}"


def test_ruff_reads_the_notebooks_too():
    # A notebook with an unused import must be reported: proof that chapters/*.ipynb are linted at all.
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--stdin-filename",
                             "chapters/probe.py", "-"], cwd=ROOT, input="import os\n", capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and "F401" in result.stdout
    listed = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--show-files", "chapters"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "05_mnist_project.ipynb" in listed.stdout
