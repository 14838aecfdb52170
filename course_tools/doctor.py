"""Is this machine ready for the course? ``python -m course_tools doctor`` checks and says what to fix.

A teacher runs it on every laptop before class (TEACHING.md, "An offline classroom"); a learner runs
it when something does not work. It prints one line per check, ``✔`` when all is well and ``✘``
with the exact command that fixes a problem, and exits with status 0 when every check passed, 1
otherwise. It only looks: it downloads nothing and changes nothing.

The checks, in order:

* **Python** against course_lib's ``Requires-Python`` (the course is tested with 3.11);
* **packages**: every runtime dependency the course declares (pyproject.toml's ``[project]
  dependencies``, not the test and teacher extras), the installed version against its range;
* **Keras backend**: which one (``KERAS_BACKEND``), and that it imports and computes;
* **device**: what ``train.device_report`` finds (CPU, GPU, TPU), and a GPU the backend cannot use;
* **datasets**: MNIST and Fashion-MNIST loaded through ``data.load_mnist`` and
  ``data.load_fashion_mnist`` with downloads off, so each full copy is found and validated exactly as a
  chapter would (keys, shapes, dtypes, labels, 60,000 + 10,000 images); the bundled sample is a ✘;
* **free disk** where the data, Keras's cache, the chapters' artefacts and temporary files live;
* **widgets**: ipywidgets, jupyterlab_widgets and the JupyterLab extension they install, enabled;
* **kernel**: a ``python3`` Jupyter kernel starts within a timeout and runs this environment's Python.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from course_tools import REPO_ROOT

#: Where the course's declared dependencies are read in a checkout (else: the installed package's metadata).
PYPROJECT = REPO_ROOT / "pyproject.toml"
#: The distribution name of the course (pyproject.toml's [project] name).
DISTRIBUTION = "course-lib"
#: The Python version the course is tested with (README.md).
TESTED_PYTHON = "3.11"
#: Free space each kind of folder needs, in bytes: the two full datasets take about 45 MB; chapter 10a
#: writes about 1.1 GB of shards to a temporary folder in full mode; checkpoints and saved models of the
#: chapters take a few tens of MB.
NEEDED_BYTES = {"data": 100 * 2**20, "keras": 100 * 2**20, "artefacts": 200 * 2**20, "temp": 1536 * 2**20}
#: The JupyterLab extension that draws ipywidgets (installed by the jupyterlab_widgets package).
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
KERNEL_TIMEOUT_S = 60
#: What a fix says when the requirements need reinstalling (run in the course folder, venv active).
REINSTALL = "pip install -r requirements.txt"


@dataclass
class Result:
    """The outcome of one check: ``ok``, what was found (``detail``) and, for a problem, its ``fix``."""

    ok: bool
    name: str
    detail: str
    fix: str = ""

    def line(self, marks=("✔", "✘")) -> str:
        mark = marks[0] if self.ok else marks[1]
        text = f"{mark} {self.name}: {self.detail}"
        arrow = "→" if marks[0] == "✔" else "->"
        return text if self.ok or not self.fix else f"{text}  {arrow}  fix: {self.fix}"


def _installed_version(distribution: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The requirement strings a learner's machine needs: pyproject.toml's ``[project] dependencies``.

    Read from the checkout's pyproject.toml when there is one (it is the truth while the course is being
    changed), else from the installed package's metadata, leaving out the extras (test, teach, browser):
    a linter's version is no reason to tell a learner that the machine is not ready.
    """
    if pyproject.is_file():
        from course_tools.manifest import _toml

        return list(_toml(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    declared = importlib.metadata.requires(DISTRIBUTION) or []
    return [line for line in declared if "extra ==" not in line]


def requirement_for(name: str, fallback: str) -> str:
    """The declared requirement string of one distribution (for a fix command), or ``fallback``."""
    from packaging.requirements import Requirement

    try:
        lines = runtime_requirements()
    except Exception:
        return fallback
    for line in lines:
        if Requirement(line).name.lower() == name.lower():
            return line
    return fallback


def check_python() -> list[Result]:
    """This Python against course_lib's ``Requires-Python`` (pyproject.toml)."""
    from packaging.specifiers import SpecifierSet

    version = platform.python_version()
    try:
        needed = importlib.metadata.metadata("course-lib")["Requires-Python"] or ">=3.10"
    except importlib.metadata.PackageNotFoundError:
        needed = ">=3.10"
    if SpecifierSet(needed).contains(version, prereleases=True):
        return [Result(True, "Python", f"{version} at {sys.executable} (the course needs {needed}, is tested "
                                       f"with {TESTED_PYTHON})")]
    return [Result(False, "Python", f"{version} is too old (the course needs {needed})",
                   f"install Python {TESTED_PYTHON}, then in the course folder: "
                   f"python{TESTED_PYTHON} -m venv .venv && . .venv/bin/activate && {REINSTALL}")]


def check_packages(pyproject: Path = PYPROJECT) -> list[Result]:
    """One result per runtime dependency: installed, and its version within the declared range."""
    from packaging.requirements import Requirement

    try:
        lines = runtime_requirements(pyproject)
    except importlib.metadata.PackageNotFoundError:
        return [Result(False, "packages", "the course is not installed and no pyproject.toml is beside "
                                          "it, so versions cannot be checked", REINSTALL)]
    results = []
    for line in lines:
        requirement = Requirement(line)
        install = f'pip install --upgrade "{line}"'
        version = _installed_version(requirement.name)
        if version is None:
            results.append(Result(False, requirement.name, "not installed", install))
        elif not requirement.specifier.contains(version, prereleases=True):
            results.append(Result(False, requirement.name,
                                  f"{version} is outside the course's range ({line})", install))
        else:
            results.append(Result(True, requirement.name, f"{version} (the course needs {line})"))
    return results


def check_backend() -> list[Result]:
    """Which Keras backend, and that it imports and computes 1 + 1."""
    wanted = os.environ.get("KERAS_BACKEND", "").strip() or "the default in ~/.keras/keras.json (tensorflow)"
    try:
        import course_lib  # noqa: F401  (first: it loads TensorFlow without its start-up log lines)

        import keras

        backend = keras.backend.backend()
        value = float(keras.ops.convert_to_numpy(keras.ops.add(1.0, 1.0)))
        if value != 2.0:
            raise RuntimeError(f"1 + 1 gave {value}")
        module = importlib.import_module(backend)
        version = getattr(module, "__version__", "?")
    except Exception as error:
        backend = os.environ.get("KERAS_BACKEND", "tensorflow").strip() or "tensorflow"
        line = requirement_for("jax", "jax[cpu]") if backend == "jax" else requirement_for(
            "tensorflow", "tensorflow")
        requirement = f'pip install --upgrade "{line}"'
        return [Result(False, "Keras backend", f"{backend} (asked for: {wanted}) does not work: "
                                               f"{type(error).__name__}: {error}",
                       f"{requirement}   (or use the other backend: export KERAS_BACKEND=tensorflow or jax)")]
    return [Result(True, "Keras backend", f"{backend} {version} under Keras {keras.__version__} imports and "
                                          "computes")]


def _nvidia_gpu_present() -> bool:
    """True when the machine has an NVIDIA driver (whatever the backend makes of it)."""
    return Path("/proc/driver/nvidia/gpus").is_dir() or shutil.which("nvidia-smi") is not None


def check_device() -> list[Result]:
    """What ``train.device_report`` finds; a ✘ when a GPU is installed but the backend cannot use it."""
    try:
        from course_lib import train

        report = train.device_report(verbose=False)
    except Exception as error:
        return [Result(False, "device", f"could not be determined ({type(error).__name__}: {error})",
                       "first fix the Keras backend line above")]
    detail = f"{report['device']}, dtype policy {report['dtype_policy']}, course mode {report['course_mode']}"
    if report["gpu_count"] == 0 and _nvidia_gpu_present():
        tensorflow = requirement_for("tensorflow", "tensorflow").replace("tensorflow", "tensorflow[and-cuda]",
                                                                          1)
        fix = {"jax": 'pip install --upgrade "jax[cuda12]"'}.get(report["backend"],
                                                                 f'pip install --upgrade "{tensorflow}"')
        return [Result(False, "device", f"{detail}; an NVIDIA GPU is installed but the {report['backend']} "
                                        "backend does not see it (everything runs, on the CPU)", fix)]
    if report["gpu_count"] == 0:
        detail += " (no GPU: everything runs, only slower)"
    return [Result(True, "device", detail)]


def _dataset_result(name: str, load, source_of, fetch_fix: str) -> Result:
    """Load a dataset as a chapter would, downloads off; ✔ only for a full, valid copy."""
    from course_lib import data

    try:
        (x_train, _), (x_test, _) = load(verbose=False, allow_download=False)
    except data.DatasetError as error:   # a damaged or wrong file: the message names it and the remedy
        return Result(False, name, str(error), fetch_fix)
    except Exception as error:
        return Result(False, name, f"could not be loaded ({type(error).__name__}: {error})", fetch_fix)
    source = source_of()
    if source is None or not source.full:
        return Result(False, name, "no full copy found: chapters would use the bundled sample "
                                   f"({len(x_train):,} + {len(x_test):,} images, lower accuracies)",
                      fetch_fix)
    if (len(x_train), len(x_test)) != (60000, 10000):
        return Result(False, name, f"{source.path} holds {len(x_train):,} + {len(x_test):,} images, "
                                   "not 60,000 + 10,000", fetch_fix)
    return Result(True, name, f"{source.description}; 60,000 + 10,000 images verified")


def check_datasets() -> list[Result]:
    """MNIST and Fashion-MNIST found and validated the way the chapters load them (no download)."""
    from course_lib import data

    share = "or copy mnist.npz from a teacher's share and export COURSE_DATA_DIR=/path/to/that/folder"
    return [
        _dataset_result("MNIST", data.load_mnist, data.mnist_source,
                        f"python -m course_tools fetch   (needs internet once; {share}; see data/README.md)"),
        _dataset_result("Fashion-MNIST", data.load_fashion_mnist, data.fashion_mnist_source,
                        "python -m course_tools fetch   (or: sudo apt-get install dataset-fashion-mnist; "
                        "see data/README.md)"),
    ]


def _existing(path: Path) -> Path:
    """The folder itself or, when it does not exist yet, its nearest existing parent."""
    path = path.expanduser().absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _folders_to_check() -> list[tuple[str, str, Path]]:
    """(kind, what it holds, folder) for every place the course writes to."""
    from course_lib import config

    env_dir = config.data_dir_from_env()
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    folders = [("data", "$COURSE_DATA_DIR", env_dir)] if env_dir is not None else []
    folders += [
        ("data", "the course's data/", config.DATA_DIR),
        ("keras", "Keras's cache", keras_home),
        ("artefacts", "checkpoints in chapters/artifacts", REPO_ROOT / "chapters" / "artifacts"),
        ("temp", f"temporary files in {tempfile.gettempdir()}: chapter 10a writes 1.1 GB",
         Path(tempfile.gettempdir())),
    ]
    return folders


def _free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def check_disk() -> list[Result]:
    """Free space on every file system the course writes to, against what it will write there."""
    by_device: dict[int, dict] = {}
    for kind, what, folder in _folders_to_check():
        existing = _existing(folder)
        device = os.stat(existing).st_dev
        entry = by_device.setdefault(device, {"path": existing, "needed": 0, "kinds": set(), "what": []})
        if kind not in entry["kinds"]:
            entry["kinds"].add(kind)
            entry["needed"] += NEEDED_BYTES[kind]
        entry["what"].append(what)
    results = []
    for entry in by_device.values():
        free, needed = _free_bytes(entry["path"]), entry["needed"]
        detail = (f"{free / 2**30:.1f} GB free where {entry['path']} is, {needed / 2**30:.1f} GB needed "
                  f"({', '.join(entry['what'])})")
        results.append(Result(free >= needed, "free disk", detail,
                              f"free {(needed - free) / 2**30:.1f} GB there (see what takes the space: "
                              f"du -sh {entry['path']}/* | sort -h), or export TMPDIR=/a/folder/with/space "
                              "for temporary files"))
    return results


def _labextension_folder(name: str = WIDGETS_EXTENSION) -> Path | None:
    """Where JupyterLab finds a prebuilt extension, or None when no folder holds it."""
    from jupyter_core.paths import jupyter_path

    for root in jupyter_path("labextensions"):
        candidate = Path(root) / name
        if (candidate / "package.json").is_file():
            return candidate
    return None


def _disabled_labextensions() -> set[str]:
    """Extensions switched off with ``jupyter labextension disable``.

    JupyterLab keeps them under ``disabledExtensions`` in ``labconfig/page_config.json`` of each Jupyter
    config folder (the first folder of ``jupyter --paths`` wins) and in its settings folder; read here
    directly, because importing JupyterLab's own reader takes seconds.
    """
    from jupyter_core.paths import jupyter_config_path

    files = [Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "page_config.json"]
    files += [Path(folder) / "labconfig" / "page_config.json" for folder in reversed(jupyter_config_path())]
    state: dict[str, bool] = {}
    for file in files:                     # from the lowest priority to the highest
        try:
            disabled = json.loads(file.read_text(encoding="utf-8")).get("disabledExtensions", {})
        except (OSError, ValueError, AttributeError):
            continue
        state.update(disabled if isinstance(disabled, dict) else dict.fromkeys(disabled, True))
    return {name for name, off in state.items() if off}


def check_widgets() -> list[Result]:
    """ipywidgets, jupyterlab_widgets and the JupyterLab extension that draws the chapters' widgets."""
    fix = (f'pip install --upgrade "{requirement_for("ipywidgets", "ipywidgets")}" jupyterlab_widgets   '
           "(then restart JupyterLab)")
    versions = {name: _installed_version(name) for name in ("ipywidgets", "jupyterlab_widgets")}
    missing = [name for name, version in versions.items() if version is None]
    if missing:
        return [Result(False, "widgets", f"{' and '.join(missing)} not installed: sliders and editors will "
                                         "not show", fix)]
    found = ", ".join(f"{name} {version}" for name, version in versions.items())
    folder = _labextension_folder()
    if folder is None:
        return [Result(False, "widgets", f"{found}, but JupyterLab has no {WIDGETS_EXTENSION} extension "
                                         "(jupyter labextension list shows what it has)", fix)]
    disabled = _disabled_labextensions()
    if WIDGETS_EXTENSION in disabled or any(name.startswith(WIDGETS_EXTENSION + ":") for name in disabled):
        return [Result(False, "widgets", f"{found}; JupyterLab's {WIDGETS_EXTENSION} is disabled",
                       f"jupyter labextension enable {WIDGETS_EXTENSION}")]
    extension_version = json.loads((folder / "package.json").read_text(encoding="utf-8")).get("version", "?")
    return [Result(True, "widgets", f"{found}; JupyterLab extension {WIDGETS_EXTENSION} {extension_version} "
                                    f"enabled ({folder.parent.parent})")]


_KERNEL_PROBE = ("import importlib.util, json, sys; print(json.dumps({'prefix': sys.prefix, "
                 "'executable': sys.executable, "
                 "'course_lib': importlib.util.find_spec('course_lib') is not None}))")


def _start_kernel(timeout: float) -> dict:
    """Start a ``python3`` kernel, run a probe in it, shut it down; what the probe printed, as a dict."""
    from jupyter_client.manager import start_new_kernel

    # the kernel's own start-up notices (e.g. "running over TCP without encryption") stay out of the report
    with tempfile.TemporaryFile() as log:
        try:
            manager, client = start_new_kernel(kernel_name="python3", startup_timeout=timeout,
                                               stdout=subprocess.DEVNULL, stderr=log)
        except Exception as error:
            log.seek(0)
            said = log.read().decode("utf-8", errors="replace").strip().splitlines()
            raise RuntimeError(f"{error}{'; the kernel said: ' + said[-1] if said else ''}") from error
        return _probe(manager, client, timeout)


def _probe(manager, client, timeout: float) -> dict:
    """Run ``_KERNEL_PROBE`` in a started kernel and shut it down; what it printed, as a dict."""
    try:
        printed = []

        def keep(message):
            if message["header"]["msg_type"] == "stream":
                printed.append(message["content"]["text"])

        reply = client.execute_interactive(_KERNEL_PROBE, timeout=timeout, output_hook=keep)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the probe failed in the kernel: {reply['content'].get('ename')}")
        return json.loads("".join(printed))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def check_kernel(timeout: float = KERNEL_TIMEOUT_S) -> list[Result]:
    """A ``python3`` Jupyter kernel starts, answers, and runs this environment's Python."""
    register = "python -m ipykernel install --sys-prefix"
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec("python3")
    except Exception as error:
        return [Result(False, "Jupyter kernel", f"no python3 kernel is registered ({type(error).__name__})",
                       f'pip install --upgrade "{requirement_for("ipykernel", "ipykernel")}" && {register}')]
    try:
        probe = _start_kernel(timeout)
    except Exception as error:
        return [Result(False, "Jupyter kernel",
                       f"the python3 kernel ({spec.argv[0]}) did not start and answer within {timeout:g} s "
                       f"({type(error).__name__}: {error})",
                       f'pip install --upgrade "{requirement_for("ipykernel", "ipykernel")}" '
                       f'"jupyter_client" && {register}')]
    if Path(probe["prefix"]).resolve() != Path(sys.prefix).resolve() or not probe["course_lib"]:
        return [Result(False, "Jupyter kernel",
                       f"the python3 kernel runs {probe['executable']}, not this environment's Python "
                       f"({sys.executable}), so notebooks would not find course_lib",
                       f"{register}   (with the course's venv active)")]
    return [Result(True, "Jupyter kernel", f"python3 starts and runs {probe['executable']} with course_lib")]


def _marks(stream) -> tuple[str, str]:
    """✔ and ✘, or OK and X on a console that cannot print them."""
    try:
        "✔✘→".encode(getattr(stream, "encoding", None) or "ascii")
        return "✔", "✘"
    except (UnicodeEncodeError, LookupError):
        return "OK", "X"


def run(kernel: bool = True, kernel_timeout: float = KERNEL_TIMEOUT_S, stream=None) -> int:
    """Run every check, print one line each to ``stream`` (stdout), and return 0 if all passed, else 1."""
    stream = stream if stream is not None else sys.stdout
    marks = _marks(stream)
    checks = [("Python", check_python), ("packages", check_packages), ("Keras backend", check_backend),
              ("device", check_device), ("datasets", check_datasets), ("disk", check_disk),
              ("widgets", check_widgets)]
    if kernel:
        checks.append(("Jupyter kernel", lambda: check_kernel(kernel_timeout)))
    problems = 0
    for name, check in checks:
        try:
            results = check()
        except Exception as error:   # a check that crashes is itself a finding, never a traceback
            results = [Result(False, name, f"the check itself failed ({type(error).__name__}: {error})",
                              REINSTALL)]
        for result in results:
            problems += not result.ok
            print(result.line(marks), file=stream, flush=True)
    if not kernel:
        print("(the Jupyter kernel was not checked: --no-kernel)", file=stream)
    print(f"{'All is well' if not problems else f'{problems} problem(s)'}: "
          + ("this machine is ready for the course." if not problems else "run each fix above, then "
             "python -m course_tools doctor again."), file=stream)
    return 1 if problems else 0
