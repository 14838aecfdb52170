"""The explorers of chapters 02, 03 and 07: their compute functions, and the widgets driven from code."""
import matplotlib

matplotlib.use("Agg")

from course_lib import gan, scratch, widgets  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def image():
    return np.random.default_rng(0).random((12, 15))


@pytest.mark.once
def test_presets_are_centred_and_named():
    assert widgets.preset("identity")[1, 1] == 1 and widgets.preset("identity").sum() == 1
    five = widgets.preset("sharpen", 5)
    assert five.shape == (5, 5) and five[2, 2] == 5 and five[0].sum() == 0
    assert np.isclose(widgets.preset("box blur").sum(), 1)
    assert np.isclose(widgets.preset("gaussian blur").sum(), 1)
    with pytest.raises(ValueError, match="preset should be one of"):
        widgets.preset("nope")
    with pytest.raises(ValueError, match="odd int"):
        widgets.preset("identity", 4)
    # a NumPy int (from a slider or an array) is an int, as everywhere in course_lib
    assert np.array_equal(widgets.preset("sharpen", np.int64(5)), five)
    with pytest.raises(TypeError, match=r"size should be an odd int >= 3, got 5.0"):
        widgets.preset("identity", 5.0)
    with pytest.raises(TypeError, match=r"size should be an odd int >= 3, got True"):
        widgets.preset("identity", True)


@pytest.mark.once
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


@pytest.mark.once
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


def _built(explorer):
    """Build the explorer's controls as showing it in a cell does: one box, holding the picture's Output."""
    def holds(box, widget):
        return any(child is widget or holds(child, widget) for child in getattr(box, "children", ()))

    box = explorer.widget
    assert box is explorer.widget, "the controls are built once"
    assert holds(box, explorer._output), "the box a cell shows does not hold the explorer's picture"
    return box


def _shown_png(explorer):
    """The picture an explorer's Output widget holds: what JupyterLab renders, as PNG bytes."""
    import base64

    (output,) = explorer._output.outputs
    assert output["output_type"] == "display_data"
    png = base64.b64decode(output["data"]["image/png"])
    assert png.startswith(b"\x89PNG") and png == explorer.picture
    return png


@pytest.mark.once
def test_kernel_editor_draws_on_one_grey_scale_and_its_preset_list_follows_the_kernel(image):
    editor = widgets.KernelEditor(image, preset_name="sharpen")
    assert editor.scale == (image.min(), image.max())
    _built(editor)
    first = _shown_png(editor)                         # drawn on creation, as widget state
    assert editor._preset.value == "sharpen" and editor.matching_preset() == "sharpen"
    # a kernel that doubles every pixel: brighter on the fixed scale (per-image scaling hid this)
    editor.update(kernel=[[0, 0, 0], [0, 2, 0], [0, 0, 0]])
    assert editor._preset.value == "(custom)" and editor.matching_preset() is None
    doubled = _shown_png(editor)
    assert doubled != first
    assert widgets.on_grey_scale(editor.filtered, editor.scale).mean() > \
        widgets.on_grey_scale(image, editor.scale).mean() + 0.2
    assert 0.3 < editor.clipped_fraction() < 0.7       # about half the doubled values pass the maximum
    editor._cells[1][1].value = 1.0                    # a learner types 1 into the centre: the identity
    assert editor._preset.value == "identity"
    np.testing.assert_allclose(editor.filtered, image)
    assert editor.clipped_fraction() == 0 and _shown_png(editor) != doubled
    editor._preset.value = "edges (Laplacian)"         # picking a preset fills the grid
    assert editor._cells[1][1].value == 8.0 and editor._cells[0][0].value == -1.0
    assert editor._preset.value == "edges (Laplacian)"
    editor._cells[0][0].value = -2.0                   # and editing it afterwards says "(custom)"
    assert editor._preset.value == "(custom)"
    with pytest.raises(ValueError, match="high > low"):
        widgets.on_grey_scale(image, (1, 1))
    flat = widgets.KernelEditor(np.full((5, 5), 0.3))
    assert flat.scale == (0.0, 1.0)                    # a flat image still gets a usable scale


def test_every_explorer_shows_its_picture_on_creation(image, generator):
    """JupyterLab lost pictures drawn into an Output while the widget was being created (the latent
    explorer showed only its sliders until one moved); now the picture is the Output's state."""
    explorers = [widgets.PoolingExplorer(image), widgets.LatentExplorer(generator, count=2),
                 widgets.AttackExplorer(_tiny_classifier(), np.full((2, 6, 6, 1), 0.5, "float32"), [0, 1])]
    for explorer in explorers:
        assert explorer.picture is None
        _built(explorer)
        before = _shown_png(explorer)
        if isinstance(explorer, widgets.LatentExplorer):
            explorer._sliders[0].value = 2.0
        elif isinstance(explorer, widgets.PoolingExplorer):
            explorer._on_change("kind", "average")
        else:
            explorer._slider.value = 0.2
        assert _shown_png(explorer) != before, type(explorer).__name__


@pytest.mark.once
def test_pooling_explorer(image):
    explorer = widgets.PoolingExplorer(image)
    assert explorer.pooled.shape == (6, 7)
    np.testing.assert_allclose(explorer.update(size=3, kind="average"), scratch.avg_pool2d(image, 3))
    assert explorer.summary() == {"input_shape": (12, 15), "output_shape": (4, 5), "kept_fraction": 20 / 180}
    assert explorer.update(stride=1).shape == (10, 13)
    assert explorer.update(stride=0).shape == (4, 5)  # 0 means "the same as size"
    np.testing.assert_allclose(widgets.pool_image(image, 2, 1, "max", "same"),
                               scratch.max_pool2d(image, 2, 1, "same"))
    _built(explorer)
    assert _shown_png(explorer)                       # the picture is drawn with the controls
    explorer._on_change("size", 20)  # larger than the image: shown as a message, state unchanged
    assert "larger than the input" in explorer._message.value and explorer.size == 3
    with pytest.raises(ValueError, match="kind should be"):
        widgets.pool_image(image, kind="min")


