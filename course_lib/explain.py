"""Where does a classifier look? Interpretability maps for image classifiers (chapter 09b).

Chapter 09b, "can we trust it? interpretability and adversarial examples", asks which pixels a
digit classifier's decision rests on, answers it four ways, and then checks the answers:

``saliency``              the gradient of the class score for each pixel (Simonyan et al. 2014)
``grad_cam``              the last convolution's channels weighted by their gradient (Selvaraju et al. 2017)
``occlusion``             how much the class probability drops when a black square hides a pixel
``integrated_gradients``  gradients averaged on the path from a black image (Sundararajan et al. 2017)

and two checks of a map: ``deletion_curve`` (do the pixels a map ranks first matter most?) with
``area_under``, and ``rank_correlation`` (does the map change when the weights are randomised? if not,
it shows the image, not the model: Adebayo et al. 2018).

Every function takes a Keras classifier whose output is class probabilities (a softmax last layer, as
every course classifier has), Sequential or functional, and a batch of images (N, H, W, C) of floats.
``class_index``: None explains each image's predicted class, an int the same class for every image,
a sequence one class per image. Maps come back as NumPy arrays; nothing here draws.
"""
from __future__ import annotations

from course_lib import _validate, autodiff, viz

import keras
import numpy as np

#: Smallest probability whose logarithm is taken: keeps log(0) out of the gradients.
_TINY = 1e-30

#: Fractions of pixels ``deletion_curve`` removes by default: 0 %, 10 %, ..., 100 %.
DELETION_FRACTIONS = tuple(round(0.1 * k, 1) for k in range(11))


# ---------------------------------------------------------------------------------------------
# Shared checks and scores
# ---------------------------------------------------------------------------------------------

def _prepare(model, images, class_index):
    """(images as float32, the model's probabilities, one class per image), all checked."""
    images = _validate.image_batch(images)
    probabilities = autodiff.predict_probabilities(model, images)
    return images, probabilities, _class_indices(class_index, probabilities)


def _class_indices(class_index, probabilities: np.ndarray) -> np.ndarray:
    count, num_classes = probabilities.shape
    if class_index is None:
        return probabilities.argmax(axis=1)
    if _validate.is_int(class_index):
        if not 0 <= class_index < num_classes:
            raise ValueError(f"class_index should lie in [0, {num_classes}) (the model's classes), "
                             f"got {class_index}")
        return np.full(count, int(class_index))
    if isinstance(class_index, (str, bytes, float, bool, np.bool_, np.floating)):
        raise TypeError(f"class_index should be None, an int or one int per image, got {class_index!r}")
    return _validate.class_labels(class_index, "class_index", count, num_classes)


def _class_score(probabilities, onehot, log: bool):
    """The probability of each row's class (or its logarithm), from keras.ops: any backend."""
    score = keras.ops.sum(keras.ops.multiply(probabilities, onehot), axis=-1)
    return keras.ops.log(keras.ops.maximum(score, _TINY)) if log else score


def _score_gradient(model, images: np.ndarray, classes: np.ndarray, num_classes: int, log: bool):
    """(score, d score / d image) for every image, ``autodiff.BATCH_SIZE`` images at a time."""
    values, grads = [], []
    for start in range(0, len(images), autodiff.BATCH_SIZE):
        stop = start + autodiff.BATCH_SIZE
        onehot = np.eye(num_classes, dtype=np.float32)[classes[start:stop]]

        def score(x, onehot=onehot):
            return _class_score(model(x, training=False), onehot, log)

        value, grad = autodiff.input_gradient(score, images[start:stop])
        values.append(value)
        grads.append(grad)
    return np.concatenate(values), np.concatenate(grads)


# ---------------------------------------------------------------------------------------------
# The four maps
# ---------------------------------------------------------------------------------------------

def saliency(model, images, class_index=None) -> np.ndarray:
    """Vanilla gradient saliency: max over channels of |d log p(class) / d pixel|, shape (N, H, W).

    The score is the class's log-probability rather than its probability: d p = p · d log p, so the
    two maps have the same shape within an image, but the probability's gradient shrinks with p and
    all but vanishes for a class the model thinks unlikely, while the log-probability's does not
    (it stands in for the pre-softmax score of the original paper, which a softmax model hides).
    """
    images, probabilities, classes = _prepare(model, images, class_index)
    _, grads = _score_gradient(model, images, classes, probabilities.shape[1], log=True)
    return np.abs(grads).max(axis=-1)


