"""Checkers for chapter 08d, a class-conditional GAN."""
from __future__ import annotations

from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_choices,
    expect_close,
    expect_shape,
    multiple_choice,
)

import numpy as np


def _pair_distances(images):
    """Mean absolute pixel difference of every pair of two different images (i < j)."""
    flat = images.reshape(len(images), -1)
    return [np.mean(np.abs(flat[i] - flat[j])) for i in range(len(flat)) for j in range(i + 1, len(flat))]


def _within_class_diversity(images, labels):
    images, labels = np.asarray(images, dtype=float), np.asarray(labels)
    per_class = [np.mean(_pair_distances(images[labels == c])) for c in np.unique(labels)
                 if np.sum(labels == c) >= 2]
    return float(np.mean(per_class))


@checker("variety within each class")
def check_within_class_diversity(within_class_diversity):
    """The learner's ``within_class_diversity(images, labels)``: for each class with at least two images, the
    mean absolute pixel difference over all pairs of two different images of that class; then the plain mean
    over those classes (each class counts once)."""
    rng = np.random.default_rng(13)
    # a generator that draws one fixed image per class: perfect class agreement, no variety at all
    prototypes = rng.random((3, 6, 6))
    labels = np.repeat([0, 1, 2], 4)
    one_per_class = prototypes[labels]
    answer = call(within_class_diversity, one_per_class.copy(), labels.copy())
    if np.size(as_array(answer, "within_class_diversity")) != 1:
        raise Hint(f"return one number, got shape {np.shape(answer)}")
    value = float(np.asarray(answer).item())
    if not np.isclose(value, 0.0, atol=1e-9):
        raise Hint(f"a generator that repeats one image per class scored {value:.3g}, not 0: pairs across "
                   "classes measure how different the digits are, not the variety of styles within a digit; "
                   "compare only images with the same label")
    # unequal classes (5, 3 and 2 images) and one class with a single image, in a shuffled order
    images = rng.random((11, 6, 6))
    labels = rng.permutation(np.array([0] * 5 + [1] * 3 + [2] * 2 + [7]))
    expected = _within_class_diversity(images, labels)
    answer = call(within_class_diversity, images.copy(), labels.copy())
    if np.size(as_array(answer, "within_class_diversity")) != 1:
        raise Hint(f"return one number, got shape {np.shape(answer)}")
    value = float(np.asarray(answer).item())
    if not np.isfinite(value):
        raise Hint(f"got {value}: a class with a single image has no pair; leave it out")
    def self_included(c):
        members = images[labels == c]
        return np.mean([np.mean(np.abs(a - b)) for a in members for b in members])

    if any(np.isclose(value, np.mean([self_included(c) for c in classes]), rtol=1e-6)
           for classes in ((0, 1, 2), (0, 1, 2, 7))):
        raise Hint("an image paired with itself adds a distance of 0 and pulls the mean down: use only "
                   "pairs of two different images")
    if np.isclose(value, 3 * expected / 4, rtol=1e-6):
        raise Hint("a class with a single image has no pair: leave it out instead of counting it as 0")
    pooled_pairs = np.mean([d for c in (0, 1, 2) for d in _pair_distances(images[labels == c])])
    if np.isclose(value, pooled_pairs, rtol=1e-6):
        raise Hint("that averages all pairs together, so the class with the most images dominates; average "
                   "each class's own value, each class counting once")
    squared = np.mean([np.mean([np.mean((a - b) ** 2) for i, a in enumerate(images[labels == c])
                                for b in images[labels == c][i + 1:]]) for c in (0, 1, 2)])
    if np.isclose(value, squared, rtol=1e-6):
        raise Hint("measure a pair by its mean absolute pixel difference, not the squared one")
    if not np.isclose(value, expected, rtol=1e-6):
        raise Hint(f"got {value:.4g}, expected {expected:.4g}: per class, the mean of |a − b| over pixels "
                   "and over every pair of two different images; then the mean over the classes")
    digits = rng.random((6, 4, 4, 1))           # the (N, 28, 28, 1) layout of the chapter's images
    answer = call(within_class_diversity, digits.copy(), np.array([4, 4, 4, 9, 9, 9]))
    expect_close(answer, _within_class_diversity(digits, np.array([4, 4, 4, 9, 9, 9])),
                 "within_class_diversity of images with a channel axis")
    return ("right: class agreement cannot see a generator that draws one style per digit; this number "
            "can.")


@checker("the label table's gradient")
def check_label_table_gradient(label_table_gradient):
    """The learner's ``label_table_gradient(labels, row_gradients, num_classes)``: the (num_classes, D)
    gradient of an Embedding table, each row the sum of the batch's rows for that label (zeros for an absent
    label)."""
    rng = np.random.default_rng(31)
    for labels, num_classes in (([3, 1, 3, 0, 3, 1], 5), (rng.integers(0, 10, 64), 10)):
        labels = np.asarray(labels)
        rows = rng.normal(size=(len(labels), 4))
        name = f"label_table_gradient of {len(labels)} labels, {num_classes} classes"
        answer = as_array(call(label_table_gradient, labels.copy(), rows.copy(), num_classes), name)
        expect_shape(answer, (num_classes, 4), name)
        expected = np.zeros((num_classes, 4))
        np.add.at(expected, labels, rows)
        once = np.zeros((num_classes, 4))
        once[labels] += rows                  # an indexed += keeps one row per repeated label
        counts = np.bincount(labels, minlength=num_classes)[:, None]
        if np.allclose(answer, once) and not np.allclose(once, expected):
            raise Hint(f"{name}: a label that appears more than once got only one of its rows: an indexed "
                       "`+=` with repeated indices does not add them all up")
        if np.allclose(answer, expected / np.maximum(counts, 1)):
            raise Hint(f"{name}: you averaged the rows of each label; every example's loss term adds its own "
                       "gradient, so the rows add up")
        expect_close(answer, expected, name,
                     hint="row k of the table's gradient: the sum of the rows of the examples labelled k")
    return ("right: the table's gradient adds up the rows of each label, so Adam sees one gradient per row, "
            "as the maths says.")


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


LABEL_BLIND_CHOICES = {"class_agreement": ("about the same", "lower, but well above chance", "near chance"),
                       "confident_share": ("higher", "lower", "about the same")}
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"class_agreement": "near chance", "confident_share": "lower"}


@checker("your prediction, before the run")
def check_label_blind_prediction(label_blind_prediction):
    """The learner's ``label_blind_prediction()`` → {"class_agreement": ..., "confident_share": ...}, each one
    of the named outcomes. Any honest prediction passes; the run says whether it came true."""
    return expect_choices(call(label_blind_prediction), LABEL_BLIND_CHOICES)


QUESTIONNAIRE = {1: "b", 2: "a", 3: "c", 4: "a", 5: "c", 6: "b", 7: "b"}
REASONS = {
    1: "D(x, y) scores the pair, so the right image with the wrong label is a fake",
    2: "w·h(x) asks whether it looks real; e_y·h(x) whether it looks like the digit y",
    3: "agreement, confidence and the class histogram are all perfect for it; pairs within a class are not",
    4: "the label picks the digit, the shared noise the style",
    5: "even perfect digits are read with the classifier's own accuracy on real ones",
    6: "noise near the centre gives the most typical images, at the cost of variety",
    7: "the generator still gets the label, but no loss term ever rewards it for obeying it",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
