"""The input pipeline of chapter 10a, stage by stage, and training streamed from disk against from memory.

    COURSE_DATA_DIR=/path/to/data python bench/pipeline.py            # about 5 minutes on a 2-core CPU
    COURSE_DATA_DIR=/path/to/data python bench/pipeline.py --fast     # a small run, under a minute

On the same TFRecord shards of MNIST's 60,000 training digits it measures the input stage alone
(images/s): a Python loop over the records, ``tf.data`` sequential, ``tf.data`` with interleaved
reads, parallel decoding and prefetching, the same cached, and PNG-encoded shards. Then the training
speed of chapter 05's CNN (images/s; the two take turns, best of epochs 2 and 3) fed from memory and from the
shards, and one streamed epoch over a dataset of ``--dataset-mb`` MB (MNIST copied with random turns
and shifts) with the process's peak memory growth. Shards go to a temporary folder, deleted at the
end. The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib import config, data, measure, models, shards  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

BATCH = 256


def input_rates(raw, png, loop_batches: int) -> dict[str, float]:
    """Images per second of the input stage alone, each way of reading the same images."""
    rates = {
        "python_loop": measure.images_per_second(shards.python_loop_batches(raw, BATCH),
                                                 max_batches=loop_batches),
        "tf_data_sequential": measure.images_per_second(shards.streaming_dataset(raw, BATCH, parallel=False)),
        "tf_data_parallel": measure.images_per_second(shards.streaming_dataset(raw, BATCH)),
    }
    cached = shards.streaming_dataset(raw, BATCH, cache=True)
    measure.images_per_second(cached)
    rates["tf_data_cached"] = measure.images_per_second(cached)
    rates["tf_data_parallel_png"] = measure.images_per_second(shards.streaming_dataset(png, BATCH))
    return rates


def training_rates(feeds: dict, num_images: int, seed: int, rounds: int = 3) -> dict[str, float]:
    """Training images per second of chapter 05's CNN for each feed ({name: arrays tuple or dataset}).

    One model per feed; they train one epoch at a time, taking turns, so that a machine that slows down
    affects each alike. Round 1 (tracing) is not counted; the fastest later epoch is kept.
    """
    trained = {}
    for name in feeds:
        config.seed_everything(seed)
        trained[name] = models.build_article_cnn()
        trained[name].compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    seconds = {name: [] for name in feeds}
    for _ in range(rounds):
        for name, feed in feeds.items():
            start = time.perf_counter()
            if isinstance(feed, tuple):
                trained[name].fit(*feed, batch_size=BATCH, verbose=0)
            else:
                trained[name].fit(feed(), verbose=0)
            seconds[name].append(time.perf_counter() - start)
    return {name: num_images / min(times[1:]) for name, times in seconds.items()}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="6,000 digits and a 12 MB dataset")
    parser.add_argument("--dataset-mb", type=float, default=None, help="size of the streamed dataset (MB)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    dataset_target_mb = args.dataset_mb or (12 if args.fast else 1020)

    (x_train, y_train), _ = data.load_mnist()
    source = data.mnist_source()
    if args.fast:
        x_train, y_train = x_train[:6000], y_train[:6000]
    work = Path(tempfile.mkdtemp(prefix="course-bench-pipeline-"))
    try:
        raw = shards.write_shards(x_train, y_train, work / "raw", 16)
        shards.write_shards(x_train, y_train, work / "png", 16, encoding="png")
        rates = input_rates(work / "raw", work / "png", loop_batches=10 if args.fast else 60)
        fit_rates = training_rates({"memory": (data.prepare_images(x_train), y_train),
                                    "streamed": lambda: shards.streaming_dataset(work / "raw", BATCH)},
                                   len(x_train), args.seed)
        memory_rate, stream_rate = fit_rates["memory"], fit_rates["streamed"]

        record_bytes = raw["bytes"] / raw["num_images"]
        copies = int(np.ceil(dataset_target_mb * 1e6 / (record_bytes * len(x_train))))
        with shards.ShardWriter(work / "big", num_shards=64) as writer:
            for images, labels in shards.augmented_copies(x_train, y_train, copies, seed=args.seed):
                writer.write(images, labels)
        dataset_mb = shards.folder_megabytes(work / "big")
        config.seed_everything(args.seed)
        model = models.build_article_cnn()
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        model.fit(shards.streaming_dataset(work / "raw", BATCH).take(2), verbose=0)
        start = time.perf_counter()
        with measure.PeakMemory() as memory:
            model.fit(shards.streaming_dataset(work / "big", BATCH, seed=args.seed), epochs=1, verbose=0)
        big_seconds = time.perf_counter() - start
        num_big = shards.read_manifest(work / "big")["num_images"]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    result = {
        "backend": keras.backend.backend(), "data_source": source.kind, "images": len(x_train),
        "input_images_per_second": {name: round(rate) for name, rate in rates.items()},
        "input_speedup_sharded": round(rates["tf_data_parallel"] / rates["python_loop"], 1),
        "input_speedup_cached": round(rates["tf_data_cached"] / rates["python_loop"], 1),
        "fit_images_per_second_memory": round(memory_rate),
        "fit_images_per_second_streamed": round(stream_rate),
        "stream_vs_memory_fit_ratio": round(stream_rate / memory_rate, 3),
        "dataset_mb": round(dataset_mb, 1), "dataset_images": num_big,
        "big_epoch_images_per_second": round(num_big / big_seconds),
        "peak_memory_growth_mb": round(memory.growth_mb, 1),
    }
    for name, rate in rates.items():
        print(f"input, {name:>22}: {rate:>10,.0f} images/s ({rate / rates['python_loop']:.1f}× the loop)")
    print(f"training from memory {memory_rate:,.0f} images/s, streamed {stream_rate:,.0f} images/s "
          f"(ratio {stream_rate / memory_rate:.2f})")
    print(f"one streamed epoch over {num_big:,} images ({dataset_mb:,.0f} MB) in {big_seconds:.0f} s; "
          f"peak memory growth {memory.growth_mb:,.0f} MB")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
