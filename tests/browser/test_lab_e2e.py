"""End to end in a real browser: JupyterLab started by the test, Debian's chromium driven by
Playwright. Notebook 03 run, Pause clicked in the rendered control panel: the widget must show
PAUSED and the sandbox must agree. Notebook 07 run, two rows clicked in the export panel, then
Export selected: the files must be the sandbox's bytes. Screenshots go to the test output
directory."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from recops.kit.lab import lab_command
from recops.sandbox import SandboxClient
from recops.sandbox.process import ServedProcess, sandbox_process

from ..output import OUTPUT_DIR
from ..ports import free_port, needs_chromium
from .apps import launch_chromium

ROOT = Path(__file__).resolve().parents[2]
DEMO_ACTIVE = "c0a80001-0000-4000-8000-000000000001"
NEWS_PROMPT = "Would you like to get notified about official Jupyter news?"
KERNEL_READY = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const s = w && w.sessionContext; const k = s && s.session && s.session.kernel;
  return !!(s && s.isReady && k && k.connectionStatus === 'connected' && k.status === 'idle'); }"""

pytestmark = needs_chromium


def _clean_env(base: Path) -> dict[str, str]:
    home = base / "sandbox-home"
    home.mkdir(parents=True, exist_ok=True)
    return {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))} | {"HOME": str(home)}


