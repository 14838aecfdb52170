"""Every exercise's checker, run on the reference solution taken from the chapter's own notebook.

The solution is read from the notebook file on disk (the cell between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` that defines the function) and executed here, so a reference solution broken in a
notebook fails this test, and so does a notebook whose checker cell no longer calls the checker listed
below. Each checker must also reject at least one typical mistake with a hint that names it.

Chapter 00's warm-up ``pixel_count`` has its checker in the notebook itself; it runs on a constructed
input instead, beside the library's copy (``checks.start.check_pixel_count``), which must agree with it.
"""
import ast
import importlib
import json
import re
from pathlib import Path

from course_lib import detection as detection_lib
from course_lib import scratch
from course_lib.checks import (
    classification,
    convolution,
    core,
    dcgan,
    dense,
    detection,
    gan_objective,
    generation,
    images,
    input_pipeline,
    little_data,
    many_devices,
    mnist_project,
    pooling,
    segmentation,
    start,
    translation,
    trust,
)
from course_tools.student import BEGIN, END

import numpy as np
import pytest
from mistakes import (
    buffer_draining_in_order,
    buffer_without_draining,
    flat_blocks,
    hits_in_given_order,
    hits_without_taken,
    naive_jacobian,
    occlusion_variant,
    pool_backward,
    precision_from_weighted_counts,
    precision_ignoring_shares,
    regions_eight_neighbours,
    runner_up_attack,
    same_padding,
    same_padding_odd_first,
    same_padding_unclipped,
    scaled_blocks,
    table_gradient_indexed,
    table_gradient_mean,
    tiles_by_reshape_only,
    tiles_in_split_order,
)

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
pytestmark = pytest.mark.usefixtures("lenient")


def _cells(notebook: str) -> list[dict]:
    with open(CHAPTERS / notebook, encoding="utf-8") as handle:
        cells = json.load(handle)["cells"]
    for cell in cells:
        source = cell.get("source", "")
        cell["source"] = "".join(source) if isinstance(source, list) else source
    return cells


def solution_cell(notebook: str, defines: str) -> tuple[int, str, list[dict]]:
    """The index and source of the solution cell that defines ``defines`` (a function or a variable)."""
    cells = _cells(notebook)
    pattern = re.compile(rf"^\s*(def {defines}\(|{defines}\s*=)", re.MULTILINE)
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code" and BEGIN in cell["source"] and pattern.search(cell["source"]):
            return index, cell["source"], cells
    raise AssertionError(f"{notebook}: no code cell with {BEGIN!r} defines {defines!r}")


def solution_lines(source: str) -> str:
    """The lines between the BEGIN and END SOLUTION markers of a cell."""
    match = re.search(rf"^[ \t]*{BEGIN}[^\n]*\n(.*?)^[ \t]*{END}", source, re.MULTILINE | re.DOTALL)
    assert match, f"unbalanced solution markers in\n{source}"
    return match.group(1)


def run_cell(source: str, where: str, namespace: dict) -> dict:
    exec(compile(source, where, "exec"), namespace)  # the course's own notebook code
    return namespace


def reference_function(notebook: str, name: str, needs: tuple[str, ...] = ()):
    """The function ``name`` as the notebook's solution cell defines it, with NumPy as ``np`` and the
    chapter's checker module as ``checks`` (a prediction's reference answer lives there, off screen).

    Only the cell's imports and its ``def name`` run, so a line of the cell that uses the notebook's
    data does not matter here. ``needs`` names other solutions of the same notebook that the definition
    calls (08b's ``nms`` calls the learner's ``box_iou``)."""
    namespace = {"np": np, "checks": importlib.import_module(f"course_lib.checks.{checks_module(notebook)}")}
    for other in needs:
        namespace[other] = reference_function(notebook, other)
    index, source, _ = solution_cell(notebook, name)
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
                 or (isinstance(node, ast.FunctionDef) and node.name == name)]
    exec(compile(tree, f"{notebook}, cell {index}", "exec"), namespace)
    assert callable(namespace.get(name)), f"{notebook}, cell {index} does not define a function {name}"
    return namespace[name]


