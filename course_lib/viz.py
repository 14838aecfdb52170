"""Pictures of data, training and what a CNN sees (chapters 01, 02, 05 and later).

Each function returns the matplotlib ``Figure`` it drew, so a notebook can show it, save it, or a
test can inspect it. Nothing here trains a model.
"""
from __future__ import annotations

import math

from course_lib import _validate

import keras
import matplotlib.pyplot as plt
import numpy as np

CONV_LAYER_TYPES = (
    keras.layers.Conv2D,
    keras.layers.Conv2DTranspose,
    keras.layers.SeparableConv2D,
    keras.layers.DepthwiseConv2D,
)


def _as_image_batch(images, name="images"):
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (3, 4)):
        raise ValueError(
            f"{name} should be a batch shaped (N, H, W), (N, H, W, 1) or (N, H, W, 3), "
            f"got shape {images.shape}"
        )
    return images


def show_images(images, labels=None, predictions=None, ncols: int = 10, title: str | None = None,
                class_names=None, size: float = 1.2, cmap="gray"):
    """Show a grid of images, each titled with its label (and prediction, red when wrong).

    ``images``: (N, H, W), (N, H, W, 1) or RGB (N, H, W, 3); ``labels`` and ``predictions``
    optional sequences of N class indices. Used from chapter 01 on.
    """
    images = _as_image_batch(images)
    count = len(images)
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != count:
            raise ValueError(f"{name} should have one entry per image ({count}), got {len(values)}")
    ncols = min(_validate.positive_int(ncols, "ncols"), max(count, 1))
    nrows = max(1, math.ceil(count / ncols))
    figure, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if title else 0)),
                                squeeze=False)
    name_of = (lambda k: class_names[int(k)]) if class_names is not None else (lambda k: str(int(k)))
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= count:
            continue
        axis.imshow(images[index], cmap=cmap if images.ndim == 3 else None)
        text, colour = "", "black"
        if labels is not None:
            text = name_of(labels[index])
        if predictions is not None:
            text = f"{text}→{name_of(predictions[index])}" if text else name_of(predictions[index])
            if labels is not None and int(predictions[index]) != int(labels[index]):
                colour = "red"
        if text:
            axis.set_title(text, fontsize=9, color=colour)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def image_grid(images, ncols: int = 8, pad: int = 1) -> np.ndarray:
    """Tile a batch (N, H, W[, 1]) into one 2-D array, ``ncols`` images per row (chapter 07).

    White lines ``pad`` pixels wide separate the images. It returns the picture rather than a
    figure, so that a callback can keep one per epoch (``gan.SampleGrid``) and draw it later.
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or len(images) == 0:
        raise ValueError("images should be a non-empty batch shaped (N, H, W) or (N, H, W, 1), "
                         f"got {images.shape}")
    ncols = min(_validate.positive_int(ncols, "ncols"), len(images))
    pad = _validate.positive_int(pad, "pad", minimum=0)
    nrows = math.ceil(len(images) / ncols)
    height, width = images.shape[1:]
    grid = np.ones((nrows * (height + pad) - pad, ncols * (width + pad) - pad), dtype="float32")
    for index, image in enumerate(images):
        top, left = (index // ncols) * (height + pad), (index % ncols) * (width + pad)
        grid[top:top + height, left:left + width] = image
    return grid


def _history_dict(history):
    if hasattr(history, "history"):
        history = history.history
    if not isinstance(history, dict) or not history:
        raise TypeError(
            "history should be what model.fit returns or a dict of metric lists, "
            f"got {type(history).__name__}"
        )
    return history


def plot_history(history, metrics=("loss", "accuracy"), title: str | None = None):
    """Training curves: one panel per metric, with its ``val_`` twin when there is one."""
    history = _history_dict(history)
    if isinstance(metrics, str):
        metrics = (metrics,)
    present = [m for m in metrics if m in history]
    if not present:
        raise ValueError(f"none of {list(metrics)} was recorded; the history holds {sorted(history)}")
    figure, axes = plt.subplots(1, len(present), figsize=(4.5 * len(present), 3.2), squeeze=False)
    for axis, metric in zip(axes.flat, present):
        epochs = np.arange(1, len(history[metric]) + 1)
        axis.plot(epochs, history[metric], "o-", label="training")
        if f"val_{metric}" in history:
            axis.plot(epochs, history[f"val_{metric}"], "s--", label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts: row = true class, column = predicted class (chapters 05, 08a; 08c counts pixels).

    Labels are ints of any shape (float labels are refused, not truncated), flattened; each must lie
    in ``0..num_classes - 1`` (without ``num_classes``: the largest label + 1). One ``np.bincount``
    over ``true * num_classes + pred``: half ``np.add.at``'s time on chapter 08c's 2 million pixels.
    """
    y_true = _validate.int_labels(y_true, "y_true").ravel()
    y_pred = _validate.int_labels(y_pred, "y_pred").ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred should have the same length, "
                         f"got {len(y_true)} and {len(y_pred)}")
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    num_classes = _validate.positive_int(num_classes, "num_classes")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and labels.min() < 0:
            raise ValueError(f"class labels should be class indices >= 0, got {labels.min()} in {name}")
        if labels.size and labels.max() >= num_classes:
            raise ValueError(f"class labels should lie in 0..{num_classes - 1} (num_classes={num_classes}), "
                             f"got {labels.max()} in {name}")
    counts = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def plot_confusion_matrix(y_true, y_pred, class_names=None, title: str = "confusion matrix"):
    """Draw the confusion matrix with counts in each cell; the diagonal is what went right."""
    matrix = confusion_matrix(y_true, y_pred, None if class_names is None else len(class_names))
    names = class_names if class_names is not None else [str(k) for k in range(len(matrix))]
    figure, axis = plt.subplots(figsize=(0.55 * len(names) + 2, 0.55 * len(names) + 1.5))
    axis.imshow(np.log1p(matrix), cmap="Blues")  # log scale, so that rare mistakes stay visible
    threshold = matrix.max() / 2
    for (row, col), value in np.ndenumerate(matrix):
        if value:
            axis.text(col, row, str(value), ha="center", va="center", fontsize=7,
                      color="white" if value > threshold else "black")
    axis.set_xticks(range(len(names)), names, rotation=45 if len(max(names, key=len)) > 2 else 0)
    axis.set_yticks(range(len(names)), names)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    figure.tight_layout()
    return figure


