"""The exercise-checker pattern and chapter 05's checkers: accept right, reject wrong, never crash."""
import re

from course_lib.checks import core
from course_lib.checks import mnist_project as checks

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "0")


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "1")
    with pytest.raises(core.ExerciseFailed, match="preprocess"):
        checks.check_preprocess(lambda images: images)


def test_checker_turns_crashes_into_hints():
    def crashes(images):
        return images / undefined_name  # noqa: F821
    result = checks.check_preprocess(crashes)
    assert not result and "NameError" in result.message and "line" in result.message
    not_written = checks.check_preprocess(lambda images: (_ for _ in ()).throw(NotImplementedError()))
    assert "not written yet" in not_written.message
    assert "expected a function" in checks.check_preprocess(42).message


def test_preprocess_checker():
    assert checks.check_preprocess(lambda im: im.reshape((-1, 28, 28, 1)).astype("float32") / 255)
    assert "channel axis" in checks.check_preprocess(lambda im: im.astype("float32") / 255).message
    unscaled = checks.check_preprocess(lambda im: im.reshape((-1, 28, 28, 1)).astype("float32"))
    assert "divide by 255" in unscaled.message
    assert "float32" in checks.check_preprocess(lambda im: im.reshape((-1, 28, 28, 1)) / 255.0).message
    assert "return" in checks.check_preprocess(lambda im: None).message


def test_conv_params_checker():
    assert checks.check_conv_params(lambda k, c, f: (k[0] * k[1] * c + 1) * f)
    result = checks.check_conv_params(lambda k, c, f: k[0] * k[1] * c * f)
    assert not result and "forgot one bias" in result.message
    assert "should be a number" in checks.check_conv_params(lambda k, c, f: "320").message


def test_accuracy_checker():
    assert checks.check_accuracy(lambda p, y: float(np.mean(p.argmax(1) == y)))
    assert "count" in checks.check_accuracy(lambda p, y: int(np.sum(p.argmax(1) == y))).message
    assert not checks.check_accuracy(lambda p, y: float(np.mean(p.argmax(0)[: len(y)] == y)))


def test_most_confused_checker():
    matrix = np.eye(3, dtype=int) * 10
    matrix[2, 1] = 7
    matrix[0, 1] = 3
    assert checks.check_most_confused((2, 1), matrix)
    assert "wrong order" in checks.check_most_confused((1, 2), matrix).message
    assert "diagonal" in checks.check_most_confused((1, 1), matrix).message
    assert "pair" in checks.check_most_confused(7, matrix).message
    assert "digits" in checks.check_most_confused(("a", "b"), matrix).message
    assert "0..2" in checks.check_most_confused((2, 5), matrix).message
    assert "some other off-diagonal cell holds more" in checks.check_most_confused((0, 1), matrix).message
    assert checks.check_most_confused(np.array([2, 1]), matrix), "a NumPy pair is a pair too"
    tie = matrix.copy()
    tie[1, 2] = 7
    assert checks.check_most_confused((1, 2), tie) and checks.check_most_confused((2, 1), tie), "a tie"


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
