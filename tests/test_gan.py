"""Tests of course_lib.gan (chapters 06, 07, 08d)."""
import json

from course_lib import gan, scratch, train, viz

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# The GAN and pix2pix training steps are written for TensorFlow, the course's backend (see
# test_training_on_another_backend_stops_with_a_plain_message for what other backends get).

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


def test_conditional_gan_trains_on_images_and_labels():
    model = _small_gan(num_classes=10)
    images = np.random.default_rng(1).random((32, 28, 28, 1)).astype("float32")
    labels = np.arange(32) % 10
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert model.step == 2
    with pytest.raises(ValueError, match="fit\\(images, labels\\)"):
        model.fit(images, batch_size=16, epochs=1, verbose=0)


def test_first_adam_step_of_a_conditional_gan_moves_no_weight_further_than_the_learning_rate():
    # Adam's first step moves each weight by lr·|g|/(|g| + ε) < lr. A label that occurs several times in
    # the batch is looked up several times in the label tables; on TensorFlow their gradient is then
    # tf.IndexedSlices with repeated rows, which Keras's Adam squared row by row (a row moved by up to
    # √k·lr) until the step made the gradients dense (gan.dense_gradients). JAX's gradient is dense.
    model = _small_gan(num_classes=10)
    images = np.random.default_rng(2).random((16, 28, 28, 1)).astype("float32")
    labels = np.array([3] * 8 + [5] * 8)   # each label 8 times: 8 rows of the same table row
    trainable = model.generator.trainable_variables + model.discriminator.trainable_variables
    before = [keras.ops.convert_to_numpy(variable) for variable in trainable]
    model.train_on_batch(images, labels)
    moves = {variable.path: float(np.abs(keras.ops.convert_to_numpy(variable) - start).max())
             for variable, start in zip(trainable, before)}
    learning_rate = float(model.g_optimizer.learning_rate)
    assert float(model.d_optimizer.learning_rate) == learning_rate and np.isclose(learning_rate, 2e-4)
    too_far = {path: move for path, move in moves.items() if move > learning_rate * (1 + 1e-4)}
    assert not too_far, too_far
    tables = [path for path in moves if "label_" in path]
    assert len(tables) == 2 and all(moves[path] > 0.9 * learning_rate for path in tables), moves


def test_dense_gradients_sums_the_rows_of_indexed_slices():
    tf = pytest.importorskip("tensorflow")
    rows = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), tf.constant([0, 2, 0]),
                            tf.constant([3, 2]))
    plain = tf.constant([1.0, -1.0])
    dense, same, missing = gan.dense_gradients([rows, plain, None])
    assert not isinstance(dense, tf.IndexedSlices)
    np.testing.assert_array_equal(np.asarray(dense), [[6.0, 8.0], [0.0, 0.0], [3.0, 4.0]])
    assert same is plain and missing is None


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
        # Adam's moments and counters
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
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


def test_sample_grid_and_time_budget():
    model = _small_gan()
    images = np.random.default_rng(4).random((32, 28, 28, 1)).astype("float32")
    grid_callback = gan.SampleGrid(count=6, ncols=3)
    budget = train.TimeBudget(seconds=1e-3)
    model.fit(images, batch_size=16, epochs=5, verbose=0, callbacks=[grid_callback, budget])
    assert budget.stopped_early and budget.epochs_run == 1
    assert len(grid_callback.grids) == 1 and grid_callback.grids[0].shape == (2 * 28 + 1, 3 * 28 + 2)


def test_image_grid_tiles_a_batch_with_white_gaps():
    images = np.stack([np.full((28, 28, 1), value) for value in (0.0, 0.25, 0.5, 0.75, 1.0)])
    grid = viz.image_grid(images, ncols=3)
    assert grid.shape == (2 * 28 + 1, 3 * 28 + 2)
    assert grid[0, 0] == 0.0 and grid[0, 29] == 0.25 and grid[29, 29] == 1.0
    assert grid[28, 0] == 1.0 and grid[29, 58] == 1.0  # the gap between rows, the empty sixth cell
    assert viz.image_grid(images[:2], ncols=8).shape == (28, 2 * 28 + 1)  # fewer images than columns
    with pytest.raises(ValueError, match="non-empty batch"):
        viz.image_grid(np.zeros((0, 28, 28)))


def test_interpolation_and_latent_directions():
    a, b = np.zeros(4), np.array([3.0, 0, 0, 4.0])
    line = gan.interpolate(a, b, steps=5)
    assert line.shape == (5, 4) and np.allclose(line[2], [1.5, 0, 0, 2])
    u, v = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    arc = gan.interpolate(u, v, steps=3, method="slerp")
    assert np.allclose(np.linalg.norm(arc, axis=1), 1.0) and np.allclose(arc[1], [np.sqrt(0.5)] * 2)
    with pytest.raises(ValueError, match="method"):
        gan.interpolate(u, v, method="cubic")
    with pytest.raises(ValueError, match="steps"):
        gan.interpolate(u, v, steps=1)
    directions = gan.latent_directions(8, 3)
    assert directions.shape == (3, 8) and np.allclose(directions @ directions.T, np.eye(3), atol=1e-6)
    with pytest.raises(ValueError, match="at most latent_dim"):
        gan.latent_directions(2, 3)


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


