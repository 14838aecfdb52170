"""Checkers for chapter 09a (little data and small models: augmentation, transfer, separable convolutions)."""
from __future__ import annotations

from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_choices,
    expect_equal_number,
    multiple_choice,
)

import numpy as np


def _shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image`` moved dy rows down and dx columns right, black where nothing moved in."""
    out = np.zeros_like(image)
    height, width = image.shape
    out[max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
        image[max(-dy, 0):height - max(dy, 0), max(-dx, 0):width - max(dx, 0)]
    return out


@checker("random shift with a black border")
def check_random_shift(random_shift):
    """The learner's ``random_shift(image, max_shift, rng)``: the image moved by whole pixels, at most
    ``max_shift`` each way, the uncovered border black, nothing wrapped around, each call a new shift."""
    rng_image = np.random.default_rng(3)
    image = np.zeros((12, 12), dtype=np.uint8)
    image[3:9, 4:8] = rng_image.integers(1, 256, size=(6, 4))
    image[0, :] = 200   # a bright top row: a shift upwards must push it out, not wrap it to the bottom
    seen = set()
    rng = np.random.default_rng(0)
    for _ in range(200):
        out = as_array(call(random_shift, image.copy(), 2, rng), "random_shift(image, 2, rng)")
        if out.shape != image.shape:
            raise Hint(f"the shifted image has shape {out.shape}; keep the shape {image.shape}")
        if np.array_equal(out, image) and not seen:
            seen.add((0, 0))
            continue
        match = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(out, _shifted(image, dy, dx))]
        if not match:
            rolled = any(np.array_equal(out, np.roll(image, (dy, dx), axis=(0, 1)))
                         for dy in range(-2, 3) for dx in range(-2, 3))
            if rolled:
                raise Hint("pixels that leave one side come back on the other (np.roll wraps around); "
                           "fill the uncovered rows and columns with black (0) instead")
            if any(np.array_equal(out, _shifted(image, dy, dx))
                   for dy in range(-5, 6) for dx in range(-5, 6)):
                raise Hint("a shift went beyond max_shift = 2 pixels")
            raise Hint("the result is not the image moved by whole pixels with a black border")
        seen.add(match[0])
    if len(seen) < 10:
        raise Hint(f"200 calls gave only {len(seen)} different shifts; draw dy and dx independently, each "
                   "from -max_shift to +max_shift inclusive, with the rng you are given")
    if not any(dy == 2 for dy, _ in seen) or not any(dx == -2 for _, dx in seen):
        raise Hint("the largest shifts (±max_shift) never came up: rng.integers's upper bound is exclusive")
    first = call(random_shift, image.copy(), 2, np.random.default_rng(7))
    again = call(random_shift, image.copy(), 2, np.random.default_rng(7))
    if not np.array_equal(first, again):
        raise Hint("the same seed gave different shifts: draw every random number from `rng`")
    return f"{len(seen)} different shifts in 200 calls, none wrapping around."


def _inverted_residual_params(c_in: int, expansion: int, c_out: int, kernel: int = 3) -> int:
    hidden = c_in * expansion
    expand = (c_in * hidden + 4 * hidden) if expansion != 1 else 0
    depthwise = kernel * kernel * hidden + 4 * hidden
    project = hidden * c_out + 4 * c_out
    return expand + depthwise + project


def _keras_inverted_residual_params(c_in: int, expansion: int, c_out: int, kernel: int = 3) -> int:
    import keras
    from keras import layers

    inputs = keras.Input(shape=(16, 16, c_in))
    x = inputs
    hidden = c_in * expansion
    if expansion != 1:
        x = layers.Conv2D(hidden, 1, use_bias=False)(x)
        x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    x = layers.DepthwiseConv2D(kernel, padding="same", use_bias=False)(x)
    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    x = layers.BatchNormalization()(layers.Conv2D(c_out, 1, use_bias=False)(x))
    return keras.Model(inputs, x).count_params()


@checker("parameters of a MobileNetV2 block")
def check_inverted_residual_params(inverted_residual_params):
    """The learner's ``inverted_residual_params(c_in, expansion, c_out, kernel=3)``, compared with the
    block built in Keras (1×1 expansion, k×k depthwise, 1×1 projection, each without bias and followed by
    batch normalisation; no expansion layer when expansion is 1)."""
    cases = [(16, 6, 24), (24, 6, 24), (32, 1, 16), (64, 6, 96, 5), (8, 4, 8)]
    for case in cases:
        expected = _keras_inverted_residual_params(*case)
        assert expected == _inverted_residual_params(*case)  # the checker's own arithmetic, cross-checked
        got = call(inverted_residual_params, *case)
        c_in, expansion, c_out = case[:3]
        kernel = case[3] if len(case) > 3 else 3
        hidden = c_in * expansion
        hint = ""
        if got == expected - 2 * (hidden * (2 if expansion != 1 else 1) + c_out):
            hint = ("batch normalisation keeps 4 numbers per channel: the trainable scale and shift, and "
                    "the moving mean and variance (count_params counts them all)")
        elif expansion == 1 and got == expected + c_in * hidden + 4 * hidden:
            hint = "with expansion 1 the block has no expansion layer (MobileNetV2's first block)"
        elif got == expected + kernel * kernel * hidden * (hidden - 1):
            hint = ("the depthwise layer filters each channel on its own: kernel·kernel·hidden weights, "
                    "not kernel·kernel·hidden²")
        expect_equal_number(got, expected, f"inverted_residual_params{case}", hint=hint)
    return "matches count_params() of the block built in Keras."


@checker("stratified validation split")
def check_stratified_split(stratified_split):
    """The learner's ``stratified_split(labels, validation_fraction, seed)`` → (train_idx, val_idx):
    disjoint, together every index once, each class's share in validation within one example of
    the requested fraction, reproducible under a seed."""
    rng = np.random.default_rng(0)
    labels = np.concatenate([np.full(n, c) for c, n in enumerate([500, 60, 240, 8])])
    labels = labels[rng.permutation(len(labels))]
    result = call(stratified_split, labels.copy(), 0.25, 0)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Hint("return two index arrays: (train_idx, val_idx)")
    train_idx, val_idx = (as_array(part, "an index array").astype(int) for part in result)
    both = np.concatenate([train_idx, val_idx])
    if len(np.intersect1d(train_idx, val_idx)):
        raise Hint("an image is in both parts; a validation image must never be trained on")
    if len(both) != len(labels) or not np.array_equal(np.sort(both), np.arange(len(labels))):
        raise Hint("together the two parts should hold every index exactly once")
    for c in range(4):
        wanted = 0.25 * np.sum(labels == c)
        got = np.sum(labels[val_idx] == c)
        if abs(got - wanted) > 1:
            raise Hint(f"class {c} has {got} validation examples, expected about {wanted:g}: split each "
                       "class on its own (a plain random split leaves a rare class to chance)")
    if not 0 < len(val_idx) < len(labels):
        raise Hint("the validation part should be neither empty nor everything")
    again = call(stratified_split, labels.copy(), 0.25, 0)
    if not np.array_equal(np.sort(as_array(again[1]).astype(int)), np.sort(val_idx)):
        raise Hint("the same seed gave another split: use np.random.default_rng(seed) for every draw")
    first_of_each = np.sort(np.concatenate([np.flatnonzero(labels == c)[:round(0.25 * np.sum(labels == c))]
                                            for c in range(4)]))
    if np.array_equal(np.sort(val_idx), first_of_each):
        raise Hint("the validation part is the first examples of each class; shuffle within each class")
    other = call(stratified_split, labels.copy(), 0.25, 1)
    if np.array_equal(np.sort(as_array(other[1]).astype(int)), np.sort(val_idx)):
        raise Hint("seed 1 gave the same split as seed 0: the split should be random")
    return "every class keeps its share, and the split is reproducible."


CHOICES = ("hurts", "helps", "no change")
# The teacher's key for the flip experiment, kept here so that it is not on screen before the run.
PREDICTION = {"digits": "hurts", "clothes_mirrored": "helps"}


@checker("your prediction, before the flip experiment")
def check_flip_prediction(flip_prediction):
    """The learner's ``flip_prediction()`` → {"digits": ..., "clothes_mirrored": ...}, each one of
    CHOICES. Any honest prediction passes; the experiment after it says whether it came true."""
    return expect_choices(call(flip_prediction), {"digits": CHOICES, "clothes_mirrored": CHOICES})


QUESTIONNAIRE = {
    1: "c",  # augmentation helps most when data is scarce
    2: "b",  # RandomRotation's factor is a fraction of a full turn
    3: "a",  # choose on validation, report test once
    4: "c",  # the separable/standard cost ratio 1/N + 1/k² falls with N and k only
    5: "b",  # why a frozen backbone wins with 10 labels per class
}
REASONS = {
    1: "augmentation adds variety the data lacks; with 12,000 images the variety is already there",
    2: "factor 0.05 is ±0.05 of 360°, about ±18°, not ±0.05 radians or degrees",
    3: "a setting chosen on the test set makes the test score optimistic; it is not a fresh sample anymore",
    4: "the cost ratio is 1/N + 1/k²: more filters or a larger kernel lower it; C and the image size cancel",
    5: "50 images cannot teach every feature; with pretrained convolutions only the dense layers must adapt",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
