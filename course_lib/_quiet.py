"""Load TensorFlow without its start-up chatter (package-internal; used by ``course_lib/__init__``).

TensorFlow 2.21 writes several lines to the process's standard error while it loads ("All log
messages before absl::InitializeLog()...", "oneDNN custom operations are on...", "Could not find
cuda drivers..."), from C++, before any Python setting can apply; ``TF_CPP_MIN_LOG_LEVEL`` does
not silence them. In JupyterLab they fill the first cell of every chapter with a pink box.
Loading TensorFlow once with file descriptor 2 pointed at a temporary file, then passing on every
line that is not known start-up information, keeps real warnings and errors visible.

While it runs, TensorFlow's C++ code logs more, and those lines do obey ``TF_CPP_MIN_LOG_LEVEL``,
read once when TensorFlow loads. Each shows as a pink box under whichever cell triggered it:
``tf.data``'s notes at INFO ("The default buffer size is 262144, which is overridden by the user
specified `buffer_size`", "Memory patch applied: M_TRIM_THRESHOLD=128 kb", chapter 10a),
``MirroredStrategy``'s "Input of GeneratorDatasetOp::Dataset will not be optimized" at WARNING (chapter
10; TensorFlow repeats it every 30 s), and, at ERROR, Grappler's "remapper failed: INVALID_ARGUMENT:
Mutation::Apply error: fanout '.../LeakyReluGrad' exist for missing node '.../BiasAdd'" on the first step
of any model with a convolution followed by a LeakyReLU (the GANs of chapters 07 and 08d): an
optimisation TensorFlow tries, fails and skips, the training being unaffected. No learner can act on
any of them. So importing ``course_lib`` sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless it is already set:
only FATAL lines (a crash) remain. Errors that matter still reach the learner, as the Python exception
TensorFlow raises with its message; Python warnings (``warnings``, the ``tensorflow`` logger) are not
affected. A learner who sets the variable keeps their value: ``TF_CPP_MIN_LOG_LEVEL=0 jupyter lab``
shows everything, ``=2`` TensorFlow's C++ errors (useful when a GPU set-up fails). Processes started
from a chapter (section 6's workers) inherit the setting.

One Python warning is dropped as well: "N out of the last M calls to ... triggered tf.function
retracing". Keras compiles one function per model, so a chapter that trains a dozen small models in
a loop (09a) triggers it although nothing is wrong and nothing can be done about it. And Keras's
"`shuffle=True` was passed, but will be ignored" is dropped: ``fit``'s default is ``shuffle=True``, so
every ``fit`` on a ``tf.data`` pipeline (chapter 10a) says it, although nobody passed anything.
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


# One line of TensorFlow's C++ (absl) log, as TensorFlow 2.21 writes it, e.g.
# "I0000 00:00:1796649285.517761    4323 tf_record_dataset_op.cc:396] The default buffer size is ...",
# or as TensorFlow before 2.16 did: "2024-10-25 03:10:12.686928: W tensorflow/core/framework/dataset.cc:993]".
_CPP_LOG_LINE = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] "   # MMDD hh:mm:ss; 2.21: 0000 00:00:<epoch s>
    r"|^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] [\w./-]+:\d+\] "
    r"|All log messages before absl::InitializeLog\(\)", re.MULTILINE)

# C++ INFO, WARNING and ERROR lines off while TensorFlow runs; FATAL stays (see the module's docstring)
CPP_MIN_LOG_LEVEL = "3"


def quieten_cpp_logging() -> None:
    """Set ``TF_CPP_MIN_LOG_LEVEL`` to 3 unless it is set: TensorFlow reads it once, when it loads."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", CPP_MIN_LOG_LEVEL)


def cpp_log_lines(text: str) -> list[str]:
    """The lines of ``text`` (a cell's stderr, say) that are TensorFlow C++ log lines."""
    return [line for line in text.splitlines() if _CPP_LOG_LINE.search(line)]


quieten_cpp_logging()   # on `import course_lib`, before TensorFlow loads

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
