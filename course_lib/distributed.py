"""Plumbing for training on several devices and several processes (chapter 10b).

- ``split_cpu(2)`` makes one CPU look like two devices, so that data parallelism can be shown and
  checked on a laptop. It must run before the backend has started (the first cell of a notebook).
- ``launch_local_cluster`` starts one worker process per "machine" on 127.0.0.1, the way a cluster
  launcher starts one per host, and stops all of them if one fails or time runs out.
- ``max_weight_difference`` compares two lists of weights, the check every experiment ends with.

The training scripts themselves are written in the chapter; ``scripts/multiworker_train.py`` (in the
checkout, beside the package: it is run, never imported) is the reusable copy that the test suite runs.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from course_lib._validate import positive_int

import numpy as np

#: The worker script of chapter 10b (a script, so it lives outside the package: importing it would run it).
WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "multiworker_train.py"


def split_cpu(num_devices: int = 2) -> list[str]:
    """Present the CPU as ``num_devices`` devices to the current backend; returns their names.

    TensorFlow: logical CPU devices (``/cpu:0``, ``/cpu:1``) for ``tf.distribute``. JAX: host devices
    for ``keras.distribution``. Both share the same cores: this is for seeing and checking data
    parallelism, not for speed. Raises ``RuntimeError`` with what to do if the backend already runs.
    """
    import keras

    num_devices = positive_int(num_devices, "num_devices")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        current = tf.config.get_logical_device_configuration(cpu)
        if current is not None and len(current) == num_devices:
            return [d.name for d in tf.config.list_logical_devices("CPU")]
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)])
        except RuntimeError as error:
            raise RuntimeError("split_cpu must run before TensorFlow starts computing: call it in the "
                               "notebook's first cell, then restart the kernel and run again") from error
        return [d.name for d in tf.config.list_logical_devices("CPU")]
    if backend == "jax":
        import jax

        if jax.config.jax_num_cpu_devices != num_devices:
            try:
                jax.config.update("jax_num_cpu_devices", num_devices)
            except RuntimeError as error:
                raise RuntimeError("split_cpu must run before JAX starts computing: call it in the "
                                   "notebook's first cell, then restart the kernel and run again") from error
        devices = jax.devices("cpu")
        if len(devices) != num_devices:
            raise RuntimeError(f"asked JAX for {num_devices} CPU devices but it has {len(devices)}: "
                               "call split_cpu in the first cell, then restart the kernel")
        return [f"cpu:{d.id}" for d in devices]
    raise RuntimeError(f"split_cpu supports the tensorflow and jax backends, not {backend!r}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the coordinator's address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class WorkerRun:
    process_id: int
    returncode: int
    output: str
    seconds: float


def cluster_environment(process_id: int, num_processes: int, coordinator: str) -> dict[str, str]:
    """The only settings that differ between workers: Keras's distribution reads them in ``initialize()``.

    On a real cluster each host gets the same three variables, with the coordinator's real address
    and its own process id; a scheduler (Slurm, Kubernetes, a TPU pod) usually fills them in.
    """
    return {"KERAS_DISTRIBUTION_JOB_ADDRESSES": coordinator,
            "KERAS_DISTRIBUTION_NUM_PROCESSES": str(num_processes),
            "KERAS_DISTRIBUTION_PROCESS_ID": str(process_id)}


def launch_local_cluster(script, num_processes: int = 2, args=(), timeout: float = 300.0,
                         extra_env: dict[str, str] | None = None) -> list[WorkerRun]:
    """Run ``python script *args`` as ``num_processes`` cooperating JAX workers on this machine.

    Each worker gets the cluster environment above (coordinator on a free port of 127.0.0.1) and
    ``KERAS_BACKEND=jax`` on the CPU. Returns one ``WorkerRun`` per worker. If any worker fails or the
    ``timeout`` (seconds, for all of them) passes, every worker still running is stopped and a
    ``RuntimeError`` shows the end of each worker's output. Each worker's output goes to a log file in a
    temporary folder (never beside the script, which may sit in a read-only install); the folder is
    removed after a clean run and kept, named in the error, after a failure.
    """
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"script should be a Python file, got {script} (not found)")
    num_processes = positive_int(num_processes, "num_processes")
    coordinator = f"127.0.0.1:{free_port()}"
    base = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    log_folder = Path(tempfile.mkdtemp(prefix=f"{script.stem}-workers-"))
    logs = [log_folder / f"worker{i}.log" for i in range(num_processes)]
    start = time.perf_counter()
    procs = []
    for i in range(num_processes):
        env = {**base, **cluster_environment(i, num_processes, coordinator)}
        with open(logs[i], "w") as log:
            procs.append(subprocess.Popen([sys.executable, str(script), *map(str, args)], env=env,
                                          stdout=log, stderr=subprocess.STDOUT))
    finished: dict[int, float] = {}
    try:
        while len(finished) < num_processes:
            for i, proc in enumerate(procs):
                if i not in finished and proc.poll() is not None:
                    finished[i] = time.perf_counter() - start
                    if proc.returncode != 0:
                        raise RuntimeError(f"worker {i} stopped with exit status {proc.returncode}")
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"the workers did not finish within {timeout:.0f} s")
            time.sleep(0.05)
    except (RuntimeError, KeyboardInterrupt) as error:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for proc in procs:
            proc.wait()
        tails = "\n".join(f"--- worker {i} (last lines) ---\n" + "\n".join(log.read_text().splitlines()[-15:])
                          for i, log in enumerate(logs))
        raise RuntimeError(f"{error}; every worker was stopped (full logs in {log_folder}).\n"
                           f"{tails}") from None
    runs = [WorkerRun(i, proc.returncode, logs[i].read_text(), finished[i]) for i, proc in enumerate(procs)]
    for log in logs:
        log.unlink()
    log_folder.rmdir()
    return runs


def run_single_process(script, args=(), timeout: float = 300.0,
                       extra_env: dict[str, str] | None = None) -> WorkerRun:
    """Run ``python script *args`` once, without the cluster settings (JAX on the CPU), as the reference.

    Raises ``RuntimeError`` with the end of its output if it fails or runs past ``timeout`` seconds.
    """
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"script should be a Python file, got {script} (not found)")
    env = {key: value for key, value in os.environ.items() if not key.startswith("KERAS_DISTRIBUTION_")}
    env.update({"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3",
                "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(script), *map(str, args)], env=env, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"the process did not finish within {timeout:.0f} s and was stopped") from error
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise RuntimeError(f"the process stopped with exit status {done.returncode}:\n{tail}")
    return WorkerRun(0, 0, done.stdout, time.perf_counter() - start)


def max_weight_difference(weights_a, weights_b) -> float:
    """Largest absolute difference between two models' weights (lists of arrays, same layout)."""
    weights_a, weights_b = list(weights_a), list(weights_b)
    if len(weights_a) != len(weights_b):
        raise ValueError(f"both models should have the same number of weight arrays, "
                         f"got {len(weights_a)} and {len(weights_b)}")
    worst = 0.0
    for i, (a, b) in enumerate(zip(weights_a, weights_b)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            raise ValueError(f"weight {i} should have the same shape in both models, "
                             f"got {a.shape} and {b.shape}")
        worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0)
    return worst
