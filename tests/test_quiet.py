"""course_lib._quiet: TensorFlow's start-up information is dropped, its warnings and errors are not."""
import logging
import os
import subprocess
import sys

from course_lib import _quiet

import pytest


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


def test_importing_course_lib_prints_no_startup_lines():
    code = "import course_lib, keras; print(keras.backend.backend())"
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}   # the start-up lines are TensorFlow's
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tensorflow"
    assert "absl::InitializeLog" not in result.stderr and "oneDNN custom operations" not in result.stderr, \
        result.stderr


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
    env = {key: value for key, value in os.environ.items()
           if key not in ("TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND")}   # what a learner who set nothing has
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
