"""Checkers for chapter 08e, image-to-image translation."""
from __future__ import annotations

from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_choices,
    expect_close,
    expect_equal_number,
    expect_shape,
    multiple_choice,
)

import numpy as np


def _psnr(prediction, target):
    return float(10 * np.log10(1 / np.mean((np.asarray(prediction) - np.asarray(target)) ** 2)))


@checker("a brightness offset with the same PSNR")
def check_offset_with_same_psnr(offset_with_same_psnr):
    """The learner's ``offset_with_same_psnr(target, degraded)``: the c > 0 for which ``target + c`` has the
    PSNR against ``target`` that ``degraded`` has (c² = MSE, so c is the root mean squared error)."""
    rng = np.random.default_rng(21)
    for shape, noise in (((6, 6), 0.1), ((28, 28), 0.25)):
        target = rng.random(shape)
        degraded = np.clip(target + rng.normal(0, noise, shape), 0, 1)
        mse = float(np.mean((degraded - target) ** 2))
        name = f"offset_with_same_psnr on a {shape[0]}×{shape[1]} pair"
        answer = call(offset_with_same_psnr, target.copy(), degraded.copy())
        if np.size(as_array(answer, name)) != 1:
            raise Hint(f"{name}: return one number, the offset c")
        value = float(np.asarray(answer, dtype=float).item())
        if np.isclose(value, -np.sqrt(mse)):
            raise Hint("brighten the target: return the positive offset")
        mistakes = [(mse, "that is the mean squared error itself; what is the MSE of target + c against "
                          "target?"),
                    (np.mean(np.abs(degraded - target)),
                     "that matches the mean absolute (L1) difference, but PSNR is built on the squared one"),
                    (_psnr(degraded, target), "return the offset c, not the PSNR")]
        for wrong, hint in mistakes:
            if np.isclose(value, wrong, rtol=1e-6):
                raise Hint(f"{name}: {hint}")
        expect_equal_number(value, np.sqrt(mse), name, tolerance=1e-6,
                            hint="check it: the PSNR of target + c against target must equal the PSNR of "
                                 "degraded against target")
    return ("right: c² is the MSE of the brightened image. One number of decibels, two errors a viewer would "
            "rate very differently.")


def _block_means(image, shape):
    rows, cols = image.shape[0] // shape[0], image.shape[1] // shape[1]
    return image.reshape(shape[0], rows, shape[1], cols).mean(axis=(1, 3))


@checker("the closest image with the right block means")
def check_match_block_means(match_block_means):
    """The learner's ``match_block_means(output, small)``: the image closest to ``output`` in squared error
    whose block means equal ``small`` (each block moved by its own constant)."""
    rng = np.random.default_rng(22)
    for (height, width), (h, w) in (((8, 8), (2, 2)), ((12, 6), (3, 2)), ((28, 28), (7, 7))):
        rows, cols = height // h, width // w
        output, small = rng.random((height, width)), rng.random((h, w))
        name = f"match_block_means of a {height}×{width} output and {h}×{w} block means"
        answer = as_array(call(match_block_means, output.copy(), small.copy()), name)
        expect_shape(answer, (height, width), name)
        if not np.all(np.isfinite(answer)):
            raise Hint(f"{name}: the result contains NaN or infinity")
        if np.allclose(answer, np.kron(small, np.ones((rows, cols)))):
            raise Hint(f"{name}: every block is now flat, so its mean is right but the output's detail is "
                       "gone; stay as close to `output` as you can")
        gap = np.abs(_block_means(answer, (h, w)) - small).max()
        if gap > 1e-6:
            raise Hint(f"{name}: the block means of your image are not `small` (off by up to {gap:.3g}); a "
                       f"block here is {rows}×{cols} pixels (height // h by width // w)")
        closest = output + np.kron(small - _block_means(output, (h, w)), np.ones((rows, cols)))
        if not np.allclose(answer, closest, atol=1e-6):
            moved, needed = np.sum((answer - output) ** 2), np.sum((closest - output) ** 2)
            raise Hint(f"{name}: the block means are right, but your image is {moved:.4g} (sum of squared "
                       f"changes) from `output`, where {needed:.4g} is enough. Within one block, how should "
                       "a change of its mean be spread over its pixels to cost the least?")
    return ("right: each block moves by one constant, the smallest change that fixes its mean. The true "
            "image has these block means too, so the move can only bring an output closer to it.")