def checker_call(notebook: str, name: str) -> str:
    """The checker call that follows the solution cell of ``name``, e.g. ``checks.check_box_iou(box_iou)``."""
    index, _, cells = solution_cell(notebook, name)
    follow = cells[index + 1]["source"] if index + 1 < len(cells) else ""
    match = re.search(rf"checks\.(\w+)\({name}\b", follow)
    assert match, f"{notebook}, cell {index + 1} should call a checker on {name}, it reads:\n{follow}"
    return match.group(1)


def checks_module(notebook: str) -> str:
    """The module a chapter imports as ``checks``."""
    sources = "\n".join(cell["source"] for cell in _cells(notebook) if cell["cell_type"] == "code")
    match = re.search(r"from course_lib\.checks import (\w+) as checks\b", sources)
    assert match, f"{notebook} does not import a checker module as `checks`"
    return match.group(1)


# --- wrong answers: each a typical mistake, named by the hint the checker must give -----------------------

def iou_unclipped(a, b):
    intersection = (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
    return float(intersection / union)


def iou_over_first_box(a, b):
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return float(width * height / ((a[2] - a[0]) * (a[3] - a[1])))


def nms_in_index_order(boxes, scores, iou_threshold):
    """Greedy suppression that forgets to visit the boxes best score first."""
    keep = []
    for i in range(len(boxes)):
        if all(detection_lib.iou(boxes[i], boxes[j]) <= iou_threshold for j in keep):
            keep.append(i)
    return keep


def most_confused_transposed(confusion):
    mistakes = np.array(confusion, copy=True).T
    np.fill_diagonal(mistakes, -1)
    return tuple(int(i) for i in np.unravel_index(mistakes.argmax(), mistakes.shape))


def most_confused_upper_triangle(confusion):
    upper = np.triu(np.array(confusion), k=1)
    return tuple(int(i) for i in np.unravel_index(upper.argmax(), upper.shape))


def mask_to_box_rows_first(mask, c):
    rows, cols = np.nonzero(np.asarray(mask) == c)
    return None if len(rows) == 0 else np.array([rows.min(), cols.min(), rows.max() + 1, cols.max() + 1])


def mask_to_box_inclusive(mask, c):
    rows, cols = np.nonzero(np.asarray(mask) == c)
    return None if len(rows) == 0 else np.array([cols.min(), rows.min(), cols.max(), rows.max()])


def inception_score_uniform_prior(probabilities):
    p = np.asarray(probabilities, dtype=float)
    terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) * p.shape[1]), 0.0)
    return float(np.exp(terms.sum(axis=1).mean()))


def diversity_over_all_pairs(images, labels):
    flat = np.asarray(images, dtype=float).reshape(len(images), -1)
    distances = np.abs(flat[:, None] - flat[None]).mean(axis=2)
    return float(distances[np.triu_indices(len(flat), k=1)].mean())


def diversity_with_self_pairs(images, labels):
    flat, labels = np.asarray(images, dtype=float).reshape(len(images), -1), np.asarray(labels)
    return float(np.mean([np.abs(flat[labels == c][:, None] - flat[labels == c][None]).mean()
                          for c in np.unique(labels)]))


def clipped_noise(count, latent_dim, limit=1.0, seed=0):
    return np.clip(np.random.default_rng(seed).normal(size=(count, latent_dim)), -limit, limit)


def uniform_noise(count, latent_dim, limit=1.0, seed=0):
    return np.random.default_rng(seed).uniform(-limit, limit, size=(count, latent_dim))


# (notebook, function, checker, [(wrong answer, words the hint must contain), ...])
def random_split(labels, fraction, seed):
    order = np.random.default_rng(seed).permutation(len(labels))
    cut = round(fraction * len(labels))
    return order[cut:], order[:cut]


def first_of_each_class(labels, fraction, seed):
    labels = np.asarray(labels)
    parts = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    cuts = [round(fraction * len(part)) for part in parts]
    return (np.concatenate([p[k:] for p, k in zip(parts, cuts)]),
            np.concatenate([p[:k] for p, k in zip(parts, cuts)]))


def rolled_shift(image, max_shift, rng):
    return np.roll(image, tuple(rng.integers(-max_shift, max_shift + 1, size=2)), axis=(0, 1))


def shift_without_the_largest(image, max_shift, rng):
    dy, dx = rng.integers(-max_shift, max_shift, size=2)   # the upper bound is left out
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = image[max(-dy, 0):h - max(dy, 0),
                                                                      max(-dx, 0):w - max(dx, 0)]
    return out


