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


def _occlusion(score, image, patch, stride, *, mean=True, sign=1.0, copy=True, last=True):
    """Occlusion drops of one 2-D image, written out; the keyword arguments make the typical mistakes."""
    image = np.array(image, dtype=float)
    height, width = image.shape
    base = float(np.ravel(score(image[None]))[0])
    heat, covered = np.zeros_like(image), np.zeros_like(image)
    hidden = image.copy()
    for row in range(0, height - patch + (1 if last else 0), stride):
        for col in range(0, width - patch + (1 if last else 0), stride):
            if copy:
                hidden = image.copy()
            hidden[row:row + patch, col:col + patch] = 0.0
            heat[row:row + patch, col:col + patch] += sign * (base - float(np.ravel(score(hidden[None]))[0]))
            covered[row:row + patch, col:col + patch] += 1.0
    if not mean:
        return heat
    return np.where(covered > 0, heat / np.maximum(covered, 1.0), 0.0)


def _occlusion_scores(height: int, width: int, seed: int):
    """Two class scores of (n, H, W) batches: a linear one and a saturating one."""
    weights = np.random.default_rng(seed).normal(size=(height, width))

    def linear(images):
        return np.sum(np.asarray(images, dtype=float).reshape(-1, height, width) * weights, axis=(1, 2))

    def saturating(images):
        return np.tanh(linear(images) / 4.0)

    return linear, saturating


@checker("occlusion by hand")
def check_occlusion_map(occlusion_map):
    """The learner's ``occlusion_map(score, image, patch, stride)``: for every square that fits, corners at
    0, stride, 2·stride, …, the drop score(image) − score(image with the square black); each pixel the mean
    drop of the squares that cover it, 0 where none does."""
    cases = [(6, 7, 2, 2, 0), (5, 5, 3, 1, 1), (7, 7, 3, 2, 2), (8, 6, 4, 2, 3)]
    for height, width, patch, stride, seed in cases:
        image = np.random.default_rng(10 + seed).uniform(0.1, 1.0, size=(height, width))
        for score in _occlusion_scores(height, width, seed):
            given = image.copy()
            answer = as_array(call(occlusion_map, score, given, patch, stride),
                              f"occlusion_map(score, image {height}×{width}, {patch}, {stride})")
            name = f"occlusion_map on a {height}×{width} image, patch {patch}, stride {stride}"
            if not np.array_equal(given, image):
                raise Hint("your function changed the image it was given: hide each square in a copy, so "
                           "that every occluded image is the original with one square black")
            if answer.shape != image.shape:
                raise Hint(f"{name}: return one map shaped like the image {image.shape}, got {answer.shape}")
            if np.isnan(answer).any():
                raise Hint(f"{name}: some pixels are NaN; a pixel that no square covers has no drop to "
                           "average (0/0): give it 0")
            expected = _occlusion(score, image, patch, stride)
            if np.allclose(answer, expected, atol=1e-6):
                continue
            mistakes = [
                (_occlusion(score, image, patch, stride, copy=False),
                 "the squares pile up: each occluded image should be the original with one square black"),
                (_occlusion(score, image, patch, stride, mean=False),
                 "each pixel should hold the mean drop of the squares that covered it, not their sum"),
                (_occlusion(score, image, patch, stride, sign=-1.0),
                 "the signs are reversed: a square whose hiding lowers the score is important and should get "
                 "a positive value (the drop)"),
                (_occlusion(score, image, patch, stride, last=False),
                 "the last position where the square still fits was skipped (range's end is exclusive)"),
            ]
            for wrong, hint in mistakes:
                if np.allclose(answer, wrong, atol=1e-6):
                    raise Hint(f"{name}: {hint}")
            expect_close(answer, expected, name, atol=1e-6,
                         hint="record score(image) − score(occluded) for every square that fits, and average "
                              "over the squares that cover each pixel")
    return "the drop of every square, averaged over the squares that cover each pixel."


def _margin(weights, bias, image, label: int) -> float:
    """z_y − max_{k≠y} z_k of the linear classifier z = x·W + b."""
    logits = np.ravel(image) @ weights + bias
    return float(logits[label] - np.max(np.delete(logits, label)))


