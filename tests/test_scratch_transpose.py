"""scratch.conv2d_transpose equals Keras's Conv2DTranspose(use_bias=False) and is the adjoint of a strided
cross-correlation with the same kernel (not its inverse)."""
from course_lib import scratch

import keras
import numpy as np
import pytest

rng = np.random.default_rng(7)
CASES = [(int(h), int(w), int(ci), int(co), int(kh), int(kw), (int(sh), int(sw)), padding)
         for (h, w, ci, co, kh, kw, sh, sw), padding in zip(
             (rng.integers(1, 7, 8) for _ in range(24)), ["valid", "same"] * 12)]
CASES += [(3, 3, 2, 1, 4, 4, (2, 2), "same"), (7, 7, 1, 2, 5, 5, (2, 2), "same"),     # a DCGAN's upsampling
          (4, 4, 1, 1, 1, 1, (3, 3), "valid")]                           # kernel smaller than stride


@pytest.mark.parametrize("h, w, c_in, c_out, kh, kw, stride, padding", CASES)
def test_equals_keras_conv2d_transpose(h, w, c_in, c_out, kh, kw, stride, padding):
    x = np.random.default_rng(h * 100 + kh).normal(size=(h, w, c_in)).astype("float32")
    layer = keras.layers.Conv2DTranspose(c_out, (kh, kw), strides=stride, padding=padding, use_bias=False)
    expected = keras.ops.convert_to_numpy(layer(x[None]))[0]
    kernel = layer.get_weights()[0]
    assert kernel.shape == (kh, kw, c_out, c_in)
    got = scratch.conv2d_transpose(x, kernel, stride=stride, padding=padding)
    assert got.shape == expected.shape == (scratch.transpose_output_size(h, kh, stride[0], padding),
                                           scratch.transpose_output_size(w, kw, stride[1], padding), c_out)
    np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_adjoint_of_a_strided_correlation(stride):
    generator = np.random.default_rng(stride)
    x = generator.normal(size=(5, 4, 2))
    k = generator.normal(size=(3, 3, 3, 2))              # (kh, kw, C_out, C_in)
    up = scratch.conv2d_transpose(x, k, stride=stride)
    y = generator.normal(size=up.shape)
    down = scratch.correlate2d(y, k, stride=stride)      # Conv2D reads the same kernel as (kh, kw, in, out)
    assert down.shape == x.shape
    assert np.isclose(np.sum(down * x), np.sum(y * up)), "<conv(y), x> = <y, conv_transpose(x)>"
    assert not np.allclose(scratch.correlate2d(up, k, stride=stride), x), "the adjoint is not an inverse"


def test_stride_2_kernel_2_stamps_without_overlap():
    x = np.arange(4.0).reshape(2, 2, 1)
    k = np.ones((2, 2, 1, 1))
    out = scratch.conv2d_transpose(x, k, stride=2)[..., 0]
    assert np.array_equal(out, np.kron(x[..., 0], np.ones((2, 2)))), "each pixel becomes a 2×2 block"


def test_clear_errors():
    with pytest.raises(ValueError, match=r"last axis of k must equal the channels of x"):
        scratch.conv2d_transpose(np.zeros((3, 3, 2)), np.zeros((3, 3, 1, 3)))
    with pytest.raises(ValueError, match=r"feature map \(H, W, C\)"):
        scratch.conv2d_transpose(np.zeros((3, 3)), np.zeros((3, 3, 1, 1)))
    with pytest.raises(ValueError, match=r"\(kh, kw, C_out, C_in\)"):
        scratch.conv2d_transpose(np.zeros((3, 3, 1)), np.zeros((3, 3, 1)))
    with pytest.raises(ValueError, match="padding"):
        scratch.conv2d_transpose(np.zeros((3, 3, 1)), np.zeros((3, 3, 1, 1)), padding="full")
