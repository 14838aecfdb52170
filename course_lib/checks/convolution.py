"""Checkers for chapter 02 (convolution): a loop convolution, output sizes, the kernel flip."""
from __future__ import annotations

from course_lib import scratch
from course_lib.checks.core import Hint, as_array, call, checker, expect_close, expect_number_cases

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


@checker("output_size: how big is the output?")
def check_output_size(output_size):
    """``output_size(n, k, stride, padding)`` for one axis, Keras semantics."""
    cases = [(28, 3, 1, "valid"), (28, 5, 1, "valid"), (28, 3, 2, "valid"), (27, 4, 3, "valid"),
             (28, 3, 1, "same"), (28, 3, 2, "same"), (7, 2, 3, "same"), (5, 5, 1, "valid"),
             (10, 4, 4, "valid")]

    def hint(case, got, expected):
        n, k, stride, padding = case
        if padding == "same":
            return "With 'same' the size is ceil(n / stride) whatever the kernel: -(-n // stride)."
        if got == n - k + 1:
            return "Remember the stride: (n − k) // stride + 1."
        return "With 'valid' count the window positions: (n − k) // stride + 1."

    expect_number_cases(output_size, cases, scratch.output_size, "output_size", hint)


@checker("keras_kernel_for: make Keras compute the article's convolution")
def check_keras_kernel_for(keras_kernel_for):
    """``keras_kernel_for(K)``: the kernel to load into Conv2D so it computes conv2d with K."""
    rng = np.random.default_rng(3)
    K = rng.normal(size=(3, 2, 2, 4))
    got = as_array(call(keras_kernel_for, K.copy()), "keras_kernel_for(K)")
    expected = scratch.flip_kernel(K)
    if got.shape != K.shape:
        raise Hint(f"the kernel should keep Keras's layout {K.shape} (kh, kw, C_in, C_out), got {got.shape}")
    if np.allclose(got, K):
        raise Hint("that is K unchanged: Conv2D would compute the cross-correlation; "
                   "flip the two spatial axes")
    if np.allclose(got, K[::-1, ::-1, ::-1, ::-1]) or np.allclose(got, K[::-1, ::-1, ::-1]):
        raise Hint("flip only the two spatial axes (kh and kw): the channel axes are not part of the formula")
    if np.allclose(got, K[::-1]) or np.allclose(got, K[:, ::-1]):
        raise Hint("flip both spatial axes, up-down and left-right: K[::-1, ::-1]")
    expect_close(got, expected, "keras_kernel_for(K)")
    x = rng.normal(size=(6, 5, 2))
    expect_close(scratch.correlate2d(x, got), scratch.conv2d(x, K), "Conv2D with your kernel")
