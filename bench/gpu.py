"""The course's training speeds on an accelerator, in one run (JAX, no TensorFlow needed).

On a machine with a GPU (or TPU), JAX and no network, from the project's folder, with the Keras wheel
and its two pure-Python dependencies carried along (see bench/README.md):

    python -m pip install --no-index --no-deps --target /tmp/site wheels/*.whl
    PYTHONPATH=/tmp/site KERAS_BACKEND=jax COURSE_DATA_DIR=/path/to/data python bench/gpu.py

It installs nothing and downloads nothing: MNIST comes from ``COURSE_DATA_DIR`` (or the bundled sample,
which the output says). It measures, in order: the article's MNIST recipe (5 epochs, batch 32) and the
course's improved recipe (8 epochs on shifted digits, batch 256), as in ``bench/mnist.py``; one epoch of
chapter 07's DCGAN on all training digits; 200 steps of chapter 08e's pix2pix. The last line printed is one
JSON object. ``--quick`` runs every part on a few batches, to check the script itself on a CPU.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from course_lib import config, data, gan, models, train, translation  # noqa: E402

import keras  # noqa: E402
import mnist  # noqa: E402  (bench/mnist.py: the two MNIST recipes, measured the same way)

DCGAN_BATCH, LATENT_DIM, FILTERS, DROPOUT, LEARNING_RATE = 128, 64, 64, 0.3, 5e-4   # chapter 07's recipe
PIX2PIX_BATCH, PIX2PIX_STEPS = 128, 200                                             # chapter 08e's batch


def dcgan_epoch(x_train, seed):
    """Seconds for one epoch of chapter 07's DCGAN (after one warm-up batch that compiles the step)."""
    config.seed_everything(seed)
    model = gan.GAN(gan.build_generator(LATENT_DIM, filters=FILTERS),
                    gan.build_discriminator(filters=FILTERS, dropout=DROPOUT), ema_decay=0.999, seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5))
    model.fit(x_train[:DCGAN_BATCH], batch_size=DCGAN_BATCH, epochs=1, verbose=0)   # compile
    steps_before = model.step
    start = time.perf_counter()
    model.fit(x_train, batch_size=DCGAN_BATCH, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    steps = model.step - steps_before
    return {"dcgan_epoch_seconds": round(seconds, 1), "dcgan_steps": steps,
            "dcgan_generator_steps_per_second": round(steps / seconds, 1)}


def pix2pix_steps(x_train, steps, seed):
    """Seconds for ``steps`` pix2pix steps of chapter 08e's networks (after a compiling warm-up batch)."""
    config.seed_everything(seed)
    targets = x_train[:steps * PIX2PIX_BATCH]
    sources = translation.degrade(targets)
    model = translation.Pix2Pix(translation.build_unet_generator(filters=16),
                                translation.build_patch_discriminator(filters=32))
    model.compile()
    model.fit(sources[:PIX2PIX_BATCH], targets[:PIX2PIX_BATCH], batch_size=PIX2PIX_BATCH, epochs=1,
              verbose=0)   # compiles the step
    start = time.perf_counter()
    model.fit(sources, targets, batch_size=PIX2PIX_BATCH, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return {"pix2pix_steps": len(targets) // PIX2PIX_BATCH, "pix2pix_seconds": round(seconds, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few batches of each part (checks the script)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    report = train.device_report(verbose=False)
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    x_train, x_test = data.prepare_images(x_train), data.prepare_images(x_test)
    article_epochs, improved_epochs = 5, mnist.IMPROVED_EPOCHS
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:1024], y_train[:1024], x_test[:512], y_test[:512]
        article_epochs, improved_epochs = 1, 1
    # the two recipes train on 5/6 of the training images and watch the rest (chapter 05's split)
    recipe_train, (x_val, y_val) = mnist.split_validation(x_train, y_train)
    results = {"device": report["device"], "backend": report["backend"], "keras": report["keras"],
               "data_source": data.mnist_source().kind}

    recipes = (("article", models.build_article_cnn, mnist.ARTICLE_BATCH, article_epochs),
               ("improved", models.build_improved_cnn, mnist.IMPROVED_BATCH, improved_epochs))
    for name, build, batch, epochs in recipes:
        config.seed_everything(args.seed)
        optimizer, network, trainer = "adam", build(), None
        if name == "improved":
            steps = epochs * -(-len(recipe_train[0]) // batch)
            optimizer = keras.optimizers.Adam(models.one_cycle_schedule(mnist.IMPROVED_PEAK_LR, steps))
            trainer = models.with_random_shifts(network, mnist.MAX_SHIFT, seed=args.seed)
        accuracy, fit_seconds, images_per_second, to_99, _ = mnist.run(
            f"{name} recipe", network, optimizer, batch, epochs, *recipe_train, x_val, y_val, x_test, y_test,
            trainer=trainer)
        results.update({f"{name}_test_accuracy": round(accuracy, 4),
                        f"{name}_fit_seconds": round(fit_seconds, 1),
                        f"{name}_images_per_second": round(images_per_second),
                        f"{name}_seconds_to_99": None if to_99 is None else round(to_99, 1)})

    results.update(dcgan_epoch(x_train, args.seed))
    results.update(pix2pix_steps(x_train, 4 if args.quick else PIX2PIX_STEPS, args.seed))
    results["whole_run_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
