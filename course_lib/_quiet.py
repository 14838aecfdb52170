"""Load TensorFlow without its start-up chatter (package-internal; used by ``course_lib/__init__``).

TensorFlow 2.21 writes several lines to the process's standard error while it loads ("All log
messages before absl::InitializeLog()...", "oneDNN custom operations are on...", "Could not find
cuda drivers..."), from C++, before any Python setting can apply; ``TF_CPP_MIN_LOG_LEVEL`` no
longer silences them. In JupyterLab they fill the first cell of every chapter with a pink box.
Loading TensorFlow once with file descriptor 2 pointed at a temporary file, then passing on every
line that is not known start-up information, keeps real warnings and errors visible.

One Python warning is dropped as well: "N out of the last M calls to ... triggered tf.function
retracing". Keras compiles one function per model, so a chapter that trains a dozen small models in
a loop (09a) triggers it although nothing is wrong and nothing can be done about it. And Keras's
"`shuffle=True` was passed, but will be ignored" is dropped: ``fit``'s default is ``shuffle=True``, so
every ``fit`` on a ``tf.data`` pipeline (chapter 10) says it, although nobody passed anything.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
import tempfile
import warnings

# Lines TensorFlow prints on every start, which tell a learner nothing they can act on.
_STARTUP_CHATTER = re.compile(
    r"All log messages before absl::InitializeLog\(\)"
    r"|^I\d{4} "                                  # absl INFO lines: oneDNN, cuda drivers, CPU features
    r"|^To enable the following instructions:"    # the continuation of the CPU-features line
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered"
    r"|failed call to cuInit"                     # no GPU here; chapter 00's device report says so plainly
)


warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored",
                        category=UserWarning)


def is_startup_chatter(line: str) -> bool:
    """True for a line TensorFlow prints on every start (information, not a warning)."""
    return bool(_STARTUP_CHATTER.search(line))


class _DropRetracingNotice(logging.Filter):
    """Drops TensorFlow's retracing notice, which a loop over freshly built models always triggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def tensorflow_backend_expected() -> bool:
    """True when Keras will use TensorFlow (the default) and TensorFlow is installed but not loaded."""
    if "tensorflow" in sys.modules:
        return False
    if os.environ.get("KERAS_BACKEND", "tensorflow").strip().lower() != "tensorflow":
        return False
    return importlib.util.find_spec("tensorflow") is not None


def import_tensorflow_quietly(any_backend: bool = False) -> None:
    """Import TensorFlow with its start-up information lines dropped; anything else still shows.

    By default only when Keras will run on TensorFlow. ``any_backend=True`` (used by
    ``config.seed_everything``) loads it on another backend too, when it is installed: Keras's
    ``set_random_seed`` imports it there to seed ``tf.data``, and would print the lines itself.
    """
    if "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is None:
        return
    if not any_backend and not tensorflow_backend_expected():
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):   # no usable file descriptor 2: load it as usual
        import tensorflow  # noqa: F401
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import tensorflow

            tensorflow.config.list_physical_devices()   # the device search prints too, on first use
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode("utf-8", errors="replace").splitlines()
            kept = [line for line in lines if line.strip() and not is_startup_chatter(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)
    logging.getLogger("tensorflow").addFilter(_DropRetracingNotice())
