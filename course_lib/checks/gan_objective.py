"""Checkers for chapter 06, the GAN objective."""
from __future__ import annotations

from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_choices,
    expect_close,
    expect_shape,
    multiple_choice,
)

import numpy as np


@checker("the optimal discriminator D*")
def check_optimal_discriminator(optimal_discriminator):
    x = np.linspace(-4, 5, 50)
    p_data = np.exp(-0.5 * x ** 2)
    p_g = 0.5 * np.exp(-0.5 * (x - 1.5) ** 2 / 0.49)
    expected = p_data / (p_data + p_g)
    answer = call(optimal_discriminator, p_data.copy(), p_g.copy())
    if np.allclose(as_array(answer), p_g / (p_data + p_g)):
        raise Hint("that is 1 − D*: D* is the share of the density that comes from the data, "
                   "p_data / (p_data + p_g)")
    expect_close(answer, expected, "D*", atol=1e-6, hint="D*(x) = p_data(x) / (p_data(x) + p_g(x))")
    zeros = np.array([0.0, 1.0, 0.0, 2.0])
    others = np.array([0.0, 0.0, 3.0, 2.0])
    with np.errstate(all="ignore"):
        answer = call(optimal_discriminator, zeros, others)
    answer = as_array(answer, "D* where densities vanish")
    if answer.shape != (4,) or not np.all(np.isfinite(answer)):
        raise Hint("where p_data and p_g are both 0 the formula divides 0 by 0: return ½ there instead "
                   "of NaN (np.where helps)")
    expect_close(answer, [0.5, 1.0, 0.0, 0.5], "D* on [0, 1, 0, 2] and [0, 0, 3, 2]")
    return "D* is right, and safe where both densities vanish."


def _value_at_optimum(p_data, p_g, dx):
    """V(D*, G) on a grid, with 0·log 0 = 0 (the checker's own reference)."""
    total = p_data + p_g
    safe = np.where(total > 0, total, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        real_term = np.where(p_data > 0, p_data * np.log(np.where(p_data > 0, p_data, 1.0) / safe), 0.0)
        fake_term = np.where(p_g > 0, p_g * np.log(np.where(p_g > 0, p_g, 1.0) / safe), 0.0)
    return float(np.sum(real_term + fake_term) * dx)


def _jsd(p, q, dx):
    """The Jensen–Shannon divergence from its definition, ½ KL(p‖m) + ½ KL(q‖m) with m = (p + q) / 2."""
    m = (p + q) / 2

    def kl(a, b):
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / b[mask])) * dx)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


@checker("the value at the optimal discriminator, and the JSD")
def check_value_at_optimum(value_at_optimum):
    """The learner's ``value_at_optimum(p_data, p_g, dx)``: V(D*, G) = ∫ p_data log D* + p_g log(1 − D*) dx on
    a grid, with densities that overlap, coincide, or live on disjoint intervals (where 0·log 0 = 0)."""
    x = np.linspace(-5, 7, 2401)   # wide enough for the mass, narrow enough that 1 − D* > 0
    dx = float(x[1] - x[0])

    def gaussian(mean, std):
        return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))

    box_left = np.where((x >= -2) & (x < 0), 0.5, 0.0)
    box_right = np.where((x >= 3) & (x < 5), 0.5, 0.0)
    cases = [("N(0, 1) against N(1.5, 0.7²)", gaussian(0, 1), gaussian(1.5, 0.7)),
             ("two equal densities", gaussian(2, 1), gaussian(2, 1)),
             ("two boxes that do not overlap", box_left, box_right)]
    for label, p_data, p_g in cases:
        expected = _value_at_optimum(p_data, p_g, dx)
        with np.errstate(all="ignore"):
            answer = call(value_at_optimum, p_data.copy(), p_g.copy(), dx)
        if np.size(as_array(answer, "value_at_optimum")) != 1:
            raise Hint(f"return one number, the value V(D*, G), got shape {np.shape(answer)}")
        got = float(np.asarray(answer, dtype=float).item())
        if not np.isfinite(got):
            raise Hint(f"for {label} you return {got}: where a density is 0, its term is 0·log(…) = 0 "
                       "(the point carries no probability), so leave such points out of the sum instead of "
                       "computing log 0")
        if np.isclose(got, expected / dx, rtol=1e-4) and not np.isclose(got, expected, rtol=1e-4):
            raise Hint("an integral on a grid is the sum times the spacing: multiply by dx")
        if np.isclose(got, expected, rtol=0, atol=1e-4):
            continue
        d_star = np.where(p_data + p_g > 0, p_data / np.where(p_data + p_g > 0, p_data + p_g, 1.0), 0.5)
        with np.errstate(divide="ignore", invalid="ignore"):
            both_log_d = np.nansum(np.where(p_g > 0, p_g * np.log(d_star), 0)
                                   + np.where(p_data > 0, p_data * np.log(d_star), 0)) * dx
        if np.isfinite(both_log_d) and np.isclose(got, both_log_d, atol=1e-4):
            raise Hint("the generated samples' term is log(1 − D*), not log D*")
        raise Hint(f"for {label} the value is not right (got {got:.5f}). V(D*, G) = "
                   "∫ p_data log D* + p_g log(1 − D*) dx, with D* = p_data / (p_data + p_g)")
    p_data, p_g = gaussian(0, 1), gaussian(1.5, 0.7)
    value = float(np.asarray(call(value_at_optimum, p_data.copy(), p_g.copy(), dx)).item())
    jsd = _jsd(p_data, p_g, dx)
    return (f"V(D*, G) = {value:.5f} = −log 4 + 2·JSD = {-np.log(4) + 2 * jsd:.5f} for the two Gaussians; "
            "−log 4 for equal densities; and 0, its largest possible value, for disjoint ones, where the "
            "JSD reaches its ceiling log 2 (no point carries both densities, so D* says 1 or 0 for certain).")