def _lab_env(base: Path, sandbox_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PATH" and not k.startswith(("GENESYS", "RECOPS_"))}
    for var, sub in [("HOME", "home"), ("JUPYTER_CONFIG_DIR", "cfg"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "run"), ("JUPYTERLAB_WORKSPACES_DIR", "ws"), ("IPYTHONDIR", "ipy")]:
        (base / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(base / sub)
    # no notification settings here: the news pop-up must stay away by `recops lab`'s own settings
    settings = {"docmanager-extension/plugin": {"autosave": False},
                "notebook-extension/tracker": {"windowingMode": "none"}}
    for name, value in settings.items():
        f = base / "cfg/lab/user-settings/@jupyterlab" / f"{name}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    return env | {"JUPYTER_PLATFORM_DIRS": "1", "RECOPS_SANDBOX_URL": sandbox_url,
                  "RECOPS_JOURNAL": str(base / "journal.sqlite"), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}


def _start_lab(nbdir: Path, env: dict[str, str]) -> tuple[ServedProcess, int, str]:
    """JupyterLab on a free port; started once it printed its URL (recops/sandbox/process.py)."""
    port = free_port()
    token = secrets.token_hex(16)
    lab = ServedProcess(
        [*lab_command(nbdir, port, open_browser=False, port_retries=0),  # `recops lab`'s lab and settings
         "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
         "--LabApp.extension_manager=readonly", "--expose-app-in-browser"],
        url_pattern=rf"(http://127\.0\.0\.1:{port})/lab", env=env, cwd=nbdir, start_timeout=60).start()
    deadline = time.monotonic() + 60  # it prints its URL a moment before it answers
    while True:
        try:
            urllib.request.urlopen(f"{lab.url}/api/status?token={token}", timeout=2)
            return lab, port, token
        except OSError:
            if not lab.running() or time.monotonic() > deadline:
                lab.stop()
                raise AssertionError("JupyterLab did not start:\n" + lab.output()) from None
            time.sleep(0.2)


@contextlib.contextmanager
def _notebook_run_in_lab(tmp_path: Path, env: dict[str, str], notebook: str) -> Iterator[tuple[Any, Any]]:
    """A copy of ``notebook`` (outputs never reach git) in a JupyterLab started for the test,
    opened in chromium (loopback only) with every cell run: ``(page, the notebook's locator)``.
    The lab's log goes to ``tmp_path/jupyter.log``."""
    from playwright.sync_api import sync_playwright

    nbdir = tmp_path / "notebooks"
    nbdir.mkdir(exist_ok=True)
    shutil.copy(ROOT / "notebooks" / notebook, nbdir)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    lab, port, token = _start_lab(nbdir, env)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p, env)
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
            page = ctx.new_page()
            page.goto(f"{base}/lab/tree/{notebook}?token={token}")
            page.wait_for_function(KERNEL_READY, polling=100, timeout=90_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            yield page, page.locator(".jp-NotebookPanel:visible .jp-Notebook")
            browser.close()
    finally:
        (tmp_path / "jupyter.log").write_text(lab.output())
        lab.stop(timeout=15)


def test_pause_in_the_rendered_control_panel(tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    with sandbox_process("demo", env=_clean_env(tmp_path)) as sb:
        control = SandboxClient(sb.url)
        env = _lab_env(tmp_path, sb.url)
        with _notebook_run_in_lab(tmp_path, env, "03_pause_resume_stop.ipynb") as (page, nb):
            panel = nb.locator(".recops-control-panel")
            state = panel.locator(".recops-state")
            expect(state).to_have_text("ACTIVE")
            expect(panel.locator(".recops-banner")).to_contain_text("SANDBOX")
            pause = panel.locator("button.jupyter-button", has_text="Pause")
            expect(pause).to_be_enabled()
            panel.scroll_into_view_if_needed()
            page.screenshot(path=str(OUTPUT_DIR / "control_panel_before.png"))

            pause.click()
            expect(state).to_have_text("PAUSED")
            expect(panel.locator("button.jupyter-button", has_text="Resume")).to_be_enabled()
            deadline = time.monotonic() + 10
            while control.conversation(DEMO_ACTIVE)["recordingState"] != "PAUSED":
                assert time.monotonic() < deadline, "the sandbox never saw the pause"
                time.sleep(0.1)
            assert control.conversation(DEMO_ACTIVE)["securePause"] is True
            panel.scroll_into_view_if_needed()
            page.screenshot(path=str(OUTPUT_DIR / "control_panel.png"))

            table = nb.locator(".recops-state-table")
            table.scroll_into_view_if_needed()
            expect(table.locator("table.dataTable tbody tr").first).to_be_visible()
            page.screenshot(path=str(OUTPUT_DIR / "state_table.png"))
            # by now (well after the lab loaded) the news question would have popped up over the widgets
            assert page.get_by_text(NEWS_PROMPT).count() == 0, "the Jupyter news pop-up is shown"
    assert (OUTPUT_DIR / "control_panel.png").stat().st_size > 10_000


def test_export_from_the_rendered_panel(tmp_path):
    """Notebook 07 run in the lab (its own export: 3 exported, 1 failed). The panel shows that
    as a mostly green bar with one red quarter, and its status line in full. Then, as a user:
    Clear, a click on one row and a click on another (a click adds its row, issue 17 item 16),
    two dry runs (one output left), and Export selected: both recordings land in the per-user
    folder, byte for byte the sandbox's, and the earlier rows stay in the manifest."""
    import hashlib
    import re

    import pandas as pd
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    with sandbox_process("demo", env=_clean_env(tmp_path)) as sb:
        env = _lab_env(tmp_path, sb.url)
        dest = Path(env["HOME"]) / ".local" / "share" / "recops" / "exports"  # the notebook's default
        with _notebook_run_in_lab(tmp_path, env, "07_export.ipynb") as (page, nb):
            panel = nb.locator(".recops-export-panel")
            expect(panel.locator(".recops-banner")).to_contain_text("SANDBOX")
            status = panel.locator(".recops-export-status")
            expect(status).to_contain_text(re.compile(r"^done: 4 row\(s\) into "))  # the notebook's own export
            expect(status).to_contain_text("3 exported, 1 failed")
            # said once, in full (the folder's whole path), wrapped rather than cut to an ellipsis
            assert status.inner_text().count("done") == 1 and str(dest) in status.inner_text()
            assert status.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the status line is cut off"
            # 3 of 4 exported: a green bar with one red quarter, not a red bar
            bar = panel.locator(".recops-outcome-bar")
            expect(bar).to_be_visible()
            whole = bar.bounding_box()["width"]
            green = panel.locator(".recops-outcome-exported").bounding_box()["width"]
            red = panel.locator(".recops-outcome-failed").bounding_box()["width"]
            assert abs(green / whole - 0.75) < 0.02 and abs(red / whole - 0.25) < 0.02, (green, red, whole)
            assert panel.locator(".recops-outcome-exported").evaluate(
                "e => getComputedStyle(e).backgroundColor") == "rgb(76, 175, 80)"
            expect(panel.get_by_text("click rows to select or unselect them")).to_be_visible()
            panel.scroll_into_view_if_needed()
            page.screenshot(path=str(OUTPUT_DIR / "export_panel_outcome.png"))
            before = pd.read_csv(dest / "manifest.csv")  # the folder's manifest after the notebook's export

            # the table: names first, ids to the right, each row on one line
            heads = panel.locator("table.dataTable thead th").all_inner_texts()
            assert [h.strip() for h in heads[:2]] == ["queue_names", "agent_names"], heads
            assert heads.index("conversation_id") > heads.index("conversation_start"), heads
            row = panel.locator("table.dataTable tbody tr").nth(4)
            assert row.locator("td").first.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
            assert row.bounding_box()["height"] < 40, "a row wraps over several lines"

            label = panel.locator(".widget-label", has_text="rows selected")
            panel.locator("button.jupyter-button", has_text="Clear").click()
            expect(label).to_have_text(re.compile(r"^0 of \d+ rows selected$"))
            picked = [panel.locator("table.dataTable tbody tr").nth(i) for i in (4, 5)]
            picked[0].scroll_into_view_if_needed()
            picked[0].click()
            picked[1].click()  # a plain click adds its row (it used to replace the selection)
            for r in picked:
                expect(r).to_have_class(re.compile(r"\bselected\b"))
            expect(label).to_have_text(re.compile(r"^2 of \d+ rows selected$"))
            picked[1].click(modifiers=["Shift"])  # shift-click: a range (here, the row itself: unchanged)
            expect(label).to_have_text(re.compile(r"^2 of \d+ rows selected$"))

            dry = panel.locator("button.jupyter-button", has_text="Dry run")
            for _ in range(2):
                dry.click()
                expect(status).to_contain_text(re.compile(r"^dry run, 2 row\(s\) into "))
                expect(dry).to_be_enabled()
            outputs = panel.locator(".widget-output")
            expect(outputs.locator("table.recops-export-manifest")).to_have_count(1)  # one run's output, not two
            expect(outputs.locator("caption", has_text=re.compile("^dry run, "))).to_have_count(1)

            panel.locator("button.jupyter-button", has_text="Export selected").click()
            expect(status).to_contain_text(re.compile(r"^done: 2 row\(s\) into "))
            expect(outputs.locator("table.recops-export-manifest")).to_have_count(1)
            panel.scroll_into_view_if_needed()
            page.screenshot(path=str(OUTPUT_DIR / "export_panel.png"))
        manifest = pd.read_csv(dest / "manifest.csv")  # cumulative: the earlier rows and the two clicked
        key = ["conversation_id", "recording_id"]
        kept = manifest.merge(before[key], on=key)
        assert len(kept) == len(before), "a row of the earlier export left the folder's manifest"
        added = manifest.merge(before[key], on=key, how="left", indicator=True).query("_merge == 'left_only'")
        assert added["conversation_id"].nunique() == 2 and set(added["status"]) == {"exported"}, added
        for row in added.itertuples():
            data = (dest / row.file).read_bytes()
            assert hashlib.sha256(data).hexdigest() == row.sha256
            with urllib.request.urlopen(f"{sb.url}/_sandbox/media/{row.conversation_id}/{row.recording_id}.wav") as a:
                assert a.read() == data
    assert (OUTPUT_DIR / "export_panel.png").stat().st_size > 10_000
