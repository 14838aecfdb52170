"""Gradients with respect to a model's input, on any Keras backend (chapter 09b; explain, adversarial).

Keras 3 computes a model's outputs with ``keras.ops`` on every backend, but leaves gradients to each
backend: TensorFlow records a ``GradientTape``, JAX transforms a function (``jax.value_and_grad``),
PyTorch runs autograd. ``input_gradient`` hides that difference from ``explain`` (saliency, Grad-CAM,
integrated gradients) and ``adversarial`` (FGSM, PGD). Each backend is imported inside the function
that uses it, so that importing ``course_lib`` never loads a framework Keras does not run on.
"""
from __future__ import annotations

import keras
import numpy as np

#: Images per forward or backward pass: small enough that 10,000 MNIST images never sit in memory at once.
BATCH_SIZE = 256


def input_gradient(fn, x):
    """``(fn(x), d sum(fn(x)) / dx)`` as two NumPy arrays.

    ``fn`` maps a float32 tensor ``x`` shaped (N, ...) to one scalar per example, shape (N,), using
    ``keras.ops`` (or a Keras model called directly: ``model(x, training=False)``). Summing over the
    batch before differentiating gives every example its own gradient, since example i's score does
    not depend on example j's input (true of every model here at inference: no batch statistics).
    """
    x = np.asarray(x, dtype=np.float32)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        value, grad = _tensorflow_gradient(fn, x)
    elif backend == "jax":
        value, grad = _jax_gradient(fn, x)
    elif backend == "torch":
        value, grad = _torch_gradient(fn, x)
    else:
        raise NotImplementedError(
            f"input gradients are written for the tensorflow, jax and torch backends; Keras runs on "
            f"{backend!r}. Set KERAS_BACKEND=tensorflow (the course default) before Keras is imported."
        )
    value = keras.ops.convert_to_numpy(value)
    grad = np.zeros_like(x) if grad is None else keras.ops.convert_to_numpy(grad)
    return value, grad.astype(np.float32, copy=False)


def _tensorflow_gradient(fn, x):
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = fn(x)
        total = tf.reduce_sum(value)
    return value, tape.gradient(total, x)   # None when fn does not depend on x


def _jax_gradient(fn, x):
    import jax
    import jax.numpy as jnp

    def total(inputs):
        value = fn(inputs)
        return jnp.sum(value), value

    (_, value), grad = jax.value_and_grad(total, has_aux=True)(jnp.asarray(x))
    return value, grad


def _torch_gradient(fn, x):
    import torch

    x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)   # on Keras's device
    value = fn(x)
    (grad,) = torch.autograd.grad(value.sum(), x, allow_unused=True)
    return value.detach(), grad


def predict_probabilities(model, images: np.ndarray, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """The model's class probabilities (N, classes) for float32 images, in batches.

    Raises ``ValueError`` when the output is not a batch of probability rows: every function of
    ``explain`` and ``adversarial`` reads the output as probabilities (a softmax last layer).
    """
    chunks = [keras.ops.convert_to_numpy(model(images[start:start + batch_size], training=False))
              for start in range(0, len(images), batch_size)]
    probabilities = np.concatenate(chunks).astype(np.float32, copy=False)
    check_probabilities(probabilities, len(images))
    return probabilities


def check_probabilities(probabilities: np.ndarray, count: int) -> None:
    """Raise ``ValueError`` unless ``probabilities`` is (count, classes) with rows that sum to 1."""
    if probabilities.ndim != 2 or probabilities.shape[0] != count:
        raise ValueError(f"model should output class probabilities shaped (N, classes), got shape "
                         f"{probabilities.shape} for {count} images")
    sums = probabilities.sum(axis=1)
    if probabilities.min() < -1e-6 or not np.allclose(sums, 1.0, atol=1e-2):
        raise ValueError(
            "model should output class probabilities (a softmax last layer), got rows summing to "
            f"{sums.min():.3g}..{sums.max():.3g} with values in [{probabilities.min():.3g}, "
            f"{probabilities.max():.3g}]"
        )