def worst_mistakes(probabilities, y_true, count: int = 10):
    """Indices of the ``count`` wrong predictions the model was most confident about, worst first."""
    count = _validate.positive_int(count, "count")
    probabilities = np.asarray(probabilities)
    y_true = _validate.int_labels(y_true, "y_true")
    if probabilities.ndim != 2 or len(probabilities) != len(y_true):
        raise ValueError(
            f"probabilities should be (N, classes) with N = len(y_true) = {len(y_true)}, "
            f"got shape {probabilities.shape}"
        )
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence)][:count]


def show_worst_mistakes(images, probabilities, y_true, count: int = 10, class_names=None):
    """Show the most confident mistakes, titled true→predicted with the model's confidence."""
    indices = worst_mistakes(probabilities, y_true, count)
    if len(indices) == 0:
        figure, axis = plt.subplots(figsize=(3, 1))
        axis.axis("off")
        axis.text(0.5, 0.5, "no mistakes", ha="center")
        return figure
    probabilities = np.asarray(probabilities)
    figure = show_images(np.asarray(images)[indices], labels=np.asarray(y_true)[indices],
                         predictions=probabilities[indices].argmax(1), class_names=class_names,
                         title="most confident mistakes (true→predicted)")
    for axis, index in zip(figure.axes, indices):
        axis.set_title(axis.get_title() + f"\n{probabilities[index].max():.0%}", fontsize=8, color="red")
    figure.tight_layout()
    return figure


def conv_layers(model: keras.Model) -> list:
    """The convolutional layers of a model, in order (nested sub-models are searched too)."""
    found = []
    for layer in model.layers:
        if isinstance(layer, CONV_LAYER_TYPES):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            found.extend(conv_layers(layer))
    return found


