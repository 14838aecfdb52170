"""course_lib.measure: the peak-memory meter sees an allocation inside its block; images/s counts images."""
import time
import types

from course_lib import measure

import numpy as np
import pytest

pytestmark = pytest.mark.once   # NumPy and the clock: the same on any backend


def test_peak_memory_sees_a_temporary_allocation():
    with measure.PeakMemory(interval=0.005) as memory:
        block = np.ones(200_000_000 // 8)          # 200 MB, touched so that it is resident
        time.sleep(0.05)
        del block
    assert 150 <= memory.growth_mb <= 400, memory.growth_mb
    assert memory.peak_mb >= memory.baseline_mb + memory.growth_mb - 1e-6


def test_peak_memory_of_nothing_is_small():
    with measure.PeakMemory() as memory:
        time.sleep(0.05)
    assert memory.growth_mb < 20


def test_images_per_second_counts_images_after_the_warmup(monkeypatch):
    now = [0.0]                                         # a fake clock: the counting, not the machine's load
    monkeypatch.setattr(measure, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))

    def batches(sizes, seconds):
        for size, took in zip(sizes, seconds):          # each batch takes its time to arrive
            now[0] += took
            yield np.zeros((size, 2)), np.zeros(size)

    # the warm-up batch (a whole second: opening files) is not timed; then 5 × 50 images in 0.1 s
    rate = measure.images_per_second(batches([50] * 6, [1.0] + [0.02] * 5), warmup_batches=1)
    assert rate == pytest.approx(2500)
    # max_batches=1 times the 30 images of the second batch and never pulls the third
    assert measure.images_per_second(batches([10, 30, 70], [0.5, 0.01, 0.1]), max_batches=1) == \
        pytest.approx(3000)
    with pytest.raises(ValueError, match="no batches"):
        measure.images_per_second(iter([(np.zeros(3), np.zeros(3))]), warmup_batches=1)


@pytest.mark.parametrize("call, error, message", [
    # interval=0 used to start a thread that read the memory without pausing
    (lambda: measure.PeakMemory(interval=0), ValueError,
     r"interval \(seconds between readings\) should be a number >= 0.001, got 0"),
    (lambda: measure.PeakMemory(interval="fast"), TypeError,
     "interval .* should be a number >= 0.001, got 'fast'"),
    (lambda: measure.images_per_second([], warmup_batches=-1), ValueError,
     "warmup_batches should be an int >= 0, got -1"),
    (lambda: measure.images_per_second([], max_batches=0), ValueError,
     r"max_batches \(or None for all\) should be a positive int"),
    (lambda: measure.images_per_second([], max_batches=2.0), TypeError,
     "max_batches .* should be a positive int"),
])
def test_bad_settings_say_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_numpy_interval_is_a_number():
    assert measure.PeakMemory(interval=np.float64(0.01)).interval == 0.01


def test_images_per_second_on_the_real_clock_never_exceeds_the_true_rate():
    def slow_batches():
        for _ in range(6):
            time.sleep(0.02)                            # never returns early, however loaded the machine
            yield np.zeros((50, 2)), np.zeros(50)
    rate = measure.images_per_second(slow_batches(), warmup_batches=1)
    assert 0 < rate <= 2500 * 1.01, rate                # 50 images per 20 ms at most
