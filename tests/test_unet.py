"""The U-Net builder (chapter 08c; reused by 08e): shapes, outputs and input validation."""
import numpy as np
import pytest

from course_lib.unet import build_unet


def test_segmentation_unet_gives_a_probability_per_class_per_pixel():
    model = build_unet((32, 32, 1), 11, base_filters=4, depth=2)
    probabilities = np.asarray(model(np.random.default_rng(0).random((3, 32, 32, 1), dtype=np.float32)))
    assert probabilities.shape == (3, 32, 32, 11)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    assert probabilities.min() >= 0


def test_image_to_image_unet_is_configurable():
    model = build_unet((32, 48, 1), 3, base_filters=4, depth=3, final_activation="tanh",
                       downsample="strided", upsample="bilinear", activation="leaky_relu", dropout=0.5)
    out = np.asarray(model(np.zeros((2, 32, 48, 1), np.float32)))
    assert out.shape == (2, 32, 48, 3)
    assert np.all(np.abs(out) <= 1)
    assert any(layer.name == "bottleneck_dropout" for layer in model.layers)
    # the bottleneck is 2**depth times smaller than the input
    bottleneck = model.get_layer("bottleneck_act2").output
    assert tuple(bottleneck.shape[1:3]) == (4, 6)


def test_skip_connections_join_maps_of_equal_size():
    model = build_unet((16, 16, 2), 5, base_filters=4, depth=2)
    for level, size in ((1, 16), (2, 8)):
        joined = model.get_layer(f"dec{level}_skip").output
        assert tuple(joined.shape[1:3]) == (size, size)
        # half the channels come from the decoder, half from the encoder skip
        assert joined.shape[-1] == 2 * 4 * 2 ** (level - 1)


def test_logits_head_when_no_final_activation():
    model = build_unet((16, 16, 1), 2, base_filters=4, depth=1, final_activation=None)
    assert model.get_layer("head").activation.__name__ == "linear"


@pytest.mark.parametrize("kwargs, word", [
    (dict(input_shape=(30, 32, 1)), "divisible"),
    (dict(input_shape=(32, 32)), "input_shape"),
    (dict(output_channels=0), "output_channels"),
    (dict(depth=0), "depth"),
    (dict(downsample="avg"), "downsample"),
    (dict(upsample="nearest"), "upsample"),
    (dict(final_activation="relu6"), "final_activation"),
    (dict(dropout=1.0), "dropout"),
    (dict(activation="gelu"), "activation"),
])
def test_bad_arguments_are_named(kwargs, word):
    arguments = dict(input_shape=(32, 32, 1), output_channels=11)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=word):
        build_unet(**arguments)


# ---- the segmentation measures and pictures of chapter 08c, and its checkers

from course_lib import unet  # noqa: E402
from course_lib.checks import segmentation as seg_checks  # noqa: E402


def test_iou_per_class_by_hand():
    true = np.array([[0, 1, 1], [0, 2, 2]])
    pred = np.array([[0, 1, 2], [0, 2, 0]])
    iou = unet.iou_per_class(true, pred, 4)
    # class 0: 2 common of 3; class 1: 1 of 2; class 2: 1 of 3; class 3: nowhere
    assert np.allclose(iou[:3], [2 / 3, 1 / 2, 1 / 3]) and np.isnan(iou[3])
    counts = unet.confusion_counts(true, pred, 4)
    assert counts.sum() == 6 and counts[2, 0] == 1 and counts[1, 2] == 1
    with pytest.raises(ValueError, match="same shape"):
        unet.iou_per_class(true, pred[:1], 4)
    with pytest.raises(ValueError, match="0..3"):
        unet.iou_per_class(true, pred + 3, 4)
    with pytest.raises(ValueError, match="argmax"):
        unet.iou_per_class(true.astype(float), pred, 4)


def test_overlay_and_figure():
    import matplotlib
    matplotlib.use("Agg")
    image = np.linspace(0, 1, 16).reshape(4, 4)
    mask = np.zeros((4, 4), np.int64)
    mask[1, 1] = 3
    picture = unet.overlay(image, mask, 11)
    assert picture.shape == (4, 4, 3) and 0 <= picture.min() and picture.max() <= 1
    assert not np.allclose(picture[1, 1], picture[1, 1].mean()), "a digit pixel is coloured"
    assert np.allclose(picture[0, 0], picture[0, 0].mean()), "background stays grey"
    figure = unet.show_segmentation(image[None], mask[None], mask[None], class_names=[str(i) for i in range(11)], count=1)
    assert len(figure.axes) == 4


def test_segmentation_checkers_accept_right_and_reject_wrong(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "0")
    assert seg_checks.check_pixel_accuracy(lambda t, p: float(np.mean(t == p)))
    assert not seg_checks.check_pixel_accuracy(lambda t, p: np.mean(t == p, axis=(1, 2)))
    assert not seg_checks.check_pixel_accuracy(None)

    def right_iou(t, p, c):
        union = np.sum((t == c) | (p == c))
        return np.sum((t == c) & (p == c)) / union if union else float("nan")
    assert seg_checks.check_class_iou(right_iou)
    wrong = seg_checks.check_class_iou(lambda t, p, c: np.sum((t == c) & (p == c)) / max(np.sum(p == c), 1))
    assert not wrong and "union" in wrong.message
    assert not seg_checks.check_class_iou(lambda t, p, c: 1 / 0)

    def right_box(mask, c):
        rows, cols = np.nonzero(mask == c)
        return None if not len(rows) else [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
    assert seg_checks.check_mask_to_box(right_box)
    swapped = seg_checks.check_mask_to_box(lambda m, c: None if right_box(m, c) is None else np.array(right_box(m, c))[[1, 0, 3, 2]])
    assert not swapped and "column" in swapped.message
