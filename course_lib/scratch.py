"""NumPy reference versions of the operations the course teaches (chapters 02–04, 06 and 09a).

Each function follows the source article's formula, and each is checked against the matching
Keras layer in its chapter and in ``tests/test_scratch.py``.

Layouts follow Keras (channels last): an image is (H, W) or (H, W, C); a convolution kernel is
(kh, kw) or (kh, kw, C_in, C_out). ``padding`` is ``"valid"`` (no padding: the window stays inside
the image) or ``"same"`` (pad so that the output has ceil(H / stride) rows, with the extra row of
an odd total padding at the bottom/right, exactly as Keras and TensorFlow do).
"""
from __future__ import annotations

from course_lib import _validate

import numpy as np

PADDINGS = ("valid", "same")


# ---------------------------------------------------------------------------------------------
# Argument checking and output-size arithmetic (chapter 02)
# ---------------------------------------------------------------------------------------------

def _pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints, each >= 1, as a pair.

    As everywhere in course_lib (``_validate``): a wrong kind (``1.5``, ``"2"``, a pair holding a float)
    is a ``TypeError``, a wrong value (``0``, a triple) a ``ValueError``.
    """
    expected = "a positive int or a pair of positive ints"
    if _validate.is_int(value):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or not all(_validate.is_int(v) for v in value):
        raise TypeError(f"{name} should be {expected}, got {_validate.shown(value)}")
    if len(value) != 2 or min(value) < 1:
        raise ValueError(f"{name} should be {expected}, got {value!r}")
    return int(value[0]), int(value[1])


def _padding(padding) -> str:
    if not isinstance(padding, str) or padding.lower() not in PADDINGS:
        raise ValueError(f"padding should be 'valid' or 'same', got {padding!r}")
    return padding.lower()


def _float_array(value, name: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} should be an array of numbers, got {type(value).__name__}") from None
    return array


def _positive_ints(**values) -> None:
    for name, value in values.items():
        _validate.positive_int(value, name)


def output_size(n: int, k: int, stride: int = 1, padding: str = "valid") -> int:
    """Length of a convolution's or pooling's output along one axis (chapter 02).

    ``"valid"``: floor((n − k) / stride) + 1, the number of window positions inside the input.
    ``"same"``: ceil(n / stride), whatever the kernel size (the input is padded to make it so).
    """
    padding = _padding(padding)
    _positive_ints(n=n, k=k, stride=stride)
    if padding == "same":
        return -(-n // stride)
    if k > n:
        raise ValueError(f"with padding='valid' the window ({k}) cannot be larger than the input ({n})")
    return (n - k) // stride + 1


def same_padding(n: int, k: int, stride: int = 1) -> tuple[int, int]:
    """Rows (or columns) Keras adds (before, after) with ``padding="same"`` (chapter 02).

    The total is whatever makes the output ceil(n / stride) long; when it is odd the extra one goes
    after (bottom or right). With stride 1 and an odd kernel this is (k − 1) / 2 on each side.
    """
    out = output_size(n, k, stride, "same")
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def _windows(x: np.ndarray, size, stride, padding: str, fill: float) -> np.ndarray:
    """All windows of an (H, W, C) array: shape (H_out, W_out, C, kh, kw) (a view when possible)."""
    (kh, kw), (sh, sw) = size, stride
    height, width = x.shape[:2]
    if padding == "same":
        top, bottom = same_padding(height, kh, sh)
        left, right = same_padding(width, kw, sw)
        x = np.pad(x, ((top, bottom), (left, right), (0, 0)), constant_values=fill)
    elif kh > height or kw > width:
        raise ValueError(
            f"the window ({kh}×{kw}) is larger than the input ({height}×{width}); with padding='valid' "
            "it must fit inside (use a smaller window or padding='same')"
        )
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(0, 1))
    out_h, out_w = output_size(height, kh, sh, padding), output_size(width, kw, sw, padding)
    return windows[: (out_h - 1) * sh + 1 : sh, : (out_w - 1) * sw + 1 : sw]


# ---------------------------------------------------------------------------------------------
# Convolution (chapter 02)
# ---------------------------------------------------------------------------------------------

def correlate2d(x, k, stride=1, padding="valid") -> np.ndarray:
    """Cross-correlation, which is what Keras ``Conv2D`` computes (chapter 02).

    Y(i, j) = Σ_m Σ_n X(i·s + m, j·s + n) K(m, n): the kernel slides over the image unflipped.

    Shapes: ``x`` (H, W) or (H, W, C_in); ``k`` (kh, kw) or (kh, kw, C_in, C_out) (Keras's kernel
    layout). Returns (H_out, W_out) for a 2-D image and a 2-D kernel, (H_out, W_out, C_out) for a
    4-D kernel, and (H_out, W_out, C) when a 2-D kernel meets a C-channel image (the same kernel
    applied to each channel on its own, as photo editors do). No bias, no activation.
    """
    x = _float_array(x, "x")
    k = _float_array(k, "k")
    stride = _pair(stride, "stride")
    padding = _padding(padding)
    if x.ndim not in (2, 3):
        raise ValueError(f"x should be an image (H, W) or (H, W, C_in), got shape {x.shape}")
    if k.ndim not in (2, 4):
        raise ValueError(f"k should be a kernel (kh, kw) or (kh, kw, C_in, C_out), got shape {k.shape}")
    if min(x.shape) == 0 or min(k.shape) == 0:
        raise ValueError(f"x and k should not be empty, got shapes {x.shape} and {k.shape}")
    if k.ndim == 2:
        image = x if x.ndim == 3 else x[..., np.newaxis]
        windows = _windows(image, k.shape, stride, padding, 0.0)  # (H', W', C, kh, kw)
        out = np.tensordot(windows, k, axes=([3, 4], [0, 1]))
        return out if x.ndim == 3 else out[..., 0]
    channels = 1 if x.ndim == 2 else x.shape[2]
    if k.shape[2] != channels:
        raise ValueError(
            f"k expects {k.shape[2]} input channels (its shape is {k.shape} = (kh, kw, C_in, C_out)) but x "
            f"has {channels} (shape {x.shape}); the third axis of k must equal the channels of x"
        )
    image = x if x.ndim == 3 else x[..., np.newaxis]
    windows = _windows(image, k.shape[:2], stride, padding, 0.0)
    return np.tensordot(windows, k, axes=([2, 3, 4], [2, 0, 1]))


def flip_kernel(k) -> np.ndarray:
    """Turn a kernel upside down and left to right (its two spatial axes), channels untouched.

    Convolution with K equals cross-correlation with the flipped K (chapter 02).
    """
    k = _float_array(k, "k")
    if k.ndim not in (2, 4):
        raise ValueError(f"k should be a kernel (kh, kw) or (kh, kw, C_in, C_out), got shape {k.shape}")
    return k[::-1, ::-1].copy()


def conv2d(x, k, stride=1, padding="valid") -> np.ndarray:
    """True convolution, the article's (F * K)(i, j) = Σ_m Σ_n F(i − m, j − n) K(m, n) (chapter 02).

    The kernel is flipped before it slides, which is the only difference from ``correlate2d`` (and
    from Keras ``Conv2D``): ``conv2d(x, k) == correlate2d(x, flip_kernel(k))``. With
    ``padding="valid"`` output (i, j) is the article's (F * K)(i + kh − 1, j + kw − 1): the
    formula's sum counts i from the first position where the flipped kernel touches the image, the
    output from the first where it lies entirely inside. Shapes and padding as in ``correlate2d``.
    """
    return correlate2d(x, flip_kernel(k), stride=stride, padding=padding)


def conv2d_multiply_adds(out_height: int, out_width: int, kh: int, kw: int, c_in: int, c_out: int) -> int:
    """Multiply-adds of one convolution layer: every output value costs kh·kw·C_in of them (chapter 03)."""
    _positive_ints(out_height=out_height, out_width=out_width, kh=kh, kw=kw, c_in=c_in, c_out=c_out)
    return int(out_height * out_width * c_out * kh * kw * c_in)


def conv2d_params(kh: int, kw: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Parameters of a Conv2D layer: (kh·kw·C_in + 1)·C_out with a bias, one per filter (chapter 04)."""
    _positive_ints(kh=kh, kw=kw, c_in=c_in, c_out=c_out)
    return int((kh * kw * c_in + (1 if bias else 0)) * c_out)


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Parameters of a Dense layer: W has n_out·n_in entries, b has n_out (chapter 04)."""
    _positive_ints(n_in=n_in, n_out=n_out)
    return int(n_in * n_out + (n_out if bias else 0))


def _map_and_kernel(x, k, kind: str, layout: str, channel_axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (H, W, C) and a 4-D ``kind`` kernel ``k`` in ``layout`` (both named in messages) whose axis
    ``channel_axis`` must match the channels of ``x``: both as float arrays, or a clear error."""
    x, k = _float_array(x, "x"), _float_array(k, "k")
    if x.ndim != 3:
        raise ValueError(f"x should be a feature map (H, W, C), got shape {x.shape}")
    if k.ndim != 4:
        raise ValueError(f"k should be a {kind} kernel {layout}, got shape {k.shape}")
    if min(x.shape) == 0 or min(k.shape) == 0:
        raise ValueError(f"x and k should not be empty, got shapes {x.shape} and {k.shape}")
    if k.shape[channel_axis] != x.shape[2]:
        which = {2: "third", 3: "last"}[channel_axis]
        raise ValueError(
            f"k expects {k.shape[channel_axis]} input channels (its shape is {k.shape} = {layout}) but x has "
            f"{x.shape[2]} (shape {x.shape}); the {which} axis of k must equal the channels of x"
        )
    return x, k


