"""Checkers for chapter 07, a DCGAN on MNIST."""
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


@checker("spot the collapsed generator")
def check_find_collapsed(find_collapsed):
    rng = np.random.default_rng(7)
    healthy = rng.multinomial(1000, [0.1] * 10)
    lopsided = rng.multinomial(1000, [0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05])
    collapsed = np.array([0, 0, 310, 0, 350, 0, 0, 340, 0, 0])
    for order in (["A", "B", "C"], ["C", "A", "B"]):
        counts = dict(zip(order, [healthy, lopsided, collapsed]))
        answer = call(find_collapsed, {k: v.copy() for k, v in counts.items()})
        if not isinstance(answer, str):
            raise Hint(f"return the name (a key of the dictionary), got {type(answer).__name__} {answer!r}")
        if answer == order[1]:
            raise Hint(f"{answer!r} is uneven but draws every digit; look for digits that never appear")
        if answer != order[2]:
            raise Hint(f"{answer!r} is not the collapsed one: compare the smallest class share of each")
    return "right: a collapsed generator never draws some digits, so its smallest class share is (near) 0."


def _stamps(x, kernel, stride, add=True, flip=False):
    """The transposed convolution by stamp and add (valid padding), with two usual slips on demand."""
    kernel = kernel[::-1, ::-1] if flip else kernel
    (height, width, _), (kh, kw, c_out, _) = x.shape, kernel.shape
    out = np.zeros(((height - 1) * stride + kh, (width - 1) * stride + kw, c_out))
    for i in range(height):
        for j in range(width):
            stamp = kernel @ x[i, j]
            window = (slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw))
            out[window] = out[window] + stamp if add else stamp
    return out


@checker("the transposed convolution, stamp by stamp")
def check_transposed_conv(transposed_conv):
    """``transposed_conv(x, kernel, stride)``: x (H, W, C_in), kernel (kh, kw, C_out, C_in) as Keras's
    Conv2DTranspose stores it, valid padding → ((H − 1)·stride + kh, (W − 1)·stride + kw, C_out)."""
    rng = np.random.default_rng(21)
    pixel = np.zeros((4, 4, 1))
    pixel[1, 2, 0] = 1.0
    cases = [("one bright pixel", pixel, rng.normal(size=(3, 3, 1, 1)), 2),
             ("a 3×4 map with 2 channels", rng.normal(size=(3, 4, 2)), rng.normal(size=(4, 4, 3, 2)), 2),
             ("stride 1, a 3×2 kernel", rng.normal(size=(5, 4, 2)), rng.normal(size=(3, 2, 2, 2)), 1),
             ("stride 3, a 2×2 kernel", rng.normal(size=(3, 3, 1)), rng.normal(size=(2, 2, 2, 1)), 3)]
    for name, x, kernel, stride in cases:
        expected = _stamps(x, kernel, stride)
        got = as_array(call(transposed_conv, x.copy(), kernel.copy(), stride), f"transposed_conv for {name}")
        if got.shape != expected.shape:
            if got.ndim == 3 and got.shape[:2] == expected.shape[:2] and got.shape[2] == kernel.shape[3]:
                raise Hint(f"for {name} you return {got.shape[2]} channels: the kernel's layout is "
                           "(kh, kw, C_out, C_in), output channels third")
            raise Hint(f"for {name} ({x.shape}, stride {stride}, kernel {kernel.shape[:2]}) the output "
                       f"should have shape {expected.shape}, got {got.shape}: every input pixel's stamp must "
                       "fit, and neighbouring stamps start `stride` pixels apart")
        if np.allclose(got, _stamps(x, kernel, stride, flip=True)) and not np.allclose(got, expected):
            raise Hint(f"for {name} the stamps are flipped: each input pixel stamps the kernel as it is")
        if np.allclose(got, _stamps(x, kernel, stride, add=False)) and not np.allclose(got, expected):
            raise Hint(f"for {name} overlapping stamps overwrite each other: where they overlap they add up")
        expect_close(got, expected, f"transposed_conv for {name}", atol=1e-6,
                     hint="input pixel (i, j) adds the kernel, weighted by its channels, to the output "
                          "window that starts at (i·stride, j·stride)")
    return ("right: every input pixel stamps the kernel, scaled by its channels, and overlapping stamps add "
            "up. That is Cᵀ, the transpose of a strided convolution, and Keras's Conv2DTranspose.")


