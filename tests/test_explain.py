"""Interpretability maps (course_lib.explain) and backend gradients (course_lib.autodiff), chapter 09b.

Tiny models on 12×12 images keep this file fast: a 2-conv CNN trained for a second on three synthetic
classes (a bright square top-left, top-right or bottom-right), so that maps have something to find.
"""
import os
import subprocess
import sys
import textwrap

from course_lib import autodiff, explain, viz

import keras
import numpy as np
import pytest
import tensorflow as tf

# A test marked tensorflow_only recomputes a gradient independently with TensorFlow's tape, which cannot
# differentiate a model running on JAX; on JAX, test_explain_and_attack_run_on_another_backend compares with
# finite differences.

SIZE = 12
CORNERS = {0: (1, 1), 1: (1, 7), 2: (7, 7)}   # top-left corner of each class's 4×4 square


def synthetic_squares(count, seed=0):
    """Images (count, 12, 12, 1) in [0, 1]: faint noise plus a bright 4×4 square placed by the class."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 3
    images = rng.uniform(0.0, 0.1, size=(count, SIZE, SIZE, 1)).astype(np.float32)
    for image, label in zip(images, labels):
        row, col = CORNERS[label]
        row, col = row + rng.integers(0, 2), col + rng.integers(0, 2)
        image[row:row + 4, col:col + 4, 0] = rng.uniform(0.7, 1.0)
    return images, labels


def conv_layers(prefix=""):
    return [
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", name=f"{prefix}conv_a"),
        keras.layers.Conv2D(6, 3, padding="same", activation="relu", name=f"{prefix}conv_b"),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ]


@pytest.fixture(scope="module")
def trained():
    """(Sequential model, test images, test labels): the model reaches >= 90 % on its own task."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((SIZE, SIZE, 1)), *conv_layers()])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = synthetic_squares(240)
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    images, labels = synthetic_squares(9, seed=1)
    accuracy = np.mean(model.predict_on_batch(images).argmax(1) == labels)
    assert accuracy >= 0.9, f"the test model should learn the squares, got accuracy {accuracy}"
    return model, images, labels


def manual_log_probability_gradient(model, images, classes):
    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        chosen = tf.gather(model(x, training=False), classes, batch_dims=1)
        score = tf.reduce_sum(tf.math.log(chosen))
    return tape.gradient(score, x).numpy()


# ---------------------------------------------------------------------------------------------
# saliency and class_index
# ---------------------------------------------------------------------------------------------

@pytest.mark.tensorflow_only(reason="an independent check written with tf.GradientTape")
def test_saliency_is_the_max_over_channels_of_the_log_probability_gradient(trained):
    model, images, labels = trained
    maps = explain.saliency(model, images, class_index=labels)
    assert maps.shape == (len(images), SIZE, SIZE) and maps.dtype == np.float32
    assert maps.min() >= 0 and maps.max() > 0
    expected = np.abs(manual_log_probability_gradient(model, images, labels)).max(axis=-1)
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-7)


@pytest.mark.tensorflow_only(reason="an independent check written with tf.GradientTape")
def test_saliency_of_rgb_images_takes_the_max_over_channels():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(4, activation="softmax")])
    images = np.random.default_rng(0).uniform(size=(2, 6, 6, 3)).astype(np.float32)
    maps = explain.saliency(model, images, class_index=3)
    expected = np.abs(manual_log_probability_gradient(model, images, np.array([3, 3]))).max(axis=-1)
    assert maps.shape == (2, 6, 6)
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-7)


def test_class_index_none_int_and_sequence(trained):
    model, images, _ = trained
    predicted = model.predict_on_batch(images).argmax(1)
    np.testing.assert_allclose(explain.saliency(model, images), explain.saliency(model, images, predicted))
    np.testing.assert_allclose(explain.saliency(model, images, class_index=np.int64(2)),
                               explain.saliency(model, images, class_index=[2] * len(images)))
    per_image = explain.saliency(model, images, class_index=tuple(range(3)) * 3)
    first_as_two = explain.saliency(model, images[:1], class_index=2)
    assert not np.allclose(per_image[0], first_as_two[0])      # image 0 explained for class 0, not 2


# ---------------------------------------------------------------------------------------------
# Grad-CAM
# ---------------------------------------------------------------------------------------------