def transpose_output_size(n: int, k: int, stride: int = 1, padding: str = "valid") -> int:
    """Length of a transposed convolution's output along one axis, as Keras computes it.

    ``"valid"``: n·stride + max(k − stride, 0), every input pixel's stamp kept whole (when the kernel
    is smaller than the stride, the gaps between stamps count too); ``"same"``: n·stride.
    """
    padding = _padding(padding)
    _positive_ints(n=n, k=k, stride=stride)
    return n * stride if padding == "same" else n * stride + max(k - stride, 0)


def conv2d_transpose(x, k, stride=1, padding="valid") -> np.ndarray:
    """Transposed convolution (转置卷积, often called "deconvolution"), as GAN generators use it (chapter 07).

    Every input pixel stamps the kernel, scaled by its value, onto the output, and the stamps of
    neighbouring pixels, ``stride`` apart, add up where they overlap: a learned upsampling.
    ``x`` (H, W, C_in); ``k`` (kh, kw, C_out, C_in), the layout Keras's ``Conv2DTranspose`` stores
    (output channels before input channels, the reverse of ``Conv2D``). Equal to
    ``Conv2DTranspose(C_out, (kh, kw), strides=stride, padding=padding, use_bias=False)``;
    output size from ``transpose_output_size``. It is the *adjoint* of a strided cross-correlation
    with the same kernel (⟨conv(y), x⟩ = ⟨y, conv_transpose(x)⟩), not its inverse: it restores the
    shape, not the values.
    """
    x, k = _map_and_kernel(x, k, "transposed-convolution", "(kh, kw, C_out, C_in)", channel_axis=3)
    (sh, sw), padding = _pair(stride, "stride"), _padding(padding)
    (height, width, _), (kh, kw, c_out, _) = x.shape, k.shape
    full = np.zeros((transpose_output_size(height, kh, sh), transpose_output_size(width, kw, sw), c_out))
    stamps = np.einsum("ijc,abdc->ijabd", x, k)    # each input pixel's kernel stamp: (H, W, kh, kw, C_out)
    for i in range(height):
        for j in range(width):
            full[i * sh:i * sh + kh, j * sw:j * sw + kw] += stamps[i, j]
    if padding == "valid":
        return full
    # "same" keeps height·stride rows: the rows a "same" convolution of that size would have read, so the
    # crop at the start is that convolution's padding before (same_padding), the rest is cut at the end
    out = np.zeros((height * sh, width * sw, c_out))
    top, left = same_padding(height * sh, kh, sh)[0], same_padding(width * sw, kw, sw)[0]
    rows, cols = min(height * sh, full.shape[0] - top), min(width * sw, full.shape[1] - left)
    out[:rows, :cols] = full[top:top + rows, left:left + cols]
    return out


