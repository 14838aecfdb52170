"""The U-Net of chapter 08c (segmentation), kept here for reuse.

A U-Net is an encoder that halves the image several times while it widens the channels, a
decoder that doubles it back, and *skip connections* that hand every encoder level's feature map
to the decoder level of the same size. The encoder sees "what" (large context), the skips keep
"where" (sharp edges), so the output can be as detailed as the input.

Chapter 08c writes this network out layer by layer, trains its own copy and asserts that it
agrees with ``build_unet`` (same layers, same parameter count, same outputs with the same
weights). Chapter 08e's translator is another, smaller U-Net (``translation.build_unet_generator``).
The measures and pictures of chapter 08c live in ``course_lib.segmentation``.

Plain Keras (``keras.layers`` only), so it runs under any Keras 3 backend.
"""
from __future__ import annotations

from course_lib import _validate
from course_lib.models import BN_MOMENTUM

import keras
from keras import layers


def _conv_block(x, filters: int, name: str):
    """Twice: 3x3 convolution (same padding, no bias: batch norm shifts) → batch norm → ReLU."""
    for index in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{index}")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn{index}")(x)
        x = layers.ReLU(name=f"{name}_act{index}")(x)
    return x


def build_unet(input_shape=(64, 64, 1), output_channels: int = 11, *, base_filters: int = 16,
               depth: int = 3, name: str = "unet") -> keras.Model:
    """Build the segmentation U-Net of chapter 08c.

    ``input_shape`` is ``(height, width, channels)``, height and width divisible by ``2**depth``;
    ``output_channels`` the number of classes; ``base_filters`` the filters of the first level
    (each level down doubles them); ``depth`` how many times the encoder halves the image with
    2x2 max pooling (the bottleneck is ``H / 2**depth`` wide). The decoder doubles the size back
    with 2x2 transposed convolutions; every block is two 3x3 convolutions with batch norm and ReLU.

    Returns an uncompiled ``keras.Model`` mapping ``(N, H, W, C)`` to per-pixel class
    probabilities ``(N, H, W, output_channels)`` (softmax). Layer names: ``enc{k}_*`` (encoder
    level k), ``bottleneck_*``, ``dec{k}_*``, ``head``.
    """
    input_shape = _validate.image_shape(input_shape)
    output_channels = _validate.positive_int(output_channels, "output_channels")
    base_filters = _validate.positive_int(base_filters, "base_filters")
    depth = _validate.positive_int(depth, "depth")
    height, width, _ = input_shape
    factor = 2 ** depth
    if height % factor or width % factor:
        raise ValueError(
            f"input_shape {input_shape}: height and width should be divisible by 2**depth = "
            f"{factor} so that every skip connection meets a decoder map of the same size; "
            "pad the images or lower depth"
        )

    inputs = keras.Input(shape=input_shape, name="image")
    x, skips = inputs, []
    for level in range(1, depth + 1):
        x = _conv_block(x, base_filters * 2 ** (level - 1), f"enc{level}")
        skips.append(x)  # full-detail features of this level, handed across to the decoder
        x = layers.MaxPooling2D(2, name=f"enc{level}_pool")(x)
    x = _conv_block(x, base_filters * 2 ** depth, "bottleneck")
    for level in range(depth, 0, -1):
        filters = base_filters * 2 ** (level - 1)
        x = layers.Conv2DTranspose(filters, 2, strides=2, padding="same", name=f"dec{level}_up")(x)
        x = layers.Concatenate(name=f"dec{level}_skip")([x, skips[level - 1]])
        x = _conv_block(x, filters, f"dec{level}")
    outputs = layers.Conv2D(output_channels, 1, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name=name)
