"""Loading datasets offline first (chapter 00 explains the chain, chapter 05 uses it).

``load_mnist()`` looks in this order and uses the first that works:

1. ``$COURSE_DATA_DIR/mnist.npz`` (a classroom share, or what CI points at);
2. ``data/mnist.npz`` inside the course (put there by ``python -m course_lib fetch``);
3. Keras's own cache or download (``keras.datasets.mnist.load_data()``, hash-checked);
4. the bundled sample ``data/mnist_sample.npz`` (5,000 real digits), announced in one sentence.

A file that exists but is damaged stops the chain with an error naming the file: silently
falling back would hide a broken classroom set-up behind lower accuracy.
"""
from __future__ import annotations

import os
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib import config

MNIST_FILE = "mnist.npz"
SAMPLE_FILE = "mnist_sample.npz"
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
DOWNLOAD_TIMEOUT_S = 20  # a classroom with no network should not wait minutes for a download


class DatasetError(RuntimeError):
    """A dataset file is missing, damaged, or not what the course expects."""


@dataclass(frozen=True)
class DataSource:
    """Where a dataset came from: ``kind`` is one of env, course, keras, sample."""

    kind: str
    path: str
    full: bool
    description: str

    def __str__(self) -> str:
        return self.description


_last_source: dict[str, DataSource] = {}


def mnist_source() -> DataSource | None:
    """The source the last ``load_mnist()`` call used (None before the first call)."""
    return _last_source.get("mnist")


def read_mnist_npz(path: str | os.PathLike, expect_full: bool | None = None):
    """Read and validate an MNIST file in the Keras layout.

    Returns ``((x_train, y_train), (x_test, y_test))``: uint8 images of shape (N, 28, 28) and
    uint8 labels 0..9. Raises ``DatasetError`` naming the file when it is missing, not a zip,
    truncated, or holds arrays of the wrong shape or type.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path} does not exist (expected an MNIST .npz file there)")
    remedy = (
        f"Delete or replace {path}: copy it again from a good source, or run "
        "`python -m course_lib fetch` on a machine with internet (see data/README.md)."
    )
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in MNIST_KEYS if key not in npz.files]
            if missing:
                raise DatasetError(
                    f"{path} is not an MNIST file in the Keras layout: it lacks {missing} "
                    f"(it holds {sorted(npz.files)}). {remedy}"
                )
            arrays = {key: npz[key] for key in MNIST_KEYS}
    except DatasetError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise DatasetError(
            f"{path} is damaged or truncated and cannot be read as an .npz archive "
            f"({type(error).__name__}: {error}). {remedy}"
        ) from error
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        problem = None
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            problem = f"x_{split} has shape {images.shape}, expected (N, 28, 28)"
        elif images.dtype != np.uint8:
            problem = f"x_{split} has dtype {images.dtype}, expected uint8"
        elif labels.shape != (images.shape[0],):
            problem = f"y_{split} has shape {labels.shape}, expected ({images.shape[0]},)"
        elif labels.size and (labels.min() < 0 or labels.max() > 9):
            problem = f"y_{split} holds labels outside 0..9"
        if problem:
            raise DatasetError(f"{path} is not a valid MNIST file: {problem}. {remedy}")
    if expect_full and (len(arrays["x_train"]) != 60000 or len(arrays["x_test"]) != 10000):
        raise DatasetError(
            f"{path} holds {len(arrays['x_train'])} training and {len(arrays['x_test'])} test "
            f"images; the full MNIST has 60000 and 10000. {remedy}"
        )
    as_labels = lambda y: y.astype(np.uint8, copy=False)  # noqa: E731 - Keras returns uint8
    return (
        (arrays["x_train"], as_labels(arrays["y_train"])),
        (arrays["x_test"], as_labels(arrays["y_test"])),
    )


def _keras_mnist():
    """Keras's cache, or a hash-checked download, with a short network timeout."""
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        return keras.datasets.mnist.load_data()
    finally:
        socket.setdefaulttimeout(previous)


def _keras_cache_path() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / MNIST_FILE


