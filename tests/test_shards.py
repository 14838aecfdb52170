"""course_lib.shards: records written to TFRecord shards come back exactly once per epoch, shuffled,
reproducibly, as the batches `fit` takes; the naive loop reads the same data; augmented copies are real."""
import collections

from course_lib import shards

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.once   # tf.data whatever Keras's backend


def distinct_digits(n=300, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, :2] = np.stack([np.arange(n) // 256, np.arange(n) % 256], axis=1)  # every image different
    return images, rng.integers(0, 10, size=n)


def keys(dataset):
    out = []
    for images, labels in dataset:
        pixels = np.round(np.asarray(images) * 255).astype(np.uint8)
        out += [p[..., 0].tobytes() + bytes([int(label)]) for p, label in zip(pixels, np.asarray(labels))]
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    images, labels = distinct_digits()
    directory = tmp_path_factory.mktemp("shards")
    manifest = shards.write_shards(images, labels, directory, num_shards=7)
    return images, labels, directory, manifest


def test_manifest_describes_the_shards(written):
    images, _, directory, manifest = written
    assert manifest["num_images"] == len(images) and len(manifest["files"]) == 7
    assert manifest["counts"] == [43] * 6 + [42], "image i goes to shard i mod 7"
    assert max(manifest["counts"]) - min(manifest["counts"]) <= 1, "round robin balances the shards"
    assert manifest["bytes"] == sum((directory / name).stat().st_size for name in manifest["files"])
    assert manifest["image_shape"] == [28, 28] and manifest["encoding"] == "raw"


def test_every_image_exactly_once_shuffled_and_reproducible(written):
    images, labels, directory, _ = written
    expected = [image.tobytes() + bytes([int(label)]) for image, label in zip(images, labels)]
    dataset = shards.streaming_dataset(directory, batch_size=32, shuffle_buffer=50, seed=3)
    first, second = keys(dataset), keys(dataset)
    assert collections.Counter(first) == collections.Counter(expected)
    assert collections.Counter(second) == collections.Counter(expected)
    assert first != expected, "shuffled"
    assert first != second, "a new order every epoch"
    again = shards.streaming_dataset(directory, batch_size=32, shuffle_buffer=50, seed=3)
    assert keys(again) == first, "the same seed, the same order"
    other = shards.streaming_dataset(directory, batch_size=32, shuffle_buffer=50, seed=4)
    assert keys(other) != first


def test_batches_have_the_shape_fit_expects_and_a_known_length(written):
    images, _, directory, _ = written
    dataset = shards.streaming_dataset(directory, batch_size=64)
    assert int(dataset.cardinality()) == -(-len(images) // 64)
    batch_images, batch_labels = next(iter(dataset))
    assert batch_images.shape == (64, 28, 28, 1) and batch_images.dtype == tf.float32
    assert batch_labels.dtype == tf.int32
    assert 0.0 <= float(tf.reduce_min(batch_images)) and float(tf.reduce_max(batch_images)) <= 1.0
    dropped = shards.streaming_dataset(directory, batch_size=64, drop_remainder=True)
    assert int(dropped.cardinality()) == len(images) // 64 == len(list(dropped))


def test_a_workers_files_hold_only_its_share(written):
    images, labels, directory, manifest = written
    paths = shards.shard_paths(directory)
    parts = [keys(shards.streaming_dataset(directory, 16, files=paths[w::2], seed=0)) for w in range(2)]
    assert not set(parts[0]) & set(parts[1])
    assert len(parts[0]) + len(parts[1]) == len(images)
    assert len(parts[0]) == sum(manifest["counts"][0::2])


def test_unshuffled_stream_and_python_loop_read_the_written_order_of_each_shard(written):
    images, labels, directory, _ = written
    sequential = keys(shards.streaming_dataset(directory, 50, shuffle=False, parallel=False))
    loop = keys(shards.python_loop_batches(directory, 50))
    # shard s holds images s, s + 7, s + 14, ...: reading shard after shard gives that order
    order = [i for s in range(7) for i in range(s, len(images), 7)]
    expected = [images[i].tobytes() + bytes([int(labels[i])]) for i in order]
    assert sequential == expected and loop == expected


def test_png_shards_round_trip_exactly_and_are_smaller(tmp_path):
    images = np.zeros((40, 28, 28), np.uint8)
    images[:, 8:20, 10:18] = np.arange(40, dtype=np.uint8)[:, None, None] * 5 + 50   # compressible digits
    labels = np.arange(40) % 10
    raw = shards.write_shards(images, labels, tmp_path / "raw", 4)
    png = shards.write_shards(images, labels, tmp_path / "png", 4, encoding="png")
    assert png["bytes"] < raw["bytes"]
    expected = collections.Counter(i.tobytes() + bytes([int(label)]) for i, label in zip(images, labels))
    assert collections.Counter(keys(shards.streaming_dataset(tmp_path / "png", 16))) == expected
    assert collections.Counter(keys(shards.python_loop_batches(tmp_path / "png", 16))) == expected


def test_colour_images_round_trip(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, size=(10, 8, 6, 3), dtype=np.uint8)
    shards.write_shards(images, np.arange(10), tmp_path, 3)
    got, labels = next(iter(shards.streaming_dataset(tmp_path, 10, shuffle=False, parallel=False)))
    order = [i for s in range(3) for i in range(s, 10, 3)]
    assert np.array_equal(np.round(got.numpy() * 255).astype(np.uint8), images[order])
    assert list(labels.numpy()) == order


def test_shard_writer_streams_chunks_and_refuses_a_new_shape(tmp_path):
    images, labels = distinct_digits(50)
    with shards.ShardWriter(tmp_path, num_shards=3) as writer:
        writer.write(images[:20], labels[:20])
        writer.write(images[20:], labels[20:])
        with pytest.raises(ValueError, match=r"shape \(28, 28\)"):
            writer.write(np.zeros((2, 14, 14), np.uint8), np.zeros(2))
    assert shards.read_manifest(tmp_path)["num_images"] == 50


def test_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        shards.write_shards(np.zeros((3, 28, 28), np.float32), np.zeros(3), tmp_path)
    with pytest.raises(ValueError, match=r"labels should have shape \(3,\)"):
        shards.write_shards(np.zeros((3, 28, 28), np.uint8), np.zeros(4), tmp_path)
    with pytest.raises(ValueError, match="encoding"):
        shards.ShardWriter(tmp_path, encoding="jpeg")
    # encode_example on its own used to write raw bytes for any unknown encoding
    with pytest.raises(ValueError, match=r"encoding should be one of \('raw', 'png'\), got 'jpeg'"):
        shards.encode_example(np.zeros((28, 28), np.uint8), 3, encoding="jpeg")
    with pytest.raises(FileNotFoundError, match="manifest.json"):
        shards.streaming_dataset(tmp_path / "nothing")
    shards.write_shards(np.zeros((3, 28, 28), np.uint8), np.zeros(3), tmp_path / "ok", 2)
    with pytest.raises(ValueError, match="shards listed"):
        shards.streaming_dataset(tmp_path / "ok", files=[str(tmp_path / "elsewhere.tfrecord")])


def test_augmented_copies_keep_the_originals_and_move_the_rest():
    images = np.zeros((20, 28, 28), np.uint8)
    images[:, 10:18, 12:16] = 255
    labels = np.arange(20) % 10
    chunks = list(shards.augmented_copies(images, labels, copies=3, seed=0, chunk=8))
    out = np.concatenate([c[0] for c in chunks])
    out_labels = np.concatenate([c[1] for c in chunks])
    assert out.shape == (60, 28, 28) and out.dtype == np.uint8
    assert np.array_equal(out[:20], images), "the first copy is the originals"
    assert np.array_equal(out_labels, np.tile(labels, 3)), "labels travel with their images"
    moved = out[20:]
    assert all(not np.array_equal(m, images[0]) for m in moved), "every other copy is turned or shifted"
    ink = moved.reshape(40, -1).sum(1) / images[0].sum()
    assert np.all((ink > 0.6) & (ink < 1.3)), "a turn and a shift keep most of the stroke in the picture"
    again = np.concatenate([c[0] for c in shards.augmented_copies(images, labels, 3, seed=0, chunk=8)])
    assert np.array_equal(out, again), "the same seed, the same copies"
