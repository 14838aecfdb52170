"""The article's MNIST recipe against the course's improved recipe, side by side in one run.

    COURSE_DATA_DIR=../shared/data python bench/mnist.py [--article-epochs 5] [--improved-epochs 10 15]
                                                         [--seed 0] [--output bench/results/mnist.json]

Both train on the same 50,000 training images in the same process; the improved recipe once per number of
epochs given (chapter 05 uses 10; more epochs show what a higher accuracy costs). The last 10,000 training
images are held out as a validation split: four times per epoch each recipe is evaluated on it, which gives
the seconds each needs to reach an accuracy (evaluation time is not counted as training time), among them the
article's final validation accuracy. The test set is evaluated once per recipe, on the
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
IMPROVED_EPOCHS = 10     # chapter 05, section 8 (chosen on a validation split)
MAX_SHIFT = 2            # pixels a training digit may move (chapter 05's augmentation)


def split_validation(x_train, y_train):
    """The last sixth of the training images (10,000 of 60,000) held out for validation, as in chapter 05."""
    n_validation = len(x_train) // 6
    return ((x_train[:-n_validation], y_train[:-n_validation]),
            (x_train[-n_validation:], y_train[-n_validation:]))


def run(name, model, optimizer, batch_size, epochs, x_train, y_train, x_val, y_val, x_test, y_test,
        trainer=None):
    """Train ``trainer`` (by default ``model`` itself) and evaluate ``model`` on the test set, once."""
    trainer = trainer or model
    trainer.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    meter = train.Throughput(batch_size)
    # four evaluations per epoch: "seconds to 0.99" to a quarter epoch, evaluation time not counted
    evaluator = train.EvaluateEachEpoch(x_val, y_val, target=0.99, verbose=True, evaluations_per_epoch=4)
    print(f"--- {name}: batch {batch_size}, {epochs} epochs, {model.count_params():,} parameters", flush=True)
    trainer.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0,
                callbacks=[meter, evaluator])
    fit_seconds = evaluator.rows[-1][1]
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)     # the test set, once, on the finished model
    print(f"{name}: test accuracy {accuracy:.4f}, {fit_seconds:.1f} s training, "
          f"{meter.images_per_second:,.0f} images/s, 0.99 validation accuracy "
          + (f"after {evaluator.seconds_to_target:.1f} s" if evaluator.seconds_to_target is not None
             else "never reached"), flush=True)
    return accuracy, fit_seconds, meter.images_per_second, evaluator.seconds_to_target, evaluator.rows


def seconds_to_reach(rows, accuracy):
    """Training seconds until the validation accuracy first reached ``accuracy``; None if it never did."""
    return next((seconds for _, seconds, reached in rows if reached >= accuracy), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article-epochs", type=int, default=5)
    parser.add_argument("--improved-epochs", type=int, nargs="+", default=[IMPROVED_EPOCHS])
    parser.add_argument("--seed", type=int, default=0, help="random seed of every run")
    parser.add_argument("--output", type=Path, help="also write the JSON object to this file")
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    x_train, x_test = data.prepare_images(x_train), data.prepare_images(x_test)
    (x_train, y_train), (x_val, y_val) = split_validation(x_train, y_train)
    train.device_report()
    started = time.perf_counter()

    config.seed_everything(args.seed)
    article = run("article recipe", models.build_article_cnn(), "adam", ARTICLE_BATCH, args.article_epochs,
                  x_train, y_train, x_val, y_val, x_test, y_test)
    article_val_accuracy = article[4][-1][2]
    report = {
        "seed": args.seed, "data_source": data.mnist_source().kind,
        "article_test_accuracy": round(article[0], 4),
        "article_val_accuracy": round(article_val_accuracy, 4),
        "article_fit_seconds": round(article[1], 1),
        "article_images_per_second": round(article[2]),
        "article_seconds_to_99": None if article[3] is None else round(article[3], 1),
        "improved": [],
    }
    for epochs in args.improved_epochs:
        config.seed_everything(args.seed)
        steps = epochs * -(-len(x_train) // IMPROVED_BATCH)
        optimizer = keras.optimizers.Adam(models.one_cycle_schedule(IMPROVED_PEAK_LR, steps))
        network = models.build_improved_cnn()
        trainer = models.with_random_shifts(network, MAX_SHIFT, seed=args.seed)
        improved = run(f"improved recipe, {epochs} epochs", network, optimizer, IMPROVED_BATCH, epochs,
                       x_train, y_train, x_val, y_val, x_test, y_test, trainer=trainer)
        to_article = seconds_to_reach(improved[4], article_val_accuracy)
        row = {
            "epochs": epochs,
            "test_accuracy": round(improved[0], 4),
            "val_accuracy": round(improved[4][-1][2], 4),
            "fit_seconds": round(improved[1], 1),
            "fit_time_ratio": round(improved[1] / article[1], 3),
            "images_per_second": round(improved[2]),
            "seconds_to_99": None if improved[3] is None else round(improved[3], 1),
            "seconds_to_article_accuracy": None if to_article is None else round(to_article, 1),
            "time_to_article_accuracy_ratio": (None if to_article is None
                                               else round(to_article / article[1], 3)),
        }
        report["improved"].append(row)
        print(f"improved ({epochs} epochs) against article: accuracy {improved[0] - article[0]:+.4f}, "
              f"fit time ×{row['fit_time_ratio']}, the article's final validation accuracy after "
              f"×{row['time_to_article_accuracy_ratio']} of the article's fit time", flush=True)
    print(f"data: {report['data_source']}; whole run {time.perf_counter() - started:.0f} s")
    print(json.dumps(report))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
