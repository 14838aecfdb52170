"""Checkers for chapter 08b (object detection)."""
from __future__ import annotations

from course_lib import detection
from course_lib.checks.core import Hint, call, checker, expect_equal_number, multiple_choice

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


# (what the case tests, detections, their scores, true boxes, IoU threshold, the hint when it goes wrong).
# The expected answers come from detection.match_detections, the library's matching.
MATCH_CASES = [
    ("two detections of one object", [[0, 0, 10, 10], [1, 0, 11, 10]], [0.9, 0.8], [[0, 0, 10, 10]], 0.5,
     "a true box can be matched at most once: a second detection of the same object is a false positive"),
    ("detections not in score order", [[0, 0, 10, 10], [2, 0, 12, 10]], [0.3, 0.9], [[0, 0, 10, 10]], 0.5,
     "the most confident detection is matched first, whatever order the detections come in; the answer "
     "still lists them in the order they were given"),
    ("two true boxes side by side", [[2, 0, 12, 10], [-2, 0, 8, 10]], [0.9, 0.8],
     [[0, 0, 10, 10], [2, 0, 12, 10]], 0.5,
     "a detection takes the unmatched true box it overlaps most, not the first one that passes the "
     "threshold; a box taken too early leaves a later detection without its object"),
    ("its best true box already taken", [[0, 0, 10, 10], [1, 0, 11, 10]], [0.9, 0.8],
     [[0, 0, 10, 10], [3, 0, 13, 10]], 0.5,
     "when the true box a detection overlaps most is already taken, another unmatched true box with IoU at "
     "least the threshold still makes it a hit"),
    ("an IoU exactly at the threshold", [[0, 0, 10, 10]], [0.7], [[0, 0, 10, 20]], 0.5,
     "IoU equal to the threshold counts as a hit (IoU ≥ iou_threshold)"),
    ("a stricter threshold", [[0, 0, 10, 10], [30, 30, 40, 40]], [0.6, 0.5],
     [[2, 0, 12, 10], [30, 30, 40, 40]], 0.75, "use the iou_threshold argument"),
]


@checker("matching detections to true boxes")
def check_match_hits(match_hits):
    """The learner's ``match_hits(pred_boxes, pred_scores, true_boxes, iou_threshold)``: for one image and one
    class, a bool per detection (in the order given), True for a true positive; the library's
    ``detection.match_detections`` is the reference."""
    def run(pred, scores, true, threshold, what):
        pred, true = np.array(pred, float).reshape(-1, 4), np.array(true, float).reshape(-1, 4)
        answer = call(match_hits, pred.copy(), np.array(scores, float), true.copy(), threshold)
        if answer is None:
            raise Hint("match_hits returned None: did you forget a `return`?")
        got = np.asarray(answer)
        if got.shape != (len(pred),) or not (got.dtype == bool or np.isin(got, (0, 1)).all()):
            raise Hint(f"{what}: return one True or False per detection ({len(pred)} here), got {answer!r}")
        return got.astype(bool), detection.match_detections(pred, scores, true, threshold)

    for what, pred, scores, true, threshold, hint in MATCH_CASES:
        got, expected = run(pred, scores, true, threshold, what)
        if not np.array_equal(got, expected):
            raise Hint(f"{what}: got {got.tolist()}. {hint}")
    try:
        got, expected = run([[0, 0, 10, 10], [5, 5, 9, 9]], [0.8, 0.4], np.zeros((0, 4)), 0.5, "no true box")
    except Hint:
        raise
    except Exception as error:
        raise Hint(f"with no true box (true_boxes of shape (0, 4)) every detection is a false positive; your "
                   f"function raised {type(error).__name__}: {error}") from None
    if got.any():
        raise Hint("with no true box (true_boxes of shape (0, 4)) every detection is a false positive")
    rng = np.random.default_rng(8)
    corners = rng.uniform(0, 40, (12, 2))
    pred = np.concatenate([corners, corners + rng.uniform(6, 14, (12, 2))], axis=1)
    true = pred[rng.choice(12, 6, replace=False)] + rng.normal(0, 2, (6, 4))
    got, expected = run(pred, rng.random(12), true, 0.5, "12 random detections and 6 true boxes")
    if not np.array_equal(got, expected):
        raise Hint(f"12 random detections and 6 true boxes: got {got.tolist()}, expected {expected.tolist()}")
    return "right: each object is found at most once, by the most confident detection that reaches it."


DROP_CHOICES = ("small", "medium", "large")
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"map_drop": "medium", "hardest_digit": 1}


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
