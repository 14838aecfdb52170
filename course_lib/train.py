"""What the course runs on; callbacks that show and bound training as it happens (chapters 00, 05, 07, 08).

Everything here is written against ``keras`` only, so it works under any Keras 3 backend.
"""
from __future__ import annotations

import importlib
import platform
import time

from course_lib import _validate, config

import keras
import numpy as np


def _accelerator_details() -> list[tuple[str, str, float]]:
    """(kind, model, NVIDIA compute capability or 0.0) of each accelerator Keras's backend can use."""
    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            found = []
            for device in tf.config.list_physical_devices("GPU"):
                details = tf.config.experimental.get_device_details(device)
                major, minor = details.get("compute_capability", (0, 0))
                found.append(("GPU", details.get("device_name", device.name), major + minor / 10))
            return found + [("TPU", device.name, 0.0) for device in tf.config.list_physical_devices("TPU")]
        if backend == "jax":
            import jax

            return [(device.platform.upper(), getattr(device, "device_kind", str(device)),
                     float(getattr(device, "compute_capability", 0) or 0))
                    for device in jax.devices() if device.platform in ("gpu", "tpu")]
        if backend == "torch":
            import torch

            capabilities = [torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())]
            return [("GPU", torch.cuda.get_device_name(i), major + minor / 10)
                    for i, (major, minor) in enumerate(capabilities)]
    except Exception:  # a broken driver means "no usable accelerator", not a crash in chapter 00
        return []
    return []


def _accelerators() -> list[tuple[str, str]]:
    """(kind, model) of each accelerator Keras's backend can use: ("GPU", "NVIDIA H100 ..."), ("TPU", ...)."""
    return [(kind, name) for kind, name, _ in _accelerator_details()]


def _describe(accelerators) -> str:
    """"GPU (NVIDIA H100 80GB HBM3)", "TPU (TPU v4) + ..." or "CPU (the processor's name)"."""
    if not accelerators:
        return f"CPU ({platform.processor() or platform.machine()})"
    kinds = sorted({kind for kind, _ in accelerators})
    return " + ".join(f"{kind} ({', '.join(name for k, name in accelerators if k == kind)})"
                       for kind in kinds)


def device_report(verbose: bool = True) -> dict:
    """Versions, backend, device (CPU, GPU or TPU model), dtype policy and course mode, as a dict.

    Chapter 00 prints it so that a learner (or a teacher reading a screenshot) sees at once what
    the course is running on.
    """
    accelerators = _accelerators()
    report = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": np.__version__,
        "device": _describe(accelerators),
        "gpu_count": sum(kind == "GPU" for kind, _ in accelerators),
        "dtype_policy": keras.config.dtype_policy().name,
        "course_mode": config.mode(),
    }
    if report["backend"] in ("tensorflow", "jax", "torch"):
        module = importlib.import_module(report["backend"])
        report[report["backend"]] = module.__version__
    if verbose:
        width = max(map(len, report))
        for key, value in report.items():
            print(f"{key:<{width}}  {value}")
    return report


def _gpu_compute_capabilities() -> list[float]:
    """Compute capability (7.0, 8.0, 9.0, ...) of every NVIDIA GPU the backend sees; [] without one."""
    return [capability for kind, _, capability in _accelerator_details() if kind == "GPU"]


def _cpu_has_amx() -> bool:
    """True on CPUs with AMX bfloat16 matrix units (Linux reports them as ``amx_bf16`` in /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return "amx_bf16" in cpuinfo.read()
    except OSError:  # not Linux: no cheap way to know, so assume not
        return False


def mixed_precision_choice() -> tuple[str, str]:
    """(dtype policy, reason): the policy that makes training faster on this hardware, and why.

    ``mixed_float16`` on NVIDIA GPUs of compute capability 7.0 or later (tensor cores);
    ``mixed_bfloat16`` on TPUs and on CPUs with AMX units; ``float32`` everywhere else, where 16-bit
    arithmetic is converted back and forth and can be slower (chapter 10b measures it).
    """
    capabilities = _gpu_compute_capabilities()
    if capabilities and min(capabilities) >= 7.0:
        return "mixed_float16", f"GPU with tensor cores (compute capability {min(capabilities):.1f})"
    if capabilities:
        return "float32", f"GPU without tensor cores (compute capability {min(capabilities):.1f})"
    if any(kind == "TPU" for kind, _ in _accelerators()):
        return "mixed_bfloat16", "TPU (bfloat16 matrix units)"
    if _cpu_has_amx():
        return "mixed_bfloat16", "CPU with AMX bfloat16 units"
    return "float32", "CPU without bfloat16 matrix units: 16-bit arithmetic would only add conversions"


def use_mixed_precision_where_it_helps(verbose: bool = True) -> str:
    """Set Keras's dtype policy to ``mixed_precision_choice()``'s, say which and why, and return it.

    A model's last layer should keep ``dtype="float32"`` so that the softmax and the loss are
    computed in full precision.
    """
    policy, reason = mixed_precision_choice()
    keras.config.set_dtype_policy(policy)
    if verbose:
        print(f"dtype policy: {policy} ({reason})")
    return policy


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, classic Notebook, VS Code, Colab), False elsewhere.

    Every Jupyter front end talks to an IPython kernel whose shell is a ``ZMQInteractiveShell`` or a
    subclass of it (Colab's shell is one), while a terminal IPython or plain Python has another
    shell or none. Live plots draw only where a notebook can show them.
    """
    try:
        from ipykernel.zmqshell import ZMQInteractiveShell
        from IPython import get_ipython
    except ImportError:
        return False
    return isinstance(get_ipython(), ZMQInteractiveShell)


