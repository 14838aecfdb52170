"""Checkers for chapter 09b (can we trust it? interpretability and adversarial examples)."""
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


@checker("SmoothGrad")
def check_smoothgrad(smoothgrad):
    """The learner's ``smoothgrad(gradient, image, noise_level, samples, rng)``: the mean of
    ``gradient`` over ``samples`` copies of ``image`` with Gaussian noise of standard deviation
    ``noise_level`` added, shape of ``image``."""
    image = np.linspace(0, 1, 2 * 3 * 1).reshape(2, 3, 1).astype(np.float32)
    weights = np.array([[[1.0], [-2.0], [0.5]], [[0.0], [3.0], [-1.0]]], dtype=np.float32)

    def linear_gradient(images):   # f(x) = Σ w·x has the same gradient everywhere
        return np.broadcast_to(weights, np.shape(images)).copy()

    answer = as_array(call(smoothgrad, linear_gradient, image, 0.2, 16, np.random.default_rng(0)),
                      "smoothgrad(...)")
    if answer.shape != image.shape:
        raise Hint(f"return one gradient shaped like the image {image.shape}, got {answer.shape}: "
                   "average over the noisy copies")
    expect_close(answer, weights, "smoothgrad of a linear function", atol=1e-5,
                 hint="a linear function's gradient is the same at every noisy copy, so the mean is that one")
    calls = []

    def squared_offset(images):   # the gradient is (x − image)²: its mean estimates the noise variance
        images = np.asarray(images, dtype=np.float64)
        calls.append(len(images))
        return (images - image) ** 2

    answer = as_array(call(smoothgrad, squared_offset, image, 0.3, 4000, np.random.default_rng(1)),
                      "smoothgrad(...)")
    if answer.shape != image.shape:
        raise Hint(f"return one gradient shaped like the image {image.shape}, got {answer.shape}")
    if np.allclose(answer, 0):
        raise Hint("no noise reached the gradient: add rng.normal(0, noise_level, ...) to each copy")
    if not np.allclose(answer, 0.09, rtol=0.15):
        if np.allclose(answer, 0.3, rtol=0.15):
            raise Hint("the noise spreads too far: noise_level is the standard deviation, not the variance")
        raise Hint(f"the noise does not have standard deviation noise_level: with noise_level 0.3 the mean "
                   f"squared offset should be about 0.09, got {float(answer.mean()):.3g}")
    if sum(calls) != 4000:
        raise Hint(f"gradient saw {sum(calls)} noisy copies in total, expected samples = 4000")
    first = call(smoothgrad, squared_offset, image, 0.3, 8, np.random.default_rng(5))
    again = call(smoothgrad, squared_offset, image, 0.3, 8, np.random.default_rng(5))
    if not np.allclose(first, again):
        raise Hint("the same seed gave different results: draw the noise from the rng you are given")
    return "the mean gradient over noisy copies, with the right noise."


@checker("targeted FGSM")
def check_targeted_fgsm(targeted_fgsm):
    """The learner's ``targeted_fgsm(image, target_gradient, epsilon)``: one step *down* the loss of
    the target class, clip(x − ε·sign(g), 0, 1)."""
    image = np.array([[0.0, 0.5, 1.0], [0.05, 0.95, 0.3]], dtype=np.float32)[..., None]
    gradient = np.array([[1.0, -2.0, -0.5], [3.0, 0.0, 1.0]], dtype=np.float32)[..., None]
    answer = as_array(call(targeted_fgsm, image.copy(), gradient.copy(), 0.1), "targeted_fgsm(...)")
    expected = np.clip(image - 0.1 * np.sign(gradient), 0, 1)
    if answer.shape != image.shape:
        raise Hint(f"return an image shaped like the input {image.shape}, got {answer.shape}")
    if np.allclose(answer, np.clip(image + 0.1 * np.sign(gradient), 0, 1)):
        raise Hint("that is the untargeted step, up the loss: to make the model say the target class, go "
                   "*down* the target's loss (x − ε·sign(g))")
    if np.allclose(answer, image - 0.1 * np.sign(gradient)):
        raise Hint("some pixels left [0, 1]: clip the result")
    if np.allclose(answer, np.clip(image - 0.1 * gradient, 0, 1)):
        raise Hint("FGSM moves every pixel by exactly ε: use the sign of the gradient, not the gradient")
    expect_close(answer, expected, "targeted_fgsm(image, g, 0.1)")
    return "one signed step down the target's loss, kept in [0, 1]."


@checker("top-k overlap of two maps")
def check_top_k_overlap(top_k_overlap):
    """The learner's ``top_k_overlap(map_a, map_b, k)``: the share of map_a's k highest pixels that are
    also among map_b's k highest."""
    a = np.arange(16, dtype=float).reshape(4, 4)
    b = a.copy()
    answer = call(top_k_overlap, a, b, 4)
    if not isinstance(answer, (float, int, np.floating, np.integer)):
        raise Hint(f"return one number (a share between 0 and 1), got {type(answer).__name__}")
    if np.isclose(answer, 4):
        raise Hint("return a share (count / k), not a count")
    if not np.isclose(answer, 1.0):
        raise Hint(f"a map compared with itself should overlap fully (1.0), got {answer}")
    reverse = -a
    answer = call(top_k_overlap, a, reverse, 4)
    if not np.isclose(answer, 0.0):
        raise Hint(f"opposite rankings share none of their top pixels (0.0), got {answer}")
    if not np.isclose(call(top_k_overlap, a, a + 0.5, 4), 1.0):
        raise Hint("two maps that rank the pixels alike overlap fully, even if their values differ: compare "
                   "pixel positions, not values (flatten both maps and compare np.argsort(...)[-k:])")
    c = a.copy()
    c[0, 0] = 100.0   # now the top 4 of c are 15, 14, 13 and this pixel
    answer = call(top_k_overlap, a, c, 4)
    if not np.isclose(answer, 0.75):
        raise Hint(f"three of map_a's top-4 pixels are in map_b's top 4, so the answer is 0.75; got {answer}")
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.normal(size=(28, 28)), rng.normal(size=(28, 28))
        k = int(rng.integers(1, 100))
        expected = len(np.intersect1d(np.argsort(x.ravel())[-k:], np.argsort(y.ravel())[-k:])) / k
        if not np.isclose(call(top_k_overlap, x, y, k), expected):
            raise Hint(f"wrong on random 28×28 maps with k = {k}: expected {expected:.4f}")
    return "right, including ties in position and rankings reversed."


CHOICES = ("similar", "different")


@checker("your prediction, before the randomisation test")
def check_randomisation_prediction(randomisation_prediction):
    """The learner's ``randomisation_prediction()`` → {"saliency": ..., "grad_cam": ...,
    "integrated_gradients": ...}, each "similar" or "different". Any honest prediction passes."""
    keys = ("saliency", "grad_cam", "integrated_gradients")
    return expect_choices(call(randomisation_prediction), {key: CHOICES for key in keys})


QUESTIONNAIRE = {1: "b", 2: "a", 3: "b", 4: "c", 5: "a"}
REASONS = {
    1: "the sign moves every pixel by exactly ε, the largest step the L∞ budget allows",
    2: "a map that ranks the truly important pixels first destroys the evidence soonest",
    3: "integrated gradients are complete: they add up to F(x) − F(baseline)",
    4: "a map that does not change when the weights are scrambled describes the image, not the model",
    5: "adversarial training pays in clean accuracy and in training time (an attack per batch)",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
