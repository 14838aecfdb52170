"""How the course is packaged: the teacher's tools load no Keras backend, and a plain (non-editable)
``pip install .`` is enough to run a chapter from any folder, as an admin installs the course on a hub."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from course_tools import doctor

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("tensorflow", "keras", "jax", "course_lib")

# Imports every tool module, then says which heavy packages got loaded on the way.
IMPORT_TOOLS = textwrap.dedent(f"""
    import json, sys
    import course_tools, course_tools.__main__
    from course_tools import doctor, manifest, site, slides, student
    print(json.dumps(sorted(name for name in {HEAVY!r} if name in sys.modules)))
""")


def test_importing_the_tools_loads_no_keras_backend():
    result = subprocess.run([sys.executable, "-c", IMPORT_TOOLS], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [], "importing course_tools loaded " + result.stdout


def test_a_usage_error_is_quick_and_loads_no_backend():
    probe = textwrap.dedent(f"""
        import json, runpy, sys
        sys.argv = ["course_tools", "no-such-command"]
        try:
            runpy.run_module("course_tools", run_name="__main__")
        except SystemExit as stop:
            print(json.dumps({{"code": stop.code,
                               "loaded": sorted(n for n in {HEAVY!r} if n in sys.modules)}}))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    outcome = json.loads(result.stdout)
    assert outcome == {"code": 2, "loaded": []}
    assert "invalid choice: 'no-such-command'" in result.stderr and "python -m course_tools" in result.stderr


@pytest.mark.slow
@pytest.mark.once
def test_the_doctor_shows_no_cpp_log_lines(tmp_path):
    from course_lib import _quiet

    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-m", "course_tools", "doctor", "--no-kernel"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env={**env, "HOME": str(tmp_path)})
    assert "Keras backend:" in result.stdout, result.stderr[-2000:]
    assert _quiet.cpp_log_lines(result.stdout + result.stderr) == []


def test_the_course_nbgrader_config_takes_the_stubs_from_the_tools(tmp_path):
    from course_tools import student
    from course_tools.classroom.course import init_course

    init_course(tmp_path / "course", ["00"])   # the nbgrader_config.py a teacher's course gets
    config = (tmp_path / "course" / "nbgrader_config.py").read_text(encoding="utf-8")
    assert "from course_tools.student import" in config
    assert student.CODE_STUB not in config and student.MARKDOWN_STUB not in config, "a copied stub"


def test_the_doctor_checks_the_runtime_needs_not_the_tools_of_tests_and_teachers():
    needed = {line.split(">")[0].split("<")[0].split("[")[0].strip().lower() for line in
              doctor.runtime_requirements()}
    assert {"tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "jupyterlab"} <= needed
    assert not needed & {"ruff", "pytest", "nbval", "hypothesis", "playwright", "nbgrader"}, needed


RUN_CHAPTER = textwrap.dedent("""
    import json, sys
    import nbformat
    from nbclient import NotebookClient

    notebook_path, folder = sys.argv[1], sys.argv[2]
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import course_lib, json\\n"
        "print(json.dumps({'course_lib': course_lib.__file__, 'source': data.mnist_source().kind,"
        " 'in_checkout': config.IN_CHECKOUT}))"))
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": folder}})
    client.execute()
    print(notebook.cells[-1].outputs[-1]["text"].strip().splitlines()[-1])
""")


@pytest.mark.slow
@pytest.mark.once
def test_a_plain_pip_install_runs_chapter_00_from_another_folder(tmp_path):
    # A copy of what the package is built from, so that the build leaves nothing in the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("course_lib", "course_tools"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    installed = tmp_path / "installed"
    build = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                            "--no-build-isolation", "--target", str(installed), str(source)],
                           capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-3000:]
    assert (installed / "course_lib" / "samples" / "mnist_sample.npz").is_file(), "the samples did not travel"

    elsewhere = tmp_path / "a learner's folder"
    elsewhere.mkdir()
    notebook = elsewhere / "00_start_here.ipynb"
    nbformat.write(nbformat.read(ROOT / "chapters" / "00_start_here.ipynb", as_version=4), notebook)
    env = {key: value for key, value in os.environ.items() if key not in ("COURSE_DATA_DIR", "KERAS_HOME")}
    env.update(PYTHONPATH=str(installed), HOME=str(tmp_path / "home"), COURSE_FAST="1", COURSE_OFFLINE="1",
               COURSE_STRICT="1")
    result = subprocess.run([sys.executable, "-c", RUN_CHAPTER, str(notebook), str(elsewhere)],
                            capture_output=True, text=True, env=env, cwd=elsewhere, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    ran = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(ran["course_lib"]).is_relative_to(installed), f"the kernel imported {ran['course_lib']}"
    assert ran == {**ran, "source": "sample", "in_checkout": False}


# Imported where it is installed and never required: PyTorch (autodiff and train try it, untested).
OPTIONAL_IMPORTS = {"torch"}


def _declared_distributions() -> dict[str, set[str]]:
    """Normalised distribution names declared in pyproject.toml: 'runtime' and each extra."""
    from course_tools.manifest import _toml

    from packaging.requirements import Requirement

    project = _toml((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"runtime": project["dependencies"], **project["optional-dependencies"]}
    return {group: {Requirement(line).name.lower().replace("_", "-") for line in lines}
            for group, lines in groups.items()}


def _third_party_imports(folders) -> set[str]:
    import ast

    found = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    # the project's own modules (bench/mnist.py, tests/mistakes.py)
    local = {"course_lib", "course_tools", "mnist", "conftest", "mistakes"}
    return {name for name in found - local - OPTIONAL_IMPORTS if name not in sys.stdlib_module_names}


@pytest.mark.parametrize("folders, groups", [
    (("course_lib",), ("runtime",)),                              # what a chapter imports: runtime only
    (("course_lib", "course_tools", "scripts", "bench"), ("runtime", "teach")),
    (("course_lib", "course_tools", "scripts", "bench", "tests"), ("runtime", "teach", "test", "browser")),
])
def test_every_direct_import_is_declared(folders, groups):
    import importlib.metadata

    distributions_of = importlib.metadata.packages_distributions()
    declared = set().union(*(_declared_distributions()[group] for group in groups))
    missing = {}
    for module in sorted(_third_party_imports(folders)):
        names = {name.lower().replace("_", "-") for name in distributions_of.get(module, [module])}
        if not names & declared:
            missing[module] = sorted(names)
    assert not missing, f"imported in {', '.join(folders)} but not declared in {groups}: {missing}"
