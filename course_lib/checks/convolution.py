"""Checkers for chapter 02 (convolution): a loop convolution, the padding 'same' adds, when the flip does
not matter, the stacking prediction and the questionnaire."""
from __future__ import annotations

from course_lib import scratch
from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_choices,
    expect_close,
    multiple_choice,
)

import numpy as np


@checker("conv2d_loop: the article's convolution with loops")
def check_conv2d_loop(conv2d_loop):
    """``conv2d_loop(x, k)``: 2-D image, 2-D kernel, padding "valid", stride 1, kernel flipped."""
    rng = np.random.default_rng(7)
    for shape, kshape in (((5, 6), (3, 3)), ((7, 4), (2, 3)), ((4, 4), (1, 1)), ((6, 6), (4, 2))):
        x, k = rng.normal(size=shape), rng.normal(size=kshape)
        got = as_array(call(conv2d_loop, x.copy(), k.copy()), "conv2d_loop(x, k)")
        expected = scratch.conv2d(x, k)
        if got.shape != expected.shape:
            raise Hint(f"for x of shape {shape} and k of shape {kshape} the output should be "
                       f"{expected.shape} (H − kh + 1, W − kw + 1), got {got.shape}")
        if np.allclose(got, scratch.correlate2d(x, k)) and not np.allclose(got, expected):
            raise Hint("your result is the cross-correlation (what Keras computes): the article's formula "
                       "uses F(i − m, j − n), so the kernel must be flipped (k[::-1, ::-1]) before sliding")
        expect_close(got, expected, f"conv2d_loop(x, k) for x {shape}, k {kshape}",
                     hint="Output (i, j) is the sum over the window x[i:i+kh, j:j+kw] times the flipped "
                          "kernel.")


def _padding_for_same(n, k, stride):
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


@checker("padding_for_same: the zeros that 'same' adds")
def check_padding_for_same(padding_for_same):
    """``padding_for_same(n, k, stride)`` → (before, after): the zeros Keras adds along one axis with
    ``padding="same"``, so that the output has ceil(n / stride) values; an odd total puts the extra one
    after."""
    cases = [(28, 3, 1), (28, 4, 1), (28, 3, 2), (28, 4, 2), (28, 4, 3), (9, 1, 3), (7, 2, 3), (5, 5, 1),
             (10, 2, 4), (11, 3, 5), (6, 7, 2), (1, 3, 1)]
    for n, k, stride in cases:
        expected = _padding_for_same(n, k, stride)
        got = call(padding_for_same, n, k, stride)
        name = f"padding_for_same({n}, {k}, {stride})"
        if isinstance(got, np.ndarray):
            got = got.tolist()
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Hint(f"{name} should return a pair (before, after), got {type(got).__name__} {got!r}")
        if not all(isinstance(value, (int, np.integer)) and not isinstance(value, bool) for value in got):
            raise Hint(f"{name} returned {tuple(got)}: the padding is a whole number of rows, (int, int)")
        got = tuple(int(value) for value in got)
        if got == expected:
            continue
        total, wanted = sum(got), sum(expected)
        if min(got) < 0:
            hint = ("Padding cannot be negative: when the windows already reach far enough, nothing is "
                    "added.")
        elif total == wanted and got == expected[::-1]:
            hint = "The total is right, but Keras puts the odd zero after (bottom or right), not before."
        elif total == wanted:
            hint = "The total is right; split it as evenly as possible, the odd zero after."
        elif stride > 1 and total == k - 1:
            hint = (f"That is the padding for stride 1. With stride {stride} there are only "
                    f"ceil({n} / {stride}) outputs: where does the last window start, and how far past the "
                    "end of the input does it reach?")
        else:
            hint = ("Count from the last window: where does it start, and how many positions past the end of "
                    "the input does it reach?")
        expected_total = f", expected a total of {wanted}" if total != wanted else ""
        raise Hint(f"{name} returned {got}{expected_total}. {hint}")
    return "right: the last window decides the total, and Keras puts the odd zero after."


