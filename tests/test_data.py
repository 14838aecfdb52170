"""The MNIST loader's offline-first chain, its announcements and its errors (course_lib.data)."""
import socket
import zipfile

from course_lib import config, data

import numpy as np
import pytest

pytestmark = pytest.mark.once   # file handling and NumPy: the same on any backend


def write_mnist(path, n_train=60000, n_test=10000, **overrides):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return arrays


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $COURSE_DATA_DIR, an empty course data/ (with the real sample) and an empty Keras home."""
    course_data = tmp_path / "course_data"
    course_data.mkdir()
    (course_data / data.SAMPLE_FILE).write_bytes((config.SAMPLE_DIR / data.SAMPLE_FILE).read_bytes())
    monkeypatch.setattr(config, "DATA_DIR", course_data)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path


def no_network(monkeypatch):
    def refuse(spec):
        raise OSError("network unreachable (simulated)")
    monkeypatch.setattr(data, "_keras_load", refuse)


def test_env_dir_comes_first(isolated, monkeypatch, capsys):
    env_dir = isolated / "shared"
    env_dir.mkdir()
    arrays = write_mnist(env_dir / "mnist.npz")
    write_mnist(config.DATA_DIR / "mnist.npz", x_train=np.zeros((60000, 28, 28), np.uint8))
    monkeypatch.setenv("COURSE_DATA_DIR", str(env_dir))
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert np.array_equal(x_train, arrays["x_train"])
    assert data.mnist_source().kind == "env" and data.mnist_source().full
    assert "COURSE_DATA_DIR" in capsys.readouterr().out


def test_course_data_folder_second(isolated, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(isolated / "empty"))  # set, but holds no file
    arrays = write_mnist(config.DATA_DIR / "mnist.npz")
    (x_train, _), _ = data.load_mnist(verbose=False)
    assert np.array_equal(x_train, arrays["x_train"])
    assert data.mnist_source().kind == "course"


def test_keras_third(isolated, monkeypatch):
    fake = ((np.zeros((60000, 28, 28), np.uint8), np.zeros(60000, np.uint8)),
            (np.zeros((10000, 28, 28), np.uint8), np.zeros(10000, np.uint8)))
    monkeypatch.setattr(data, "_keras_load", lambda spec: fake)
    result = data.load_mnist(verbose=False)
    assert result is fake and data.mnist_source().kind == "keras"


def test_offline_falls_back_to_sample_and_says_so(isolated, monkeypatch, capsys):
    no_network(monkeypatch)
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.array_equal(np.bincount(y_train), [400] * 10)
    source = data.mnist_source()
    assert source.kind == "sample" and not source.full
    said = capsys.readouterr().out.strip()
    assert said.count("\n") == 0, "the announcement is one sentence on one line"
    for words in ("bundled MNIST sample", "Keras could not load it", "a few points below", "data/README.md"):
        assert words in said


def test_allow_download_false_never_calls_keras(isolated, monkeypatch):
    def must_not_run(spec):
        raise AssertionError("download attempted")
    monkeypatch.setattr(data, "_keras_load", must_not_run)
    data.load_mnist(verbose=False, allow_download=False)
    assert data.mnist_source().kind == "sample"
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    data.load_mnist(verbose=False)
    assert data.mnist_source().kind == "sample"


def test_truncated_file_names_file_and_remedy(isolated, monkeypatch):
    path = config.DATA_DIR / "mnist.npz"
    write_mnist(path, n_train=100, n_test=10)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(data.DatasetError) as error:
        data.load_mnist(verbose=False)
    message = str(error.value)
    assert str(path) in message and "damaged or truncated" in message and "course_tools fetch" in message
    assert not isinstance(error.value, zipfile.BadZipFile)


def test_not_a_zip(isolated, monkeypatch):
    env_dir = isolated / "shared"
    env_dir.mkdir()
    (env_dir / "mnist.npz").write_text("<html>proxy login page</html>")
    monkeypatch.setenv("COURSE_DATA_DIR", str(env_dir))
    with pytest.raises(data.DatasetError, match="cannot be read as an .npz archive"):
        data.load_mnist(verbose=False)


@pytest.mark.parametrize("override, expected", [
    ({"y_test": None}, "lacks \\['y_test'\\]"),
    ({"x_train": np.zeros((60000, 32, 32), np.uint8)}, "expected \\(N, 28, 28\\)"),
    ({"x_train": np.zeros((60000, 28, 28), np.float32)}, "expected uint8"),
    ({"y_train": np.full(60000, 12, np.uint8)}, "outside 0..9"),
])
def test_wrong_contents(isolated, override, expected):
    path = config.DATA_DIR / "mnist.npz"
    write_mnist(path, **override)
    with pytest.raises(data.DatasetError, match=expected):
        data.load_mnist(verbose=False)


def test_partial_file_in_full_place_is_rejected(isolated):
    write_mnist(config.DATA_DIR / "mnist.npz", n_train=500, n_test=100)
    with pytest.raises(data.DatasetError, match="full MNIST has 60000 and 10000"):
        data.load_mnist(verbose=False)


def test_bundled_sample_is_real_mnist_subset():
    (x_train, y_train), (x_test, y_test) = data.read_mnist_npz(config.SAMPLE_DIR / data.SAMPLE_FILE)
    assert config.SAMPLE_DIR.joinpath(data.SAMPLE_FILE).stat().st_size < 2 * 1024 * 1024
    with np.load(config.SAMPLE_DIR / data.SAMPLE_FILE) as npz:
        origin_train, origin_test = npz["source_index_train"], npz["source_index_test"]
    assert len(set(origin_train) | set(origin_test)) == 5000, "no digit appears twice"
    assert 20 < x_train.mean() < 50, "MNIST digits are mostly black background"


def test_prepare_images_and_errors():
    images = np.array([[[0, 255]]], dtype=np.uint8)
    prepared = data.prepare_images(images)
    assert prepared.shape == (1, 1, 2, 1) and prepared.dtype == np.float32
    assert prepared.max() == 1.0 and prepared.min() == 0.0
    with pytest.raises(ValueError, match="images should have shape"):
        data.prepare_images(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="already lie in \\[0, 1\\]"):
        data.prepare_images(np.full((1, 2, 2), 200.0))


def test_subset_is_balanced_and_repeatable():
    y = np.repeat(np.arange(10), [50, 60, 70, 80, 90, 100, 110, 120, 130, 140])
    x = np.arange(len(y))
    xs, ys = data.subset(x, y, 200, seed=3)
    assert len(xs) == 200 and np.array_equal(np.bincount(ys), [20] * 10)
    assert np.array_equal(y[xs], ys), "images and labels stay paired"
    assert np.array_equal(data.subset(x, y, 200, seed=3)[0], xs)
    assert not np.array_equal(data.subset(x, y, 200, seed=4)[0], xs)
    assert data.subset(x, y, None)[0] is not None and len(data.subset(x, y, None)[0]) == len(x)
    with pytest.raises(ValueError, match="same length"):
        data.subset(x, y[:-1], 10)
    with pytest.raises(ValueError, match="positive int"):
        data.subset(x, y, -5)
    assert len(data.subset(x, y, np.int64(30))[0]) == 30, "a NumPy int (say from len(...) // 2) is an int"
    assert len(data.subset(x, y, 10_000)[0]) == len(x), "more than there is: all of them"


@pytest.mark.parametrize("n, error, message", [
    ("5", TypeError, r"n \(or None for all\) should be a positive int, got '5' \(a str\)"),   # was raw
    (5.0, TypeError, r"n \(or None for all\) should be a positive int, got 5.0"),
    (0, ValueError, r"n \(or None for all\) should be a positive int, got 0"),
])
def test_subset_names_a_bad_n(n, error, message):
    with pytest.raises(error, match=message):
        data.subset(np.arange(20), np.arange(20) % 2, n)


def test_each_source_has_a_plain_label_for_titles(isolated, monkeypatch):
    """Chapter 00 titles its digits with the source: plain words, never the internal kind ("env MNIST")."""
    env_dir = isolated / "shared"
    env_dir.mkdir()
    write_mnist(env_dir / "mnist.npz")
    monkeypatch.setenv("COURSE_DATA_DIR", str(env_dir))
    data.load_mnist(verbose=False)
    assert data.mnist_source().label == "the full MNIST in $COURSE_DATA_DIR"
    monkeypatch.delenv("COURSE_DATA_DIR")
    write_mnist(config.DATA_DIR / "mnist.npz")
    data.load_mnist(verbose=False)
    assert data.mnist_source().label == "the full MNIST in the course's data/ folder"
    (config.DATA_DIR / "mnist.npz").unlink()
    monkeypatch.setattr(data, "_keras_load", lambda spec: ((np.zeros((60000, 28, 28), np.uint8),
                                                            np.zeros(60000, np.uint8)),
                                                           (np.zeros((10000, 28, 28), np.uint8),
                                                            np.zeros(10000, np.uint8))))
    data.load_mnist(verbose=False)
    assert data.mnist_source().label == "the full MNIST from the Keras cache"
    data.load_mnist(verbose=False, allow_download=False)
    sample = data.mnist_source()
    assert sample.label == "the bundled MNIST sample" and sample.kind == "sample"
    assert "bundled MNIST sample (4,000 training" in sample.description   # the sentence keeps the detail
    # a source built without a label takes the words of its description before the file name
    assert data.DataSource("keras", "/x", True, "full MNIST from somewhere (/x)").label == \
        "full MNIST from somewhere"


def test_one_table_names_each_dataset_keras_can_load():
    """Every row of DATASETS points at a real Keras loader, a bundled sample and ten class names."""
    import keras

    assert set(data.DATASETS) == {"mnist", "fashion_mnist"}
    for key, spec in data.DATASETS.items():
        assert spec.key == key
        assert callable(getattr(keras.datasets, spec.keras_module).load_data), spec.keras_module
        assert (config.SAMPLE_DIR / spec.sample_file).is_file()
        assert len(spec.class_names) == 10 and len(set(spec.class_names)) == 10
    assert data.DATASETS["fashion_mnist"].class_names == data.FASHION_CLASSES


@pytest.mark.parametrize("key", ["mnist", "fashion_mnist"])
def test_keras_is_asked_with_a_short_timeout_that_is_then_restored(monkeypatch, key):
    import keras

    spec = data.DATASETS[key]
    seen = []

    def load_data():
        seen.append(socket.getdefaulttimeout())
        raise OSError("no network (simulated)")

    monkeypatch.setattr(getattr(keras.datasets, spec.keras_module), "load_data", load_data)
    before = socket.getdefaulttimeout()
    with pytest.raises(OSError, match="simulated"):
        data._keras_load(spec)
    assert seen == [data.DOWNLOAD_TIMEOUT_S], "the download waits at most DOWNLOAD_TIMEOUT_S per socket"
    assert socket.getdefaulttimeout() == before, "the process-wide timeout is put back, even after a failure"


def test_fetch_mnist_saves_what_keras_gives_and_reads_it_back(isolated, monkeypatch):
    full = ((np.full((60000, 28, 28), 3, np.uint8), (np.arange(60000) % 10).astype(np.uint8)),
            (np.zeros((10000, 28, 28), np.uint8), (np.arange(10000) % 10).astype(np.uint8)))
    asked = []
    monkeypatch.setattr(data, "_keras_load", lambda spec: asked.append(spec.name) or full)
    target = data.fetch_mnist(isolated / "out")
    assert asked == ["MNIST"] and target == isolated / "out" / data.MNIST_FILE
    (x_train, y_train), (x_test, _) = data.read_mnist_npz(target, expect_full=True)
    assert np.array_equal(x_train, full[0][0]) and np.array_equal(y_train, full[0][1])
    assert len(x_test) == 10000
    monkeypatch.setattr(data, "_keras_load", lambda spec: ((full[0][0][:10], full[0][1][:10]), full[1]))
    with pytest.raises(data.DatasetError, match="full MNIST has 60000 and 10000"):
        data.fetch_mnist(isolated / "partial")   # a short download is caught by reading the file back


def test_describe_sources_looks_where_the_loader_looks(isolated, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", isolated / "no-debian")
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert data.describe_sources() == {"MNIST": "no full copy on disk: the bundled sample",
                                       "Fashion-MNIST": "no full copy on disk: the bundled sample"}
    monkeypatch.delenv("COURSE_OFFLINE")
    assert data.describe_sources()["MNIST"].startswith("no full copy on disk: a Keras download will be tried")
    cache = isolated / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    (cache / data.MNIST_FILE).write_bytes(b"")
    assert data.describe_sources()["MNIST"] == f"full copy in Keras's cache ({cache / data.MNIST_FILE})"
    write_mnist(config.DATA_DIR / data.MNIST_FILE, n_train=10, n_test=10)   # looking only: not validated
    assert data.describe_sources()["MNIST"] == \
        f"full copy in the course's data/ folder ({config.DATA_DIR / data.MNIST_FILE})"