def _optimal_logit(mu_data, mu_g, sigma):
    """(w, b) with D*(x) = σ(w x + b) for N(mu_data, s²) against N(mu_g, s²): the log density ratio."""
    return (mu_data - mu_g) / sigma ** 2, (mu_g ** 2 - mu_data ** 2) / (2 * sigma ** 2)


@checker("the optimal discriminator's logit")
def check_optimal_logit(optimal_logit):
    """``optimal_logit(mu_data, mu_g, s)`` → (w, b) such that D*(x) = σ(w x + b) (σ the sigmoid) when the
    data are N(mu_data, s²) and the generator's samples N(mu_g, s²)."""
    for mu_data, mu_g, sigma in ((0.0, 1.5, 1.0), (3.0, -3.0, 0.6), (-1.0, 2.0, 2.0), (0.5, 0.5, 1.5)):
        answer = call(optimal_logit, mu_data, mu_g, sigma)
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise Hint(f"return a pair (w, b), got {type(answer).__name__}")
        w, b = (float(np.asarray(a, dtype=float).item()) for a in answer)
        right_w, right_b = _optimal_logit(mu_data, mu_g, sigma)
        if np.isclose(w, right_w, atol=1e-9) and np.isclose(b, right_b, atol=1e-9):
            continue
        where = f"optimal_logit({mu_data}, {mu_g}, {sigma}) returned ({w:.4g}, {b:.4g})"
        if np.isclose(w, -right_w, atol=1e-9) and np.isclose(b, -right_b, atol=1e-9) and right_w != 0:
            raise Hint(f"{where}: that is the logit of 1 − D*. D* says 'real', so its logit grows where "
                       "p_data is larger than p_g")
        if sigma != 1 and np.isclose(w, right_w * sigma ** 2, atol=1e-9):
            raise Hint(f"{where}: the width s is missing; look at where s enters a Gaussian's exponent")
        if np.isclose(w, right_w, atol=1e-9):
            raise Hint(f"{where}: w is right, the constant b is not. Keep the terms of the two squares "
                       "(x − μ)² that do not contain x; the normalising factors are equal and cancel")
        raise Hint(f"{where}. D* = p_data / (p_data + p_g) = 1 / (1 + p_g / p_data): which function of the "
                   "two densities is D*'s logit? Write it out for two Gaussians of the same width")
    return ("right: D*'s logit is the log density ratio log p_data − log p_g, linear in x when the widths "
            "are equal, so one sigmoid unit σ(w x + b) can be the best possible discriminator.")


@checker("the gradient of a squared-error generator loss")
def check_least_squares_gradient(least_squares_gradient):
    """``least_squares_gradient(d_fake)`` → ∂/∂a of ½(σ(a) − 1)² for each output D(G(z)) = σ(a)."""
    d = np.array([0.001, 0.01, 0.3, 0.5, 0.9, 0.999])
    expected = (d - 1) * d * (1 - d)
    got = as_array(call(least_squares_gradient, d.copy()), "least_squares_gradient(d_fake)")
    expect_shape(got, d.shape, "least_squares_gradient(d_fake)")
    if np.allclose(got, d - 1):
        raise Hint("that is the gradient with respect to D(G(z)); the loss is differentiated with respect to "
                   "the logit a, and D = σ(a) sits in between (chain rule)")
    if np.allclose(got, -expected):
        raise Hint("the sign is wrong: raising the logit raises D(G(z)) towards 1 and lowers the loss, so "
                   "the gradient is negative")
    if np.allclose(got, (d - 1) * d) or np.allclose(got, (d - 1) * (1 - d)):
        raise Hint("the sigmoid's derivative is incomplete: write dσ/da with σ itself and keep both factors")
    expect_close(got, expected, "least_squares_gradient(d_fake)", atol=1e-9,
                 hint="differentiate ½(D − 1)² with respect to D, then D = σ(a) with respect to a")
    return ("right: (D − 1)·D·(1 − D). At D(G(z)) = 0.001 it is about −0.001: behind a sigmoid the squared "
            "error saturates as the minimax loss does, because dσ/da = σ(1 − σ) vanishes as D → 0.")


MINIMAX_CHOICES = {"gradient": ("much smaller", "about the same", "much larger"),
                   "progress": ("much less far", "about as far", "much further")}
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"gradient": "much smaller", "progress": "about as far"}


@checker("your prediction, before the minimax run")
def check_minimax_prediction(minimax_prediction):
    """The learner's ``minimax_prediction()`` → {"gradient": ..., "progress": ...}, each one of the named
    choices. Any honest prediction passes; the run says whether it came true."""
    return expect_choices(call(minimax_prediction), MINIMAX_CHOICES)


QUESTIONNAIRE = {1: "c", 2: "a", 3: "b", 4: "b", 5: "a", 6: "c"}
REASONS = {
    1: "each term is the log of a probability, so it is ≤ 0; an undecided D scores 2·log ½ = −log 4",
    2: "maximising p_data log y + p_g log(1 − y) point by point gives y = p_data / (p_data + p_g)",
    3: "at D* the value is −log 4 + 2·JSD, and the JSD is 0 only when p_g = p_data",
    4: "with disjoint supports D* is certain everywhere, V(D*, G) = 0, so the JSD reaches its ceiling log 2",
    5: "d/da log(1 − σ(a)) = −σ(a), which vanishes as D(G(z)) = σ(a) → 0, exactly when D rejects the fakes",
    6: "Adam divides each step by the running size of the gradient, so a gradient that is consistently "
       "twenty times smaller still moves the weights about as far",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
