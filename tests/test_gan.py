"""Tests of course_lib.gan (chapters 06, 07, 08d)."""
import json

from course_lib import gan, scratch

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# The GAN and pix2pix training steps are written for TensorFlow, the course's backend (see
# test_training_on_another_backend_stops_with_a_plain_message for what other backends get).
tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                     reason="GAN training steps are written for TensorFlow")

probabilities = arrays(np.float64, st.integers(1, 30), elements=st.floats(0.001, 0.999))


# --- the value function ----------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(probabilities, probabilities)
def test_gan_value_matches_closed_form(d_real, d_fake):
    expected = sum(np.log(d_real)) / len(d_real) + sum(np.log(1 - d_fake)) / len(d_fake)
    assert np.isclose(scratch.gan_value(d_real, d_fake), expected, rtol=1e-10, atol=1e-12)


def test_gan_value_special_points_and_errors():
    assert np.isclose(scratch.gan_value([0.5] * 3, [0.5] * 7), -np.log(4))
    with pytest.raises(ValueError, match="d_real contains 0"):
        scratch.gan_value([0.0, 0.5], [0.5])
    with pytest.raises(ValueError, match="d_fake contains 1"):
        scratch.gan_value([0.5], [1.0])
    assert np.isfinite(scratch.gan_value([0.0], [1.0], eps=1e-7))
    with pytest.raises(ValueError, match="logits"):
        scratch.gan_value([2.0], [0.5])


def test_losses_are_minus_the_value():
    d_real, d_fake = np.array([[0.9], [0.6]]), np.array([[0.2], [0.4]])
    d_loss = float(keras.ops.convert_to_numpy(gan.discriminator_loss(d_real, d_fake)))
    assert np.isclose(d_loss, -scratch.gan_value(d_real, d_fake), atol=1e-5)
    minimax = float(keras.ops.convert_to_numpy(gan.generator_loss(d_fake, "minimax")))
    assert np.isclose(minimax, np.mean(np.log(1 - d_fake)), atol=1e-5)
    non_saturating = float(keras.ops.convert_to_numpy(gan.generator_loss(d_fake)))
    assert np.isclose(non_saturating, -np.mean(np.log(d_fake)), atol=1e-5)
    with pytest.raises(ValueError, match="kind"):
        gan.generator_loss(d_fake, "wasserstein")


# --- the networks and the GAN model ----------------------------------------------------------

def _small_gan(num_classes=None, seed=0):
    keras.utils.set_random_seed(seed)
    model = gan.GAN(gan.build_generator(8, num_classes=num_classes, filters=8),
                    gan.build_discriminator(num_classes=num_classes, filters=8), num_classes=num_classes)
    model.compile()
    return model


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def test_network_shapes():
    generator = gan.build_generator(16)
    assert generator.output_shape == (None, 28, 28, 1)
    discriminator = gan.build_discriminator()
    assert discriminator.output_shape == (None, 1)
    images = gan.GAN(generator, discriminator).generate(3)
    assert images.shape == (3, 28, 28, 1) and images.min() >= 0 and images.max() <= 1
    with pytest.raises(ValueError, match="latent_dim"):
        gan.build_generator(0)


def test_conditional_shapes_and_validation():
    model = _small_gan(num_classes=10)
    images = model.generate(4, labels=[0, 3, 9, 3])
    assert images.shape == (4, 28, 28, 1)
    p = model.discriminator([images, np.array([0, 3, 9, 3])])
    assert tuple(p.shape) == (4, 1)
    with pytest.raises(ValueError, match="labels"):
        model.generate(2)
    with pytest.raises(ValueError, match="0..9"):
        model.generate(2, labels=[1, 10])
    with pytest.raises(ValueError, match="num_classes"):
        gan.GAN(gan.build_generator(8, num_classes=10), gan.build_discriminator(num_classes=10))
    with pytest.raises(ValueError, match="both be conditional"):
        gan.GAN(gan.build_generator(8), gan.build_discriminator(num_classes=10))


