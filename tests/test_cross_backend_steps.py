"""The JAX training steps are the TensorFlow steps the chapters teach: same weights, same batch, same result.

Chapters 07, 08d and 08e write the GAN and pix2pix steps out in TensorFlow's form (``GradientTape``) and
assert that the library's copy takes the same step. The borrowed GPU machines run the library's *JAX* form
(``_train_step_jax``, ``course_lib/jax_steps.py``), which no chapter can compare on TensorFlow. Here each
model takes two training steps from the same starting weights on the same batches, once under
``KERAS_BACKEND=tensorflow`` and once under ``KERAS_BACKEND=jax``, each in its own process (Keras picks its
backend once per process); the weights, the optimizers' variables and the losses are exchanged through
``.npz`` files and must agree.

What is random is fixed: the discriminators have no dropout, ``GAN._noise`` returns two fixed noise
batches (the discriminator's, then the generator's) and ``GAN._random_labels`` fixed labels, so the only
differences left are the two backends' floating-point arithmetic.

The conditional GAN is stepped with plain SGD, the GAN and pix2pix with the course's Adam. The reason is
Keras's, not the course's: on TensorFlow the gradient of an ``Embedding`` (the label vectors of 08d's two
networks) is a sparse ``tf.IndexedSlices``, one row per use of a label, and Keras's TensorFlow optimizer
applies it row by row. For Adam that is another algorithm than on JAX, which sums the rows of a repeated
label first: the second moment adds the squares of the per-use gradients instead of squaring their sum,
and rows of labels absent from a batch keep their first moment undecayed. Measured with Adam, the
conditional GAN's weights differ by 8e-4 after two steps, more than an Adam step moves them. With SGD,
which is linear in the gradient, both forms are the same sum, so the test still checks everything the
course wrote: the random fake labels, the discriminator judging images with labels, the order of the two
steps and the averaged generator (``ema_decay``). Measured on a 2-core CPU (TensorFlow
2.21 with oneDNN, JAX 0.10.2): losses agree to 1e-6 and weights to 2e-7 or better (an Adam step moves a
weight by up to 2e-4, the learning rate), so the tolerances below, 1e-5 and 1e-6, leave a margin of 5-10×
while a step in the wrong order or a forgotten optimizer state misses by 1e-4 or more.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax", reason="JAX is not installed: pip install 'jax[cpu]' to test the JAX backend")
pytestmark = [pytest.mark.once, pytest.mark.slow]   # two subprocesses of their own, one per backend
ROOT = Path(__file__).resolve().parent.parent
MODELS = ("gan", "conditional_gan", "pix2pix")
LOSS_TOLERANCE = 1e-5
# an Adam step moves a weight by at most its learning rate, 2e-4; SGD(0.05) moves these by up to about 1e-2
WEIGHT_TOLERANCE = {"gan": 1e-6, "conditional_gan": 1e-4, "pix2pix": 1e-6}

STEPS = textwrap.dedent("""
    import sys
    from pathlib import Path

    import keras
    import numpy as np
    from course_lib import gan, translation

    folder, backend = Path(sys.argv[1]), keras.backend.backend()
    value = keras.ops.convert_to_numpy
    data = np.load(folder / "inputs.npz")
    calls = []

    def fixed_noise(self, batch_size):            # z for the discriminator's step, then the generator's
        calls.append(batch_size)
        return keras.ops.convert_to_tensor(data["z"][(len(calls) - 1) % 2])

    gan.GAN._noise = fixed_noise
    gan.GAN._random_labels = lambda self, batch_size: keras.ops.convert_to_tensor(data["fake_labels"])

    def build(name):
        keras.utils.set_random_seed(0)
        if name == "pix2pix":
            model = translation.Pix2Pix(translation.build_unet_generator(filters=4),
                                        translation.build_patch_discriminator(filters=4))
            model.compile()
            return model
        classes = 10 if name == "conditional_gan" else None
        model = gan.GAN(gan.build_generator(16, num_classes=classes, filters=8),
                        gan.build_discriminator(num_classes=classes, filters=8, dropout=0.0),
                        num_classes=classes, ema_decay=0.9 if classes else None)
        if classes:   # plain SGD for the label embeddings: see the module's docstring
            model.compile(d_optimizer=keras.optimizers.SGD(0.05), g_optimizer=keras.optimizers.SGD(0.05),
                          label_smoothing=0.1)
        else:
            model.compile()
        return model

    for name in sys.argv[2:]:
        model = build(name)
        start = folder / f"{name}_start.npz"
        if start.exists():                         # the other backend's starting weights
            saved = np.load(start)
            model.set_weights([saved[f"arr_{i}"] for i in range(len(saved.files))])
        else:
            np.savez(start, *model.get_weights())
        if name == "pix2pix":
            batches = [(data["sources"][:8], data["targets"][:8]), (data["sources"][8:], data["targets"][8:])]
        elif name == "conditional_gan":
            batches = [(data["images"][:8], data["labels"][:8]), (data["images"][8:], data["labels"][8:])]
        else:
            batches = [(data["images"][:8],), (data["images"][8:],)]
        losses = {}
        for step, batch in enumerate(batches):
            model.reset_metrics()                  # the logs are this step's values, not running means
            for key, number in model.train_on_batch(*batch, return_dict=True).items():
                losses[f"loss_{key}_{step}"] = float(number)
        optimizers = list(model.d_optimizer.variables) + list(model.g_optimizer.variables)
        np.savez(folder / f"{name}_{backend}.npz", **losses,
                 **{f"weight_{i}": w for i, w in enumerate(model.get_weights())},
                 **{f"optimizer_{i}": value(v) for i, v in enumerate(optimizers)})
    print("ok", backend)
