"""Run chapters in a fresh kernel per seed; write RESULTS.md and the measured times into the chapter manifest.

    COURSE_DATA_DIR=../shared/data python bench/chapters.py                      # every chapter, seeds 0 1 2
    COURSE_DATA_DIR=../shared/data python bench/chapters.py --chapters 05 08c --seeds 0 1 2
    COURSE_DATA_DIR=../shared/data python bench/chapters.py --mode fast          # every chapter, fast mode
    python bench/chapters.py --report             # only rewrite RESULTS.md and the times from saved runs

Each (chapter, seed) pair runs in a fresh Jupyter kernel, top to bottom, in full mode (or fast mode
with ``--mode fast``), with ``COURSE_SEED`` set to the seed (``config.seed_everything()`` and every
chapter honour it). The notebook's own asserts still apply: a pair whose run stops on a failed assert
is recorded as failed, with the RESULTS it had reached. Each finished pair is saved as
``bench/results/<chapter>/seed<k>.json`` (``fast.seed<k>.json`` in fast mode; ``seed<k>.<backend>.json``
when ``KERAS_BACKEND`` is not TensorFlow, e.g. ``KERAS_BACKEND=jax``) with a hash of the chapter's code,
so an interrupted build resumes where it stopped (a saved pair is never run again; delete its file to
run it again).

From those files it writes RESULTS.md (full mode: per chapter and metric the minimum, median and
maximum over the seeds, the target, the wall time, the machine, backend and package versions) and the
wall times of the passed TensorFlow runs into ``chapters/chapters.toml``; then it regenerates what the
manifest feeds (``python -m course_lib chapters --write``): the README's chapter map, TEACHING.md and the
notebooks' time lines. A time measured on other code than the chapter's current code says so there.

The targets come from the manifest; ``tests/test_manifest.py`` checks that each chapter asserts its
targets with the manifest's thresholds.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_tools import manifest  # noqa: E402  (this checkout's copy, whatever is installed)

CHAPTERS = ROOT / "chapters"
RESULTS_DIR = ROOT / "bench" / "results"
REPORT = ROOT / "RESULTS.md"
MANIFEST_OF_RUNS = manifest.MANIFEST      # where measured times go (tests point it elsewhere)

#: chapter stem → {metric: (comparison, threshold)}: what the chapter asserts in full mode on full data,
#: read from the chapter manifest (chapters/chapters.toml), the one place a target is written.
TARGETS: dict[str, dict[str, tuple[str, float]]] = {
    chapter.stem: chapter.targets for chapter in manifest.load() if chapter.targets}
#: Targets on two RESULTS at once, computed from a run's RESULTS when the report is written.
DERIVED = {
    "05_mnist_project": {
        # the improved recipe's test accuracy over the article's (the chapter asserts improved > article)
        "test_accuracy_gain": lambda r: r["improved_test_accuracy"] - r["article_test_accuracy"],
        # improved recipe's training time over the article's (the chapter asserts improved <= article)
        "fit_time_ratio": lambda r: r["improved_fit_seconds"] / r["article_fit_seconds"],
        # the training time the improved recipe needs to reach the article's final validation accuracy, as a
        # share of the article's fit time (None when it never does: the target is then not met)
        "time_to_article_accuracy_ratio": lambda r: (
            None if r.get("improved_seconds_to_article_accuracy") is None
            else r["improved_seconds_to_article_accuracy"] / r["article_fit_seconds"]),
    },
    "06_gan_objective": {
        # V = −log 4 at the equilibrium: the discriminator's final loss should be within 0.05 of log 4
        "final_d_loss_minus_log4": lambda r: abs(r["final_d_loss"] - math.log(4)),
    },
    "10a_input_pipeline": {
        # the chapter asserts peak_memory_growth_mb <= 0.25 × dataset_mb (on TensorFlow; see the chapter)
        "peak_memory_share": lambda r: r["peak_memory_growth_mb"] / r["dataset_mb"],
    },
}
SEEDS = (0, 1, 2)

# Appended to the notebook for the run only: hands RESULTS back as one JSON line on stdout.
REPORT_CELL = """
import json as _json, numbers as _numbers
def _plain(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, _numbers.Integral):
        return int(value)
    if isinstance(value, _numbers.Real):
        return float(value)
    return str(value)
