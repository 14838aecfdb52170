"""Checkers for the exercises of chapter 05, the MNIST project."""
from __future__ import annotations

from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_close,
    expect_equal_number,
    uint8_test_images,
)

import numpy as np


@checker("preprocess")
def check_preprocess(preprocess):
    """``preprocess(images)`` turns uint8 (N, 28, 28) into float32 (N, 28, 28, 1) in [0, 1]."""
    images = uint8_test_images((7, 28, 28), seed=5)
    result = call(preprocess, images.copy())
    array = as_array(result, "preprocess(images)")
    if array.shape == (7, 28, 28):
        raise Hint("the shape is (N, 28, 28): add the channel axis, "
                   "e.g. with reshape((-1, 28, 28, 1)) or [..., None]")
    if array.shape != (7, 28, 28, 1):
        raise Hint(f"preprocess(images) has shape {array.shape}, expected (N, 28, 28, 1) = (7, 28, 28, 1)")
    if getattr(result, "dtype", None) != np.float32:
        raise Hint(f"the dtype is {getattr(result, 'dtype', type(result).__name__)}; use float32, "
                   "the precision Keras layers compute in")
    if array.max() > 1.0:
        raise Hint(f"values go up to {array.max():g}: divide by 255 so that they lie in [0, 1]")
    expect_close(array, images[..., None] / 255.0, "preprocess(images)", atol=1e-6,
                 hint="each pixel p should become p / 255.")


@checker("conv_params")
def check_conv_params(count_conv_params):
    """``count_conv_params(kernel_size, in_channels, filters)`` counts weights plus biases."""
    cases = [((3, 3), 1, 32, 320), ((3, 3), 32, 64, 18_496), ((3, 3), 64, 64, 36_928), ((5, 5), 3, 16, 1_216)]
    for kernel_size, in_channels, filters, expected in cases:
        got = call(count_conv_params, kernel_size, in_channels, filters)
        missing_bias = kernel_size[0] * kernel_size[1] * in_channels * filters
        hint = "each filter has kh × kw × in_channels weights and one bias."
        if got == missing_bias:
            hint = "close: you counted the weights but forgot one bias per filter."
        expect_equal_number(got, expected, f"count_conv_params({kernel_size}, {in_channels}, {filters})",
                            hint)


@checker("accuracy")
def check_accuracy(accuracy_from_probabilities):
    """``accuracy_from_probabilities(probabilities, labels)`` → share of argmax == label."""
    rng = np.random.default_rng(7)
    probabilities = rng.dirichlet(np.ones(10), size=50)
    labels = rng.integers(0, 10, size=50)
    labels[:20] = probabilities[:20].argmax(axis=1)
    expected = float(np.mean(probabilities.argmax(axis=1) == labels))
    got = call(accuracy_from_probabilities, probabilities, labels)
    hint = "take the argmax over the class axis (axis=1), compare with the labels, and average."
    if isinstance(got, (float, int, np.floating, np.integer)) and not isinstance(got, bool) and 1 < got <= 50:
        hint = "that looks like a count of correct predictions: divide by the number of examples."
    expect_equal_number(got, expected, "accuracy_from_probabilities(...)", hint, tolerance=1e-9)


@checker("most_confused_pair")
def check_most_confused(answer, matrix):
    """``answer`` = (true digit, predicted digit) of the largest off-diagonal confusion count, or the
    learner's ``most_confused(matrix)`` that returns it (called on a copy, which it must not change)."""
    matrix = np.asarray(matrix)
    if callable(answer):
        given = matrix.copy()
        answer = answer(given)
        if not np.array_equal(given, matrix):
            raise Hint("your function changed the matrix it was given: work on a copy (matrix.copy())")
    off_diagonal = matrix.copy()
    np.fill_diagonal(off_diagonal, -1)
    best = off_diagonal.max()
    winners = {tuple(int(v) for v in pair) for pair in np.argwhere(off_diagonal == best)}
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()   # np.array([2, 7]) is a fine pair too
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Hint(f"answer with a pair (true digit, predicted digit), got {answer!r}")
    try:
        pair = (int(answer[0]), int(answer[1]))
    except (TypeError, ValueError):
        raise Hint(f"both entries should be digits 0..9, got {answer!r}") from None
    if not all(0 <= v < len(matrix) for v in pair):
        raise Hint(f"both entries should be digits 0..{len(matrix) - 1} (row and column indices), got {pair}")
    if pair[0] == pair[1]:
        raise Hint("the diagonal counts correct predictions; look only off the diagonal")
    if pair in winners:
        return f"{pair[0]} mistaken for {pair[1]}, {best} times."
    if (pair[1], pair[0]) in winners:
        raise Hint("you have the right digits in the wrong order: rows are true classes, columns predictions")
    raise Hint(f"cell {pair} holds {matrix[pair]}; some other off-diagonal cell holds more "
               "(np.fill_diagonal on a copy, then np.unravel_index(argmax))")
