"""Checkers for chapter 10a (the input pipeline: shards, a shuffle buffer, workers sharing the shards)."""
from __future__ import annotations

from course_lib.checks.core import Hint, call, checker, expect_choices, multiple_choice

import numpy as np


def _images_per_epoch(shard_sizes, num_workers, local_batch):
    full_batches = [sum(shard_sizes[w::num_workers]) // local_batch for w in range(num_workers)]
    return min(full_batches) * local_batch * num_workers


@checker("the images a cluster trains on per epoch")
def check_images_per_epoch(images_per_epoch):
    """The learner's ``images_per_epoch(shard_sizes, num_workers, local_batch)``: worker w reads shards w,
    w + W, ...; each drops its last incomplete batch; the workers step together, so the epoch lasts as many
    steps as the worker with the fewest full batches has."""
    cases = [([100] * 16, 2, 64), ([3_125] * 16, 3, 100), ([1_000, 999], 1, 100), ([1_000] * 10, 4, 256),
             ([500, 20, 480, 30, 510, 10], 2, 64)]
    for sizes, workers, batch in cases:
        got = call(images_per_epoch, list(sizes), workers, batch)
        if isinstance(got, np.integer) or (isinstance(got, float) and got.is_integer()):
            got = int(got)
        if not isinstance(got, int) or isinstance(got, bool):
            raise Hint(f"images_per_epoch({sizes}, {workers}, {batch}) returned {got!r}: return a whole "
                       "number of images (an int)")
        expected = _images_per_epoch(sizes, workers, batch)
        if got == expected:
            continue
        shares = [sum(sizes[w::workers]) for w in range(workers)]
        where = f"images_per_epoch({sizes}, {workers}, {batch}) returned {got}"
        if got == sum(sizes):
            raise Hint(f"{where}, every image: but each worker drops its last, incomplete batch "
                       "(drop_remainder=True), so some images wait for the next epoch")
        if got == sum(sizes) // (batch * workers) * batch * workers:
            raise Hint(f"{where}, as if the whole dataset were cut into global batches: each worker batches "
                       f"only the records of its own shards ({shares} here), with its own remainder")
        full_batches = [share // batch for share in shares]
        if got in (max(full_batches) * batch * workers, sum(full_batches) * batch):
            raise Hint(f"{where}: the workers take every step together (each step adds up all their "
                       "gradients), so the epoch ends when the worker with the fewest full batches runs out")
        raise Hint(f"{where}, expected {expected}: the workers' shares hold {shares} images")
    return "every worker's full batches, in lockstep with the slowest share."


def _released(buffer_shuffle, num_items, buffer_size, seed):
    """The learner's order of the items 0 … num_items - 1 through a buffer of ``buffer_size``."""
    got = call(buffer_shuffle, list(range(num_items)), buffer_size, np.random.default_rng(seed))
    if got is None:
        raise Hint("buffer_shuffle returned None: did you forget a `return`?")
    try:
        order = [int(item) for item in got]
    except (TypeError, ValueError):
        raise Hint(f"return the items as a list, got {type(got).__name__}") from None
    if sorted(order) != list(range(num_items)):
        if len(order) < num_items and len(set(order)) == len(order):
            raise Hint(f"{num_items} items with a buffer of {buffer_size}: {num_items - len(order)} never "
                       "came out. When the input ends, the records still waiting in the buffer leave too")
        raise Hint(f"{num_items} items with a buffer of {buffer_size}: every item must come out exactly "
                   f"once, yours gave {len(order)} items, {len(set(order))} of them different")
    return order


@checker("a shuffle buffer, by hand")
def check_buffer_shuffle(buffer_shuffle):
    """The learner's ``buffer_shuffle(items, buffer_size, rng)``: the order in which a shuffle buffer of
    ``buffer_size`` releases ``items`` (what ``Dataset.shuffle`` does), drawn with ``rng``."""
    for num_items, size in ((50, 8), (5, 10), (17, 1), (30, 30), (30, 40)):
        order = _released(buffer_shuffle, num_items, size, seed=1)
        for position, item in enumerate(order):
            if item > position + size - 1:
                raise Hint(f"with a buffer of {size}, item {item} came out at position {position}, before "
                           "the buffer could have read it: a record leaves only after it entered the buffer, "
                           f"so at most {size - 1} places early")
    if _released(buffer_shuffle, 17, 1, seed=1) != list(range(17)):
        raise Hint("with a buffer of one record, each record leaves as soon as it enters: the order cannot "
                   "change")
    if _released(buffer_shuffle, 50, 8, seed=1) == list(range(50)):
        raise Hint("50 items with a buffer of 8 came back in their original order: the record that leaves "
                   "is drawn at random (with rng) from those waiting")
    if _released(buffer_shuffle, 50, 8, seed=1) != _released(buffer_shuffle, 50, 8, seed=1) or (
            _released(buffer_shuffle, 50, 8, seed=1) == _released(buffer_shuffle, 50, 8, seed=2)):
        raise Hint("draw with the rng you are given (rng.integers): the same rng seed must give the same "
                   "order, another seed another order")
    if _released(buffer_shuffle, 30, 40, seed=1) == list(range(30)):
        raise Hint("with a buffer as large as the data, nothing leaves before the input ends, and yours then "
                   "gives the items back in order: the records left in the buffer leave in random order too")
    latest = max(_released(buffer_shuffle, 40, 4, seed=seed).index(0) for seed in range(200))
    if latest <= 3:
        raise Hint(f"with a buffer of 4, item 0 never came out later than position {latest} in 200 runs: "
                   "the buffer is not emptied in blocks of 4; a record that is not drawn stays and may wait "
                   "many steps, as each draw frees one place for the next record")
    firsts = np.bincount([_released(buffer_shuffle, 12, 4, seed=seed)[0] for seed in range(1_000)],
                         minlength=4)[:4]
    if firsts.min() < 190 or firsts.max() > 310:
        raise Hint(f"with a buffer of 4, the first record out should be any of items 0–3 with equal chance "
                   f"(about 250 times in 1,000 runs each); yours chose them {firsts.tolist()} times")
    return "records leave the buffer at random, never before they entered it, and may wait long after."


PIPELINE_CHOICES = {"png_shards": ("faster", "slower"),
                    "streamed_training": ("about as fast", "clearly slower")}
# the teacher's key, kept here so that it is not on screen in the chapter before the measurements
PREDICTION = {"png_shards": "slower", "streamed_training": "about as fast"}


@checker("your prediction, before the measurements")
def check_pipeline_prediction(pipeline_prediction):
    """The learner's ``pipeline_prediction()`` → {"png_shards": "faster" or "slower" (read than the raw
    shards), "streamed_training": "about as fast" or "clearly slower" (than training from memory)}. Any
    honest prediction passes; the measurements say whether it came true."""
    return expect_choices(call(pipeline_prediction), PIPELINE_CHOICES)


QUESTIONNAIRE = {1: "b", 2: "c", 3: "a", 4: "b", 5: "a"}
REASONS = {
    1: "a stream holds a shuffle buffer and a few batches, never the whole dataset",
    2: "on 2 CPU cores the CNN's arithmetic takes the time; a GPU does that part so fast that the CPU's "
       "reading and decoding becomes the limit",
    3: "a shuffle buffer of B records only mixes records that are within about B of each other (every shard "
       "holds all ten classes: image i went to shard i mod 16), so the order of files must be shuffled too",
    4: "`.cache()` keeps the decoded images in memory after the first epoch: it helps only data that fits",
    5: "a compressed image is decoded again in every epoch; on a local disk that costs more than reading the "
       "raw bytes, compression pays where the disk or the network is the slow part",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
