"""course_lib.distributed: data parallelism on two devices equals one device, two processes on 127.0.0.1
equal one process with two devices, and the launcher stops every worker when one fails or time runs out.

The training checks start their own Python processes with the backend they need (TensorFlow for
MirroredStrategy, JAX for keras.distribution), so they run once, in the TensorFlow pass of the suite.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from course_lib import distributed, train

import keras
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
# The launcher is plain Python, and the training checks start processes with the backend they need: nothing
# here depends on the backend of the test process.
pytestmark = pytest.mark.once


def test_max_weight_difference():
    a = [np.zeros((2, 3), np.float32), np.ones(4, np.float32)]
    b = [np.zeros((2, 3), np.float32), np.ones(4, np.float32) + np.float32(3e-6)]
    assert distributed.max_weight_difference(a, a) == 0.0
    assert distributed.max_weight_difference(a, b) == pytest.approx(3e-6, rel=1e-2)
    with pytest.raises(ValueError, match="same number of weight arrays"):
        distributed.max_weight_difference(a, a[:1])
    with pytest.raises(ValueError, match=r"weight 1 should have the same shape"):
        distributed.max_weight_difference(a, [a[0], np.ones(5)])


def test_cluster_environment_names_what_keras_reads():
    env = distributed.cluster_environment(1, 2, "10.0.0.1:1234")
    assert env == {"KERAS_DISTRIBUTION_JOB_ADDRESSES": "10.0.0.1:1234",
                   "KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": "1"}


def write_script(tmp_path, body):
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(body))
    return script


def test_workers_get_their_own_process_id_and_one_coordinator(tmp_path):
    script = write_script(tmp_path, """
        import json, os
        print(json.dumps({k: os.environ[k] for k in os.environ if k.startswith("KERAS_")}))
    """)
    runs = distributed.launch_local_cluster(script, 3, timeout=60)
    seen = [json.loads(run.output.strip().splitlines()[-1]) for run in runs]
    assert [s["KERAS_DISTRIBUTION_PROCESS_ID"] for s in seen] == ["0", "1", "2"]
    assert {s["KERAS_DISTRIBUTION_NUM_PROCESSES"] for s in seen} == {"3"}
    coordinators = {s["KERAS_DISTRIBUTION_JOB_ADDRESSES"] for s in seen}
    assert len(coordinators) == 1 and coordinators.pop().startswith("127.0.0.1:")
    assert {s["KERAS_BACKEND"] for s in seen} == {"jax"}
    assert not list(tmp_path.glob("*.log")), "the workers' logs are removed after a clean run"


def pid_gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_failing_worker_stops_the_others(tmp_path):
    script = write_script(tmp_path, f"""
        import os, sys, time
        pid_file = {str(tmp_path)!r} + "/pid" + os.environ["KERAS_DISTRIBUTION_PROCESS_ID"]
        open(pid_file, "w").write(str(os.getpid()))
        if os.environ["KERAS_DISTRIBUTION_PROCESS_ID"] == "1":
            time.sleep(0.5)
            print("worker 1 gives up")
            sys.exit(3)
        time.sleep(120)                      # waits for a partner that will never come
    """)
    start = time.perf_counter()
    gave_up = r"worker 1 stopped with exit status 3(.|\n)*worker 1 gives up"
    with pytest.raises(RuntimeError, match=gave_up) as caught:
        distributed.launch_local_cluster(script, 2, timeout=60)
    assert time.perf_counter() - start < 30
    # the logs are kept for the learner to read, in a temporary folder, never beside the script
    logs = Path(str(caught.value).split("full logs in ", 1)[1].split(")", 1)[0])
    assert "worker 1 gives up" in (logs / "worker1.log").read_text()
    assert not logs.is_relative_to(tmp_path) and not list(tmp_path.glob("*.log"))
    shutil.rmtree(logs)
    assert pid_gone(int((tmp_path / "pid0").read_text())), "the waiting worker was stopped too"


def test_workers_past_the_timeout_are_stopped(tmp_path):
    script = write_script(tmp_path, f"""
        import os, time
        pid_file = {str(tmp_path)!r} + "/pid" + os.environ["KERAS_DISTRIBUTION_PROCESS_ID"]
        open(pid_file, "w").write(str(os.getpid()))
        time.sleep(120)
    """)
    with pytest.raises(RuntimeError, match="did not finish within 3 s"):
        distributed.launch_local_cluster(script, 2, timeout=3)
    assert all(pid_gone(int((tmp_path / f"pid{i}").read_text())) for i in range(2))


def test_missing_script_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.py"):
        distributed.launch_local_cluster(tmp_path / "nothing.py")
    with pytest.raises(ValueError, match="num_processes"):
        distributed.launch_local_cluster(write_script(tmp_path, "pass"), 0)


def run_python(code, backend, timeout=300):
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=ROOT, timeout=timeout,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


DATA_PARALLEL_CHECK = """
    import numpy as np
    from course_lib import config, distributed, models
    import keras
    devices = distributed.split_cpu(2)
    assert len(devices) == 2, devices
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.get_logger().setLevel("ERROR")
        two, one = tf.distribute.MirroredStrategy(devices), tf.distribute.OneDeviceStrategy(devices[0])
    else:
        two = keras.distribution.DataParallel(devices=devices)
        one = keras.distribution.DataParallel(devices=devices[:1])
    rng = np.random.default_rng(0)
    x = (rng.random((1024, 28, 28, 1)) < 0.2).astype("float32")
    y = rng.integers(0, 10, 1024)
    def train(engine):
        config.seed_everything(0)
        with engine.scope():
            model = models.build_article_cnn()
            model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                          loss="sparse_categorical_crossentropy")
            model.fit(x, y, batch_size=128, shuffle=False, epochs=1, verbose=0)
        return model.get_weights()
    print("DIFF", distributed.max_weight_difference(train(two), train(one)))
