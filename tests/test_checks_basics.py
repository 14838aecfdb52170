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


def naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def raises(*args):
    raise RuntimeError("boom")


CASES = [
    # (checker, right answer, [(wrong answer, words the hint must contain), ...])
    (images.check_to_float, lambda x: x.astype("float32") / 255,
     [(lambda x: x // 255, "integer division"), (lambda x: x / 255, "float32"),
      (lambda x: x * 1.0, "divide by 255")]),
    (images.check_rgb_to_gray, lambda im: im @ np.array([0.299, 0.587, 0.114]),
     [(lambda im: im.mean(axis=-1), "plain mean"), (lambda im: im[..., :1], "drop the channel axis")]),
    (images.check_dataset_bytes, lambda n, h, w, c, b: n * h * w * c * b,
     [(lambda n, h, w, c, b: n * h * w * b, "every channel"),
      (lambda n, h, w, c, b: n * h * w * c, "bytes_per_value")]),
    (convolution.check_conv2d_loop, conv2d_loop,
     [(scratch.correlate2d, "flipped"), (lambda x, k: scratch.conv2d(x, k, padding="same"), "should be")]),
    (convolution.check_output_size, lambda n, k, s, p: scratch.output_size(n, k, s, p),
     [(lambda n, k, s, p: n - k + 1, "Remember the stride"),
      (lambda n, k, s, p: (n - k) // s + 1, "ceil(n / stride)")]),
    (convolution.check_keras_kernel_for, lambda K: K[::-1, ::-1],
     [(lambda K: K, "unchanged"), (lambda K: K[::-1], "both spatial axes"),
      (lambda K: K[::-1, ::-1, ::-1, ::-1], "only the two")]),
    (pooling.check_max_pool_loop, max_pool_loop,
     [(lambda x, s: scratch.max_pool2d(x, s, stride=1), "not by 1"),
      (lambda x, s: scratch.avg_pool2d(x, s), "average pooling")]),
    (pooling.check_conv_multiply_adds, lambda h, w, kh, kw, ci, co: h * w * kh * kw * ci * co,
     [(lambda h, w, kh, kw, ci, co: h * w * kh * kw * co, "C_in"),
      (lambda h, w, kh, kw, ci, co: h * w * kh * kw * ci, "C_out")]),
    (pooling.check_global_average_pool, lambda x: x.mean(axis=(0, 1)),
     [(lambda x: x.mean(axis=-1), "over the channels"), (lambda x: x.max(axis=(0, 1)), "maximum")]),
    (dense.check_conv_params, lambda kh, kw, ci, co: (kh * kw * ci + 1) * co,
     [(lambda kh, kw, ci, co: kh * kw * ci * co, "biases"),
      (lambda kh, kw, ci, co: (kh * kw + 1) * co, "C_in")]),
    (dense.check_dense_params, lambda i, o: i * o + o,
     [(lambda i, o: i * o, "one bias per output"), (lambda i, o: i * o + i, "not per input")]),
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