class LivePlot(keras.callbacks.Callback):
    """Redraw loss and accuracy curves in place after every epoch (JupyterLab, chapter 05).

    The figure is shown once and then updated through its display handle, so the notebook keeps a
    single picture instead of a growing column of them. Outside a notebook it only records.
    ``metrics`` names what to draw; a ``val_`` twin is drawn beside each when present.
    """

    def __init__(self, metrics=("loss", "accuracy"), title: str | None = None):
        super().__init__()
        if isinstance(metrics, str):
            metrics = (metrics,)
        self.metrics = tuple(metrics)
        self.title = title
        self.history: dict[str, list[float]] = {}
        self._handle = None
        self._figure = None

    def on_train_begin(self, logs=None):
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if in_notebook():
            self._draw()

    def _draw(self):
        from course_lib.viz import plot_history

        import matplotlib.pyplot as plt
        from IPython.display import display

        if self._figure is not None:
            plt.close(self._figure)
        self._figure = plot_history(self.history, metrics=self.metrics, title=self.title)
        plt.close(self._figure)  # keep the inline backend from drawing it a second time
        if self._handle is None:
            self._handle = display(self._figure, display_id=True)
        else:
            self._handle.update(self._figure)


class Throughput(keras.callbacks.Callback):
    """Measure training speed: seconds per epoch and images per second.

    It counts the time from each batch's start to its end (fetching the data, the forward and
    backward pass, the update), so what other callbacks do between batches or at the end of an
    epoch (an evaluation, a plot) is not counted as training; list it before callbacks that work at
    the end of a batch, whose hooks run after its own. ``batch_size`` turns steps into images.
    The first epoch includes tracing and compilation, so ``images_per_second`` reports the median
    over epochs (the typical speed) and ``total_seconds`` the whole wall time of ``fit``.
    """

    def __init__(self, batch_size: int, verbose: bool = False):
        super().__init__()
        self.batch_size = _validate.positive_int(batch_size, "batch_size")
        self.verbose = verbose
        self.epoch_seconds: list[float] = []
        self.epoch_images: list[int] = []
        self.total_seconds = 0.0

    def on_train_begin(self, logs=None):
        self.epoch_seconds, self.epoch_images = [], []
        self._train_start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._seconds, self._steps = 0.0, 0

    def on_train_batch_begin(self, batch, logs=None):
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if logs and "loss" in logs:   # reading the loss waits for the step to finish (GPUs run ahead)
            float(keras.ops.convert_to_numpy(logs["loss"]))
        self._seconds += time.perf_counter() - self._batch_start
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(self._seconds)
        self.epoch_images.append(self._steps * self.batch_size)
        if self.verbose:
            rate = self.epoch_images[-1] / self._seconds
            print(f"epoch {epoch + 1}: {self._seconds:.1f} s of training, {rate:,.0f} images/s")

    def on_train_end(self, logs=None):
        self.total_seconds = time.perf_counter() - self._train_start

    @property
    def images_per_second(self) -> float:
        if not self.epoch_seconds:
            return float("nan")
        rates = np.array(self.epoch_images) / np.array(self.epoch_seconds)
        return float(np.median(rates))


