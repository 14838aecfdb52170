"""Fast mode, seeding and where data lives (explained in chapter 00).

Every chapter runs in two sizes from the same cells:

* **full mode** (the default): the real dataset and the real number of epochs, the source's results;
* **fast mode** (``COURSE_FAST=1``): small subsets and few steps, so that CI and slow laptops can
  execute every notebook in a minute or so.

A notebook never branches on the mode; it asks for a size with ``pick(full=..., fast=...)``.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np

PACKAGE_DIR = Path(__file__).resolve().parent
# The bundled samples travel inside the package (package data), so that a plain, non-editable
# ``pip install .`` (how an admin installs a course on a shared hub) still finds them.
SAMPLE_DIR = PACKAGE_DIR / "samples"
REPO_ROOT = PACKAGE_DIR.parent


def _is_checkout(folder: Path) -> bool:
    return (folder / "chapters").is_dir() and (folder / "pyproject.toml").is_file()


IN_CHECKOUT = _is_checkout(REPO_ROOT)
# Where full copies are looked for and where ``fetch`` saves them: the checkout's data/ folder, or
# for an installed package (no checkout around it) a folder in the user's home.
DATA_DIR = (REPO_ROOT / "data" if IN_CHECKOUT else
            Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "course_lib" / "data")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"environment variable {name} should be 1 or 0 (or true/false), got {value!r}")


def is_fast() -> bool:
    """True when ``COURSE_FAST`` is set to 1. Read at every call so a test can switch it."""
    return _flag("COURSE_FAST")


def strict_checks() -> bool:
    """True when ``COURSE_STRICT=1``: exercise checkers then raise on a wrong answer.

    The test suite sets it, so that a broken reference solution fails CI instead of only
    showing a red message nobody reads.
    """
    return _flag("COURSE_STRICT")


def is_offline() -> bool:
    """True when ``COURSE_OFFLINE=1``: loaders never try a download (data/README.md)."""
    return _flag("COURSE_OFFLINE")


def mode() -> str:
    """``"fast"`` or ``"full"``."""
    return "fast" if is_fast() else "full"


FAST_MODE_NOTE = ("Fast mode (COURSE_FAST=1): small subsets and a few steps, so the numbers and pictures "
                  "below come from a tiny run; the text describes what full mode measures.")
FULL_MODE_NOTE = "Full mode: the whole dataset and the real number of epochs, as the text describes."


def announce_mode() -> None:
    """Say once, at the top of a chapter, which mode runs and what that means for its numbers."""
    print(FAST_MODE_NOTE if is_fast() else FULL_MODE_NOTE)


def pick(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise: ``EPOCHS = pick(full=5, fast=1)``."""
    return fast if is_fast() else full


def course_seed() -> int:
    """The run's random seed: ``COURSE_SEED`` (a non-negative int), 0 when it is unset.

    ``bench/chapters.py`` runs each chapter with several seeds through this variable, to show that
    a chapter's results hold on any seed, not only on the one that was measured first.
    """
    value = os.environ.get("COURSE_SEED", "").strip()
    if not value:
        return 0
    if not value.isdigit():
        raise ValueError(f"environment variable COURSE_SEED should be a non-negative int, got {value!r}")
    return int(value)


def seed_everything(seed: int | None = None) -> None:
    """Seed Python, NumPy and the Keras backend so that a run can be repeated.

    ``seed=None`` (what the chapters pass) takes ``course_seed()``: 0 unless ``COURSE_SEED`` says
    otherwise. On a GPU some kernels stay non-deterministic, so results agree closely rather than
    bit for bit. Returns nothing, so a notebook cell that ends with it shows no stray output.
    """
    if seed is None:
        seed = course_seed()
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed should be a non-negative int, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    from course_lib import _quiet

    import keras  # imported late: config must stay importable without a backend

    _quiet.import_tensorflow_quietly(any_backend=True)   # Keras seeds TensorFlow too, when it is installed
    keras.utils.set_random_seed(seed)


def data_dir_from_env() -> Path | None:
    """The folder named by ``COURSE_DATA_DIR``, or None when it is unset."""
    value = os.environ.get("COURSE_DATA_DIR", "").strip()
    return Path(value).expanduser() if value else None
