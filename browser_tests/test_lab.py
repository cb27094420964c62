"""JupyterLab in a real browser: notebooks 00 and 07 (its recommender widget) run all cells in headless Chromium.

Run by `make browser-test`, not by `make test` (it needs Debian's chromium and chromium-driver). JupyterLab
starts from .venv on a free port with a token, with fresh user settings (a first start), in a temporary
folder holding copies of the notebooks (the committed files are never touched). For each notebook the
test clears the outputs (Edit menu), clicks Run > Run All Cells, waits until every code cell has run, saves
a screenshot to screenshots/, and asserts that no cell raised or wrote to stderr and that every widget
output rendered as a widget (no "Error displaying widget", no text fallback).
"""

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
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "screenshots"
NOTEBOOKS = ["00_introduction.ipynb", "07_verdict.ipynb"]
RUN_TIMEOUT_S = 600  # each notebook runs in about a minute on 2 CPUs; a browser beside it slows that down
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,1800"]

# The open notebook's code cells from JupyterLab's own model (exposed with --LabApp.expose_app_in_browser).
CELLS_JS = """
const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
if (!panel || !panel.content || !panel.content.model || !panel.context.isReady) { return null; }
const session = panel.sessionContext.session;
const cells = [];
panel.content.widgets.forEach((cell, index) => {
  const model = cell.model;
  if (model.type !== 'code' || !model.sharedModel.getSource().trim()) { return; }
  const outputs = [];
  for (let i = 0; i < model.outputs.length; i++) {
    const out = model.outputs.get(i).toJSON();
    outputs.push({type: out.output_type, name: out.name || null, mimes: Object.keys(out.data || {}),
                  text: out.output_type === 'error' ? out.ename + ': ' + out.evalue
                        : [].concat(out.text || []).join('').slice(0, 500)});
  }
  const widgets = Array.from(cell.node.querySelectorAll('.jp-OutputArea-output')).map(node => ({
    text: node.innerText.slice(0, 300), parts: node.querySelectorAll('[class*="widget-"]').length}));
  const first = model.sharedModel.getSource().trim().split('\\n')[0].slice(0, 80);
  cells.push({index, first, count: model.executionCount, outputs, rendered: widgets});
});
return {kernel: session && session.kernel ? session.kernel.status : null, cells};
"""
POPUPS_JS = """
return Array.from(document.querySelectorAll('.jp-Dialog, .Toastify__toast')).map(n => n.innerText.slice(0, 200));
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server from .venv over copies of the notebooks; yields (base url, token)."""
    tmp = tmp_path_factory.mktemp("lab")
    work = tmp / "notebooks"
    work.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, work / name)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "user-settings"), JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"))
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
               "--LabApp.expose_app_in_browser=True"] + (["--allow-root"] if os.getuid() == 0 else [])
    log = (tmp / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start; its log:\n{(tmp / 'lab.log').read_text()[-3000:]}")
            time.sleep(1)
    yield base, token
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def shut_down_kernels(lab):
    """Stop every kernel the server runs (each holds several hundred MB)."""
    base, token = lab
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/sessions", headers=headers)) as answer:
        sessions = json.load(answer)
    for session in sessions:
        urllib.request.urlopen(urllib.request.Request(f"{base}/api/sessions/{session['id']}", headers=headers,
                                                      method="DELETE"))


@pytest.fixture
def browser(tmp_path, lab):
    """Headless Debian chromium through its chromedriver, with a new empty profile; stops the kernels after."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and chromedriver, "chromium and chromedriver are missing: run `make browser-test`"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    yield driver
    driver.quit()
    shut_down_kernels(lab)


def open_notebook(driver, lab, name):
    """Open `name` in JupyterLab and wait until its kernel is idle."""
    base, token = lab
    driver.get(f"{base}/lab/tree/{name}?reset&token={token}")
    WebDriverWait(driver, 120, poll_frequency=1).until(
        lambda d: (d.execute_script(CELLS_JS) or {}).get("kernel") == "idle",
        message=f"{name}: JupyterLab did not open the notebook with an idle kernel")


def menu(driver, name, title, command):
    """Click `title` in the menu bar, then its item that runs `command` (JupyterLab's menu command id)."""
    top = f"//li[contains(@class, 'lm-MenuBar-item')][normalize-space(.)='{title}']"
    WebDriverWait(driver, 60).until(expected_conditions.element_to_be_clickable((By.XPATH, top)),
                                    message=f"{name}: no '{title}' menu in JupyterLab's menu bar").click()
    item = f"li.lm-Menu-item[data-command='{command}']"
    WebDriverWait(driver, 60).until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, item)),
                                    message=f"{name}: the {title} menu has no item running {command}").click()


