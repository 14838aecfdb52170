"""Image datasets bigger than memory: written as TFRecord shards, streamed back with ``tf.data``.

Chapter 10a writes this pipeline cell by cell; this module is the reusable copy it is checked against.
TensorFlow-only (``tf.data`` and TFRecord), so it is imported where used, never by ``course_lib``
itself. The datasets it returns feed ``model.fit`` on every Keras backend.

On disk a dataset is a folder of ``train-00000-of-00016.tfrecord``-style files plus ``manifest.json``
(image shape, encoding, how many images each shard holds). Every record is one ``tf.train.Example``
with two features: ``image`` (the pixels, raw ``uint8`` bytes or a PNG file) and ``label``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from course_lib import _quiet
from course_lib._validate import positive_int

import numpy as np

# This module needs TensorFlow on every Keras backend: load it now without its start-up lines (on JAX,
# ``import course_lib`` does not load it), so a chapter's own ``import tensorflow`` after it prints nothing.
_quiet.import_tensorflow_quietly(any_backend=True)

ENCODINGS = ("raw", "png")
MANIFEST = "manifest.json"
READ_BUFFER_BYTES = 1 << 20   # each open shard is read 1 MB at a time


def _tf():
    import tensorflow as tf  # TensorFlow-only module: imported here, never at course_lib's top level

    return tf


def _check_encoding(encoding: str) -> str:
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding should be one of {ENCODINGS}, got {encoding!r}")
    return encoding


def _check_images(images, labels) -> tuple[np.ndarray, np.ndarray]:
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        raise ValueError("images should be uint8 of shape (N, height, width) or (N, height, width, "
                         f"channels), got {images.dtype} of shape {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"labels should have shape ({len(images)},) to match the images, got {labels.shape}")
    return images, labels


def encode_example(image: np.ndarray, label: int, encoding: str = "raw") -> bytes:
    """One image and its label as a serialised ``tf.train.Example`` (the bytes of one record)."""
    encoding = _check_encoding(encoding)   # an unknown encoding must not pass as raw bytes
    tf = _tf()
    if encoding == "png":
        pixels = image if image.ndim == 3 else image[..., None]
        data = tf.io.encode_png(pixels).numpy()
    else:
        data = np.ascontiguousarray(image).tobytes()
    example = tf.train.Example(features=tf.train.Features(feature={
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[data])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
    }))
    return example.SerializeToString()


def shard_name(index: int, num_shards: int, split: str = "train") -> str:
    return f"{split}-{index:05d}-of-{num_shards:05d}.tfrecord"


class ShardWriter:
    """Write images to ``num_shards`` TFRecord files, one image after another, round robin.

    Feed it chunk by chunk (``writer.write(images, labels)``), so that a dataset of any size passes
    through a small, fixed amount of memory. ``close()`` writes ``manifest.json`` and returns it.
    Use it as a context manager so that the files are closed even when a chunk fails.
    """

    def __init__(self, directory, num_shards: int = 16, encoding: str = "raw", split: str = "train"):
        self.directory = Path(directory)
        self.num_shards = positive_int(num_shards, "num_shards")
        self.encoding = _check_encoding(encoding)
        self.split = split
        self.directory.mkdir(parents=True, exist_ok=True)
        tf = _tf()
        self.paths = [self.directory / shard_name(i, self.num_shards, split) for i in range(self.num_shards)]
        self._writers = [tf.io.TFRecordWriter(str(p)) for p in self.paths]
        self.counts = [0] * self.num_shards
        self.image_shape: tuple[int, ...] | None = None
        self._next = 0

    def write(self, images, labels) -> None:
        images, labels = _check_images(images, labels)
        if self.image_shape is None:
            self.image_shape = tuple(images.shape[1:])
        elif tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"every chunk should hold images of shape {self.image_shape}, "
                             f"got {tuple(images.shape[1:])}")
        for image, label in zip(images, labels):
            shard = self._next % self.num_shards
            self._writers[shard].write(encode_example(image, label, self.encoding))
            self.counts[shard] += 1
            self._next += 1

    def close(self) -> dict:
        for writer in self._writers:
            writer.close()
        manifest = {"split": self.split, "encoding": self.encoding,
                    "image_shape": list(self.image_shape or ()),
                    "num_images": sum(self.counts), "counts": self.counts,
                    "files": [p.name for p in self.paths], "bytes": sum(p.stat().st_size for p in self.paths)}
        (self.directory / MANIFEST).write_text(json.dumps(manifest, indent=1))
        return manifest

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def write_shards(images, labels, directory, num_shards: int = 16, encoding: str = "raw") -> dict:
    """Write arrays that fit in memory as shards (for data that does not, use ``ShardWriter``)."""
    with ShardWriter(directory, num_shards, encoding) as writer:
        writer.write(images, labels)
    return read_manifest(directory)


def read_manifest(directory) -> dict:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"no {MANIFEST} in {directory}: write the shards with ShardWriter first")
    return json.loads(path.read_text())


def shard_paths(directory) -> list[str]:
    manifest = read_manifest(directory)
    return [str(Path(directory) / name) for name in manifest["files"]]


def augmented_copies(images, labels, copies: int, seed: int = 0, chunk: int = 8192,
                     max_turn: float = 0.04, max_shift: float = 0.1):
    """Yield ``(images, labels)`` chunks: ``copies`` randomly rotated and shifted versions of every image.

    ``max_turn`` is a fraction of a full turn (0.04 is about 14 degrees), ``max_shift`` a fraction of
    the image's size; empty corners are black, like MNIST's background. The first copy is the original
    images, untouched. Runs on TensorFlow's image ops whatever the Keras backend, one chunk at a time.
    """
    tf = _tf()
    images, labels = _check_images(images, labels)
    positive_int(copies, "copies")
    rng = np.random.default_rng(seed)
    height, width = images.shape[1:3]
    for copy in range(copies):
        for start in range(0, len(images), chunk):
            batch = images[start:start + chunk]
            if copy == 0:
                yield batch, labels[start:start + chunk]
                continue
            n = len(batch)
            angle = rng.uniform(-max_turn, max_turn, n) * 2 * np.pi
            dx = rng.uniform(-max_shift, max_shift, n) * width
            dy = rng.uniform(-max_shift, max_shift, n) * height
            cos, sin = np.cos(angle), np.sin(angle)
            cx, cy = (width - 1) / 2, (height - 1) / 2
            # output pixel (x, y) samples the input at A·(x, y) + b: rotate about the centre, then shift
            transforms = np.stack([cos, -sin, cx - cos * cx + sin * cy - dx,
                                   sin, cos, cy - sin * cx - cos * cy - dy,
                                   np.zeros(n), np.zeros(n)], axis=1).astype(np.float32)
            pixels = batch if batch.ndim == 4 else batch[..., None]
            out = tf.raw_ops.ImageProjectiveTransformV3(
                images=tf.constant(pixels, tf.float32), transforms=transforms,
                output_shape=[height, width], fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")
            out = np.clip(np.round(out.numpy()), 0, 255).astype(np.uint8)
            yield (out if batch.ndim == 4 else out[..., 0]), labels[start:start + chunk]


def _decoder(manifest: dict):
    """A function from a batch of serialised examples to (float32 images in [0, 1], int32 labels)."""
    tf = _tf()
    shape = manifest["image_shape"]
    height, width = shape[:2]
    channels = shape[2] if len(shape) == 3 else 1
    spec = {"image": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64)}

    def decode(serialized):
        parsed = tf.io.parse_example(serialized, spec)  # one call parses the whole batch
        if manifest["encoding"] == "png":
            pixels = tf.map_fn(lambda png: tf.io.decode_png(png, channels=channels), parsed["image"],
                               fn_output_signature=tf.TensorSpec([None, None, channels], tf.uint8))
        else:
            pixels = tf.io.decode_raw(parsed["image"], tf.uint8)
        pixels = tf.reshape(pixels, [-1, height, width, channels])
        return tf.cast(pixels, tf.float32) / 255.0, tf.cast(parsed["label"], tf.int32)

    return decode


def streaming_dataset(directory, batch_size: int = 128, shuffle_buffer: int = 10_000, seed: int | None = 0,
                      shuffle: bool = True, files: list[str] | None = None, parallel: bool = True,
                      cache: bool = False, drop_remainder: bool = False):
    """Stream shards from disk as shuffled batches that ``fit`` accepts: ``(images, labels)``.

    - shard order is shuffled, and ``interleave`` reads several shards at once (``parallel``);
    - a shuffle buffer of ``shuffle_buffer`` records mixes images from different shards;
    - batches are parsed and decoded in parallel, and ``prefetch`` prepares the next ones while the
      model trains on this one.
    Every record comes back exactly once per pass, in a new order each pass; the same ``seed`` gives
    the same orders. ``cache=True`` keeps the decoded batches in memory after the first pass (only for
    data that fits). ``files`` restricts reading to some shards (one worker's share, for example).
    """
    tf = _tf()
    manifest = read_manifest(directory)
    positive_int(batch_size, "batch_size")
    paths = list(files) if files is not None else shard_paths(directory)
    if not paths:
        raise ValueError(f"no shard files to read in {directory}")
    unknown = [path for path in paths if Path(path).name not in manifest["files"]]
    if unknown:
        raise ValueError(f"files should be shards listed in {directory}/{MANIFEST}, got {unknown[0]}")
    counts = dict(zip(manifest["files"], manifest["counts"]))
    num_images = sum(counts[Path(path).name] for path in paths)
    parallel_args = {"num_parallel_calls": tf.data.AUTOTUNE, "deterministic": True} if parallel else {}
    dataset = tf.data.Dataset.from_tensor_slices(paths)
    if shuffle:
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.interleave(lambda path: tf.data.TFRecordDataset(path, buffer_size=READ_BUFFER_BYTES),
                                 cycle_length=min(4, len(paths)) if parallel else 1, **parallel_args)
    if shuffle:
        dataset = dataset.shuffle(positive_int(shuffle_buffer, "shuffle_buffer"), seed=seed,
                                  reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.map(_decoder(manifest), **parallel_args)
    # interleave hides the length; stating it lets fit show progress and know where an epoch ends
    batches = num_images // batch_size if drop_remainder else -(-num_images // batch_size)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    if cache:
        dataset = dataset.cache()
    return dataset.prefetch(tf.data.AUTOTUNE) if parallel else dataset


def python_loop_batches(directory, batch_size: int = 128):
    """The naive pipeline, for comparison: read every record in a Python loop, decode it, stack batches.

    Yields the same ``(images, labels)`` batches as ``streaming_dataset(..., shuffle=False,
    parallel=False)``, as NumPy arrays, one record at a time on one core.
    """
    tf = _tf()
    manifest = read_manifest(directory)
    shape = manifest["image_shape"]
    shape = (*shape, 1) if len(shape) == 2 else tuple(shape)
    images, labels = [], []
    for path in shard_paths(directory):
        for record in tf.data.TFRecordDataset(path, buffer_size=READ_BUFFER_BYTES).as_numpy_iterator():
            example = tf.train.Example.FromString(record)
            data = example.features.feature["image"].bytes_list.value[0]
            if manifest["encoding"] == "png":
                pixels = tf.io.decode_png(data, channels=shape[2]).numpy()
            else:
                pixels = np.frombuffer(data, np.uint8).reshape(shape)
            images.append(pixels.astype(np.float32) / 255.0)
            labels.append(example.features.feature["label"].int64_list.value[0])
            if len(images) == batch_size:
                yield np.stack(images), np.asarray(labels, np.int32)
                images, labels = [], []
    if images:
        yield np.stack(images), np.asarray(labels, np.int32)


def folder_megabytes(directory) -> float:
    """Bytes of every file in ``directory`` (not recursive), in MB (10^6 bytes)."""
    return sum(entry.stat().st_size for entry in os.scandir(directory) if entry.is_file()) / 1e6
