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

Every model is stepped with the course's Adam. Measured on a 2-core CPU (TensorFlow 2.21 with oneDNN,
JAX 0.10.2) with the inputs drawn from seeds 1, 2 and 3: losses agree to 2.4e-7 for all three models;
weights to 1.2e-7 for the two GANs and to 3.9e-7, 4.9e-7 and 1.1e-6 for pix2pix (its deeper U-Net
gathers more rounding). An Adam step moves a weight by up to 2e-4, the learning rate, and a step in the
wrong order or a forgotten optimizer state misses by 1e-4 or more, so the tolerances below, 1e-5 for the
losses and 2e-6 for the weights, sit 40× above the losses' rounding, 2× above the worst weight seen,
and 50× below an error.

The conditional GAN (08d) took two fixes to get there; both are worth knowing when a comparison fails:

* **An Embedding's gradient on TensorFlow.** ``tf.GradientTape`` gives it as ``tf.IndexedSlices``, one row
  per lookup, and Keras's Adam squares those rows one by one before adding them: a label that occurs k
  times in the batch gets a second moment of Σgᵢ² instead of (Σgᵢ)², and its row moved by up to √k times
  the learning rate on the first step (3.4e-4 here, against 2e-4 on JAX, whose gradient is dense). The
  TensorFlow step was the wrong one; ``gan.dense_gradients`` sums the rows before Adam. Before the fix
  the discriminator's label table differed by 2e-4 after one step, and the weights by 3.6e-4 to 4.0e-4
  after two (seeds 1-3, without the averaged generator).
  Plain SGD is linear in the gradient, so it did not show this.
* **A kink hit by rounding.** The inputs were first drawn with seed 0. With them one of the conditional
  generator's 6,272 batch-norm outputs before a LeakyReLU came out as -7.5e-8 on TensorFlow and +3.0e-8 on
  JAX (x - mean = 7.5e-9 for x = 0.0858): LeakyReLU's slope is 0.2 on one side of 0 and 1 on the other, so
  that single element took a different slope, and the generator's gradient differed by up to 7% of its
  largest entry; Adam turned that into weights 7.7e-4 apart (1.9e-5 with SGD(0.05)). This is rounding,
  not a difference in the step, and no tolerance could tell it from a real error, so the inputs are
  drawn with ``INPUT_SEED`` = 3 (with seeds 1, 2 and 3 the conditional GAN agrees to 1.2e-7 once the
  Embedding's gradient is dense). Pix2pix's ReLUs are exposed the same way, more mildly: with seed 2 one
  element of one of its Adam moments differed by more than the check's 0.1% (the weights still agreed
  to 4.9e-7); with seeds 0 and 3 every element agrees. If another change of the models or the data makes
  one model disagree, look first for an activation within 1e-6 of 0 before a LeakyReLU or a ReLU.
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
# an Adam step moves a weight by at most its learning rate, 2e-4; rounding reached 1.1e-6 (pix2pix)
WEIGHT_TOLERANCE = 2e-6
# seed 0 puts one activation of the conditional generator at a LeakyReLU kink (see the docstring)
INPUT_SEED = 3

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
        model.compile(label_smoothing=0.1 if classes else 0.0)
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


@pytest.fixture(scope="module")
def stepped(tmp_path_factory):
    """Every model stepped twice under TensorFlow, then from the same weights under JAX: the folder."""
    folder = tmp_path_factory.mktemp("steps")
    rng = np.random.default_rng(INPUT_SEED)
    targets = rng.random((16, 28, 28, 1)).astype("float32")
    blurred = targets.reshape(16, 7, 4, 7, 4, 1).mean(axis=(2, 4)).repeat(4, axis=1).repeat(4, axis=2)
    np.savez(folder / "inputs.npz", images=rng.random((16, 28, 28, 1)).astype("float32"),
             labels=rng.integers(0, 10, 16), fake_labels=rng.integers(0, 10, 8).astype("int32"),
             z=rng.normal(size=(2, 8, 16)).astype("float32"), targets=targets, sources=blurred)
    _run("tensorflow", folder)                     # writes the starting weights, then steps
    _run("jax", folder)                            # starts from the same weights
    return folder


@pytest.mark.parametrize("name", MODELS)
def test_two_training_steps_are_the_same_on_tensorflow_and_jax(stepped, name):
    tf_run, jax_run = np.load(stepped / f"{name}_tensorflow.npz"), np.load(stepped / f"{name}_jax.npz")
    assert sorted(tf_run.files) == sorted(jax_run.files), name
    start = np.load(stepped / f"{name}_start.npz")
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
    moved = max(float(np.abs(tf_run[f"weight_{i}"] - start[f"arr_{i}"]).max()) for i in range(len(weights)))
    report = (f"{name}: losses {loss_gap:.1e}, weights {weight_gap:.1e}, optimizers {optimizer_gap:.1e}, "
              f"moved {moved:.1e}")
    print(report)
    assert moved > 100 * WEIGHT_TOLERANCE, report   # the steps did change the weights
    steps = [int(tf_run[key]) for key in optimizer if tf_run[key].ndim == 0 and tf_run[key] == 2]
    assert len(steps) >= 2, f"{name}: both optimizers should count 2 steps"
    assert loss_gap <= LOSS_TOLERANCE, report
    assert weight_gap <= WEIGHT_TOLERANCE and not optimizer_off, (report, optimizer_off)