def load_mnist(verbose: bool = True, allow_download: bool | None = None):
    """Load MNIST as ``keras.datasets.mnist.load_data()`` does, offline first.

    Returns ``((x_train, y_train), (x_test, y_test))`` with uint8 images (N, 28, 28) and uint8
    labels. ``mnist_source()`` tells afterwards which source was used. ``allow_download=False``
    (or ``COURSE_OFFLINE=1``) skips the Keras download. Explained in chapter 00, used from chapter 05.
    """
    if allow_download is None:
        allow_download = not config._flag("COURSE_OFFLINE")
    candidates = []
    env_dir = config.data_dir_from_env()
    if env_dir is not None:
        candidates.append(("env", env_dir / MNIST_FILE, "$COURSE_DATA_DIR"))
    candidates.append(("course", config.DATA_DIR / MNIST_FILE, "the course's data/ folder"))
    for kind, path, where in candidates:
        if path.is_file():
            data = read_mnist_npz(path, expect_full=True)
            return _remember(DataSource(kind, str(path), True, f"full MNIST from {where} ({path})"), data, verbose)

    cache = _keras_cache_path()
    if allow_download or cache.is_file():
        try:
            data = _keras_mnist()
            return _remember(DataSource("keras", str(cache), True, f"full MNIST from the Keras cache ({cache})"), data, verbose)
        except Exception as error:  # no network, proxy, bad hash: all mean "use the sample"
            reason = f"Keras could not load it ({type(error).__name__})"
    else:
        reason = "downloads are switched off (allow_download=False or COURSE_OFFLINE=1)"

    sample = config.DATA_DIR / SAMPLE_FILE
    data = read_mnist_npz(sample)
    (x_train, _), (x_test, _) = data
    source = DataSource(
        "sample", str(sample), False,
        f"the bundled MNIST sample ({len(x_train):,} training and {len(x_test):,} test digits from "
        f"{sample}), because the full set is not in $COURSE_DATA_DIR, data/ or the Keras cache and "
        f"{reason}, so accuracies will be a few points below the full dataset's; "
        "data/README.md says how to put the full MNIST in place",
    )
    return _remember(source, data, verbose)


def _remember(source: DataSource, data, verbose: bool):
    _last_source["mnist"] = source
    if verbose:
        print(f"MNIST source: {source.description}.")
    return data


def prepare_images(images, dtype="float32"):
    """Scale uint8 images (N, 28, 28) to [0, 1] and add the channel axis: (N, 28, 28, 1).

    This is the article's preprocessing (section 5). Accepts (N, H, W) or (N, H, W, C).
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4:
        raise ValueError(
            f"images should have shape (N, H, W) or (N, H, W, C), got shape {images.shape}"
        )
    if images.dtype == np.uint8:
        return images.astype(dtype) / np.array(255, dtype=dtype)
    if images.size and (images.min() < 0 or images.max() > 1):
        raise ValueError(
            f"images of dtype {images.dtype} should already lie in [0, 1]; got values in "
            f"[{images.min()}, {images.max()}] (pass the raw uint8 images instead)"
        )
    return images.astype(dtype)


def subset(x, y, n: int | None, seed: int = 0):
    """A class-balanced random subset of ``n`` examples (all of them when n is None).

    Fast mode uses it: ``x, y = subset(x, y, pick(full=None, fast=2000))``.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y should have the same length, got {len(x)} and {len(y)}")
    if n is None or n >= len(x):
        return x, y
    if not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n should be a positive int or None, got {n!r}")
    rng = np.random.default_rng(seed)
    # Rank every example within its class in a random order, then take the lowest ranks:
    # each class contributes in turn, so the subset stays balanced.
    ranks = np.empty(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        ranks[rng.permutation(members)] = np.arange(len(members))
    chosen = np.sort(np.lexsort((rng.random(len(y)), ranks))[:n])
    return x[chosen], y[chosen]


def fetch_mnist(destination: str | os.PathLike | None = None) -> Path:
    """Download MNIST once (through Keras, hash-checked) and save it as ``destination/mnist.npz``.

    A teacher runs this before class (``python -m course_lib fetch``) and copies the folder to
    every laptop, or points ``COURSE_DATA_DIR`` at a shared copy.
    """
    destination = Path(destination) if destination else config.DATA_DIR
    destination.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = _keras_mnist()
    target = destination / MNIST_FILE
    np.savez_compressed(target, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    read_mnist_npz(target, expect_full=True)  # prove the written file reads back
    return target
