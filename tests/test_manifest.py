"""The chapter manifest (chapters/chapters.toml): its schema, every generated part in step with it, each
chapter asserting the manifest's targets, and a changed time reaching every place that shows it."""
import re
import shutil
from argparse import Namespace
from pathlib import Path

from course_tools import manifest

import nbformat
import pytest

pytestmark = pytest.mark.once          # text and files only: the same under every Keras backend

CHAPTERS = manifest.load()


def test_one_record_per_notebook_in_reading_order():
    on_disk = sorted(path.stem for path in manifest.CHAPTERS.glob("*.ipynb"))
    assert [chapter.stem for chapter in CHAPTERS] == on_disk


def test_every_generated_part_agrees_with_the_manifest():
    stale = manifest.out_of_date(CHAPTERS)
    assert not stale, (f"{[str(path.relative_to(manifest.ROOT)) for path in stale]} differ from "
                       "chapters/chapters.toml: run python -m course_tools chapters --write")


def test_check_command_says_all_is_well(capsys):
    assert manifest.main(Namespace(write=False, check=True)) == 0
    assert "every generated part agrees" in capsys.readouterr().out


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if c.targets], ids=lambda c: c.number)
def test_the_chapter_asserts_each_target_with_the_manifests_threshold(chapter):
    notebook = nbformat.read(chapter.notebook, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    block = code[code.index("RESULTS = {"):]
    block = block[:block.index("\n}")]                     # the dict literal, up to its closing brace
    results_keys = set(re.findall(r'"([a-z0-9_]+)":', block))
    asserts = [line for line in code.splitlines() if "assert" in line]
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_chapters", manifest.ROOT / "bench" / "chapters.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    derived = bench.DERIVED.get(chapter.stem, {})          # computed by bench/chapters.py from two RESULTS
    for metric, (comparison, threshold) in chapter.targets.items():
        if metric in derived:
            continue
        # 04 builds some keys in a comprehension (**{...}); the assert below still names them
        assert metric in results_keys or "**{" in block, f"{chapter.stem}: RESULTS has no {metric!r}"
        number = f"{threshold:g}" if isinstance(threshold, float) else str(threshold)
        spellings = {number, re.sub(r"e([+-])0(\d)", r"e\1\2", number)}     # 1e-05 is written 1e-5
        named = [line for line in asserts if f'RESULTS["{metric}"]' in line]
        assert any(comparison in line and spelling in line for line in named for spelling in spellings), \
            f"{chapter.stem}: no assert line checks RESULTS[{metric!r}] {comparison} {number} (the manifest)"


def test_every_chapter_has_exercises_a_prediction_and_a_questionnaire():
    for chapter in CHAPTERS:
        names = manifest.exercises(chapter.notebook)
        assert "questionnaire" in names and any(name.endswith("_prediction") for name in names), chapter.stem
        assert len(names) >= 3, f"{chapter.stem}: only {names}"


@pytest.mark.parametrize("seconds, text", [(4, "5 s"), (17, "20 s"), (55, "55 s"), (61, "1½ min"),
                                           (139, "2½ min"), (154, "3 min"), (600, "10 min")])
def test_times_are_rounded_up_for_planning(seconds, text):
    assert manifest.minutes(seconds) == text


def test_a_range_over_seeds_is_written_once():
    run = {"seconds": [432.3, 459.3, 521.5]}
    assert manifest.duration(run) == "7½–9 min"
    assert manifest.duration({"seconds": [14.4, 17.9]}) == "15–20 s"
    assert manifest.duration({"seconds": [40, 70]}) == "40 s–1½ min"
    assert manifest.duration(None) == "not measured yet"


GOOD = """
[[chapters]]
stem = "00_start"
title = "Start"
title_zh = "开始"
label = "00 start"
sections = "—"
summary = "s"
objectives = "o"

[[chapters]]
stem = "01_next"
title = "Next"
title_zh = "下一个"
label = "01 next"
sections = "§1"
summary = "s"
objectives = "o"
prerequisites = ["00 (the start)"]
[chapters.targets]
accuracy = [">=", 0.9]
"""


@pytest.mark.parametrize("change, message", [
    (lambda text: text.replace('title_zh = "下一个"\n', ""), "'title_zh' should be a non-empty string"),
    (lambda text: text.replace('[">=", 0.9]', '["about", 0.9]'), "should be \\[comparison, number\\]"),
    (lambda text: text.replace('["00 (the start)"]', '["01"]'), "number of an earlier chapter"),
    (lambda text: text.replace('summary = "s"\nobjectives = "o"\n\n', 'summary = "s"\nobjectives = "o"\n'
                               'colour = "red"\n\n', 1), "unknown field"),
    (lambda text: text.replace('"01_next"', '"Next chapter"'), "stem should look like"),
])
def test_a_malformed_manifest_is_refused_with_the_chapter_and_field(tmp_path, change, message):
    assert len(manifest.load(_write(tmp_path, GOOD))) == 2
    with pytest.raises(manifest.ManifestError, match=message):
        manifest.load(_write(tmp_path, change(GOOD)))


def _write(folder: Path, text: str) -> Path:
    path = folder / "chapters.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def course_copy(tmp_path, monkeypatch):
    """The manifest, README, TEACHING.md and notebooks copied into tmp_path, and the module pointed there."""
    shutil.copytree(manifest.CHAPTERS, tmp_path / "chapters",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name in ("README.md", "TEACHING.md"):
        shutil.copy(manifest.ROOT / name, tmp_path / name)
    monkeypatch.setattr(manifest, "ROOT", tmp_path)
    monkeypatch.setattr(manifest, "CHAPTERS", tmp_path / "chapters")
    monkeypatch.setattr(manifest, "MANIFEST", tmp_path / "chapters" / "chapters.toml")
    monkeypatch.setattr(manifest, "README", tmp_path / "README.md")
    monkeypatch.setattr(manifest, "TEACHING", tmp_path / "TEACHING.md")
    return tmp_path


def test_a_changed_time_reaches_every_place_after_write(course_copy):
    chapter = manifest.chapter("05", manifest.load(manifest.MANIFEST))
    run = {"seconds": [601.0, 640.0, 655.0], "seeds": [0, 1, 2], "backend": "tensorflow",
           "machine": "a test CPU, 2 cores", "date": "2026-12-07", "data": "full datasets",
           "code_hash": manifest.code_hash(chapter.notebook)}
    manifest.record_times(chapter.stem, "full", run, manifest.MANIFEST)
    recorded = manifest.chapter("05", manifest.load(manifest.MANIFEST)).measured["full"]
    assert recorded["seconds"] == run["seconds"]

    stale = {path.name for path in manifest.out_of_date()}
    assert stale == {"README.md", "TEACHING.md", f"{chapter.stem}.ipynb"}
    assert {path.name for path in manifest.write()} == stale and manifest.out_of_date() == []

    readme = (course_copy / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^\| \[05 MNIST project\].*\| 10½–11 min \|", readme, re.M)
    teaching = (course_copy / "TEACHING.md").read_text(encoding="utf-8")
    assert "| 05 MNIST project | 00, 02, 03, 04 | 10½–11 min | 601 s, 640 s, 655 s |" in teaching
    assert "601 s, 640 s, 655 s for seeds 0, 1, 2; TensorFlow, a test CPU, 2 cores" in teaching
    header = nbformat.read(course_copy / "chapters" / f"{chapter.stem}.ipynb", as_version=4).cells[0].source
    assert "**Time:** full mode 10½–11 min on a 2-core laptop CPU" in header
    assert "earlier version" not in header            # measured on the chapter's current code


def test_a_time_measured_on_other_code_says_so(course_copy):
    chapter = manifest.chapter("02", manifest.load(manifest.MANIFEST))
    run = {"seconds": [30.0], "seeds": [0], "backend": "tensorflow", "machine": "a CPU, 2 cores",
           "date": "2026-12-07", "data": "bundled samples", "code_hash": "not-this-code"}
    manifest.record_times(chapter.stem, "fast", run, manifest.MANIFEST)
    manifest.write()
    header = nbformat.read(course_copy / "chapters" / f"{chapter.stem}.ipynb", as_version=4).cells[0].source
    assert "fast mode (`COURSE_FAST=1`) 30 s" in header and "earlier version of this chapter" in header


def test_a_changed_title_reaches_the_notebook_and_teaching(course_copy):
    manifest_path = course_copy / "chapters" / "chapters.toml"
    text = manifest_path.read_text(encoding="utf-8")
    renamed = text.replace('title = "Pooling"', 'title = "Pooling, renamed"')
    manifest_path.write_text(renamed, encoding="utf-8")
    assert {path.name for path in manifest.write()} == {"TEACHING.md", "03_pooling.ipynb"}
    teaching = (course_copy / "TEACHING.md").read_text(encoding="utf-8")
    assert "### [03 · Pooling, renamed](chapters/03_pooling.ipynb)" in teaching
    header = nbformat.read(course_copy / "chapters" / "03_pooling.ipynb", as_version=4).cells[0].source
    assert header.startswith("# 03 · Pooling, renamed — 池化层\n")


def test_a_generated_block_without_its_markers_is_an_error(course_copy):
    readme = course_copy / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("<!-- end of generated chapter map -->", ""), encoding="utf-8")
    with pytest.raises(manifest.ManifestError, match="README.md should hold the block 'chapter map' once"):
        manifest.write()


def test_the_readme_states_the_whole_course_in_full_mode(course_copy):
    """The sum of every chapter's slowest run (issue 25: the whole course's time, stated, and lowered)."""
    chapters = manifest.load(manifest.MANIFEST)
    slowest = {chapter.stem: max(chapter.measured["full"]["seconds"]) for chapter in chapters
               if chapter.measured.get("full")}
    chapter = manifest.chapter("05", chapters)
    run = {"seconds": [600.0, 1200.0], "seeds": [0, 1], "backend": "tensorflow", "machine": "a CPU, 2 cores",
           "date": "2026-12-07", "data": "full datasets", "code_hash": manifest.code_hash(chapter.notebook)}
    manifest.record_times(chapter.stem, "full", run, manifest.MANIFEST)
    manifest.write()
    expected = manifest.minutes(sum(slowest.values()) - slowest.get(chapter.stem, 0.0) + 1200.0)
    readme = (course_copy / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if line.startswith("| **the whole course**"))
    assert f"| **{expected}** |" in line, line
    missing = len(chapters) - len(slowest | {chapter.stem: 0})
    assert ("not measured yet" in line) == (missing > 0), line
