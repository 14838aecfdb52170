"""Adversarial examples: FGSM and PGD attacks on an image classifier (chapter 09b).

Chapter 09b, "can we trust it? interpretability and adversarial examples", shows that a digit
classifier with 99 % test accuracy can be made to fail by changes of each pixel too small to see:

``fgsm``                  one step of size ε along the sign of the loss gradient (Goodfellow et al. 2015)
``pgd``                   many smaller steps, each projected back into the ε-ball (Madry et al. 2018)
``accuracy_under_attack`` accuracy on attacked images, for each ε

Both attacks are untargeted and bounded in L∞: no pixel moves by more than ε, and every pixel stays in
[0, 1], the range the course's models are fed. The loss is the cross-entropy of the true label,
−log p(label), read off the model's probability output (every course classifier ends in a softmax).
Images go through the model in batches, so that 10,000 test images fit in memory.
"""
from __future__ import annotations

from course_lib import _validate, autodiff

import keras
import numpy as np

#: Smallest probability whose logarithm is taken: keeps log(0) out of the gradients.
_TINY = 1e-30


def _prepare(model, images, labels, batch_size):
    """Images (float32 in [0, 1]) and labels (ints in the model's class range), both checked."""
    images = _validate.image_batch(images, unit_range=True)
    batch_size = _validate.positive_int(batch_size, "batch_size")
    num_classes = autodiff.predict_probabilities(model, images[:1]).shape[1]
    labels = _validate.class_labels(labels, "labels", len(images), num_classes)
    return images, labels, num_classes, batch_size


def _loss_gradient(model, images: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """d loss / d image for one batch, loss = −log p(label) per image.

    Keras's own ``sparse_categorical_crossentropy`` clips p to 1 − 1e-7 before the logarithm, which
    makes the gradient exactly zero for every image the model gets right with confidence, the very
    images an attack is after; only log(0) is guarded here.
    """
    onehot = np.eye(num_classes, dtype=np.float32)[labels]

    def loss(x):
        probability = keras.ops.sum(keras.ops.multiply(model(x, training=False), onehot), axis=-1)
        return -keras.ops.log(keras.ops.maximum(probability, _TINY))

    return autodiff.input_gradient(loss, images)[1]


def fgsm(model, images, labels, epsilon: float, *, batch_size: int = autodiff.BATCH_SIZE) -> np.ndarray:
    """Fast gradient sign method: clip(x + ε · sign(d loss / dx), 0, 1), as float32.

    One gradient per image and one step to the corner of the ε-ball that raises the loss most to
    first order. ``epsilon`` is in pixel units of [0, 1] images: 0.1 is about 25 grey levels of 255.
    """
    epsilon = _validate.number(epsilon, "epsilon", low=0)
    images, labels, num_classes, batch_size = _prepare(model, images, labels, batch_size)
    adversarial = np.empty_like(images)
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size]
        grad = _loss_gradient(model, x, labels[start:start + batch_size], num_classes)
        adversarial[start:start + len(x)] = np.clip(x + np.float32(epsilon) * np.sign(grad), 0.0, 1.0)
    return adversarial


def pgd(model, images, labels, epsilon: float, step_size: float, steps: int, random_start: bool = True,
        seed: int = 0, *, batch_size: int = autodiff.BATCH_SIZE) -> np.ndarray:
    """Projected gradient descent (L∞), as float32: ``steps`` FGSM steps of ``step_size``, each projected.

    Starts from a uniformly random point of the ε-ball (NumPy generator seeded with ``seed``) when
    ``random_start``, then repeats x ← clip(project(x + step_size · sign(d loss / dx))), where
    ``project`` clips each pixel to [x₀ − ε, x₀ + ε] and the outer clip to [0, 1]. The result is
    always within ε of the images and inside [0, 1]. A common choice: step_size = 2.5 · ε / steps.
    """
    epsilon = _validate.number(epsilon, "epsilon", low=0)
    step_size = _validate.number(step_size, "step_size", low=0, include_low=False)
    steps = _validate.positive_int(steps, "steps")
    if not _validate.is_int(seed):
        raise ValueError(f"seed should be an int, got {seed!r}")
    images, labels, num_classes, batch_size = _prepare(model, images, labels, batch_size)
    rng = np.random.default_rng(seed)
    epsilon32, step32 = np.float32(epsilon), np.float32(step_size)
    adversarial = np.empty_like(images)
    for start in range(0, len(images), batch_size):
        original = images[start:start + batch_size]
        batch_labels = labels[start:start + batch_size]
        low = np.maximum(original - epsilon32, 0.0)          # the ε-ball and [0, 1] together
        high = np.minimum(original + epsilon32, 1.0)
        x = original.copy()
        if random_start:
            noise = rng.uniform(-epsilon, epsilon, size=original.shape).astype(np.float32)
            x = np.clip(original + noise, low, high)
        for _ in range(steps):
            grad = _loss_gradient(model, x, batch_labels, num_classes)
            x = np.clip(x + step32 * np.sign(grad), low, high)
        adversarial[start:start + len(x)] = x
    return adversarial


ATTACKS = {"fgsm": fgsm, "pgd": pgd}


def accuracy_under_attack(model, images, labels, attack, epsilons, **kwargs) -> dict[float, float]:
    """{ε: accuracy on the attacked images} for each ε, the curve chapter 09b draws.

    ``attack``: ``fgsm``, ``pgd`` (the functions or their names) or any function called as
    ``attack(model, images, labels, epsilon, **kwargs)``. For PGD pass ``step_size`` and ``steps``.
    """
    if isinstance(attack, str):
        if attack not in ATTACKS:
            raise ValueError(f"attack should be one of {sorted(ATTACKS)} or a function, got {attack!r}")
        attack = ATTACKS[attack]
    if not callable(attack):
        raise TypeError(f"attack should be one of {sorted(ATTACKS)} or a function, got {attack!r}")
    if isinstance(epsilons, (str, bytes)) or not hasattr(epsilons, "__iter__"):
        raise TypeError(f"epsilons should be a sequence of numbers >= 0, got {_validate.shown(epsilons)}")
    epsilons = [_validate.number(value, f"epsilons[{index}]", low=0) for index, value in enumerate(epsilons)]
    if not epsilons:
        raise ValueError("epsilons should be a sequence of numbers >= 0, got an empty one")
    images = _validate.image_batch(images, unit_range=True)
    num_classes = autodiff.predict_probabilities(model, images[:1]).shape[1]
    labels = _validate.class_labels(labels, "labels", len(images), num_classes)
    accuracies = {}
    for epsilon in epsilons:
        attacked = attack(model, images, labels, epsilon, **kwargs)
        probabilities = autodiff.predict_probabilities(model, np.asarray(attacked, dtype=np.float32))
        accuracies[epsilon] = float(np.mean(probabilities.argmax(axis=1) == labels))
    return accuracies
