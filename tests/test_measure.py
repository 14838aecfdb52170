"""course_lib.measure: the peak-memory meter sees an allocation inside its block; images/s counts images."""
import time

from course_lib import measure

import numpy as np
import pytest


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


def test_images_per_second_counts_images_after_the_warmup():
    def slow_batches():
        for _ in range(6):
            time.sleep(0.02)
            yield np.zeros((50, 2)), np.zeros(50)
    rate = measure.images_per_second(slow_batches(), warmup_batches=1)
    assert 1000 <= rate <= 2600, rate          # 50 images per 20 ms = 2,500 images/s at most
    with pytest.raises(ValueError, match="no batches"):
        measure.images_per_second(iter([(np.zeros(3), np.zeros(3))]), warmup_batches=1)