def test_grad_cam_is_in_unit_range_and_finds_the_square(trained):
    model, images, labels = trained
    cams = explain.grad_cam(model, images, class_index=labels)
    assert cams.shape == (len(images), SIZE, SIZE) and np.isfinite(cams).all()
    assert cams.min() >= 0 and np.allclose(cams.max(axis=(1, 2)), 1.0)
    inside_wins = 0
    for cam, label in zip(cams, labels):
        row, col = CORNERS[label]
        square = np.zeros((SIZE, SIZE), dtype=bool)
        square[row:row + 5, col:col + 5] = True
        inside_wins += cam[square].mean() > cam[~square].mean()
    assert inside_wins >= len(images) - 1


def test_grad_cam_is_the_same_for_sequential_and_functional_models(trained):
    model, images, _ = trained
    inputs = keras.Input((SIZE, SIZE, 1))
    x = inputs
    for layer in conv_layers("f_"):
        x = layer(x)
    functional = keras.Model(inputs, x)
    functional.set_weights(model.get_weights())
    unbuilt = keras.Sequential(conv_layers("u_"))   # no keras.Input: no defined input until called
    unbuilt(images[:1])
    unbuilt.set_weights(model.get_weights())
    expected = explain.grad_cam(model, images)
    np.testing.assert_allclose(explain.grad_cam(functional, images), expected, atol=1e-5)
    np.testing.assert_allclose(explain.grad_cam(unbuilt, images), expected, atol=1e-5)
    np.testing.assert_allclose(explain.grad_cam(functional, images, layer="f_conv_a"),
                               explain.grad_cam(model, images, layer="conv_a"), atol=1e-5)
    assert explain.conv_layer_names(functional) == ["f_conv_a", "f_conv_b"]


def test_explain_and_viz_list_convolutions_by_one_rule():
    """A Conv2D subclass whose name lacks "Conv" counts, and so do a nested model's convolutions; Grad-CAM
    splits the model at a convolution of its own, so by default it takes the last of those."""
    class Blur(keras.layers.Conv2D):
        pass

    keras.utils.set_random_seed(1)
    inner = keras.Sequential([keras.Input((SIZE, SIZE, 4)),
                              keras.layers.DepthwiseConv2D(3, padding="same", name="inner_depthwise")],
                             name="inner")
    inputs = keras.Input((SIZE, SIZE, 1))
    x = inner(Blur(4, 3, padding="same", activation="relu", name="blur")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x)))
    assert explain.conv_layer_names(model) == ["blur", "inner_depthwise"]
    assert explain.conv_layer_names(model) == [layer.name for layer in viz.conv_layers(model)]
    images, _ = synthetic_squares(3)
    cam = explain.grad_cam(model, images)
    assert cam.shape == (3, SIZE, SIZE) and cam.max() == pytest.approx(1.0)
    np.testing.assert_array_equal(cam, explain.grad_cam(model, images, layer="blur"))
    with pytest.raises(ValueError, match=r"layer should be the name.*\['blur'\], got 'inner_depthwise'"):
        explain.grad_cam(model, images, layer="inner_depthwise")


@pytest.mark.tensorflow_only(reason="an independent check written with tf.GradientTape")
def test_grad_cam_matches_a_tape_computation_through_a_skip_connection():
    keras.utils.set_random_seed(2)
    inputs = keras.Input((SIZE, SIZE, 1))
    a = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="a")(inputs)
    b = keras.layers.SeparableConv2D(3, 3, padding="valid", name="b")(a)
    b = keras.layers.ZeroPadding2D(1)(b)
    x = keras.layers.Add()([a, b])                       # a path that skips layer "b"
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    images, _ = synthetic_squares(3)

    probe = keras.Model(inputs, [model.get_layer("b").output, outputs])
    with tf.GradientTape() as tape:
        maps, probabilities = probe(images, training=False)
        classes = tf.argmax(probabilities, axis=1)
        score = tf.reduce_sum(tf.math.log(tf.gather(probabilities, classes, batch_dims=1)))
    weights = tf.reduce_mean(tape.gradient(score, maps), axis=(1, 2))
    cam = tf.nn.relu(tf.einsum("nhwk,nk->nhw", maps, weights))[..., None]
    cam = tf.image.resize(cam, (SIZE, SIZE), method="bilinear").numpy()[..., 0]
    expected = cam / cam.max(axis=(1, 2), keepdims=True)

    assert explain.conv_layer_names(model) == ["a", "b"]
    np.testing.assert_allclose(explain.grad_cam(model, images), expected, atol=1e-5)


