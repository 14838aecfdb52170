"""Image-to-image translation in the pix2pix style (chapter 08e): restore sharp digits.

The task: a digit shrunk to 7×7 pixels (each pixel the mean of a 4×4 block) and blown back up to
28×28 by bilinear interpolation looks like a blurred smudge; the model must give back the sharp
28×28 original. This is 4× super-resolution, one of the image-to-image jobs the source article
credits GANs with, and it needs only real MNIST digits, so it works offline.

* ``degrade``: the smudge (the model's input, and also the **trivial baseline**: "predict the
  input itself"); ``psnr``: peak signal-to-noise ratio in dB, the metric the chapter reports.
* ``build_unet_generator``: an encoder-decoder whose skip connections carry the fine detail
  across. It is not chapter 08c's U-Net (written in that chapter): it predicts a residual correction added to
  its input and halves 28×28 with strided convolutions. ``build_patch_discriminator``: judges
  (input, output) pairs patch by patch.
* ``Pix2Pix``: a ``keras.Model`` whose ``train_step`` adds the discriminator's verdict to an L1
  loss, as in Isola et al. (2017), "Image-to-image translation with conditional adversarial networks".

Models and losses use ``keras``/``keras.ops``; like ``course_lib.gan.GAN``, the gradient step is
written for TensorFlow (``_train_step_tensorflow``) and JAX (``_train_step_jax``), and the rest (two
optimizers, the dispatch, the logs) is ``two_networks.TwoNetworkModel``. Chapter 08e writes the two
networks and the TensorFlow step out, trains with its own copy and asserts that they equal these.
"""
from __future__ import annotations

import numbers

from course_lib import _validate
from course_lib.gan import discriminator_loss, generator_loss
from course_lib.two_networks import TwoNetworkModel

import keras
import numpy as np
from keras import layers, ops