# ---------------------------------------------------------------------------------------------
# Depthwise and depthwise-separable convolution (chapter 09a, the FAQ's lightweight models)
# ---------------------------------------------------------------------------------------------

def depthwise_conv2d(x, k, stride=1, padding="valid") -> np.ndarray:
    """Depthwise convolution: each input channel filtered on its own by M kernels (chapter 09a).

    ``x`` (H, W, C); ``k`` (kh, kw, C, M), Keras's ``DepthwiseConv2D`` kernel layout with
    ``depth_multiplier=M``. Output channel c·M + m is channel c correlated with ``k[:, :, c, m]``,
    so the result is (H', W', C·M), channels grouped by input channel as Keras orders them. No
    channel mixing: that is the pointwise step's job in ``separable_conv2d``.
    """
    x, k = _map_and_kernel(x, k, "depthwise", "(kh, kw, C, M)", channel_axis=2)
    stride, padding = _pair(stride, "stride"), _padding(padding)
    windows = _windows(x, k.shape[:2], stride, padding, 0.0)  # (H', W', C, kh, kw)
    out = np.einsum("ijcab,abcm->ijcm", windows, k)
    return out.reshape(out.shape[0], out.shape[1], -1)


def separable_conv2d(x, depthwise, pointwise, stride=1, padding="valid") -> np.ndarray:
    """Depthwise-separable convolution: a depthwise step, then a 1×1 convolution (chapter 09a).

    ``depthwise`` (kh, kw, C, M) filters each channel in space; ``pointwise`` (1, 1, C·M, C_out)
    mixes the channels at each pixel. Equal to Keras's ``SeparableConv2D(use_bias=False)`` holding
    these two kernels; stride and padding belong to the depthwise step.
    """
    pointwise = _float_array(pointwise, "pointwise")
    spatial = depthwise_conv2d(x, depthwise, stride=stride, padding=padding)
    if pointwise.ndim != 4 or pointwise.shape[:2] != (1, 1):
        raise ValueError(f"pointwise should be a 1×1 kernel (1, 1, C·M, C_out), got shape {pointwise.shape}")
    if pointwise.shape[2] != spatial.shape[2]:
        raise ValueError(
            f"pointwise expects {pointwise.shape[2]} input channels but the depthwise step gives C·M = "
            f"{spatial.shape[2]}; pointwise should be (1, 1, {spatial.shape[2]}, C_out)"
        )
    return np.tensordot(spatial, pointwise[0, 0], axes=([2], [0]))


