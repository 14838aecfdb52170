"""Checkers for chapter 04 (dense layers): parameter counts, softmax, cross-entropy, backpropagation."""
from __future__ import annotations

from course_lib import scratch
from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_choices,
    expect_close,
    expect_equal_number,
    expect_shape,
    multiple_choice,
)

import numpy as np


def _hidden_layer_problem(seed: int = 4):
    """A small batch for the network x → ReLU(x W1 + b1) → softmax(· W2 + b2), in Keras's orientation."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(8, 6)).astype("float32")
    labels = rng.integers(0, 4, size=8)
    W1 = rng.normal(size=(6, 5)).astype("float32")
    b1 = (0.1 * rng.normal(size=5)).astype("float32")
    W2 = rng.normal(size=(5, 4)).astype("float32")
    b2 = (0.1 * rng.normal(size=4)).astype("float32")
    return x, labels, W1, b1, W2, b2


def _autodiff_hidden_gradients(x, labels, W1, b1, W2, b2):
    """∂L/∂W1 and ∂L/∂b1 of the batch's mean cross-entropy, by the backend's automatic differentiation."""
    from course_lib import autodiff

    import keras

    one_hot = np.eye(W2.shape[1], dtype="float32")[labels]

    def mean_loss(W1_, b1_):
        hidden = keras.ops.relu(keras.ops.matmul(x, W1_) + b1_)
        scores = keras.ops.matmul(hidden, W2) + b2
        losses = -keras.ops.sum(one_hot * keras.ops.log_softmax(scores, axis=-1), axis=-1)
        return keras.ops.reshape(keras.ops.mean(losses), (1,))

    _, grad_W1 = autodiff.input_gradient(lambda W1_: mean_loss(W1_, b1), W1)
    _, grad_b1 = autodiff.input_gradient(lambda b1_: mean_loss(W1, b1_[0]), b1[np.newaxis])
    return grad_W1.astype(float), grad_b1[0].astype(float)


def _hand_hidden_gradients(x, labels, W1, b1, W2, b2, relu_mask=True, mean=True):
    """The same gradients in NumPy, with two usual slips on demand (no ReLU mask; the sum, not the mean)."""
    x, W1, b1, W2, b2 = (np.asarray(a, dtype=float) for a in (x, W1, b1, W2, b2))
    pre = x @ W1 + b1
    error = scratch.softmax(np.maximum(pre, 0) @ W2 + b2) - np.eye(W2.shape[1])[labels]
    error = error / len(x) if mean else error
    back = error @ W2.T * ((pre > 0) if relu_mask else 1.0)
    return x.T @ back, back.sum(axis=0)


@checker("hidden_layer_gradients: backpropagation through a hidden layer")
def check_hidden_layer_gradients(hidden_layer_gradients):
    """``hidden_layer_gradients(x, labels, W1, b1, W2, b2)`` → (∂L/∂W1, ∂L/∂b1), compared with automatic
    differentiation computed here on the course's backend."""
    problem = _hidden_layer_problem()
    x, labels, W1, b1, W2, b2 = problem
    answer = call(hidden_layer_gradients, *(a.copy() for a in problem))
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Hint(f"return a pair (gradient of W1, gradient of b1), got {type(answer).__name__}")
    grad_W1 = as_array(answer[0], "the gradient of W1")
    grad_b1 = as_array(answer[1], "the gradient of b1")
    if grad_W1.shape == W1.T.shape and W1.shape != W1.T.shape:
        raise Hint(f"the gradient of W1 has shape {grad_W1.shape}: in Keras's orientation W1 is "
                   f"(n_in, hidden) = {W1.shape}, and its gradient has the shape of W1 (x.T @ something)")
    expect_shape(grad_W1, W1.shape, "the gradient of W1")
    expect_shape(grad_b1, b1.shape, "the gradient of b1")
    expected_W1, expected_b1 = _autodiff_hidden_gradients(*problem)
    got = (grad_W1, grad_b1)

    def matches(candidate):
        return all(np.allclose(g, c, rtol=1e-3, atol=1e-5) for g, c in zip(got, candidate))

    if not matches((expected_W1, expected_b1)):
        if matches(_hand_hidden_gradients(*problem, relu_mask=False)):
            raise Hint("the ReLU is missing on the way back: a ReLU passes the gradient only where its input "
                       "x W1 + b1 was positive, and blocks it (0) elsewhere")
        if matches(_hand_hidden_gradients(*problem, mean=False)):
            raise Hint(f"your gradients are {len(x)} times too large: the loss is the batch's *mean* "
                       "cross-entropy, so divide p − y by the batch size")
        if matches(tuple(-g for g in (expected_W1, expected_b1))):
            raise Hint("the sign is wrong: the error at the scores is p − y (predicted minus one-hot), "
                       "not y − p")
        expect_close(grad_W1, expected_W1, "the gradient of W1", atol=1e-5, rtol=1e-3,
                     hint="carry p − y back through W2 (error @ W2.T), then through the ReLU, then to W1 "
                          "with x.T @ (…)")
        expect_close(grad_b1, expected_b1, "the gradient of b1", atol=1e-5, rtol=1e-3,
                     hint="b1's gradient is the error that reaches the hidden layer, summed over the batch")
    return ("both gradients equal automatic differentiation's: p − y, back through W2, gated by the ReLU, "
            "is backpropagation.")


