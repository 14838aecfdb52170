"""The article's MNIST recipe against the course's improved recipe, side by side in one run.

    COURSE_DATA_DIR=../shared/data python bench/mnist.py [--seed-epochs 5] [--improved-epochs 3]

Both train on the same data in the same process; after every epoch each is evaluated on the test
set (evaluation time is not counted as training time). The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402

from course_lib import config, data, models, train  # noqa: E402

SEED_BATCH = 32  # the article calls fit() without batch_size, so Keras uses 32
IMPROVED_BATCH = 128
IMPROVED_PEAK_LR = 5e-3


def run(name, model, optimizer, batch_size, epochs, x_train, y_train, x_test, y_test):
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    meter = train.Throughput(batch_size)
    evaluator = train.EvaluateEachEpoch(x_test, y_test, target=0.99, verbose=True)
    print(f"--- {name}: batch {batch_size}, {epochs} epochs, {model.count_params():,} parameters", flush=True)
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[meter, evaluator])
    accuracy = evaluator.rows[-1][2]
    fit_seconds = evaluator.rows[-1][1]
    print(f"{name}: test accuracy {accuracy:.4f}, {fit_seconds:.1f} s training, "
          f"{meter.images_per_second:,.0f} images/s, 0.99 "
          + (f"after {evaluator.seconds_to_target:.1f} s" if evaluator.seconds_to_target is not None else "never reached"),
          flush=True)
    return accuracy, fit_seconds, meter.images_per_second, evaluator.seconds_to_target


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-epochs", type=int, default=5)
    parser.add_argument("--improved-epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    x_train, x_test = data.prepare_images(x_train), data.prepare_images(x_test)
    train.device_report()
    started = time.perf_counter()

    config.seed_everything(args.seed)
    seed = run("article (seed) recipe", models.build_article_cnn(), "adam", SEED_BATCH, args.seed_epochs,
               x_train, y_train, x_test, y_test)

    config.seed_everything(args.seed)
    steps = args.improved_epochs * -(-len(x_train) // IMPROVED_BATCH)
    optimizer = keras.optimizers.Adam(models.one_cycle_schedule(IMPROVED_PEAK_LR, steps))
    improved = run("improved recipe", models.build_improved_cnn(), optimizer, IMPROVED_BATCH,
                   args.improved_epochs, x_train, y_train, x_test, y_test)

    ratio = lambda a, b: round(a / b, 2) if a and b else None  # noqa: E731
    print(f"improved/seed: accuracy {improved[0] - seed[0]:+.4f}, fit time ×{ratio(improved[1], seed[1])}, "
          f"throughput ×{ratio(improved[2], seed[2])}, time to 0.99 ×{ratio(improved[3], seed[3])}; "
          f"data: {data.mnist_source().kind}; whole run {time.perf_counter() - started:.0f} s")
    print(json.dumps({
        "seed_test_accuracy": round(seed[0], 4),
        "seed_fit_seconds": round(seed[1], 1),
        "seed_images_per_second": round(seed[2]),
        "seed_seconds_to_99": None if seed[3] is None else round(seed[3], 1),
        "improved_test_accuracy": round(improved[0], 4),
        "improved_fit_seconds": round(improved[1], 1),
        "improved_images_per_second": round(improved[2]),
        "improved_seconds_to_99": None if improved[3] is None else round(improved[3], 1),
        "data_source": data.mnist_source().kind,
    }))


if __name__ == "__main__":
    main()
