"""course_lib.scratch against the Keras layers it mirrors, over random shapes (chapters 02–04).

Hypothesis draws image sizes, channel counts, kernel sizes (even ones included), strides (ints and
pairs) and both paddings; every result must agree with Keras to 1e-5. Keras layers are cached per
configuration: a built layer accepts any image size, so one layer serves many draws.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from course_lib import scratch  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = dict(atol=1e-5, rtol=1e-5)

strides = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
paddings = st.sampled_from(["valid", "same"])


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


_layers = {}


def keras_conv(x, k, stride, padding):
    key = ("conv", k.shape, _pair(stride), padding)
    if key not in _layers:
        layer = keras.layers.Conv2D(k.shape[3], k.shape[:2], strides=stride, padding=padding, use_bias=False)
        layer.build((None, None, None, k.shape[2]))
        _layers[key] = layer
    layer = _layers[key]
    layer.kernel.assign(k.astype("float32"))
    return _numpy(layer(x[np.newaxis].astype("float32")))[0]


def keras_pool(kind, x, size, stride, padding):
    key = (kind, _pair(size), None if stride is None else _pair(stride), padding)
    if key not in _layers:
        cls = keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D
        _layers[key] = cls(pool_size=size, strides=stride, padding=padding)
    return _numpy(_layers[key](x[np.newaxis].astype("float32")))[0]


@st.composite
def conv_cases(draw):
    """An image (H, W, C_in), a Keras-layout kernel, a stride and a padding that Keras accepts."""
    padding = draw(paddings)
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    low_h, low_w = (1, 1) if padding == "same" else (kh, kw)
    height, width = draw(st.integers(low_h, 10)), draw(st.integers(low_w, 10))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(height, width, c_in)).astype("float32")
    k = rng.normal(size=(kh, kw, c_in, c_out)).astype("float32")
    return x, k, draw(strides), padding


def article_formula(F, K, stride, padding):
    """The article's (F * K)(i, j) = Σ_m Σ_n F(i − m, j − n) K(m, n), evaluated term by term.

    F is zero outside the image. Output (i, j) of scratch.conv2d is the formula at
    (i·s_h − top + kh − 1, j·s_w − left + kw − 1), where top/left is the "same" padding (0 for "valid").
    """
    (sh, sw), (kh, kw) = _pair(stride), K.shape[:2]
    height, width = F.shape[:2]
    top = scratch.same_padding(height, kh, sh)[0] if padding == "same" else 0
    left = scratch.same_padding(width, kw, sw)[0] if padding == "same" else 0
    out_h = scratch.output_size(height, kh, sh, padding)
    out_w = scratch.output_size(width, kw, sw, padding)
    Y = np.zeros((out_h, out_w, K.shape[3]))
    for oi in range(out_h):
        for oj in range(out_w):
            i, j = oi * sh - top + kh - 1, oj * sw - left + kw - 1
            for m in range(kh):
                for n in range(kw):
                    if 0 <= i - m < height and 0 <= j - n < width:
                        Y[oi, oj] += F[i - m, j - n] @ K[m, n]  # sums over input channels
    return Y


@SETTINGS
@given(conv_cases())
def test_correlate2d_equals_keras_conv2d(case):
    x, k, stride, padding = case
    np.testing.assert_allclose(scratch.correlate2d(x, k, stride, padding),
                               keras_conv(x, k, stride, padding), **TOL)


@SETTINGS
@given(conv_cases())
def test_conv2d_equals_keras_with_flipped_kernel_and_the_article_formula(case):
    x, k, stride, padding = case
    ours = scratch.conv2d(x, k, stride, padding)
    np.testing.assert_allclose(ours, keras_conv(x, k[::-1, ::-1], stride, padding), **TOL)
    np.testing.assert_allclose(ours, article_formula(x, k, stride, padding), **TOL)


def test_conv2d_and_correlate2d_differ_for_an_asymmetric_kernel():
    x = np.arange(25.0).reshape(5, 5) ** 2
    k = np.array([[1.0, 0.0], [0.0, -1.0]])
    assert not np.allclose(scratch.conv2d(x, k), scratch.correlate2d(x, k))
    symmetric = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])
    np.testing.assert_allclose(scratch.conv2d(x, symmetric), scratch.correlate2d(x, symmetric))


def test_two_dimensional_shapes():
    rng = np.random.default_rng(1)
    x, k = rng.normal(size=(6, 7)), rng.normal(size=(3, 2))
    y = scratch.conv2d(x, k, stride=2, padding="same")
    assert y.shape == (3, 4)
    np.testing.assert_allclose(y, scratch.conv2d(x[..., None], k[..., None, None], 2, "same")[..., 0])
    # a 4-D kernel with one input channel accepts a 2-D image and returns its C_out channels
    assert scratch.correlate2d(x, rng.normal(size=(3, 3, 1, 5))).shape == (4, 5, 5)
    # a 2-D kernel on a colour image filters every channel on its own
    rgb = rng.normal(size=(6, 7, 3))
    per_channel = scratch.conv2d(rgb, k)
    assert per_channel.shape == (4, 6, 3)
    for c in range(3):
        np.testing.assert_allclose(per_channel[..., c], scratch.conv2d(rgb[..., c], k))


@st.composite
def pool_cases(draw):
    padding = draw(paddings)
    size = draw(st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4))))
    kh, kw = _pair(size)
    low_h, low_w = (1, 1) if padding == "same" else (kh, kw)
    height, width = draw(st.integers(low_h, 9)), draw(st.integers(low_w, 9))
    channels = draw(st.integers(1, 3))
    stride = draw(st.one_of(st.none(), strides))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    return rng.normal(size=(height, width, channels)).astype("float32"), size, stride, padding


@pytest.mark.parametrize("kind", ["max", "avg"])
@SETTINGS
@given(case=pool_cases())
def test_pooling_equals_keras(kind, case):
    x, size, stride, padding = case
    ours = (scratch.max_pool2d if kind == "max" else scratch.avg_pool2d)(x, size, stride, padding)
    np.testing.assert_allclose(ours, keras_pool(kind, x, size, stride, padding), **TOL)


def test_max_pool_formula_and_2d_input():
    x = np.array([[1, 5, 2, 0], [3, 4, 8, 1], [0, 1, 2, 3], [9, 0, 4, 4]], dtype=float)
    np.testing.assert_array_equal(scratch.max_pool2d(x), [[5, 8], [9, 4]])
    np.testing.assert_allclose(scratch.avg_pool2d(x), [[13 / 4, 11 / 4], [10 / 4, 13 / 4]])
    # Y(i, j) = max over the window starting at (i·s, j·s)
    y = scratch.max_pool2d(x, size=3, stride=1)
    for i in range(2):
        for j in range(2):
            assert y[i, j] == x[i:i + 3, j:j + 3].max()


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 5), st.integers(0, 10**6))
def test_dense_equals_keras_dense(batch, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, n_in)).astype("float32")
    layer = keras.layers.Dense(n_out)
    layer.build((None, n_in))
    layer.kernel.assign(rng.normal(size=(n_in, n_out)).astype("float32"))
    layer.bias.assign(rng.normal(size=n_out).astype("float32"))
    kernel, bias = _numpy(layer.kernel), _numpy(layer.bias)
    expected = _numpy(layer(x))
    np.testing.assert_allclose(scratch.dense(x, kernel.T, bias), expected, **TOL)
    np.testing.assert_allclose(scratch.dense(x[0], kernel.T, bias), expected[0], **TOL)


_softmax_layers = {}


@SETTINGS
@given(st.integers(2, 3), st.integers(2, 6), st.sampled_from([-1, 0, 1]), st.floats(0.1, 50),
       st.integers(0, 10**6))
def test_softmax_and_relu_equal_keras(rows, cols, axis, scale, seed):
    z = (np.random.default_rng(seed).normal(size=(rows, cols)) * scale).astype("float32")
    if axis not in _softmax_layers:
        _softmax_layers[axis] = keras.layers.Softmax(axis=axis)
    np.testing.assert_allclose(scratch.softmax(z, axis=axis), _numpy(_softmax_layers[axis](z)), **TOL)
    np.testing.assert_allclose(scratch.relu(z), _numpy(keras.layers.ReLU()(z)), **TOL)


def test_softmax_is_stable_for_huge_scores():
    p = scratch.softmax(np.array([1000.0, 1001.0, 999.0]))
    assert np.all(np.isfinite(p)) and np.isclose(p.sum(), 1.0)
    np.testing.assert_allclose(p, scratch.softmax(np.array([1.0, 2.0, 0.0])))


def test_cross_entropy_equals_keras():
    rng = np.random.default_rng(3)
    p = scratch.softmax(rng.normal(size=(8, 10)) * 3)
    labels = rng.integers(0, 10, size=8)
    keras_value = float(keras.losses.SparseCategoricalCrossentropy()(labels, p.astype("float32")))
    assert np.isclose(scratch.cross_entropy(p, labels), keras_value, atol=1e-5)
    assert np.isfinite(scratch.cross_entropy(np.array([[1.0, 0.0]]), [1]))


def test_output_size_and_padding_arithmetic():
    assert scratch.output_size(28, 3) == 26
    assert scratch.output_size(28, 3, 2) == 13
    assert scratch.output_size(28, 4, 2, "same") == 14
    assert scratch.output_size(7, 2, 3, "same") == 3
    assert scratch.same_padding(28, 3) == (1, 1)
    assert scratch.same_padding(7, 2, 1) == (0, 1)  # odd total: the extra row goes after
    assert scratch.same_padding(9, 1, 3) == (0, 0)


def test_counting_helpers_match_the_article_cnn():
    from course_lib import models

    parts = [scratch.conv2d_params(3, 3, 1, 32), scratch.conv2d_params(3, 3, 32, 64),
             scratch.conv2d_params(3, 3, 64, 64), scratch.dense_params(576, 64), scratch.dense_params(64, 10)]
    assert parts == [320, 18_496, 36_928, 36_928, 650]
    assert sum(parts) == models.build_article_cnn().count_params() == 93_322
    assert scratch.conv2d_multiply_adds(26, 26, 3, 3, 1, 32) == 26 * 26 * 32 * 9


@pytest.mark.parametrize("call, message", [
    (lambda: scratch.conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 2, 4))), "input channels"),
    (lambda: scratch.conv2d(np.ones((3, 3)), np.ones((4, 4))), "larger than the input"),
    (lambda: scratch.conv2d(np.ones((5, 5)), np.ones((3, 3)), padding="full"), "padding should be"),
    (lambda: scratch.conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=0), "stride should be"),
    (lambda: scratch.conv2d(np.ones(5), np.ones((3, 3))), "x should be an image"),
    (lambda: scratch.conv2d(np.ones((5, 5)), np.ones((3, 3, 1))), "k should be a kernel"),
    (lambda: scratch.max_pool2d(np.ones((3, 3)), size=4), "larger than the input"),
    (lambda: scratch.max_pool2d(np.ones((2, 3, 4, 5))), "x should be a feature map"),
    (lambda: scratch.avg_pool2d(np.ones((4, 4)), size=2, stride=(1, 0)), "stride should be"),
    (lambda: scratch.avg_pool2d(np.ones((4, 4)), padding=None), "padding should be"),
    (lambda: scratch.dense(np.ones(3), np.ones((3, 2)), np.ones(2)), "pass kernel.T"),
    (lambda: scratch.dense(np.ones(3), np.ones((2, 3)), np.ones(3)), "b should have shape"),
    (lambda: scratch.dense(np.ones((2, 2, 3)), np.ones((2, 3)), np.ones(2)), "flatten images first"),
    (lambda: scratch.softmax(np.ones(3), axis=2), "axis should be"),
    (lambda: scratch.cross_entropy(np.ones((2, 3)) / 3, [0, 3]), "labels should lie"),
    (lambda: scratch.output_size(5, 3, 1, "Valid!"), "padding should be"),
])
def test_wrong_inputs_raise_errors_that_name_the_problem(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="x should be an array of numbers"):
        scratch.conv2d("an image", np.ones((3, 3)))
    with pytest.raises(TypeError, match="stride should be"):
        scratch.conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=1.5)


@pytest.mark.parametrize("call", [
    lambda stride: scratch.correlate2d(np.ones((5, 5)), np.ones((3, 3)), stride=stride),
    lambda stride: scratch.output_size(5, 3, stride),
    lambda stride: scratch.max_pool2d(np.ones((4, 4)), 2, stride),
], ids=["correlate2d", "output_size", "max_pool2d"])
def test_one_rule_for_a_bad_stride_everywhere(call):
    """A wrong kind is a TypeError and a wrong value a ValueError, whichever function checks the stride
    (correlate2d's pair check and output_size's int check used to disagree on 1.5)."""
    for wrong_kind in (1.5, "2", True):
        with pytest.raises(TypeError, match="stride should be a positive int"):
            call(wrong_kind)
    for wrong_value in (0, -1):
        with pytest.raises(ValueError, match="stride should be a positive int"):
            call(wrong_value)
    assert np.asarray(call(np.int64(1))).size > 0, "a NumPy int is an int"
