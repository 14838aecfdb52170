"""Checkers for chapter 03 (pooling): a loop max-pool, multiply-add counts, global average pooling."""
from __future__ import annotations

from course_lib import scratch
from course_lib.checks.core import Hint, as_array, call, checker, expect_close, expect_number_cases

import numpy as np


@checker("max_pool_loop: the article's max pooling with loops")
def check_max_pool_loop(max_pool_loop):
    """``max_pool_loop(x, size)``: 2-D input, size×size windows side by side (stride = size), "valid"."""
    rng = np.random.default_rng(11)
    for shape, size in (((4, 4), 2), ((6, 9), 3), ((7, 5), 2), ((5, 5), 1)):
        x = rng.normal(size=shape)
        got = as_array(call(max_pool_loop, x.copy(), size), f"max_pool_loop(x, {size})")
        expected = scratch.max_pool2d(x, size)
        if got.shape == scratch.max_pool2d(x, size, stride=1).shape and got.shape != expected.shape:
            raise Hint(f"your output {got.shape} has one value per pixel position: the windows should move "
                       f"by the pool size ({size}), not by 1, giving {expected.shape}")
        if got.shape != expected.shape:
            raise Hint(f"for x of shape {shape} and size {size} the output should be {expected.shape} "
                       f"(H // size, W // size; leftover rows and columns are dropped), got {got.shape}")
        if np.allclose(got, scratch.avg_pool2d(x, size)) and size > 1:
            raise Hint("that is average pooling; take the largest value of each window (max)")
        expect_close(got, expected, f"max_pool_loop(x, {size}) for x {shape}",
                     hint="Y(i, j) is the max of x[i*size:(i+1)*size, j*size:(j+1)*size].")


@checker("conv_multiply_adds: the cost of a convolution layer")
def check_conv_multiply_adds(conv_multiply_adds):
    """``conv_multiply_adds(out_height, out_width, kh, kw, c_in, c_out)``."""
    cases = [(26, 26, 3, 3, 1, 32), (11, 11, 3, 3, 32, 64), (3, 3, 3, 3, 64, 64), (4, 5, 2, 3, 6, 7)]

    def hint(case, got, expected):
        h, w, kh, kw, c_in, c_out = case
        if got == h * w * kh * kw * c_out:
            return "Each output value sums over all C_in input channels too."
        if got == h * w * kh * kw * c_in:
            return "There is one output map per filter: multiply by C_out."
        return "Every one of the H_out·W_out·C_out outputs costs kh·kw·C_in multiply-adds."

    expect_number_cases(conv_multiply_adds, cases, scratch.conv2d_multiply_adds, "conv_multiply_adds", hint)


@checker("global_average_pool: one number per channel")
def check_global_average_pool(global_average_pool):
    """``global_average_pool(x)``: (H, W, C) → (C,), the mean of each channel."""
    x = np.random.default_rng(5).normal(size=(5, 4, 3))
    got = as_array(call(global_average_pool, x.copy()), "global_average_pool(x)")
    if got.shape == (5, 4):
        raise Hint("you averaged over the channels; average over height and width instead (axis=(0, 1))")
    if got.shape != (3,):
        raise Hint(f"for x of shape {x.shape} the result should have shape (3,), one value per channel, "
                   f"got {got.shape}")
    if np.allclose(got, x.max(axis=(0, 1))):
        raise Hint("that is the maximum of each channel; take the mean")
    expect_close(got, x.mean(axis=(0, 1)), "global_average_pool(x)")