@checker("cross_entropy: the loss the article's model minimises")
def check_cross_entropy(cross_entropy):
    """``cross_entropy(probabilities, labels)``: mean of −log p[label] over the batch."""
    rng = np.random.default_rng(2)
    p = scratch.softmax(rng.normal(size=(6, 4)) * 2)
    labels = rng.integers(0, 4, size=6)
    got = call(cross_entropy, p.copy(), labels.copy())
    if isinstance(got, (list, tuple, np.ndarray)) and np.size(got) > 1:
        raise Hint(f"return one number, the mean over the batch, not {np.shape(got)} values")
    expected = scratch.cross_entropy(p, labels)
    rows = -np.log(p[np.arange(6), labels])
    if isinstance(got, (int, float, np.floating)) and not isinstance(got, bool):
        if np.isclose(float(got), rows.sum()):
            raise Hint("that is the sum over the batch; Keras reports the mean")
        if np.isclose(float(got), -expected):
            raise Hint("the sign is wrong: the loss is −log p, a positive number")
    expect_equal_number(got, expected, "cross_entropy(p, labels)", tolerance=1e-5,
                        hint="For each row take the probability of its true label, p[i, labels[i]], "
                             "then average −log of them.")


def _side_after(size, kernel, stride, padding):
    """Pixels per side after a convolution: ceil(n / s) with "same" padding, floor((n − k) / s) + 1 with
    "valid" (chapter 02's rule)."""
    return -(-size // stride) if padding == "same" else (size - kernel) // stride + 1


def _cnn_params(input_size, layer_list, biases=True, same_as_valid=False, ignore_stride=False,
                pool_rounds_up=False):
    """The parameters of a Sequential CNN on input_size × input_size × 1 images (the checker's reference),
    with three usual slips on demand."""
    size, width, total = input_size, 1, 0
    for spec in layer_list:
        kind = spec[0]
        if kind == "conv":
            _, filters, kernel, stride, padding = spec
            total += (kernel * kernel * width + int(biases)) * filters
            size = _side_after(size, kernel, 1 if ignore_stride else stride,
                               "valid" if same_as_valid else padding)
            width = filters
        elif kind == "pool":
            size = -(-size // spec[1]) if pool_rounds_up else size // spec[1]
        elif kind == "flatten":
            size, width = 1, size * size * width
        else:
            total += (width + int(biases)) * spec[1]
            width = spec[1]
    return total


ARTICLE_LAYERS = [("conv", 32, 3, 1, "valid"), ("pool", 2), ("conv", 64, 3, 1, "valid"), ("pool", 2),
                  ("conv", 64, 3, 1, "valid"), ("flatten",), ("dense", 64), ("dense", 10)]
SAME_LAYERS = [(spec[0], *spec[1:4], "same") if spec[0] == "conv" else spec for spec in ARTICLE_LAYERS]


@checker("cnn_params: the parameters of a CNN you have not seen")
def check_cnn_params(cnn_params):
    """``cnn_params(input_size, layer_list)`` → the number of parameters of a Sequential CNN on
    input_size × input_size × 1 images; ``layer_list`` holds ("conv", filters, kernel, stride, padding),
    ("pool", p), ("flatten",) and ("dense", units)."""
    cases = [(28, ARTICLE_LAYERS), (28, SAME_LAYERS),
             (28, [("conv", 16, 3, 2, "same"), ("conv", 32, 3, 2, "same"), ("flatten",), ("dense", 10)]),
             (29, [("conv", 8, 5, 2, "valid"), ("pool", 2), ("flatten",), ("dense", 3)]),
             (15, [("conv", 4, 3, 2, "same"), ("flatten",), ("dense", 2)])]
    for size, layer_list in cases:
        expected = _cnn_params(size, layer_list)
        got = call(cnn_params, size, [tuple(spec) for spec in layer_list])
        if isinstance(got, (list, tuple, np.ndarray)) and np.size(got) == 1:
            got = np.asarray(got).item()
        if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
            raise Hint(f"cnn_params should return one number, got {type(got).__name__} {got!r}")
        if got == expected:
            continue
        where = f"cnn_params({size}, {layer_list}) returned {got}, not the right count"
        slips = [(dict(biases=False), "the biases are missing: every filter and every dense unit has one"),
                 (dict(same_as_valid=True), "a convolution with padding='same' keeps ceil(n / stride) "
                                            "pixels per side; you shrank it as 'valid' padding does"),
                 (dict(ignore_stride=True), "the stride is ignored: a stride-s convolution keeps about one "
                                            "position in s along each side"),
                 (dict(pool_rounds_up=True), "a p × p max-pooling drops a leftover row and column: the side "
                                             "becomes n // p, rounded down")]
        for slip, hint in slips:
            if got == _cnn_params(size, layer_list, **slip):
                raise Hint(f"{where}: {hint}")
        raise Hint(f"{where}. Follow the side length and the number of channels through every layer; "
                   "the Flatten size decides how many weights the first dense layer needs")
    same = _cnn_params(28, SAME_LAYERS)
    return (f"right. With padding='same' the article's CNN would have {same:,} parameters instead of 93,322: "
            "the feature maps stay 7 × 7 instead of 3 × 3, so the first dense layer reads 3,136 numbers, "
            "not 576.")


@checker("softmax_jacobian: how every probability moves with every score")
def check_softmax_jacobian(softmax_jacobian):
    """``softmax_jacobian(z)`` for one vector of K scores → the K × K matrix J[i, j] = ∂p_i / ∂z_j."""
    rng = np.random.default_rng(9)
    cases = [np.array([2.0, 1.0, 0.1]), 3 * rng.normal(size=5), np.array([1000.0, 1001.0, 999.0, 1000.5])]
    for z in cases:
        p = scratch.softmax(z)
        expected = np.diag(p) - np.outer(p, p)
        with np.errstate(all="ignore"):
            got = as_array(call(softmax_jacobian, z.copy()), "softmax_jacobian(z)")
        expect_shape(got, expected.shape, f"softmax_jacobian of {len(z)} scores")
        if not np.all(np.isfinite(got)):
            raise Hint(f"for the scores {np.round(z, 1).tolist()} your matrix holds NaN or infinity: exp of "
                       "a score like 1000 overflows. Compute the probabilities the stable way first")
        if np.allclose(got, np.diag(p)) or np.allclose(got, np.diag(p * (1 - p))):
            raise Hint("the off-diagonal entries are missing: raising one score z_j also changes every other "
                       "probability p_i, because all of them share the denominator Σ e^z")
        if np.allclose(got, -expected, atol=1e-6):
            raise Hint("the sign is wrong: raising a score must raise its own probability (the diagonal is "
                       "positive)")
        if np.allclose(np.diag(got), np.diag(expected), atol=1e-6) and not np.allclose(got.sum(axis=0), 0):
            raise Hint("the diagonal is right, the off-diagonal entries are not: the probabilities always "
                       "sum to 1, so each column of J (how all the p_i move with one score z_j) sums to 0")
        expect_close(got, expected, "softmax_jacobian(z)", atol=1e-6,
                     hint="differentiate p_i = e^{z_i} / Σ_k e^{z_k} with the quotient rule, once for j = i "
                          "and once for j ≠ i, and write both with p only")
    return ("J = diag(p) − p pᵀ: raising a score raises its own probability by p_i(1 − p_i) and lowers each "
            "other by p_i p_j, so every column sums to 0. Chained with ∂L/∂p = −y / p it gives section 8's "
            "p − y.")


RELU_CHOICES = ("like the linear model", "in between", "like the ReLU network")


# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"no_relu": "like the linear model"}


@checker("your prediction, before the run without ReLU")
def check_relu_prediction(relu_prediction):
    """The learner's ``relu_prediction()`` → {"no_relu": one of RELU_CHOICES}. Any honest prediction passes;
    the run says whether it came true."""
    return expect_choices(call(relu_prediction), {"no_relu": RELU_CHOICES})


QUESTIONNAIRE = {1: "c", 2: "b", 3: "a", 4: "a", 5: "c", 6: "b", 7: "a"}
REASONS = {
    1: "Keras's kernel is Wᵀ, shaped (n_in, n_out), and a batch is one example per row: x @ kernel + bias",
    2: "a dense weight serves one connection, a convolution weight is shared by every position of the image",
    3: "a test score that was used to choose is no longer an unbiased estimate of new data; the validation "
       "split takes that role and the test set is used once",
    4: "∂L/∂z = p − onehot(y): (0.7 − 1, 0.2, 0.1)",
    5: "x W1 + b1 followed by · W2 + b2 is x (W1 W2) + (b1 W2 + b2): one linear map",
    6: "Adam divides by the running root mean square of the gradient, so its first step is "
       "η·|g| / (|g| + ε), about η whatever the gradient's size",
    7: "softmax(z − c) = softmax(z) for any constant c; subtracting the maximum keeps e^z from overflowing",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
