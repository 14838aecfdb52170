"""Argument checks shared by the modules of course_lib (package-internal; not taught in a chapter).

One place, one rule and one message style: a check names the argument, what was expected and what
came instead, and raises ``ValueError`` (the value is wrong) or ``TypeError`` (the kind is wrong).
NumPy integers count as ints (``np.int64(3)`` comes out of arrays all the time); bools do not, even
though Python treats ``True`` as 1.
"""
from __future__ import annotations

import numbers

import numpy as np


def is_int(value) -> bool:
    """True for Python and NumPy integers, False for bools and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as a Python int, checked to be an int of at least ``minimum``."""
    if not is_int(value) or value < minimum:
        expected = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} should be {expected}, got {value!r}")
    return int(value)


def optional_positive_int(value, name: str, minimum: int = 1) -> int | None:
    """Like ``positive_int``, but ``None`` passes through (meaning "not given")."""
    return None if value is None else positive_int(value, name, minimum)


def image_shape(value, name: str = "input_shape") -> tuple[int, int, int]:
    """``(height, width, channels)`` of positive ints, as a tuple."""
    if not isinstance(value, (tuple, list)) or len(value) != 3 or not all(is_int(n) and n > 0 for n in value):
        raise ValueError(f"{name} should be (height, width, channels) of positive ints, got {value!r}")
    return tuple(int(n) for n in value)


def int_tuple(value, name: str, length: int | None = None) -> tuple[int, ...]:
    """A non-empty tuple or list of positive ints (``length`` of them when given), as a tuple."""
    if (not isinstance(value, (tuple, list)) or not value or (length is not None and len(value) != length)
            or not all(is_int(n) and n > 0 for n in value)):
        count = f"{length} " if length is not None else ""
        raise ValueError(f"{name} should be {count}positive ints in a tuple, got {value!r}")
    return tuple(int(n) for n in value)


def int_range(value, name: str, minimum: int) -> tuple[int, int]:
    """``(low, high)``, two ints with ``minimum <= low <= high``, as a tuple of Python ints."""
    if (not isinstance(value, (tuple, list)) or len(value) != 2 or not all(is_int(v) for v in value)
            or value[0] < minimum or value[0] > value[1]):
        raise ValueError(f"{name} should be (low, high) ints with {minimum} <= low <= high, got {value!r}")
    return int(value[0]), int(value[1])


def fraction(value, name: str, *, low: float = 0.0, high: float = 1.0, include_high: bool = False) -> float:
    """A real number in [low, high) (or [low, high] with ``include_high``), as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} should be a number in [{low}, {high}{']' if include_high else ')'}, "
                         f"got {value!r}")
    inside = low <= value <= high if include_high else low <= value < high
    if not inside:
        raise ValueError(f"{name} should be in [{low}, {high}{']' if include_high else ')'}, got {value!r}")
    return float(value)


def image_batch(value, name: str = "images", unit_range: bool = False) -> np.ndarray:
    """A non-empty batch of images shaped (N, H, W, C), of finite real numbers, as float32.

    With ``unit_range`` the values must also lie in [0, 1], the range every course model is fed.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{name} should be a float array shaped (N, H, W, C), got dtype {array.dtype}")
    if array.ndim != 4 or 0 in array.shape:
        raise ValueError(f"{name} should be a float array shaped (N, H, W, C) with no empty axis, "
                         f"got shape {array.shape}")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} should hold finite numbers, got NaN or infinity")
    if unit_range and (array.min() < 0 or array.max() > 1):
        raise ValueError(f"{name} should lie in [0, 1], got values in [{array.min()}, {array.max()}]")
    return array


def class_labels(value, name: str, count: int, num_classes: int) -> np.ndarray:
    """``count`` class indices, each in [0, num_classes), as an int64 array of shape (count,)."""
    array = np.asarray(value)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise ValueError(f"{name} should be {count} ints (one per image), got "
                         f"{'dtype ' + str(array.dtype) if array.ndim == 1 else 'shape ' + str(array.shape)}")
    if len(array) != count:
        raise ValueError(f"{name} should have one entry per image ({count}), got {len(array)}")
    if count and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(f"{name} should lie in [0, {num_classes}) (the model's classes), "
                         f"got values in [{array.min()}, {array.max()}]")
    return array.astype(np.int64)
