"""The checkers of chapters 01–04 and 06–08e: each accepts a right answer written here, independently of the
notebooks, and gives every hint it has to the mistake that hint names; every checker of every chapter never
crashes on a malformed answer.

tests/test_reference_solutions.py runs every checker on the reference solution written in its notebook;
tests/test_checks_core.py tests the checker pattern itself and chapter 05's checkers.
"""
from course_lib import detection, scratch
from course_lib.checks import (
    classification,
    convolution,
    dcgan,
    dense,
    gan_objective,
    generation,
    images,
    little_data,
    pooling,
    segmentation,
    translation,
)
from course_lib.checks import detection as detection_checks
from course_lib.checks.core import ExerciseFailed

import numpy as np
import pytest
from mistakes import (
    pool_backward,
    same_padding,
    same_padding_odd_first,
    same_padding_unclipped,
    tiles_by_reshape_only,
    tiles_in_split_order,
)

pytestmark = pytest.mark.usefixtures("lenient")


# --- right answers and typical mistakes of chapters 01–04 -------------------------------------------------

def conv2d_loop(x, k):
    kh, kw = k.shape
    flipped = k[::-1, ::-1]
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kh, j:j + kw] * flipped)
    return out


def receptive_field(layer_list):
    field, jump = 1, 1
    for kernel, stride in layer_list:
        field += (kernel - 1) * jump
        jump *= stride
    return field


def receptive_field_own_stride(layer_list):
    field, jump = 1, 1
    for kernel, stride in layer_list:
        jump *= stride
        field += (kernel - 1) * jump
    return field


def hidden_layer_gradients(x, labels, W1, b1, W2, b2, relu_mask=True, mean=True):
    """Chapter 04, Exercise 2, in NumPy; ``relu_mask=False`` and ``mean=False`` are the two usual slips."""
    pre = x @ W1 + b1
    error = scratch.softmax(np.maximum(pre, 0) @ W2 + b2) - np.eye(W2.shape[1])[labels]
    back = (error / len(x) if mean else error) @ W2.T * ((pre > 0) if relu_mask else 1.0)
    return x.T @ back, back.sum(axis=0)


# --- right answers and typical mistakes of chapters 06–08e ------------------------------------------------

def optimal_discriminator(p_data, p_g):
    total = p_data + p_g
    with np.errstate(all="ignore"):
        return np.where(total > 0, p_data / total, 0.5)


def value_at_optimum(p_data, p_g, dx):
    """Chapter 06, Exercise 3: V(D*, G) on a grid, with 0·log 0 = 0."""
    total = np.where(p_data + p_g > 0, p_data + p_g, 1.0)
    real = np.where(p_data > 0, p_data * np.log(np.where(p_data > 0, p_data, 1.0) / total), 0.0)
    fake = np.where(p_g > 0, p_g * np.log(np.where(p_g > 0, p_g, 1.0) / total), 0.0)
    return float(np.sum(real + fake) * dx)


def find_collapsed(histograms):
    return min(histograms, key=lambda name: histograms[name].min() / histograms[name].sum())


def share_where(selected_by, other, num_classes, empty=np.nan):
    """For each class c: among the items whose ``selected_by`` is c, the share whose ``other`` is c."""
    return np.array([np.mean(other[selected_by == c] == c) if np.any(selected_by == c) else empty
                     for c in range(num_classes)])


def truncated_noise(count, latent_dim, limit=1.0, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(count, latent_dim))
    while (outside := np.abs(z) > limit).any():
        z[outside] = rng.normal(size=outside.sum())
    return z


def kl_rows(p, marginal=None):
    p = np.asarray(p, dtype=float)
    q = p.mean(axis=0) if marginal is None else marginal
    return np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / q), 0.0), axis=1)


def inception_score(p, marginal=None):
    return float(np.exp(kl_rows(p, marginal).mean()))


