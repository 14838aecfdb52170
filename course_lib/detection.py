"""Object detection, small and complete (chapter 08b): IoU, non-maximum suppression, mAP@0.5,
a single-stage grid detector in Keras, its training targets, loss and decoding, and drawing.

Boxes are ``[x_min, y_min, x_max, y_max]`` in pixels, as ``course_lib.data.make_digit_canvases``
writes them (``x_max`` exclusive, so the width is ``x_max - x_min``).

The detector is YOLO-like: the image is divided into a grid of ``S x S`` cells (one cell per
``stride`` pixels). The cell that holds an object's centre is *responsible* for it and predicts,
per cell, ``[objectness, x, y, w, h, 10 class scores]``:

* objectness: is there an object centred in this cell? (sigmoid)
* x, y: where the centre lies inside the cell, 0..1 (sigmoid)
* w, h: the box size as the log of its ratio to the cell size, ``log(w / stride)`` (decoded with
  ``exp``, so any size is positive and doubling a box adds log 2 whatever its size)
* class scores: which digit (softmax)

Decoding turns every cell whose ``objectness x class probability`` passes a threshold into a box,
then non-maximum suppression removes duplicates of the same object.
"""
from __future__ import annotations

from course_lib import _validate
from course_lib.models import BN_MOMENTUM

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers, ops

#: Channels of the detector's output per cell: objectness, x, y, w, h, then the class scores.
BOX_CHANNELS = 5


# --------------------------------------------------------------------------------- IoU and NMS

def _as_boxes(boxes, name: str) -> np.ndarray:
    try:
        array = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} should be numbers shaped (4,) or (N, 4), "
                        f"got {type(boxes).__name__}") from None
    if array.ndim == 1 and array.shape == (4,):
        array = array[np.newaxis]
    if array.size == 0:
        array = array.reshape(0, 4)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{name} should have shape (4,) or (N, 4) as [x_min, y_min, x_max, y_max], "
                         f"got {array.shape}")
    return array


def box_area(boxes) -> np.ndarray:
    """Area of each box ``(x_max - x_min) * (y_max - y_min)`` (0 for an inverted box). Chapter 08b."""
    boxes = _as_boxes(boxes, "boxes")
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def iou_matrix(boxes_a, boxes_b) -> np.ndarray:
    """Intersection over union of every box in ``boxes_a`` (N, 4) with every box in ``boxes_b``
    (M, 4): an (N, M) array of numbers in [0, 1]. Chapter 08b derives it.

    The intersection of two boxes is again a box: its left edge is the larger of the two left
    edges, its right edge the smaller of the two right edges (and the same for top and bottom);
    when they do not overlap that box has negative width and its area counts as 0.
    """
    a, b = _as_boxes(boxes_a, "boxes_a"), _as_boxes(boxes_b, "boxes_b")
    left = np.maximum(a[:, None, 0], b[None, :, 0])
    top = np.maximum(a[:, None, 1], b[None, :, 1])
    right = np.minimum(a[:, None, 2], b[None, :, 2])
    bottom = np.minimum(a[:, None, 3], b[None, :, 3])
    intersection = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    union = box_area(a)[:, None] + box_area(b)[None, :] - intersection
    return np.where(union > 0, intersection / np.where(union > 0, union, 1), 0.0)


def iou(box_a, box_b) -> float:
    """IoU of two boxes ``[x_min, y_min, x_max, y_max]``: overlap area / union area (chapter 08b)."""
    return float(iou_matrix(box_a, box_b)[0, 0])