# --- the latent explorer (chapter 07) ------------------------------------------------------------

@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(0)
    return gan.build_generator(8, filters=8)


def test_explore_latent_moves_z_along_the_directions(generator):
    z0, image0 = widgets.explore_latent(generator, seed=5)
    z1, image1 = widgets.explore_latent(generator, seed=5, amounts=[2.0, 0.0])
    directions = gan.latent_directions(8, 2)       # the default directions for two amounts
    assert image0.shape == (28, 28) and z0.shape == (8,)
    np.testing.assert_allclose(z0, np.random.default_rng(5).normal(size=8), atol=1e-6)
    np.testing.assert_allclose(z1 - z0, 2.0 * directions[0], atol=1e-5)
    np.testing.assert_allclose(image0, np.asarray(generator(z0[None], training=False))[0, ..., 0], atol=1e-6)
    assert not np.allclose(image0, image1)
    with pytest.raises(ValueError, match=r"directions should have shape \(2, 8\)"):
        widgets.explore_latent(generator, amounts=[1.0, 0.0], directions=np.eye(8)[:3])
    with pytest.raises(ValueError, match="seed"):
        widgets.explore_latent(generator, seed=-1)
    with pytest.raises(TypeError, match="keras.Model"):
        widgets.explore_latent("not a model")


def test_latent_explorer_update_from_code_and_from_its_sliders(generator):
    explorer = widgets.LatentExplorer(generator, count=2)
    np.testing.assert_allclose(explorer.image, widgets.explore_latent(generator, seed=0)[1], atol=1e-6)
    moved = explorer.update(seed=3, amounts=[1.5, 0.0])
    expected = widgets.explore_latent(generator, 3, [1.5, 0.0], explorer.directions)
    np.testing.assert_allclose(moved, expected[1], atol=1e-6)
    np.testing.assert_allclose(explorer.z, expected[0], atol=1e-6)
    assert explorer.seed == 3 and explorer.image is moved

    assert explorer.widget is explorer.widget   # built once; the controls show the current state
    assert explorer._seed.value == 3 and explorer._sliders[0].value == 1.5
    explorer._sliders[1].value = -2.0           # a learner moves slider "dir 2"
    np.testing.assert_allclose(explorer.amounts, [1.5, -2.0])
    _, expected_image = widgets.explore_latent(generator, 3, [1.5, -2.0], explorer.directions)
    np.testing.assert_allclose(explorer.image, expected_image, atol=1e-6)
    explorer.update(seed=4)                     # from code again: the slider follows
    assert explorer._seed.value == 4 and explorer._sliders[1].value == -2.0

    with pytest.raises(ValueError, match="one number per direction"):
        explorer.update(amounts=[1.0])
    assert explorer.seed == 4 and explorer.amounts.tolist() == [1.5, -2.0]   # unchanged by the error
    with pytest.raises(ValueError, match=r"limit \(the sliders' range\) should be a positive number, got 0"):
        widgets.LatentExplorer(generator, limit=0)
    with pytest.raises(TypeError, match=r"limit \(the sliders' range\) should be a positive number, got '3'"):
        widgets.LatentExplorer(generator, limit="3")


def test_latent_explorer_on_a_conditional_generator():
    conditional = gan.build_generator(8, num_classes=10, filters=8)
    with pytest.raises(ValueError, match="label"):
        widgets.LatentExplorer(conditional)
    explorer = widgets.LatentExplorer(conditional, label=3)
    three = explorer.image
    seven = explorer.update(label=7)
    assert explorer.label == 7 and not np.allclose(three, seven)
    _built(explorer)
    explorer._label.value = 3                   # the label box drives it too
    np.testing.assert_allclose(explorer.image, three, atol=1e-6)


def _tiny_classifier():
    """A softmax classifier of 6×6 images whose class depends on the mean brightness: easy to attack."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.layers[-1].set_weights([np.stack([-np.ones(36), np.ones(36)], axis=1).astype("float32") / 6,
                                  np.array([1.5, -1.5], dtype="float32")])
    return model


def test_attack_explorer_update_from_code_and_from_its_slider():
    model = _tiny_classifier()
    images = np.full((3, 6, 6, 1), 0.5, dtype="float32")
    labels = np.argmax(keras.ops.convert_to_numpy(model(images)), axis=1)
    explorer = widgets.AttackExplorer(model, images, labels)
    assert explorer.epsilon == 0.0 and np.array_equal(explorer.attacked, images)
    assert np.array_equal(explorer.predictions, labels)
    attacked = explorer.update(0.3)
    assert np.abs(attacked - images).max() == pytest.approx(0.3)        # FGSM moves every pixel by ε
    assert (explorer.predictions != labels).all() and explorer.confidences.shape == (3,)
    box = _built(explorer)                                                # built without a browser
    explorer._slider.value = 0.0                                          # the slider drives update()
    assert explorer.epsilon == 0.0 and np.array_equal(explorer.predictions, labels)
    assert box is explorer.widget
    with pytest.raises(ValueError, match="epsilon"):
        explorer.update(-0.1)
    assert explorer.epsilon == 0.0, "a refused ε leaves the explorer as it was"
    with pytest.raises(ValueError, match=r"limit \(the slider's range\) should be a positive number, got 0"):
        widgets.AttackExplorer(model, images, labels, limit=0)
    with pytest.raises(ValueError, match="should be a finite number, got inf"):
        widgets.AttackExplorer(model, images, labels, limit=float("inf"))
