"""The command line (python -m course_tools ...): info names the data source, fetch fails clearly offline;
``python -m course_lib ...`` is the same command line."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# info and fetch load TensorFlow (through course_lib); what the commands print does not depend on the backend.
pytestmark = [pytest.mark.once, pytest.mark.slow]


def run(*args, package="course_tools", **env):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    return subprocess.run([sys.executable, "-m", package, *args], capture_output=True, text=True,
                          cwd=ROOT, env=environment, timeout=300)


def test_info_reports_device_mode_and_source(tmp_path):
    result = run("info", COURSE_OFFLINE="1", COURSE_DATA_DIR=str(tmp_path), COURSE_FAST="1",
                 KERAS_HOME=str(tmp_path / "keras"))
    assert result.returncode == 0, result.stderr
    assert "backend" in result.stdout and "course_mode   fast" in result.stdout
    if not (ROOT / "data" / "mnist.npz").exists():
        assert "MNIST source            no full copy on disk: the bundled sample" in result.stdout


def test_info_only_looks_and_names_the_file_it_found(tmp_path):
    # A file named mnist.npz that is not a valid archive: info must not read it (a chapter would
    # refuse it with a clear error), and must not try a download either (unroutable proxy).
    (tmp_path / "mnist.npz").write_bytes(b"not an archive")
    result = run("info", COURSE_DATA_DIR=str(tmp_path), KERAS_HOME=str(tmp_path / "keras"),
                 HTTPS_PROXY="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
    assert result.returncode == 0, result.stderr
    assert f"full copy in $COURSE_DATA_DIR ({tmp_path / 'mnist.npz'})" in result.stdout
    assert not (tmp_path / "keras" / "datasets").exists(), "info made a datasets folder: it tried to load"


def test_fetch_without_network_fails_with_a_pointer(tmp_path):
    # KERAS_HOME points to an empty folder and no network is reachable from the tests' sandbox,
    # or the download is made impossible by an unroutable proxy.
    result = run("fetch", str(tmp_path / "out"), KERAS_HOME=str(tmp_path / "keras"),
                 HTTPS_PROXY="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
                 HTTP_PROXY="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9")
    assert result.returncode == 1
    assert "could not download MNIST" in result.stderr and "data/README.md" in result.stderr
    assert not (tmp_path / "out" / "mnist.npz").exists()


def test_usage_error_names_the_commands():
    result = run("teleport")
    assert result.returncode == 2 and "invalid choice" in result.stderr and "student" in result.stderr


def test_course_lib_is_an_alias_of_the_tools_command_line(tmp_path):
    result = run("info", package="course_lib", COURSE_OFFLINE="1", COURSE_DATA_DIR=str(tmp_path),
                 COURSE_FAST="1", KERAS_HOME=str(tmp_path / "keras"))
    assert result.returncode == 0, result.stderr
    assert "course_mode   fast" in result.stdout and "MNIST source" in result.stdout
