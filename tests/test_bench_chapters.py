"""bench/chapters.py: runs are saved, resumed and reported in RESULTS.md, and their times reach the manifest.
(That each chapter asserts the manifest's targets is tests/test_manifest.py's job.)"""
import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("bench_chapters", ROOT / "bench" / "chapters.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
pytestmark = pytest.mark.once   # files and a probe notebook without Keras: the same under every backend


def test_derived_targets_are_computed_from_the_results():
    article = {"article_fit_seconds": 100.0, "improved_fit_seconds": 50.0,
               "improved_seconds_to_article_accuracy": 20.0}
    derived = bench.with_derived("05_mnist_project", article)
    assert derived["fit_time_ratio"] == 0.5 and derived["time_to_article_accuracy_ratio"] == 0.2
    never = bench.with_derived("05_mnist_project", {**article, "improved_seconds_to_article_accuracy": None})
    assert never["time_to_article_accuracy_ratio"] is None and bench.met(None, "<=", 0.5) is None
    assert bench.with_derived("06_gan_objective", {"final_d_loss": 1.4})["final_d_loss_minus_log4"] < 0.02
    share = bench.with_derived("10a_input_pipeline", {"peak_memory_growth_mb": 50.0, "dataset_mb": 1000.0})
    assert share["peak_memory_share"] == 0.05


def test_report_takes_min_median_max_and_judges_every_seed():
    def record(seed, accuracy, status="passed"):
        return {"chapter": "08a_classification", "seed": seed, "status": status,
                "error": None if status == "passed" else "cell 9: AssertionError: ",
                "results": {"test_accuracy": accuracy, "fit_seconds": 300.0, "data_source": "env"},
                "wall_seconds": 400.0, "data_dir": "/data", "finished": "", "machine": {
                    "processor": "a CPU", "cores": 2, "os": "Linux", "backend": "tensorflow",
                    "python": "3.11", "keras": "3", "numpy": "2"}}

    text = bench.write_report({"08a_classification": [record(2, 0.91), record(0, 0.93), record(1, 0.92)]},
                              path=None)
    assert "| test_accuracy | >= 0.9 | 0.91 | 0.92 | 0.93 | yes |" in text
    assert "| data_source |  | env |  |  |  |" in text
    assert "Seeds 0, 1, 2; wall time per run 400 s, 400 s, 400 s" in text
    text = bench.write_report({"08a_classification": [record(0, 0.93), record(1, 0.89, "failed")]}, path=None)
    assert "| test_accuracy | >= 0.9 | 0.89 | 0.91 | 0.93 | no |" in text
    assert "seed 1: cell 9: AssertionError" in text

    jax_run = record(0, 0.95)
    jax_run["machine"] = {**jax_run["machine"], "backend": "jax", "jax": "0.10"}
    text = bench.write_report({"08a_classification": [record(0, 0.93), jax_run]}, path=None)
    tensorflow_part, jax_part = text.split("## 08a_classification, JAX backend")
    assert "## 08a_classification\n" in tensorflow_part and "| 0.93 | 0.93 | 0.93 | yes |" in tensorflow_part
    assert "| 0.95 | 0.95 | 0.95 | yes |" in jax_part and "backend jax" in jax_part and "jax 0.10" in jax_part


def test_runs_on_another_backend_are_saved_beside_tensorflow_runs(monkeypatch):
    assert bench.result_path("05_mnist_project", 2).name == "seed2.json"
    assert bench.result_path("05_mnist_project", 2, "jax").name == "seed2.jax.json"
    monkeypatch.setenv("KERAS_BACKEND", "JAX ")
    assert bench.backend() == "jax"


NOTEBOOK = """
import os
seed = int(os.environ["COURSE_SEED"])
assert os.environ["COURSE_FAST"] == "0"
RESULTS = {"score": 0.5 + seed / 10, "seed_seen": seed}
assert seed != {failing_seed}, "this seed misses the target"
"""


@pytest.mark.slow   # runs a probe notebook in Jupyter kernels
def test_runs_are_saved_resumed_and_reported(tmp_path, monkeypatch):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in
                                               NOTEBOOK.replace("{failing_seed}", "1").strip().split("\n\n")])
    nbformat.write(notebook, chapters / "99_probe.ipynb")
    monkeypatch.setattr(bench, "CHAPTERS", chapters)
    monkeypatch.setattr(bench, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(bench, "REPORT", tmp_path / "RESULTS.md")
    monkeypatch.setattr(bench, "TARGETS", {"99_probe": {"score": (">=", 0.55)}})
    probe_manifest = tmp_path / "chapters.toml"
    probe_manifest.write_text('[[chapters]]\nstem = "99_probe"\ntitle = "Probe"\ntitle_zh = "探针"\n'
                              'label = "99 probe"\nsections = "—"\nsummary = "s"\nobjectives = "o"\n')
    monkeypatch.setattr(bench, "MANIFEST_OF_RUNS", probe_manifest)
    for name in ("COURSE_SEED", "COURSE_FAST", "COURSE_STRICT"):
        monkeypatch.setenv(name, "")   # the runner sets them; monkeypatch restores them afterwards

    assert bench.main(["--chapters", "99", "--seeds", "0", "1"]) == 0
    def path(seed):   # seed<k>.json, or seed<k>.jax.json when the suite runs on JAX
        return bench.result_path("99_probe", seed, bench.backend())

    saved = {seed: json.loads(path(seed).read_text()) for seed in (0, 1)}
    assert saved[0]["status"] == "passed" and saved[0]["results"] == {"score": 0.5, "seed_seen": 0}
    assert saved[1]["status"] == "failed" and "this seed misses the target" in saved[1]["error"]
    assert saved[1]["results"] == {"score": 0.6, "seed_seen": 1}, "RESULTS is reported even after a failure"
    report = (tmp_path / "RESULTS.md").read_text()
    assert "| score | >= 0.55 | 0.5 | 0.55 | 0.6 | no |" in report

    if bench.backend() == "tensorflow":         # the manifest's times are TensorFlow's, of passed runs only
        (probe,) = bench.manifest.load(probe_manifest)
        assert probe.measured["full"]["seconds"] == [saved[0]["wall_seconds"]]
        assert probe.measured["full"]["code_hash"] == bench.manifest.code_hash(chapters / "99_probe.ipynb")

    before = path(0).stat().st_mtime_ns
    assert bench.main(["--chapters", "99", "--seeds", "0", "1"]) == 0   # nothing left to run
    assert path(0).stat().st_mtime_ns == before
