"""FGSM and PGD attacks (course_lib.adversarial), chapter 09b.

One tiny CNN trained for a second or two on 600 MNIST digits (the bundled sample is enough) plays the
victim; the attacks are checked against an independent TensorFlow computation and against their
definitions (inside the ε-ball, inside [0, 1], PGD at least as strong as FGSM).
"""
from course_lib import adversarial, data

import keras
import numpy as np
import pytest
import tensorflow as tf

# A test marked tensorflow_only recomputes a gradient independently with TensorFlow's tape, which cannot
# differentiate a model running on JAX; on JAX, test_explain.py's subprocess check compares with finite
# differences.
EPSILON = 0.1


@pytest.fixture(scope="module")
def victim():
    """(model, 200 test images in [0, 1], their labels, clean accuracy): a small but real classifier."""
    (x_train, y_train), (x_test, y_test) = data.load_mnist(verbose=False, allow_download=False)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
        keras.layers.Conv2D(16, 3, strides=2, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    model.fit(data.prepare_images(x_train[:600]), y_train[:600], epochs=6, batch_size=32, verbose=0)
    images, labels = data.prepare_images(x_test[:200]), y_test[:200]
    accuracy = accuracy_of(model, images, labels)
    assert accuracy >= 0.7, f"the victim should have learnt something, got accuracy {accuracy}"
    return model, images, labels, accuracy


def accuracy_of(model, images, labels):
    return float(np.mean(model.predict_on_batch(images).argmax(1) == labels))


@pytest.mark.tensorflow_only(reason="an independent check written with tf.GradientTape")
def test_fgsm_is_one_signed_gradient_step_computed_independently(victim):
    model, images, labels, _ = victim
    x = tf.convert_to_tensor(images[:32])
    with tf.GradientTape() as tape:
        tape.watch(x)
        chosen = tf.gather(model(x, training=False), labels[:32].astype(np.int64), batch_dims=1)
        loss = -tf.reduce_sum(tf.math.log(chosen))
    gradient = tape.gradient(loss, x).numpy()
    expected = np.clip(images[:32] + EPSILON * np.sign(gradient), 0, 1)
    attacked = adversarial.fgsm(model, images[:32], labels[:32], EPSILON)
    assert attacked.dtype == np.float32 and attacked.shape == images[:32].shape
    np.testing.assert_allclose(attacked, expected, atol=1e-6)
    assert np.mean(np.abs(gradient) > 0) > 0.5      # the comparison is not between two blank signs


def test_fgsm_with_zero_epsilon_returns_the_images(victim):
    model, images, labels, _ = victim
    attacked = adversarial.fgsm(model, images[:20], labels[:20], 0)
    assert attacked.dtype == np.float32
    np.testing.assert_array_equal(attacked, images[:20])


def test_fgsm_batches_do_not_change_the_result(victim):
    model, images, labels, _ = victim
    np.testing.assert_array_equal(adversarial.fgsm(model, images[:50], labels[:50], EPSILON, batch_size=7),
                                  adversarial.fgsm(model, images[:50], labels[:50], EPSILON))


def test_pgd_stays_in_the_ball_and_is_at_least_as_strong_as_fgsm(victim):
    model, images, labels, clean = victim
    fgsm_images = adversarial.fgsm(model, images, labels, EPSILON)
    pgd_images = adversarial.pgd(model, images, labels, EPSILON, step_size=EPSILON / 4, steps=10, seed=1)
    for attacked in (fgsm_images, pgd_images):
        assert attacked.dtype == np.float32 and attacked.shape == images.shape
        assert attacked.min() >= 0 and attacked.max() <= 1
        assert np.abs(attacked - images).max() <= EPSILON + 1e-6
    fgsm_accuracy = accuracy_of(model, fgsm_images, labels)
    pgd_accuracy = accuracy_of(model, pgd_images, labels)
    assert fgsm_accuracy < clean - 0.2, (clean, fgsm_accuracy)
    assert pgd_accuracy <= fgsm_accuracy, (fgsm_accuracy, pgd_accuracy)


def test_pgd_start_seed_and_its_fgsm_special_case(victim):
    model, images, labels, _ = victim
    x, y = images[:16], labels[:16]
    one_step = adversarial.pgd(model, x, y, EPSILON, step_size=EPSILON, steps=1, random_start=False)
    np.testing.assert_allclose(one_step, adversarial.fgsm(model, x, y, EPSILON), atol=1e-6)
    def short_pgd(seed):
        return adversarial.pgd(model, x, y, EPSILON, step_size=0.01, steps=2, seed=seed)

    np.testing.assert_array_equal(short_pgd(3), short_pgd(3))
    assert not np.array_equal(short_pgd(3), short_pgd(4))
    np.testing.assert_array_equal(adversarial.pgd(model, x, y, 0.0, step_size=0.01, steps=2), x)


def test_accuracy_under_attack_falls_with_epsilon(victim):
    model, images, labels, clean = victim
    by_name = adversarial.accuracy_under_attack(model, images[:100], labels[:100], "fgsm", [0, 0.05, 0.2])
    assert list(by_name) == [0.0, 0.05, 0.2]
    assert by_name[0.0] == pytest.approx(accuracy_of(model, images[:100], labels[:100]))
    assert by_name[0.0] > by_name[0.05] > by_name[0.2]
    with_pgd = adversarial.accuracy_under_attack(model, images[:100], labels[:100], adversarial.pgd, [0.05],
                                                 step_size=0.02, steps=5)
    assert with_pgd[0.05] <= by_name[0.05] + 0.02


def test_bad_arguments_are_refused(victim):
    model, images, labels, _ = victim
    x, y = images[:4], labels[:4]
    fgsm, pgd, under_attack = adversarial.fgsm, adversarial.pgd, adversarial.accuracy_under_attack
    V, T = ValueError, TypeError   # a wrong value, a wrong kind
    cases = [
        (lambda: fgsm(model, x[..., 0], y, 0.1), V, r"images should be a float array shaped \(N, H, W, C\)"),
        (lambda: fgsm(model, x * 255, y, 0.1), V, r"images should lie in \[0, 1\], got values in"),
        (lambda: fgsm(model, x, y[:3], 0.1), V, r"labels should have one entry per image \(4\), got 3"),
        (lambda: fgsm(model, x, y.astype(float), 0.1), T, "labels should be 4 ints .*dtype float64"),
        (lambda: fgsm(model, x, [0, 1, 2, 10], 0.1), V, r"labels should lie in \[0, 10\)"),
        (lambda: fgsm(model, x, y, -0.1), V, "epsilon should be a number >= 0, got -0.1"),
        (lambda: fgsm(model, x, y, "0.1"), T, r"epsilon should be a number >= 0, got '0.1' \(a str\)"),
        (lambda: fgsm(model, x, y, True), T, "epsilon should be a number >= 0, got True"),
        (lambda: fgsm(model, x, y, float("nan")), V, "epsilon should be a finite number, got nan"),
        (lambda: pgd(model, x, y, 0.1, step_size=0, steps=3), V,
         "step_size should be a positive number, got 0"),
        (lambda: pgd(model, x, y, 0.1, step_size=0.01, steps=0), V, "steps should be a positive int"),
        (lambda: pgd(model, x, y, -1, step_size=0.01, steps=3), V, "epsilon should be a number >= 0"),
        (lambda: under_attack(model, x, y, "deepfool", [0.1]), V, "attack should be one of"),
        (lambda: under_attack(model, x, y, 3, [0.1]), T, "attack should be one of .* or a function"),
        (lambda: under_attack(model, x, y, "fgsm", []), V, "epsilons should be a sequence"),
        (lambda: under_attack(model, x, y, "fgsm", 0.1), T, "epsilons should be a sequence"),
        (lambda: under_attack(model, x, y, "fgsm", [0.1, -0.2]), V,
         r"epsilons\[1\] should be a number >= 0, got -0.2"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
    assert fgsm(model, x, y, np.float32(0)).shape == x.shape, "a NumPy number is a number"
