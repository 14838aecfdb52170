"""The explorers of chapters 02 and 03: their compute functions, and the widgets driven from code."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import scratch, widgets  # noqa: E402


@pytest.fixture
def image():
    return np.random.default_rng(0).random((12, 15))


def test_presets_are_centred_and_named():
    assert widgets.preset("identity")[1, 1] == 1 and widgets.preset("identity").sum() == 1
    five = widgets.preset("sharpen", 5)
    assert five.shape == (5, 5) and five[2, 2] == 5 and five[0].sum() == 0
    assert np.isclose(widgets.preset("box blur").sum(), 1) and np.isclose(widgets.preset("gaussian blur").sum(), 1)
    with pytest.raises(ValueError, match="preset should be one of"):
        widgets.preset("nope")
    with pytest.raises(ValueError, match="odd int"):
        widgets.preset("identity", 4)


def test_filter_image_keeps_the_size_and_follows_the_mode(image):
    sobel = widgets.preset("Sobel x (vertical edges)")
    conv = widgets.filter_image(image, sobel)
    corr = widgets.filter_image(image, sobel, mode="cross-correlation")
    assert conv.shape == corr.shape == image.shape
    np.testing.assert_allclose(conv, scratch.conv2d(image, sobel, padding="same"))
    np.testing.assert_allclose(conv, -corr)  # Sobel flipped left-right is its negative
    np.testing.assert_allclose(widgets.filter_image(image, widgets.preset("identity")), image)
    rgb = np.stack([image, 2 * image, 3 * image], axis=-1)
    assert widgets.filter_image(rgb, sobel).shape == rgb.shape
    with pytest.raises(ValueError, match="mode should be"):
        widgets.filter_image(image, sobel, mode="conv")


def test_kernel_editor_update_from_code_and_from_its_controls(image):
    editor = widgets.KernelEditor(image)
    np.testing.assert_allclose(editor.filtered, image)
    out = editor.update(preset_name="box blur")
    np.testing.assert_allclose(out, scratch.conv2d(image, np.full((3, 3), 1 / 9), padding="same"))
    box = editor.widget  # builds the controls (nothing is rendered outside a browser)
    assert box is editor.widget
    assert editor._cells[0][0].value == pytest.approx(1 / 9)
    editor._cells[1][1].value = 2.0  # a learner types into the centre cell
    assert editor.kernel[1, 1] == 2.0
    np.testing.assert_allclose(editor.filtered, scratch.conv2d(image, editor.kernel, padding="same"))
    editor._preset.value = "identity"
    np.testing.assert_allclose(editor.filtered, image)
    editor._mode.value = "cross-correlation"
    assert editor.mode == "cross-correlation"
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        editor.update(kernel=np.ones((2, 2)))


def test_pooling_explorer(image):
    explorer = widgets.PoolingExplorer(image)
    assert explorer.pooled.shape == (6, 7)
    np.testing.assert_allclose(explorer.update(size=3, kind="average"), scratch.avg_pool2d(image, 3))
    assert explorer.summary() == {"input_shape": (12, 15), "output_shape": (4, 5), "kept_fraction": 20 / 180}
    assert explorer.update(stride=1).shape == (10, 13)
    assert explorer.update(stride=0).shape == (4, 5)  # 0 means "the same as size"
    np.testing.assert_allclose(widgets.pool_image(image, 2, 1, "max", "same"), scratch.max_pool2d(image, 2, 1, "same"))
    explorer.widget
    explorer._on_change("size", 20)  # larger than the image: shown as a message, state unchanged
    assert "larger than the input" in explorer._message.value and explorer.size == 3
    with pytest.raises(ValueError, match="kind should be"):
        widgets.pool_image(image, kind="min")
