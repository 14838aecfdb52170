"""Checkers for chapter 08b (object detection)."""
from __future__ import annotations

from course_lib import detection
from course_lib.checks.core import Hint, as_array, call, checker, expect_equal_number, multiple_choice

import numpy as np

# (box a, box b, IoU) worked out by hand in the chapter: boxes are [x_min, y_min, x_max, y_max]
IOU_CASES = [
    ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),            # identical
    ([0, 0, 10, 10], [5, 0, 15, 10], 50 / 150),       # half overlap sideways
    ([0, 0, 10, 10], [5, 5, 15, 15], 25 / 175),       # a corner overlaps
    ([0, 0, 10, 10], [2, 2, 6, 6], 16 / 100),         # one inside the other
    ([0, 0, 10, 10], [10, 0, 20, 10], 0.0),           # touching edges
    ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),          # far apart
]


@checker("IoU of two boxes")
def check_box_iou(box_iou):
    """The learner's ``box_iou(a, b)`` for boxes ``[x_min, y_min, x_max, y_max]``."""
    for a, b, expected in IOU_CASES:
        answer = call(box_iou, np.array(a, float), np.array(b, float))
        if answer is None:
            raise Hint("box_iou returned None: did you forget a `return`?")
        if expected == 0.0 and b[0] == 20 and isinstance(answer, (int, float, np.number)) and answer > 0:
            raise Hint("two boxes far apart got a positive IoU: clip the intersection's width and "
                       "height at 0 (max(0, right - left)) before multiplying")
        if expected == 0.0 and b[0] == 20 and isinstance(answer, (int, float, np.number)) and answer < 0:
            raise Hint("a negative IoU: the intersection's width and height must be clipped at 0")
        hint = ("IoU = intersection area / (area a + area b - intersection area); the intersection's "
                "left edge is max of the left edges, its right edge min of the right edges")
        areas = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
        intersection = expected * sum(areas) / (1 + expected)   # from IoU = I / (A + B - I)
        number = isinstance(answer, (int, float, np.number)) and not isinstance(answer, bool)
        if number and abs(answer - expected) > 1e-6 and any(np.isclose(answer, intersection / area)
                                                            for area in areas):
            hint = "you divided by one box's area; divide by the union (area a + area b - intersection)"
        expect_equal_number(answer, expected, f"box_iou({a}, {b})", tolerance=1e-6, hint=hint)
        expect_equal_number(call(box_iou, np.array(b, float), np.array(a, float)), expected,
                            f"box_iou({b}, {a})", tolerance=1e-6,
                            hint="IoU should not depend on the order of the boxes")


@checker("non-maximum suppression")
def check_nms(nms):
    """The learner's ``nms(boxes, scores, iou_threshold)``: indices kept, best score first."""
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [21, 20, 31, 30], [0, 0, 9, 10]],
                     float)
    scores = np.array([0.9, 0.95, 0.5, 0.7, 0.3])
    answer = call(nms, boxes, scores, 0.5)
    if answer is None:
        raise Hint("nms returned None: did you forget a `return`?")
    try:
        kept = [int(i) for i in np.asarray(answer).reshape(-1)]
    except (TypeError, ValueError):
        raise Hint(f"return a list of box indices, got {answer!r}") from None
    expected = [int(i) for i in detection.non_max_suppression(boxes, scores, 0.5)]  # [1, 3]
    if sorted(kept) == [0, 2]:
        raise Hint("you kept the first box of each group, not the best-scoring one: sort by score first")
    if sorted(kept) == list(range(5)):
        raise Hint("nothing was suppressed: drop every box whose IoU with a kept box is above the threshold")
    if sorted(kept) == sorted(expected) and kept != expected:
        raise Hint(f"the right boxes, but in the order {kept}; return them best score first: {expected}")
    if kept != expected:
        raise Hint(f"kept {kept}, expected {expected}: repeatedly keep the best remaining box and remove "
                   "the boxes that overlap it by more than iou_threshold")
    loose = [int(i) for i in np.asarray(call(nms, boxes, scores, 0.95)).reshape(-1)]
    if sorted(loose) != list(range(5)):
        raise Hint("with iou_threshold=0.95 no pair here overlaps that much, so all 5 boxes should stay: "
                   "suppress only when IoU > iou_threshold")


