"""Loading datasets offline first (chapter 00 explains the chain, chapter 05 uses it).

``load_mnist()`` looks in this order and uses the first that works:

1. ``$COURSE_DATA_DIR/mnist.npz`` (a classroom share, or what CI points at);
2. ``data/mnist.npz`` inside the course (put there by ``python -m course_tools fetch``);
3. Keras's own cache or download (``keras.datasets.mnist.load_data()``, hash-checked);
4. the bundled sample ``course_lib/samples/mnist_sample.npz`` (5,000 real digits), announced in one sentence.

``load_fashion_mnist()`` walks the same chain, with the files of Debian's package ``dataset-fashion-mnist``
between steps 2 and 3. One table, ``DATASETS``, holds what differs between the two (file names, Keras
loader, Debian folder, class names, what the learner is told); one chain, one fetch and one description
serve both.

A file that exists but is damaged stops the chain with an error naming the file: silently
falling back would hide a broken classroom set-up behind lower accuracy.
"""
from __future__ import annotations

import os
import socket
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from course_lib import _validate, config

import numpy as np

MNIST_FILE = "mnist.npz"
SAMPLE_FILE = "mnist_sample.npz"
FASHION_FILE = "fashion_mnist.npz"
FASHION_SAMPLE_FILE = "fashion_mnist_sample.npz"
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
DOWNLOAD_TIMEOUT_S = 20  # a classroom with no network should not wait minutes for a download
#: Where ``apt-get install dataset-fashion-mnist`` puts the original Zalando files.
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
#: The four original files, in the IDX format of the MNIST web page (gzip-compressed).
FASHION_IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
#: The ten Fashion-MNIST classes, in label order 0..9.
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


class DatasetError(RuntimeError):
    """A dataset file is missing, damaged, or not what the course expects."""


SourceKind = Literal["env", "course", "debian", "keras", "sample"]


