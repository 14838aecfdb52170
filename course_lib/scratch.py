"""NumPy reference versions of the operations the course teaches (chapters 02–04 and 06).

Each function follows the source article's formula, and each is checked against the matching
Keras layer in its chapter and in ``tests/test_scratch.py``.
"""
from __future__ import annotations

import numpy as np


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
            raise TypeError(f"{name} should be an array of probabilities, got {type(values).__name__}") from None
        if array.size == 0:
            raise ValueError(f"{name} is empty; it needs at least one discriminator output")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains NaN or infinity; discriminator outputs are probabilities in [0, 1]")
        if array.min() < 0 or array.max() > 1:
            raise ValueError(
                f"{name} should hold probabilities in [0, 1], got values in [{array.min():.3g}, {array.max():.3g}]"
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
            raise ValueError("d_real contains 0: log D(x) = −inf for that real sample; pass eps=1e-7 to clip")
        if np.any(fake == 1):
            raise ValueError("d_fake contains 1: log(1 − D(G(z))) = −inf for that sample; pass eps=1e-7 to clip")
    return float(np.mean(np.log(real)) + np.mean(np.log1p(-fake)))
