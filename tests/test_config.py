from course_lib import config

import numpy as np
import pytest


@pytest.mark.once
def test_pick_follows_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert config.is_fast() and config.pick(full=5, fast=1) == 1 and config.mode() == "fast"
    monkeypatch.setenv("COURSE_FAST", "0")
    assert not config.is_fast() and config.pick(full=5, fast=1) == 5 and config.mode() == "full"
    monkeypatch.delenv("COURSE_FAST")
    assert config.pick(full="full", fast="fast") == "full"


@pytest.mark.once
def test_bad_flag_value_is_explained(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="COURSE_FAST should be 1 or 0"):
        config.is_fast()


def test_seed_everything_repeats_numpy_and_keras():
    import keras

    config.seed_everything(3)
    a, ka = np.random.rand(4), keras.ops.convert_to_numpy(keras.random.uniform((4,)))
    config.seed_everything(3)
    b, kb = np.random.rand(4), keras.ops.convert_to_numpy(keras.random.uniform((4,)))
    assert np.array_equal(a, b) and np.array_equal(ka, kb)
    with pytest.raises(ValueError, match="non-negative int"):
        config.seed_everything(-1)
    with pytest.raises(ValueError, match="non-negative int"):
        config.seed_everything("0")


@pytest.mark.once
def test_course_seed_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_SEED", raising=False)
    assert config.course_seed() == 0
    monkeypatch.setenv("COURSE_SEED", "2")
    assert config.course_seed() == 2
    config.seed_everything()
    from_env = np.random.rand(3)
    config.seed_everything(2)
    assert np.array_equal(from_env, np.random.rand(3)), "seed_everything() uses COURSE_SEED"
    config.seed_everything(1)
    assert not np.array_equal(from_env, np.random.rand(3))
    monkeypatch.setenv("COURSE_SEED", "one")
    with pytest.raises(ValueError, match="COURSE_SEED should be a non-negative int, got 'one'"):
        config.course_seed()


@pytest.mark.once
def test_announce_mode_says_what_the_numbers_mean(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_FAST", "1")
    config.announce_mode()
    assert "tiny run" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_FAST", "0")
    config.announce_mode()
    assert capsys.readouterr().out.startswith("Full mode")
