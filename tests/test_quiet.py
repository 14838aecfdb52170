"""course_lib._quiet: TensorFlow's start-up information is dropped, its warnings and errors are not; its C++
log while it runs is off (TF_CPP_MIN_LOG_LEVEL=3) unless the learner set the level."""
import logging
import os
import subprocess
import sys

from course_lib import _quiet

import pytest

pytestmark = pytest.mark.once   # the subprocesses and the kernel choose their own backend


def test_startup_lines_are_recognised_and_warnings_are_not():
    chatter = ["WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
               "I0000 00:00:1795786738.714239   14657 port.cc:153] oneDNN custom operations are on.",
               "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild it"]
    real = ["E0000 00:00:1795786751.345359 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT",
            "UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer."]
    assert all(_quiet.is_startup_chatter(line) for line in chatter)
    assert not any(_quiet.is_startup_chatter(line) for line in real)


def test_the_retracing_notice_is_dropped_and_other_records_pass():
    drop = _quiet._DropRetracingNotice()

    def record(message):
        return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, message, None, None)

    assert not drop.filter(record("5 out of the last 12 calls to <f> triggered tf.function retracing."))
    assert drop.filter(record("Gradients do not exist for variables ['dense/kernel'] when minimizing."))


@pytest.mark.slow   # a subprocess or a kernel that loads TensorFlow
def test_importing_course_lib_prints_no_startup_lines():
    code = "import course_lib, keras; print(keras.backend.backend())"
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}   # the start-up lines are TensorFlow's
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tensorflow"
    assert "absl::InitializeLog" not in result.stderr and "oneDNN custom operations" not in result.stderr, \
        result.stderr


@pytest.mark.slow   # a subprocess or a kernel that loads TensorFlow
def test_seeding_on_jax_prints_no_startup_lines():
    """Keras's set_random_seed imports TensorFlow on any backend (to seed tf.data); seed_everything loads it
    quietly first, so a chapter run on JAX shows no TensorFlow start-up lines either."""
    pytest.importorskip("jax", reason="JAX is not installed")
    code = ("from course_lib import config; config.seed_everything(3); import keras; "
            "print(keras.backend.backend())")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 0 and result.stdout.strip() == "jax", result.stderr
    assert "absl::InitializeLog" not in result.stderr and "oneDNN custom operations" not in result.stderr, \
        result.stderr