def depthwise_separable_params(kh: int, kw: int, c_in: int, c_out: int, depth_multiplier: int = 1,
                               bias: bool = True) -> int:
    """Parameters of a SeparableConv2D layer: kh·kw·C·M depthwise + C·M·C_out pointwise (+ C_out bias)."""
    _positive_ints(kh=kh, kw=kw, c_in=c_in, c_out=c_out, depth_multiplier=depth_multiplier)
    return int(kh * kw * c_in * depth_multiplier + c_in * depth_multiplier * c_out + (c_out if bias else 0))


def depthwise_separable_multiply_adds(out_height: int, out_width: int, kh: int, kw: int, c_in: int,
                                      c_out: int, depth_multiplier: int = 1) -> int:
    """Multiply-adds of a separable layer: H'·W'·(kh·kw·C·M + C·M·C_out).

    Divided by a standard convolution's H'·W'·kh·kw·C·C_out (with M = 1) this is 1/C_out + 1/(kh·kw):
    the saving MobileNet is built on, about 8 to 9 times for 3×3 kernels and many channels.
    """
    _positive_ints(out_height=out_height, out_width=out_width, kh=kh, kw=kw, c_in=c_in, c_out=c_out,
                   depth_multiplier=depth_multiplier)
    per_pixel = kh * kw * c_in * depth_multiplier + c_in * depth_multiplier * c_out
    return int(out_height * out_width * per_pixel)