def non_max_suppression(boxes, scores, iou_threshold: float = 0.5,
                        max_outputs: int | None = None) -> np.ndarray:
    """Greedy non-maximum suppression (chapter 08b): indices of the boxes kept, best score first.

    Repeat: keep the highest-scoring box left, then drop every remaining box whose IoU with it
    exceeds ``iou_threshold`` (they are taken to be the same object seen twice). Boxes of
    different classes should be suppressed separately (``decode_grid`` does that). ``max_outputs``:
    stop after keeping that many boxes (None: no limit).
    """
    boxes = _as_boxes(boxes, "boxes")
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) != len(boxes):
        raise ValueError(f"scores should have one entry per box ({len(boxes)}), got {len(scores)}")
    iou_threshold = _validate.fraction(iou_threshold, "iou_threshold", include_high=True)
    if max_outputs is not None:
        max_outputs = _validate.positive_int(max_outputs, "max_outputs")
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order and (max_outputs is None or len(keep) < max_outputs):
        best = order.pop(0)
        keep.append(best)
        if order:
            overlaps = iou_matrix(boxes[best], boxes[order])[0]
            order = [index for index, overlap in zip(order, overlaps) if overlap <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


# ------------------------------------------------------------------------------------ mAP@0.5

def match_detections(pred_boxes, pred_scores, true_boxes, iou_threshold: float = 0.5) -> np.ndarray:
    """For one image and one class: which detections are true positives (chapter 08b).

    Detections are taken best score first; each one is matched to the unmatched true box it
    overlaps most, if that IoU reaches ``iou_threshold``; otherwise (or if the best true box was
    already taken by a better detection) it is a false positive. Returns a bool array, one per
    detection, in the input order.
    """
    pred_boxes = _as_boxes(pred_boxes, "pred_boxes")
    true_boxes = _as_boxes(true_boxes, "true_boxes")
    pred_scores = np.asarray(pred_scores, dtype=np.float64).reshape(-1)
    hit = np.zeros(len(pred_boxes), dtype=bool)
    if not len(true_boxes) or not len(pred_boxes):
        return hit
    overlaps = iou_matrix(pred_boxes, true_boxes)
    taken = np.zeros(len(true_boxes), dtype=bool)
    for index in np.argsort(-pred_scores, kind="stable"):
        candidates = np.where(taken, -1.0, overlaps[index])
        best = int(np.argmax(candidates))
        if candidates[best] >= iou_threshold:
            taken[best] = True
            hit[index] = True
    return hit


def average_precision(is_true_positive, scores, num_true: int) -> float:
    """Area under the precision-recall curve of one class (all-point interpolation, chapter 08b).

    Sort all detections of the class (over all images) by score; after each one, recall is
    TP / ``num_true`` and precision is TP / (TP + FP). Precision is first made non-increasing
    from right to left (the best precision reachable at this recall or beyond), then summed over
    the recall steps. With no true object of the class the AP is undefined: NaN.
    """
    hits = np.asarray(is_true_positive, dtype=bool).reshape(-1)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(hits) != len(scores):
        raise ValueError("is_true_positive and scores should have the same length, "
                         f"got {len(hits)} and {len(scores)}")
    if num_true <= 0:
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(hits[order])
    fp = np.cumsum(~hits[order])
    recall = np.concatenate([[0.0], tp / num_true])
    precision = np.concatenate([[1.0], tp / np.maximum(tp + fp, 1)])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum((recall[1:] - recall[:-1]) * precision[1:]))


