"""Checkers for chapter 07, a DCGAN on MNIST."""
from __future__ import annotations

from course_lib.checks.core import Hint, as_array, call, checker, expect_close, expect_equal_number

import numpy as np


@checker("the share of confident predictions")
def check_confident_share(confident_share):
    probabilities = np.array([
        [0.95, 0.05, 0.0],
        [0.5, 0.3, 0.2],
        [0.0, 0.9, 0.1],     # exactly at the threshold counts as confident
        [0.1, 0.1, 0.8],
    ])
    answer = call(confident_share, probabilities.copy(), 0.9)
    if np.size(as_array(answer)) != 1:
        raise Hint(f"return one number (a share between 0 and 1), got shape {np.shape(answer)}")
    value = float(np.asarray(answer).item())
    if np.isclose(value, 1 / 4):
        raise Hint("an image whose top probability equals the threshold (0.9) counts as confident: use >=")
    if np.isclose(value, 2):
        raise Hint("return the share (count divided by the number of images), not the count")
    expect_equal_number(value, 0.5, "the share for the 4 test rows", tolerance=1e-9,
                        hint="take each row's largest probability, compare it with the threshold, average")
    answer = call(confident_share, probabilities.copy(), 0.75)
    expect_equal_number(np.asarray(answer).item(), 0.75, "the share at threshold 0.75", tolerance=1e-9,
                        hint="use the threshold argument instead of a fixed 0.9")
    return "right: the share of images whose top class has probability ≥ the threshold."


@checker("spot the collapsed generator")
def check_find_collapsed(find_collapsed):
    rng = np.random.default_rng(7)
    healthy = rng.multinomial(1000, [0.1] * 10)
    lopsided = rng.multinomial(1000, [0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05])
    collapsed = np.array([0, 0, 310, 0, 350, 0, 0, 340, 0, 0])
    for order in (["A", "B", "C"], ["C", "A", "B"]):
        counts = dict(zip(order, [healthy, lopsided, collapsed]))
        answer = call(find_collapsed, {k: v.copy() for k, v in counts.items()})
        if not isinstance(answer, str):
            raise Hint(f"return the name (a key of the dictionary), got {type(answer).__name__} {answer!r}")
        if answer == order[1]:
            raise Hint(f"{answer!r} is uneven but draws every digit; look for digits that never appear")
        if answer != order[2]:
            raise Hint(f"{answer!r} is not the collapsed one: compare the smallest class share of each")
    return "right: a collapsed generator never draws some digits, so its smallest class share is (near) 0."


@checker("spherical interpolation (slerp)")
def check_slerp(slerp):
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=16), rng.normal(size=16)
    omega = np.arccos(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))
    for t in (0.0, 0.3, 1.0):
        expected = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
        answer = call(slerp, a.copy(), b.copy(), t)
        if t == 0.3 and np.allclose(as_array(answer), (1 - t) * a + t * b):
            raise Hint("that is the straight line (linear interpolation); slerp follows the arc, "
                       "weights sin((1 − t)Ω)/sin Ω and sin(tΩ)/sin Ω")
        expect_close(answer, expected, f"slerp(a, b, {t})", atol=1e-6,
                     hint="Ω is the angle between a and b: cos Ω = a·b / (|a| |b|)")
    u, v = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    expect_close(call(slerp, u, v, 0.5), [np.sqrt(0.5)] * 2, "slerp of two unit vectors at t = 0.5")
    return "right: on the arc, the vectors keep their length."
