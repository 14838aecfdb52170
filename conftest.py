"""Test-session settings, applied before any notebook kernel starts (kernels inherit them)."""
import os

import pytest

os.environ.setdefault("COURSE_FAST", "1")        # notebooks run their small configuration
os.environ.setdefault("COURSE_STRICT", "1")      # a failed exercise check fails the notebook
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter off
os.environ.setdefault("MPLBACKEND", "Agg")       # plain pytest processes draw off-screen


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A graded checker cell (nbgrader ``grade``) may not write to stderr on the reference solution:
    nbgrader gives such a cell 0 points, so a warning there would cost a correct answer its point
    (``classroom grade`` forgives it; plain ``nbgrader autograde`` does not)."""
    result = yield
    cell = getattr(item, "cell", None)   # nbval's notebook cells; other tests have none
    grading = cell.get("metadata", {}).get("nbgrader", {}) if cell is not None else {}
    if grading.get("grade") and not grading.get("solution"):
        stderr = "".join(output.get("text", "") for output in (getattr(item, "test_outputs", None) or [])
                         if output.get("output_type") == "stream" and output.get("name") == "stderr")
        if stderr:
            pytest.fail(f"graded cell {grading.get('grade_id')} wrote to stderr, which nbgrader scores 0:\n"
                        f"{stderr[-2000:]}")
    return result
