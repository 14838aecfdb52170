"""The pattern every exercise checker follows (chapter 00 shows it; every chapter uses it).

A checker takes the learner's answer, which may be a value or a function, and returns a
``CheckResult``. It never crashes on a malformed answer: a wrong type, a wrong shape, an
exception raised inside the learner's function all become a failed result with a hint that says
what was expected and what came instead. In a notebook the result shows as one coloured line.

With ``COURSE_STRICT=1`` (the test suite sets it) a failed check raises ``ExerciseFailed``, so
that a broken reference solution fails CI instead of printing a red line nobody reads.
"""
from __future__ import annotations

import functools
import html
import traceback
from dataclasses import dataclass

from course_lib import config

import numpy as np


class ExerciseFailed(AssertionError):
    """Raised by a failed check in strict mode (``COURSE_STRICT=1``)."""


class Hint(Exception):
    """Raised inside a checker to fail the answer with this message as the hint."""


@dataclass
class CheckResult:
    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✔ correct" if self.passed else "✘ not yet"
        return f"{mark} — {self.exercise}: {self.message}"

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#b42318"
        mark = "✔ correct" if self.passed else "✘ not yet"
        return (f'<div style="color:{colour};font-weight:600">{mark} — {html.escape(self.exercise)}'
                f'<span style="font-weight:400">: {html.escape(self.message)}</span></div>')

    def __repr__(self) -> str:
        return str(self)


def checker(exercise: str, success: str = "well done."):
    """Turn a function that raises ``Hint`` on a wrong answer into a safe exercise checker.

    The decorated function receives the learner's answer and either returns (correct; it may
    return a string that replaces ``success``) or raises ``Hint("what to look at")``. Any other
    exception (the learner's code crashing, a surprising type) becomes a failed result naming the
    error, never a traceback from inside the checker.
    """

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            try:
                # a wrong answer may divide by zero or take log 0: the hint says so, a NumPy warning box
                # above it would only add noise
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    returned = function(*args, **kwargs)
                result = CheckResult(exercise, True, returned if isinstance(returned, str) else success)
            except Hint as hint:
                result = CheckResult(exercise, False, str(hint))
            except NotImplementedError:
                result = CheckResult(exercise, False, "the exercise is not written yet: replace the "
                                     "`raise NotImplementedError` line with your code.")
            except Exception as error:  # the learner's code crashed: report it plainly
                where = traceback.extract_tb(error.__traceback__)[-1]
                result = CheckResult(exercise, False, f"running your answer raised {type(error).__name__}: "
                                     f"{error} (line {where.lineno} of {where.name}).")
            if not result.passed and config.strict_checks():
                raise ExerciseFailed(str(result))
            return result

        run.exercise = exercise
        return run

    return decorate


# Small helpers that checkers share, each raising Hint with a message a learner can act on.

def call(function, *args, name: str = "your function", **kwargs):
    """Call the learner's function, insisting first that it is one."""
    if not callable(function):
        raise Hint(f"expected a function, got {type(function).__name__}; "
                   "pass the function itself, without ()")
    return function(*args, **kwargs)


def as_array(value, name: str = "your answer") -> np.ndarray:
    """Convert to a float array, or explain why that is not possible."""
    if value is None:
        raise Hint(f"{name} is None: did you forget a `return`?")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Hint(f"{name} should be numbers (a NumPy array), got {type(value).__name__}") from None
    return array


def expect_shape(array: np.ndarray, shape, name: str = "your answer"):
    if tuple(array.shape) != tuple(shape):
        raise Hint(f"{name} has shape {tuple(array.shape)}, expected {tuple(shape)}")


def expect_close(actual, expected, name: str = "your answer", atol: float = 1e-5, rtol: float = 1e-5,
                 hint: str = ""):
    """Compare arrays; on a mismatch say where the first difference is and give a hint."""
    actual = as_array(actual, name)
    expected = np.asarray(expected, dtype=float)
    expect_shape(actual, expected.shape, name)
    if not np.all(np.isfinite(actual)):
        raise Hint(f"{name} contains NaN or infinity")
    close = np.isclose(actual, expected, atol=atol, rtol=rtol)
    if not close.all():
        where = tuple(int(i) for i in np.argwhere(~close)[0])
        detail = f" at index {where}" if where else ""
        raise Hint(f"{name} differs from the expected value{detail}: got {actual[where]:.6g}, "
                   f"expected {expected[where]:.6g}." + (f" {hint}" if hint else ""))


