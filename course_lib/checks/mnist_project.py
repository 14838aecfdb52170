"""Checkers for the exercises of chapter 05, the MNIST project."""
from __future__ import annotations

import math

from course_lib.checks.core import Hint, call, checker, expect_choices, multiple_choice

import numpy as np


def _standard_error(accuracy, n):
    return math.sqrt(accuracy * (1 - accuracy) / n)


@checker("the standard error of an accuracy")
def check_accuracy_standard_error(accuracy_standard_error):
    """``accuracy_standard_error(accuracy, n)``: how far an accuracy measured on ``n`` images typically is
    from the accuracy on all the images the model could meet (each image right with probability p)."""
    for accuracy, n in ((0.99, 10_000), (0.9, 100), (0.5, 400), (0.985, 2_500), (0.75, 48)):
        got = call(accuracy_standard_error, accuracy, n)
        if not isinstance(got, (int, float, np.floating)) or isinstance(got, bool):
            raise Hint(f"return a number, got {type(got).__name__}")
        expected = _standard_error(accuracy, n)
        if math.isclose(got, expected, rel_tol=1e-6):
            continue
        variance = accuracy * (1 - accuracy)
        where = f"accuracy_standard_error({accuracy}, {n}) returned {got:.3g}"
        if math.isclose(got, variance / n, rel_tol=1e-6):
            raise Hint(f"{where}: that is the variance of the accuracy; the standard error is its "
                       "square root")
        if math.isclose(got, math.sqrt(variance), rel_tol=1e-6):
            raise Hint(f"{where}, whatever the number of images: more images must give a smaller error "
                       "(the accuracy is a mean over n images)")
        if math.isclose(got, math.sqrt(variance) / n, rel_tol=1e-6):
            raise Hint(f"{where}: the variance of a mean of n independent images is the variance of one "
                       "divided by n, so its square root shrinks like 1/√n, not 1/n")
        raise Hint(f"{where}; one image is right (1) with probability p and wrong (0) otherwise: its "
                   "variance is p(1 − p). The accuracy averages n such images.")
    return "about 0.001 for 0.99 on 10,000 images: differences of a tenth of a point are noise."


def _best_of_k(k, n, p, trials, rng):
    """(mean, standard deviation) over ``trials`` of the best of k measured accuracies minus p: k candidates,
    each right on each of n images with probability p (the checker's reference simulation)."""
    best = rng.binomial(n, p, size=(trials, k)).max(axis=1) / n - p
    return float(best.mean()), float(best.std())


@checker("selection_optimism: how much the best of k flatters itself")
def check_selection_optimism(selection_optimism):
    """``selection_optimism(k, n, p, trials, rng)`` → the average, over ``trials`` simulated comparisons, of
    how far the best of k measured accuracies lies above p, when k equally good candidates (true accuracy p)
    are each measured on the same number n of images."""
    trials = 4000
    for seed, (k, n, p) in enumerate([(1, 1000, 0.9), (20, 5000, 0.99), (5, 400, 0.8), (50, 2000, 0.95)]):
        got = call(selection_optimism, k, n, p, trials, np.random.default_rng(seed))
        if isinstance(got, (list, tuple, np.ndarray)) and np.size(got) == 1:
            got = np.asarray(got).item()
        if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
            raise Hint(f"return one number (an accuracy difference), got {type(got).__name__}")
        mean, spread = _best_of_k(k, n, p, 100_000, np.random.default_rng(1000 + seed))
        tolerance = 5 * spread / math.sqrt(trials) + 1e-4 / math.sqrt(n)
        if abs(got - mean) <= tolerance:
            continue
        where = f"selection_optimism(k={k}, n={n}, p={p}) returned {got:.5f}"
        if abs(got - (mean + p)) <= tolerance:
            raise Hint(f"{where}: that is the best measured accuracy itself; the optimism is how far it lies "
                       "above the true accuracy p")
        if k == 1:
            raise Hint(f"{where}: with one candidate there is nothing to choose, so its measured accuracy is "
                       "only noise around p, on average no optimism at all")
        if abs(got) <= tolerance + 1e-4:
            raise Hint(f"{where}, about 0: the score you would report is the best of the k measured "
                       "accuracies, the one that made you choose that candidate, not any one of them or "
                       "their average")
        raise Hint(f"{where}. In each trial, measure every one of the k candidates on its n images (each "
                   "image right with probability p), keep the largest measured accuracy, and see how far it "
                   "lies above p; average over the trials")
    flattery = _best_of_k(20, 5000, 0.99, 100_000, np.random.default_rng(1001))[0]
    return (f"right: with 20 equally good candidates at 0.99 on 5,000 images, the best one's score lies "
            f"{100 * flattery:.2f} points above the truth, although no candidate is better than another. "
            "More candidates, more flattery; more images, less.")


BATCH_NORM_CHOICES = {"accuracy": ("higher", "about the same", "lower"), "reaches_99": ("yes", "no")}
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"accuracy": "about the same", "reaches_99": "yes"}


@checker("your prediction, before the run")
def check_batch_norm_prediction(batch_norm_prediction):
    """``batch_norm_prediction()`` → {"accuracy": "higher" | "about the same" | "lower",
    "reaches_99": "yes" | "no"}. Any honest prediction passes; the run says whether it came true."""
    return expect_choices(call(batch_norm_prediction), BATCH_NORM_CHOICES)


QUESTIONNAIRE = {1: "b", 2: "c", 3: "a", 4: "b", 5: "a", 6: "b"}
REASONS = {
    1: "the validation split takes every look and every choice, so the test set can measure once, unbiased",
    2: "the best of many noisy scores is the model's quality plus its luck on those images",
    3: "more candidates give luck more chances, and fewer images make each score noisier",
    4: "the cosine half of the schedule ends at zero, so the last steps barely move the weights",
    5: "batch normalisation subtracts the mean anyway and then adds its own learned shift β",
    6: "√(0.99 × 0.01 / 10,000) ≈ 0.001",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
