"""The test tiers and what several test modules share.

Markers (registered in pytest.ini):

``slow``
    A notebook, a Jupyter kernel, a browser, nbgrader, a subprocess that loads TensorFlow or trains, or
    more than about 5 s. Every notebook cell nbval collects is marked here. The quick tier leaves them out:
    ``python -m pytest tests -m "not slow"``.
``once``
    Backend-independent (NumPy code, the checkers, notebooks as files, the command line, subprocesses that
    choose their own backend): it runs in the TensorFlow pass of the test command and is skipped, with the
    reason, under another ``KERAS_BACKEND``, so the JAX pass runs only what depends on the backend.
``tensorflow_only(reason)``
    Needs Keras on TensorFlow for another reason (an independent check written with ``tf.GradientTape``);
    skipped with its reason under another backend.
``other_backends``
    Runs in the second pass only (a backend other than TensorFlow): the student version of every chapter.

Each chapter's code runs once per pass, and no more: the TensorFlow pass runs the chapters themselves
through nbval (reference solutions, strict checks), the second pass runs their student versions
(``tests/test_student_runs.py``), whose every cell but the stubbed solutions is the chapter's own code, so
that code is executed on both backends and each version of the notebooks once. Under another backend the
nbval items, and the ``once`` tests, are therefore deselected when no path is named on the command line
(the README's command); ``KERAS_BACKEND=jax python -m pytest chapters/05_mnist_project.ipynb`` still runs
that chapter on JAX, and a named test file still shows each ``once`` test as skipped, with the reason.

The environment variables the notebooks' kernels need are set by the repository's top-level conftest.py.
"""
import shutil
from pathlib import Path

import pytest

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"


def _keras_backend() -> str:
    import course_lib  # noqa: F401  (loads TensorFlow quietly, before Keras does: course_lib/_quiet.py)

    import keras

    return keras.backend.backend()


def _chapters_run_as_student_version(config) -> bool:
    """True in the README's second pass: another backend, and no path named on the command line."""
    return not config.option.file_or_dir and _keras_backend() != "tensorflow"


def pytest_report_header(config):
    if _chapters_run_as_student_version(config):
        return ["second pass: the chapters run as their student version (tests/test_student_runs.py); "
                "nbval's chapters and the tests marked once are deselected: the TensorFlow pass runs them",
                "(name a notebook or a test file to run it on this backend anyway)"]
    return None


@pytest.hookimpl(tryfirst=True)   # before `-m` deselects: a notebook cell must already carry `slow`
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
    if _chapters_run_as_student_version(config):
        # the README's second pass: what the TensorFlow pass already ran is deselected, not skipped one by one
        ran = [item for item in items if item.path.suffix == ".ipynb" or item.get_closest_marker("once")]
        if ran:
            config.hook.pytest_deselected(items=ran)
            items[:] = [item for item in items if item not in ran]
    markers = ("once", "tensorflow_only", "other_backends")
    if not any(item.get_closest_marker(name) for item in items for name in markers):
        return
    backend = _keras_backend()
    if backend == "tensorflow":
        second = pytest.mark.skip(reason="runs in the second pass of the test command "
                                         "(KERAS_BACKEND=jax python -m pytest), where the chapters run as "
                                         "their student version")
        for item in items:
            if item.get_closest_marker("other_backends"):
                item.add_marker(second)
        return
    once = pytest.mark.skip(reason=f"backend-independent: runs once, in the TensorFlow pass of the test "
                                   f"command (Keras runs on {backend} here)")
    for item in items:
        only = item.get_closest_marker("tensorflow_only")
        if only:
            reason = only.kwargs.get("reason") or (only.args[0] if only.args else "needs Keras on TensorFlow")
            item.add_marker(pytest.mark.skip(reason=f"{reason} (Keras runs on {backend} here)"))
        elif item.get_closest_marker("once"):
            item.add_marker(once)


@pytest.fixture
def lenient(monkeypatch):
    """Checkers return their result instead of raising (COURSE_STRICT=0), as in a learner's notebook."""
    monkeypatch.setenv("COURSE_STRICT", "0")


@pytest.fixture(scope="session")
def copy_chapters(tmp_path_factory):
    """``copy_chapters(names, folder=None)``: copies of ``chapters/<name>`` in ``folder`` (created if needed;
    a new temporary folder by default), returned; whatever runs them writes nothing into chapters/."""
    def copy(names, folder=None):
        folder = Path(folder) if folder is not None else tmp_path_factory.mktemp("chapters")
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy(CHAPTERS / name, folder / name)
        return folder
    return copy