@tensorflow_only
def test_train_step_updates_both_networks_and_counts_steps():
    model = _small_gan()
    g_before, d_before = _weights(model.generator), _weights(model.discriminator)
    images = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")
    history = model.fit(images, batch_size=16, epochs=1, verbose=0).history
    assert model.step == 4 and int(model.d_optimizer.iterations) == 4
    for before, after in ((g_before, _weights(model.generator)), (d_before, _weights(model.discriminator))):
        changed = [not np.allclose(b, a) for b, a in zip(before, after)]
        assert sum(changed) >= len(changed) // 2   # most of the weights (kernels at least) moved
    assert set(history) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v[-1]) for v in history.values())


@tensorflow_only
def test_conditional_gan_trains_on_images_and_labels():
    model = _small_gan(num_classes=10)
    images = np.random.default_rng(1).random((32, 28, 28, 1)).astype("float32")
    labels = np.arange(32) % 10
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert model.step == 2
    with pytest.raises(ValueError, match="fit\\(images, labels\\)"):
        model.fit(images, batch_size=16, epochs=1, verbose=0)


@tensorflow_only
def test_checkpoint_restores_weights_optimizer_state_and_step(tmp_path):
    images = np.random.default_rng(2).random((48, 28, 28, 1)).astype("float32")
    model = _small_gan(seed=0)
    model.fit(images, batch_size=16, epochs=2, verbose=0, callbacks=[gan.GANCheckpoint(tmp_path)])
    assert json.loads((tmp_path / gan.CHECKPOINT_STATE).read_text()) == {"epoch": 2, "step": 6}

    fresh = _small_gan(seed=1)   # different initial weights
    assert fresh.step == 0
    assert not all(np.allclose(a, b) for a, b in zip(_weights(model), _weights(fresh)))
    state = gan.restore_checkpoint(fresh, tmp_path)
    assert state == {"epoch": 2, "step": 6} and fresh.step == 6
    for a, b in zip(_weights(model), _weights(fresh)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.g_optimizer.variables + model.d_optimizer.variables,
                    fresh.g_optimizer.variables + fresh.d_optimizer.variables):
        np.testing.assert_array_equal(np.array(a), np.array(b))   # Adam's moments and counters
    z = np.random.default_rng(3).normal(size=(4, 8)).astype("float32")
    np.testing.assert_allclose(model.generate(z=z), fresh.generate(z=z), atol=1e-6)

    # resuming continues from the saved step and epoch
    history = fresh.fit(images, batch_size=16, initial_epoch=state["epoch"], epochs=3, verbose=0,
                        callbacks=[gan.GANCheckpoint(tmp_path)])
    assert len(history.history["d_loss"]) == 1 and fresh.step == 9
    assert json.loads((tmp_path / gan.CHECKPOINT_STATE).read_text()) == {"epoch": 3, "step": 9}


def test_restore_without_checkpoint_starts_fresh(tmp_path):
    model = _small_gan()
    assert gan.restore_checkpoint(model, tmp_path / "nothing_here") == {"epoch": 0, "step": 0}
    with pytest.raises(TypeError):
        gan.restore_checkpoint("not a gan", tmp_path)


@tensorflow_only
def test_sample_grid_and_time_budget():
    model = _small_gan()
    images = np.random.default_rng(4).random((32, 28, 28, 1)).astype("float32")
    grid_callback = gan.SampleGrid(count=6, ncols=3)
    budget = gan.TimeBudget(seconds=1e-3)
    model.fit(images, batch_size=16, epochs=5, verbose=0, callbacks=[grid_callback, budget])
    assert budget.stopped_early and budget.epochs_run == 1
    assert len(grid_callback.grids) == 1 and grid_callback.grids[0].shape == (2 * 28 + 1, 3 * 28 + 2)