def inverted_residual(c_in, expansion, c_out, kernel, bn=4, always_expand=False):
    hidden = c_in * expansion
    expand = c_in * hidden + bn * hidden if (expansion != 1 or always_expand) else 0
    return expand + kernel * kernel * hidden + bn * hidden + hidden * c_out + bn * c_out


CASES = [
    ("01_images_as_data.ipynb", "rgb_to_gray", images.check_rgb_to_gray,
     [(lambda im: im.mean(axis=-1), "plain mean")]),
    ("01_images_as_data.ipynb", "to_channels_first", images.check_to_channels_first,
     [(lambda x: x.reshape(*x.shape[:-3], x.shape[-1], *x.shape[-3:-1]), "scrambled"),
      (lambda x: x.T, "reversed"), (lambda x: x.transpose(0, 3, 1, 2), "single image"),
      (lambda x: np.moveaxis(x, -1, -3) / 1, "dtype")]),
    ("01_images_as_data.ipynb", "contrast_prediction", images.check_contrast_prediction,
     [(lambda: {"accuracy": "same", "confidence": "lower"}, "choose"),
      (lambda: {"accuracy": "lower"}, "keys")]),
    ("01_images_as_data.ipynb", "questionnaire", images.check_questionnaire,
     [(lambda: {q: "b" for q in range(1, 9)}, "to look at again")]),
    ("00_start_here.ipynb", "sample_size_prediction", start.check_sample_size_prediction,
     [(lambda: {"accuracy_drop": "a few points"}, "choose"), (lambda: {"drop": "1 to 10 points"}, "key")]),
    ("00_start_here.ipynb", "questionnaire", start.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 7)}, "to look at again")]),
    ("02_convolution.ipynb", "conv2d_loop", convolution.check_conv2d_loop,
     [(scratch.correlate2d, "flipped")]),
    ("02_convolution.ipynb", "flip_invariant", convolution.check_flip_invariant,
     [(lambda k: bool(np.array_equal(k, k[:, ::-1])), "one axis is not enough"),
      (lambda k: bool(np.array_equal(k, k.T)), "transpose"), (lambda k: True, "opposite signs")]),
    ("02_convolution.ipynb", "stacking_prediction", convolution.check_stacking_prediction,
     [(lambda: {"one_kernel": "6x6", "every_5x5": "no"}, "choose one of"),
      (lambda: {"one_kernel": "5x5"}, "keys")]),
    ("02_convolution.ipynb", "questionnaire", convolution.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 7)}, "to look at again")]),
    ("03_pooling.ipynb", "receptive_field", pooling.check_receptive_field,
     [(lambda layer_list: 1 + sum(k - 1 for k, s in layer_list), "ignored the strides"),
      (lambda layer_list: int(np.prod([k for k, s in layer_list])), "do not multiply")]),
    ("03_pooling.ipynb", "global_average_pool", pooling.check_global_average_pool,
     [(lambda x: x.mean(axis=-1), "over the channels")]),
    ("03_pooling.ipynb", "pooling_prediction", pooling.check_pooling_prediction,
     [(lambda: {"accuracy": "higher", "shift": "about the same"}, "choose one of"),
      (lambda: {"accuracy": "about the same"}, "keys")]),
    ("03_pooling.ipynb", "questionnaire", pooling.check_questionnaire,
     [(lambda: {q: "b" for q in range(1, 7)}, "to look at again")]),
    ("04_dense_layers.ipynb", "hidden_layer_gradients", dense.check_hidden_layer_gradients,
     [(lambda x, y, W1, b1, W2, b2: dense._hand_hidden_gradients(x, y, W1, b1, W2, b2, relu_mask=False),
       "ReLU is missing"),
      (lambda x, y, W1, b1, W2, b2: dense._hand_hidden_gradients(x, y, W1, b1, W2, b2, mean=False), "mean")]),
    ("04_dense_layers.ipynb", "relu_prediction", dense.check_relu_prediction,
     [(lambda: {"no_relu": "worse"}, "choose one of"), (lambda: {"relu": "like the linear model"}, "key")]),
    ("04_dense_layers.ipynb", "questionnaire", dense.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 8)}, "to look at again"), (lambda: {1: "c"}, "no answer yet")]),
    ("04_dense_layers.ipynb", "cross_entropy", dense.check_cross_entropy,
     [(lambda p, y: float(-np.sum(np.log(p[np.arange(len(y)), y]))), "sum")]),
    ("05_mnist_project.ipynb", "accuracy_standard_error", mnist_project.check_accuracy_standard_error,
     [(lambda p, n: p * (1 - p) / n, "square root"), (lambda p, n: (p * (1 - p)) ** 0.5 / n, "1/√n")]),
    ("05_mnist_project.ipynb", "batch_norm_prediction", mnist_project.check_batch_norm_prediction,
     [(lambda: {"accuracy": "worse", "reaches_99": "no"}, "choose one of"),
      (lambda: {"accuracy": "lower"}, "keys")]),
    ("05_mnist_project.ipynb", "questionnaire", mnist_project.check_questionnaire,
     [(lambda: {q: "c" for q in range(1, 7)}, "to look at again"), (lambda: {1: "b"}, "no answer yet")]),
    ("06_gan_objective.ipynb", "optimal_discriminator", gan_objective.check_optimal_discriminator,
     [(lambda p, g: g / (p + g), "1 − D*"), (lambda p, g: p / (p + g), "divides 0 by 0")]),
    ("06_gan_objective.ipynb", "value_at_optimum", gan_objective.check_value_at_optimum,
     [(lambda p, g, dx: np.sum(p * np.log(p / (p + g)) + g * np.log(g / (p + g))) * dx, "0·log"),
      (lambda p, g, dx: np.nansum(p * np.log(p / (p + g)) + g * np.log(g / (p + g))), "multiply by dx")]),
    ("06_gan_objective.ipynb", "minimax_prediction", gan_objective.check_minimax_prediction,
     [(lambda: {"gradient": "smaller", "progress": "about as far"}, "choose one of"),
      (lambda: {"gradient": "about the same"}, "keys")]),
    ("06_gan_objective.ipynb", "questionnaire", gan_objective.check_questionnaire,
     [(lambda: {q: "b" for q in range(1, 7)}, "to look at again")]),
    ("07_dcgan.ipynb", "inception_score", dcgan.check_inception_score,
     [(inception_score_uniform_prior, "marginal p(y)"),
      (lambda p: float(np.exp(np.mean(np.sum(p * np.log(p / p.mean(axis=0)), axis=1)))), "0 · log 0")]),
    ("07_dcgan.ipynb", "find_collapsed", dcgan.check_find_collapsed,
     [(lambda h: max(h, key=lambda name: h[name][0]), "draws every digit"),
      (lambda h: next(iter(h)), "not the collapsed one")]),
    ("07_dcgan.ipynb", "discriminator_rate_prediction", dcgan.check_discriminator_rate_prediction,
     [(lambda: {"d_margin": "larger", "confident_share": "lower"}, "choose one of"),
      (lambda: {"margin": "wider"}, "keys")]),
    ("07_dcgan.ipynb", "questionnaire", dcgan.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 8)}, "to look at again")]),
    ("08a_classification.ipynb", "most_confused", classification.check_most_confused,
     [(most_confused_transposed, "rows are true classes"), (most_confused_upper_triangle, "upper triangle"),
      (lambda m: np.unravel_index(np.argmax(m), np.shape(m)), "diagonal")]),
    ("08a_classification.ipynb", "top_k_accuracy", classification.check_top_k_accuracy,
     [(lambda p, y, k: float(np.mean(p.argmax(axis=1) == y)), "k largest")]),
    ("08a_classification.ipynb", "scaling_prediction", classification.check_scaling_prediction,
     [(lambda: {"unscaled": "worse"}, "choose"), (lambda: {"scaled": "lower"}, "one key")]),
    ("08a_classification.ipynb", "questionnaire", classification.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 8)}, "to look at again"), (lambda: {1: "b"}, "no answer yet")]),
    ("08b_detection.ipynb", "box_iou", detection.check_box_iou,
     [(iou_unclipped, "clip"), (iou_over_first_box, "divided by one box's area")]),
    ("08b_detection.ipynb", "nms", detection.check_nms,
     [(nms_in_index_order, "sort by score first"),
      (lambda b, s, t: list(range(len(b))), "nothing was suppressed")]),
    ("08b_detection.ipynb", "strict_hit_prediction", detection.check_strict_hit_prediction,
     [(lambda: {"map_drop": "tiny", "hardest_digit": 1}, "choose"),
      (lambda: {"map_drop": "small", "hardest_digit": "one"}, "int from 0 to 9")]),
    ("08b_detection.ipynb", "questionnaire", detection.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 7)}, "to look at again")]),
    ("08c_segmentation.ipynb", "tolerated_digit_errors", segmentation.check_tolerated_digit_errors,
     [(lambda m, t: 1 - t, "share of all pixels"),
      (lambda m, t: (1 - t) * np.size(m) / np.sum(np.asarray(m) > 0), "cannot exceed 1"),
      (lambda m, t: float(np.mean([min(1.0, (1 - t) * x.size / np.sum(x > 0)) for x in m])),
       "not image by image")]),
    ("08c_segmentation.ipynb", "mask_to_box", segmentation.check_mask_to_box,
     [(mask_to_box_rows_first, "x is the column"), (mask_to_box_inclusive, "exclusive")]),
    ("08c_segmentation.ipynb", "skip_prediction", segmentation.check_skip_prediction,
     [(lambda: {"mean_iou": "lower"}, "keys"),
      (lambda: {"mean_iou": "worse", "more_errors": "outline"}, "choose")]),
    ("08c_segmentation.ipynb", "questionnaire", segmentation.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 8)}, "to look at again")]),
    ("08d_generation.ipynb", "within_class_diversity", generation.check_within_class_diversity,
     [(diversity_over_all_pairs, "same label"), (diversity_with_self_pairs, "paired with itself")]),
    ("08d_generation.ipynb", "truncated_noise", generation.check_truncated_noise,
     [(clipped_noise, "clipping"), (uniform_noise, "uniform")]),
    ("08d_generation.ipynb", "label_blind_prediction", generation.check_label_blind_prediction,
     [(lambda: {"class_agreement": "zero", "confident_share": "lower"}, "choose one of")]),
    ("08d_generation.ipynb", "questionnaire", generation.check_questionnaire,
     [(lambda: {q: "c" for q in range(1, 8)}, "to look at again")]),
    ("08e_translation.ipynb", "best_guess", translation.check_best_guess,
     [(lambda c, loss: np.mean(c, axis=0), "same for both losses"),
      (lambda c, loss: np.median(c, axis=0) if loss == "l2" else np.mean(c, axis=0), "swapped"),
      (lambda c, loss: np.asarray(c)[0], "one of the candidates")]),
    ("08e_translation.ipynb", "l1_only_prediction", translation.check_l1_only_prediction,
     [(lambda: {"psnr": "better", "roughness": "lower"}, "choose one of")]),
    ("08e_translation.ipynb", "questionnaire", translation.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 8)}, "to look at again")]),
    ("09a_little_data_small_models.ipynb", "flip_prediction", little_data.check_flip_prediction,
     [(lambda: {"digits": "maybe", "clothes_mirrored": "helps"}, "choose one of")]),
    ("09a_little_data_small_models.ipynb", "stratified_split", little_data.check_stratified_split,
     [(random_split, "split each class on its own"), (first_of_each_class, "shuffle within each class")]),
    ("09a_little_data_small_models.ipynb", "random_shift", little_data.check_random_shift,
     [(rolled_shift, "wraps around"), (shift_without_the_largest, "upper bound is exclusive")]),
    ("09a_little_data_small_models.ipynb", "inverted_residual_params",
     little_data.check_inverted_residual_params,
     [(lambda c, t, o, k=3: inverted_residual(c, t, o, k, bn=2), "4 numbers per channel"),
      (lambda c, t, o, k=3: inverted_residual(c, t, o, k, always_expand=True), "no expansion layer")]),
    ("09a_little_data_small_models.ipynb", "questionnaire", little_data.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 6)}, "to look at again"), (lambda: {1: "c"}, "no answer yet")]),
    ("09b_interpretability_adversarial.ipynb", "randomisation_prediction",
     trust.check_randomisation_prediction,
     [(lambda: {"saliency": "same", "grad_cam": "different", "integrated_gradients": "similar"}, "choose")]),
    ("09b_interpretability_adversarial.ipynb", "top_k_overlap", trust.check_top_k_overlap,
     [(lambda a, b, k: len(np.intersect1d(np.argsort(a.ravel())[-k:], np.argsort(b.ravel())[-k:])),
       "share"),
      (lambda a, b, k: len(np.intersect1d(np.sort(a.ravel())[-k:], np.sort(b.ravel())[-k:])) / k,
       "positions")]),
    ("09b_interpretability_adversarial.ipynb", "questionnaire", trust.check_questionnaire,
     [(lambda: {q: "c" for q in range(1, 6)}, "to look at again")]),
    ("10a_input_pipeline.ipynb", "pipeline_prediction", input_pipeline.check_pipeline_prediction,
     [(lambda: {"png_shards": "smaller", "streamed_training": "about as fast"}, "choose"),
      (lambda: {"png": "slower", "streamed": "about as fast"}, "keys")]),
    ("10a_input_pipeline.ipynb", "questionnaire", input_pipeline.check_questionnaire,
     [(lambda: {q: "a" for q in range(1, 6)}, "to look at again")]),
    ("10b_many_devices.ipynb", "roundoff_prediction", many_devices.check_roundoff_prediction,
     [(lambda: {"mirrored": "same", "nudged": "differ"}, "choose"),
      (lambda: {"float32": "agree", "float64": "agree"}, "keys")]),
    ("10b_many_devices.ipynb", "machines_needed", many_devices.check_machines_needed,
     [(lambda n, rate, hours, eff: int(n / (rate * eff * hours * 3600)), "round up"),
      (lambda n, rate, hours, eff: n / (rate * eff * hours * 3600), "whole"),
      (lambda n, rate, hours, eff: -(-n // int(rate * hours * 3600)), "scaling_efficiency"),
      (lambda n, rate, hours, eff: -(-n // int(rate * eff * hours)), "expected")]),
    ("10b_many_devices.ipynb", "questionnaire", many_devices.check_questionnaire,
     [(lambda: {q: "c" for q in range(1, 6)}, "to look at again")]),
    ("01_images_as_data.ipynb", "to_tiles", images.check_to_tiles,
     [(tiles_by_reshape_only, "strip of one image row"),
      (tiles_in_split_order, "tile indices should come first"),
      (lambda image, size: np.swapaxes(tiles_in_split_order(image, size), 1, 2).swapaxes(2, 3), "transposed"),
      (lambda image, size: np.swapaxes(tiles_in_split_order(image, size), 1, 2) / 1, "dtype")]),
    ("02_convolution.ipynb", "padding_for_same", convolution.check_padding_for_same,
     [(lambda n, k, s: ((k - 1) // 2, k - 1 - (k - 1) // 2), "padding for stride 1"),
      (same_padding_unclipped, "cannot be negative"),
      (same_padding_odd_first, "odd zero after"),
      (lambda n, k, s: sum(same_padding(n, k, s)), "pair (before, after)")]),
    ("03_pooling.ipynb", "max_pool_backward", pooling.check_max_pool_backward,
     [(lambda x, s, g: pool_backward(x, s, g, "average"), "average pooling"),
      (lambda x, s, g: pool_backward(x, s, g, "every"), "not the largest"),
      (lambda x, s, g: pool_backward(x, s, g, "ones"), "chain rule"),
      (lambda x, s, g: g, "one number per input pixel")]),
    ("04_dense_layers.ipynb", "cnn_params", dense.check_cnn_params,
     [(lambda size, specs: dense._cnn_params(size, specs, biases=False), "biases are missing"),
      (lambda size, specs: dense._cnn_params(size, specs, same_as_valid=True), "ceil(n / stride)"),
      (lambda size, specs: dense._cnn_params(size, specs, ignore_stride=True), "stride is ignored"),
      (lambda size, specs: dense._cnn_params(size, specs, pool_rounds_up=True), "rounded down")]),
    ("04_dense_layers.ipynb", "softmax_jacobian", dense.check_softmax_jacobian,
     [(lambda z: np.diag(scratch.softmax(z)), "off-diagonal"), (naive_jacobian, "overflows"),
      (lambda z: np.outer(scratch.softmax(z), scratch.softmax(z)) - np.diag(scratch.softmax(z)), "sign")]),
    ("05_mnist_project.ipynb", "selection_optimism", mnist_project.check_selection_optimism,
     [(lambda k, n, p, trials, rng: float((rng.binomial(n, p, size=(trials, k)) / n).max(axis=1).mean()),
       "above the true accuracy"),
      (lambda k, n, p, trials, rng: float((rng.binomial(n, p, size=(trials, k)) / n).mean() - p),
       "best of the k"),
      (lambda k, n, p, trials, rng: float(np.sqrt(p * (1 - p) / n)), "nothing to choose")]),
    ("06_gan_objective.ipynb", "optimal_logit", gan_objective.check_optimal_logit,
     [(lambda m, g, s: (-(m - g) / s ** 2, -(g ** 2 - m ** 2) / (2 * s ** 2)), "logit of 1 − D*"),
      (lambda m, g, s: (m - g, (g ** 2 - m ** 2) / 2), "width s is missing"),
      (lambda m, g, s: ((m - g) / s ** 2, 0.0), "constant b")]),
    ("06_gan_objective.ipynb", "least_squares_gradient", gan_objective.check_least_squares_gradient,
     [(lambda d: d - 1, "chain rule"), (lambda d: (1 - d) * d * (1 - d), "sign"),
      (lambda d: (d - 1) * d, "sigmoid's derivative")]),
    ("07_dcgan.ipynb", "transposed_conv", dcgan.check_transposed_conv,
     [(lambda x, k, s: dcgan._stamps(x, k, s, add=False), "add up"),
      (lambda x, k, s: dcgan._stamps(x, k, s, flip=True), "flipped"),
      (lambda x, k, s: scratch.conv2d_transpose(x, k, stride=s, padding="same"), "should have shape")]),
    ("08a_classification.ipynb", "precision_at_shares", classification.check_precision_at_shares,
     [(precision_ignoring_shares, "own class sizes"), (precision_from_weighted_counts, "rates first"),
      (lambda m, s: np.diag(m) / np.sum(m, axis=1), "recall")]),
    ("08b_detection.ipynb", "match_hits", detection.check_match_hits,
     [(hits_without_taken, "at most once"), (hits_in_given_order, "most confident")]),
    ("08c_segmentation.ipynb", "count_regions", segmentation.check_count_regions,
     [(lambda m, c: int(np.sum(np.asarray(m) == c)), "not pixels"),
      (regions_eight_neighbours, "only at a corner")]),
    ("08d_generation.ipynb", "label_table_gradient", generation.check_label_table_gradient,
     [(table_gradient_indexed, "only one of its rows"), (table_gradient_mean, "averaged")]),
    ("08e_translation.ipynb", "offset_with_same_psnr", translation.check_offset_with_same_psnr,
     [(lambda t, d: float(np.mean((d - t) ** 2)), "mean squared error itself"),
      (lambda t, d: float(np.mean(np.abs(d - t))), "squared one")]),
    ("08e_translation.ipynb", "match_block_means", translation.check_match_block_means,
     [(flat_blocks, "detail is gone"), (scaled_blocks, "sum of squared changes")]),
    ("10a_input_pipeline.ipynb", "images_per_epoch", input_pipeline.check_images_per_epoch,
     [(lambda sizes, workers, batch: sum(sizes), "incomplete batch"),
      (lambda sizes, workers, batch: sum(sizes) // (batch * workers) * batch * workers, "its own shards"),
      (lambda sizes, workers, batch: max(sum(sizes[w::workers]) // batch for w in range(workers)) * batch
       * workers, "fewest full batches"),
      (lambda sizes, workers, batch: sum(sum(sizes[w::workers]) // batch for w in range(workers)) * batch,
       "fewest full batches")]),
    ("10a_input_pipeline.ipynb", "buffer_shuffle", input_pipeline.check_buffer_shuffle,
     [(lambda items, size, rng: list(rng.permutation(items)), "before the buffer could have read it"),
      (lambda items, size, rng: [item for start in range(0, len(items), size)
                                 for item in rng.permutation(items[start:start + size])], "in blocks"),
      (lambda items, size, rng: list(items), "original order"),
      (buffer_without_draining, "still waiting"),
      (buffer_draining_in_order, "leave in random order too")]),
    ("09b_interpretability_adversarial.ipynb", "occlusion_map", trust.check_occlusion_map,
     [(lambda s, image, p, st: occlusion_variant(s, image, p, st, mean=False), "mean drop"),
      (lambda s, image, p, st: occlusion_variant(s, image, p, st, fresh_copy=False), "copy"),
      (lambda s, image, p, st: occlusion_variant(s, image, p, st, sign=-1.0), "reversed"),
      (lambda s, image, p, st: occlusion_variant(s, image, p, st, last=False), "exclusive")]),
    ("09b_interpretability_adversarial.ipynb", "linear_attack", trust.check_linear_attack,
     [(runner_up_attack, "runner-up"),
      (lambda w, b, x, y, e: runner_up_attack(w, b, x, y, e, proportional=True), "less than ε"),
      (lambda w, b, x, y, e: 2 * runner_up_attack(w, b, x, y, e), "more than the budget")]),
]
NEEDS = {"nms": ("box_iou",), "match_hits": ("box_iou",)}
# checked by its own test below: 00's checker is written in the notebook
CHECKED_BELOW = {("00_start_here.ipynb", "pixel_count")}
#: Checkers that compute their own answer with Keras (04's by automatic differentiation on the backend, 09a's
#: with a Keras model's count_params): these rows run in every pass of the test command; the others are
#: NumPy code, the same on any backend.
ON_THE_BACKEND = {dense.check_hidden_layer_gradients, little_data.check_inverted_residual_params}
ROWS = [pytest.param(*case, id=f"{case[0][:3]}{case[1]}",
                     marks=() if case[2] in ON_THE_BACKEND else pytest.mark.once) for case in CASES]


@pytest.mark.parametrize("notebook, name, check, wrongs", ROWS)
def test_the_notebooks_reference_passes_and_mistakes_get_their_hint(notebook, name, check, wrongs):
    assert checker_call(notebook, name) == check.__name__, f"{notebook} checks {name} with another checker"
    assert checks_module(notebook) == check.__module__.rsplit(".", 1)[-1]
    reference = reference_function(notebook, name, NEEDS.get(name, ()))
    result = check(reference)
    assert result.passed, f"{notebook}: the reference {name} is rejected: {result.message}"
    for wrong, words in wrongs:
        result = check(wrong)
        assert not result.passed, f"{check.exercise} accepted a wrong answer that should say {words!r}"
        assert words.lower() in result.message.lower(), result.message


@pytest.mark.once
def test_every_function_exercise_is_in_the_table():
    """A new exercise (a solution cell that defines a function) must get a row in CASES."""
    listed = {(notebook, name) for notebook, name, *_ in CASES} | CHECKED_BELOW
    found = set()
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        for cell in _cells(path.name):
            if cell["cell_type"] == "code" and BEGIN in cell["source"]:
                found.update((path.name, name) for name in re.findall(r"^def (\w+)\(", cell["source"], re.M))
    assert found == listed, f"in the notebooks only: {found - listed}; in the table only: {listed - found}"


# --- exercises whose answer is a value computed from the notebook's state --------------------------------

@pytest.mark.once
def test_chapter_00_pixel_count():
    notebook = "00_start_here.ipynb"
    index, source, cells = solution_cell(notebook, "pixel_count")
    checker_index = next(i for i, cell in enumerate(cells) if "def check_pixel_count" in cell["source"])
    mnist_like = np.zeros((3, 28, 28), np.uint8)
    check = run_cell(cells[checker_index]["source"], f"{notebook}, cell {checker_index}",
                     {"np": np, "checks_core": core, "x_train": mnist_like})["check_pixel_count"]
    assert cells[index + 1]["source"].strip() == "display(check_pixel_count(pixel_count))"
    pixel_count = run_cell(source, f"{notebook}, cell {index}", {})["pixel_count"]
    assert check(pixel_count).passed and start.check_pixel_count(pixel_count).passed   # and the library's
    assert pixel_count(np.zeros((2, 32, 32))) == 32 * 32, "computed from the shape, not typed in"
    wrong = check(lambda images: 28 + 28)
    assert not wrong and "28 pixels high" in wrong.message
    typed = check(lambda images: 784)
    assert not typed and "from the images' shape" in typed.message
    mistakes = ((lambda images: 28 + 28, "28 pixels high"), (lambda images: 784, "from the images' shape"),
                (lambda images: "784", "should be a number"))
    for answer, hint in mistakes:
        verdicts = check(answer), start.check_pixel_count(answer)   # the notebook's and the library's
        assert not any(verdicts) and all(hint in verdict.message for verdict in verdicts)
