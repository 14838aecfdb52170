"""The exercise-checker pattern and chapter 05's checkers: accept right, reject wrong, never crash."""
import re

from course_lib.checks import core
from course_lib.checks import mnist_project as checks

import numpy as np
import pytest

pytestmark = [pytest.mark.once, pytest.mark.usefixtures("lenient")]   # NumPy checkers


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "1")
    with pytest.raises(core.ExerciseFailed, match="standard error"):
        checks.check_accuracy_standard_error(lambda accuracy, n: 2.0)


def test_checker_turns_crashes_into_hints():
    def crashes(accuracy, n):
        return accuracy / undefined_name  # noqa: F821
    result = checks.check_accuracy_standard_error(crashes)
    assert not result and "NameError" in result.message and "line" in result.message
    def not_yet(accuracy, n):
        raise NotImplementedError
    not_written = checks.check_accuracy_standard_error(not_yet)
    assert "not written yet" in not_written.message
    assert "expected a function" in checks.check_accuracy_standard_error(42).message


def test_accuracy_standard_error_checker():
    assert checks.check_accuracy_standard_error(lambda p, n: (p * (1 - p) / n) ** 0.5)
    assert "square root" in checks.check_accuracy_standard_error(lambda p, n: p * (1 - p) / n).message
    assert "more images" in checks.check_accuracy_standard_error(lambda p, n: (p * (1 - p)) ** 0.5).message
    assert "1/√n" in checks.check_accuracy_standard_error(lambda p, n: (p * (1 - p)) ** 0.5 / n).message
    assert "a number" in checks.check_accuracy_standard_error(lambda p, n: "0.001").message
    assert "p(1 − p)" in checks.check_accuracy_standard_error(lambda p, n: (p / n) ** 0.5).message


def test_batch_norm_prediction_checker():
    assert checks.check_batch_norm_prediction(lambda: {"accuracy": "lower", "reaches_99": "yes"})
    assert "keys" in checks.check_batch_norm_prediction(lambda: {"accuracy": "lower"}).message
    assert "choose one of" in checks.check_batch_norm_prediction(
        lambda: {"accuracy": "worse", "reaches_99": "no"}).message


def test_result_display():
    passed = core.CheckResult("x", True, "fine")
    failed = core.CheckResult("x", False, "look <here>")
    assert passed and not failed
    assert "✔" in str(passed) and "✘" in str(failed) and "&lt;here&gt;" in failed._repr_html_()


def test_expect_close_points_at_the_difference():
    with pytest.raises(core.Hint, match="at index \\(1,\\): got 5, expected 2"):
        core.expect_close([1.0, 5.0], [1.0, 2.0])
    with pytest.raises(core.Hint, match="has shape"):
        core.expect_close([1.0], [1.0, 2.0])
    with pytest.raises(core.Hint, match="NaN"):
        core.expect_close([np.nan], [1.0])


def test_multiple_choice_marks_without_giving_the_answer_away():
    from course_lib.checks.core import Hint, multiple_choice, review_prediction

    key, reasons = {1: "a", 2: "c"}, {1: "first", 2: "second"}
    assert multiple_choice({1: "A ", 2: "c"}, key, reasons).startswith("all 2 right. (1) first.")
    for answer, words in (([1, 2], "return a dict"), ({1: "a"}, "questions [2]"),
                          ({1: "b", 2: "b"}, "2 answer(s) to look at again, starting with question 1")):
        with pytest.raises(Hint, match=re.escape(words)):
            multiple_choice(answer, key, reasons)
    review = review_prediction({"digits": "hurts"}, {"digits": "hurts", "clothes": "helps"})
    assert review.splitlines() == ["✔ digits: you predicted 'hurts', the experiment says 'hurts'",
                                   "✘ clothes: you predicted 'no prediction', the experiment says 'helps'"]
    assert "no prediction" in review_prediction(None, {"digits": "helps"})


def test_a_wrong_answer_gets_its_hint_without_numpy_warnings():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # a RuntimeWarning from the learner's arithmetic would raise
        result = checks.check_accuracy_standard_error(lambda p, n: np.log(np.float64(0.0)) * 0 + p / n)
    assert not result and "returned nan" in result.message
