"""Measuring a pipeline: images per second of any stream of batches, and a process's peak memory."""
from __future__ import annotations

import itertools
import threading
import time

from course_lib import _validate

import psutil

#: The shortest pause between two readings: below a millisecond the thread would only spin.
MIN_INTERVAL_S = 0.001


def images_per_second(batches, max_batches: int | None = None, warmup_batches: int = 1) -> float:
    """Pull batches ``(images, labels)`` from ``batches`` and return images per second.

    The first ``warmup_batches`` are pulled before the clock starts (opening files, building the
    pipeline, filling buffers), then up to ``max_batches`` are timed; the images are counted from
    each batch's first element, so the stream is read for real, not just stepped through.
    """
    warmup_batches = _validate.positive_int(warmup_batches, "warmup_batches", minimum=0)
    if max_batches is not None:
        max_batches = _validate.positive_int(max_batches, "max_batches (or None for all)")
    iterator = iter(batches)
    for _ in itertools.islice(iterator, warmup_batches):
        pass
    images, start = 0, time.perf_counter()
    for batch in itertools.islice(iterator, max_batches):
        images += len(batch[0])
    seconds = time.perf_counter() - start
    if images == 0:
        raise ValueError("the stream gave no batches after the warm-up: "
                         "give it more data or fewer warmup_batches")
    return images / seconds


class PeakMemory:
    """Peak growth of this process's resident memory inside a ``with`` block, in MB (10^6 bytes).

    A background thread reads the resident set size every ``interval`` seconds; the growth is the
    highest reading minus the reading when the block began. Works on Linux, macOS and Windows.
    """

    def __init__(self, interval: float = 0.02):
        self.interval = _validate.number(interval, "interval (seconds between readings)", low=MIN_INTERVAL_S)
        self.baseline_mb = self.peak_mb = self.growth_mb = 0.0
        self._process = psutil.Process()

    def _rss_mb(self) -> float:
        return self._process.memory_info().rss / 1e6

    def _watch(self):
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._rss_mb())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.baseline_mb = self.peak_mb = self._rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb())
        self.growth_mb = self.peak_mb - self.baseline_mb