@checker("the best single answer under L1 and L2")
def check_best_guess(best_guess):
    """The learner's ``best_guess(candidates, loss)``: the (H, W) image that minimises the mean loss over K
    equally likely targets: their pixel-wise mean for ``"l2"``, their pixel-wise median for ``"l1"``."""
    rng = np.random.default_rng(14)
    candidates = (rng.random((5, 4, 4)) > 0.5).astype(float)   # five sharp, black-and-white answers
    candidates[:, 0, 0] = [0, 0, 0, 1, 1]                       # a pixel where the answers disagree
    answers = {}
    for loss in ("l2", "l1"):
        answer = as_array(call(best_guess, candidates.copy(), loss), f"best_guess(candidates, {loss!r})")
        if answer.shape == candidates.shape:
            raise Hint("return one image (H, W), the single answer for all K candidates")
        expect_shape(answer, candidates.shape[1:], f"best_guess(candidates, {loss!r})")
        answers[loss] = answer
    mean, median = candidates.mean(axis=0), np.median(candidates, axis=0)
    if any(np.array_equal(answers["l2"], candidate) or np.array_equal(answers["l1"], candidate)
           for candidate in candidates):
        raise Hint("one of the candidates is a sharp answer, but it is wrong wherever the others differ: "
                   "choose each pixel's value to minimise the mean loss over all K candidates")
    if np.allclose(answers["l1"], mean) and np.allclose(answers["l2"], median):
        raise Hint("the two are swapped: which one minimises the mean *squared* difference?")
    if np.allclose(answers["l1"], answers["l2"]):
        raise Hint("your answer is the same for both losses; they have different minimisers (try one pixel "
                   "whose candidates are 0, 0, 0, 1, 1)")
    expect_close(answers["l2"], mean, "best_guess(candidates, 'l2')",
                 hint="for a squared loss, Σ(v − c_k)² is smallest where its derivative 2·Σ(v − c_k) is 0")
    if np.allclose(answers["l1"], mean):
        raise Hint("the mean minimises the squared difference; for the absolute difference the best value "
                   "has as many candidates above it as below")
    expect_close(answers["l1"], median, "best_guess(candidates, 'l1')",
                 hint="Σ|v − c_k| is smallest where as many candidates lie above v as below it")
    # an even number of candidates: every value between the two middle ones is as good under L1
    even = rng.random((4, 3, 3))
    answer = as_array(call(best_guess, even.copy(), "l1"), "best_guess of 4 candidates under 'l1'")
    expect_shape(answer, (3, 3), "best_guess of 4 candidates under 'l1'")
    ordered = np.sort(even, axis=0)
    if np.any(answer < ordered[1] - 1e-9) or np.any(answer > ordered[2] + 1e-9):
        raise Hint("with 4 candidates, each pixel's best L1 answer lies between the 2nd and 3rd smallest "
                   "candidate values")
    expect_close(call(best_guess, even.copy(), "l2"), even.mean(axis=0),
                 "best_guess of 4 candidates under 'l2'")
    return ("right: under L2 the best single answer is the average of the possible targets, a grey blend; "
            "under L1 their pixel-wise median, a majority vote that drops what the targets disagree on.")


L1_ONLY_CHOICES = {"psnr": ("higher", "lower", "about the same"),
                   "roughness": ("higher", "lower", "about the same")}
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"psnr": "about the same", "roughness": "lower"}


@checker("your prediction, before the run")
def check_l1_only_prediction(l1_only_prediction):
    """The learner's ``l1_only_prediction()`` → {"psnr": ..., "roughness": ...}, each one of the named
    outcomes for the L1-only model against the chapter's model. Any honest prediction passes."""
    return expect_choices(call(l1_only_prediction), L1_ONLY_CHOICES)


QUESTIONNAIRE = {1: "b", 2: "c", 3: "a", 4: "b", 5: "c", 6: "a", 7: "b"}
REASONS = {
    1: "+3 dB is 10·log10 2: the squared error is halved",
    2: "the input is already a good guess (the baseline); the network learns only the missing detail",
    3: "the pair (x, y) lets it reject an output that is a fine digit but not the restoration of this input",
    4: "each of the 7×7 outputs sees an 18×18 patch and judges whether that patch looks real",
    5: "the mean minimises the mean squared difference, and the mean of shifted strokes is a blur",
    6: "PSNR is a log of the mean squared error, and the blend minimises that error",
    7: "the test set measures the final model once; choices made on it would make that number optimistic",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