print("COURSE_RESULTS_JSON " + _json.dumps({k: _plain(v) for k, v in RESULTS.items()}))
"""


def met(value, comparison: str, threshold: float) -> bool | None:
    """Whether ``value`` meets the target; None when there is no number to judge."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return {">=": value >= threshold, ">": value > threshold, "<=": value <= threshold,
            "<": value < threshold}[comparison]


def machine() -> dict:
    """What a run ran on: CPU, cores, OS, backend and package versions."""
    import course_lib  # noqa: F401  (first: TensorFlow loads without its start-up log lines)

    import keras
    import numpy as np

    info = {"machine": platform.machine(), "processor": _cpu_name(), "cores": os.cpu_count(),
            "os": platform.platform(terse=True), "python": platform.python_version(),
            "backend": keras.backend.backend(), "keras": keras.__version__, "numpy": np.__version__}
    if info["backend"] in ("tensorflow", "jax"):
        info[info["backend"]] = __import__(info["backend"]).__version__
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_pair(stem: str, seed: int, mode: str = "full") -> dict:
    """Execute one chapter in ``mode`` with ``COURSE_SEED=seed`` in a fresh kernel; return the record."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(CHAPTERS / f"{stem}.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(REPORT_CELL))
    # the kernel inherits this process's environment
    os.environ.update({"COURSE_SEED": str(seed), "COURSE_FAST": "1" if mode == "fast" else "0",
                       "COURSE_STRICT": "1", "MPLBACKEND": "Agg"})
    client = NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(CHAPTERS)}})
    code_cells = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    status, error, started = "passed", None, time.perf_counter()
    with client.setup_kernel():
        for count, index in enumerate(code_cells, start=1):
            last = index == code_cells[-1]
            if status == "failed" and not last:
                continue            # after a failure, only the cell that reports RESULTS still runs
            cell_start = time.perf_counter()
            try:
                client.execute_cell(notebook.cells[index], index)
            except CellExecutionError as failure:
                if last:
                    error = error or "RESULTS was never defined"
                    break
                status = "failed"
                error = f"cell {index}: {failure.ename}: {failure.evalue}"[:500]
                print(f"  {stem} seed {seed}: {error}", flush=True)
            seconds = time.perf_counter() - cell_start
            if seconds > 20:
                print(f"  {stem} seed {seed}: cell {count}/{len(code_cells)} took {seconds:.0f} s "
                      f"({time.perf_counter() - started:.0f} s so far)", flush=True)
    results = None
    for output in notebook.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith("COURSE_RESULTS_JSON "):
                results = json.loads(line.split(" ", 1)[1])
    return {"chapter": stem, "seed": seed, "mode": mode, "status": status, "error": error, "results": results,
            "wall_seconds": round(time.perf_counter() - started, 1),
            "code_hash": manifest.code_hash(CHAPTERS / f"{stem}.ipynb"),
            "data_dir": os.environ.get("COURSE_DATA_DIR", "(bundled samples)"),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine()}


def backend() -> str:
    """The Keras backend the runs will use (the kernels inherit KERAS_BACKEND)."""
    return os.environ.get("KERAS_BACKEND", "tensorflow").strip().lower() or "tensorflow"


def result_path(stem: str, seed: int, backend_name: str = "tensorflow", mode: str = "full") -> Path:
    """``seed<k>.json`` for a full-mode TensorFlow run; ``fast.`` before it in fast mode, ``.jax`` after."""
    suffix = "" if backend_name == "tensorflow" else f".{backend_name}"
    prefix = "" if mode == "full" else f"{mode}."
    return RESULTS_DIR / stem / f"{prefix}seed{seed}{suffix}.json"


def with_derived(stem: str, results: dict | None) -> dict:
    """A run's RESULTS plus the DERIVED metrics of its chapter (None where an input is missing)."""
    results = dict(results or {})
    for name, formula in DERIVED.get(stem, {}).items():
        try:
            results[name] = formula(results)
        except (KeyError, TypeError, ZeroDivisionError):
            results[name] = None
    return results