def degrade(images, factor: int = 4) -> np.ndarray:
    """Shrink each image by ``factor`` (block means), then enlarge it back by bilinear interpolation.

    ``images``: (N, H, W, C) floats in [0, 1], H and W divisible by ``factor``. Returns the same
    shape: the blurred input of chapter 08e, which is also the trivial baseline's prediction.
    Each image's mean brightness is kept exactly; its block means nearly (for ``factor=4``,
    bilinear interpolation mixes an eighth of each neighbouring block into every block mean).
    """
    images = np.asarray(images, dtype="float32")
    factor = _validate.positive_int(factor, "factor")
    if images.ndim != 4:
        raise ValueError(f"images should have shape (N, H, W, C), got {images.shape}")
    n, height, width, channels = images.shape
    if height % factor or width % factor:
        raise ValueError(f"image height and width ({height}×{width}) should be divisible by factor={factor}")
    small = images.reshape(n, height // factor, factor, width // factor, factor, channels).mean(axis=(2, 4))
    if factor == 1:
        return small
    big = ops.image.resize(small, (height, width), interpolation="bilinear", antialias=False)
    return np.clip(ops.convert_to_numpy(big), 0.0, 1.0).astype("float32")


def psnr(prediction, target, max_value: float = 1.0, per_image: bool = False):
    """Peak signal-to-noise ratio in dB: 10·log10(max_value² / MSE), computed image by image.

    Returns the mean over images (or the array of per-image values with ``per_image=True``).
    Higher is better; +3 dB means the squared error halved. A perfect copy would give infinity, so
    the MSE is floored at 1e-10 (100 dB for images in [0, 1]).
    """
    prediction = np.asarray(prediction, dtype="float64")
    target = np.asarray(target, dtype="float64")
    if prediction.shape != target.shape:
        raise ValueError(f"prediction and target should have the same shape, "
                         f"got {prediction.shape} and {target.shape}")
    if prediction.ndim < 2:
        raise ValueError(f"prediction should be an image (H, W[, C]) or a batch of them, "
                         f"got shape {prediction.shape}")
    expected = "a positive number (the largest possible pixel value: 1.0 for images in [0, 1])"
    if isinstance(max_value, (bool, np.bool_)) or not isinstance(max_value, numbers.Real):
        raise TypeError(f"max_value should be {expected}, got {max_value!r} ({type(max_value).__name__})")
    if not max_value > 0:
        raise ValueError(f"max_value should be {expected}, got {max_value!r}")
    if prediction.ndim == 2:
        prediction, target = prediction[None], target[None]
    elif prediction.ndim == 3 and prediction.shape[-1] in (1, 3):
        prediction, target = prediction[None], target[None]
    axes = tuple(range(1, prediction.ndim))
    mse = np.maximum(np.mean((prediction - target) ** 2, axis=axes), 1e-10)
    values = 10.0 * np.log10(max_value ** 2 / mse)
    return values if per_image else float(values.mean())


def build_unet_generator(input_shape=(28, 28, 1), filters: int = 16,
                         name: str = "unet_generator") -> keras.Model:
    """A small U-Net for pix2pix (chapter 08e): 28 → 14 → 7 and back, with skip connections.

    A second U-Net beside chapter 08c's (written in that chapter), because translation needs another
    design: it returns an image (its input plus a learned correction) rather than class scores,
    and it downsamples 28×28 with strided convolutions, as pix2pix does, not max pooling.

    The encoder halves the image twice with strided convolutions; the decoder doubles it back with
    transposed convolutions, and at each size joins the encoder's feature maps of the same size
    (the skips), so that the fine position information does not have to squeeze through 7×7.
    The network predicts a *correction* (tanh, in [−1, 1]) that is added to its input: at the
    start it returns the blurred input (the baseline) and learns only what is missing, which
    trains much faster than drawing the whole digit from scratch. Clip the output to [0, 1]
    before showing or scoring it (``restore`` does).
    """
    filters = _validate.positive_int(filters, "filters")
    input_shape = _validate.image_shape(input_shape)
    if input_shape[0] % 4 or input_shape[1] % 4:
        raise ValueError(f"input_shape should be (H, W, C) with H and W divisible by 4, got {input_shape}")
    source = keras.Input(shape=input_shape, name="source")
    e1 = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 3, padding="same")(source))                    # 28×28
    e2 = layers.LeakyReLU(0.2)(layers.Conv2D(2 * filters, 4, strides=2, padding="same")(e1))        # 14×14
    x = layers.Conv2D(4 * filters, 4, strides=2, padding="same", use_bias=False)(e2)                 # 7×7
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2DTranspose(2 * filters, 4, strides=2, padding="same", use_bias=False)(x)         # 14×14
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Concatenate(name="skip_14")([x, e2])
    x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)             # 28×28
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Concatenate(name="skip_28")([x, e1])
    correction = layers.Conv2D(input_shape[-1], 3, padding="same", activation="tanh", name="correction")(x)
    output = layers.Add(name="restored")([source, correction])
    return keras.Model(source, output, name=name)


def build_patch_discriminator(input_shape=(28, 28, 1), filters: int = 32,
                              name: str = "patch_discriminator") -> keras.Model:
    """A PatchGAN discriminator (chapter 08e): takes [source, candidate], returns a 7×7 map of P(real).

    It sees the input and a candidate output side by side (as two channels), so it judges whether
    the candidate is a plausible sharp version *of this input*. Each output cell looks at one patch
    of the image: the discriminator cares about local sharpness, and L1 takes care of the rest.
    """
    filters = _validate.positive_int(filters, "filters")
    input_shape = _validate.image_shape(input_shape)
    source = keras.Input(shape=input_shape, name="source")
    candidate = keras.Input(shape=input_shape, name="candidate")
    x = layers.Concatenate()([source, candidate])
    x = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 4, strides=2, padding="same")(x))       # 14×14
    x = layers.LeakyReLU(0.2)(layers.Conv2D(2 * filters, 4, strides=2, padding="same")(x))   # 7×7
    patches = layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="p_real_patch")(x)
    return keras.Model([source, candidate], patches, name=name)