class EvaluateEachEpoch(keras.callbacks.Callback):
    """Evaluate on held-out data during training and log when a target accuracy is first reached.

    By default it evaluates after every epoch; ``evaluations_per_epoch=4`` evaluates at every quarter
    of an epoch too, so that "seconds to reach 0.99" is measured to a quarter epoch instead of being
    rounded up to the end of one (chapter 05). Training seconds are counted without the evaluation
    time, so they measure training alone. ``rows`` holds (epochs done, a float such as 1.25;
    cumulative training seconds; accuracy), and ``correct`` one boolean array per row, which examples
    were right then (chapter 05 uses them to measure how much choosing on held-out data flatters it).
    Pass validation data, not the test set: the test set is evaluated once, at the end.
    """

    def __init__(self, x, y, target: float | None = None, batch_size: int = 1000, verbose: bool = False,
                 evaluations_per_epoch: int = 1):
        super().__init__()
        if len(x) != len(y):
            raise ValueError(f"x and y should have the same length, got {len(x)} and {len(y)}")
        self.x, self.y, self.target = x, y, target
        self.batch_size, self.verbose = batch_size, verbose
        self.evaluations_per_epoch = _validate.positive_int(evaluations_per_epoch, "evaluations_per_epoch")
        self.rows: list[tuple[float, float, float]] = []
        self.correct: list[np.ndarray] = []
        self.seconds_to_target: float | None = None

    def on_train_begin(self, logs=None):
        self.rows, self.correct, self.seconds_to_target, self._train_seconds = [], [], None, 0.0
        steps = (self.params or {}).get("steps") or 0
        # batch indices after which to evaluate inside an epoch (the epoch's end is always one)
        self._inside = {round(k * steps / self.evaluations_per_epoch) - 1
                        for k in range(1, self.evaluations_per_epoch)} if steps else set()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if batch in self._inside:
            fraction = (batch + 1) / self.params["steps"]
            self._evaluate(self._epoch + fraction)

    def on_epoch_end(self, epoch, logs=None):
        self._evaluate(float(epoch + 1))

    def _evaluate(self, position: float) -> None:
        self._train_seconds += time.perf_counter() - self._start
        predictions = self.model.predict(self.x, batch_size=self.batch_size, verbose=0)
        correct = np.argmax(predictions, axis=-1) == np.asarray(self.y)
        accuracy = float(np.mean(correct))
        self.correct.append(correct)
        self.rows.append((round(position, 3), self._train_seconds, accuracy))
        if self.target is not None and self.seconds_to_target is None and accuracy >= self.target:
            self.seconds_to_target = self._train_seconds
        if self.verbose:
            print(f"epoch {position:g}: {self._train_seconds:.1f} s of training, "
                  f"held-out accuracy {accuracy:.4f}")
        self._start = time.perf_counter()   # the evaluation's own time is not training time


class TimeBudget(keras.callbacks.Callback):
    """Stop ``fit`` after the epoch that would otherwise overrun ``seconds`` (chapters 07, 08d, 08e).

    After each epoch it predicts the next epoch's end from the slowest epoch so far and stops
    training if that would pass the budget, so a run on a slow or busy machine stays within it
    (with fewer epochs) instead of taking twice as long. ``seconds`` counts ``fit``'s wall time,
    callbacks included; ``epochs_run`` and ``stopped_early`` tell afterwards what happened.
    """

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = _validate.number(seconds, "seconds", low=0, include_low=False)
        self.epochs_run = 0
        self.stopped_early = False
        self.elapsed = 0.0

    def on_train_begin(self, logs=None):
        self._start = self._last = time.perf_counter()
        self._slowest = 0.0
        self.epochs_run, self.stopped_early = 0, False

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self._slowest = max(self._slowest, now - self._last)
        self._last = now
        self.epochs_run += 1
        self.elapsed = now - self._start
        if self.elapsed + self._slowest > self.seconds:
            self.stopped_early = True
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.elapsed = time.perf_counter() - self._start

    def summary(self) -> str:
        """One plain sentence for the end of a training cell: did the budget cut training short?

        A slower machine fits fewer epochs into the same budget; the sentence then says so, and
        what a learner can do about it, instead of leaving a weaker result unexplained.
        """
        planned = (self.params or {}).get("epochs")
        planned_text = f" of the {planned} planned" if planned else ""
        ran = f"{self.epochs_run} epoch{'s' if self.epochs_run != 1 else ''}{planned_text}"
        if not self.stopped_early:
            return (f"Training ran {ran} in {self.elapsed:.0f} s, "
                    f"within the time budget of {self.seconds:.0f} s.")
        return (f"The time budget of {self.seconds:.0f} s stopped training after {ran} "
                f"({self.elapsed:.0f} s; the slowest epoch took {self._slowest:.0f} s). "
                "The results below come from that shorter training: on a slower or busier machine they can "
                "fall below the chapter's targets. To train longer, raise the budget (or the epochs), resume "
                "from a checkpoint where the chapter saves one, or run the chapter on a GPU.")
