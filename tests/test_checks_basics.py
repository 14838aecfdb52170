"""Checkers of chapters 01–04: each accepts the reference answer, rejects typical mistakes with a
hint that names the mistake, and never crashes on a malformed answer."""
from course_lib import scratch
from course_lib.checks import convolution, dense, images, pooling
from course_lib.checks.core import ExerciseFailed

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "0")


def conv2d_loop(x, k):
    kh, kw = k.shape
    flipped = k[::-1, ::-1]
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kh, j:j + kw] * flipped)
    return out


def max_pool_loop(x, size):
    out = np.zeros((x.shape[0] // size, x.shape[1] // size))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = x[i * size:(i + 1) * size, j * size:(j + 1) * size].max()
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


def naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def raises(*args):
    raise RuntimeError("boom")


def hidden_layer_gradients(x, labels, W1, b1, W2, b2, relu_mask=True, mean=True):
    """Chapter 04, Exercise 2, in NumPy; ``relu_mask=False`` and ``mean=False`` are the two usual slips."""
    pre = x @ W1 + b1
    error = scratch.softmax(np.maximum(pre, 0) @ W2 + b2) - np.eye(W2.shape[1])[labels]
    back = (error / len(x) if mean else error) @ W2.T * ((pre > 0) if relu_mask else 1.0)
    return x.T @ back, back.sum(axis=0)


CASES = [
    # (checker, right answer, [(wrong answer, words the hint must contain), ...])
    (images.check_to_float, lambda x: x.astype("float32") / 255,
     [(lambda x: x // 255, "integer division"), (lambda x: x / 255, "float32"),
      (lambda x: x * 1.0, "divide by 255")]),
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
    (convolution.check_output_size, lambda n, k, s, p: scratch.output_size(n, k, s, p),
     [(lambda n, k, s, p: n - k + 1, "Remember the stride"),
      (lambda n, k, s, p: (n - k) // s + 1, "ceil(n / stride)")]),
    (convolution.check_flip_invariant, lambda k: bool(np.array_equal(k, k[::-1, ::-1])),
     [(lambda k: bool(np.array_equal(k, k[:, ::-1])), "one axis is not enough"),
      (lambda k: bool(np.array_equal(k, k.T)), "transpose"), (lambda k: True, "opposite signs"),
      (lambda k: False, "answered False"), (lambda k: k, "True or False")]),
    (pooling.check_max_pool_loop, max_pool_loop,
     [(lambda x, s: scratch.max_pool2d(x, s, stride=1), "not by 1"),
      (lambda x, s: scratch.avg_pool2d(x, s), "average pooling")]),
    (pooling.check_receptive_field, receptive_field,
     [(lambda layer_list: 1 + sum(k - 1 for k, s in layer_list), "ignored the strides"),
      (lambda layer_list: int(np.prod([k for k, s in layer_list])), "do not multiply"),
      (lambda layer_list: sum(k for k, s in layer_list), "no layers at all"),
      (receptive_field_own_stride, "own stride")]),
    (pooling.check_global_average_pool, lambda x: x.mean(axis=(0, 1)),
     [(lambda x: x.mean(axis=-1), "over the channels"), (lambda x: x.max(axis=(0, 1)), "maximum")]),
    (dense.check_conv_params, lambda kh, kw, ci, co: (kh * kw * ci + 1) * co,
     [(lambda kh, kw, ci, co: kh * kw * ci * co, "biases"),
      (lambda kh, kw, ci, co: (kh * kw + 1) * co, "C_in")]),
    (dense.check_hidden_layer_gradients, hidden_layer_gradients,
     [(lambda *a: hidden_layer_gradients(*a, relu_mask=False), "ReLU is missing"),
      (lambda *a: hidden_layer_gradients(*a, mean=False), "mean"),
      (lambda *a: tuple(-g for g in hidden_layer_gradients(*a)), "sign"),
      (lambda *a: (hidden_layer_gradients(*a)[0].T, hidden_layer_gradients(*a)[1]), "orientation"),
      (lambda *a: hidden_layer_gradients(*a)[0], "pair")]),
    (dense.check_softmax_stable, lambda z: scratch.softmax(z),
     [(naive_softmax, "Subtract each row's maximum"),
      (lambda z: scratch.softmax(z, axis=0), "columns sum to 1")]),
    (dense.check_cross_entropy, lambda p, y: float(-np.mean(np.log(p[np.arange(len(y)), y]))),
     [(lambda p, y: float(-np.sum(np.log(p[np.arange(len(y)), y]))), "sum"),
      (lambda p, y: float(np.mean(np.log(p[np.arange(len(y)), y]))), "sign"),
      (lambda p, y: -np.log(p[np.arange(len(y)), y]), "one number")]),
]
IDS = [case[0].exercise.split(":")[0] for case in CASES]


@pytest.mark.parametrize("check, right, wrongs", CASES, ids=IDS)
def test_accepts_the_reference_and_explains_mistakes(check, right, wrongs):
    result = check(right)
    assert result.passed, result.message
    for wrong, words in wrongs:
        result = check(wrong)
        assert not result.passed
        assert words.lower() in result.message.lower(), result.message


@pytest.mark.parametrize("check", [case[0] for case in CASES], ids=IDS)
@pytest.mark.parametrize("answer", [None, 42, "text", raises, lambda *a: None, lambda *a: "x",
                                    lambda *a: [[1, 2]]],
                         ids=["None", "int", "str", "raises", "returns None", "returns str", "wrong shape"])
def test_malformed_answers_fail_without_crashing(check, answer):
    result = check(answer)
    assert not result.passed
    assert result.message


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "1")
    with pytest.raises(ExerciseFailed, match="flipped"):
        convolution.check_conv2d_loop(scratch.correlate2d)
    assert convolution.check_conv2d_loop(conv2d_loop).passed