def within_class_diversity(images, labels, self_pairs=False, per_class=True, singles_as_zero=False,
                           squared=False):
    """Mean |a − b| over pairs of two different images of one class, averaged over the classes; the
    keyword arguments make the typical mistakes."""
    flat, labels = np.asarray(images, dtype=float).reshape(len(images), -1), np.asarray(labels)
    values, pooled = [], []
    for c in np.unique(labels):
        members = flat[labels == c]
        gaps = members[:, None] - members[None]
        distances = (gaps ** 2 if squared else np.abs(gaps)).mean(axis=2)
        pairs = distances.ravel() if self_pairs else distances[np.triu_indices(len(members), k=1)]
        if len(pairs) == 0:
            if singles_as_zero is None:
                values.append(np.nan)
            elif singles_as_zero:
                values.append(0.0)
            continue
        values.append(pairs.mean())
        pooled.extend(pairs)
    return float(np.mean(values) if per_class else np.mean(pooled))


def most_confused(confusion, transpose=False, keep=lambda m: m):
    mistakes = keep(np.array(confusion, copy=True))
    mistakes = mistakes.T.copy() if transpose else mistakes
    np.fill_diagonal(mistakes, -1)
    return tuple(int(i) for i in np.unravel_index(mistakes.argmax(), mistakes.shape))


def most_confused_in_place(confusion):
    np.fill_diagonal(confusion, -1)
    return tuple(int(i) for i in np.unravel_index(confusion.argmax(), confusion.shape))


def top_k_accuracy(probabilities, y_true, k, order=-1):
    top = np.argsort(order * probabilities, axis=1)[:, :k]
    return float(np.mean([y in row for y, row in zip(y_true, top)]))


def iou_with(denominator):
    """IoU with the intersection clipped at 0 or not, divided by ``denominator(area_a, area_b, inter)``."""
    def iou(a, b, clip=True):
        width, height = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
        if clip:
            width, height = max(0.0, width), max(0.0, height)
        area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
        return float(width * height / denominator(area_a, area_b, width * height))
    return iou


def nms_in_index_order(boxes, scores, iou_threshold):
    keep = []
    for i in range(len(boxes)):
        if all(detection.iou(boxes[i], boxes[j]) <= iou_threshold for j in keep):
            keep.append(i)
    return keep


def class_iou(t, p, c, over="union", empty=np.nan):
    both = np.sum((t == c) & (p == c))
    count = {"union": np.sum((t == c) | (p == c)), "true": np.sum(t == c), "pred": np.sum(p == c)}[over]
    return float(both / count) if count else empty


def mask_to_box(mask, c, rows_first=False, end=1, absent=None):
    rows, cols = np.nonzero(mask == c)
    if len(rows) == 0:
        return absent
    if rows_first:
        return np.array([rows.min(), cols.min(), rows.max() + end, cols.max() + end])
    return np.array([cols.min(), rows.min(), cols.max() + end, rows.max() + end])


def mse(p, t):
    return float(np.mean((p - t) ** 2))


def tolerated(masks, target, cap=True):
    """Chapter 08c, Exercise 1: the share of digit pixels that may be wrong at pixel accuracy ``target``."""
    share = (1 - target) * np.size(masks) / np.sum(np.asarray(masks) > 0)
    return float(min(1.0, share)) if cap else float(share)


