"""Checkers for chapter 10b (several devices and processes: data parallelism, the scale in numbers)."""
from __future__ import annotations

import math

from course_lib.checks.core import Hint, call, checker, expect_choices, multiple_choice


def _machines_needed(num_images, images_per_second, hours, scaling_efficiency):
    return math.ceil(num_images / (images_per_second * scaling_efficiency * hours * 3600))


@checker("machines for an epoch in a given time")
def check_machines_needed(machines_needed):
    """The learner's ``machines_needed(num_images, images_per_second, hours, scaling_efficiency)``: the
    fewest whole machines n with n × images_per_second × scaling_efficiency × hours × 3600 ≥ num_images
    (the efficiency applies to every machine, the first included)."""
    cases = [(1_281_167, 5.0, 1.0, 1.0), (14_000_000, 2_500.0, 1.0, 0.9), (3_600, 1.0, 1.0, 1.0),
             (3_601, 1.0, 1.0, 1.0), (1_000_000, 100.0, 0.5, 0.8)]
    for case in cases:
        got = call(machines_needed, *case)
        expected = _machines_needed(*case)
        if isinstance(got, float) and got.is_integer():
            got = int(got)
        if not isinstance(got, int) or isinstance(got, bool):
            raise Hint(f"machines_needed{case} returned {got!r}: machines come whole, return an int "
                       "(round up: 2.1 machines means 3)")
        if got != expected:
            if got == _machines_needed(*case[:3], 1.0):
                raise Hint(f"machines_needed{case} returned {got}, as if every machine added its full speed: "
                           "each adds only scaling_efficiency of it")
            if got == expected - 1:
                raise Hint(f"machines_needed{case} returned {got}, one too few: round up, never down")
            raise Hint(f"machines_needed{case} returned {got}, expected {expected}: one epoch is num_images "
                       "images; each machine gets through images_per_second × scaling_efficiency of them "
                       "every second, for hours × 3600 seconds")
    return "one epoch, divided among whole machines, rounded up."


ROUNDOFF_CHOICES = ("agree", "differ")
# the teacher's key, kept here so that it is not on screen in the chapter before the long run
PREDICTION = {"mirrored": "differ", "nudged": "differ"}


@checker("your prediction, before the long run")
def check_roundoff_prediction(roundoff_prediction):
    """The learner's ``roundoff_prediction()`` → {"mirrored": ..., "nudged": ...}, each "agree" or "differ"
    (to 1e-5, after the long run). Any honest prediction passes; the run says whether it came true."""
    return expect_choices(call(roundoff_prediction),
                          {"mirrored": ROUNDOFF_CHOICES, "nudged": ROUNDOFF_CHOICES})


QUESTIONNAIRE = {1: "a", 2: "b", 3: "c", 4: "a", 5: "b"}
REASONS = {
    1: "mirrored replicas start from the same weights and add up the same per-example gradients as one "
       "device, in a different order",
    2: "with SGD, twice the global batch means half the steps per epoch; twice the rate keeps the distance "
       "travelled",
    3: "only the addresses and the process ids change: the script and the engine stay the same",
    4: "float16's smallest positive number is about 6e-8, so small gradients would round to zero; bfloat16 "
       "has float32's range",
    5: "every replica holds the whole model and computes the gradient of its part of the global batch; the "
       "gradients are added up, so all replicas apply the same update and stay identical",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
