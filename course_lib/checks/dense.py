"""Checkers for chapter 04 (dense layers): parameter counts, softmax, cross-entropy."""
from __future__ import annotations

from course_lib import scratch
from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_close,
    expect_equal_number,
    expect_number_cases,
)

import numpy as np


@checker("conv_params: parameters of a Conv2D layer")
def check_conv_params(conv_params):
    """``conv_params(kh, kw, c_in, c_out)``, with one bias per filter."""
    cases = [(3, 3, 1, 32), (3, 3, 32, 64), (3, 3, 64, 64), (5, 2, 3, 7), (1, 1, 16, 8)]

    def hint(case, got, expected):
        kh, kw, c_in, c_out = case
        if got == kh * kw * c_in * c_out:
            return "Add the biases: one per filter (C_out of them)."
        if got == (kh * kw + 1) * c_out:
            return "Each filter covers all C_in input channels: it has kh·kw·C_in weights."
        return "A filter has kh·kw·C_in weights and one bias; there are C_out filters."

    expect_number_cases(conv_params, cases, scratch.conv2d_params, "conv_params", hint)


@checker("dense_params: parameters of a Dense layer")
def check_dense_params(dense_params):
    """``dense_params(n_in, n_out)``: W is (n_out, n_in), b is (n_out,)."""
    cases = [(576, 64), (64, 10), (784, 128), (3, 1)]

    def hint(case, got, expected):
        n_in, n_out = case
        if got == n_in * n_out:
            return "Add b: one bias per output."
        if got == n_in * n_out + n_in:
            return "There is one bias per output (n_out), not per input."
        return "Y = WX + b: W has n_out·n_in entries and b has n_out."

    expect_number_cases(dense_params, cases, scratch.dense_params, "dense_params", hint)


@checker("softmax_stable: probabilities from scores, without overflow")
def check_softmax_stable(softmax_stable):
    """``softmax_stable(z)``: a batch (N, classes) of scores → rows of probabilities."""
    small = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    got = as_array(call(softmax_stable, small.copy()), "softmax_stable(z)")
    if got.shape != small.shape:
        raise Hint(f"the output should keep the shape {small.shape}, got {got.shape}")
    if np.allclose(got.sum(axis=0), 1) and not np.allclose(got.sum(axis=1), 1):
        raise Hint("your columns sum to 1; normalise each row (axis=-1, keepdims=True)")
    expect_close(got, scratch.softmax(small), "softmax_stable(z)",
                 hint="softmax(z)_i = exp(z_i) / Σ_j exp(z_j), row by row.")
    large = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        got = np.asarray(call(softmax_stable, large.copy()), dtype=float)
    if not np.all(np.isfinite(got)):
        raise Hint("scores like 1000 give NaN: exp(1000) overflows. Subtract each row's maximum first; "
                   "the result is mathematically the same")
    expect_close(got, scratch.softmax(large), "softmax_stable(z) for large scores")


@checker("cross_entropy: the loss the article's model minimises")
def check_cross_entropy(cross_entropy):
    """``cross_entropy(probabilities, labels)``: mean of −log p[label] over the batch."""
    rng = np.random.default_rng(2)
    p = scratch.softmax(rng.normal(size=(6, 4)) * 2)
    labels = rng.integers(0, 4, size=6)
    got = call(cross_entropy, p.copy(), labels.copy())
    if isinstance(got, (list, tuple, np.ndarray)) and np.size(got) > 1:
        raise Hint(f"return one number, the mean over the batch, not {np.shape(got)} values")
    expected = scratch.cross_entropy(p, labels)
    rows = -np.log(p[np.arange(6), labels])
    if isinstance(got, (int, float, np.floating)) and not isinstance(got, bool):
        if np.isclose(float(got), rows.sum()):
            raise Hint("that is the sum over the batch; Keras reports the mean")
        if np.isclose(float(got), -expected):
            raise Hint("the sign is wrong: the loss is −log p, a positive number")
    expect_equal_number(got, expected, "cross_entropy(p, labels)", tolerance=1e-5,
                        hint="For each row take the probability of its true label, p[i, labels[i]], "
                             "then average −log of them.")
