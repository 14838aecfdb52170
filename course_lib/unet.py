"""A small U-Net: segmentation (chapter 08c) and image-to-image translation (chapter 08e).

A U-Net is an encoder that halves the image several times while it widens the channels, a
decoder that doubles it back, and *skip connections* that hand every encoder level's feature map
to the decoder level of the same size. The encoder sees "what" (large context), the skips keep
"where" (sharp edges), so the output can be as detailed as the input.

One builder serves both uses:

* segmentation: ``build_unet((64, 64, 1), 11)`` ends in a softmax over 11 classes per pixel;
* image-to-image (pix2pix-style generator): ``build_unet((64, 64, 1), 3, final_activation="tanh",
  downsample="strided", activation="leaky_relu", dropout=0.5)`` returns an image in [-1, 1].

The model is plain Keras (``keras.layers`` only), so it runs under any Keras 3 backend. The module
also holds the segmentation measures and pictures of chapter 08c: ``confusion_counts``,
``iou_per_class`` and ``show_segmentation``.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import layers

DOWNSAMPLE_KINDS = ("maxpool", "strided")
UPSAMPLE_KINDS = ("transpose", "bilinear")
ACTIVATIONS = ("relu", "leaky_relu")
#: Batch-norm momentum: 0.9 rather than Keras's 0.99, so that the running statistics used at test
#: time catch up within the few hundred steps a CPU training lasts (with 0.99 they lag behind).
BN_MOMENTUM = 0.9


def _activation(kind: str, name: str):
    if kind == "leaky_relu":
        return layers.LeakyReLU(negative_slope=0.2, name=name)
    return layers.ReLU(name=name)


def _conv_block(x, filters: int, convs: int, batch_norm: bool, activation: str, name: str):
    """``convs`` times: 3x3 convolution (same padding) → batch norm (optional) → activation."""
    for index in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm,
                          name=f"{name}_conv{index + 1}")(x)
        if batch_norm:
            x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn{index + 1}")(x)
        x = _activation(activation, f"{name}_act{index + 1}")(x)
    return x


def _positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} should be an int >= {minimum}, got {value!r}")
    return value


def build_unet(input_shape=(64, 64, 1), output_channels: int = 11, *, base_filters: int = 16,
               depth: int = 3, convs_per_block: int = 2, final_activation: str | None = "softmax",
               downsample: str = "maxpool", upsample: str = "transpose", activation: str = "relu",
               batch_norm: bool = True, dropout: float = 0.0, name: str = "unet") -> keras.Model:
    """Build a U-Net (chapter 08c explains it; chapter 08e reuses it as a pix2pix generator).

    Parameters
    ----------
    input_shape:
        ``(height, width, channels)``; height and width must be divisible by ``2**depth``.
    output_channels:
        number of classes for segmentation (with ``final_activation="softmax"``), or number of
        image channels for image-to-image (with ``"tanh"``, ``"sigmoid"`` or ``None``).
    base_filters:
        filters at the first level; each level down doubles them (16, 32, 64, ...).
    depth:
        how many times the encoder halves the image (the bottleneck is ``H / 2**depth`` wide).
    convs_per_block:
        3x3 convolutions in each block (the original U-Net uses 2).
    final_activation:
        ``"softmax"``, ``"sigmoid"``, ``"tanh"``, ``"linear"`` or ``None`` (logits).
    downsample:
        ``"maxpool"`` (2x2 max pooling) or ``"strided"`` (a 4x4 convolution with stride 2, as in
        pix2pix).
    upsample:
        ``"transpose"`` (a learned 2x2 transposed convolution) or ``"bilinear"`` (resize, then
        convolve).
    activation:
        ``"relu"`` or ``"leaky_relu"`` (slope 0.2) inside the blocks.
    batch_norm:
        batch normalisation after each convolution.
    dropout:
        dropout rate applied in the bottleneck and the deepest decoder level (pix2pix uses 0.5 as
        its noise source); 0 turns it off.

    Returns an uncompiled ``keras.Model`` mapping ``(N, H, W, C)`` to ``(N, H, W, output_channels)``.
    Layer names: ``enc{k}_*`` (encoder level k), ``bottleneck_*``, ``dec{k}_*``, ``head``.
    """
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in input_shape)):
        raise ValueError(f"input_shape should be (height, width, channels) of positive ints, got {input_shape!r}")
    output_channels = _positive_int(output_channels, "output_channels")
    base_filters = _positive_int(base_filters, "base_filters")
    depth = _positive_int(depth, "depth")
    convs_per_block = _positive_int(convs_per_block, "convs_per_block")
    height, width, _ = input_shape
    factor = 2 ** depth
    if height % factor or width % factor:
        raise ValueError(
            f"input_shape {tuple(input_shape)}: height and width should be divisible by 2**depth = "
            f"{factor} so that every skip connection meets a decoder map of the same size; "
            "pad the images or lower depth"
        )
    if downsample not in DOWNSAMPLE_KINDS:
        raise ValueError(f"downsample should be one of {DOWNSAMPLE_KINDS}, got {downsample!r}")
    if upsample not in UPSAMPLE_KINDS:
        raise ValueError(f"upsample should be one of {UPSAMPLE_KINDS}, got {upsample!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation should be one of {ACTIVATIONS}, got {activation!r}")
    allowed = ("softmax", "sigmoid", "tanh", "linear", None)
    if final_activation not in allowed:
        raise ValueError(f"final_activation should be one of {allowed}, got {final_activation!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout should be a number in [0, 1), got {dropout!r}")

    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    skips = []
    for level in range(depth):
        filters = base_filters * 2 ** level
        x = _conv_block(x, filters, convs_per_block, batch_norm, activation, f"enc{level + 1}")
        skips.append(x)  # full-detail features of this level, handed across to the decoder
        if downsample == "maxpool":
            x = layers.MaxPooling2D(2, name=f"enc{level + 1}_pool")(x)
        else:
            x = layers.Conv2D(filters, 4, strides=2, padding="same", name=f"enc{level + 1}_down")(x)
            x = _activation(activation, f"enc{level + 1}_down_act")(x)

    x = _conv_block(x, base_filters * 2 ** depth, convs_per_block, batch_norm, activation, "bottleneck")
    if dropout:
        x = layers.Dropout(dropout, name="bottleneck_dropout")(x)

    for level in reversed(range(depth)):
        filters = base_filters * 2 ** level
        tag = f"dec{level + 1}"
        if upsample == "transpose":
            x = layers.Conv2DTranspose(filters, 2, strides=2, padding="same", name=f"{tag}_up")(x)
        else:
            x = layers.UpSampling2D(2, interpolation="bilinear", name=f"{tag}_up")(x)
            x = layers.Conv2D(filters, 3, padding="same", name=f"{tag}_up_conv")(x)
        x = layers.Concatenate(name=f"{tag}_skip")([x, skips[level]])
        x = _conv_block(x, filters, convs_per_block, batch_norm, activation, tag)
        if dropout and level == depth - 1:
            x = layers.Dropout(dropout, name=f"{tag}_dropout")(x)

    outputs = layers.Conv2D(output_channels, 1, activation=final_activation, name="head",
                            dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


# ------------------------------------------------------------------ measuring and showing masks

def _as_masks(masks, name: str) -> np.ndarray:
    masks = np.asarray(masks)
    if masks.ndim < 2 or not np.issubdtype(masks.dtype, np.integer):
        raise ValueError(f"{name} should be integer class maps shaped (N, H, W) or (H, W), got "
                         f"{masks.dtype} {masks.shape} (take argmax over the class axis first)")
    return masks


def confusion_counts(true_masks, pred_masks, num_classes: int) -> np.ndarray:
    """Pixel confusion matrix (chapter 08c): entry ``[t, p]`` counts pixels of true class ``t``
    predicted as ``p``, over all images."""
    t, p = _as_masks(true_masks, "true_masks"), _as_masks(pred_masks, "pred_masks")
    if t.shape != p.shape:
        raise ValueError(f"true_masks and pred_masks should have the same shape, got {t.shape} and {p.shape}")
    if t.size and (t.min() < 0 or t.max() >= num_classes or p.min() < 0 or p.max() >= num_classes):
        raise ValueError(f"mask values should lie in 0..{num_classes - 1}")
    flat = t.reshape(-1).astype(np.int64) * num_classes + p.reshape(-1)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_per_class(true_masks, pred_masks, num_classes: int) -> np.ndarray:
    """IoU of every class over all pixels of all images (chapter 08c): for class ``c``,
    |true = c and predicted = c| / |true = c or predicted = c|. NaN for a class that appears
    in neither (its IoU is undefined, and ``np.nanmean`` then leaves it out)."""
    counts = confusion_counts(true_masks, pred_masks, num_classes)
    intersection = np.diag(counts).astype(np.float64)
    union = counts.sum(axis=0) + counts.sum(axis=1) - intersection
    return np.where(union > 0, intersection / np.where(union > 0, union, 1), np.nan)


def mask_colours(num_classes: int = 11) -> np.ndarray:
    """RGB colours, one per class, black for class 0 (the background). Chapter 08c."""
    import matplotlib

    colours = matplotlib.colormaps["tab10"](np.arange(max(num_classes - 1, 1)) % 10)[:, :3]
    return np.concatenate([np.zeros((1, 3)), colours])[:num_classes]


def overlay(image, mask, num_classes: int = 11, alpha: float = 0.6) -> np.ndarray:
    """An RGB picture: the grey image with each non-background class painted in its colour."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    mask = _as_masks(mask, "mask")
    if image.shape != mask.shape:
        raise ValueError(f"image and mask should have the same height and width, got {image.shape} and {mask.shape}")
    grey = np.repeat(image[..., None], 3, axis=-1)
    painted = mask_colours(num_classes)[mask]
    out = np.where(mask[..., None] > 0, (1 - alpha) * grey + alpha * painted, grey * 0.5)
    return np.clip(out, 0, 1)