"""


@pytest.mark.slow   # trains in subprocesses
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_devices_train_like_one(backend):
    out = run_python(DATA_PARALLEL_CHECK, backend)
    diff = float(out.split("DIFF")[-1])
    assert diff <= 1e-5, diff


@pytest.mark.slow   # trains in subprocesses
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_split_cpu_too_late_says_what_to_do(backend):
    out = run_python("""
        from course_lib import distributed
        import keras
        keras.ops.convert_to_numpy(keras.ops.ones(3) + 1)    # the backend starts computing
        try:
            distributed.split_cpu(2)
        except RuntimeError as error:
            print("REFUSED", error)
    """, backend)
    assert "REFUSED split_cpu must run before" in out and "restart the kernel" in out


@pytest.mark.slow   # trains in subprocesses
def test_two_processes_train_like_one_process_with_two_devices(tmp_path):
    from course_lib import shards

    rng = np.random.default_rng(0)
    images = (rng.random((2048, 28, 28)) < 0.2).astype(np.uint8) * 255
    shards.write_shards(images, rng.integers(0, 10, 2048), tmp_path / "shards", num_shards=8)
    args = [tmp_path / "shards", tmp_path / "cluster", "--steps", 6, "--global-batch", 64]
    runs = distributed.launch_local_cluster(distributed.WORKER_SCRIPT, 2, args, timeout=300)
    reports = [json.loads(run.output.strip().splitlines()[-1]) for run in runs]
    assert [r["process_id"] for r in reports] == [0, 1]
    assert all(r["num_processes"] == 2 and r["devices"] == 2 and r["local_batch"] == 32 for r in reports)
    reference = distributed.run_single_process(
        distributed.WORKER_SCRIPT, [tmp_path / "shards", tmp_path / "reference", "--steps", 6,
                                    "--global-batch", 64], timeout=300)
    assert json.loads(reference.output.strip().splitlines()[-1])["num_processes"] == 1

    def load(name):
        with np.load(tmp_path / name) as archive:
            return [archive[key] for key in archive.files]

    process_0 = load("cluster.process0.npz")
    assert distributed.max_weight_difference(process_0, load("cluster.process1.npz")) == 0.0
    assert distributed.max_weight_difference(process_0, load("reference.process0.npz")) <= 1e-6
    assert reports[0]["loss"] == pytest.approx(json.loads(reference.output.strip().splitlines()[-1])["loss"])


def test_the_chapter_writes_the_library_worker_script():
    """Chapter 10b writes the script in three cells (%%writefile, then %%writefile -a twice): together they
    say what scripts/multiworker_train.py says, line by line (blank lines between the cells aside)."""
    notebook = json.loads((ROOT / "chapters" / "10b_many_devices.ipynb").read_text())
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    target = "{WORK}/multiworker_train.py\n"
    first = [i for i, c in enumerate(cells) if c.startswith("%%writefile " + target)]
    appended = [i for i, c in enumerate(cells) if c.startswith("%%writefile -a " + target)]
    assert len(first) == 1 and appended and min(appended) > first[0]
    body = "\n".join(cells[i].split("\n", 1)[1] for i in first + appended)

    def lines(text):
        return [line for line in text.splitlines() if line.strip()]

    assert lines(body) == lines(distributed.WORKER_SCRIPT.read_text()), \
        "chapter 10b's training script and scripts/multiworker_train.py have drifted apart"


@pytest.mark.parametrize("capabilities, amx, expected", [
    ([8.0], False, "mixed_float16"), ([7.0, 9.0], False, "mixed_float16"), ([6.1], False, "float32"),
    ([], True, "mixed_bfloat16"), ([], False, "float32")])
def test_mixed_precision_only_where_it_helps(monkeypatch, capabilities, amx, expected):
    monkeypatch.setattr(train, "_gpu_compute_capabilities", lambda: capabilities)
    monkeypatch.setattr(train, "_accelerators", lambda: [])
    monkeypatch.setattr(train, "_cpu_has_amx", lambda: amx)
    policy, reason = train.mixed_precision_choice()
    assert policy == expected and reason


def test_use_mixed_precision_sets_and_says(monkeypatch, capsys):
    monkeypatch.setattr(train, "mixed_precision_choice", lambda: ("float32", "a CPU, for the test"))
    try:
        assert train.use_mixed_precision_where_it_helps() == "float32"
        assert keras.config.dtype_policy().name == "float32"
        assert "dtype policy: float32 (a CPU, for the test)" in capsys.readouterr().out
    finally:
        keras.config.set_dtype_policy("float32")
