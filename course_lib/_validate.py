"""Argument checks shared by the modules of course_lib (package-internal; not taught in a chapter).

One place, one rule and one message style: a check names the argument, what was expected and what
came instead. A wrong *kind* of value (a string where a number belongs, a float where an int belongs,
float labels where class indices belong) raises ``TypeError``; the right kind with a wrong *value*
(a negative count, a fraction above 1, a tuple of the wrong length) raises ``ValueError``. Both say the
same sentence, "``name`` should be ..., got ...".
NumPy integers count as ints (``np.int64(3)`` comes out of arrays all the time); bools do not, even
though Python treats ``True`` as 1.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def is_int(value) -> bool:
    """True for Python and NumPy integers, False for bools and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value) -> bool:
    """True for Python and NumPy reals (ints and floats), False for bools, strings and everything else."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def shown(value) -> str:
    """A wrong value as a message shows it: its repr, and "(a str)" after a string ('5' looks like 5)."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} (a str)" if isinstance(value, str) else text


def positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as a Python int, checked to be an int of at least ``minimum``."""
    expected = "a positive int" if minimum == 1 else f"an int >= {minimum}"
    if not is_int(value):
        raise TypeError(f"{name} should be {expected}, got {shown(value)}")
    if value < minimum:
        raise ValueError(f"{name} should be {expected}, got {value!r}")
    return int(value)


def _interval(low, high, include_low: bool, include_high: bool) -> str:
    """ "a positive number", "a number >= 0.001", "a number in (0, 1)" ... in words a learner reads."""
    if low is None and high is None:
        return "a finite number"
    if high is None:
        if low == 0 and not include_low:
            return "a positive number"
        return f"a number {'>=' if include_low else '>'} {low}"
    if low is None:
        return f"a number {'<=' if include_high else '<'} {high}"
    return f"a number in {'[' if include_low else '('}{low}, {high}{']' if include_high else ')'}"


def number(value, name: str, *, low: float | None = None, high: float | None = None,
           include_low: bool = True, include_high: bool = True) -> float:
    """A finite real number (Python or NumPy, not a bool), inside the bounds given, as a float.

    ``low`` and ``high`` are included unless ``include_low=False`` / ``include_high=False``:
    ``number(seconds, "seconds", low=0, include_low=False)`` asks for a positive number.
    """
    expected = _interval(low, high, include_low, include_high)
    if not is_number(value):
        raise TypeError(f"{name} should be {expected}, got {shown(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{name} should be a finite number, got {value!r}")
    too_low = low is not None and (value < low if include_low else value <= low)
    too_high = high is not None and (value > high if include_high else value >= high)
    if too_low or too_high:
        raise ValueError(f"{name} should be {expected}, got {value!r}")
    return float(value)


def fraction(value, name: str, *, low: float = 0.0, high: float = 1.0, include_high: bool = False) -> float:
    """A real number in [low, high) (or [low, high] with ``include_high``), as a float."""
    return number(value, name, low=low, high=high, include_high=include_high)


def _ints_in_sequence(value, name: str, expected: str) -> None:
    """TypeError unless ``value`` is a tuple or list of ints (the kind); the caller checks the values."""
    if not isinstance(value, (tuple, list)) or not all(is_int(n) for n in value):
        raise TypeError(f"{name} should be {expected}, got {shown(value)}")


def image_shape(value, name: str = "input_shape") -> tuple[int, int, int]:
    """``(height, width, channels)`` of positive ints, as a tuple."""
    expected = "(height, width, channels) of positive ints"
    _ints_in_sequence(value, name, expected)
    if len(value) != 3 or not all(n > 0 for n in value):
        raise ValueError(f"{name} should be {expected}, got {value!r}")
    return tuple(int(n) for n in value)


def int_tuple(value, name: str, length: int | None = None) -> tuple[int, ...]:
    """A non-empty tuple or list of positive ints (``length`` of them when given), as a tuple."""
    expected = f"{f'{length} ' if length is not None else ''}positive ints in a tuple"
    _ints_in_sequence(value, name, expected)
    if not value or (length is not None and len(value) != length) or not all(n > 0 for n in value):
        raise ValueError(f"{name} should be {expected}, got {value!r}")
    return tuple(int(n) for n in value)


def int_range(value, name: str, minimum: int) -> tuple[int, int]:
    """``(low, high)``, two ints with ``minimum <= low <= high``, as a tuple of Python ints."""
    expected = f"(low, high) ints with {minimum} <= low <= high"
    _ints_in_sequence(value, name, expected)
    if len(value) != 2 or value[0] < minimum or value[0] > value[1]:
        raise ValueError(f"{name} should be {expected}, got {value!r}")
    return int(value[0]), int(value[1])


def image_batch(value, name: str = "images", unit_range: bool = False) -> np.ndarray:
    """A non-empty batch of images shaped (N, H, W, C), of finite real numbers, as float32.

    With ``unit_range`` the values must also lie in [0, 1], the range every course model is fed.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} should be a float array shaped (N, H, W, C), got dtype {array.dtype}")
    if array.ndim != 4 or 0 in array.shape:
        raise ValueError(f"{name} should be a float array shaped (N, H, W, C) with no empty axis, "
                         f"got shape {array.shape}")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} should hold finite numbers, got NaN or infinity")
    if unit_range and (array.min() < 0 or array.max() > 1):
        raise ValueError(f"{name} should lie in [0, 1], got values in [{array.min()}, {array.max()}]")
    return array


def int_labels(value, name: str) -> np.ndarray:
    """Class labels of any shape, as an int64 array: ints (any width) pass, floats and strings do not.

    Truncating float labels would count 1.7 as class 1 without a word, so they are refused.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "iu" and not (array.size == 0 and array.dtype.kind == "f"):
        raise TypeError(f"{name} should hold int class labels, got dtype {array.dtype}")
    return array.astype(np.int64)


def class_labels(value, name: str, count: int, num_classes: int,
                 meaning: str = "the model's classes") -> np.ndarray:
    """``count`` class indices, each in [0, num_classes), as an int64 array of shape (count,).

    ``meaning`` says in the message what the range stands for ("the model's classes", "the digits 0-9").
    """
    array = np.asarray(value)
    if array.ndim == 1 and array.dtype.kind not in "iu":
        raise TypeError(f"{name} should be {count} ints (one per image), got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} should be {count} ints (one per image), got shape {array.shape}")
    if len(array) != count:
        raise ValueError(f"{name} should have one entry per image ({count}), got {len(array)}")
    if count and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(f"{name} should lie in [0, {num_classes}) ({meaning}), "
                         f"got values in [{array.min()}, {array.max()}]")
    return array.astype(np.int64)