def show_segmentation(images, true_masks, pred_masks, class_names=None, count: int = 4, size: float = 2.2):
    """Rows of: image, true mask overlay, predicted mask overlay, and where they disagree (red).
    Returns the figure. Chapter 08c."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    images = np.asarray(images)
    true_masks, pred_masks = _as_masks(true_masks, "true_masks"), _as_masks(pred_masks, "pred_masks")
    count = min(count, len(images))
    num_classes = len(class_names) if class_names is not None else int(max(true_masks.max(), pred_masks.max())) + 1
    figure, axes = plt.subplots(count, 4, figsize=(4 * size, count * size), squeeze=False)
    for row in range(count):
        image = images[row][..., 0] if images[row].ndim == 3 else images[row]
        wrong = true_masks[row] != pred_masks[row]
        panels = [(image, "image"), (overlay(image, true_masks[row], num_classes), "truth"),
                  (overlay(image, pred_masks[row], num_classes), "prediction"),
                  (np.stack([wrong, np.zeros_like(wrong), np.zeros_like(wrong)], -1).astype(float),
                   f"wrong pixels: {wrong.sum()}")]
        for axis, (picture, title) in zip(axes[row], panels):
            axis.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=1)
            axis.set_title(title, fontsize=9)
            axis.axis("off")
    if class_names is not None:
        colours = mask_colours(num_classes)
        figure.legend(handles=[Patch(color=colours[c], label=class_names[c]) for c in range(1, num_classes)],
                      loc="lower center", ncol=min(10, num_classes - 1), fontsize=8, frameon=False)
        figure.tight_layout(rect=(0, 0.05, 1, 1))
    else:
        figure.tight_layout()
    return figure