def _smallest_margin(weights, bias, image, label: int, epsilon: float) -> tuple[float, int]:
    """The smallest margin any perturbation with |δ_i| ≤ ε reaches, and the class it makes win."""
    logits = np.ravel(image) @ weights + bias
    gaps = {k: logits[label] - logits[k] - epsilon * np.abs(weights[:, k] - weights[:, label]).sum()
            for k in range(weights.shape[1]) if k != label}
    target = min(gaps, key=gaps.get)
    return float(gaps[target]), target


def _linear_cases():
    """(weights, bias, image, label, epsilon): one built so that the runner-up class is the wrong aim, then
    random ones."""
    weights = np.zeros((6, 3))
    weights[:, 1] = [0.1, 0.05, 0.1, 0.05, 0.1, 0.05]
    weights[:, 2] = [2.0, -2.0, 2.0, -2.0, 2.0, -2.0]
    yield weights, np.array([1.0, 0.5, 0.0]), np.full((2, 3), 0.5), 0, 0.1
    rng = np.random.default_rng(4)
    for shape, classes in (((4, 5), 4), ((3, 3), 6), ((6, 6), 10)):
        weights = rng.normal(size=(int(np.prod(shape)), classes))
        bias = rng.normal(size=classes)
        image = rng.uniform(0, 1, size=shape)
        label = int(np.argmax(np.ravel(image) @ weights + bias))
        yield weights, bias, image, label, float(rng.uniform(0.02, 0.2))


@checker("the worst perturbation of a linear model")
def check_linear_attack(linear_attack):
    """The learner's ``linear_attack(weights, bias, image, label, epsilon)`` → δ shaped like ``image``,
    |δ_i| ≤ ε, that makes the margin z_y − max_{k≠y} z_k of z = x·W + b as small as any such δ can."""
    for weights, bias, image, label, epsilon in _linear_cases():
        answer = as_array(call(linear_attack, weights.copy(), bias.copy(), image.copy(), label, epsilon),
                          "linear_attack(...)")
        if answer.shape != image.shape:
            raise Hint(f"return the change δ shaped like the image {image.shape}, got {answer.shape}")
        if not np.all(np.isfinite(answer)):
            raise Hint("δ contains NaN or infinity")
        if np.abs(answer).max() > epsilon * (1 + 1e-6):
            raise Hint(f"a pixel moved by {np.abs(answer).max():.4g}, more than the budget ε = {epsilon:g}")
        before = _margin(weights, bias, image, label)
        after = _margin(weights, bias, image + answer, label)
        best, target = _smallest_margin(weights, bias, image, label, epsilon)
        if after <= best + 1e-6 * max(1.0, abs(best)):
            continue
        if np.allclose(answer, 0):
            raise Hint("δ is zero everywhere: the attacker may move every pixel by up to ε")
        if after >= before - 1e-12:
            raise Hint(f"your change leaves the margin at {after:.4g}, no smaller than before "
                       f"({before:.4g}): it moves the image the wrong way")
        logits = np.ravel(image) @ weights + bias
        runner_up = int(np.argmax(np.where(np.arange(len(logits)) == label, -np.inf, logits)))
        towards = {k: np.sign(weights[:, k] - weights[:, label]).reshape(image.shape)
                   for k in range(weights.shape[1]) if k != label}
        small = np.abs(answer) < epsilon * (1 - 1e-6)
        if small.mean() > 0.25:
            raise Hint(f"{small.mean():.0%} of the pixels moved by less than ε although the budget allows ε "
                       "on every pixel: moving a pixel the full ε its helpful way shrinks the gap more")
        if runner_up != target and np.allclose(answer, epsilon * towards[runner_up]):
            raise Hint("you aimed at the runner-up class (the highest other logit), but the budget closes a "
                       "different amount of each class's gap: compare the gaps after the attack")
        one_class = [epsilon * np.sign(weights[:, k]).reshape(image.shape) for k in towards]
        one_class.append(-epsilon * np.sign(weights[:, label]).reshape(image.shape))
        if any(np.allclose(answer, guess) for guess in one_class):
            raise Hint("your change follows one class's weights only; the gap z_y − z_k depends on both the "
                       "true class's weights and the other class's")
        raise Hint(f"the margin after your change is {after:.4g}, but a change within the budget reaches "
                   f"{best:.4g}")
    return "the smallest margin the budget allows, on every model tried."


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
# The teacher's key for the randomisation test, kept here so that it is not on screen before the run.
PREDICTION = {"saliency": "similar", "grad_cam": "different", "integrated_gradients": "similar"}


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