def _inception_score(probabilities):
    p = np.asarray(probabilities, dtype=float)
    marginal = p.mean(axis=0, keepdims=True)
    terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / np.where(marginal > 0, marginal, 1.0)), 0.0)
    return float(np.exp(terms.sum(axis=1).mean()))


@checker("the Inception Score")
def check_inception_score(inception_score):
    """The learner's ``inception_score(probabilities)`` = exp(mean over samples of KL(p(y|x) ‖ p(y))), p(y)
    the mean of the rows: 10 for confident, balanced samples, 1 for a collapsed or an undecided generator."""
    eye = np.eye(10)
    balanced = np.repeat(eye, 3, axis=0)              # sure of its class, every class equally often
    collapsed = np.repeat(eye[[3]], 30, axis=0)       # sure of its class, always the same class
    undecided = np.full((30, 10), 0.1)                # every image is a blur between all ten
    rng = np.random.default_rng(12)
    mixed = rng.dirichlet(np.full(10, 0.3), size=40)
    cases = (("confident, balanced samples", balanced), ("a collapsed generator", collapsed),
             ("undecided samples", undecided), ("40 random probability rows", mixed))
    for name, probabilities in cases:
        answer = call(inception_score, probabilities.copy())
        if np.size(as_array(answer)) != 1:
            raise Hint(f"return one number, got shape {np.shape(answer)}")
        value = float(np.asarray(answer).item())
        expected = _inception_score(probabilities)
        if not np.isfinite(value):
            raise Hint(f"for {name} your score is {value}: KL(p(y|x) ‖ p(y)) puts p(y|x) first, and a "
                       "probability of 0 there contributes 0 · log 0 = 0 (leave those terms out, e.g. with "
                       "np.where)")
        if np.isclose(value, expected, rtol=1e-6, atol=1e-9):
            continue
        if np.isclose(value, np.log(expected), rtol=1e-6, atol=1e-9):
            raise Hint(f"for {name} you return the mean KL divergence; the score is its exponential, "
                       "exp(mean KL)")
        if name == "a collapsed generator" and value > 5:
            raise Hint(f"a generator that draws only one digit, always with certainty, scored {value:.3g}: "
                       "compare each row with the marginal p(y), the mean of the rows over these samples, "
                       "not with the uniform 1/K")
        per_row_exp = np.exp([np.sum(np.where(row > 0, row * np.log(np.where(row > 0, row, 1.0)
                                                                    / probabilities.mean(axis=0)), 0.0))
                              for row in probabilities])
        if np.isclose(value, per_row_exp.mean(), rtol=1e-6):
            raise Hint("you average exp(KL) over the samples; the score takes the mean KL first, then exp")
        raise Hint(f"for {name} the score should be {expected:.4g}, got {value:.4g}: for each row, "
                   "KL(p(y|x) ‖ p(y)) = Σ_y p(y|x) · log(p(y|x) / p(y)), in that order; average over "
                   "the rows, then take exp")
    return "right: 10 (its maximum) needs every sample sure of its class and every class drawn equally often."


DISCRIMINATOR_RATE_CHOICES = {"d_margin": ("wider", "narrower", "about the same"),
                              "confident_share": ("higher", "lower", "about the same")}


# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"d_margin": "wider", "confident_share": "lower"}


@checker("your prediction, before the run")
def check_discriminator_rate_prediction(discriminator_rate_prediction):
    """The learner's ``discriminator_rate_prediction()`` → {"d_margin": ..., "confident_share": ...}, each one
    of the named outcomes. Any honest prediction passes; the run says whether it came true."""
    return expect_choices(call(discriminator_rate_prediction), DISCRIMINATOR_RATE_CHOICES)


QUESTIONNAIRE = {1: "b", 2: "c", 3: "a", 4: "c", 5: "a", 6: "b", 7: "b"}
REASONS = {
    1: "with padding 'same' a stride-2 transposed convolution multiplies the size by the stride",
    2: "it is Cᵀ, the strided convolution's transpose; C(Cᵀx) is not x, as section 1 measured",
    3: "the discriminator only learns to separate this generator's current fakes from real digits, and it "
       "changes every step",
    4: "sharp (confident) but not varied: most samples are one digit",
    5: "the weights circle around a good solution; their moving average sits nearer its centre",
    6: "Adam's moments, its step counter and the random-number states are not weights",
    7: "the midpoint (z0 + z1)/2 of two independent draws has length about 8/√2 ≈ 5.7, untypical for N(0, I)",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
