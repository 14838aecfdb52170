"""The course in a real JupyterLab, driven by a headless Chromium (Playwright for Python).

nbval executes cells in a bare kernel, so a widget that never renders or a plot that never appears
would pass there. This test meets the course the way a learner does: it starts ``jupyter lab`` on
127.0.0.1 (a free port, a token, its own config, runtime, settings and workspace folders), opens
chapters 00 and 02 (fast mode) from a temporary copy of ``chapters/``, runs all cells, saves the copy
from JupyterLab and checks that

* no cell ends in an error (the saved notebook's ``error`` outputs),
* no cell, the first or any other, shows a stderr box (pink in JupyterLab, which a learner takes for an
  error): no TensorFlow C++ log lines at start-up or while it runs, no stray warning,
* the first cell shows nothing but the mode note, and no stray value,
* at least one plot image is displayed in the page,
* chapter 02's kernel editor rendered (its 3 × 3 number boxes, preset list and picture are in the
  page), and that typing a number or picking a preset changes the filtered image and keeps the
  preset list in step with the kernel.

Screenshots of each step go to ``tests/browser/artifacts/`` (git-ignored; ``COURSE_BROWSER_ARTIFACTS``
names another folder), with the server's log.

It needs the ``playwright`` package (requirements.txt) and a Chromium: Debian's, installed with
``apt-get install -y --no-install-recommends chromium fonts-noto-cjk`` (``.ci/run`` does this when it
runs as root), or Playwright's own (``python -m playwright install chromium``, needs internet), or
any Chromium named by ``COURSE_BROWSER``. Without them the test is skipped and says so. It runs once,
in the TensorFlow pass of the test command: the JAX pass skips it (it is marked ``once``).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = ("00_start_here.ipynb", "02_convolution.ipynb")
ARTIFACTS = Path(os.environ.get("COURSE_BROWSER_ARTIFACTS") or Path(__file__).parent / "artifacts")
HOW_TO_INSTALL = ("install a Chromium: `apt-get install -y --no-install-recommends chromium fonts-noto-cjk` "
                  "(Debian/Ubuntu, as root), or `python -m playwright install chromium` (needs internet), "
                  "or name one with COURSE_BROWSER=/path/to/chrome")
# Debian's /usr/bin/chromium is a shell wrapper; Playwright wants the binary itself.
BROWSER_PATHS = ("/usr/lib/chromium/chromium-headless-shell",
                 "/usr/lib/chromium-headless-shell/chromium-headless-shell", "/usr/lib/chromium/chromium")
BROWSER_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome",
                 "google-chrome-stable")
SERVER_START_S = 90
RUN_ALL_S = 240          # both chapters in fast mode take well under a minute each on 2 cores
WIDGET_S = 30

# JupyterLab settings for an unattended session: no news prompt, no kernel-selection dialog, every cell
# in the page (so that cells can be found and inspected without scrolling), no autosave while we check.
OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True, "windowingMode": "none"},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
}


# What JupyterLab shows does not depend on Keras's backend, and a second browser run would cost a minute.
pytestmark = [pytest.mark.once, pytest.mark.slow]


def find_browser() -> str | None:
    """A Chromium executable for Playwright, or None when Playwright's own download should be used."""
    named = os.environ.get("COURSE_BROWSER", "").strip()
    if named:
        path = shutil.which(named) or named
        if not Path(path).is_file():
            pytest.skip(f"COURSE_BROWSER={named} is not an executable; {HOW_TO_INSTALL}")
        return path
    for path in BROWSER_PATHS:
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        own = playwright.chromium.executable_path
    if own and Path(own).is_file():
        return None
    pytest.skip(f"no Chromium found for the browser test; {HOW_TO_INSTALL}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stem in (name.split("_")[0] for name in CHAPTERS):   # only this test's own earlier screenshots
        for old in ARTIFACTS.glob(f"{stem}-*.png"):
            old.unlink()
    print(f"\nbrowser test artefacts (screenshots, server log): {ARTIFACTS}")
    return ARTIFACTS


@pytest.fixture(scope="module")
def chromium_executable():
    """Playwright and a Chromium, looked for before anything starts (None: Playwright's own download)."""
    pytest.importorskip("playwright.sync_api",
                        reason=f"playwright is not installed: `pip install playwright` (it is in "
                               f"requirements.txt), then {HOW_TO_INSTALL}")
    return find_browser()


@pytest.fixture(scope="module")
def lab(chromium_executable, tmp_path_factory, artifacts):
    """A JupyterLab server on a copy of the chapters: (base URL, token, served folder)."""
    base = tmp_path_factory.mktemp("jupyterlab")
    served = base / "chapters"
    served.mkdir()
    for name in CHAPTERS:
        shutil.copy2(REPO / "chapters" / name, served / name)   # the repository's notebooks stay untouched
    settings = base / "app-settings"
    settings.mkdir()
    (settings / "overrides.json").write_text(json.dumps(OVERRIDES, indent=1), encoding="utf-8")
    env = {**os.environ, "COURSE_FAST": "1", "COURSE_STRICT": "1",
           "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "JUPYTER_DATA_DIR": str(base / "data"), "IPYTHONDIR": str(base / "ipython")}
    # a learner's kernel: the inline plots of JupyterLab (not the test session's Agg), and no TensorFlow
    # log-level setting, so that every cell shows what a learner who set nothing sees; nor pytest's
    # PYTEST_CURRENT_TEST, with which ipykernel stops passing what C++ code writes to stderr on to the cells
    for name in ("MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={served}", "--LabApp.expose_app_in_browser=True",
               f"--LabApp.app_settings_dir={settings}",
               f"--LabApp.user_settings_dir={base / 'user-settings'}",
               f"--LabApp.workspaces_dir={base / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path = artifacts / "jupyterlab-server.log"
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen(command, cwd=served, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with status {server.returncode}:\n"
                            f"{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within {SERVER_START_S} s:\n"
                            f"{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, token, served
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser(chromium_executable, lab):
    from playwright.sync_api import Error, sync_playwright

    executable = chromium_executable
    with sync_playwright() as playwright:
        args = ["--disable-dev-shm-usage"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")   # Chromium refuses to run its sandbox as root
        try:
            chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        except Error as error:
            pytest.skip(f"Chromium ({executable or 'Playwright download'}) did not start: "
                        f"{str(error).splitlines()[0]}; {HOW_TO_INSTALL}")
        try:
            yield chromium
        finally:
            chromium.close()


# --- talking to the page ----------------------------------------------------------------------------

NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {
    kernel: kernel ? kernel.status : 'none',
    cells: cells.length,
    running: cells.filter(cell => (cell.promptNode?.textContent || '').includes('*')).length,
    unrun: cells.filter(cell => cell.model.executionCount === null).length,
    errors: cells.filter(cell => cell.model.outputs.toJSON().some(o => o.output_type === 'error')).length,
  };
}"""


def open_notebook(page, url, token, name):
    # ?reset: a fresh workspace, so that only this notebook is open and Run All applies to it
    page.goto(f"{url}/lab/tree/{name}?token={token}&reset")
    page.wait_for_function("() => window.jupyterapp?.shell.currentWidget?.content?.widgets?.length > 0",
                           timeout=60_000)
    page.wait_for_function(f"({NOTEBOOK_STATE})()?.kernel === 'idle'", timeout=60_000)


def run_all_and_wait(page, name):
    page.locator(".jp-Notebook .jp-Cell").first.click()    # focus the notebook: commands act on it
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline, quiet = time.monotonic() + RUN_ALL_S, 0
    state = None
    while time.monotonic() < deadline:
        time.sleep(1)
        state = page.evaluate(NOTEBOOK_STATE)
        finished = (state["kernel"] == "idle" and not state["running"]
                    and (not state["unrun"] or state["errors"]))
        quiet = quiet + 1 if finished else 0
        if quiet >= 2:   # idle twice in a row: the queue really is empty
            return state
    pytest.fail(f"{name}: Run All did not finish within {RUN_ALL_S} s (last state {state})")


def save_and_read(page, path: Path) -> dict:
    before = path.stat().st_mtime_ns
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    deadline = time.monotonic() + 10
    while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.2)
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(notebook):
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def stderr_boxes(notebook) -> dict:
    """{cell index: the text of its stderr output} for every cell that shows a stderr box."""
    boxes = {}
    for index, cell in enumerate(notebook["cells"]):
        text = "".join("".join(output["text"]) for output in cell.get("outputs", [])
                       if output["output_type"] == "stream" and output["name"] == "stderr")
        if text:
            boxes[index] = text
    return boxes


def check_saved_notebook(notebook, name):
    """No error outputs and no stderr box in any cell; the first cell shows no stray value."""
    errors = [(index, output.get("ename"), output.get("evalue"))
              for index, cell in enumerate(notebook["cells"])
              for output in cell.get("outputs", []) if output["output_type"] == "error"]
    assert not errors, f"{name}: cells ended in an error (cell index, error, message): {errors}"
    unrun = [index for index, cell in enumerate(notebook["cells"])
             if cell["cell_type"] == "code" and cell["source"] and cell.get("execution_count") is None]
    assert not unrun, f"{name}: cells {unrun} did not run"
    boxes = stderr_boxes(notebook)
    assert not boxes, (f"{name}: cells show a stderr box a learner takes for an error:\n"
                       + "\n".join(f"cell {index}:\n{text}" for index, text in boxes.items()))
    first = code_cells(notebook)[0]
    values = [o for o in first["outputs"] if o["output_type"] == "execute_result"]
    assert not values, f"{name}: the first cell shows a stray value: {values}"


def cell_locator(page, predicate_js):
    """The page element of the first cell whose source satisfies ``predicate_js(source)``."""
    index = page.evaluate(f"""() => window.jupyterapp.shell.currentWidget.content.widgets
        .findIndex(cell => ({predicate_js})(cell.model.sharedModel.getSource()))""")
    assert index >= 0, f"no cell matches {predicate_js}"
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    return cell


# JupyterLab's pink box: a stream output to stderr, rendered as text with this MIME type
STDERR_BOX = '.jp-Notebook .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'


def shown_images(page) -> int:
    """Plot images displayed in output areas (loaded, with a size)."""
    return page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-output img')]
        .filter(img => img.complete && img.naturalWidth > 50 && img.naturalHeight > 50).length""")


def wait_for_new_picture(image, old_src, what, whose="kernel editor's"):
    deadline = time.monotonic() + WIDGET_S
    while time.monotonic() < deadline:
        src = image.get_attribute("src")
        if src and src != old_src:
            return src
        time.sleep(0.25)
    pytest.fail(f"the {whose} picture did not change after {what} within {WIDGET_S} s")


# --- the test ---------------------------------------------------------------------------------------

def test_chapters_run_and_widgets_respond_in_jupyterlab(lab, browser, artifacts):
    url, token, served = lab
    started = time.monotonic()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    try:
        for name in CHAPTERS:
            stem = name.split("_")[0]
            open_notebook(page, url, token, name)
            page.screenshot(path=artifacts / f"{stem}-1-opened.png")
            state = run_all_and_wait(page, name)
            page.evaluate("() => window.jupyterapp.shell.currentWidget.content.scrollToItem(0)")
            page.screenshot(path=artifacts / f"{stem}-2-ran-all-top.png")
            notebook = save_and_read(page, served / name)
            check_saved_notebook(notebook, name)
            assert state["errors"] == 0 and state["unrun"] == 0, f"{name}: {state}"
            pink = page.locator(STDERR_BOX)
            assert pink.count() == 0, f"{name}: the page shows stderr boxes: {pink.all_inner_texts()}"
            cell_locator(page, "s => s.includes('from course_lib import')").screenshot(
                path=artifacts / f"{stem}-3-first-cell.png")

            assert shown_images(page) >= 1, f"{name}: no plot image is displayed"
            plot = page.locator(".jp-Cell", has=page.locator(".jp-OutputArea-output img")).first
            plot.scroll_into_view_if_needed()
            plot.screenshot(path=artifacts / f"{stem}-4-first-plot.png")

            if name.startswith("02"):
                maps = cell_locator(page, "s => s.includes('viz.show_feature_maps(')")
                maps.screenshot(path=artifacts / f"{stem}-5-feature-maps.png")
                check_kernel_editor(page, artifacts, stem)
                check_latent_explorer(page, artifacts, stem)
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        elapsed = time.monotonic() - started
        print(f"browser test: both chapters opened, run and checked in {elapsed:.0f} s")
    finally:
        context.close()


def check_kernel_editor(page, artifacts, stem):
    """The editor rendered; typing into its grid or picking a preset redraws it and moves the preset list."""
    editor = cell_locator(page, "s => s.includes('widgets.KernelEditor(')")
    entries = editor.locator(".widget-text input")
    presets = editor.locator(".widget-dropdown select")
    picture = editor.locator(".jupyter-widgets-output-area img, .widget-output img").first
    entries.first.wait_for(timeout=WIDGET_S * 1000)
    assert entries.count() == 9, f"the kernel editor shows {entries.count()} number boxes, expected 3 × 3"
    assert presets.count() == 1, "the kernel editor's preset list is missing"
    picture.wait_for(timeout=WIDGET_S * 1000)
    editor.screenshot(path=artifacts / f"{stem}-6-kernel-editor-after-run-all.png")
    # after Run All it holds the kernel the next cell set: 2 in the centre, "doubles every pixel"
    assert float(entries.nth(4).input_value()) == 2.0
    assert presets.input_value() == "(custom)", "a kernel that matches no preset should show (custom)"
    src = picture.get_attribute("src")

    entries.nth(4).fill("1")          # the identity kernel: the preset list should follow
    entries.nth(4).press("Enter")
    src = wait_for_new_picture(picture, src, "typing 1 into the centre cell")
    page.wait_for_function("select => select.value === 'identity'", arg=presets.element_handle(),
                           timeout=WIDGET_S * 1000)
    editor.screenshot(path=artifacts / f"{stem}-7-kernel-editor-typed-identity.png")

    presets.select_option("edges (Laplacian)")
    wait_for_new_picture(picture, src, "picking the Laplacian preset")
    page.wait_for_function("box => Number(box.value) === 8", arg=entries.nth(4).element_handle(),
                           timeout=WIDGET_S * 1000)
    editor.screenshot(path=artifacts / f"{stem}-8-kernel-editor-laplacian.png")


LATENT_CELL = """from course_lib import gan
explorer = widgets.LatentExplorer(gan.build_generator(8, filters=8), count=2)   # untrained: noise
explorer
"""


def check_latent_explorer(page, artifacts, stem):
    """Chapter 07's latent explorer, in chapter 02's kernel (an untrained generator, no GAN training):
    its picture is there on creation, and moving a slider redraws it."""
    page.evaluate("""async code => {
      const app = window.jupyterapp, notebook = app.shell.currentWidget.content;
      notebook.activeCellIndex = notebook.widgets.length - 1;
      await app.commands.execute('notebook:insert-cell-below');
      notebook.activeCell.model.sharedModel.setSource(code);
      await app.commands.execute('notebook:run-cell');
    }""", LATENT_CELL)
    cell = page.locator(".jp-Notebook .jp-Cell").last
    sliders = cell.locator(".widget-slider")
    picture = cell.locator(".jupyter-widgets-output-area img, .widget-output img").first
    sliders.first.wait_for(timeout=WIDGET_S * 1000)
    picture.wait_for(timeout=WIDGET_S * 1000)         # drawn on creation, before any slider moves
    assert sliders.count() == 3, f"seed and two direction sliders expected, found {sliders.count()}"
    cell.scroll_into_view_if_needed()
    cell.screenshot(path=artifacts / f"{stem}-9-latent-explorer-created.png")
    src = picture.get_attribute("src")
    handle = sliders.nth(1).locator(".noUi-handle, [role=slider]").first
    handle.focus()
    for _ in range(10):
        handle.press("ArrowRight")                    # dir 1 moves by 10 steps of 0.1
    wait_for_new_picture(picture, src, "moving the latent explorer's slider dir 1", "latent explorer's")
    cell.screenshot(path=artifacts / f"{stem}-10-latent-explorer-slider-moved.png")