def expect_equal_number(actual, expected, name: str = "your answer", hint: str = "", tolerance: float = 0.0):
    """Compare one number (an int or a float), with a hint on mismatch."""
    if isinstance(actual, (list, tuple, np.ndarray)) and np.size(actual) == 1:
        actual = np.asarray(actual).item()
    if isinstance(actual, bool) or not isinstance(actual, (int, float, np.integer, np.floating)):
        raise Hint(f"{name} should be a number, got {type(actual).__name__} {actual!r}")
    if abs(float(actual) - float(expected)) > tolerance:
        raise Hint(f"{name} is {actual}, which is not right." + (f" {hint}" if hint else ""))


def uint8_test_images(shape, seed: int = 0) -> np.ndarray:
    """Random uint8 images of ``shape`` that surely hold black (0) and white (255), to test scaling
    answers."""
    images = np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)
    images.reshape(-1)[:2] = (0, 255)
    return images


def expect_number_cases(function, cases, reference, name: str, hint_for=None):
    """Call ``function(*case)`` for every case and compare with ``reference(*case)``.

    ``hint_for(case, got, expected)`` may return a more specific hint for a wrong number. Shared by
    the checkers of chapters 01–04 whose answers are numbers (sizes, counts, bytes).
    """
    for case in cases:
        expected = reference(*case)
        got = call(function, *case)
        if isinstance(got, (list, tuple, np.ndarray)) and np.size(got) == 1:
            got = np.asarray(got).item()
        if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
            raise Hint(f"{name}{case} should return a number, got {type(got).__name__} {got!r}")
        if got != expected:
            specific = hint_for(case, got, expected) if hint_for else ""
            raise Hint(f"{name}{case} returned {got}, expected {expected}."
                       + (f" {specific}" if specific else ""))


def multiple_choice(answer, key: dict, reasons: dict) -> str:
    """Mark a questionnaire: ``answer`` {question: letter} against ``key``; the reasons once all are right.

    The hint names how many answers are wrong and the first one, never the right letter.
    """
    if not isinstance(answer, dict):
        raise Hint("return a dict {question number: letter}, e.g. {1: 'a', 2: 'c', ...}")
    missing = [question for question in key if question not in answer]
    if missing:
        raise Hint(f"questions {missing} have no answer yet")
    wrong = [question for question, letter in key.items() if str(answer[question]).strip().lower() != letter]
    if wrong:
        raise Hint(f"{len(wrong)} answer(s) to look at again, starting with question {wrong[0]}")
    return f"all {len(key)} right. " + " ".join(f"({q}) {reason}." for q, reason in reasons.items())


def expect_choices(answer, choices: dict) -> str:
    """Check a prediction's form: ``answer`` a dict with exactly the keys of ``choices``, each value one of
    that key's options. Any honest prediction passes; the experiment after it says whether it came true."""
    if not isinstance(answer, dict) or set(answer) != set(choices):
        names = ", ".join(repr(key) for key in choices)
        raise Hint(f"return a dict with the one key {names}" if len(choices) == 1
                   else f"return a dict with the keys {names}")
    for key, options in choices.items():
        if answer[key] not in options:
            raise Hint(f"{key}: choose one of {', '.join(repr(option) for option in options)}, "
                       f"got {answer[key]!r}")
    return "noted. Run the experiment and compare."


def review_prediction(answer: dict, measured: dict) -> str:
    """One line per measured outcome: what the learner predicted and what the experiment found."""
    lines = []
    for key, outcome in measured.items():
        guess = answer.get(key, "no prediction") if isinstance(answer, dict) else "no prediction"
        lines.append(f"{'✔' if guess == outcome else '✘'} {key}: you predicted '{guess}', "
                     f"the experiment says '{outcome}'")
    return "\n".join(lines)
