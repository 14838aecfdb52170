"""Checkers for chapter 03 (pooling): global average pooling, the receptive field, the gradient of max
pooling, the "no pooling" prediction and the questionnaire."""
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


def _numerical_gradient(x, size, grad_out, eps=1e-6):
    """∂L/∂x for L = Σ grad_out · max_pool2d(x, size), by central differences: nudge each pixel both ways."""
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        gradient[index] = np.sum(grad_out * (scratch.max_pool2d(up, size) - scratch.max_pool2d(down, size)))
    return gradient / (2 * eps)


@checker("max_pool_backward: where the gradient of max pooling goes")
def check_max_pool_backward(max_pool_backward):
    """``max_pool_backward(x, size, grad_out)`` → ∂L/∂x for a 2-D map pooled with size × size windows side by
    side ("valid"), given ``grad_out`` = ∂L/∂Y. Compared with finite differences on random maps (no ties)."""
    rng = np.random.default_rng(17)
    for shape, size in (((4, 4), 2), ((6, 9), 3), ((7, 5), 2), ((5, 5), 1)):
        x = rng.normal(size=shape)
        out_shape = (shape[0] // size, shape[1] // size)
        grad_out = rng.normal(size=out_shape)
        got = as_array(call(max_pool_backward, x.copy(), size, grad_out.copy()),
                       f"max_pool_backward(x, {size}, grad_out)")
        where = f"for x of shape {shape} and size {size}"
        if got.shape == out_shape and size > 1:
            raise Hint(f"{where} you returned shape {got.shape}, one number per pooled output: the gradient "
                       f"with respect to x has one number per input pixel, shape {shape}")
        if got.shape != shape:
            raise Hint(f"{where} the gradient should have x's shape {shape}, got {got.shape}")
        expected = _numerical_gradient(x, size, grad_out)
        if np.allclose(got, expected, atol=1e-5):
            continue
        rows, columns = out_shape[0] * size, out_shape[1] * size
        spread = np.zeros(shape)
        spread[:rows, :columns] = np.kron(grad_out, np.ones((size, size)))
        winners = np.zeros(shape)
        winners[:rows, :columns] = _numerical_gradient(x, size, np.ones(out_shape))[:rows, :columns]
        covered = np.zeros(shape, dtype=bool)
        covered[:rows, :columns] = True
        if np.allclose(got, spread / size ** 2):
            hint = ("That is average pooling's gradient, shared evenly over each window. In max pooling, "
                    "nudge a pixel that is not the largest of its window: does the output move?")
        elif np.allclose(got, spread):
            hint = ("Every pixel of a window got the window's gradient, but nudging a pixel that is not the "
                    "largest does not change the output at all.")
        elif np.allclose(got, winners):
            hint = ("The right pixels, but each should receive the gradient arriving from above "
                    "(grad_out), not 1: the chain rule multiplies by it.")
        elif np.allclose(got[covered], expected[covered]):
            hint = ("Pixels in the leftover rows and columns, which no window covers, never change any "
                    "output: their gradient is 0.")
        else:
            hint = "Which outputs change when you nudge that pixel, and by how much?"
        first = tuple(int(i) for i in np.argwhere(~np.isclose(got, expected, atol=1e-5))[0])
        raise Hint(f"{where}, your gradient at x{list(first)} is {got[first]:.4g}, but nudging that pixel "
                   f"changes L = Σ grad_out · Y at the rate {expected[first]:.4g}. {hint}")
    return "right: each window passes its gradient to the one pixel that won, and to no other."


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
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"accuracy": "about the same", "shift": "about the same"}


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