def test_interpolation_and_explorer():
    a, b = np.zeros(4), np.array([3.0, 0, 0, 4.0])
    line = gan.interpolate(a, b, steps=5)
    assert line.shape == (5, 4) and np.allclose(line[2], [1.5, 0, 0, 2])
    u, v = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    arc = gan.interpolate(u, v, steps=3, method="slerp")
    assert np.allclose(np.linalg.norm(arc, axis=1), 1.0) and np.allclose(arc[1], [np.sqrt(0.5)] * 2)
    with pytest.raises(ValueError, match="method"):
        gan.interpolate(u, v, method="cubic")
    model = _small_gan()
    z0, image0 = gan.explore_latent(model.generator, seed=5)
    z1, image1 = gan.explore_latent(model.generator, seed=5, amounts=[2.0, 0.0])
    assert image0.shape == (28, 28)
    directions = gan.latent_directions(8, 2)
    assert np.allclose(directions @ directions.T, np.eye(2), atol=1e-6)
    assert np.allclose(z1 - z0, 2.0 * directions[0], atol=1e-5)
    assert not np.allclose(image0, image1)
    box = gan.latent_explorer(model.generator, count=2)
    assert box.update().shape == (28, 28)
    box.children[0].children[1].value = 1.5   # move slider "dir 1"
    assert np.allclose(box.compute(), gan.explore_latent(model.generator, 0, [1.5, 0.0], directions)[1], atol=1e-6)


def test_sample_quality_and_agreement_on_a_fake_classifier():
    class Fixed:
        def __init__(self, probabilities):
            self.probabilities = probabilities

        def predict(self, images, **kwargs):
            return self.probabilities[: len(images)]

    probabilities = np.full((4, 10), 0.01)
    probabilities[[0, 1, 2, 3], [3, 3, 7, 1]] = [0.91, 0.5, 0.95, 0.9]
    quality = gan.sample_quality(Fixed(probabilities), np.zeros((4, 28, 28, 1)))
    assert quality["confident_share"] == 0.75 and quality["min_class_share"] == 0.0
    assert quality["class_shares"][3] == 0.5
    assert gan.class_agreement(Fixed(probabilities), np.zeros((4, 28, 28)), [3, 0, 7, 1]) == 0.75


@tensorflow_only
def test_ema_generator_averages_and_is_checkpointed(tmp_path):
    keras.utils.set_random_seed(0)
    model = gan.GAN(gan.build_generator(8, filters=8), gan.build_discriminator(filters=8), ema_decay=0.5)
    model.compile()
    start = _weights(model.ema_generator)
    assert all(np.array_equal(a, b) for a, b in zip(start, _weights(model.generator)))
    images = np.random.default_rng(7).random((16, 28, 28, 1)).astype("float32")
    model.fit(images, batch_size=16, epochs=1, verbose=0, callbacks=[gan.GANCheckpoint(tmp_path)])
    kernel = 0   # after step 1 the warm-up decay is min(0.5, 2/11) = 2/11
    decay = 2 / 11
    expected = decay * start[kernel] + (1 - decay) * model.generator.get_weights()[kernel]
    np.testing.assert_allclose(model.ema_generator.get_weights()[kernel], expected, atol=1e-6)
    assert model.sampler is model.ema_generator
    fresh = gan.GAN(gan.build_generator(8, filters=8), gan.build_discriminator(filters=8), ema_decay=0.5)
    fresh.compile()
    gan.restore_checkpoint(fresh, tmp_path)
    for a, b in zip(_weights(model.ema_generator), _weights(fresh.ema_generator)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="ema_decay"):
        gan.GAN(gan.build_generator(8), gan.build_discriminator(), ema_decay=1.5)


def test_training_on_another_backend_stops_with_a_plain_message(monkeypatch):
    images = np.zeros((4, 28, 28, 1), dtype="float32")
    model = _small_gan()
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(NotImplementedError, match="KERAS_BACKEND=tensorflow"):
        model.train_step(None, images)          # JAX's calling convention: (state, data)