def run_all(driver, name) -> dict:
    """Edit > Clear Outputs of All Cells, Run > Run All Cells; wait until every code cell ran.

    Run All stops at a cell that raises (the kernel idles with cells left unrun): after 30 s of an idle
    kernel the state is returned as it is, and the test reports the cells that did not run.
    """
    menu(driver, name, "Edit", "editmenu:clear-all")
    WebDriverWait(driver, 60).until(lambda d: all(c["count"] is None for c in d.execute_script(CELLS_JS)["cells"]),
                                    message=f"{name}: Edit > Clear Outputs of All Cells left outputs")
    menu(driver, name, "Run", "runmenu:run-all")
    deadline, idle_since = time.monotonic() + RUN_TIMEOUT_S, None
    while time.monotonic() < deadline:
        state = driver.execute_script(CELLS_JS)
        if state["kernel"] == "idle" and all(c["count"] is not None for c in state["cells"]):
            return state
        idle_since = (idle_since or time.monotonic()) if state["kernel"] == "idle" else None
        if idle_since and time.monotonic() - idle_since > 30:
            return state
        time.sleep(1)
    pytest.fail(f"{name}: Run All Cells had not finished after {RUN_TIMEOUT_S} s")


def widgets_missing(cell) -> int:
    """How many of the cell's widget outputs did not render as a widget."""
    expected = sum(WIDGET_MIME in out["mimes"] for out in cell["outputs"])
    shown = [r for r in cell["rendered"] if r["parts"] and "Error displaying widget" not in r["text"]]
    return max(expected - len(shown), 0)


def problems(state) -> list[str]:
    """Every reason the run failed: cells not run, errors, stderr, widgets not rendered as widgets."""
    found = []
    for cell in state["cells"]:
        where = f"cell {cell['index']} ({cell['first']})"
        if cell["count"] is None:
            found.append(f"{where}: did not run")
        for out in cell["outputs"]:
            if out["type"] == "error" or out["name"] == "stderr":
                found.append(f"{where}: {out['type']} {out['name'] or ''} {out['text']!r}")
        if widgets_missing(cell):
            shown = [r["text"][:120] for r in cell["rendered"]]
            found.append(f"{where}: {widgets_missing(cell)} widget output(s) did not render as a widget; "
                         f"shown instead: {shown}")
    return found


def test_first_start_shows_no_popup(browser, lab):
    open_notebook(browser, lab, NOTEBOOKS[0])
    time.sleep(5)  # the news prompt appears right after JupyterLab restores its layout
    assert browser.execute_script(POPUPS_JS) == [], "a dialog or notification popped up on first start"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_all_cells_in_lab(browser, lab, name):
    open_notebook(browser, lab, name)
    state = run_all(browser, name)
    widget_cells = [c["index"] for c in state["cells"] if any(WIDGET_MIME in o["mimes"] for o in c["outputs"])]
    if widget_cells:  # widget views render after the output arrives: wait for them (bounded), show the first
        try:
            WebDriverWait(browser, 60, poll_frequency=2).until(
                lambda d: not any(widgets_missing(c) for c in d.execute_script(CELLS_JS)["cells"]))
        except TimeoutException:
            pass  # reported below, with what was shown instead
        state = browser.execute_script(CELLS_JS)
        browser.execute_script("window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]]"
                               ".node.scrollIntoView()", widget_cells[0])
        time.sleep(1)
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{Path(name).stem}.png"))
    (SCREENSHOTS / f"{Path(name).stem}.json").write_text(json.dumps(state, indent=1))
    found = problems(state)
    if found:
        pytest.fail(f"{name} in JupyterLab (screenshot in screenshots/):\n" + "\n".join(found), pytrace=False)
    assert name != "07_verdict.ipynb" or widget_cells, "notebook 07 showed no widget (its recommender)"