def restore(generator: keras.Model, sources, batch_size: int = 512) -> np.ndarray:
    """Run the generator on degraded images and clip the result to [0, 1] (chapter 08e)."""
    if not isinstance(generator, keras.Model):
        raise TypeError(f"generator should be a keras.Model, got {type(generator).__name__}")
    sources = np.asarray(sources, dtype="float32")
    expected = tuple(generator.inputs[0].shape[1:])
    if sources.ndim != 4 or sources.shape[1:] != expected:
        raise ValueError(f"sources should have shape (N, {', '.join(map(str, expected))}), "
                         f"got {sources.shape}")
    return np.clip(generator.predict(sources, batch_size=batch_size, verbose=0), 0.0, 1.0)


class Pix2Pix(TwoNetworkModel):
    """pix2pix training (chapter 08e): generator loss = adversarial + ``l1_weight`` · L1.

    ``fit(inputs, targets)`` trains both networks; each batch makes one discriminator step (real
    pairs (input, target) → 1, fake pairs (input, G(input)) → 0) and one generator step. The logs
    show ``d_loss``, ``g_adv`` (the adversarial part) and ``l1`` (mean absolute pixel error).
    ``compile(d_optimizer, g_optimizer)``: Adam with learning rate 2e-4 and β1 = 0.5 for both networks
    by default, as in the pix2pix paper (``two_networks.TwoNetworkModel.compile``).
    """

    metric_names = ("d_loss", "g_adv", "l1")

    def __init__(self, generator: keras.Model, discriminator: keras.Model, l1_weight: float = 100.0,
                 **kwargs):
        super().__init__(generator, discriminator, **kwargs)   # checks both networks, holds the trackers
        if len(discriminator.inputs) != 2:
            raise ValueError("the discriminator should take [source, candidate] "
                             f"(see build_patch_discriminator), got {len(discriminator.inputs)} input(s)")
        self.l1_weight = _validate.fraction(l1_weight, "l1_weight", high=float("inf"))

    @staticmethod
    def _pairs(data):
        source, target, _ = keras.utils.unpack_x_y_sample_weight(data)
        if target is None:
            raise ValueError("Pix2Pix trains on pairs: call fit(inputs, targets)")
        return source, target

    def _train_step_jax(self, values, data):
        """JAX-specific: the same two steps on explicit state (see ``course_lib.jax_steps``)."""
        source, target = self._pairs(data)
        d, g = self.discriminator, self.generator

        def d_loss_fn():
            fake = values.call(g, source)
            return discriminator_loss(values.call(d, [source, target]), values.call(d, [source, fake])), ()

        d_loss, _ = values.descend(d, self.d_optimizer, d_loss_fn)

        def g_loss_fn():
            fake = values.call(g, source)
            g_adv = generator_loss(values.call(d, [source, fake]))
            l1 = ops.mean(ops.abs(target - fake))
            return g_adv + self.l1_weight * l1, (g_adv, l1)

        _, (g_adv, l1) = values.descend(g, self.g_optimizer, g_loss_fn)
        return {"d_loss": d_loss, "g_adv": g_adv, "l1": l1}

    def _train_step_tensorflow(self, data):
        """TensorFlow-specific: gradients through ``tf.GradientTape``."""
        import tensorflow as tf

        source, target = self._pairs(data)
        with tf.GradientTape() as tape:
            fake = self.generator(source, training=True)
            d_loss = discriminator_loss(self.discriminator([source, target], training=True),
                                        self.discriminator([source, fake], training=True))
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(d_loss, d_vars), d_vars)

        with tf.GradientTape() as tape:
            fake = self.generator(source, training=True)
            g_adv = generator_loss(self.discriminator([source, fake], training=True))
            l1 = ops.mean(ops.abs(target - fake))
            g_loss = g_adv + self.l1_weight * l1
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(g_loss, g_vars), g_vars)
        return {"d_loss": d_loss, "g_adv": g_adv, "l1": l1}
