"""python -m course_tools doctor: all well here (exit 0); a missing dataset, a too-old package or a kernel
that does not start each give a ✘ line with the command that fixes it, and exit 1.

One test starts a real Jupyter kernel (the slow part, a few seconds); the others simulate their problem
by monkeypatching and skip the kernel.
"""
import shutil

from course_lib import config, data
from course_tools import doctor
from course_tools.__main__ import main

import numpy as np
import pytest


def lines_of(text):
    return [line for line in text.splitlines() if line.startswith(("✔", "✘"))]


@pytest.fixture(scope="module")
def full_size_data(tmp_path_factory):
    """A $COURSE_DATA_DIR with MNIST and Fashion-MNIST files of the full size (blank images, compressed):
    the doctor validates them as the chapters would, whatever copies this machine has."""
    folder = tmp_path_factory.mktemp("course_data")
    arrays = {}
    for split, count in (("train", 60000), ("test", 10000)):
        arrays[f"x_{split}"] = np.zeros((count, 28, 28), np.uint8)
        arrays[f"y_{split}"] = (np.arange(count) % 10).astype(np.uint8)
    for name in (data.MNIST_FILE, data.FASHION_FILE):
        np.savez_compressed(folder / name, **arrays)
    return folder


@pytest.fixture
def no_full_data(tmp_path, monkeypatch):
    """Nowhere to find a full copy: an empty $COURSE_DATA_DIR, a course data/ folder with only the bundled
    samples, an empty Keras cache, no Debian files, downloads off."""
    course_data = tmp_path / "course_data"
    course_data.mkdir()
    for sample in (data.SAMPLE_FILE, data.FASHION_SAMPLE_FILE):
        shutil.copy(config.SAMPLE_DIR / sample, course_data / sample)
    (tmp_path / "share").mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "share"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(config, "DATA_DIR", course_data)
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path / "no-debian-files")
    return tmp_path


@pytest.fixture
def datasets_found(monkeypatch, full_size_data):
    monkeypatch.setenv("COURSE_DATA_DIR", str(full_size_data))


@pytest.mark.slow   # starts a Jupyter kernel; runs in both passes: the doctor checks the backend
def test_all_is_well_here_exit_0_with_a_real_kernel(datasets_found, capsys):
    status = main(["doctor"])
    out = capsys.readouterr().out
    assert status == 0, out
    lines = lines_of(out)
    assert lines and all(line.startswith("✔") for line in lines), out
    for name in ("Python", "keras", "tensorflow", "Keras backend", "device", "MNIST", "Fashion-MNIST",
                 "free disk", "widgets", "Jupyter kernel"):
        assert any(line.startswith(f"✔ {name}: ") for line in lines), f"no ✔ line for {name}:\n{out}"
    assert "All is well" in out