@dataclass(frozen=True)
class DataSource:
    """Where a dataset came from.

    ``kind``: ``"env"`` ($COURSE_DATA_DIR), ``"course"`` (the course's data/ folder), ``"debian"``
    (Debian's dataset-fashion-mnist files, Fashion-MNIST only), ``"keras"`` (Keras's cache or
    download) or ``"sample"`` (the bundled sample). ``full`` is False only for the sample.
    ``kind`` is for code (RESULTS tables, tests); ``label`` says it in plain words for titles and
    text a learner reads ("the full MNIST in $COURSE_DATA_DIR", "the bundled MNIST sample"), and
    ``description`` is the whole sentence, with the file.
    """

    kind: SourceKind
    path: str
    full: bool
    description: str
    label: str = ""

    def __post_init__(self):
        if not self.label:   # built without one: the description's words before the file name
            object.__setattr__(self, "label", self.description.split(" (")[0])

    def __str__(self) -> str:
        return self.description


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset the course loads offline first: where each copy lives and what a learner is told.

    ``keras_cache`` is the path under ``$KERAS_HOME/datasets`` that Keras's loader fills: a file, or a
    folder holding ``keras_files``. ``debian_dir`` returns the folder of Debian's package (looked up at
    load time, so a test or a site can point it elsewhere); None where Debian packages no copy. The
    bundled sample's sentence reads "... test {items} ..., so accuracies will be {shortfall} below the
    full dataset's; {remedy}".
    """

    key: str                      # "mnist": _last_source's key, as in load_mnist / mnist_source
    name: str                     # "MNIST", as the messages say it
    file_name: str                # the full copy in $COURSE_DATA_DIR or data/
    sample_file: str              # the bundled sample in config.SAMPLE_DIR
    keras_module: str             # keras.datasets.<keras_module>.load_data()
    keras_cache: str
    keras_files: tuple[str, ...]
    class_names: tuple[str, ...]
    items: str
    shortfall: str
    remedy: str
    debian_dir: Callable[[], Path] | None = None
    debian_package: str = ""


DATASETS = {
    "mnist": DatasetSpec(
        key="mnist", name="MNIST", file_name=MNIST_FILE, sample_file=SAMPLE_FILE,
        keras_module="mnist", keras_cache=MNIST_FILE, keras_files=(),
        class_names=tuple(str(digit) for digit in range(10)),
        items="digits", shortfall="a few points",
        remedy="data/README.md says how to put the full MNIST in place"),
    "fashion_mnist": DatasetSpec(
        key="fashion_mnist", name="Fashion-MNIST", file_name=FASHION_FILE, sample_file=FASHION_SAMPLE_FILE,
        keras_module="fashion_mnist", keras_cache="fashion-mnist",
        keras_files=tuple(FASHION_IDX_FILES.values()),
        class_names=FASHION_CLASSES,
        items="images", shortfall="several points",
        remedy="`apt-get install dataset-fashion-mnist` or data/README.md puts the full set in place",
        debian_dir=lambda: Path(DEBIAN_FASHION_DIR), debian_package="dataset-fashion-mnist"),
}

_last_source: dict[str, DataSource] = {}


def mnist_source() -> DataSource | None:
    """The source the last ``load_mnist()`` call used (None before the first call)."""
    return _last_source.get("mnist")


def fashion_mnist_source() -> DataSource | None:
    """The source the last ``load_fashion_mnist()`` call used (None before the first call)."""
    return _last_source.get("fashion_mnist")


# ---------------------------------------------------------------------------------------------
# Reading the two file formats: Keras's .npz layout and the original IDX files.
# ---------------------------------------------------------------------------------------------

def read_mnist_npz(path: str | os.PathLike, expect_full: bool | None = None, dataset: str = "MNIST"):
    """Read and validate a 28×28, ten-class dataset file in Keras's MNIST layout.

    MNIST and Fashion-MNIST share the layout; ``dataset`` names which one is expected, in the
    messages. Returns ``((x_train, y_train), (x_test, y_test))``: uint8 images of shape
    (N, 28, 28) and uint8 labels 0..9. Raises ``DatasetError`` naming the file when it is missing,
    not a zip, truncated, or holds arrays of the wrong shape or type.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path} does not exist (expected a {dataset} .npz file there)")
    remedy = (
        f"Delete or replace {path}: copy it again from a good source, or run "
        "`python -m course_tools fetch` on a machine with internet (see data/README.md)."
    )
    try:
        # open the file ourselves: np.load leaves its handle open when the archive is damaged
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as npz:
            missing = [key for key in MNIST_KEYS if key not in npz.files]
            if missing:
                raise DatasetError(
                    f"{path} is not a {dataset} file in the Keras layout: it lacks {missing} "
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
            raise DatasetError(f"{path} is not a valid {dataset} file: {problem}. {remedy}")
    if expect_full and (len(arrays["x_train"]) != 60000 or len(arrays["x_test"]) != 10000):
        raise DatasetError(
            f"{path} holds {len(arrays['x_train'])} training and {len(arrays['x_test'])} test "
            f"images; the full {dataset} has 60000 and 10000. {remedy}"
        )
    # Keras returns uint8 labels; some copies store them as int64
    return (
        (arrays["x_train"], arrays["y_train"].astype(np.uint8, copy=False)),
        (arrays["x_test"], arrays["y_test"].astype(np.uint8, copy=False)),
    )


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (``.gz`` or plain), the format of the original MNIST-style files.

    The header is two zero bytes, a type byte (0x08 = unsigned bytes), the number of dimensions,
    then each dimension as a big-endian 32-bit int; the values follow. Used by
    ``load_fashion_mnist`` for the files Debian installs (chapter 08a).
    """
    import gzip

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path} does not exist (expected an IDX file there)")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError) as error:
        raise DatasetError(f"{path} is damaged or truncated ({type(error).__name__}: {error})") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or not 1 <= raw[3] <= 3:
        raise DatasetError(f"{path} is not an IDX file of unsigned bytes (its header is {raw[:4]!r})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DatasetError(f"{path} should hold {expected} bytes for shape {shape}, it holds {len(raw)}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _read_idx_folder(spec: DatasetSpec, folder: Path):
    """The four original IDX files of ``spec`` in ``folder`` (Debian's layout), checked to be the full set."""
    arrays = {key: read_idx(folder / name) for key, name in FASHION_IDX_FILES.items()}
    for split, count in (("train", 60000), ("test", 10000)):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if (images.shape != (count, 28, 28) or labels.shape != (count,)
                or labels.max() >= len(spec.class_names)):
            raise DatasetError(
                f"the {spec.name} files in {folder} are not the original ones: x_{split} has shape "
                f"{images.shape} and y_{split} {labels.shape}, expected ({count}, 28, 28) and ({count},)"
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


# ---------------------------------------------------------------------------------------------
# The chain, one for every dataset in DATASETS.
# ---------------------------------------------------------------------------------------------

def _keras_load(spec: DatasetSpec):
    """Keras's cache, or a hash-checked download, with a short network timeout."""
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        return getattr(keras.datasets, spec.keras_module).load_data()
    finally:
        socket.setdefaulttimeout(previous)


def _keras_cache(spec: DatasetSpec) -> tuple[Path, list[Path]]:
    """(what Keras caches, the files that must all be there for the cache to count) for ``spec``."""
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / spec.keras_cache
    return cache, [cache / name for name in spec.keras_files] or [cache]


def _debian_files(spec: DatasetSpec) -> list[Path]:
    """The IDX files Debian's package installs for ``spec`` (none where Debian packages no copy)."""
    if spec.debian_dir is None:
        return []
    return [spec.debian_dir() / name for name in FASHION_IDX_FILES.values()]


def _debian_copy(spec: DatasetSpec):
    """(folder, data) from Debian's files when all of them are installed, else None."""
    files = _debian_files(spec)
    if not files or not all(path.is_file() for path in files):
        return None
    return files[0].parent, _read_idx_folder(spec, files[0].parent)


def _full_copy_in_course_folders(spec: DatasetSpec):
    """(source, data) from ``$COURSE_DATA_DIR/file_name`` or else ``data/file_name``; None if neither exists.

    A file that exists but is damaged raises ``DatasetError``: falling back silently would hide a
    broken set-up behind lower accuracy.
    """
    candidates = []
    env_dir = config.data_dir_from_env()
    if env_dir is not None:
        candidates.append(("env", env_dir / spec.file_name, "$COURSE_DATA_DIR"))
    candidates.append(("course", config.DATA_DIR / spec.file_name, "the course's data/ folder"))
    for kind, path, where in candidates:
        if path.is_file():
            data = read_mnist_npz(path, expect_full=True, dataset=spec.name)
            return DataSource(kind, str(path), True, f"full {spec.name} from {where} ({path})",
                              f"the full {spec.name} in {where}"), data
    return None


def _bundled_sample(spec: DatasetSpec, reason: str):
    """(source, data) for a bundled sample, with the one sentence that tells the learner what it means."""
    sample = config.SAMPLE_DIR / spec.sample_file
    data = read_mnist_npz(sample, dataset=spec.name)
    (x_train, _), (x_test, _) = data
    debian = [f"Debian's {spec.debian_dir()}"] if spec.debian_dir else []
    places = ["$COURSE_DATA_DIR", "data/", *debian, "the Keras cache"]
    looked_in = f"{', '.join(places[:-1])} or {places[-1]}"
    source = DataSource(
        "sample", str(sample), False,
        f"the bundled {spec.name} sample ({len(x_train):,} training and {len(x_test):,} test {spec.items} "
        f"from {sample}), because the full set is not in {looked_in} and {reason}, so accuracies will be "
        f"{spec.shortfall} below the full dataset's; {spec.remedy}",
        f"the bundled {spec.name} sample",
    )
    return source, data


def _load(spec: DatasetSpec, verbose: bool, allow_download: bool | None):
    """The offline-first chain: course folders, Debian's files, Keras, the bundled sample."""
    if allow_download is None:
        allow_download = not config.is_offline()
    found = _full_copy_in_course_folders(spec)
    if found is None:
        found = _from_debian_or_keras(spec, allow_download)
    source, data = found
    _last_source[spec.key] = source
    if verbose:
        print(f"{spec.name} source: {source.description}.")
    return data


def _from_debian_or_keras(spec: DatasetSpec, allow_download: bool):
    """(source, data) from Debian's files, else Keras's cache or download, else the bundled sample."""
    debian = _debian_copy(spec)
    if debian is not None:
        folder, data = debian
        return (DataSource("debian", str(folder), True,
                           f"full {spec.name} from Debian's {spec.debian_package} ({folder})",
                           f"the full {spec.name} from Debian's package"), data)
    cache, cache_files = _keras_cache(spec)
    if allow_download or all(path.is_file() for path in cache_files):
        try:
            data = _keras_load(spec)
            return (DataSource("keras", str(cache), True, f"full {spec.name} from the Keras cache ({cache})",
                               f"the full {spec.name} from the Keras cache"), data)
        except Exception as error:  # no network, proxy, bad hash, partial file: all mean "use the sample"
            reason = f"Keras could not load it ({type(error).__name__})"
    else:
        reason = "downloads are switched off (allow_download=False or COURSE_OFFLINE=1)"
    return _bundled_sample(spec, reason)


def load_mnist(verbose: bool = True, allow_download: bool | None = None):
    """Load MNIST as ``keras.datasets.mnist.load_data()`` does, offline first.

    Returns ``((x_train, y_train), (x_test, y_test))`` with uint8 images (N, 28, 28) and uint8
    labels. ``mnist_source()`` tells afterwards which source was used. ``allow_download=False``
    (or ``COURSE_OFFLINE=1``) skips the Keras download. Explained in chapter 00, used from chapter 05.
    """
    return _load(DATASETS["mnist"], verbose, allow_download)


def load_fashion_mnist(verbose: bool = True, allow_download: bool | None = None):
    """Load Fashion-MNIST (Zalando's 70,000 clothing images, MIT licence), offline first.

    Same layout as ``load_mnist()``: ``((x_train, y_train), (x_test, y_test))``, uint8 images
    (N, 28, 28) and labels 0..9 named by ``FASHION_CLASSES``. Looks, in order, at
    ``$COURSE_DATA_DIR/fashion_mnist.npz``, ``data/fashion_mnist.npz``, the files of Debian's
    package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``), Keras's cache or
    download, and finally the bundled sample ``course_lib/samples/fashion_mnist_sample.npz`` (announced).
    ``fashion_mnist_source()`` tells which one was used. Chapter 08a uses it.
    """
    return _load(DATASETS["fashion_mnist"], verbose, allow_download)


def _fetch(spec: DatasetSpec, destination) -> Path:
    """Save the full set as ``destination/file_name`` (from Debian's files, else Keras); read it back."""
    destination = Path(destination) if destination else config.DATA_DIR
    destination.mkdir(parents=True, exist_ok=True)
    debian = _debian_copy(spec)
    (x_train, y_train), (x_test, y_test) = debian[1] if debian is not None else _keras_load(spec)
    target = destination / spec.file_name
    np.savez_compressed(target, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    read_mnist_npz(target, expect_full=True, dataset=spec.name)  # prove the written file reads back
    return target


def fetch_mnist(destination: str | os.PathLike | None = None) -> Path:
    """Download MNIST once (through Keras, hash-checked) and save it as ``destination/mnist.npz``.

    A teacher runs this before class (``python -m course_tools fetch``) and copies the folder to
    every laptop, or points ``COURSE_DATA_DIR`` at a shared copy.
    """
    return _fetch(DATASETS["mnist"], destination)


def fetch_fashion_mnist(destination: str | os.PathLike | None = None) -> Path:
    """Save the full Fashion-MNIST as ``destination/fashion_mnist.npz`` (default: data/).

    Reads the Debian files when they are installed, otherwise downloads through Keras; a teacher
    runs it once before class, like ``fetch_mnist``. Chapter 08a mentions it.
    """
    return _fetch(DATASETS["fashion_mnist"], destination)


def describe_sources() -> dict[str, str]:
    """Which copy of each dataset a chapter would load, found by looking only (no reading, no download).

    ``python -m course_tools info`` prints it. A file found here is still validated when a chapter
    loads it; where no full copy is on disk, the loader tries Keras's download (when allowed) and
    otherwise uses the bundled sample.
    """
    fallback = ("no full copy on disk: the bundled sample" if config.is_offline() else
                "no full copy on disk: a Keras download will be tried, else the bundled sample")
    env_dir = config.data_dir_from_env()
    described = {}
    for spec in DATASETS.values():
        places = [("$COURSE_DATA_DIR", env_dir / spec.file_name)] if env_dir is not None else []
        places.append(("the course's data/ folder", config.DATA_DIR / spec.file_name))
        places += [(f"Debian's {spec.debian_package}", path) for path in _debian_files(spec)[:1]]
        places.append(("Keras's cache", _keras_cache(spec)[1][0]))
        found = next((f"full copy in {where} ({path})" for where, path in places if path.exists()), None)
        described[spec.name] = found or fallback
    return described


# ---------------------------------------------------------------------------------------------
# Preparing what was loaded.
# ---------------------------------------------------------------------------------------------

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
    if n is None:
        return x, y
    n = _validate.positive_int(n, "n (or None for all)")   # before comparing: n="5" gets a clear message
    if n >= len(x):
        return x, y
    rng = np.random.default_rng(seed)
    # Rank every example within its class in a random order, then take the lowest ranks:
    # each class contributes in turn, so the subset stays balanced.
    ranks = np.empty(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        ranks[rng.permutation(members)] = np.arange(len(members))
    chosen = np.sort(np.lexsort((rng.random(len(y)), ranks))[:n])
    return x[chosen], y[chosen]


# ---------------------------------------------------------------------------------------------
# Canvases of real MNIST digits for detection (chapter 08b) and segmentation (chapter 08c).
# ---------------------------------------------------------------------------------------------

#: Segmentation classes: 0 is the background, class ``d + 1`` is the digit ``d``.
SEGMENT_CLASSES = ("background",) + tuple(str(digit) for digit in range(10))
BACKGROUND = 0


@dataclass
class DigitCanvases:
    """Canvases with several real digits each, and everything a detector or segmenter learns from.

    * ``images``: float32 (N, S, S), ink in [0, 1] on a black background;
    * ``boxes``: one float32 array (k, 4) per canvas, ``[x_min, y_min, x_max, y_max]`` in pixels,
      the smallest rectangle around the digit's mask (``x_max`` and ``y_max`` exclusive, so the
      width is ``x_max - x_min``);
    * ``classes``: one int array (k,) per canvas, the digit (0..9) in each box;
    * ``masks``: uint8 (N, S, S), 0 for background and ``d + 1`` where digit ``d`` has ink
      (``SEGMENT_CLASSES`` names them);
    * ``seed``: the seed that reproduces them.

    Built by ``make_digit_canvases`` (chapter 08b explains it).
    """

    images: np.ndarray
    boxes: list
    classes: list
    masks: np.ndarray
    seed: int

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index):
        """A slice of the canvases (``canvases[:100]``), still a ``DigitCanvases``."""
        if not isinstance(index, slice):
            raise TypeError(f"index DigitCanvases with a slice such as [:100], got {type(index).__name__}")
        return DigitCanvases(self.images[index], self.boxes[index], self.classes[index],
                             self.masks[index], self.seed)


def _resize_digit(image: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of one uint8 28x28 digit to ``size`` x ``size``, as floats in [0, 1]."""
    from PIL import Image

    resized = Image.fromarray(image).resize((size, size), Image.BILINEAR)
    return np.asarray(resized, dtype=np.float32) / 255.0


def make_digit_canvases(digit_images, digit_labels, count: int, canvas_size: int = 64,
                        digits_per_canvas=(2, 4), digit_size=(20, 36), seed: int = 0,
                        ink_threshold: float = 0.5, max_tries: int = 60) -> DigitCanvases:
    """Place real MNIST digits at random positions and sizes on black canvases (chapters 08b, 08c).

    Each canvas gets between ``digits_per_canvas[0]`` and ``digits_per_canvas[1]`` digits (inclusive),
    each drawn from ``digit_images`` (uint8 (N, 28, 28)), resized to a square of a random side in
    ``digit_size`` pixels, and put where its box does not touch an earlier digit's box (a digit
    that finds no room after ``max_tries`` positions is left out, so a crowded canvas may hold fewer).
    A pixel belongs to a digit's mask when the digit's ink there is at least ``ink_threshold``;
    the digit's box is the smallest rectangle around its mask. The same ``seed`` gives the same
    canvases. Use training digits for training canvases and test digits for test canvases.
    """
    digit_images = np.asarray(digit_images)
    digit_labels = np.asarray(digit_labels)
    if digit_images.ndim != 3 or digit_images.dtype != np.uint8:
        raise ValueError("digit_images should be uint8 of shape (N, H, W), "
                         f"got {digit_images.dtype} {digit_images.shape}")
    if digit_labels.shape != (len(digit_images),):
        raise ValueError(f"digit_labels should have shape ({len(digit_images)},), got {digit_labels.shape}")
    # a label of 12 would paint mask class 13, beyond SEGMENT_CLASSES (and 255 overflows the uint8 mask)
    digit_labels = _validate.class_labels(digit_labels, "digit_labels", len(digit_images), 10,
                                          meaning="the digits 0-9")
    count = _validate.positive_int(count, "count", minimum=0)
    canvas_size = _validate.positive_int(canvas_size, "canvas_size", minimum=8)
    low, high = _validate.int_range(digits_per_canvas, "digits_per_canvas", minimum=0)
    smallest, largest = _validate.int_range(digit_size, "digit_size", minimum=4)
    if largest > canvas_size:
        raise ValueError(f"digit_size {digit_size!r} should not exceed canvas_size {canvas_size}")
    ink_threshold = _validate.number(ink_threshold, "ink_threshold", low=0, high=1,
                                     include_low=False, include_high=False)
    max_tries = _validate.positive_int(max_tries, "max_tries")   # 0 would leave every canvas empty

    rng = np.random.default_rng(seed)
    images = np.zeros((count, canvas_size, canvas_size), np.float32)
    masks = np.zeros((count, canvas_size, canvas_size), np.uint8)
    all_boxes, all_classes = [], []
    for n in range(count):
        boxes, classes = [], []
        for _ in range(rng.integers(low, high + 1)):
            pick = rng.integers(len(digit_images))
            size = int(rng.integers(smallest, largest + 1))
            digit = _resize_digit(digit_images[pick], size)
            ink = digit >= ink_threshold
            if not ink.any():
                continue
            rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
            top, left = rows[0], cols[0]
            height, width = rows[-1] + 1 - top, cols[-1] + 1 - left
            for _ in range(max_tries):
                y, x = (int(v) for v in rng.integers(0, canvas_size - size + 1, size=2))
                box = (x + left, y + top, x + left + width, y + top + height)
                # one pixel of clearance, so that no two masks touch
                if all(box[0] > b[2] or b[0] > box[2] or box[1] > b[3] or b[1] > box[3] for b in boxes):
                    break
            else:
                continue
            region = images[n, y:y + size, x:x + size]
            np.maximum(region, digit, out=region)
            masks[n, y:y + size, x:x + size][ink] = int(digit_labels[pick]) + 1
            boxes.append(box)
            classes.append(int(digit_labels[pick]))
        all_boxes.append(np.asarray(boxes, np.float32).reshape(-1, 4))
        all_classes.append(np.asarray(classes, np.int64))
    return DigitCanvases(images, all_boxes, all_classes, masks, int(seed))

