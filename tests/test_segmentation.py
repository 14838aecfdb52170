"""The segmentation measures and pictures of chapter 08c (course_lib.segmentation).

Its exercise checkers are tested with the other chapters' in test_checks.py.
"""
from course_lib import segmentation, viz

import numpy as np
import pytest

pytestmark = pytest.mark.once   # NumPy and matplotlib: the same on any backend


def test_iou_per_class_by_hand():
    true = np.array([[0, 1, 1], [0, 2, 2]])
    pred = np.array([[0, 1, 2], [0, 2, 0]])
    iou = segmentation.iou_per_class(true, pred, 4)
    # class 0: 2 common of 3; class 1: 1 of 2; class 2: 1 of 3; class 3: nowhere
    assert np.allclose(iou[:3], [2 / 3, 1 / 2, 1 / 3]) and np.isnan(iou[3])
    counts = segmentation.confusion_counts(true, pred, 4)
    assert counts.sum() == 6 and counts[2, 0] == 1 and counts[1, 2] == 1
    with pytest.raises(ValueError, match="same shape"):
        segmentation.iou_per_class(true, pred[:1], 4)
    with pytest.raises(ValueError, match="0..3"):
        segmentation.iou_per_class(true, pred + 3, 4)
    with pytest.raises(ValueError, match="class indices >= 0, got -1 in y_pred"):
        segmentation.iou_per_class(true, pred - 1, 4)
    with pytest.raises(ValueError, match="argmax"):
        segmentation.iou_per_class(true.astype(float), pred, 4)


def test_confusion_counts_is_the_confusion_matrix_over_pixels():
    rng = np.random.default_rng(3)
    true = rng.integers(0, 5, (6, 8, 8)).astype(np.uint8)
    pred = rng.integers(0, 5, (6, 8, 8)).astype(np.uint8)
    counts = segmentation.confusion_counts(true, pred, 5)
    by_hand = np.array([[np.sum((true == t) & (pred == p)) for p in range(5)] for t in range(5)])
    assert np.array_equal(counts, by_hand)
    assert np.array_equal(counts, viz.confusion_matrix(true.ravel(), pred.ravel(), 5))
    # uint8 masks: the flat index t * num_classes + p must not wrap around at 256
    big = segmentation.confusion_counts(np.full((2, 2), 20, np.uint8), np.full((2, 2), 20, np.uint8), 21)
    assert big[20, 20] == 4 and big.sum() == 4


def test_overlay_and_figure():
    import matplotlib
    matplotlib.use("Agg")
    image = np.linspace(0, 1, 16).reshape(4, 4)
    mask = np.zeros((4, 4), np.int64)
    mask[1, 1] = 3
    picture = segmentation.overlay(image, mask, 11)
    assert picture.shape == (4, 4, 3) and 0 <= picture.min() and picture.max() <= 1
    assert not np.allclose(picture[1, 1], picture[1, 1].mean()), "a digit pixel is coloured"
    assert np.allclose(picture[0, 0], picture[0, 0].mean()), "background stays grey"
    assert np.array_equal(segmentation.mask_colours(11)[0], [0, 0, 0])
    figure = segmentation.show_segmentation(image[None], mask[None], mask[None],
                                            class_names=[str(i) for i in range(11)], count=1)
    assert len(figure.axes) == 4