CASES = [
    # (checker, right answer, [(wrong answer, words the hint must contain), ...])
    # chapters 01–04
    # (checker, right answer, [(wrong answer, words the hint must contain), ...])
    (images.check_rgb_to_gray, lambda im: im @ np.array([0.299, 0.587, 0.114]),
     [(lambda im: im.mean(axis=-1), "plain mean"), (lambda im: im[..., :1], "drop the channel axis")]),
    (images.check_to_channels_first, lambda x: np.moveaxis(x, -1, -3),
     [(lambda x: x.reshape(*x.shape[:-3], x.shape[-1], *x.shape[-3:-1]), "scrambled"),
      (lambda x: x.T, "reversed"), (lambda x: np.swapaxes(x, -1, -3), "height and width"),
      (lambda x: x.transpose(0, 3, 1, 2), "single image"),
      (lambda x: x.transpose(0, 3, 1, 2) if x.ndim == 4 else x.transpose(2, 1, 0), "single image"),
      (lambda x: np.moveaxis(x, -1, -3).astype("float32"), "dtype")]),
    (convolution.check_conv2d_loop, conv2d_loop,
     [(scratch.correlate2d, "flipped"), (lambda x, k: scratch.conv2d(x, k, padding="same"), "should be")]),
    (convolution.check_flip_invariant, lambda k: bool(np.array_equal(k, k[::-1, ::-1])),
     [(lambda k: bool(np.array_equal(k, k[:, ::-1])), "one axis is not enough"),
      (lambda k: bool(np.array_equal(k, k.T)), "transpose"), (lambda k: True, "opposite signs"),
      (lambda k: False, "answered False"), (lambda k: k, "True or False")]),
    (pooling.check_receptive_field, receptive_field,
     [(lambda layer_list: 1 + sum(k - 1 for k, s in layer_list), "ignored the strides"),
      (lambda layer_list: int(np.prod([k for k, s in layer_list])), "do not multiply"),
      (lambda layer_list: sum(k for k, s in layer_list), "no layers at all"),
      (receptive_field_own_stride, "own stride")]),
    (pooling.check_global_average_pool, lambda x: x.mean(axis=(0, 1)),
     [(lambda x: x.mean(axis=-1), "over the channels"), (lambda x: x.max(axis=(0, 1)), "maximum")]),
    (dense.check_hidden_layer_gradients, hidden_layer_gradients,
     [(lambda *a: hidden_layer_gradients(*a, relu_mask=False), "ReLU is missing"),
      (lambda *a: hidden_layer_gradients(*a, mean=False), "mean"),
      (lambda *a: tuple(-g for g in hidden_layer_gradients(*a)), "sign"),
      (lambda *a: (hidden_layer_gradients(*a)[0].T, hidden_layer_gradients(*a)[1]), "orientation"),
      (lambda *a: hidden_layer_gradients(*a)[0], "pair")]),
    (dense.check_cross_entropy, lambda p, y: float(-np.mean(np.log(p[np.arange(len(y)), y]))),
     [(lambda p, y: float(-np.sum(np.log(p[np.arange(len(y)), y]))), "sum"),
      (lambda p, y: float(np.mean(np.log(p[np.arange(len(y)), y]))), "sign"),
      (lambda p, y: -np.log(p[np.arange(len(y)), y]), "one number")]),
    # chapters 06–08e
    # (checker, right answer, [(wrong answer, words the hint must contain), ...])
    (gan_objective.check_optimal_discriminator, optimal_discriminator,
     [(lambda p, g: g / (p + g), "1 − D*"), (lambda p, g: p / (p + g), "divides 0 by 0"),
      (lambda p, g: p / (p + g + 1), "D*(x) = p_data(x) / (p_data(x) + p_g(x))"),
      (lambda p, g: np.where(p + g > 0, p / np.maximum(p + g, 1e-12), 0.0), "D* on [0, 1, 0, 2]")]),
    (gan_objective.check_value_at_optimum, value_at_optimum,
     [(lambda p, g, dx: np.sum(p * np.log(p / (p + g)) + g * np.log(g / (p + g))) * dx, "0·log"),
      (lambda p, g, dx: np.nansum(p * np.log(p / (p + g)) + g * np.log(g / (p + g))), "multiply by dx"),
      (lambda p, g, dx: np.nansum(p * np.log(p / (p + g)) + g * np.log(p / (p + g))) * dx, "log(1 − D*)"),
      (lambda p, g, dx: np.nansum(p * np.log(p / (p + g))) * dx, "the value is not right"),
      (lambda p, g, dx: np.ones(3), "one number")]),
    (dcgan.check_inception_score, inception_score,
     [(lambda p: np.ones(len(p)), "one number"),
      (lambda p: np.log(inception_score(p)), "the mean KL divergence"),
      (lambda p: inception_score(p, marginal=np.full(np.shape(p)[1], 1 / np.shape(p)[1])),
       "not with the uniform"),
      (lambda p: float(np.mean(np.exp(kl_rows(p)))), "mean KL first"),
      (lambda p: float(np.exp(np.mean(np.sum(p * np.log(p / p.mean(axis=0)), axis=1)))), "0 · log 0"),
      (lambda p: inception_score(p) + 0.5, "in that order")]),
    (dcgan.check_discriminator_rate_prediction, lambda: {"d_margin": "wider", "confident_share": "lower"},
     [(lambda: {"d_margin": "wider"}, "keys"),
      (lambda: {"d_margin": "up", "confident_share": "lower"}, "choose")]),
    (dcgan.check_find_collapsed, find_collapsed,
     [(lambda h: 0, "return the name"), (lambda h: max(h, key=lambda name: h[name][0]), "draws every digit"),
      (lambda h: next(iter(h)), "not the collapsed one")]),
    (generation.check_within_class_diversity, within_class_diversity,
     [(lambda x, y: np.zeros(3), "one number"),
      (lambda x, y: within_class_diversity(x, np.zeros(len(y))), "same label"),
      (lambda x, y: within_class_diversity(x, y, self_pairs=True), "paired with itself"),
      (lambda x, y: within_class_diversity(x, y, per_class=False), "each class counting once"),
      (lambda x, y: within_class_diversity(x, y, singles_as_zero=True), "counting it as 0"),
      (lambda x, y: within_class_diversity(x, y, squared=True), "not the squared one"),
      (lambda x, y: within_class_diversity(x, y, singles_as_zero=None), "has no pair")]),
    (generation.check_label_blind_prediction,
     lambda: {"class_agreement": "near chance", "confident_share": "lower"},
     [(lambda: {"class_agreement": "near chance"}, "keys"),
      (lambda: {"class_agreement": "0.1", "confident_share": "lower"}, "choose")]),
    (generation.check_truncated_noise, truncated_noise,
     [(lambda n, d, limit=1.0, seed=0: truncated_noise(n, d, limit, seed)[:, 0], "has shape"),
      (lambda n, d, limit=1.0, seed=0: np.random.default_rng(seed).normal(size=(n, d)), "exceed the limit"),
      (lambda n, d, limit=1.0, seed=0: np.clip(np.random.default_rng(seed).normal(size=(n, d)), -1, 1),
       "clipping"),
      (lambda n, d, limit=1.0, seed=0: np.random.default_rng(seed).uniform(-limit, limit, (n, d)), "uniform"),
      (lambda n, d, limit=1.0, seed=0: truncated_noise(n, d, limit, None), "the same seed"),
      (lambda n, d, limit=1.0, seed=0: truncated_noise(n, d, limit, 0), "use the seed argument"),
      (lambda n, d, limit=1.0, seed=0: truncated_noise(n, d, 1.0, seed), "use the limit argument")]),
    (translation.check_best_guess,
     lambda c, loss: np.mean(c, axis=0) if loss == "l2" else np.median(c, axis=0),
     [(lambda c, loss: np.asarray(c), "return one image"),
      (lambda c, loss: np.asarray(c)[0], "one of the candidates"),
      (lambda c, loss: np.median(c, axis=0) if loss == "l2" else np.mean(c, axis=0), "swapped"),
      (lambda c, loss: np.mean(c, axis=0), "same for both losses"),
      (lambda c, loss: np.mean(c, axis=0) if loss == "l2" else np.sort(c, axis=0)[0], "as many candidates"),
      (lambda c, loss: np.mean(c, axis=0) if loss == "l2" else np.round(np.mean(c, axis=0)), "2nd and 3rd"),
      (lambda c, loss: np.median(c, axis=0) + (0.1 if loss == "l2" else 0.0), "derivative")]),
    (translation.check_l1_only_prediction, lambda: {"psnr": "higher", "roughness": "lower"},
     [(lambda: {"psnr": "higher"}, "keys"), (lambda: {"psnr": "better", "roughness": "lower"}, "choose")]),
    (classification.check_most_confused, most_confused,
     [(lambda m: None, "forget a `return`"),
      (lambda m: int(np.argmax(np.where(np.eye(len(m), dtype=bool), -1, m))), "return a pair"),
      (lambda m: (*most_confused(m), 0), "got 3 values"),
      (lambda m: np.unravel_index(np.argmax(m), np.shape(m)), "diagonal"),
      (lambda m: most_confused(m, transpose=True), "rows are true classes"),
      (lambda m: most_confused(m, keep=lambda a: np.triu(a, 1)), "upper triangle"),
      (lambda m: (2, 1), "the largest off-diagonal entry (12) is at row 2, column 0"),
      (lambda m: (2, 0), "hard-coded"),
      (most_confused_in_place, "work on a copy")]),
    (classification.check_top_k_accuracy, top_k_accuracy,
     [(lambda p, y, k: float(np.mean(p.argmax(axis=1) == y)), "k largest"),
      (lambda p, y, k: top_k_accuracy(p, y, k, order=1), "k largest")]),
    (detection_checks.check_box_iou, detection.iou,
     [(lambda a, b: None, "forget a `return`"),
      (lambda a, b: iou_with(lambda area_a, area_b, inter: area_a + area_b - inter)(a, b, clip=False),
       "clip"),
      (iou_with(lambda area_a, area_b, inter: area_a), "divided by one box's area"),
      (iou_with(lambda area_a, area_b, inter: area_a + area_b), "area a + area b - intersection")]),
    (detection_checks.check_nms, lambda b, s, t: list(detection.non_max_suppression(b, s, t)),
     [(lambda b, s, t: None, "forget a `return`"), (lambda b, s, t: "kept", "list of box indices"),
      (nms_in_index_order, "sort by score first"),
      (lambda b, s, t: list(range(len(b))), "nothing was suppressed"),
      (lambda b, s, t: list(detection.non_max_suppression(b, s, t))[::-1], "best score first"),
      (lambda b, s, t: [1], "kept [1], expected [1, 3]"),
      (lambda b, s, t: list(detection.non_max_suppression(b, s, 0.5)), "iou_threshold=0.95")]),
    (segmentation.check_tolerated_digit_errors, lambda m, t: tolerated(m, t),
     [(lambda m, t: None, "forget a `return`"),
      (lambda m, t: np.full(len(m), 0.5), "one number for all images"),
      (lambda m, t: 1 - t, "share of all pixels"),
      (lambda m, t: (1 - t) * np.size(m), "count of pixels"),
      (lambda m, t: tolerated(m, t, cap=False), "cannot exceed 1"),
      (lambda m, t: float(np.mean([tolerated(x, t) for x in m])), "not image by image"),
      (lambda m, t: (1 - t) * np.size(m) / np.sum(np.asarray(m) == 0), "how many pixels may be wrong")]),
    (segmentation.check_mask_to_box, mask_to_box,
     [(lambda m, c: mask_to_box(m, c, rows_first=True), "x is the column"),
      (lambda m, c: mask_to_box(m, c, end=0), "exclusive"),
      (lambda m, c: mask_to_box(m, c, end=2), "mask_to_box(mask, 4) differs"),
      (lambda m, c: mask_to_box(m, c, absent=np.zeros(4)), "return None")]),
    (images.check_to_tiles, lambda image, size: np.swapaxes(tiles_in_split_order(image, size), 1, 2),
     [(tiles_by_reshape_only, "strip of one image row"), (tiles_in_split_order, "tile indices"),
      (lambda image, size: np.swapaxes(tiles_in_split_order(image, size), 1, 2).swapaxes(2, 3), "transposed"),
      (lambda image, size: np.swapaxes(tiles_in_split_order(image, size), 1, 2) / 1, "dtype"),
      (lambda image, size: "tiles", "numbers")]),
    (convolution.check_padding_for_same,
     same_padding,
     [(lambda n, k, s: ((k - 1) // 2, k - 1 - (k - 1) // 2), "padding for stride 1"),
      (same_padding_unclipped, "cannot be negative"),
      (same_padding_odd_first, "odd zero after"),
      (lambda n, k, s: (0.5, 0.5), "whole number"), (lambda n, k, s: 2, "pair (before, after)")]),
    (pooling.check_max_pool_backward, pool_backward,
     [(lambda x, s, g: pool_backward(x, s, g, "average"), "average pooling"),
      (lambda x, s, g: pool_backward(x, s, g, "every"), "not the largest"),
      (lambda x, s, g: pool_backward(x, s, g, "ones"), "chain rule"),
      (lambda x, s, g: g, "one number per input pixel"),
      (lambda x, s, g: np.zeros((x.shape[0] + 1, x.shape[1])), "x's shape")]),
    (dense.check_cnn_params, lambda size, specs: dense._cnn_params(size, specs),
     [(lambda size, specs: dense._cnn_params(size, specs, biases=False), "biases are missing"),
      (lambda size, specs: "93322", "one number")]),
    (dense.check_softmax_jacobian,
     lambda z: np.diag(scratch.softmax(z)) - np.outer(scratch.softmax(z), scratch.softmax(z)),
     [(lambda z: np.diag(scratch.softmax(z)), "off-diagonal"), (lambda z: scratch.softmax(z), "has shape")]),
    (gan_objective.check_optimal_logit, lambda m, g, s: gan_objective._optimal_logit(m, g, s),
     [(lambda m, g, s: m - g, "pair")]),
    (gan_objective.check_least_squares_gradient, lambda d: (d - 1) * d * (1 - d),
     [(lambda d: d - 1, "chain rule")]),
    (dcgan.check_transposed_conv, lambda x, k, s: dcgan._stamps(x, k, s),
     [(lambda x, k, s: dcgan._stamps(x, k, s, add=False), "add up")]),
]
#: Checkers that compute their own answer with Keras (dense's with the backend's automatic differentiation):
#: they run in every pass of the test command; the others are NumPy code, the same on any backend.
ON_THE_BACKEND = {dense.check_hidden_layer_gradients, little_data.check_inverted_residual_params}


def checker_id(check):
    return f'{check.__module__.rsplit(".", 1)[-1]}:{check.__name__.removeprefix("check_")}'


def by_checker(rows):
    """One pytest.param per row, named after its checker; `once` unless the checker runs on the backend."""
    return [pytest.param(*row, id=checker_id(row[0]),
                         marks=() if row[0] in ON_THE_BACKEND else pytest.mark.once) for row in rows]


@pytest.mark.parametrize("check, right, wrongs", by_checker(CASES))
def test_accepts_a_right_answer_and_explains_mistakes(check, right, wrongs):
    result = check(right)
    assert result.passed, result.message
    for wrong, words in wrongs:
        result = check(wrong)
        assert not result.passed, f"accepted the mistake that should get the hint {words!r}"
        assert words.lower() in result.message.lower(), result.message


def raises(*args):
    raise RuntimeError("boom")


def every_checker():
    """Every exercise checker of every chapter's module (the ones decorated with core.checker)."""
    import importlib
    import pkgutil

    import course_lib.checks

    found = []
    for module_info in pkgutil.iter_modules(course_lib.checks.__path__):
        module = importlib.import_module(f"course_lib.checks.{module_info.name}")
        found += [value for name, value in sorted(vars(module).items()) if name.startswith("check_")
                  and hasattr(value, "exercise") and value.__module__ == module.__name__]
    return found


@pytest.mark.parametrize("check", by_checker([(check,) for check in every_checker()]))
@pytest.mark.parametrize("answer", [None, 42, "text", raises, lambda *a: None, lambda *a: "x",
                                    lambda *a: [[1, 2]]],
                         ids=["None", "int", "str", "raises", "returns None", "returns str", "wrong shape"])
def test_malformed_answers_fail_without_crashing(check, answer):
    result = check(answer)
    assert not result.passed
    assert result.message


def most_confused_numpy_ints(confusion):
    mistakes = np.array(confusion, copy=True)
    np.fill_diagonal(mistakes, -1)
    return np.unravel_index(mistakes.argmax(), mistakes.shape)        # a pair of NumPy ints


@pytest.mark.once
@pytest.mark.parametrize("check, right", [
    (classification.check_most_confused, most_confused_numpy_ints),
    (detection_checks.check_nms, detection.non_max_suppression),       # an array of indices, not a list
], ids=["classification:most_confused", "detection:nms"])
def test_a_right_answer_of_another_type_is_accepted(check, right):
    result = check(right)
    assert result.passed, result.message


@pytest.mark.once
@pytest.mark.parametrize("check, wrong, words, right", [
    (convolution.check_conv2d_loop, scratch.correlate2d, "flipped", conv2d_loop),
    (classification.check_most_confused, lambda m: most_confused(m, transpose=True), "rows are true classes",
     most_confused),
], ids=["convolution:conv2d_loop", "classification:most_confused"])
def test_strict_mode_raises(monkeypatch, check, wrong, words, right):
    monkeypatch.setenv("COURSE_STRICT", "1")
    with pytest.raises(ExerciseFailed, match=words):
        check(wrong)
    assert check(right).passed