@checker("average precision")
def check_average_precision(ap_function):
    """The learner's ``ap_from_hits(is_hit, scores, num_true)`` (all-point interpolated AP)."""
    cases = [
        ([True, True, False], [0.9, 0.8, 0.1], 2, 1.0),
        ([False, True, True], [0.9, 0.8, 0.7], 2, 2 / 3),
        ([True, False, True], [0.9, 0.8, 0.7], 4, 0.25 * 1 + 0.25 * 2 / 3),
        ([True, True], [0.3, 0.9], 3, 2 / 3),
    ]
    for hits, scores, num_true, expected in cases:
        answer = call(ap_function, np.array(hits), np.array(scores), num_true)
        reference = detection.average_precision(hits, scores, num_true)
        if not np.isclose(reference, expected):  # the hand-worked value must agree with the library
            raise RuntimeError(f"checker case {hits} is wrong: library gives {reference}")
        expect_equal_number(answer, expected, f"ap_from_hits({hits}, {scores}, num_true={num_true})",
                            tolerance=1e-6, hint="sort by score (highest first), accumulate TP and FP, "
                            "precision = TP/(TP+FP), recall = TP/num_true; make precision non-increasing "
                            "from the right, then sum (recall step) x precision")
    rng = np.random.default_rng(3)
    hits, scores = rng.random(40) < 0.6, rng.random(40)
    answer = as_array(call(ap_function, hits, scores, 30), "ap_from_hits on random detections")
    expect_equal_number(answer.reshape(-1)[0] if answer.size == 1 else answer,
                        detection.average_precision(hits, scores, 30), "ap_from_hits on random detections",
                        tolerance=1e-6)


DROP_CHOICES = ("small", "medium", "large")


@checker("your prediction, before the stricter hit")
def check_strict_hit_prediction(strict_hit_prediction):
    """The learner's ``strict_hit_prediction()`` → {"map_drop": one of DROP_CHOICES, "hardest_digit": 0-9}.
    Any honest prediction passes; the experiment after it says whether it came true."""
    answer = call(strict_hit_prediction)
    if not isinstance(answer, dict) or set(answer) != {"map_drop", "hardest_digit"}:
        raise Hint('return a dict with the keys "map_drop" and "hardest_digit"')
    if answer["map_drop"] not in DROP_CHOICES:
        raise Hint(f'map_drop: choose one of {", ".join(DROP_CHOICES)}; got {answer["map_drop"]!r}')
    digit = answer["hardest_digit"]
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= digit <= 9:
        raise Hint(f"hardest_digit: choose one digit, an int from 0 to 9; got {digit!r}")
    return "noted. Run the experiment and compare."


QUESTIONNAIRE = {1: "b", 2: "a", 3: "c", 4: "c", 5: "b", 6: "a"}
REASONS = {
    1: "the intersection is 2 × 10 = 20 and the union 40 + 40 − 20 = 60, so IoU = 1/3: a miss at 0.5",
    2: "neighbouring cells often both fire for one digit; NMS keeps the best box and deletes the others",
    3: "a threshold picked on the test canvases would make the test score optimistic: the test set would no "
       "longer be data that no decision has seen",
    4: "precisions along the ranking are 0, 1/2, 2/3, …, N/(N+1); made non-increasing, every recall step "
       "gets N/(N+1)",
    5: "the cell that holds the centre of the digit's box is responsible for it; the others learn "
       "'no object'",
    6: "for a box of width w shifted by d, IoU = (w − d)/(w + d): reaching 0.75 allows d ≤ w/7, about one "
       "pixel for a 1 eight pixels wide",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