@pytest.mark.slow   # a subprocess or a kernel that loads TensorFlow
def test_kerass_shuffle_notice_for_datasets_is_dropped_and_other_warnings_are_not():
    """fit's default shuffle=True makes Keras warn on every tf.data pipeline; course_lib drops only that."""
    code = ("import warnings, course_lib\n"
            "warnings.warn('`shuffle=True` was passed, but will be ignored since the data `x` was provided "
            "as a tf.data.Dataset.', UserWarning)\n"
            "warnings.warn('something a learner should see', UserWarning)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "something a learner should see" in done.stderr
    assert "shuffle=True" not in done.stderr


@pytest.mark.slow   # a subprocess or a kernel that loads TensorFlow
def test_a_chapters_first_cell_in_a_fresh_kernel_shows_only_the_mode_note():
    """What JupyterLab shows under chapter 00's first cell: a Jupyter kernel captures file descriptor 2,
    so TensorFlow's C++ start-up lines (written there while its library loads, before any Python setting
    applies) would show as a pink stderr box; and the cell's last expression must not print a value."""
    import json
    from pathlib import Path

    manager = pytest.importorskip("jupyter_client.manager", reason="jupyter_client is not installed")
    notebook = json.loads((Path(__file__).parents[1] / "chapters" / "00_start_here.ipynb").read_text("utf-8"))
    first = "".join(next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")["source"])
    assert "from course_lib import" in first
    # what a learner who set nothing has; and with PYTEST_CURRENT_TEST ipykernel would not pass what C++ code
    # writes to file descriptor 2 on to the cell
    env = {key: value for key, value in os.environ.items()
           if key not in ("TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND", "PYTEST_CURRENT_TEST")}
    kernel, client = manager.start_new_kernel(kernel_name="python3", env=env, startup_timeout=120)
    try:
        request = client.execute(first)
        shown = []
        while True:
            message = client.get_iopub_msg(timeout=180)
            if message["parent_header"].get("msg_id") != request:
                continue
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
            if message["msg_type"] in ("stream", "execute_result", "display_data", "error"):
                shown.append((message["msg_type"], message["content"]))
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
    kinds = [kind if kind != "stream" else content["name"] for kind, content in shown]
    text = "".join(content.get("text", "") for _, content in shown)
    assert set(kinds) == {"stdout"}, f"the first cell should print only to stdout, it showed {kinds}:\n{text}"
    assert text.startswith("Fast mode") or text.startswith("Full mode"), text
    assert "absl::InitializeLog" not in text and "oneDNN" not in text and "cuda" not in text.lower(), text


def test_cpp_log_lines_are_recognised_in_a_cells_stderr():
    """The lines TensorFlow's C++ code logs (seen in chapters 10a and 10b), in both formats; not Python's."""
    cpp = ["I0000 00:00:1796649285.517761    4323 tf_record_dataset_op.cc:396] The default buffer size is "
           "262144, which is overridden by the user specified `buffer_size` of 1048576",
           "I0000 00:00:1796649297.436837    4161 generator_dataset_op.cc:213] Memory patch applied: "
           "M_TRIM_THRESHOLD=128 kb was set.",
           "W0000 00:00:1796649297.461764    4161 dataset.cc:997] Input of GeneratorDatasetOp::Dataset will "
           "not be optimized because the dataset does not implement the AsGraphDefInternal() method needed "
           "to apply optimizations.",
           "E0000 00:00:1796651033.858796   30833 cuda_platform.cc:52] failed call to cuInit: INTERNAL",
           "F1207 13:34:40.960888   27673 rendezvous.cc:161] [id=0] Termination timeout for `all reduce`",
           "2024-10-25 03:10:12.686928: W tensorflow/core/framework/dataset.cc:993] Input of Generator",
           "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"]
    python = ["/venv/keras/src/trainers/epoch_iterator.py:74: UserWarning: `shuffle=True` was passed",
              "WARNING:tensorflow:5 out of the last 5 calls to <function> triggered tf.function retracing.",
              "Fast mode (COURSE_FAST=1): small subsets and a few steps",
              "Information 2024: nothing to do with TensorFlow"]
    assert _quiet.cpp_log_lines("\n".join(cpp + python)) == cpp


# Makes TensorFlow's C++ code log what chapters 07, 08d and 10 made it log: at INFO (a tf.data note), at
# WARNING (MirroredStrategy's multi-device iterator) and at ERROR (Grappler's failed Conv2D + LeakyReLU fusion
# on the first training step); prints the level TensorFlow loaded with.
_TRIGGER_CPP_LOGS = """
import os, tempfile
import course_lib  # noqa: F401
import keras
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "one.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        writer.write(b"record")
    assert len(list(tf.data.TFRecordDataset(path, buffer_size=1 << 20))) == 1   # INFO: "default buffer size"
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
batches = strategy.experimental_distribute_dataset(tf.data.Dataset.range(8).batch(4))
assert sum(1 for _ in batches) == 2          # WARNING: "GeneratorDatasetOp::Dataset will not be optimized"
model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3), keras.layers.LeakyReLU(0.2),
                          keras.layers.Flatten(), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.train_on_batch(np.zeros((2, 8, 8, 1), "float32"), np.zeros((2, 1), "float32"))   # ERROR: "remapper"
print(os.environ["TF_CPP_MIN_LOG_LEVEL"])
"""


def _run_trigger(**env_changes):
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(KERAS_BACKEND="tensorflow", **env_changes)
    done = subprocess.run([sys.executable, "-c", _TRIGGER_CPP_LOGS], capture_output=True, text=True,
                          timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip(), _quiet.cpp_log_lines(done.stderr)


@pytest.mark.slow   # a subprocess or a kernel that loads TensorFlow
def test_importing_course_lib_quietens_tensorflows_cpp_log_before_it_loads():
    """Without TF_CPP_MIN_LOG_LEVEL (a learner's kernel), course_lib sets it to 3 before TensorFlow loads: the
    lines that chapters 07, 08d and 10 used to show in pink boxes do not appear."""
    level, lines = _run_trigger()
    assert level == _quiet.CPP_MIN_LOG_LEVEL == "3"
    assert not lines, "\n".join(lines)


@pytest.mark.slow   # a subprocess or a kernel that loads TensorFlow
def test_a_learners_own_cpp_log_level_is_kept():
    """TF_CPP_MIN_LOG_LEVEL=0 (show everything) is kept, and then the same code logs: the trigger is real."""
    level, lines = _run_trigger(TF_CPP_MIN_LOG_LEVEL="0")
    assert level == "0"
    text = "\n".join(lines)
    assert "buffer size" in text and "GeneratorDatasetOp" in text and "remapper failed" in text, text


@pytest.mark.slow   # a subprocess or a kernel that loads TensorFlow
def test_the_cpp_log_level_is_set_on_other_backends_too():
    """On JAX, TensorFlow may load later (tf.data, Keras's seeding, chapter 10b's workers): set it too."""
    code = ("import os, sys, course_lib\n"
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], 'tensorflow' in sys.modules)")
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**env, "KERAS_BACKEND": "jax"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [_quiet.CPP_MIN_LOG_LEVEL, "False"]
