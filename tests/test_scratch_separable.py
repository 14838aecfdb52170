"""Depthwise and depthwise-separable convolution from scratch against Keras's layers (chapter 09a).

Hypothesis draws image sizes, channel counts, depth multipliers, kernel sizes (even ones included),
strides and both paddings; every result must agree with Keras to 1e-5. TensorFlow's depthwise kernel
accepts equal strides only, so unequal stride pairs are checked against per-channel ``correlate2d``.
The counting formulas are checked against ``count_params()`` and a count of the multiplications.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from course_lib import scratch  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = dict(atol=1e-5, rtol=1e-5)
_layers = {}


@st.composite
def depthwise_cases(draw, equal_strides=True):
    padding = draw(st.sampled_from(["valid", "same"]))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    low_h, low_w = (1, 1) if padding == "same" else (kh, kw)
    height, width = draw(st.integers(low_h, 10)), draw(st.integers(low_w, 10))
    channels, multiplier, c_out = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3) if equal_strides else st.tuples(st.integers(1, 3), st.integers(1, 3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = rng.normal(size=(height, width, channels)).astype("float32")
    depthwise = rng.normal(size=(kh, kw, channels, multiplier)).astype("float32")
    pointwise = rng.normal(size=(1, 1, channels * multiplier, c_out)).astype("float32")
    return x, depthwise, pointwise, stride, padding


def keras_depthwise(x, k, stride, padding):
    key = ("depthwise", k.shape, stride, padding)
    if key not in _layers:
        layer = keras.layers.DepthwiseConv2D(k.shape[:2], strides=stride, padding=padding,
                                             depth_multiplier=k.shape[3], use_bias=False)
        layer.build((None, None, None, k.shape[2]))
        _layers[key] = layer
    layer = _layers[key]
    layer.kernel.assign(k)
    return keras.ops.convert_to_numpy(layer(x[np.newaxis]))[0]


def keras_separable(x, depthwise, pointwise, stride, padding):
    key = ("separable", depthwise.shape, pointwise.shape, stride, padding)
    if key not in _layers:
        layer = keras.layers.SeparableConv2D(pointwise.shape[3], depthwise.shape[:2], strides=stride,
                                             padding=padding, depth_multiplier=depthwise.shape[3],
                                             use_bias=False)
        layer.build((None, None, None, depthwise.shape[2]))
        _layers[key] = layer
    layer = _layers[key]
    layer.depthwise_kernel.assign(depthwise)
    layer.pointwise_kernel.assign(pointwise)
    return keras.ops.convert_to_numpy(layer(x[np.newaxis]))[0]


@SETTINGS
@given(depthwise_cases())
def test_depthwise_conv2d_equals_keras(case):
    x, depthwise, _, stride, padding = case
    np.testing.assert_allclose(scratch.depthwise_conv2d(x, depthwise, stride, padding),
                               keras_depthwise(x, depthwise, stride, padding), **TOL)


@SETTINGS
@given(depthwise_cases())
def test_separable_conv2d_equals_keras(case):
    x, depthwise, pointwise, stride, padding = case
    np.testing.assert_allclose(scratch.separable_conv2d(x, depthwise, pointwise, stride, padding),
                               keras_separable(x, depthwise, pointwise, stride, padding), **TOL)


@SETTINGS
@given(depthwise_cases(equal_strides=False))
def test_depthwise_is_each_channel_on_its_own(case):
    """Output channel c·M + m is channel c correlated with kernel (c, m): no mixing between channels."""
    x, depthwise, pointwise, stride, padding = case
    out = scratch.depthwise_conv2d(x, depthwise, stride, padding)
    channels, multiplier = depthwise.shape[2:]
    for c in range(channels):
        for m in range(multiplier):
            np.testing.assert_allclose(out[..., c * multiplier + m],
                                       scratch.correlate2d(x[..., c], depthwise[:, :, c, m], stride, padding),
                                       **TOL)
    # and the separable layer is the depthwise output mixed by a 1x1 standard convolution
    np.testing.assert_allclose(scratch.separable_conv2d(x, depthwise, pointwise, stride, padding),
                               scratch.correlate2d(out, pointwise), **TOL)


@pytest.mark.parametrize("kh, kw, c_in, c_out, multiplier", [(3, 3, 1, 16, 1), (3, 3, 16, 32, 1),
                                                             (5, 3, 8, 12, 2), (1, 1, 3, 5, 4)])
def test_counting_formulas_match_keras_and_a_hand_count(kh, kw, c_in, c_out, multiplier):
    layer = keras.layers.SeparableConv2D(c_out, (kh, kw), depth_multiplier=multiplier)
    layer.build((None, 10, 10, c_in))
    assert scratch.depthwise_separable_params(kh, kw, c_in, c_out, multiplier) == layer.count_params()
    assert scratch.depthwise_separable_params(kh, kw, c_in, c_out, multiplier, bias=False) \
        == layer.count_params() - c_out
    # multiplications counted directly: each depthwise output value costs kh·kw, each pointwise C·M
    out_h = out_w = 10 - kh + 1
    depthwise_values = out_h * out_w * c_in * multiplier
    pointwise_values = out_h * out_w * c_out
    hand = depthwise_values * kh * kw + pointwise_values * c_in * multiplier
    assert scratch.depthwise_separable_multiply_adds(out_h, out_w, kh, kw, c_in, c_out, multiplier) == hand
    if multiplier == 1:  # the ratio to a standard convolution is 1/C_out + 1/(kh·kw)
        ratio = hand / scratch.conv2d_multiply_adds(out_h, out_w, kh, kw, c_in, c_out)
        assert ratio == pytest.approx(1 / c_out + 1 / (kh * kw))


@pytest.mark.parametrize("call, message", [
    (lambda: scratch.depthwise_conv2d(np.ones((5, 5)), np.ones((3, 3, 1, 1))), "x should be a feature map"),
    (lambda: scratch.depthwise_conv2d(np.ones((5, 5, 2)), np.ones((3, 3, 2))), "depthwise kernel"),
    (lambda: scratch.depthwise_conv2d(np.ones((5, 5, 2)), np.ones((3, 3, 3, 1))), "input channels"),
    (lambda: scratch.depthwise_conv2d(np.ones((2, 2, 1)), np.ones((3, 3, 1, 1))), "larger than the input"),
    (lambda: scratch.depthwise_conv2d(np.ones((5, 5, 1)), np.ones((3, 3, 1, 1)), stride=0), "stride"),
    (lambda: scratch.separable_conv2d(np.ones((5, 5, 2)), np.ones((3, 3, 2, 2)), np.ones((3, 3, 4, 1))),
     "1×1 kernel"),
    (lambda: scratch.separable_conv2d(np.ones((5, 5, 2)), np.ones((3, 3, 2, 2)), np.ones((1, 1, 2, 1))),
     "C·M = 4"),
    (lambda: scratch.depthwise_separable_params(3, 3, 0, 4), "c_in should be"),
])
def test_wrong_inputs_raise_errors_that_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
