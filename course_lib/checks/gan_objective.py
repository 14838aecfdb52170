"""Checkers for chapter 06, the GAN objective."""
from __future__ import annotations

from course_lib.checks.core import Hint, as_array, call, checker, expect_close, expect_equal_number

import numpy as np


@checker("the value of the game V(D, G)")
def check_value_of_game(value_of_game):
    rng = np.random.default_rng(6)
    cases = [
        (np.array([0.9, 0.8, 0.95, 0.7]), np.array([0.1, 0.3, 0.2])),
        (np.full(5, 0.5), np.full(5, 0.5)),
        (rng.uniform(0.05, 0.95, 7), rng.uniform(0.05, 0.95, 11)),   # batches of different sizes
    ]
    for d_real, d_fake in cases:
        expected = np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake))
        answer = call(value_of_game, d_real.copy(), d_fake.copy())
        if np.size(as_array(answer)) != 1:
            raise Hint(f"return one number (the value V), got an array of shape {np.shape(answer)}")
        if np.isclose(float(np.asarray(answer).item()), expected, rtol=0, atol=1e-6):
            continue
        if np.isclose(float(np.asarray(answer).item()), np.mean(np.log(d_real)) + np.mean(np.log(d_fake))):
            raise Hint("the second term is log(1 − D(G(z))), not log D(G(z)): D should call fakes fake")
        if len(d_real) != len(d_fake) and np.isclose(
                float(np.asarray(answer).item()), np.mean(np.log(np.concatenate([d_real, 1 - d_fake])))):
            raise Hint("take the two means separately (one over real outputs, one over fake outputs) "
                       "and add them")
        expect_equal_number(np.asarray(answer).item(), expected, "V", tolerance=1e-6,
                            hint=f"for d_real={np.round(d_real, 3).tolist()} and "
                                 f"d_fake={np.round(d_fake, 3).tolist()} "
                                 f"V = mean(log d_real) + mean(log(1 − d_fake)) = {expected:.4f}")
    return "V matches the formula, for batches of different sizes too."


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


@checker("the JSD from the value at D*")
def check_jsd_from_value(jsd_from_value):
    for value, expected in ((-np.log(4), 0.0), (-1.2, (-1.2 + np.log(4)) / 2), (0.0, np.log(2))):
        answer = call(jsd_from_value, value)
        if answer is None:
            raise Hint("your function returned None: did you forget `return`?")
        expect_equal_number(answer, expected, f"jsd_from_value({value:.4f})", tolerance=1e-6,
                            hint="solve V = −log 4 + 2·JSD for the JSD; at V = −log 4 it is 0")
    return "JSD = (V + log 4) / 2: 0 at the perfect generator, log 2 when D wins outright."


@checker("the generator's gradients")
def check_generator_gradients(generator_gradients):
    d_fake = np.array([0.001, 0.01, 0.05, 0.3])
    answer = call(generator_gradients, d_fake.copy())
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Hint(f"return a pair (minimax, non_saturating), got {type(answer).__name__}")
    minimax, non_saturating = (np.asarray(a, dtype=float).item() for a in answer)
    if np.isclose(minimax, np.mean(-(1 - d_fake))) and np.isclose(non_saturating, np.mean(-d_fake)):
        raise Hint("the two are swapped: the minimax loss log(1 − σ(a)) has gradient −σ(a)")
    if np.isclose(abs(minimax), np.mean(d_fake)) and minimax > 0:
        raise Hint("mind the sign: both losses fall when the logit a grows, so both gradients are negative")
    expect_equal_number(minimax, np.mean(-d_fake), "the minimax gradient", tolerance=1e-6,
                        hint="d/da log(1 − σ(a)) = −σ(a) = −D(G(z)); average it over the batch")
    expect_equal_number(non_saturating, np.mean(-(1 - d_fake)), "the non-saturating gradient", tolerance=1e-6,
                        hint="d/da (−log σ(a)) = −(1 − σ(a)); average it over the batch")
    return (f"for these early-training outputs the minimax push is {abs(minimax):.3f}, "
            f"the non-saturating one {abs(non_saturating):.3f}: "
            f"about {abs(non_saturating / minimax):.0f}× stronger.")