def load_records(folder: Path = RESULTS_DIR) -> dict[str, list[dict]]:
    records: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*/*seed*.json")):
        record = json.loads(path.read_text())
        record.setdefault("mode", "full")
        records.setdefault(record["chapter"], []).append(record)
    return records


def manifest_times(runs: list[dict]) -> dict:
    """The manifest's ``measured`` entry for one chapter's runs in one mode on one backend."""
    first = runs[0]["machine"]
    processor = first["processor"].replace("(R)", "").replace(" Processor", "")
    hashes = {run.get("code_hash") for run in runs}
    data_dirs = {run["data_dir"] for run in runs}
    return {"seconds": [run["wall_seconds"] for run in runs], "seeds": [run["seed"] for run in runs],
            "backend": first["backend"], "machine": f"{processor}, {first['cores']} cores",
            "data": "bundled samples" if data_dirs == {"(bundled samples)"} else "full datasets",
            "date": max(run["finished"] for run in runs)[:10],
            "code_hash": hashes.pop() if len(hashes) == 1 and None not in hashes else "mixed"}


def update_manifest(records: dict[str, list[dict]], path: Path | None = None) -> list[str]:
    """Write each chapter's passed TensorFlow runs into the manifest, per mode; return what was written."""
    written = []
    for stem, chapter_records in sorted(records.items()):
        for mode in manifest.MODES:
            runs = sorted((record for record in chapter_records if record["mode"] == mode
                           and record["status"] == "passed" and record["machine"]["backend"] == "tensorflow"),
                          key=lambda record: record["seed"])
            if runs:
                manifest.record_times(stem, mode, manifest_times(runs), path)
                written.append(f"{stem} {mode}")
    return written


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "—" if value is None else str(value)


def write_report(records: dict[str, list[dict]], path: Path | None = REPORT) -> str:
    """RESULTS.md from the saved runs: one table per chapter, min / median / max over the seeds."""
    lines = ["# Results of the chapters in full mode, over several seeds", "",
             "Written by `python bench/chapters.py` from `bench/results/`; do not edit by hand. Each "
             "chapter ran top to bottom in a fresh kernel in full mode with `COURSE_SEED` set to each "
             "seed. A target is met when every seed meets it: the minimum for a floor, the maximum for a "
             "ceiling.", ""]
    records = {stem: [record for record in runs if record.get("mode", "full") == "full"]
               for stem, runs in records.items()}          # RESULTS.md is about full mode
    sections = sorted({(stem, record["machine"]["backend"]) for stem in records for record in records[stem]},
                      key=lambda pair: (pair[0], pair[1] != "tensorflow", pair[1]))
    for stem, backend_name in sections:
        runs = sorted((record for record in records[stem] if record["machine"]["backend"] == backend_name),
                      key=lambda record: record["seed"])
        seeds = [run["seed"] for run in runs]
        failed = [f"seed {run['seed']}: {run['error']}" for run in runs if run["status"] != "passed"]
        walls = ", ".join(f"{run['wall_seconds']:.0f} s" for run in runs)
        data_dirs = ", ".join(sorted({run["data_dir"] for run in runs}))
        title = stem if backend_name == "tensorflow" else f"{stem}, {backend_name.upper()} backend"
        lines += [f"## {title}", "", f"Seeds {', '.join(map(str, seeds))}; wall time per run {walls}; "
                  f"data: {data_dirs}.", ""]
        if failed:
            lines += ["**Runs that stopped on a failed assert:** " + "; ".join(failed), ""]
        targets = TARGETS.get(stem, {})
        results = [with_derived(stem, run["results"]) for run in runs]
        names = list(targets) + sorted({key for result in results for key in result} - set(targets))
        if names:
            lines += ["| metric | target | min | median | max | met on every seed |",
                      "|---|---|---|---|---|---|"]
        else:
            lines += ["No RESULTS: the chapter measures nothing to keep (its time: chapters/chapters.toml)."]
        for name in names:
            values = [result.get(name) for result in results]
            numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            target = targets.get(name)
            verdict = ""
            if target:
                judged = [met(v, *target) for v in values]
                verdict = "yes" if judged and all(judged) else ("no" if any(j is False for j in judged)
                                                                else "no number")
            if numbers:
                low, middle, high = min(numbers), statistics.median(numbers), max(numbers)
                cells = [_number(low), _number(middle), _number(high)]
            else:
                cells = [", ".join(sorted({_number(v) for v in values}))] + ["", ""]
            target_text = f"{target[0]} {target[1]}" if target else ""
            lines.append(f"| {name} | {target_text} | {' | '.join(cells)} | {verdict} |")
        first = runs[0]["machine"]
        packages = ("python", "keras", "tensorflow", "jax", "numpy")
        versions = ", ".join(f"{key} {first[key]}" for key in packages if key in first)
        lines += ["", f"Machine: {first['processor']}, {first['cores']} cores, {first['os']}; backend "
                      f"{first['backend']}; {versions}.", ""]
    text = "\n".join(lines).rstrip() + "\n"
    if path is not None:
        path.write_text(text)
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", nargs="*", default=None,
                        help="chapter numbers or stems (default: every chapter)")
    parser.add_argument("--seeds", nargs="*", type=int, default=None,
                        help="default: 0 1 2 in full mode, 0 in fast mode")
    parser.add_argument("--mode", choices=manifest.MODES, default="full",
                        help="full (the default: RESULTS.md and full-mode times) or fast (times only)")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite RESULTS.md and the manifest's times from saved runs")
    args = parser.parse_args(argv)
    seeds = args.seeds if args.seeds is not None else list(SEEDS if args.mode == "full" else (0,))

    if not args.report:
        stems = sorted(path.stem for path in CHAPTERS.glob("*.ipynb"))
        if args.chapters:
            stems = [stem for stem in stems if any(stem.startswith(choice) for choice in args.chapters)]
            if not stems:
                parser.error(f"no chapter matches {args.chapters}; chapters: "
                             f"{', '.join(path.stem for path in sorted(CHAPTERS.glob('*.ipynb')))}")
        todo = [(stem, seed) for stem in stems for seed in seeds
                if not result_path(stem, seed, backend(), args.mode).exists()]
        saved = len(stems) * len(seeds) - len(todo)
        print(f"{len(todo)} run(s) to do in {args.mode} mode, {saved} already saved; "
              f"Keras backend {backend()}", flush=True)
        build_start = time.perf_counter()
        for number, (stem, seed) in enumerate(todo, start=1):
            print(f"[{number}/{len(todo)}] {stem}, seed {seed} ...", flush=True)
            record = run_pair(stem, seed, args.mode)
            target = result_path(stem, seed, backend(), args.mode)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(record, indent=1) + "\n")
            print(f"[{number}/{len(todo)}] {stem}, seed {seed}: {record['status']} in "
                  f"{record['wall_seconds']:.0f} s ({time.perf_counter() - build_start:.0f} s since start)",
                  flush=True)
    records = load_records(RESULTS_DIR)
    write_report(records, REPORT)
    print(f"wrote {REPORT}")
    update_manifest(records, MANIFEST_OF_RUNS)
    if MANIFEST_OF_RUNS == manifest.MANIFEST:                      # the course's own, not a test's copy
        for path in manifest.write():
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
