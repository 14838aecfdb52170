"""The Fashion-MNIST loader of chapter 08a: its offline chain, the IDX reader and the bundled sample."""
import gzip

from course_lib import config, data

import numpy as np
import pytest

pytestmark = pytest.mark.once   # file handling and NumPy: the same on any backend


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """A machine with no Fashion-MNIST anywhere: no env folder, no data/ file, no Debian files,
    an empty Keras cache; the course's data/ folder still holds the bundled sample."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path / "no-debian")
    assert not (config.DATA_DIR / data.FASHION_FILE).exists(), "the full set must never be committed to data/"
    return tmp_path


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb", compresslevel=1) as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


def _fake_full(folder, marker=7):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"x_train": np.zeros((60000, 28, 28), np.uint8),
              "y_train": np.full(60000, marker % 10, np.uint8),
              "x_test": np.zeros((10000, 28, 28), np.uint8), "y_test": np.zeros(10000, np.uint8)}
    arrays["x_train"][0, 0, 0] = marker
    return arrays


def test_offline_without_any_copy_falls_back_to_the_announced_sample(nowhere, capsys):
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist(allow_download=False)
    source = data.fashion_mnist_source()
    assert source.kind == "sample" and not source.full
    assert x_train.shape == (1500, 28, 28) and x_test.shape == (500, 28, 28) and x_train.dtype == np.uint8
    assert np.array_equal(np.bincount(y_train), [150] * 10) and np.array_equal(np.bincount(y_test), [50] * 10)
    said = capsys.readouterr().out
    assert "bundled Fashion-MNIST sample" in said and "downloads are switched off" in said
    assert "dataset-fashion-mnist" in said, "the message says how to get the full set"


def test_failed_download_also_falls_back_to_the_sample(nowhere, monkeypatch, capsys):
    def no_network(spec):
        raise OSError("no route to host")
    monkeypatch.setattr(data, "_keras_load", no_network)
    data.load_fashion_mnist(allow_download=True)
    assert data.fashion_mnist_source().kind == "sample"
    assert "Keras could not load it (OSError)" in capsys.readouterr().out


def test_course_offline_switch_skips_the_download(nowhere, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(data, "_keras_load", lambda spec: pytest.fail("should not try to download"))
    data.load_fashion_mnist(verbose=False)
    assert data.fashion_mnist_source().kind == "sample"


def _fake_debian_files(nowhere, monkeypatch, marker):
    """Debian's Fashion-MNIST IDX files (full size, filled with ``marker``) where the loader looks, and Keras
    barred; returns their folder."""
    folder = nowhere / "debian"
    arrays = _fake_full(folder, marker=marker)
    for key, name in data.FASHION_IDX_FILES.items():
        _write_idx(folder / name, arrays[key])
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", folder)
    monkeypatch.setattr(data, "_keras_load", lambda spec: pytest.fail("Keras should not be asked"))
    return folder


def test_debian_files_come_before_keras(nowhere, monkeypatch):
    _fake_debian_files(nowhere, monkeypatch, marker=3)
    (x_train, y_train), (x_test, _) = data.load_fashion_mnist(verbose=False)
    assert data.fashion_mnist_source().kind == "debian" and data.fashion_mnist_source().full
    assert x_train.shape == (60000, 28, 28) and x_train[0, 0, 0] == 3
    assert y_train[0] == 3 and len(x_test) == 10000


def test_env_folder_comes_first(nowhere, monkeypatch):
    folder = nowhere / "share"
    arrays = _fake_full(folder, marker=5)
    np.savez_compressed(folder / data.FASHION_FILE, **arrays)
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    (x_train, y_train), _ = data.load_fashion_mnist(verbose=False)
    assert data.fashion_mnist_source().kind == "env" and x_train[0, 0, 0] == 5 and y_train[0] == 5


def test_a_damaged_file_stops_the_chain_with_its_name(nowhere, monkeypatch):
    folder = nowhere / "share"
    folder.mkdir()
    (folder / data.FASHION_FILE).write_bytes(b"not a zip at all")
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    with pytest.raises(data.DatasetError, match="fashion_mnist.npz"):
        data.load_fashion_mnist(verbose=False)


def test_read_idx_reads_and_validates(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a.gz", array)
    assert np.array_equal(data.read_idx(tmp_path / "a.gz"), array)
    plain = tmp_path / "b-idx1-ubyte"
    plain.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    assert list(data.read_idx(plain)) == [7, 8, 9]
    short = tmp_path / "c"
    short.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1]))
    with pytest.raises(data.DatasetError, match="should hold"):
        data.read_idx(short)
    wrong = tmp_path / "d"
    wrong.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(data.DatasetError, match="not an IDX file"):
        data.read_idx(wrong)
    with pytest.raises(data.DatasetError, match="does not exist"):
        data.read_idx(tmp_path / "missing.gz")


def test_the_installed_debian_package_when_present():
    """On a machine with `apt-get install dataset-fashion-mnist`: the real files, the known first labels."""
    if not all((data.DEBIAN_FASHION_DIR / n).is_file() for n in data.FASHION_IDX_FILES.values()):
        pytest.skip("Debian's dataset-fashion-mnist is not installed here "
                    "(the loader falls back; tested above)")
    (x_train, y_train), (x_test, y_test) = data._read_idx_folder(data.DATASETS["fashion_mnist"],
                                                                 data.DEBIAN_FASHION_DIR)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert list(y_train[:10]) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert np.array_equal(np.bincount(y_test), [1000] * 10)


def test_class_names():
    assert len(data.FASHION_CLASSES) == 10 and data.FASHION_CLASSES[6] == "Shirt"


def test_fetch_copies_debian_files_without_asking_keras(nowhere, monkeypatch):
    folder = _fake_debian_files(nowhere, monkeypatch, marker=4)
    target = data.fetch_fashion_mnist(nowhere / "out")
    assert target == nowhere / "out" / data.FASHION_FILE
    (x_train, y_train), _ = data.read_mnist_npz(target, expect_full=True, dataset="Fashion-MNIST")
    assert x_train[0, 0, 0] == 4 and y_train[0] == 4
    assert data.describe_sources()["Fashion-MNIST"] == \
        f"full copy in Debian's dataset-fashion-mnist ({folder / data.FASHION_IDX_FILES['x_train']})"


def test_debian_files_that_are_not_the_full_set_are_named(nowhere, monkeypatch):
    folder = nowhere / "debian"
    folder.mkdir()
    for key, name in data.FASHION_IDX_FILES.items():
        _write_idx(folder / name, np.zeros((10, 28, 28) if key.startswith("x") else (10,), np.uint8))
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", folder)
    with pytest.raises(data.DatasetError, match=f"the Fashion-MNIST files in {folder} are not the original"):
        data.load_fashion_mnist(verbose=False)


def test_fetch_without_debian_asks_keras_for_fashion_mnist(nowhere, monkeypatch):
    arrays = _fake_full(nowhere / "unused", marker=6)
    asked = []
    monkeypatch.setattr(data, "_keras_load", lambda spec: asked.append(spec.keras_module) or (
        (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])))
    target = data.fetch_fashion_mnist(nowhere / "out")
    assert asked == ["fashion_mnist"] and data.read_mnist_npz(target)[0][0][0, 0, 0] == 6