def _flip_cases():
    """(name, kernel, what the flip does to it) for the flip_invariant checker: presets, traps, odd shapes."""
    presets = {name: np.array(kernel, dtype=float) for name, kernel in (
        ("box blur", [[1 / 9] * 3] * 3),
        ("sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
        ("Sobel x", [[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
        ("emboss", [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
        ("mirror-symmetric left to right only", [[1, 2, 1], [0, 0, 0], [3, 3, 3]]),
        ("a symmetric matrix (k equals its transpose)", [[1, 2, 3], [2, 0, 4], [3, 4, 5]]),
        ("a kernel that is neither mirror-symmetric nor a symmetric matrix",
         [[1, 2, 0], [0, 5, 0], [0, 2, 1]]),
        ("a 2 × 3 kernel", [[1, 0, 2], [2, 0, 1]]),
        ("a 2 × 4 kernel", [[1, 2, 3, 4], [4, 3, 2, 1]]),
        ("a 1 × 2 kernel", [[1, 2]]),
        ("a 4 × 4 kernel with one entry off", [[1, 2, 3, 4], [5, 6, 7, 8], [8, 7, 6, 5], [4, 3, 2, 0]]),
    )}
    random = np.random.default_rng(13).normal(size=(5, 5))
    presets["a random 5 × 5 kernel"] = random
    presets["a random 5 × 5 kernel made point-symmetric"] = (random + random[::-1, ::-1]) / 2
    return presets


@checker("flip_invariant: when does the flip not matter?")
def check_flip_invariant(flip_invariant):
    """``flip_invariant(k)`` → True exactly when conv2d(x, k) == correlate2d(x, k) for every image x,
    i.e. when k is point-symmetric: k[::-1, ::-1] == k."""
    rng = np.random.default_rng(21)
    for name, k in _flip_cases().items():
        got = call(flip_invariant, k.copy())
        if isinstance(got, np.ndarray) and got.size == 1:
            got = got.item()
        if not isinstance(got, (bool, np.bool_)):
            shown = f" {got!r}" if isinstance(got, (int, float, str, type(None))) else ""
            raise Hint(f"flip_invariant(k) should return True or False, got {type(got).__name__}{shown}")
        expected = bool(np.array_equal(k, k[::-1, ::-1]))
        if bool(got) == expected:
            continue
        x = rng.normal(size=(k.shape[0] + 4, k.shape[1] + 5))
        gap = float(np.abs(scratch.conv2d(x, k) - scratch.correlate2d(x, k)).max())
        if got:
            why = ""
            if np.array_equal(-k, k[::-1, ::-1]):
                why = " The flip turns this kernel into its negative, so the two outputs have opposite signs."
            elif np.array_equal(k, k[:, ::-1]) or np.array_equal(k, k[::-1]):
                why = " Being its own mirror image along one axis is not enough: the formula flips both axes."
            elif np.array_equal(k, k.T):
                why = " A transpose is a reflection about the diagonal, not the flip the formula does."
            raise Hint(f"for {name} you answered True, but on a random image conv2d and correlate2d differ "
                       f"by up to {gap:.3g}.{why}")
        raise Hint(f"for {name} you answered False, but conv2d and correlate2d give identical results on "
                   "every image (try it). Mirror symmetry along an axis or across the diagonal is not what "
                   "matters: compare the kernel with what the formula does to it.")
    return "right: convolution and cross-correlation agree exactly when the kernel equals its flip."


STACKING_CHOICES = {"one_kernel": ("3x3", "5x5", "9x9", "none"), "every_5x5": ("yes", "no")}
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"one_kernel": "5x5", "every_5x5": "no"}


@checker("your prediction, before the experiment")
def check_stacking_prediction(stacking_prediction):
    """The learner's ``stacking_prediction()`` → {"one_kernel": ..., "every_5x5": ...}. Any honest
    prediction passes; the experiment says whether it came true."""
    return expect_choices(call(stacking_prediction), STACKING_CHOICES)


QUESTIONNAIRE = {1: "b", 2: "a", 3: "c", 4: "b", 5: "a", 6: "c"}
REASONS = {
    1: "Conv2D slides the kernel unflipped: Y(i, j) = Σ X(i + m, j + n) K(m, n), a cross-correlation",
    2: "valid: (32 − 5) // 2 + 1 = 14; 'same' would give ceil(32 / 2) = 16",
    3: "training finds whatever kernel works, and the flip of any kernel is just another kernel",
    4: "every output is a weighted sum of equal pixels, 0.7 × (sum of the entries) = 0.7 × 0",
    5: "the gradient for K(m, n) sums each error times the input pixel that entry saw: input ⋆ error",
    6: "the flip turns Sobel x into −Sobel x, so only the sign of the response changes",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
