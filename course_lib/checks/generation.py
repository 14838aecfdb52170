"""Checkers for chapter 08d, a class-conditional GAN."""
from __future__ import annotations

from course_lib.checks.core import Hint, as_array, call, checker, expect_close, expect_shape

import numpy as np


@checker("agreement per requested class")
def check_per_class_agreement(per_class_agreement):
    requested = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 2])
    predicted = np.array([0, 1, 1, 1, 0, 2, 2, 2, 0, 2])
    expected = [0.5, 2 / 3, 0.8]
    answer = as_array(call(per_class_agreement, predicted.copy(), requested.copy(), 3), "per_class_agreement")
    if answer.shape == ():
        raise Hint("return one share per class (an array of num_classes numbers), not one number")
    expect_shape(answer, (3,), "per_class_agreement")
    by_prediction = [np.mean(requested[predicted == c] == c) for c in range(3)]   # [1/3, 2/3, 1]
    if np.allclose(answer, by_prediction):
        raise Hint("divide by how many times each class was requested, not by how often it was predicted")
    expect_close(answer, expected, "per_class_agreement",
                 hint="for each class c: among the images requested as c, the share predicted as c")
    answer = as_array(call(per_class_agreement, np.array([1, 1]), np.array([1, 1]), 3), "per_class_agreement")
    expect_shape(answer, (3,), "per_class_agreement for a class never requested")
    if not np.isnan(answer[0]) and not np.isclose(answer[1], 1.0):
        raise Hint("class 1 was requested twice and drawn right twice: its agreement is 1")
    if np.isfinite(answer[0]) and answer[0] != 0:
        raise Hint("a class that was never requested has no agreement: return NaN (or 0) for it")
    return "right: the share of each requested digit that the classifier recognises."


@checker("balanced labels")
def check_balanced_labels(balanced_labels):
    for count, classes in ((100, 10), (23, 10), (7, 3)):
        labels = as_array(call(balanced_labels, count, classes), "balanced_labels")
        expect_shape(labels, (count,), f"balanced_labels({count}, {classes})")
        if not np.all(labels == np.round(labels)) or labels.min() < 0 or labels.max() >= classes:
            raise Hint(f"the labels should be ints in 0..{classes - 1}")
        counts = np.bincount(labels.astype(int), minlength=classes)
        if counts.max() - counts.min() > 1:
            raise Hint(f"for count={count} and {classes} classes every class should appear "
                       f"{count // classes} or {count // classes + 1} times; got counts {counts.tolist()}")
    return "right: every digit is requested (almost) equally often."


@checker("truncated noise")
def check_truncated_noise(truncated_noise):
    z = as_array(call(truncated_noise, 4000, 8, 1.0, 0), "truncated_noise")
    expect_shape(z, (4000, 8), "truncated_noise(4000, 8, 1.0, 0)")
    if np.abs(z).max() > 1.0:
        raise Hint(f"some values exceed the limit 1.0 (largest |z| = {np.abs(z).max():.3f})")
    if np.mean(np.isclose(np.abs(z), 1.0)) > 0.01:
        raise Hint("many values sit exactly at ±limit: that is clipping; "
                   "draw again the values that fall outside")
    std = z.std()
    # a normal cut at ±1 has standard deviation 0.540 (±0.002 over these 32 000 values), a uniform draw 0.577
    if not 0.52 < std < 0.56:
        raise Hint(f"the values should look like a normal distribution cut at ±limit (std ≈ 0.54), got std "
                   f"{std:.3f}; a uniform draw gives 0.58, a plain normal 1.0")
    again = as_array(call(truncated_noise, 4000, 8, 1.0, 0), "truncated_noise")
    if not np.array_equal(again, z):
        raise Hint("the same seed should give the same noise: use np.random.default_rng(seed)")
    if np.array_equal(as_array(call(truncated_noise, 4000, 8, 1.0, 1), "truncated_noise"), z):
        raise Hint("seed=1 gave the same noise as seed=0: use the seed argument")
    wide = np.abs(as_array(call(truncated_noise, 4000, 8, 2.0, 0), "truncated_noise"))
    if wide.max() > 2.0 or wide.max() <= 1.0:
        raise Hint(f"with limit=2.0 the values should reach beyond ±1 but stay within ±2 (largest |z| = "
                   f"{wide.max():.3f}): use the limit argument")
    return "right: normal noise with every value within the limit."
