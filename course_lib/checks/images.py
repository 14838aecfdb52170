"""Checkers for chapter 01 (images as data): pixel scaling, grayscale conversion, dataset sizes."""
from __future__ import annotations

from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_close,
    expect_number_cases,
    uint8_test_images,
)

import numpy as np

GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma weights


@checker("to_float: uint8 pixels to floats in [0, 1]")
def check_to_float(to_float):
    """``to_float(images)``: uint8 in 0..255 → float32 in 0..1, same shape."""
    images = uint8_test_images((3, 5, 4), seed=0)
    answer = call(to_float, images.copy())
    got = as_array(answer, "to_float(images)")
    if got.shape != images.shape:
        raise Hint(f"the shape should stay {images.shape}, got {got.shape}")
    if np.all(np.isin(got, (0.0, 1.0))) and got.max() <= 1:
        raise Hint("all values came out 0 or 1: integer division (//) drops the fraction; use / 255")
    if got.max() > 1.0 + 1e-6:
        raise Hint(f"the largest value is {got.max():g}: divide by 255 so that white becomes 1.0")
    expect_close(got, images / 255.0, "to_float(images)", atol=1e-6)
    dtype = getattr(answer, "dtype", None)
    if dtype != np.float32:
        raise Hint(f"the values are right but the dtype is {dtype}; "
                   "Keras works in float32 (.astype('float32'))")


@checker("rgb_to_gray: a weighted sum of red, green and blue")
def check_rgb_to_gray(rgb_to_gray):
    """``rgb_to_gray(image)``: (H, W, 3) → (H, W) with weights 0.299, 0.587, 0.114."""
    rng = np.random.default_rng(1)
    image = rng.random((4, 6, 3))
    got = as_array(call(rgb_to_gray, image.copy()), "rgb_to_gray(image)")
    if got.shape == (4, 6, 1):
        raise Hint("drop the channel axis: the result should be (H, W), not (H, W, 1)")
    if got.shape != (4, 6):
        raise Hint(f"for an image of shape {image.shape} the result should be (4, 6), got {got.shape}")
    if np.allclose(got, image.mean(axis=-1)):
        raise Hint("that is the plain mean; the eye is most sensitive to green, so use the weights "
                   "0.299 (red), 0.587 (green), 0.114 (blue)")
    expect_close(got, image @ np.array(GRAY_WEIGHTS), "rgb_to_gray(image)",
                 hint="Multiply each channel by its weight and add: image @ [0.299, 0.587, 0.114].")


@checker("dataset_bytes: how much memory does a dataset take?")
def check_dataset_bytes(dataset_bytes):
    """``dataset_bytes(n_images, height, width, channels, bytes_per_value)``."""
    cases = [(70_000, 28, 28, 1, 1), (10, 4, 5, 3, 1), (10, 4, 5, 3, 4), (1_281_167, 224, 224, 3, 1),
             (2, 3, 3, 1, 8)]

    def reference(n, h, w, c, b):
        return n * h * w * c * b

    def hint(case, got, expected):
        n, h, w, c, b = case
        if got == n * h * w * b:
            return "Count every channel: a colour pixel holds 3 values."
        if got == n * h * w * c:
            return "Multiply by bytes_per_value: float32 takes 4 bytes per value, uint8 one."
        return "Bytes = images × height × width × channels × bytes per value."

    expect_number_cases(dataset_bytes, cases, reference, "dataset_bytes", hint)