@pytest.mark.once
def test_help_lists_doctor(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "doctor" in out and "student" in out and "fetch" in out


@pytest.mark.once
def test_missing_dataset_is_a_problem_with_its_fix(no_full_data, capsys):
    status = main(["doctor", "--no-kernel"])
    out = capsys.readouterr().out
    assert status == 1
    mnist = next(line for line in lines_of(out) if line.startswith(("✔ MNIST", "✘ MNIST")))
    assert mnist.startswith("✘ MNIST: no full copy found") and "bundled sample" in mnist
    assert "fix: python -m course_tools fetch" in mnist and "COURSE_DATA_DIR" in mnist
    fashion = next(line for line in lines_of(out) if "Fashion-MNIST:" in line)
    assert fashion.startswith("✘") and "apt-get install dataset-fashion-mnist" in fashion
    assert "2 problem(s)" in out


@pytest.mark.once
def test_damaged_dataset_names_the_file(no_full_data, capsys):
    damaged = no_full_data / "share" / data.MNIST_FILE
    damaged.write_bytes(b"not an archive")
    assert doctor.run(kernel=False) == 1
    mnist = next(line for line in lines_of(capsys.readouterr().out) if " MNIST:" in line)
    assert mnist.startswith("✘") and str(damaged) in mnist and "damaged" in mnist
    assert "fix: python -m course_tools fetch" in mnist


@pytest.mark.once
@pytest.mark.parametrize("installed, problem", [("3.0.0", "3.0.0 is outside the course's range"),
                                                (None, "not installed")])
def test_too_old_or_missing_package_is_a_problem_with_its_fix(datasets_found, monkeypatch, capsys,
                                                                installed, problem):
    real = doctor._installed_version
    monkeypatch.setattr(doctor, "_installed_version",
                        lambda name: installed if name == "keras" else real(name))
    assert doctor.run(kernel=False) == 1
    lines = lines_of(capsys.readouterr().out)
    failed = [line for line in lines if line.startswith("✘")]
    declared = doctor.requirement_for("keras", "")   # pyproject.toml's range, e.g. keras>=3.8,<4
    assert declared.startswith("keras>=")
    assert failed == [f'✘ keras: {problem}{f" ({declared})" if installed else ""}  →  fix: '
                      f'pip install --upgrade "{declared}"'], lines


@pytest.mark.once
def test_kernel_that_does_not_start_is_a_problem_with_its_fix(datasets_found, monkeypatch, capsys):
    def dies(timeout):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(doctor, "_start_kernel", dies)
    assert doctor.run(kernel=True, kernel_timeout=5) == 1
    failed = [line for line in lines_of(capsys.readouterr().out) if line.startswith("✘")]
    assert len(failed) == 1 and failed[0].startswith("✘ Jupyter kernel: the python3 kernel")
    assert "Kernel died before replying" in failed[0]
    assert "fix: pip install --upgrade" in failed[0]
    assert "python -m ipykernel install --sys-prefix" in failed[0]


@pytest.mark.once
def test_kernel_of_another_python_is_a_problem(monkeypatch):
    monkeypatch.setattr(doctor, "_start_kernel", lambda timeout: {
        "prefix": "/usr", "executable": "/usr/bin/python3", "course_lib": False})
    [result] = doctor.check_kernel()
    assert not result.ok and "/usr/bin/python3" in result.detail and "ipykernel install" in result.fix


@pytest.mark.once
def test_widgets_extension_missing_or_disabled(monkeypatch):
    monkeypatch.setattr(doctor, "_labextension_folder", lambda: None)
    [result] = doctor.check_widgets()
    assert not result.ok and "jupyterlab_widgets" in result.fix
    monkeypatch.setattr(doctor, "_labextension_folder", lambda: config.REPO_ROOT)   # any folder
    monkeypatch.setattr(doctor, "_disabled_labextensions", lambda: {doctor.WIDGETS_EXTENSION})
    [result] = doctor.check_widgets()
    assert not result.ok and result.fix == f"jupyter labextension enable {doctor.WIDGETS_EXTENSION}"


def test_gpu_the_backend_cannot_see_is_a_problem(monkeypatch):
    monkeypatch.setattr(doctor, "_nvidia_gpu_present", lambda: True)
    [result] = doctor.check_device()
    if "GPU (" in result.detail:   # a machine whose backend does use its GPU: nothing to report
        assert result.ok
    else:
        assert not result.ok and "does not see it" in result.detail and "pip install" in result.fix


@pytest.mark.once
def test_full_disk_is_a_problem(monkeypatch):
    monkeypatch.setattr(doctor, "_free_bytes", lambda path: 10 * 2**20)
    results = doctor.check_disk()
    assert results and all(not result.ok and "du -sh" in result.fix for result in results)


@pytest.mark.once
def test_a_check_that_crashes_is_reported_not_raised(datasets_found, monkeypatch, capsys):
    def broken():
        raise OSError("disk on fire")

    monkeypatch.setattr(doctor, "check_disk", broken)
    assert doctor.run(kernel=False) == 1
    assert "✘ disk: the check itself failed (OSError: disk on fire)" in capsys.readouterr().out


@pytest.mark.once
def test_marks_fall_back_to_ascii():
    class Ascii:
        encoding = "ascii"

    assert doctor._marks(Ascii()) == ("OK", "X")
    assert doctor.Result(False, "x", "broken", "do this").line(("OK", "X")) == "X x: broken  ->  fix: do this"