""")


def _run(backend, folder):
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run([sys.executable, "-c", STEPS, str(folder), *MODELS], capture_output=True,
                            text=True, env=env, timeout=600, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.strip().endswith(f"ok {backend}"), result.stderr[-4000:]


def test_one_training_step_is_the_same_on_tensorflow_and_jax(tmp_path):
    rng = np.random.default_rng(0)
    targets = rng.random((16, 28, 28, 1)).astype("float32")
    blurred = targets.reshape(16, 7, 4, 7, 4, 1).mean(axis=(2, 4)).repeat(4, axis=1).repeat(4, axis=2)
    np.savez(tmp_path / "inputs.npz", images=rng.random((16, 28, 28, 1)).astype("float32"),
             labels=rng.integers(0, 10, 16), fake_labels=rng.integers(0, 10, 8).astype("int32"),
             z=rng.normal(size=(2, 8, 16)).astype("float32"), targets=targets, sources=blurred)
    _run("tensorflow", tmp_path)                   # writes the starting weights, then steps
    _run("jax", tmp_path)                          # starts from the same weights
    report = []
    for name in MODELS:
        tf_run, jax_run = np.load(tmp_path / f"{name}_tensorflow.npz"), np.load(tmp_path / f"{name}_jax.npz")
        assert sorted(tf_run.files) == sorted(jax_run.files), name
        start = np.load(tmp_path / f"{name}_start.npz")
        losses = [key for key in tf_run.files if key.startswith("loss_")]
        weights = [key for key in tf_run.files if key.startswith("weight_")]
        optimizer = [key for key in tf_run.files if key.startswith("optimizer_")]
        assert losses and len(weights) == len(start.files) and optimizer, name
        loss_gap = max(abs(float(tf_run[key]) - float(jax_run[key])) for key in losses)
        weight_gap = max(float(np.abs(tf_run[key] - jax_run[key]).max()) for key in weights)
        optimizer_gap = max(float(np.abs(tf_run[key].astype("float64") - jax_run[key]).max())
                            for key in optimizer)
        optimizer_off = [key for key in optimizer
                         if not np.allclose(tf_run[key], jax_run[key], rtol=1e-3, atol=1e-6)]
        moved = max(float(np.abs(tf_run[f"weight_{i}"] - start[f"arr_{i}"]).max())
                    for i in range(len(weights)))
        report.append(f"{name}: losses {loss_gap:.1e}, weights {weight_gap:.1e}, "
                      f"optimizers {optimizer_gap:.1e}, moved {moved:.1e}")
        assert loss_gap <= LOSS_TOLERANCE, report[-1]
        assert weight_gap <= WEIGHT_TOLERANCE[name] and not optimizer_off, (report[-1], optimizer_off)
        assert moved > 100 * WEIGHT_TOLERANCE[name], report[-1]   # the steps did change the weights
        steps = [int(tf_run[key]) for key in optimizer if tf_run[key].ndim == 0 and tf_run[key] == 2]
        assert len(steps) >= 2, f"{name}: both optimizers should count 2 steps"
    print("\n".join(report))