# ---------------------------------------------------------------------------------------------
# Pooling (chapter 03)
# ---------------------------------------------------------------------------------------------

def _pool(x, size, stride, padding, kind: str) -> np.ndarray:
    x = _float_array(x, "x")
    if x.ndim not in (2, 3):
        raise ValueError(f"x should be a feature map (H, W) or (H, W, C), got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"x should not be empty, got shape {x.shape}")
    size = _pair(size, "size")
    stride = size if stride is None else _pair(stride, "stride")
    padding = _padding(padding)
    image = x if x.ndim == 3 else x[..., np.newaxis]
    if kind == "max":
        windows = _windows(image, size, stride, padding, -np.inf)
        out = windows.max(axis=(3, 4))
    else:
        # Keras averages only the real values under the window: padded cells are not counted.
        totals = _windows(image, size, stride, padding, 0.0).sum(axis=(3, 4))
        counts = _windows(np.ones(image.shape[:2] + (1,)), size, stride, padding, 0.0).sum(axis=(3, 4))
        out = totals / counts
    return out if x.ndim == 3 else out[..., 0]


def max_pool2d(x, size=2, stride=None, padding="valid") -> np.ndarray:
    """Max pooling, the article's Y(i, j) = max_{m,n} X(i·s + m, j·s + n) (chapter 03).

    Same semantics as Keras ``MaxPooling2D(pool_size=size, strides=stride, padding=padding)``:
    ``stride`` defaults to ``size`` (windows side by side, no overlap); each channel is pooled on
    its own; with ``"same"`` the padded cells never win the max. ``x`` is (H, W) or (H, W, C).
    """
    return _pool(x, size, stride, padding, "max")


def avg_pool2d(x, size=2, stride=None, padding="valid") -> np.ndarray:
    """Average pooling: the mean of each window instead of its maximum (chapter 03).

    Same semantics as Keras ``AveragePooling2D``; with ``"same"`` a window that hangs over the edge
    averages only the real values under it.
    """
    return _pool(x, size, stride, padding, "avg")


# ---------------------------------------------------------------------------------------------
# Dense layers, activations and the loss (chapter 04)
# ---------------------------------------------------------------------------------------------

def dense(x, W, b) -> np.ndarray:
    """A fully connected layer, the article's Y = WX + b (chapter 04).

    ``W`` has shape (n_out, n_in) as in the formula, ``b`` shape (n_out,). ``x`` is one input
    vector (n_in,) or a batch (N, n_in), one example per row; a batch returns (N, n_out), each row
    W x + b. Keras stores the transpose: a ``Dense`` layer computes ``x @ kernel + bias`` with
    ``kernel`` of shape (n_in, n_out), so ``W = kernel.T`` and
    ``dense(x, layer.kernel.T, layer.bias)`` equals ``layer(x)``. No activation.
    """
    x = _float_array(x, "x")
    W = _float_array(W, "W")
    b = _float_array(b, "b")
    if W.ndim != 2:
        raise ValueError(f"W should be a matrix (n_out, n_in), got shape {W.shape}")
    n_out, n_in = W.shape
    if x.ndim not in (1, 2):
        raise ValueError(
            f"x should be a vector (n_in,) or a batch (N, n_in), got shape {x.shape}; flatten images first"
        )
    if x.shape[-1] != n_in:
        hint = ""
        if W.shape[0] == x.shape[-1]:
            hint = " (W looks like a Keras kernel (n_in, n_out): pass kernel.T)"
        raise ValueError(
            f"x has {x.shape[-1]} features but W {W.shape} expects n_in = {n_in}{hint}"
        )
    if b.shape != (n_out,):
        raise ValueError(f"b should have shape (n_out,) = ({n_out},) to match W {W.shape}, got {b.shape}")
    return x @ W.T + b


def relu(x) -> np.ndarray:
    """ReLU, max(0, x) element by element (chapter 04)."""
    return np.maximum(_float_array(x, "x"), 0.0)


def softmax(x, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: exp(z_i) / Σ_j exp(z_j), computed stably (chapter 04).

    Subtracting the largest value first changes nothing mathematically (the factor exp(−max)
    cancels) but keeps exp from overflowing for large scores such as 1000.
    """
    z = _float_array(x, "x")
    if z.ndim == 0:
        raise ValueError("x should have at least one axis of scores, got a scalar")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis should be in [{-z.ndim}, {z.ndim - 1}] for x of shape {z.shape}, got {axis}")
    shifted = z - z.max(axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=axis, keepdims=True)


def cross_entropy(probabilities, labels, eps: float = 1e-7) -> float:
    """Mean sparse categorical cross-entropy, −mean log p[label] (chapter 04).

    ``probabilities`` (N, classes), each row a softmax output; ``labels`` N class indices. Values
    are clipped into [eps, 1 − eps] first, as Keras does, so a zero probability gives a large
    finite loss instead of infinity.
    """
    p = _float_array(probabilities, "probabilities")
    if p.ndim != 2:
        raise ValueError(f"probabilities should be (N, classes), got shape {p.shape}")
    labels = np.asarray(labels)
    if labels.shape != (p.shape[0],):
        raise ValueError(f"labels should be {p.shape[0]} class indices (one per row), "
                         f"got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.asarray(labels, dtype=float) == np.round(np.asarray(labels, dtype=float))):
            raise ValueError("labels should be whole class indices, not one-hot rows or probabilities")
        labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= p.shape[1]):
        raise ValueError(f"labels should lie in 0..{p.shape[1] - 1}, "
                         f"got values in [{labels.min()}, {labels.max()}]")
    picked = np.clip(p[np.arange(len(labels)), labels], eps, 1 - eps)
    return float(-np.mean(np.log(picked)))


def gan_value(d_real, d_fake, eps: float | None = None) -> float:
    """The empirical GAN objective V(D, G) of the article's section 4.2 (chapter 06).

    V = mean(log D(x)) over real samples + mean(log(1 − D(G(z)))) over generated samples.
    ``d_real`` and ``d_fake`` are the discriminator's outputs, probabilities in [0, 1].

    An output of exactly 0 for a real sample (or 1 for a fake one) makes V = −inf, which is the
    true value of the formula but useless for learning; pass ``eps`` (e.g. 1e-7) to clip the
    outputs into [eps, 1 − eps] as Keras's binary cross-entropy does. Without ``eps`` such inputs
    raise a ``ValueError`` that says which array holds the saturated value.
    """
    arrays = {}
    for name, values in (("d_real", d_real), ("d_fake", d_fake)):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} should be an array of probabilities, "
                            f"got {type(values).__name__}") from None
        if array.size == 0:
            raise ValueError(f"{name} is empty; it needs at least one discriminator output")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains NaN or infinity; "
                             "discriminator outputs are probabilities in [0, 1]")
        if array.min() < 0 or array.max() > 1:
            raise ValueError(
                f"{name} should hold probabilities in [0, 1], "
                f"got values in [{array.min():.3g}, {array.max():.3g}]"
                " (did you pass logits? apply a sigmoid first)"
            )
        arrays[name] = array.ravel()
    real, fake = arrays["d_real"], arrays["d_fake"]
    if eps is not None:
        if not 0 < eps < 0.5:
            raise ValueError(f"eps should be in (0, 0.5), got {eps!r}")
        real, fake = np.clip(real, eps, 1 - eps), np.clip(fake, eps, 1 - eps)
    else:
        if np.any(real == 0):
            raise ValueError("d_real contains 0: log D(x) = −inf for that real sample; "
                             "pass eps=1e-7 to clip")
        if np.any(fake == 1):
            raise ValueError("d_fake contains 1: log(1 − D(G(z))) = −inf for that sample; "
                             "pass eps=1e-7 to clip")
    return float(np.mean(np.log(real)) + np.mean(np.log1p(-fake)))
