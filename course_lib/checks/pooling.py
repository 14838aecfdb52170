"""Checkers for chapter 03 (pooling): a loop max-pool, the receptive field, global average pooling, the
"no pooling" prediction and the questionnaire."""
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


def _receptive_field(layer_list):
    field, jump = 1, 1
    for kernel, stride in layer_list:
        field += (kernel - 1) * jump
        jump *= stride
    return field


@checker("receptive_field: how much of the image one output sees")
def check_receptive_field(receptive_field):
    """``receptive_field(layer_list)``: [(kernel, stride), ...] from the input up → pixels per axis."""
    article = [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]
    cases = [[], [(3, 1)], [(3, 1), (3, 1)], [(5, 1), (3, 1), (3, 1)], [(2, 2), (2, 2), (2, 2)],
             [(3, 2), (3, 2), (3, 2)], [(3, 1), (2, 2), (3, 1)], article, [(7, 2), (3, 2), (3, 1), (1, 1)]]
    for layer_list in cases:
        expected = _receptive_field(layer_list)
        got = call(receptive_field, [tuple(layer) for layer in layer_list])
        if isinstance(got, (list, tuple, np.ndarray)) and np.size(got) == 1:
            got = np.asarray(got).item()
        if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
            raise Hint(f"receptive_field({layer_list}) should return a number, got {type(got).__name__}")
        if got == expected:
            continue
        hint = ""
        if not layer_list:
            hint = "With no layers at all, one output is one input pixel."
        elif got == 1 + sum(kernel - 1 for kernel, _ in layer_list):
            hint = ("You ignored the strides: after a layer with stride 2, neighbouring positions of the "
                    "next layer's window lie 2 input pixels apart.")
        elif got == int(np.prod([kernel for kernel, _ in layer_list])):
            hint = "Layers do not multiply the field: each one adds to it."
        elif got == sum(kernel for kernel, _ in layer_list):
            hint = "Two stacked 3 × 3 windows overlap: together they span 5 pixels, not 6."
        else:
            jump, wrong = 1, 1
            for kernel, stride in layer_list:
                jump *= stride
                wrong += (kernel - 1) * jump
            if got == wrong:
                hint = ("A layer's own stride does not widen its own window: only the strides of the layers "
                        "below it do.")
        raise Hint(f"receptive_field({layer_list}) returned {got}, expected {expected}."
                   + (f" {hint}" if hint else ""))
    return "right: the field grows by (k − 1) × (product of the strides below) at every layer."


POOLING_CHOICES = {"accuracy": ("with pooling higher", "about the same", "without pooling higher"),
                   "shift": ("with pooling loses more", "about the same", "without pooling loses more")}


@checker("your prediction, before the experiment")
def check_pooling_prediction(pooling_prediction):
    """The learner's ``pooling_prediction()`` → {"accuracy": ..., "shift": ...}. Any honest prediction
    passes; the experiment says whether it came true."""
    return expect_choices(call(pooling_prediction), POOLING_CHOICES)


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


QUESTIONNAIRE = {1: "a", 2: "b", 3: "c", 4: "b", 5: "a", 6: "c"}
REASONS = {
    1: "2 × 2 windows side by side: 26 // 2 = 13 per axis",
    2: "'valid' drops what does not fill a window: 11 // 2 = 5, the last row and column are lost",
    3: "pooling compares or averages; it has no weights (count_params() is 0)",
    4: "without the strides of the pools three 3 × 3 convolutions see 1 + 2 + 2 + 2 = 7 pixels, not 18",
    5: "the flattened map is 22 · 22 · 64 = 30,976 values instead of 3 · 3 · 64 = 576",
    6: "pooling makes the features change less under a small shift, but it is robustness, not invariance",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
