"""Checkers for chapter 08e, image-to-image translation."""
from __future__ import annotations

from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_close,
    expect_equal_number,
    expect_shape,
)

import numpy as np


@checker("PSNR by hand")
def check_psnr_by_hand(psnr_by_hand):
    target = np.zeros((2, 2))
    prediction = np.array([[0.1, 0.0], [0.0, 0.1]])   # MSE 0.005 → 23.01 dB
    answer = call(psnr_by_hand, prediction.copy(), target.copy())
    if np.size(as_array(answer)) != 1:
        raise Hint("return one number, the PSNR in dB")
    value = float(np.asarray(answer).item())
    if np.isclose(value, 10 * np.log10(1 / np.sqrt(0.005))):
        raise Hint("use the mean *squared* error inside the log, not its square root")
    if np.isclose(value, np.log10(1 / 0.005)) or np.isclose(value, 10 * np.log(1 / 0.005)):
        raise Hint("PSNR = 10 · log10(1 / MSE) for images in [0, 1]: ten times the base-10 logarithm")
    expect_equal_number(value, 10 * np.log10(1 / 0.005), "PSNR of the 2×2 example", tolerance=1e-6,
                        hint="MSE = mean((prediction − target)²) = 0.005 here, "
                             "so PSNR = 10·log10(1/0.005) ≈ 23.01 dB")
    rng = np.random.default_rng(9)
    a, b = rng.random((5, 6)), rng.random((5, 6))
    expect_equal_number(np.asarray(call(psnr_by_hand, a, b)).item(), 10 * np.log10(1 / np.mean((a - b) ** 2)),
                        "PSNR of a random 5×6 pair", tolerance=1e-6)
    return "right: 10·log10(1 / MSE) dB; halving the squared error adds 3 dB."


@checker("the L1 loss")
def check_l1_loss(l1_loss):
    prediction = np.array([[0.2, 0.9], [0.5, 0.0]])
    target = np.array([[0.0, 1.0], [0.5, 0.4]])
    answer = call(l1_loss, prediction.copy(), target.copy())
    if np.size(as_array(answer)) != 1:
        raise Hint("return one number, the mean absolute difference")
    value = float(np.asarray(answer).item())
    if np.isclose(value, np.mean((prediction - target) ** 2)):
        raise Hint("that is the mean squared error (L2); L1 averages the absolute differences")
    if np.isclose(value, np.sum(np.abs(prediction - target))):
        raise Hint("take the mean, not the sum, so the loss does not grow with the image size")
    if np.isclose(value, np.mean(prediction - target)):
        raise Hint("take the absolute value of each difference before averaging")
    expect_equal_number(value, 0.175, "L1 of the 2×2 example", tolerance=1e-9,
                        hint="mean(|prediction − target|) = (0.2 + 0.1 + 0 + 0.4) / 4")
    return "right: mean |prediction − target|."


@checker("shrinking by block means")
def check_block_mean(block_mean):
    images = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4)
    expected = images.reshape(2, 2, 2, 2, 2).mean(axis=(2, 4))
    answer = as_array(call(block_mean, images.copy(), 2), "block_mean(images, 2)")
    if answer.shape == (2, 4, 4):
        raise Hint("the result should be smaller: (N, H/factor, W/factor)")
    expect_shape(answer, (2, 2, 2), "block_mean(images, 2)")
    if np.allclose(answer, images[:, ::2, ::2]):
        raise Hint("that keeps one pixel of each block; average the whole factor×factor block instead")
    expect_close(answer, expected, "block_mean(images, 2)",
                 hint="reshape to (N, H/f, f, W/f, f) and average over the two f axes")
    images = np.random.default_rng(10).random((3, 28, 28))
    expect_close(call(block_mean, images.copy(), 4), images.reshape(3, 7, 4, 7, 4).mean(axis=(2, 4)),
                 "block_mean of 28×28 images with factor 4")
    return "right: each output pixel is the mean of a factor×factor block."
