"""Checkers for chapter 08c (segmentation)."""
from __future__ import annotations

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


def _tolerated_reference(masks, target):
    masks = np.asarray(masks)
    return float(min(1.0, (1 - target) * masks.size / np.sum(masks > 0)))


@checker("how much pixel accuracy hides")
def check_tolerated_digit_errors(tolerated_digit_errors):
    """The learner's ``tolerated_digit_errors(true_masks, target_accuracy)``: the largest share of the digit
    pixels a model that gets all background right may miss while its pixel accuracy reaches the target."""
    masks = np.zeros((2, 10, 10), np.int64)
    masks[0, 2:7, 3] = 4            # 5 digit pixels in image 0
    masks[1, 1:6, 2:5] = 9          # 15 in image 1: 20 of 200 pixels are digit pixels
    for target in (0.95, 0.99, 0.85, 1.0):
        expected = _tolerated_reference(masks, target)
        name = f"tolerated_digit_errors(masks, {target})"
        answer = as_array(call(tolerated_digit_errors, masks, target), name)
        if answer.size != 1:
            raise Hint(f"{name} should be one number for all images together, got shape {answer.shape}")
        value = float(answer.item())
        if abs(value - expected) <= 1e-6:
            continue
        wrong = (1 - target) * masks.size
        per_image = np.mean([min(1.0, (1 - target) * m.size / np.sum(m > 0)) for m in masks])
        if np.isclose(value, 1 - target):
            hint = "that is a share of all pixels; the question asks for a share of the digit pixels"
        elif np.isclose(value, wrong) or np.isclose(value, min(wrong, np.sum(masks > 0))):
            hint = "that is a count of pixels; return a share of the digit pixels (from 0 to 1)"
        elif value > 1:
            hint = ("a share cannot exceed 1: when the target is below the background share, even a model "
                    "that misses every digit pixel reaches it")
        elif np.isclose(value, per_image):
            hint = "count the pixels of all images together, not image by image"
        else:
            hint = ("how many pixels may be wrong in all, if the accuracy over all pixels is to reach the "
                    "target? Those wrong pixels are digit pixels")
        raise Hint(f"{name} is {value:.4g}, which is not right. {hint}")


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


def _regions(mask, c, corners=False):
    """The number of 4-connected regions of class c (a flood fill from every pixel not yet reached);
    8-connected with ``corners`` (pixels that touch only at a corner joined too)."""
    inside = np.asarray(mask) == c
    steps = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy or dx) and (corners or not dy * dx)]
    seen, count = np.zeros(inside.shape, bool), 0
    for start in zip(*np.nonzero(inside)):
        if seen[start]:
            continue
        count, stack = count + 1, [start]
        seen[start] = True
        while stack:
            y, x = stack.pop()
            for ny, nx in ((y + dy, x + dx) for dy, dx in steps):
                on_the_mask = 0 <= ny < inside.shape[0] and 0 <= nx < inside.shape[1]
                if on_the_mask and inside[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
    return count


def _region_cases():
    """(what the case tests, mask, class, the hint when the count is wrong)."""
    two = np.zeros((8, 10), np.int64)
    two[1:3, 1:4] = 3
    two[5:7, 5:9] = 3
    corner = np.zeros((6, 6), np.int64)
    corner[1, 1] = corner[2, 2] = corner[3, 3] = 5                 # touching only at corners
    edges = np.zeros((5, 8), np.int64)
    edges[2, 0] = edges[2, 7] = 4                                  # at the left and the right edge of one row
    between = np.zeros((5, 9), np.int64)
    between[1:4, 1:4] = 2
    between[1:4, 5:8] = 2
    between[1:4, 4] = 7                                            # another class between two regions of 2
    ring = np.zeros((7, 7), np.int64)
    ring[1:6, 1:6] = 1
    ring[2:5, 2:5] = 0                                             # one region with a hole
    snake = np.zeros((7, 7), np.int64)
    snake[1, 1:6] = snake[1:6, 5] = snake[5, 1:6] = snake[3:6, 1] = snake[3, 1:4] = 6   # one winding region
    return [
        ("two separate blobs", two, 3, "count regions, not pixels: pixels that touch belong to one region"),
        ("three pixels touching only at their corners", corner, 5,
         "here a pixel's neighbours are the 4 above, below, left and right; pixels that touch only at a "
         "corner are separate regions"),
        ("one pixel at the left edge and one at the right edge", edges, 4,
         "the left and right edges of the mask are not neighbours (np.roll wraps around)"),
        ("two blobs with another class between them", between, 2,
         "only pixels of class c join a region; a pixel of another class separates two regions"),
        ("a ring around a hole", ring, 1, "a region may have a hole; it is still one region"),
        ("a winding stroke", snake, 6,
         "a region can wind around: follow the neighbours of the neighbours until none is left "
         "(a flood fill)"),
        ("a class that is absent", two, 8, "a class with no pixel has no region: 0"),
    ]


@checker("regions of one class")
def check_count_regions(count_regions):
    """The learner's ``count_regions(mask, c)``: the number of 4-connected regions of class c in one mask."""
    for what, mask, c, hint in _region_cases():
        answer = call(count_regions, mask.copy(), c)
        if isinstance(answer, (np.ndarray, list, tuple)) and np.size(answer) == 1:
            answer = np.asarray(answer).item()
        if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)):
            raise Hint(f"{what}: return a whole number, the count of regions; got {answer!r}")
        expected = _regions(mask, c)
        if answer != expected:
            raise Hint(f"{what}: got {answer} region(s). {hint}")
    rng = np.random.default_rng(5)
    mask = (rng.random((20, 20)) < 0.45).astype(np.int64) * 3
    expected, answer = _regions(mask, 3), call(count_regions, mask.copy(), 3)
    if answer != expected:
        raise Hint(f"a random 20×20 mask: got {answer} regions of class 3, expected {expected}")
    return ("right: a flood fill turns one class of a semantic mask into separate regions, the first step "
            "from semantic towards instance segmentation.")


SKIP_CHOICES = {"mean_iou": ("lower", "about the same", "higher"), "more_errors": ("outline", "identity")}
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"mean_iou": "lower", "more_errors": "outline"}


@checker("your prediction, before the U-Net without skips")
def check_skip_prediction(skip_prediction):
    """The learner's ``skip_prediction()`` → {"mean_iou": ..., "more_errors": ...}, each one of SKIP_CHOICES.
    Any honest prediction passes; the experiment after it says whether it came true."""
    return expect_choices(call(skip_prediction), SKIP_CHOICES)


QUESTIONNAIRE = {1: "c", 2: "b", 3: "c", 4: "a", 5: "a", 6: "b", 7: "c"}
REASONS = {
    1: "every background pixel is right, and the background is 92 % of the pixels",
    2: "TP = T, FP = T, FN = 0: IoU = T / (T + T + 0) = 0.5; predicting too much is punished as well",
    3: "with no true and no predicted pixel the IoU is 0/0; np.nanmean leaves such a class out of the mean",
    4: "over 90 % of the pixels are background; unweighted, they dominate the loss and its gradient",
    5: "each decoder level gets the encoder's maps of the same size, with the detail that pooling lost",
    6: "a semantic mask gives a pixel a class, not an object; one mask per object is instance segmentation",
    7: "the decoder had only the coarse bottleneck to say where each stroke is; the skips hand it the "
       "fine maps of the encoder",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
