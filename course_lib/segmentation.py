"""Measuring and showing semantic segmentation (chapter 08c): pixel confusion counts, IoU per
class, and masks painted over their images.

A mask is an integer array of class numbers, one per pixel, shaped ``(H, W)`` or ``(N, H, W)``;
class 0 is the background (``course_lib.data.SEGMENT_CLASSES``). The U-Net that predicts masks
is written out in chapter 08c itself (no later chapter reuses it, so the library keeps no copy).
"""
from __future__ import annotations

from course_lib import viz

import numpy as np


def _as_masks(masks, name: str) -> np.ndarray:
    masks = np.asarray(masks)
    if masks.ndim < 2 or not np.issubdtype(masks.dtype, np.integer):
        raise ValueError(f"{name} should be integer class maps shaped (N, H, W) or (H, W), got "
                         f"{masks.dtype} {masks.shape} (take argmax over the class axis first)")
    return masks


def confusion_counts(true_masks, pred_masks, num_classes: int) -> np.ndarray:
    """Pixel confusion matrix (chapter 08c): entry ``[t, p]`` counts pixels of true class ``t``
    predicted as ``p``, over all images. ``viz.confusion_matrix`` over every pixel, after
    checking that both are masks of the same shape."""
    true_masks, pred_masks = _as_masks(true_masks, "true_masks"), _as_masks(pred_masks, "pred_masks")
    if true_masks.shape != pred_masks.shape:
        raise ValueError(f"true_masks and pred_masks should have the same shape, "
                         f"got {true_masks.shape} and {pred_masks.shape}")
    return viz.confusion_matrix(true_masks, pred_masks, num_classes)


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
        raise ValueError(f"image and mask should have the same height and width, "
                         f"got {image.shape} and {mask.shape}")
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
    if class_names is not None:
        num_classes = len(class_names)
    else:
        num_classes = int(max(true_masks.max(), pred_masks.max())) + 1
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
