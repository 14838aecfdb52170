"""The digit canvases of chapters 08b and 08c: reproducible, and boxes, classes and masks agree."""
from course_lib import config, data

import numpy as np
import pytest

pytestmark = pytest.mark.once   # NumPy code: the same on any backend


@pytest.fixture(scope="module")
def digits():
    (x, y), _ = data.read_mnist_npz(config.SAMPLE_DIR / data.SAMPLE_FILE)
    return x, y


@pytest.fixture(scope="module")
def canvases(digits):
    return data.make_digit_canvases(*digits, 60, canvas_size=64, digits_per_canvas=(2, 4), seed=5)


def test_same_seed_same_data_and_another_seed_differs(digits, canvases):
    again = data.make_digit_canvases(*digits, 60, canvas_size=64, digits_per_canvas=(2, 4), seed=5)
    assert np.array_equal(again.images, canvases.images) and np.array_equal(again.masks, canvases.masks)
    assert all(np.array_equal(a, b) for a, b in zip(again.boxes, canvases.boxes))
    assert all(np.array_equal(a, b) for a, b in zip(again.classes, canvases.classes))
    other = data.make_digit_canvases(*digits, 60, canvas_size=64, seed=6)
    assert not np.array_equal(other.images, canvases.images)


def test_shapes_types_and_ranges(canvases):
    assert canvases.images.shape == (60, 64, 64) and canvases.images.dtype == np.float32
    assert canvases.masks.shape == (60, 64, 64) and canvases.masks.dtype == np.uint8
    assert 0 <= canvases.images.min() and canvases.images.max() <= 1
    assert canvases.masks.max() <= 10 and len(data.SEGMENT_CLASSES) == 11
    counts = [len(b) for b in canvases.boxes]
    assert max(counts) <= 4 and np.mean(counts) >= 2.5, "2 to 4 digits, rarely fewer when crowded"
    for boxes, classes in zip(canvases.boxes, canvases.classes):
        assert boxes.shape == (len(classes), 4) and classes.dtype == np.int64
        assert np.all(boxes[:, :2] >= 0) and np.all(boxes[:, 2:] <= 64)
        assert np.all(boxes[:, 2:] > boxes[:, :2])


def test_each_box_is_the_tight_box_of_its_digits_mask(canvases):
    for image, mask, boxes, classes in zip(canvases.images, canvases.masks, canvases.boxes, canvases.classes):
        assert np.array_equal(mask > 0, image >= 0.5), "mask pixels are exactly the inked pixels"
        covered = np.zeros(mask.shape, bool)
        for (x0, y0, x1, y1), digit in zip(boxes.astype(int), classes):
            region = mask[y0:y1, x0:x1]
            mine = region == digit + 1
            assert set(np.unique(region)) <= {0, digit + 1}
            rows, cols = np.nonzero(mine)
            # the mask of this digit touches all four sides of its box
            assert (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) == (0, y1 - y0, 0, x1 - x0)
            assert not covered[y0:y1, x0:x1].any(), "boxes do not overlap"
            covered[y0:y1, x0:x1] = True
        assert not mask[~covered].any(), "no digit pixel outside every box"


def test_classes_follow_the_source_digits(digits):
    x, y = digits
    only_sevens = data.make_digit_canvases(x[y == 7], y[y == 7], 10, seed=0)
    assert all(set(c) == {7} for c in only_sevens.classes if len(c))
    assert set(np.unique(only_sevens.masks)) == {0, 8}


def test_digit_count_and_size_are_respected(digits):
    one = data.make_digit_canvases(*digits, 20, canvas_size=48, digits_per_canvas=(1, 1),
                                   digit_size=(28, 28), seed=1)
    assert [len(b) for b in one.boxes] == [1] * 20
    sizes = np.concatenate([b[:, 2:] - b[:, :2] for b in one.boxes])
    assert sizes.max() <= 28


def test_slicing_keeps_everything_aligned(canvases):
    part = canvases[10:20]
    assert len(part) == 10 and part.boxes[0] is canvases.boxes[10]
    assert np.array_equal(part.masks, canvases.masks[10:20])
    with pytest.raises(TypeError, match="slice"):
        canvases[3]


@pytest.mark.parametrize("kwargs, word", [
    (dict(count=-1), "count"),
    (dict(canvas_size=4), "canvas_size"),
    (dict(digits_per_canvas=(3, 2)), "digits_per_canvas"),
    (dict(digit_size=(20, 80)), "digit_size"),
    (dict(ink_threshold=1.5), "ink_threshold"),
])
def test_bad_arguments_are_named(digits, kwargs, word):
    arguments = dict(count=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=word):
        data.make_digit_canvases(*digits, **arguments)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(ink_threshold="x"), TypeError, r"ink_threshold should be a number in \(0, 1\), got 'x' \(a str\)"),
    (dict(ink_threshold=0), ValueError, r"ink_threshold should be a number in \(0, 1\), got 0"),
    # max_tries=0 used to leave every canvas empty without a word
    (dict(max_tries=0), ValueError, "max_tries should be a positive int, got 0"),
    (dict(max_tries=2.5), TypeError, "max_tries should be a positive int, got 2.5"),
    (dict(count="2"), TypeError, "count should be an int >= 0, got '2'"),
])
def test_bad_arguments_say_what_was_expected(digits, kwargs, error, message):
    arguments = dict(count=2)
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        data.make_digit_canvases(*digits, **arguments)


@pytest.mark.parametrize("label", [10, 12, 255, -1])
def test_labels_outside_the_ten_digits_are_refused(digits, label):
    """A label of 12 would paint mask class 13, beyond SEGMENT_CLASSES; 255 would overflow the uint8 mask."""
    x, y = digits
    labels = y.astype(np.int64)
    labels[3] = label
    with pytest.raises(ValueError, match=r"digit_labels should lie in \[0, 10\) \(the digits 0-9\)"):
        data.make_digit_canvases(x, labels, 2)


def test_float_labels_are_a_type_error(digits):
    x, y = digits
    with pytest.raises(TypeError, match="digit_labels should be .* ints .*got dtype float64"):
        data.make_digit_canvases(x, y.astype(float), 2)


def test_numpy_ints_are_ints(digits):
    canvases = data.make_digit_canvases(*digits, np.int64(3), canvas_size=np.int32(48), max_tries=np.int64(5))
    assert len(canvases) == 3 and canvases.images.shape == (3, 48, 48)


def test_bad_digit_arrays_are_named():
    with pytest.raises(ValueError, match="digit_images"):
        data.make_digit_canvases(np.zeros((5, 28, 28), np.float32), np.zeros(5), 2)
    with pytest.raises(ValueError, match="digit_labels"):
        data.make_digit_canvases(np.zeros((5, 28, 28), np.uint8), np.zeros(4), 2)