def mean_average_precision(detections, truths, num_classes: int = 10, iou_threshold: float = 0.5):
    """mAP at one IoU threshold (``0.5`` gives the PASCAL VOC "mAP@0.5"), chapter 08b.

    ``detections``: per image ``(boxes (k, 4), scores (k,), classes (k,))``;
    ``truths``: per image ``(boxes (m, 4), classes (m,))``. For each class, every detection is
    matched within its own image (``match_detections``), then ``average_precision`` runs over all
    images together; mAP is the mean AP over the classes that have at least one true object.
    Returns ``(map, per_class_ap)`` where ``per_class_ap`` is an array of ``num_classes`` (NaN for
    a class with no true object).
    """
    if len(detections) != len(truths):
        raise ValueError("detections and truths should have one entry per image, "
                         f"got {len(detections)} and {len(truths)}")
    per_class = np.full(num_classes, np.nan)
    for c in range(num_classes):
        hits, scores, num_true = [], [], 0
        for (p_boxes, p_scores, p_classes), (t_boxes, t_classes) in zip(detections, truths):
            p_boxes = _as_boxes(p_boxes, "detection boxes")
            p_classes, t_classes = np.asarray(p_classes).reshape(-1), np.asarray(t_classes).reshape(-1)
            p_scores = np.asarray(p_scores, dtype=np.float64).reshape(-1)
            t_boxes = _as_boxes(t_boxes, "true boxes")
            mine, theirs = p_classes == c, t_classes == c
            num_true += int(theirs.sum())
            hits.append(match_detections(p_boxes[mine], p_scores[mine], t_boxes[theirs], iou_threshold))
            scores.append(p_scores[mine])
        per_class[c] = average_precision(np.concatenate(hits), np.concatenate(scores), num_true)
    present = ~np.isnan(per_class)
    return (float(per_class[present].mean()) if present.any() else float("nan")), per_class


# ---------------------------------------------------------------------------- the grid detector

