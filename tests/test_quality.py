"""Judging generated digits with a classifier: course_lib.quality and its judge (chapters 07, 08d)."""
from course_lib import models, quality

import keras
import numpy as np
import pytest


class Fixed:
    """A stand-in classifier that returns given probabilities."""

    def __init__(self, probabilities):
        self.probabilities = np.asarray(probabilities)

    def predict(self, images, **kwargs):
        return self.probabilities[: len(images)]


@pytest.fixture
def probabilities():
    table = np.full((4, 10), 0.01)
    table[[0, 1, 2, 3], [3, 3, 7, 1]] = [0.91, 0.5, 0.95, 0.9]   # read as 3, 3 (unsure), 7, 1
    return table


@pytest.mark.once
def test_sample_quality_counts_confident_reads_and_class_shares(probabilities):
    result = quality.sample_quality(Fixed(probabilities), np.zeros((4, 28, 28, 1)))
    assert result["confident_share"] == 0.75          # 0.9 counts as confident, 0.5 does not
    assert result["class_shares"][3] == 0.5 and result["class_shares"].sum() == 1
    assert result["min_class_share"] == 0.0           # six digits never drawn
    strict = quality.sample_quality(Fixed(probabilities), np.zeros((4, 28, 28)), threshold=0.92)
    assert strict["confident_share"] == 0.25
    with pytest.raises(ValueError, match=r"threshold should be a number in \(0, 1\), got 1.0"):
        quality.sample_quality(Fixed(probabilities), np.zeros((4, 28, 28)), threshold=1.0)
    with pytest.raises(TypeError, match=r"threshold should be a number in \(0, 1\), got '0.9' \(a str\)"):
        quality.sample_quality(Fixed(probabilities), np.zeros((4, 28, 28)), threshold="0.9")


@pytest.mark.once
def test_class_agreement_compares_reads_with_requests(probabilities):
    assert quality.class_agreement(Fixed(probabilities), np.zeros((4, 28, 28)), [3, 0, 7, 1]) == 0.75
    assert quality.class_agreement(Fixed(probabilities), np.zeros((4, 28, 28)), [3, 3, 7, 1]) == 1.0
    with pytest.raises(ValueError, match="one class per image"):
        quality.class_agreement(Fixed(probabilities), np.zeros((4, 28, 28)), [3, 3])


@pytest.mark.once
def test_errors_name_the_argument(probabilities):
    with pytest.raises(TypeError, match="predict"):
        quality.sample_quality("not a model", np.zeros((4, 28, 28)))
    with pytest.raises(ValueError, match="non-empty batch"):
        quality.sample_quality(Fixed(probabilities), np.zeros((0, 28, 28)))


def test_the_judge_learns_to_read_digits():
    # Two easy "digits" (a bright left half or a bright right half): the improved recipe separates them.
    rng = np.random.default_rng(0)
    labels = np.arange(256) % 2
    images = rng.random((256, 28, 28, 1)).astype("float32") * 0.2
    for image, label in zip(images, labels):
        image[:, 14 * label:14 * label + 14] += 0.8
    keras.utils.set_random_seed(0)
    classifier = models.train_digit_classifier(images, labels, epochs=3, batch_size=16)   # 48 steps
    assert classifier.output_shape == (None, 10)
    assert np.mean(classifier.predict(images, verbose=0).argmax(1) == labels) > 0.9
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        models.train_digit_classifier(images[..., 0], labels)
    with pytest.raises(ValueError, match="one label per image"):
        models.train_digit_classifier(images, labels[:10])
