"""Checkers of chapters 06–08e: they reject malformed answers without crashing."""
from course_lib.checks import dcgan as dcgan_checks
from course_lib.checks import gan_objective as objective_checks
from course_lib.checks import generation as generation_checks
from course_lib.checks import translation as translation_checks

import numpy as np
import pytest


def _wrong_answers():
    return [None, 3, "text", lambda *a: None, lambda *a: 1 / 0]


@pytest.mark.parametrize("check", [
    objective_checks.check_value_of_game, objective_checks.check_optimal_discriminator,
    objective_checks.check_jsd_from_value, objective_checks.check_generator_gradients,
    dcgan_checks.check_confident_share, dcgan_checks.check_find_collapsed, dcgan_checks.check_slerp,
    generation_checks.check_per_class_agreement, generation_checks.check_balanced_labels,
    generation_checks.check_truncated_noise,
    translation_checks.check_psnr_by_hand, translation_checks.check_l1_loss, translation_checks.check_block_mean,
])
def test_checkers_reject_malformed_answers(check, monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "0")
    for answer in _wrong_answers():
        assert not check(answer)


def test_objective_checkers_accept_right_and_reject_typical_mistakes(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "0")
    assert objective_checks.check_value_of_game(lambda r, f: np.mean(np.log(r)) + np.mean(np.log(1 - f)))
    result = objective_checks.check_value_of_game(lambda r, f: np.mean(np.log(r)) + np.mean(np.log(f)))
    assert not result and "log(1 − D(G(z)))" in result.message
    assert objective_checks.check_jsd_from_value(lambda v: (v + np.log(4)) / 2)
    assert not objective_checks.check_jsd_from_value(lambda v: v + np.log(4))
    assert objective_checks.check_generator_gradients(lambda d: (np.mean(-d), np.mean(d - 1)))
    assert not objective_checks.check_generator_gradients(lambda d: (np.mean(d - 1), np.mean(-d)))
