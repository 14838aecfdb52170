"""Tests of course_lib.translation (chapter 08e): PSNR, the degradation, the pix2pix model."""
from course_lib import translation

import keras
import numpy as np
import pytest


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def test_psnr_against_hand_computed_case():
    target = np.zeros((2, 2))
    prediction = np.array([[0.1, 0.0], [0.0, 0.1]])   # MSE = (0.01 + 0.01) / 4 = 0.005
    assert np.isclose(translation.psnr(prediction, target), 10 * np.log10(1 / 0.005))   # 23.0103 dB
    assert np.isclose(translation.psnr(prediction * 2, target, max_value=2.0), 10 * np.log10(4 / 0.02))
    batch = np.stack([prediction, prediction / 2])[..., None]
    per_image = translation.psnr(batch, np.zeros_like(batch), per_image=True)
    assert np.allclose(per_image, [23.0103, 23.0103 + 20 * np.log10(2)], atol=1e-4)
    assert translation.psnr(target, target) == 100.0
    with pytest.raises(ValueError, match="same shape"):
        translation.psnr(np.zeros((2, 2)), np.zeros((3, 3)))


def _block_means(images, factor):
    n, height, width, channels = images.shape
    return images.reshape(n, height // factor, factor, width // factor, factor, channels).mean(axis=(2, 4))


def _mix_in_an_eighth_of_each_neighbour(small, axis):
    """[1/8, 3/4, 1/8] along ``axis``, the edge block repeated."""
    padded = np.concatenate([np.take(small, [0], axis), small, np.take(small, [-1], axis)], axis)
    n = small.shape[axis]
    return (np.take(padded, range(0, n), axis) / 8 + np.take(padded, range(1, n + 1), axis) * 3 / 4
            + np.take(padded, range(2, n + 2), axis) / 8)


def test_degrade_keeps_the_brightness_and_nearly_the_block_means():
    rng = np.random.default_rng(5)
    images = rng.random((3, 28, 28, 1)).astype("float32")
    blurred = translation.degrade(images, factor=4)
    assert blurred.shape == images.shape and blurred.min() >= 0 and blurred.max() <= 1
    # Shrunk back by block means, the blurred image gives the original's 7×7 block means, except that
    # bilinear enlarging (pixel centres 3/8 and 1/8 of a block from the block's centre) mixes an eighth
    # of each neighbouring block into every block: exactly [1/8, 3/4, 1/8] along each axis.
    original, recovered = _block_means(images, 4), _block_means(blurred, 4)
    expected = _mix_in_an_eighth_of_each_neighbour(_mix_in_an_eighth_of_each_neighbour(original, 1), 2)
    np.testing.assert_allclose(recovered, expected, atol=1e-6)
    assert np.abs(recovered - original).max() > 0.01   # so "nearly", not exactly ...
    # ... while each image's mean brightness survives exactly, since every block's weights sum to 1
    np.testing.assert_allclose(blurred.mean(axis=(1, 2, 3)), images.mean(axis=(1, 2, 3)), atol=1e-6)
    flat = np.full((1, 8, 8, 1), 0.25, dtype="float32")
    assert np.allclose(translation.degrade(flat, 4), 0.25)
    assert np.allclose(translation.degrade(images, np.int64(1)), images)   # factor 1: nothing lost
    with pytest.raises(ValueError, match="divisible"):
        translation.degrade(images[:, :27], factor=4)
    with pytest.raises(ValueError, match="factor"):
        translation.degrade(images, factor=0)


def test_translator_shapes_and_training():
    keras.utils.set_random_seed(0)
    generator = translation.build_unet_generator(filters=4)
    discriminator = translation.build_patch_discriminator(filters=4)
    assert generator.output_shape == (None, 28, 28, 1)
    assert discriminator.output_shape == (None, 7, 7, 1)
    targets = np.random.default_rng(6).random((32, 28, 28, 1)).astype("float32")
    sources = translation.degrade(targets)
    model = translation.Pix2Pix(generator, discriminator)
    model.compile()
    g_before, d_before = _weights(generator), _weights(discriminator)
    history = model.fit(sources, targets, batch_size=16, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_adv", "l1"}
    assert not np.allclose(g_before[0], generator.get_weights()[0])
    assert not np.allclose(d_before[0], discriminator.get_weights()[0])
    restored = translation.restore(generator, sources)
    assert restored.shape == targets.shape and restored.min() >= 0 and restored.max() <= 1
    with pytest.raises(ValueError, match="sources"):
        translation.restore(generator, sources[:, :14])


def test_generator_is_a_residual_unet_and_checks_its_arguments():
    generator = translation.build_unet_generator(filters=np.int64(4))   # NumPy ints are accepted
    assert generator.get_layer("skip_14").output.shape[1:3] == (14, 14)
    assert isinstance(generator.get_layer("restored"), keras.layers.Add)   # input + correction
    for bad, word in (((28, 28), "input_shape"), ((30, 28, 1), "divisible")):
        with pytest.raises(ValueError, match=word):
            translation.build_unet_generator(input_shape=bad, filters=4)
    with pytest.raises(TypeError, match="input_shape"):            # a float is the wrong kind
        translation.build_unet_generator(input_shape=(28, 28.0, 1), filters=4)
    with pytest.raises(TypeError, match="filters"):
        translation.build_patch_discriminator(filters=True)


def test_patch_discriminator_checks_its_input_shape_like_the_generator():
    discriminator = translation.build_patch_discriminator(input_shape=[16, 12, 3], filters=4)
    assert [tuple(t.shape) for t in discriminator.inputs] == [(None, 16, 12, 3)] * 2
    assert discriminator.output_shape == (None, 4, 3, 1)
    with pytest.raises(ValueError, match=r"input_shape should be \(height, width, channels\).*\(28, 28\)"):
        translation.build_patch_discriminator(input_shape=(28, 28))
    with pytest.raises(TypeError, match="input_shape"):
        translation.build_patch_discriminator(input_shape="28x28")


def test_psnr_names_a_wrong_max_value():
    image = np.zeros((4, 4))
    with pytest.raises(TypeError, match=r"max_value should be a positive number.*'a' \(str\)"):
        translation.psnr(image, image, max_value="a")
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="max_value should be a positive number"):
            translation.psnr(image, image, max_value=bad)
    assert translation.psnr(image, image + 0.5, max_value=np.float32(2.0)) == pytest.approx(10 * np.log10(16))


def test_pix2pix_checks_its_networks_weights_and_optimizers():
    generator = translation.build_unet_generator(filters=4)
    discriminator = translation.build_patch_discriminator(filters=4)
    with pytest.raises(TypeError, match="discriminator should be a keras.Model, got str"):
        translation.Pix2Pix(generator, "patchgan")
    with pytest.raises(ValueError, match=r"\[source, candidate\].*got 1 input"):
        translation.Pix2Pix(generator, translation.build_unet_generator(filters=4))
    with pytest.raises(ValueError, match="two different networks"):
        translation.Pix2Pix(generator, generator)
    with pytest.raises(ValueError, match="l1_weight"):
        translation.Pix2Pix(generator, discriminator, l1_weight=-1.0)
    model = translation.Pix2Pix(generator, discriminator)
    with pytest.raises(TypeError, match=r"d_optimizer should be a keras optimizer.*got str 'adam'"):
        model.compile(d_optimizer="adam")
    adam = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer objects"):
        model.compile(d_optimizer=adam, g_optimizer=adam)
    model.compile(d_optimizer=keras.optimizers.SGD(0.1))
    assert isinstance(model.g_optimizer, keras.optimizers.Adam) and model.g_optimizer.beta_1 == 0.5
    assert model.d_optimizer.built and model.g_optimizer.built   # built at once: a checkpoint can be loaded


def test_training_on_another_backend_stops_with_a_plain_message(monkeypatch):
    images = np.zeros((4, 28, 28, 1), dtype="float32")
    pix2pix = translation.Pix2Pix(translation.build_unet_generator(filters=4),
                                  translation.build_patch_discriminator(filters=4))
    pix2pix.compile()
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(NotImplementedError, match="Pix2Pix.*'torch'"):
        pix2pix.train_step((images, images))