def conv_layer_names(model) -> list[str]:
    """Names of the model's convolution layers, in order, by the rule of ``viz.conv_layers`` (which chapter
    05's feature maps use): the layers of a type in ``viz.CONV_LAYER_TYPES`` or a subclass, nested
    sub-models searched too."""
    return [layer.name for layer in viz.conv_layers(model)]


def _graph(model, input_shape):
    """(input tensor, name → output tensor of a layer, output tensor): the model as a functional graph.

    A Sequential model may have no defined input until it is called, so its layers are re-called on a
    fresh ``keras.Input``; a functional model already is such a graph.
    """
    if isinstance(model, keras.Sequential):
        inputs = keras.Input(shape=input_shape)
        tensors, x = {}, inputs
        for layer in model.layers:
            x = layer(x)
            tensors[layer.name] = x
        return inputs, (lambda name: tensors[name]), x
    inputs = getattr(model, "inputs", None)
    outputs = getattr(model, "outputs", None)
    if not inputs or not outputs:
        raise ValueError(f"model should be Sequential or functional (a graph of layers) for Grad-CAM, "
                         f"got {type(model).__name__} without known inputs and outputs")
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(f"model should have one input and one output for Grad-CAM, got {len(inputs)} "
                         f"inputs and {len(outputs)} outputs")
    return inputs[0], (lambda name: model.get_layer(name).output), outputs[0]


def grad_cam(model, images, class_index=None, layer: str | None = None) -> np.ndarray:
    """Grad-CAM heat maps (N, H, W) in [0, 1] at the input's resolution.

    For the chosen convolution's output A (h, w, K channels): weight each channel by the mean over
    positions of d log p(class) / dA, sum the weighted channels, keep the positive part (the regions
    that raise the class's score), stretch to (H, W) bilinearly and divide by each map's maximum. A map
    with nothing positive stays all zero. ``layer``: a layer name, by default the last convolution
    (its maps are the most abstract that still keep positions). The log-probability gives the same
    normalised map as the probability (their gradients differ by the factor p) without underflowing
    for unlikely classes.
    """
    images, probabilities, classes = _prepare(model, images, class_index)
    own_layers = [item.name for item in model.layers]
    # the model is split at the layer, so it has to be one of its own (not inside a nested sub-model)
    available = [name for name in conv_layer_names(model) if name in own_layers]
    if layer is None:
        if not available:
            raise ValueError(f"model should have a convolution layer of its own for Grad-CAM (a nested "
                             f"sub-model's does not count), got layers {own_layers}")
        layer = available[-1]
    elif not isinstance(layer, str) or layer not in own_layers:
        raise ValueError(f"layer should be the name of a layer of the model, e.g. a convolution "
                         f"{available}, got {layer!r}")
    inputs, output_of, outputs = _graph(model, images.shape[1:])
    activations = output_of(layer)
    if len(activations.shape) != 4:
        raise ValueError(f"layer should output feature maps shaped (N, h, w, channels), got "
                         f"{tuple(activations.shape)} from {layer!r}")
    head = keras.Model(inputs, activations)
    tail = keras.Model([inputs, activations], outputs)   # the input too, for paths that skip the layer

    num_classes = probabilities.shape[1]
    cams = []
    for start in range(0, len(images), autodiff.BATCH_SIZE):
        batch = images[start:start + autodiff.BATCH_SIZE]
        onehot = np.eye(num_classes, dtype=np.float32)[classes[start:start + len(batch)]]
        maps = keras.ops.convert_to_numpy(head(batch, training=False))
        x = keras.ops.convert_to_tensor(batch)

        def score(a, x=x, onehot=onehot):
            return _class_score(tail([x, a], training=False), onehot, log=True)

        _, grads = autodiff.input_gradient(score, maps)
        weights = grads.mean(axis=(1, 2))                            # (n, K)
        cams.append(np.maximum(np.einsum("nhwk,nk->nhw", maps, weights), 0.0))
    cam = np.concatenate(cams)[..., np.newaxis]
    cam = keras.ops.convert_to_numpy(
        keras.ops.image.resize(cam, images.shape[1:3], interpolation="bilinear"))[..., 0]
    cam = np.clip(cam, 0.0, None)
    peak = cam.max(axis=(1, 2), keepdims=True)
    return np.where(peak > 0, cam / np.where(peak > 0, peak, 1.0), 0.0).astype(np.float32)


