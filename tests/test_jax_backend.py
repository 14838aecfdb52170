"""The course on the JAX backend: the two-network training steps, and models saved under TensorFlow.

The GAN (chapters 07, 08d) and pix2pix (08e) steps: both optimizers are real state.

Keras picks its backend once per process, so each check runs a script in a subprocess with
``KERAS_BACKEND=jax``. The trap this guards against: ``fit`` hands a JAX step only the variables of the
compiled optimizer, so two optimizers kept as attributes would never be updated (every step would be
Adam's first, with moments at zero). Skipped, with the reason, where JAX is not installed.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("jax", reason="JAX is not installed: pip install 'jax[cpu]' to test the JAX backend")
# The checks start JAX processes of their own, and the last one saves under TensorFlow: the TensorFlow pass
# runs them.
pytestmark = [pytest.mark.once, pytest.mark.slow]

SCRIPT = textwrap.dedent("""
    import tempfile
    import keras
    import numpy as np
    from course_lib import gan

    assert keras.backend.backend() == "jax"
    value = keras.ops.convert_to_numpy

    def build(conditional=False, seed=0):
        keras.utils.set_random_seed(seed)
        classes = 10 if conditional else None
        model = gan.GAN(gan.build_generator(16, num_classes=classes, filters=8),
                        gan.build_discriminator(num_classes=classes, filters=8, dropout=0.3),
                        num_classes=classes, seed=seed, ema_decay=0.9)
        d_opt, g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)
        model.compile(d_optimizer=d_opt, g_optimizer=g_opt)
        return model, d_opt, g_opt

    rng = np.random.default_rng(0)
    images = rng.random((48, 28, 28, 1)).astype("float32")
    labels = rng.integers(0, 10, 48)

    # 1. after N steps both optimizers (the objects passed to compile) count N, with moments != 0
    model, d_opt, g_opt = build()
    states_before = [value(v).copy() for v in model.random_states()]
    bn = [v for v in model.generator.non_trainable_variables if "moving" in v.path]
    bn_before = [value(v).copy() for v in bn]
    ema_before = [value(v).copy() for v in model.ema_generator.trainable_variables]
    model.fit(images, batch_size=16, epochs=2, verbose=0)
    steps = 2 * 48 // 16
    assert int(value(d_opt.iterations)) == int(value(g_opt.iterations)) == model.step == steps
    for optimizer in (d_opt, g_opt):
        slots = [v for v in optimizer.variables if "momentum" in v.path or "velocity" in v.path]
        assert slots and all(np.abs(value(v)).max() > 0 for v in slots), optimizer.name
    assert all(not np.allclose(a, value(v)) for a, v in zip(bn_before, bn)), "BatchNorm statistics move"
    ema_after = model.ema_generator.trainable_variables
    assert any(not np.allclose(a, value(v)) for a, v in zip(ema_before, ema_after)), "the average moves"
    counters = [int(value(v)[1]) - int(a[1]) for a, v in zip(states_before, model.random_states())]
    assert counters[0] == 2 * steps, counters      # the GAN's noise: two draws per step
    assert len(counters) == 2 and counters[1] == 3 * steps, counters   # dropout: D on real, fake, fake
    assert np.isfinite(model.generate(4)).all()

    # 2. checkpoint and resume are exact: 1 epoch + save + restore + 1 epoch == 2 epochs straight
    straight, _, _ = build(seed=1)
    straight.fit(images, batch_size=16, epochs=2, verbose=0, shuffle=False)
    first, _, _ = build(seed=1)
    first.fit(images, batch_size=16, epochs=1, verbose=0, shuffle=False)
    folder = tempfile.mkdtemp()
    gan.save_checkpoint(first, folder, epoch=1)
    resumed, _, _ = build(seed=5)                     # other weights and random state until restored
    assert gan.restore_checkpoint(resumed, folder)["epoch"] == 1
    resumed.fit(images, batch_size=16, epochs=1, verbose=0, shuffle=False)
    for name in ("weights", "random_states"):
        a = getattr(straight, name)() if name == "random_states" else straight.weights
        b = getattr(resumed, name)() if name == "random_states" else resumed.weights
        assert all(np.allclose(value(x), value(y), atol=1e-6) for x, y in zip(a, b)), name
    for a, b in ((straight.d_optimizer, resumed.d_optimizer), (straight.g_optimizer, resumed.g_optimizer)):
        assert all(np.allclose(value(x), value(y), atol=1e-6) for x, y in zip(a.variables, b.variables))

    # 3. a conditional GAN trains on (images, labels)
    conditional, d_opt, g_opt = build(conditional=True)
    conditional.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert int(value(d_opt.iterations)) == int(value(g_opt.iterations)) == 3
    assert conditional.generate(3, labels=[1, 2, 3]).shape == (3, 28, 28, 1)
    print("ok")
""")


def test_gan_training_step_under_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "COURSE_FAST": "1"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                            timeout=600)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-4000:]


PIX2PIX = textwrap.dedent("""
    import keras
    import numpy as np
    from course_lib import translation

    assert keras.backend.backend() == "jax"
    value = keras.ops.convert_to_numpy
    keras.utils.set_random_seed(0)
    model = translation.Pix2Pix(translation.build_unet_generator(filters=4),
                                translation.build_patch_discriminator(filters=4))
    d_opt, g_opt = keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5)
    model.compile(d_optimizer=d_opt, g_optimizer=g_opt)
    rng = np.random.default_rng(0)
    targets = rng.random((32, 28, 28, 1)).astype("float32")
    sources = translation.degrade(targets)
    before = [value(v).copy() for v in model.generator.trainable_variables]
    history = model.fit(sources, targets, batch_size=8, epochs=2, verbose=0)
    assert int(value(d_opt.iterations)) == int(value(g_opt.iterations)) == 8
    for optimizer in (d_opt, g_opt):
        slots = [v for v in optimizer.variables if "momentum" in v.path or "velocity" in v.path]
        assert slots and all(np.abs(value(v)).max() > 0 for v in slots), optimizer.name
    assert any(not np.allclose(a, value(v)) for a, v in zip(before, model.generator.trainable_variables))
    assert history.history["l1"][-1] < history.history["l1"][0], history.history["l1"]
    print("ok")
""")


def test_pix2pix_training_step_under_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "COURSE_FAST": "1"}
    result = subprocess.run([sys.executable, "-c", PIX2PIX], capture_output=True, text=True, env=env,
                            timeout=600)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-4000:]


LOAD = textwrap.dedent("""
    import sys
    import keras
    import numpy as np
    assert keras.backend.backend() == "jax"
    model = keras.saving.load_model(sys.argv[1])
    images = np.load(sys.argv[2])
    np.save(sys.argv[3], keras.ops.convert_to_numpy(model.predict(images, verbose=0)))
""")


def test_a_model_saved_under_tensorflow_loads_under_jax_and_predicts_the_same(tmp_path):
    from course_lib import models

    import keras

    keras.utils.set_random_seed(0)
    model = models.build_improved_cnn()
    images = np.random.default_rng(0).random((16, 28, 28, 1)).astype("float32")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(images, np.arange(16) % 10, epochs=1, verbose=0)          # BatchNorm statistics move too
    model.save(tmp_path / "cnn.keras")
    np.save(tmp_path / "images.npy", images)
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    paths = [str(tmp_path / name) for name in ("cnn.keras", "images.npy", "jax.npy")]
    result = subprocess.run([sys.executable, "-c", LOAD, *paths], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "jax.npy"), model.predict(images, verbose=0), atol=1e-5)