def test_grad_cam_of_a_dead_layer_is_all_zero_not_nan():
    model = keras.Sequential([
        keras.Input((SIZE, SIZE, 1)),
        keras.layers.Conv2D(2, 3, kernel_initializer="zeros", bias_initializer="zeros", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    cams = explain.grad_cam(model, synthetic_squares(2)[0])
    assert cams.shape == (2, SIZE, SIZE) and np.isfinite(cams).all() and not cams.any()


# ---------------------------------------------------------------------------------------------
# occlusion
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def top_left_model():
    """A softmax classifier that only sees the top-left 6×6 quadrant of a 12×12 image."""
    keras.utils.set_random_seed(3)
    return keras.Sequential([
        keras.Input((SIZE, SIZE, 1)),
        keras.layers.Cropping2D(((0, 6), (0, 6))),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(0, 2)),
    ])


def test_occlusion_is_zero_where_the_model_does_not_look(top_left_model):
    images = np.random.default_rng(4).uniform(0.2, 1.0, size=(3, SIZE, SIZE, 1)).astype(np.float32)
    tiles = explain.occlusion(top_left_model, images, patch=2, stride=2)   # 2×2 tiles, no overlap
    assert tiles.shape == (3, SIZE, SIZE)
    assert not tiles[:, 6:, :].any() and not tiles[:, :, 6:].any()
    assert np.abs(tiles[:, :6, :6]).min(axis=(1, 2)).max() > 0
    hidden = images.copy()
    hidden[:, 2:4, 4:6] = 0
    classes = top_left_model.predict_on_batch(images).argmax(1)
    drop = (top_left_model.predict_on_batch(images)[np.arange(3), classes]
            - top_left_model.predict_on_batch(hidden)[np.arange(3), classes])
    np.testing.assert_allclose(tiles[:, 3, 5], drop, atol=1e-6)

    overlapping = explain.occlusion(top_left_model, images, patch=4, stride=2)
    # only squares starting at row/column 6 or later miss the quadrant: they alone cover pixels >= 8
    assert not overlapping[:, 8:, :].any() and not overlapping[:, :, 8:].any()
    assert np.abs(overlapping[:, 6:8, :6]).max() > 0


def test_occlusion_covers_edges_when_the_stride_does_not_divide(trained):
    model, images, _ = trained
    maps = explain.occlusion(model, images[:2], class_index=0, patch=5, stride=4)   # starts 0, 4, then 7
    assert maps.shape == (2, SIZE, SIZE) and np.isfinite(maps).all()
    assert np.abs(maps[:, -1, :]).max() > 0


# ---------------------------------------------------------------------------------------------
# integrated gradients
# ---------------------------------------------------------------------------------------------

def test_integrated_gradients_are_complete(trained):
    model, images, labels = trained
    attributions = explain.integrated_gradients(model, images, class_index=labels, steps=64)
    assert attributions.shape == images.shape and attributions.dtype == np.float32
    rows = np.arange(len(images))
    difference = (model.predict_on_batch(images)[rows, labels]
                  - model.predict_on_batch(np.zeros_like(images))[rows, labels])
    assert np.abs(difference).min() > 0.05, "the test needs images whose probability differs from black's"
    relative_error = np.abs(attributions.sum(axis=(1, 2, 3)) - difference) / np.abs(difference)
    assert relative_error.max() < 0.05, relative_error


def test_integrated_gradients_with_a_grey_baseline_and_one_step(trained):
    model, images, labels = trained
    grey = np.full(images.shape[1:], 0.5, dtype=np.float32)          # one baseline for every image
    attributions = explain.integrated_gradients(model, images, class_index=labels, baseline=grey, steps=64)
    rows = np.arange(len(images))
    difference = (model.predict_on_batch(images)[rows, labels]
                  - model.predict_on_batch(np.broadcast_to(grey, images.shape))[rows, labels])
    np.testing.assert_allclose(attributions.sum(axis=(1, 2, 3)), difference, atol=0.02)
    one_step = explain.integrated_gradients(model, images[:2], steps=1)   # the mean of two end gradients
    assert one_step.shape == images[:2].shape and np.isfinite(one_step).all()


# ---------------------------------------------------------------------------------------------
# deletion curve, area, rank correlation
# ---------------------------------------------------------------------------------------------

def test_deletion_curve_removes_the_top_ranked_pixels_first(top_left_model):
    images = np.random.default_rng(5).uniform(0.2, 1.0, size=(4, SIZE, SIZE, 1)).astype(np.float32)
    labels = np.array([0, 1, 2, 0])
    quadrant_first = np.zeros((4, SIZE, SIZE), dtype=np.float32)
    quadrant_first[:, :6, :6] = 1.0
    fractions = (0.0, 0.25, 0.5, 0.75, 1.0)                       # the quadrant is 25 % of the pixels
    rows = np.arange(4)
    clean = top_left_model.predict_on_batch(images)[rows, labels].mean()
    black = top_left_model.predict_on_batch(np.zeros_like(images))[rows, labels].mean()
    first = explain.deletion_curve(top_left_model, images, quadrant_first, labels, fractions)
    last = explain.deletion_curve(top_left_model, images, -quadrant_first, labels, fractions)
    np.testing.assert_allclose(first, [clean, black, black, black, black], rtol=1e-5)
    np.testing.assert_allclose(last, [clean, clean, clean, clean, black], rtol=1e-5)
    assert explain.area_under(last, fractions) > explain.area_under(first, fractions)


def test_area_under_is_the_trapezoid_rule():
    assert explain.area_under([1.0, 0.0], [0.0, 1.0]) == pytest.approx(0.5)
    assert explain.area_under([1.0, 1.0, 0.0], [0.0, 0.5, 1.0]) == pytest.approx(0.75)
    assert len(explain.DELETION_FRACTIONS) == 11 and explain.DELETION_FRACTIONS[-1] == 1.0


def test_rank_correlation_is_spearman_with_tied_ranks():
    maps = np.random.default_rng(6).normal(size=(3, 4, 4))
    assert explain.rank_correlation(maps, maps) == pytest.approx(1.0)
    assert explain.rank_correlation(maps, -maps) == pytest.approx(-1.0)
    assert explain.rank_correlation(maps, maps ** 3) == pytest.approx(1.0)          # ranks only
    # ranks (0.5, 0.5, 2, 3) against (0, 1, 2, 3): 4.5 / sqrt(4.5 · 5)
    assert explain.rank_correlation([[1, 1, 2, 3]], [[1, 2, 3, 4]]) == pytest.approx(4.5 / np.sqrt(22.5))
    assert explain.rank_correlation(np.ones((2, 3, 3)), maps[:2, :3, :3]) == 0.0   # constant: no ranking


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

def test_every_map_rejects_images_of_the_wrong_rank(trained):
    model, images, _ = trained
    for explainer in (explain.saliency, explain.grad_cam, explain.occlusion, explain.integrated_gradients):
        with pytest.raises(ValueError, match=r"images should be a float array shaped \(N, H, W, C\)"):
            explainer(model, images[..., 0])
    with pytest.raises(TypeError, match="images should be a float array.*dtype <U"):
        explain.saliency(model, np.full((1, SIZE, SIZE, 1), "a"))


@pytest.mark.parametrize("class_index, error, message", [
    (3, ValueError, r"class_index should lie in \[0, 3\).*got 3"),
    (-1, ValueError, r"class_index should lie in \[0, 3\)"),
    ([0, 1], ValueError, r"class_index should have one entry per image \(9\), got 2"),
    ([0] * 8 + [5], ValueError, r"class_index should lie in \[0, 3\).*got values in \[0, 5\]"),
    (1.0, TypeError, "class_index should be None, an int or one int per image, got 1.0"),
    ([0.5] * 9, TypeError, "class_index should be 9 ints"),
])
def test_bad_class_index_is_refused(trained, class_index, error, message):
    model, images, _ = trained
    with pytest.raises(error, match=message):
        explain.saliency(model, images, class_index=class_index)


def test_bad_arguments_are_refused(trained, top_left_model):
    model, images, labels = trained
    with pytest.raises(ValueError, match="model should have a convolution layer of its own for Grad-CAM"):
        explain.grad_cam(top_left_model, images)
    with pytest.raises(ValueError, match=r"layer should be the name.*\['conv_a', 'conv_b'\], got 'conv_c'"):
        explain.grad_cam(model, images, layer="conv_c")
    with pytest.raises(ValueError, match="layer should output feature maps shaped"):
        explain.grad_cam(model, images, layer=model.layers[-2].name)        # Flatten
    with pytest.raises(ValueError, match="steps should be a positive int, got 0"):
        explain.integrated_gradients(model, images, steps=0)
    with pytest.raises(ValueError, match="baseline should be None or a float array shaped"):
        explain.integrated_gradients(model, images, baseline=np.zeros((SIZE, SIZE)))
    with pytest.raises(ValueError, match="patch should be a positive int, got 0"):
        explain.occlusion(model, images, patch=0)
    with pytest.raises(ValueError, match="stride should be a positive int, got -1"):
        explain.occlusion(model, images, stride=-1)
    with pytest.raises(TypeError, match="stride should be a positive int, got 2.0"):
        explain.occlusion(model, images, stride=2.0)
    with pytest.raises(ValueError, match=r"patch should fit in the image \(12×12\), got 13"):
        explain.occlusion(model, images, patch=13)
    logits = keras.Sequential([keras.Input((SIZE, SIZE, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match=r"model should output class probabilities \(a softmax last layer\)"):
        explain.saliency(logits, images)
    with pytest.raises(ValueError, match=r"maps should be a float array shaped \(9, 12, 12\)"):
        explain.deletion_curve(model, images, images, labels)
    with pytest.raises(ValueError, match=r"labels should lie in \[0, 3\)"):
        explain.deletion_curve(model, images, images[..., 0], labels + 1)
    with pytest.raises(ValueError, match=r"fractions should be a sequence of numbers in \[0, 1\]"):
        explain.deletion_curve(model, images, images[..., 0], labels, fractions=(0.0, 1.5))
    with pytest.raises(ValueError, match=r"curve should hold one number per fraction \(11, at least 2\)"):
        explain.area_under([1.0, 0.5])
    with pytest.raises(ValueError, match="fractions should increase strictly"):
        explain.area_under([1.0, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"a and b should be float arrays of one shape.*\(2, 3\) and \(2, 4"):
        explain.rank_correlation(np.zeros((2, 3)), np.zeros((2, 4)))


# ---------------------------------------------------------------------------------------------
# autodiff on each backend
# ---------------------------------------------------------------------------------------------

@pytest.mark.once
def test_input_gradient_names_an_unsupported_backend(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "numpy")
    with pytest.raises(NotImplementedError, match="Keras runs on 'numpy'"):
        autodiff.input_gradient(lambda x: keras.ops.sum(x, axis=1), np.ones((2, 3)))


def test_input_gradient_on_the_default_backend():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    value, grad = autodiff.input_gradient(lambda t: keras.ops.sum(t ** 2, axis=1), x)
    np.testing.assert_allclose(value, [5.0, 50.0])
    np.testing.assert_allclose(grad, 2 * x)
    value, grad = autodiff.input_gradient(lambda t: keras.ops.zeros((2,)), x)   # does not depend on x
    assert not grad.any() and grad.shape == x.shape


OTHER_BACKEND_SCRIPT = textwrap.dedent("""
    import numpy as np
    from course_lib import autodiff, adversarial, explain
    import keras

    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    value, grad = autodiff.input_gradient(lambda t: keras.ops.sum(t ** 2, axis=1), x)
    assert np.allclose(value, [5, 50]) and np.allclose(grad, 2 * x), (value, grad)

    init = keras.initializers.GlorotUniform(seed=0)    # keras.utils.set_random_seed would load TensorFlow
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(3, 3, activation="tanh", kernel_initializer=init),
        keras.layers.Conv2D(3, 3, kernel_initializer=init),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax", kernel_initializer=init),
    ])
    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 1)).astype(np.float32)

    def log_probability(x):
        return np.log(keras.ops.convert_to_numpy(model(x))[[0, 1], [0, 2]].astype(np.float64))

    saliency = explain.saliency(model, images, class_index=[0, 2])
    for row, col in [(0, 0), (3, 4), (7, 7)]:         # central differences, one pixel of each image
        step = np.zeros_like(images)
        step[:, row, col] = 1e-2
        numeric = np.abs(log_probability(images + step) - log_probability(images - step)) / 2e-2
        assert np.allclose(saliency[:, row, col], numeric, rtol=0.02, atol=1e-4), numeric
    cams = explain.grad_cam(model, images)
    assert cams.shape == (2, 8, 8) and np.isfinite(cams).all() and cams.max() <= 1
    attacked = adversarial.fgsm(model, images, [0, 1], 0.1)
    assert np.allclose(np.abs(attacked - images).max(), 0.1, atol=1e-6)
    print("BACKEND OK", keras.backend.backend())
""")


@pytest.mark.once    # the subprocess chooses its backend: the same run whichever backend this pass has
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_explain_and_attack_run_on_another_backend(backend):
    pytest.importorskip(backend, reason=f"{backend} is not installed: its gradient branch is not exercised")
    environment = dict(os.environ, KERAS_BACKEND=backend, JAX_PLATFORMS="cpu", CUDA_VISIBLE_DEVICES="")
    result = subprocess.run([sys.executable, "-c", OTHER_BACKEND_SCRIPT], env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and f"BACKEND OK {backend}" in result.stdout, result.stderr[-3000:]