def build_grid_detector(input_shape=(64, 64, 1), num_classes: int = 10, filters=(16, 32, 64),
                        head_filters: int = 96, name: str = "grid_detector") -> keras.Model:
    """A small single-stage detector (chapter 08b): a CNN backbone and a 1x1 convolution head.

    The first entry of ``filters`` is a stride-2 3x3 convolution (the "stem": it halves the
    image at once, which is where most of the compute would otherwise go); every further entry
    is a 3x3 convolution followed by 2x2 max pooling. Each step halves the image, so the grid
    stride is ``2 ** len(filters)`` (8 by default: a 64x64 image gives an 8x8 grid). Two more 3x3
    convolutions of ``head_filters`` at grid resolution widen the view so that every cell sees a
    whole digit. All convolutions use batch norm and ReLU. The output is raw scores (logits) of
    shape ``(N, S, S, 5 + num_classes)``; ``decode_grid`` turns them into boxes.
    """
    input_shape = _validate.image_shape(input_shape)
    filters = _validate.int_tuple(filters, "filters")
    num_classes = _validate.positive_int(num_classes, "num_classes")
    head_filters = _validate.positive_int(head_filters, "head_filters")
    stride = 2 ** len(filters)
    if input_shape[0] % stride or input_shape[1] % stride:
        raise ValueError(f"input_shape {input_shape}: height and width should be divisible "
                         f"by the stride {stride}")

    def conv(x, width, tag, strides=1):
        x = layers.Conv2D(width, 3, strides=strides, padding="same", use_bias=False, name=f"{tag}_conv")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{tag}_bn")(x)
        return layers.ReLU(name=f"{tag}_relu")(x)

    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = conv(inputs, filters[0], "stem", strides=2)
    for stage, width in enumerate(filters[1:], start=1):
        x = conv(x, width, f"stage{stage}")
        x = layers.MaxPooling2D(2, name=f"stage{stage}_pool")(x)
    x = conv(x, head_filters, "context1")
    x = conv(x, head_filters, "context2")
    outputs = layers.Conv2D(BOX_CHANNELS + num_classes, 1, name="head", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def encode_grid_targets(boxes, classes, canvas_size: int, grid_size: int) -> np.ndarray:
    """Training targets for ``build_grid_detector`` (chapter 08b): (N, S, S, 6) float32.

    Per cell: ``[objectness, x in cell, y in cell, log(w / stride), log(h / stride), class]``, with
    ``stride = canvas_size / grid_size`` pixels per cell (the module docstring says why log). The cell that
    holds a box's centre gets objectness 1; every other cell 0 (and the rest of its row is
    ignored by the loss). If two centres fall in one cell, the first box keeps it. Every box must
    lie inside the canvas, ``0 <= x_min < x_max <= canvas_size`` (and the same for y): a box
    outside it has no cell to be responsible for it.
    """
    canvas_size = _validate.positive_int(canvas_size, "canvas_size")
    grid_size = _validate.positive_int(grid_size, "grid_size")
    if len(boxes) != len(classes):
        raise ValueError("boxes and classes should have one entry per image, "
                         f"got {len(boxes)} and {len(classes)}")
    stride = canvas_size / grid_size
    targets = np.zeros((len(boxes), grid_size, grid_size, 6), np.float32)
    for n, (image_boxes, image_classes) in enumerate(zip(boxes, classes)):
        image_boxes = _as_boxes(image_boxes, f"boxes[{n}]")
        image_classes = np.asarray(image_classes).reshape(-1)
        if len(image_classes) != len(image_boxes):
            raise ValueError(f"classes[{n}] should have one class per box of boxes[{n}] "
                             f"({len(image_boxes)}), got {len(image_classes)}")
        for k, (x0, y0, x1, y1) in enumerate(image_boxes):
            if not (0 <= x0 < x1 <= canvas_size and 0 <= y0 < y1 <= canvas_size):
                raise ValueError(f"boxes[{n}][{k}] should lie inside the {canvas_size}x{canvas_size} canvas, "
                                 f"0 <= x_min < x_max <= {canvas_size} and the same for y, "
                                 f"got {[float(v) for v in (x0, y0, x1, y1)]}")
        for (x0, y0, x1, y1), label in zip(image_boxes, image_classes):
            cx, cy = (x0 + x1) / 2 / stride, (y0 + y1) / 2 / stride
            col, row = min(int(cx), grid_size - 1), min(int(cy), grid_size - 1)
            if targets[n, row, col, 0]:
                continue
            size = (np.log(max(x1 - x0, 1) / stride), np.log(max(y1 - y0, 1) / stride))
            targets[n, row, col] = (1, cx - col, cy - row, *size, label)
    return targets


def grid_detection_loss(box_weight: float = 2.0, negative_weight: float = 1.0):
    """The detector's loss (chapter 08b), for ``model.compile(loss=...)``.

    Sum of three parts, averaged over the images of a batch:
    objectness binary cross-entropy on every cell (cells without an object weighted by
    ``negative_weight``); L1 distance between predicted and true ``x, y, w, h`` on the cells that
    hold an object (times ``box_weight``); and class cross-entropy on those cells only.
    """

    def loss(y_true, y_pred):
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        has_object = y_true[..., 0]
        objectness = ops.binary_crossentropy(has_object, y_pred[..., 0], from_logits=True)
        objectness = objectness * (has_object + negative_weight * (1.0 - has_object))
        centre_error = ops.sum(ops.abs(ops.sigmoid(y_pred[..., 1:3]) - y_true[..., 1:3]), axis=-1)
        size_error = ops.sum(ops.abs(y_pred[..., 3:5] - y_true[..., 3:5]), axis=-1)
        box_error = centre_error + size_error
        labels = ops.cast(y_true[..., 5], "int32")
        class_error = ops.sparse_categorical_crossentropy(labels, y_pred[..., BOX_CHANNELS:],
                                                          from_logits=True)
        per_cell = objectness + has_object * (box_weight * box_error + class_error)
        return ops.sum(per_cell, axis=(1, 2))

    loss.__name__ = "grid_detection_loss"
    return loss


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def decode_grid(outputs, canvas_size: int, score_threshold: float = 0.3, iou_threshold: float = 0.5,
                max_detections: int = 20):
    """Turn the detector's raw output (N, S, S, 5 + C) into boxes (chapter 08b).

    For each cell: score = sigmoid(objectness) x the largest class probability; keep cells with
    score >= ``score_threshold``; convert ``x, y, w, h`` back to pixel corners; then run
    ``non_max_suppression`` class by class. Returns a list, per image, of
    ``(boxes (k, 4), scores (k,), classes (k,))`` sorted by score, at most ``max_detections`` each.
    """
    canvas_size = _validate.positive_int(canvas_size, "canvas_size")
    score_threshold = _validate.fraction(score_threshold, "score_threshold", include_high=True)
    iou_threshold = _validate.fraction(iou_threshold, "iou_threshold", include_high=True)
    max_detections = _validate.positive_int(max_detections, "max_detections")
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim != 4 or outputs.shape[-1] <= BOX_CHANNELS:
        raise ValueError("outputs should be the detector's output (N, S, S, 5 + classes), "
                         f"got shape {outputs.shape}")
    grid_rows, grid_cols = outputs.shape[1:3]
    stride_y, stride_x = canvas_size / grid_rows, canvas_size / grid_cols
    logits = outputs[..., BOX_CHANNELS:]
    probabilities = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    centres = _sigmoid(outputs[..., 1:3])
    sizes = np.exp(np.clip(outputs[..., 3:5], -10, 10))
    scores_all = _sigmoid(outputs[..., 0]) * probabilities.max(axis=-1)
    classes_all = probabilities.argmax(axis=-1)
    rows, cols = np.meshgrid(np.arange(grid_rows), np.arange(grid_cols), indexing="ij")
    results = []
    for n in range(len(outputs)):
        chosen = scores_all[n] >= score_threshold
        cx = (cols[chosen] + centres[n][chosen][:, 0]) * stride_x
        cy = (rows[chosen] + centres[n][chosen][:, 1]) * stride_y
        w = sizes[n][chosen][:, 0] * stride_x
        h = sizes[n][chosen][:, 1] * stride_y
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1).reshape(-1, 4)
        scores, classes = scores_all[n][chosen], classes_all[n][chosen]
        keep = []
        for c in np.unique(classes):
            members = np.flatnonzero(classes == c)
            keep.extend(members[non_max_suppression(boxes[members], scores[members], iou_threshold)])
        keep = np.asarray(keep, dtype=np.int64)
        keep = keep[np.argsort(-scores[keep], kind="stable")][:max_detections]
        results.append((boxes[keep].astype(np.float32), scores[keep].astype(np.float32),
                        classes[keep].astype(np.int64)))
    return results