def _choose_layers(model, layers):
    if not isinstance(model, keras.Model):
        raise TypeError(f"model should be a keras.Model, got {type(model).__name__}")
    available = conv_layers(model)
    if not available:
        raise ValueError(f"model {model.name!r} has no convolutional layer to look inside")
    if layers is None:
        return available
    if isinstance(layers, (str, keras.layers.Layer)):
        layers = [layers]
    by_name = {layer.name: layer for layer in available}
    chosen = []
    for item in layers:
        if isinstance(item, str):
            if item not in by_name:
                raise ValueError(f"layer {item!r} is not a convolutional layer of {model.name!r}; "
                                 f"choose from {sorted(by_name)}")
            chosen.append(by_name[item])
        elif isinstance(item, keras.layers.Layer) and item in available:
            chosen.append(item)
        else:
            raise ValueError(f"layers should name convolutional layers of the model, got {item!r}")
    return chosen


def feature_maps(model: keras.Model, image, layers=None) -> dict:
    """What each chosen convolutional layer outputs for one image: {layer name: (H, W, C) array}.

    ``image`` is one example shaped like the model's input without the batch axis, e.g.
    (28, 28) or (28, 28, 1) for MNIST. ``layers``: None for every conv layer, or names/layers.
    Works for Sequential and functional models alike (chapters 02 and 05).
    """
    chosen = _choose_layers(model, layers)
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            f"model {model.name!r} has no known input yet; build it with keras.Input(shape=...) "
            "or call it on a batch once before asking for feature maps"
        )
    expected = tuple(inputs[0].shape[1:])
    image = np.asarray(image, dtype="float32")
    if image.shape != expected and image.shape + (1,) == expected:
        image = image[..., np.newaxis]
    if image.shape != expected:
        raise ValueError(f"image should have the model's input shape {expected} (no batch axis), "
                         f"got {image.shape}")
    probe = keras.Model(inputs[0] if len(inputs) == 1 else inputs, [layer.output for layer in chosen])
    outputs = probe(image[np.newaxis], training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return {layer.name: keras.ops.convert_to_numpy(out)[0] for layer, out in zip(chosen, outputs)}


LAYER_KINDS = (  # what a learner calls each kind of convolutional layer (checked in this order)
    (keras.layers.SeparableConv2D, "separable conv"),
    (keras.layers.DepthwiseConv2D, "depthwise conv"),
    (keras.layers.Conv2DTranspose, "transposed conv"),
    (keras.layers.Conv2D, "conv"),
)


def layer_label(model: keras.Model, layer) -> str:
    """A name a learner recognises for a conv layer of ``model``: "conv 1", "conv 2", ... in model order.

    Keras's own names ("conv2d_14") count every layer ever built in the session, so they change from
    run to run and say nothing about where the layer sits; this counts the model's conv layers instead.
    """
    if isinstance(layer, str):
        layer = {item.name: item for item in conv_layers(model)}[layer]
    position = next(index for index, item in enumerate(conv_layers(model), 1) if item is layer)
    kind = next(word for cls, word in LAYER_KINDS if isinstance(layer, cls))
    return f"{kind} {position}"


def _grid_shape(count: int, max_columns: int = 8) -> tuple[int, int]:
    """Rows and columns for ``count`` thumbnails: at most ``max_columns`` a row, rows as even as possible."""
    rows = math.ceil(count / max_columns)
    return rows, math.ceil(count / rows)


def show_feature_maps(model: keras.Model, image, layers=None, max_channels: int = 16, size: float = 1.1):
    """Draw the feature maps of the chosen conv layers for one image: one block of rows per layer.

    Each block is titled with a name a learner recognises, e.g. "conv 1: 26×26, 32 maps (first 16
    shown)", and holds the first ``max_channels`` maps in rows of at most 8; the input is drawn
    once, at the top left. Each map has its own colour scale (bright = strong response).
    """
    maps = feature_maps(model, image, layers)
    labels = {name: layer_label(model, name) for name in maps}
    shapes = {name: _grid_shape(min(fmap.shape[-1], max_channels)) for name, fmap in maps.items()}
    ncols = max(columns for _, columns in shapes.values())
    block_heights = [rows + 0.45 for rows, _ in shapes.values()]   # a title line above each block
    figure = plt.figure(figsize=(size * (ncols + 1.2), size * sum(block_heights) + 0.5), layout="constrained")
    blocks = figure.subfigures(len(maps), 1, height_ratios=block_heights, squeeze=False)[:, 0]
    shown_image = np.asarray(image).squeeze()
    for index, (block, (name, fmap)) in enumerate(zip(blocks, maps.items())):
        rows, columns = shapes[name]
        axes = block.subplots(rows, ncols + 1, squeeze=False)
        for axis in axes.flat:
            axis.axis("off")
        if index == 0:
            axes[0, 0].imshow(shown_image, cmap="gray")
            axes[0, 0].set_title("input", fontsize=8)
        for channel in range(min(fmap.shape[-1], max_channels)):
            axes[channel // columns, 1 + channel % columns].imshow(fmap[..., channel], cmap="viridis")
        shown = min(fmap.shape[-1], max_channels)
        more = f" (first {shown} shown)" if shown < fmap.shape[-1] else ""
        block.suptitle(f"{labels[name]}: {fmap.shape[0]}×{fmap.shape[1]}, {fmap.shape[2]} maps{more}",
                       fontsize=10, x=0.02, ha="left")
    figure.suptitle("feature maps of one image: one kernel's response each, bright = strong")
    return figure


def show_kernels(layer, input_channel: int = 0, max_kernels: int = 32, size: float = 0.9):
    """Draw the kernels of a convolutional layer for one input channel (red positive, blue negative)."""
    if not isinstance(layer, CONV_LAYER_TYPES) or isinstance(layer, keras.layers.SeparableConv2D):
        raise TypeError(f"layer should be a Conv2D-like layer, got {type(layer).__name__}")
    if not layer.built:
        raise ValueError(f"layer {layer.name!r} has no weights yet; build or train the model first")
    kernel = keras.ops.convert_to_numpy(layer.kernel)  # (kh, kw, in, out) for Conv2D
    if not 0 <= input_channel < kernel.shape[2]:
        raise ValueError(f"input_channel should be in 0..{kernel.shape[2] - 1}, got {input_channel}")
    kernels = kernel[:, :, input_channel, :max_kernels]
    count = kernels.shape[-1]
    ncols = min(8, count)
    nrows = math.ceil(count / ncols)
    limit = np.abs(kernels).max() or 1.0
    figure, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < count:
            axis.imshow(kernels[..., index], cmap="RdBu_r", vmin=-limit, vmax=limit)
    figure.suptitle(f"{layer.name}: {count} kernels {kernel.shape[0]}×{kernel.shape[1]} "
                    f"(input channel {input_channel})")
    figure.tight_layout()
    return figure


class Table:
    """A small table that shows as HTML in JupyterLab and as aligned text elsewhere.

    ``Table(rows)`` with rows a list of dicts (one per row) or ``Table.from_dict(results)`` for a
    metric → value mapping. Chapters end with ``viz.Table.from_dict(RESULTS)``.
    """

    def __init__(self, rows, title: str | None = None):
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, (list, tuple)) or not all(isinstance(r, dict) for r in rows):
            raise TypeError(f"rows should be a list of dicts, got {type(rows).__name__}")
        self.rows = list(rows)
        self.columns = list(dict.fromkeys(key for row in self.rows for key in row))
        self.title = title

    @classmethod
    def from_dict(cls, mapping: dict, key: str = "metric", value: str = "value", title: str | None = None):
        if not isinstance(mapping, dict):
            raise TypeError(f"mapping should be a dict, got {type(mapping).__name__}")
        return cls([{key: k, value: v} for k, v in mapping.items()], title=title)

    @staticmethod
    def _format(value) -> str:
        if isinstance(value, (float, np.floating)):
            if value != value:  # NaN
                return "—"
            return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.1f}"
        if value is None:
            return "—"
        return str(value)

    def _cells(self):
        return [[self._format(row.get(column)) for column in self.columns] for row in self.rows]

    def __repr__(self) -> str:
        cells = self._cells()
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(self.columns)]
        line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths))  # noqa: E731
        lines = ([self.title] if self.title else []) + [line(self.columns), line("-" * w for w in widths)]
        return "\n".join(lines + [line(r) for r in cells])

    def _repr_html_(self) -> str:
        import html

        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                       for row in self._cells())
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
