"""Tests of course_lib.translation (chapter 08e): PSNR, the degradation, the pix2pix model."""
from course_lib import translation

import keras
import numpy as np
import pytest

tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                     reason="the pix2pix training step is written for TensorFlow")


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


def test_degrade_keeps_block_means():
    rng = np.random.default_rng(5)
    images = rng.random((3, 28, 28, 1)).astype("float32")
    blurred = translation.degrade(images, factor=4)
    assert blurred.shape == images.shape and blurred.min() >= 0 and blurred.max() <= 1
    flat = np.full((1, 8, 8, 1), 0.25, dtype="float32")
    assert np.allclose(translation.degrade(flat, 4), 0.25)
    with pytest.raises(ValueError, match="divisible"):
        translation.degrade(images[:, :27], factor=4)


@tensorflow_only
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



def test_training_on_another_backend_stops_with_a_plain_message(monkeypatch):
    images = np.zeros((4, 28, 28, 1), dtype="float32")
    pix2pix = translation.Pix2Pix(translation.build_unet_generator(filters=4),
                                  translation.build_patch_discriminator(filters=4))
    pix2pix.compile()
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(NotImplementedError, match="Pix2Pix.*'jax'"):
        pix2pix.train_step((images, images))