# ------------------------------------------------------------------------------------- drawing

def draw_boxes(axis, boxes, classes=None, scores=None, color="lime", class_names=None, linestyle="-"):
    """Draw boxes ``[x_min, y_min, x_max, y_max]`` on a matplotlib axis, labelled by class (and
    score). Chapter 08b uses it over ``imshow`` of a canvas."""
    boxes = _as_boxes(boxes, "boxes")
    for index, (x0, y0, x1, y1) in enumerate(boxes):
        # pixel k covers [k - 0.5, k + 0.5] in imshow coordinates
        axis.add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                     edgecolor=color, linewidth=1.5, linestyle=linestyle))
        text = []
        if classes is not None:
            label = int(np.asarray(classes).reshape(-1)[index])
            text.append(class_names[label] if class_names is not None else str(label))
        if scores is not None:
            text.append(f"{float(np.asarray(scores).reshape(-1)[index]):.2f}")
        if text:
            axis.text(x0 - 0.5, y0 - 1.5, " ".join(text), color=color, fontsize=8, va="bottom")


def show_detections(images, detections, truths=None, ncols: int = 4, size: float = 2.6):
    """A grid of canvases with predicted boxes (green, labelled with class and score) and, when
    given, the true boxes (dashed orange). Returns the figure. Chapter 08b."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images should be (N, H, W) or (N, H, W, 1), got shape {images.shape}")
    if len(detections) != len(images):
        raise ValueError(f"detections should have one entry per image ({len(images)}), got {len(detections)}")
    ncols = max(1, min(ncols, len(images)))
    nrows = max(1, -(-len(images) // ncols))
    figure, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(images):
            continue
        axis.imshow(images[index], cmap="gray", vmin=0, vmax=1)
        if truths is not None:
            draw_boxes(axis, truths[index][0], color="orange", linestyle="--")
        boxes, scores, classes = detections[index]
        draw_boxes(axis, boxes, classes, scores, color="lime")
    figure.tight_layout()
    return figure
