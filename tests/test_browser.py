"""Notebook 01 in a real browser: JupyterLab on loopback, headless Chromium driven by Playwright.

The test copies the workshop into a temporary folder (so nothing in the checkout is autosaved),
starts JupyterLab there with a token, opens notebook 01, runs every cell, and checks that the trace
explorer rendered as a live widget and that ticking "failed calls only" changes what its table
shows. Screenshots go to ``test-artifacts/`` (gitignored), to look at when it fails.

Chromium is the system package (``apt-get install chromium``): Playwright is told its path and never
downloads a browser. Needs the ``playwright`` and ``jupyterlab`` Python packages.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import unavailable

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
NOTEBOOK = "notebooks/01-missing-config-file.ipynb"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STATUS = re.compile(r"([\d,]+) of ([\d,]+) calls")  # the explorer's count line: "<b>12</b> of 1,308 calls"


def _need(condition: bool, what: str) -> None:
    if not condition:
        unavailable(what, in_ci=f"{what}: .ci/run should provide it")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """(base URL, token) of a JupyterLab serving a copy of the workshop; stopped afterwards."""
    _need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for module in ("playwright", "jupyterlab"):
        _need(__import__("importlib.util").util.find_spec(module) is not None, f"Python package {module} missing")
    root = tmp_path / "workshop"
    for folder in ("notebooks", "mysteries"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", ".ipynb*"))
    home = tmp_path / "home"
    home.mkdir()
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    # TMPDIR: the kernel is stopped abruptly, so the notebook's scratch folders go where pytest cleans up.
    env.update(HOME=str(home), TMPDIR=str(tmp_path), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"),
               PYTHONPATH=f"{REPO}{os.pathsep}{env['PYTHONPATH']}" if env.get("PYTHONPATH") else str(REPO))
    log = open(tmp_path / "jupyterlab.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         # jupyterapp in the page lets the test drive JupyterLab's own commands; nothing may go online.
         "--LabApp.expose_app_in_browser=True", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield base, token
    finally:
        server.send_signal(signal.SIGTERM)  # it shuts its kernels down on the way out
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(server.pid, signal.SIGKILL)  # anything of its session still there
        except ProcessLookupError:
            pass
        server.wait()
        log.close()


def _status(page) -> tuple[int, int]:
    text = page.locator(".widget-html", has_text=STATUS).first.inner_text()
    shown, total = STATUS.search(text).groups()
    return int(shown.replace(",", "")), int(total.replace(",", ""))


@pytest.mark.timeout(240)
def test_notebook_01_runs_and_its_explorer_filters_in_chromium(jupyterlab):
    from playwright.sync_api import sync_playwright

    base, token = jupyterlab
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        try:
            page = browser.new_page()
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.wait_for_function(
                "() => { const w = window.jupyterapp?.shell.currentWidget;"
                " return w?.content?.widgets?.length > 0 && w.sessionContext?.session?.kernel?.status === 'idle'; }",
                timeout=60_000)
            # Run every cell (the same command as Run > Run All Cells) and wait until each has a prompt number.
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(
                "() => { const nb = window.jupyterapp.shell.currentWidget;"
                " const cells = nb.content.widgets.filter(c => c.model.type === 'code');"
                " return cells.every(c => c.model.executionCount !== null && c.promptNode?.textContent !== '[*]:')"
                " && nb.sessionContext.session.kernel.status === 'idle'; }",
                timeout=120_000, polling=500)
            errors = page.evaluate(
                "() => window.jupyterapp.shell.currentWidget.content.widgets"
                ".filter(c => c.model.type === 'code')"
                ".flatMap(c => c.model.sharedModel.outputs.filter(o => o.output_type === 'error')"
                ".map(o => o.ename + ': ' + o.evalue))")
            assert errors == []

            checkbox = page.locator(".widget-checkbox", has_text="failed calls only").first
            checkbox.scroll_into_view_if_needed()
            checkbox.wait_for(state="visible", timeout=30_000)
            assert page.get_by_text("Error displaying widget").count() == 0
            # At first the start-up lookups (loader, locale, the interpreter's own) are hidden; unticking
            # "hide start-up" shows every call of the trace.
            hide = page.locator(".widget-checkbox", has_text="hide start-up").first
            assert hide.locator("input").is_checked()
            shown_hidden, total = _status(page)
            assert 0 < shown_hidden < total
            hide.locator("input").uncheck()
            page.wait_for_function(
                "([pattern, before]) => [...document.querySelectorAll('.widget-html')].some(e => {"
                " const m = e.innerText.match(new RegExp(pattern)); return m && m[1] !== before; })",
                arg=[STATUS.pattern, f"{shown_hidden:,}"], timeout=15_000)
            shown_before, total = _status(page)
            assert shown_before == total > 0  # nothing filtered now: every call of the trace
            table = page.locator(".widget-html table").first
            rows_before = table.locator("tr").count()
            first_before = table.locator("tr").nth(1).inner_text()
            page.screenshot(path=str(ARTIFACTS / "browser-01-explorer-before.png"), full_page=False)

            checkbox.locator("input").check()
            page.wait_for_function(
                "([pattern, before]) => [...document.querySelectorAll('.widget-html')].some(e => {"
                " const m = e.innerText.match(new RegExp(pattern)); return m && m[1] !== before; })",
                arg=[STATUS.pattern, f"{shown_before:,}"], timeout=15_000)
            shown_after, total_after = _status(page)
            assert total_after == total and 0 < shown_after < total
            assert table.locator("tr").nth(1).inner_text() != first_before or table.locator("tr").count() != rows_before
            # Every row now on the table is a failed call: its result says -1 and an errno.
            results = table.locator("tr").all_inner_texts()[1:]
            assert results and all(re.search(r"-1 E[A-Z]+", row) for row in results), results[:3]
            page.screenshot(path=str(ARTIFACTS / "browser-01-explorer-failed-only.png"), full_page=False)
        finally:
            browser.close()
