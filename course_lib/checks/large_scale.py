"""Checkers for chapter 10 (large scale: shards, data parallelism, several processes, scale in numbers)."""
from __future__ import annotations

import math

from course_lib.checks.core import Hint, call, checker, expect_choices, multiple_choice


@checker("each worker's shards")
def check_shards_for_worker(shards_for_worker):
    """The learner's ``shards_for_worker(files, worker, num_workers)``: every file goes to exactly one
    worker, the shares differ by at most one file, and a worker's share does not depend on anything else."""
    for num_files, num_workers in ((16, 2), (16, 3), (10, 4), (3, 3), (7, 1)):
        files = [f"train-{i:05d}-of-{num_files:05d}.tfrecord" for i in range(num_files)]
        shares = []
        for worker in range(num_workers):
            share = call(shards_for_worker, list(files), worker, num_workers)
            if not isinstance(share, (list, tuple)):
                raise Hint(f"return a list of file names, got {type(share).__name__}")
            shares.append(list(share))
        taken = [name for share in shares for name in share]
        missing = sorted(set(files) - set(taken))
        if missing:
            raise Hint(f"with {num_files} files and {num_workers} workers, no worker reads {missing[0]}: "
                       "every shard must belong to some worker, or its images are never trained on")
        if len(taken) != len(set(taken)) or set(taken) - set(files):
            raise Hint(f"with {num_files} files and {num_workers} workers, some file is read by two workers "
                       "(or a name was invented): each image should be seen once per epoch")
        sizes = [len(share) for share in shares]
        if max(sizes) - min(sizes) > 1:
            raise Hint(f"with {num_files} files and {num_workers} workers the shares hold {sizes} files: "
                       "the busiest worker sets the pace, so balance them to within one file")
    return "every shard belongs to exactly one worker, and the shares are balanced."


def _scaled_learning_rate(base_learning_rate, base_batch, per_replica_batch, replicas):
    return base_learning_rate * per_replica_batch * replicas / base_batch


@checker("the learning rate for more replicas")
def check_scaled_learning_rate(scaled_learning_rate):
    """The learner's ``scaled_learning_rate(base_learning_rate, base_batch, per_replica_batch, replicas)``:
    the linear scaling rule, the learning rate grown with the global batch."""
    cases = [(0.01, 128, 128, 2), (0.1, 256, 32, 8), (0.01, 128, 64, 2), (3e-4, 64, 64, 1),
             (0.05, 512, 128, 16)]
    for case in cases:
        got = call(scaled_learning_rate, *case)
        expected = _scaled_learning_rate(*case)
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            raise Hint(f"return a number, got {type(got).__name__}")
        if not math.isclose(got, expected, rel_tol=1e-9):
            base_lr, base_batch, per_replica, replicas = case
            if math.isclose(got, base_lr * replicas, rel_tol=1e-9):
                raise Hint(f"scaled_learning_rate{case} returned {got:g}: the rule follows the *global* "
                       "batch (per-replica batch × replicas) against the batch the base rate was tuned on")
            global_batch = per_replica * replicas
            raise Hint(f"scaled_learning_rate{case} returned {got:g}; the global batch is {global_batch}, "
                       f"{global_batch / base_batch:g} times the base batch {base_batch}")
    return "the learning rate grows with the global batch, as the linear scaling rule says."


def _machines_needed(num_images, images_per_second, hours, scaling_efficiency):
    return math.ceil(num_images / (images_per_second * scaling_efficiency * hours * 3600))


@checker("machines for an epoch in a given time")
def check_machines_needed(machines_needed):
    """The learner's ``machines_needed(num_images, images_per_second, hours, scaling_efficiency)``: the
    fewest whole machines that finish one epoch in ``hours`` when each adds ``scaling_efficiency`` of its
    own speed."""
    cases = [(1_281_167, 5.0, 1.0, 1.0), (14_000_000, 2_500.0, 1.0, 0.9), (3_600, 1.0, 1.0, 1.0),
             (3_601, 1.0, 1.0, 1.0), (1_000_000, 100.0, 0.5, 0.8)]
    for case in cases:
        got = call(machines_needed, *case)
        expected = _machines_needed(*case)
        if isinstance(got, float) and got.is_integer():
            got = int(got)
        if not isinstance(got, int) or isinstance(got, bool):
            raise Hint(f"machines_needed{case} returned {got!r}: machines come whole, return an int "
                       "(round up: 2.1 machines means 3)")
        if got != expected:
            if got == _machines_needed(*case[:3], 1.0):
                raise Hint(f"machines_needed{case} returned {got}, as if every machine added its full speed: "
                           "each adds only scaling_efficiency of it")
            if got == expected - 1:
                raise Hint(f"machines_needed{case} returned {got}, one too few: round up, never down")
            raise Hint(f"machines_needed{case} returned {got}, expected {expected}: one epoch is num_images "
                       "images; each machine gets through images_per_second × scaling_efficiency of them "
                       "every second, for hours × 3600 seconds")
    return "one epoch, divided among whole machines, rounded up."


ROUNDOFF_CHOICES = ("agree", "differ")


@checker("your prediction, before the long run")
def check_roundoff_prediction(roundoff_prediction):
    """The learner's ``roundoff_prediction()`` → {"mirrored": ..., "nudged": ...}, each "agree" or "differ"
    (to 1e-5, after the long run). Any honest prediction passes; the run says whether it came true."""
    return expect_choices(call(roundoff_prediction),
                          {"mirrored": ROUNDOFF_CHOICES, "nudged": ROUNDOFF_CHOICES})


QUESTIONNAIRE = {1: "b", 2: "c", 3: "a", 4: "b", 5: "c", 6: "a"}
REASONS = {
    1: "a stream holds a shuffle buffer and a few batches, never the whole dataset",
    2: "on 2 CPU cores the CNN's arithmetic takes the time; a GPU does that part so fast that the CPU's "
       "reading and decoding becomes the limit",
    3: "mirrored replicas add up the same per-example gradients as one device, in a different order",
    4: "twice the global batch means half the steps per epoch; a larger rate keeps the distance travelled",
    5: "only the addresses and the process ids change: the script and the engine stay the same",
    6: "a random shuffle buffer of B records only mixes records that are within about B of each other, so "
       "the order of files must be shuffled too",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