def test_wrong_arguments_to_the_gan_say_what_was_expected():
    generator, discriminator = gan.build_generator(8, filters=8), gan.build_discriminator(filters=8)
    with pytest.raises(TypeError, match="latent_dim should be a positive int, got 'x'"):
        gan.GAN(generator, discriminator, latent_dim="x")
    with pytest.raises(ValueError, match="latent_dim=16 but the generator's noise input has 8"):
        gan.GAN(generator, discriminator, latent_dim=16)
    assert gan.GAN(generator, discriminator, latent_dim=np.int64(8)).latent_dim == 8
    with pytest.raises(TypeError, match="ema_decay"):
        gan.GAN(generator, discriminator, ema_decay="0.99")
    with pytest.raises(TypeError, match="generator should be a keras.Model"):
        gan.GAN(None, discriminator)
    model = gan.GAN(generator, discriminator)
    with pytest.raises(TypeError, match=r"g_optimizer should be a keras optimizer.*got str 'adam'"):
        model.compile(g_optimizer="adam")
    with pytest.raises(ValueError, match="generator_loss_kind"):
        model.compile(generator_loss_kind="wasserstein")


def test_training_on_another_backend_stops_with_a_plain_message(monkeypatch):
    images = np.zeros((4, 28, 28, 1), dtype="float32")
    model = _small_gan()
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(NotImplementedError, match="KERAS_BACKEND=tensorflow"):
        model.train_step(images)                # a backend with neither form of the step


def test_checkpoint_holds_the_random_state_so_a_restored_gan_takes_the_same_next_step(tmp_path):
    # Keras's save_weights stores variables of layers and optimizers, not SeedGenerator states; GAN adds
    # them (its noise generator, then the discriminator's Dropout), so that resuming is exact.
    images = np.random.default_rng(5).random((48, 28, 28, 1)).astype("float32")
    model = _small_gan(seed=0)
    model.fit(images, batch_size=16, epochs=1, verbose=0, callbacks=[gan.GANCheckpoint(tmp_path)])
    saved = [np.asarray(state) for state in model.random_states()]
    assert len(saved) == 2                  # the noise z and the discriminator's Dropout
    assert saved[0].tolist() == [0, 6]      # seed 0; two draws of z per step, three steps
    assert saved[1][1] == 9                 # three dropout masks per step (D on real, fake, fake)

    keras.utils.set_random_seed(1)          # other initial weights, another dropout seed, another noise seed
    fresh = gan.GAN(gan.build_generator(8, filters=8), gan.build_discriminator(filters=8), seed=7)
    fresh.compile()
    assert not any(np.array_equal(a, b) for a, b in zip(saved, fresh.random_states()))
    gan.restore_checkpoint(fresh, tmp_path)
    for a, b in zip(saved, fresh.random_states()):
        np.testing.assert_array_equal(a, np.asarray(b))

    batch = images[:16]
    for each in (model, fresh):
        each.reset_metrics()
    losses = model.train_on_batch(batch, return_dict=True)
    fresh_losses = fresh.train_on_batch(batch, return_dict=True)
    for key in ("d_loss", "g_loss"):
        assert np.isclose(losses[key], fresh_losses[key], rtol=0, atol=1e-6)
    for a, b in zip(_weights(model), _weights(fresh)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_loading_a_checkpoint_into_a_gan_with_other_random_generators_says_why(tmp_path):
    model = _small_gan()
    gan.save_checkpoint(model, tmp_path, epoch=0)
    without_dropout = gan.GAN(gan.build_generator(8, filters=8),
                              gan.build_discriminator(filters=8, dropout=0.0))
    without_dropout.compile()
    assert len(without_dropout.random_states()) == 1
    with pytest.raises(ValueError, match="random-number state"):
        gan.restore_checkpoint(without_dropout, tmp_path)


def test_architecture_differences_sees_settings_not_names():
    from course_lib import compare

    ours, theirs = gan.build_generator(8, filters=8, name="ours"), gan.build_generator(8, filters=8)
    assert compare.architecture_differences(ours, theirs) == []        # other names, same network
    wider = gan.build_generator(8, filters=16)
    assert any("units=" in d for d in compare.architecture_differences(wider, theirs))
    other_dropout = gan.build_discriminator(filters=8, dropout=0.5)
    differences = compare.architecture_differences(other_dropout, gan.build_discriminator(filters=8))
    assert differences == ["layer 8 (Dropout): rate=0.5 against 0.3"]
    without_dropout = gan.build_discriminator(filters=8, dropout=0.0)
    assert "10 layers against 11" in compare.architecture_differences(
        without_dropout, gan.build_discriminator(filters=8))
    # a nested setting: the batch-norm momentum, and an initializer's configuration
    changed = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(momentum=0.9)])
    library = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization()])
    assert "momentum=0.9 against 0.99" in compare.architecture_differences(changed, library)[0]
    seeded = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_initializer=keras.initializers.
                                                                      GlorotUniform(seed=1))])
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    assert "kernel_initializer" in compare.architecture_differences(seeded, plain)[0]
    with pytest.raises(TypeError, match="theirs should be a keras.Model"):
        compare.architecture_differences(ours, "generator")


def test_assert_same_network_checks_settings_then_outputs():
    from course_lib import compare

    ours, library = gan.build_generator(8, filters=8), gan.build_generator(8, filters=8)
    z = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")
    assert compare.assert_same_network(ours, library, z) <= 1e-6
    with pytest.raises(AssertionError, match="the networks differ: layer"):
        compare.assert_same_network(gan.build_generator(8, filters=16), library, z)
    # the same layers wired differently (an identity skip is an operation, not a layer): only outputs tell
    inputs = keras.Input((4,))
    first, second = keras.layers.Dense(4), keras.layers.Dense(4)
    straight = keras.Model(inputs, second(first(inputs)))
    inputs = keras.Input((4,))
    first, second = keras.layers.Dense(4), keras.layers.Dense(4)
    skipped = keras.Model(inputs, second(first(inputs)) + inputs)
    with pytest.raises(AssertionError, match="outputs differ"):
        compare.assert_same_network(straight, skipped, np.ones((2, 4), "float32"))
