"""The article's MNIST recipe against the course's improved recipe, side by side in one run.

    COURSE_DATA_DIR=../shared/data python bench/mnist.py [--article-epochs 5] [--improved-epochs 3]

Both train on the same 50,000 training images in the same process. The last 10,000 training images are
held out as a validation split: four times per epoch each recipe is evaluated on it, which gives "seconds to
0.99" (evaluation time is not counted as training time). The test set is evaluated once per recipe, on the
finished model, as in chapter 05. The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib import config, data, models, train  # noqa: E402  (first: loads TensorFlow quietly)

import keras  # noqa: E402

ARTICLE_BATCH = 32  # the article calls fit() without batch_size, so Keras uses 32
IMPROVED_BATCH = 256     # chapter 05, section 8 (chosen on a validation split)
IMPROVED_PEAK_LR = 1e-2


def split_validation(x_train, y_train):
    """The last sixth of the training images (10,000 of 60,000) held out for validation, as in chapter 05."""
    n_validation = len(x_train) // 6
    return ((x_train[:-n_validation], y_train[:-n_validation]),
            (x_train[-n_validation:], y_train[-n_validation:]))


def run(name, model, optimizer, batch_size, epochs, x_train, y_train, x_val, y_val, x_test, y_test):
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    meter = train.Throughput(batch_size)
    # four evaluations per epoch: "seconds to 0.99" to a quarter epoch, evaluation time not counted
    evaluator = train.EvaluateEachEpoch(x_val, y_val, target=0.99, verbose=True, evaluations_per_epoch=4)
    print(f"--- {name}: batch {batch_size}, {epochs} epochs, {model.count_params():,} parameters", flush=True)
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[meter, evaluator])
    fit_seconds = evaluator.rows[-1][1]
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)     # the test set, once, on the finished model
    print(f"{name}: test accuracy {accuracy:.4f}, {fit_seconds:.1f} s training, "
          f"{meter.images_per_second:,.0f} images/s, 0.99 validation accuracy "
          + (f"after {evaluator.seconds_to_target:.1f} s" if evaluator.seconds_to_target is not None
             else "never reached"), flush=True)
    return accuracy, fit_seconds, meter.images_per_second, evaluator.seconds_to_target


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article-epochs", type=int, default=5)
    parser.add_argument("--improved-epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="random seed of both runs")
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    x_train, x_test = data.prepare_images(x_train), data.prepare_images(x_test)
    (x_train, y_train), (x_val, y_val) = split_validation(x_train, y_train)
    train.device_report()
    started = time.perf_counter()

    config.seed_everything(args.seed)
    article = run("article recipe", models.build_article_cnn(), "adam", ARTICLE_BATCH, args.article_epochs,
                  x_train, y_train, x_val, y_val, x_test, y_test)

    config.seed_everything(args.seed)
    steps = args.improved_epochs * -(-len(x_train) // IMPROVED_BATCH)
    optimizer = keras.optimizers.Adam(models.one_cycle_schedule(IMPROVED_PEAK_LR, steps))
    improved = run("improved recipe", models.build_improved_cnn(), optimizer, IMPROVED_BATCH,
                   args.improved_epochs, x_train, y_train, x_val, y_val, x_test, y_test)

    def ratio(a, b):
        return round(a / b, 2) if a and b else None

    print(f"improved/article: accuracy {improved[0] - article[0]:+.4f}, "
          f"fit time ×{ratio(improved[1], article[1])}, throughput ×{ratio(improved[2], article[2])}, "
          f"time to 0.99 ×{ratio(improved[3], article[3])}; "
          f"data: {data.mnist_source().kind}; whole run {time.perf_counter() - started:.0f} s")
    print(json.dumps({
        "article_test_accuracy": round(article[0], 4),
        "article_fit_seconds": round(article[1], 1),
        "article_images_per_second": round(article[2]),
        "article_seconds_to_99": None if article[3] is None else round(article[3], 1),
        "improved_test_accuracy": round(improved[0], 4),
        "improved_fit_seconds": round(improved[1], 1),
        "improved_images_per_second": round(improved[2]),
        "improved_seconds_to_99": None if improved[3] is None else round(improved[3], 1),
        "data_source": data.mnist_source().kind,
    }))


if __name__ == "__main__":
    main()