def _corners(size: int, patch: int, stride: int) -> list[int]:
    """Start of each patch along one axis, the last one flush with the edge so every pixel is covered."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def occlusion(model, images, class_index=None, patch: int = 4, stride: int = 2) -> np.ndarray:
    """Occlusion sensitivity (N, H, W): the drop in the class probability when a black square hides a pixel.

    Slides a ``patch`` × ``patch`` square of zeros (the background of MNIST) over the image, ``stride``
    pixels at a time; each pixel gets the mean drop over the squares that cover it. Positive: hiding the
    pixel hurts the class; negative: it helps. Needs no gradient, so it also works on models that are
    not differentiable, at the price of one forward pass per square (all batched together).
    """
    patch = _validate.positive_int(patch, "patch")
    stride = _validate.positive_int(stride, "stride")
    images, probabilities, classes = _prepare(model, images, class_index)
    count, height, width, _ = images.shape
    if patch > min(height, width):
        raise ValueError(f"patch should fit in the image ({height}×{width}), got {patch}")
    corners = [(row, col) for row in _corners(height, patch, stride)
               for col in _corners(width, patch, stride)]
    base = probabilities[np.arange(count), classes]

    drops = np.empty(count * len(corners), dtype=np.float32)   # image-major: index = image · squares + square
    for start in range(0, len(drops), autodiff.BATCH_SIZE):
        index = np.arange(start, min(start + autodiff.BATCH_SIZE, len(drops)))
        which, square = np.divmod(index, len(corners))
        batch = images[which].copy()
        for row_in_batch, k in enumerate(square):
            row, col = corners[k]
            batch[row_in_batch, row:row + patch, col:col + patch, :] = 0.0
        occluded = autodiff.predict_probabilities(model, batch)
        drops[index] = base[which] - occluded[np.arange(len(index)), classes[which]]
    drops = drops.reshape(count, len(corners))

    heat = np.zeros((count, height, width), dtype=np.float32)
    covered = np.zeros((height, width), dtype=np.float32)
    for k, (row, col) in enumerate(corners):
        heat[:, row:row + patch, col:col + patch] += drops[:, k, np.newaxis, np.newaxis]
        covered[row:row + patch, col:col + patch] += 1.0
    return heat / covered


def integrated_gradients(model, images, class_index=None, baseline=None, steps: int = 64) -> np.ndarray:
    """Integrated gradients of the class probability, same shape as ``images``.

    Attribution of pixel i: (x_i − x'_i) · the mean of d p(class) / d x_i along the straight path from
    the baseline x' (black by default) to x, by the trapezoid rule on ``steps`` intervals. The
    attributions of an image add up to p(class | x) − p(class | x'), up to the rule's error
    ("completeness"): a check on ``steps`` that the chapter runs. The probability (not its logarithm)
    is explained so that the total is a difference of probabilities a reader can interpret.
    """
    steps = _validate.positive_int(steps, "steps")
    images, probabilities, classes = _prepare(model, images, class_index)
    if baseline is None:
        baseline = np.zeros_like(images)
    else:
        baseline = np.asarray(baseline)
        if baseline.dtype.kind not in "iuf" or baseline.shape not in (images.shape, images.shape[1:]):
            raise ValueError(f"baseline should be None or a float array shaped {images.shape[1:]} or "
                             f"{images.shape}, got shape {baseline.shape} and dtype {baseline.dtype}")
        baseline = np.broadcast_to(baseline.astype(np.float32), images.shape)

    alphas = np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)
    weights = np.full(steps + 1, 1.0 / steps, dtype=np.float32)
    weights[[0, -1]] /= 2                                          # trapezoid rule
    per_chunk = max(1, autodiff.BATCH_SIZE // (steps + 1))       # images whose whole path fits a batch
    attributions = np.empty_like(images)
    for start in range(0, len(images), per_chunk):
        x = images[start:start + per_chunk]
        base = baseline[start:start + per_chunk]
        path = base[:, np.newaxis] + alphas[np.newaxis, :, None, None, None] * (x - base)[:, np.newaxis]
        path_classes = np.repeat(classes[start:start + per_chunk], steps + 1)
        _, grads = _score_gradient(model, path.reshape(-1, *images.shape[1:]), path_classes,
                                   probabilities.shape[1], log=False)
        mean_grad = np.einsum("s,nshwc->nhwc", weights, grads.reshape(path.shape))
        attributions[start:start + len(x)] = (x - base) * mean_grad
    return attributions


# ---------------------------------------------------------------------------------------------
# Checking a map
# ---------------------------------------------------------------------------------------------

def _fractions(fractions) -> np.ndarray:
    values = np.asarray(fractions)
    if (values.ndim != 1 or not len(values) or values.dtype.kind not in "iuf"
            or not np.all((values >= 0) & (values <= 1))):
        raise ValueError(f"fractions should be a sequence of numbers in [0, 1], got {fractions!r}")
    return values.astype(np.float64)


def deletion_curve(model, images, maps, labels, fractions=DELETION_FRACTIONS) -> np.ndarray:
    """Mean true-class probability after blacking out each image's top-ranked pixels, one per fraction.

    For each fraction f, the ``round(f · H · W)`` pixels with the highest ``maps`` value (all channels)
    are set to 0. A map that finds the pixels the model needs makes the curve fall fast: a lower
    ``area_under`` is better, and a random map is the baseline to beat. Ties are broken by position
    (row by row), so a map with large flat regions is ranked partly by where pixels sit.
    """
    images = _validate.image_batch(images)
    count, height, width, _ = images.shape
    maps = np.asarray(maps)
    if maps.dtype.kind not in "iuf" or maps.shape != (count, height, width):
        raise ValueError(f"maps should be a float array shaped {(count, height, width)} (one map per image), "
                         f"got shape {maps.shape} and dtype {maps.dtype}")
    fractions = _fractions(fractions)
    num_classes = autodiff.predict_probabilities(model, images[:1]).shape[1]
    labels = _validate.class_labels(labels, "labels", count, num_classes)

    order = np.argsort(-maps.reshape(count, -1), axis=1, kind="stable")   # best-ranked pixel first
    curve = []
    for fraction in fractions:
        removed = np.zeros((count, height * width), dtype=bool)
        np.put_along_axis(removed, order[:, :int(round(fraction * height * width))], True, axis=1)
        kept = images * ~removed.reshape(count, height, width, 1)
        probabilities = autodiff.predict_probabilities(model, kept)
        curve.append(probabilities[np.arange(count), labels].mean())
    return np.asarray(curve, dtype=np.float64)


def area_under(curve, fractions=DELETION_FRACTIONS) -> float:
    """Area under a deletion curve by the trapezoid rule (lower: the map found the important pixels)."""
    curve = np.asarray(curve)
    fractions = _fractions(fractions)
    if curve.dtype.kind not in "iuf" or curve.shape != fractions.shape or len(fractions) < 2:
        raise ValueError(f"curve should hold one number per fraction ({len(fractions)}, at least 2), "
                         f"got shape {curve.shape}")
    if np.any(np.diff(fractions) <= 0):
        raise ValueError(f"fractions should increase strictly, got {fractions.tolist()}")
    return float(np.trapezoid(curve, fractions))


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 0..n−1 with ties sharing their mean rank (what Spearman's correlation needs)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + ends - 1) / 2.0)[inverse]


def rank_correlation(a, b) -> float:
    """Spearman rank correlation of two batches of maps, per image, averaged over the images.

    The model-randomisation sanity check compares a map of the trained model with the same map of
    a model whose weights were re-initialised: a correlation near 1 means the map ignores the
    weights. Ties share their mean rank; an image whose map is constant ranks nothing and counts 0.
    """
    a, b = np.asarray(a), np.asarray(b)
    if (a.dtype.kind not in "iuf" or b.dtype.kind not in "iuf" or a.shape != b.shape or a.ndim < 2
            or not a.size):
        raise ValueError(f"a and b should be float arrays of one shape (N, ...), one map per image, got "
                         f"shapes {a.shape} and {b.shape}")
    correlations = []
    for first, second in zip(a.reshape(len(a), -1), b.reshape(len(b), -1)):
        first, second = _ranks(first), _ranks(second)
        first, second = first - first.mean(), second - second.mean()
        scale = np.sqrt((first ** 2).sum() * (second ** 2).sum())
        correlations.append(float((first * second).sum() / scale) if scale > 0 else 0.0)
    return float(np.mean(correlations))
