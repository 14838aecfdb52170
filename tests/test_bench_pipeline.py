"""bench/pipeline.py runs (in its fast size) and its JSON line holds every figure chapter 10a reports."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# bench/pipeline.py reads with tf.data whatever Keras's backend: one run, in the TensorFlow pass, is enough.
pytestmark = [pytest.mark.once, pytest.mark.slow]


def test_bench_pipeline_fast_prints_one_json_line(tmp_path):
    command = [sys.executable, str(ROOT / "bench" / "pipeline.py"), "--fast", "--dataset-mb", "4"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                          env={**os.environ, "COURSE_FAST": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    stages = result["input_images_per_second"]
    assert set(stages) == {"python_loop", "tf_data_sequential", "tf_data_parallel", "tf_data_cached",
                           "tf_data_parallel_png"}
    assert all(rate > 0 for rate in stages.values())
    assert result["input_speedup_sharded"] > 3, "batched parsing beats the record-by-record loop"
    assert result["input_speedup_cached"] > result["input_speedup_sharded"] * 0.5
    assert result["fit_images_per_second_memory"] > 0 and result["fit_images_per_second_streamed"] > 0
    assert result["stream_vs_memory_fit_ratio"] == pytest.approx(
        result["fit_images_per_second_streamed"] / result["fit_images_per_second_memory"], rel=0.01)
    assert 4 <= result["dataset_mb"] < 12 and result["dataset_images"] >= 4_000   # 6,000 digits or 4,000
    assert 0 <= result["peak_memory_growth_mb"] < 500
