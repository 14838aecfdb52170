"""Checkers for chapter 00 (start here): the warm-up, the small-sample experiment and the questionnaire.

The warm-up exercise ``pixel_count`` has its checker written in the notebook itself, to show the pattern;
``check_pixel_count`` here is the same checker on made-up images, which the chapter asserts agrees with
its own, and which ``classroom grade`` uses to judge the answer outside the student's kernel.
"""
from __future__ import annotations

from course_lib.checks.core import call, checker, expect_choices, expect_equal_number, multiple_choice

import numpy as np


@checker("pixel count")
def check_pixel_count(pixel_count):
    """``pixel_count(images)`` → the number of pixels in one image, read from the batch's shape."""
    answer = call(pixel_count, np.zeros((5, 28, 28), np.uint8))
    expect_equal_number(answer, 28 * 28, "pixel_count of 28×28 images (MNIST's size)",
                        hint="an MNIST image is 28 pixels high and 28 wide.")
    other = call(pixel_count, np.zeros((2, 32, 32), np.uint8))
    expect_equal_number(other, 32 * 32, "pixel_count of 32×32 images",
                        hint="compute it from the images' shape instead of typing 784.")

SAMPLE_DROP_CHOICES = ("under 1 point", "1 to 10 points", "over 10 points")
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"accuracy_drop": "1 to 10 points"}


@checker("your prediction, before the run")
def check_sample_size_prediction(sample_size_prediction):
    """The learner's ``sample_size_prediction()`` → {"accuracy_drop": one of ``SAMPLE_DROP_CHOICES``}.
    Any honest prediction passes; the run says whether it came true."""
    return expect_choices(call(sample_size_prediction), {"accuracy_drop": SAMPLE_DROP_CHOICES})


QUESTIONNAIRE = {1: "b", 2: "c", 3: "a", 4: "c", 5: "a", 6: "b"}
REASONS = {
    1: "fast mode trains on small subsets for a few steps; the text describes full-mode results",
    2: "load_mnist looks on disk first, and a teacher's shared copy comes first of all",
    3: "one cell, two sizes: config.pick; a chapter never branches on the mode",
    4: "the same seed gives the same random numbers, so the same cell gives the same result",
    5: "a nearest-neighbour classifier (and a network) can only be as good as the examples it has seen; "
       "with fewer, an unusual new digit finds no close example of its own class",
    6: "a checker turns a wrong or missing answer into a hint instead of a traceback",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
