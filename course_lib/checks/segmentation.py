"""Checkers for chapter 08c (segmentation)."""
from __future__ import annotations

from course_lib.checks.core import Hint, as_array, call, checker, expect_close, expect_equal_number

import numpy as np


def _example_masks():
    true = np.zeros((2, 6, 6), np.int64)
    pred = np.zeros((2, 6, 6), np.int64)
    true[0, 1:4, 1:3] = 3   # 6 pixels of class 3
    pred[0, 1:4, 1:4] = 3   # 9 predicted, 6 overlap
    true[1, 2:5, 2:5] = 5   # 9 pixels of class 5
    pred[1, 2:5, 2:4] = 5   # 6 right
    pred[1, 2:5, 4] = 3     # 3 pixels of class 5 predicted as 3
    return true, pred


@checker("per-pixel accuracy")
def check_pixel_accuracy(pixel_accuracy):
    """The learner's ``pixel_accuracy(true_masks, pred_masks)``: the fraction of pixels right."""
    true, pred = _example_masks()
    expected = float(np.mean(true == pred))  # 66 / 72
    answer = call(pixel_accuracy, true, pred)
    if isinstance(answer, np.ndarray) and answer.size > 1:
        raise Hint("return one number for all images together, not one per image or per pixel")
    expect_equal_number(answer, expected, "pixel_accuracy(true, pred)", tolerance=1e-6,
                        hint="compare the two masks element by element and take the mean of the matches")
    empty = np.zeros((1, 4, 4), np.int64)
    expect_equal_number(call(pixel_accuracy, empty, empty), 1.0, "pixel_accuracy on two empty masks",
                        tolerance=1e-9)


@checker("IoU of one class")
def check_class_iou(class_iou):
    """The learner's ``class_iou(true_masks, pred_masks, c)``; NaN when class c is nowhere."""
    true, pred = _example_masks()
    background = float(np.sum((true == 0) & (pred == 0)) / np.sum((true == 0) | (pred == 0)))
    cases = [(3, 6 / 12), (5, 6 / 9), (0, background)]
    for c, expected in cases:
        answer = call(class_iou, true, pred, c)
        hint = "IoU = |true == c AND pred == c| / |true == c OR pred == c|, counted over all pixels"
        both = np.sum((true == c) & (pred == c))
        if answer is not None and np.size(answer) == 1 and not isinstance(answer, str):
            value = float(np.asarray(answer, dtype=float).item())
            if abs(value - expected) > 1e-6 and np.isclose(value, both / max(np.sum(pred == c), 1)):
                hint = "you divided by the predicted pixels only; divide by the union of true and predicted"
            elif abs(value - expected) > 1e-6 and np.isclose(value, both / max(np.sum(true == c), 1)):
                hint = "you divided by the true pixels only; divide by the union of true and predicted"
        expect_equal_number(answer, expected, f"class_iou(true, pred, {c})", tolerance=1e-6, hint=hint)
    answer = call(class_iou, true, pred, 7)
    value = as_array(answer, "class_iou for a class that appears nowhere")
    if value.size != 1 or not np.isnan(value.item()):
        raise Hint("class 7 is in neither mask, so its IoU is 0/0: return float('nan') (np.nanmean "
                   "then leaves it out of the mean), not 0 or 1")


@checker("box around a mask")
def check_mask_to_box(mask_to_box):
    """The learner's ``mask_to_box(mask, c)``: ``[x_min, y_min, x_max, y_max]`` (max exclusive)."""
    mask = np.zeros((10, 12), np.int64)
    mask[2:5, 3:9] = 4
    mask[7, 1] = 2
    answer = as_array(call(mask_to_box, mask, 4), "mask_to_box(mask, 4)")
    if answer.shape == (4,) and np.allclose(answer, [2, 3, 5, 9]):
        raise Hint("x is the column and y the row: the box is [x_min, y_min, x_max, y_max] = [first column, "
                   "first row, last column + 1, last row + 1]")
    if answer.shape == (4,) and np.allclose(answer, [3, 2, 8, 4]):
        raise Hint("x_max and y_max are exclusive (the width is x_max - x_min): "
                   "add 1 to the last column and row")
    expect_close(answer, [3, 2, 9, 5], "mask_to_box(mask, 4)")
    expect_close(as_array(call(mask_to_box, mask, 2), "mask_to_box(mask, 2)"), [1, 7, 2, 8],
                 "mask_to_box(mask, 2)")
    if call(mask_to_box, mask, 5) is not None:
        raise Hint("class 5 is not in the mask: return None rather than a box")
