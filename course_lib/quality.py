"""Judging generated samples with a classifier (chapters 07 and 08d).

A GAN's losses do not say whether its pictures are good: the discriminator is a moving target.
An independent classifier (``models.train_digit_classifier``) can: ``sample_quality`` asks whether
each sample looks like *some* digit and whether all ten digits appear, ``class_agreement`` whether
a conditional generator drew the digit it was asked for.
"""
from __future__ import annotations

from course_lib import _validate

import numpy as np


def _probabilities(classifier, images) -> np.ndarray:
    if not callable(getattr(classifier, "predict", None)):
        raise TypeError(f"classifier should be a Keras model with predict(), got {type(classifier).__name__}")
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images should be a non-empty batch (N, 28, 28[, 1]), got shape {images.shape}")
    return np.asarray(classifier.predict(images, batch_size=1000, verbose=0))


def sample_quality(classifier, images, threshold: float = 0.9) -> dict:
    """How convincing and how varied a batch of digits is, in a classifier's eyes (chapter 07).

    Returns ``confident_share`` (share of images whose top class has probability ≥ ``threshold``:
    does it look like some digit?), ``class_shares`` (share predicted as each class: all ten drawn?)
    and ``min_class_share`` (the rarest class's share; near 0 means mode collapse, about 0.09–0.11
    for real MNIST).
    """
    threshold = _validate.number(threshold, "threshold", low=0, high=1, include_low=False, include_high=False)
    probabilities = _probabilities(classifier, images)
    predicted = probabilities.argmax(axis=1)
    shares = np.bincount(predicted, minlength=probabilities.shape[1]) / len(predicted)
    return {
        "confident_share": float(np.mean(probabilities.max(axis=1) >= threshold)),
        "class_shares": shares,
        "min_class_share": float(shares.min()),
    }


def class_agreement(classifier, images, labels) -> float:
    """Share of images the classifier assigns to the class they were asked to show (chapter 08d)."""
    probabilities = _probabilities(classifier, images)
    labels = np.asarray(labels).reshape(-1)
    if labels.shape != (len(probabilities),):
        raise ValueError(f"labels should hold one class per image ({len(probabilities)}), "
                         f"got shape {labels.shape}")
    return float(np.mean(probabilities.argmax(axis=1) == labels))
