"""App mode end to end: `recops lab --app` (the real command) serving notebooks/apps with Voilà,
against a training room served by `recops room serve` (the real command, three seats), driven
in Debian's chromium by Playwright. The trainee pastes their seat card, clicks Pause in the
control-panel app and sees PAUSED; the room's control plane (the trainer's admin token) confirms
that this seat's call, and nothing else in any seat, changed. No code is visible. In the
walkthrough app, a self-check says NOT YET, then PASSED once the exercise is done."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from recops.sandbox import SandboxClient
from recops.sandbox.process import ServedProcess

from ..ports import CHROMIUM, free_port, needs_chromium

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = Path(os.environ.get("RECOPS_TEST_OUTPUT", ROOT / "test-output"))
DEMO_ACTIVE = "c0a80001-0000-4000-8000-000000000001"
# a code cell's input (markdown cells render inside an input area too: that is text, not code)
CODE_SELECTORS = (".jp-CodeCell .jp-InputArea, .jp-CodeMirrorEditor, .cm-editor, .CodeMirror, "
                  ".jp-CodeCell .jp-InputPrompt")

pytestmark = needs_chromium


def _env(base: Path, sandbox_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PATH" and not k.startswith(("GENESYS", "RECOPS_"))}
    for var, sub in [("HOME", "home"), ("JUPYTER_CONFIG_DIR", "cfg"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "run"), ("IPYTHONDIR", "ipy")]:
        (base / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(base / sub)
    return env | {"JUPYTER_PLATFORM_DIRS": "1", "RECOPS_SANDBOX_URL": sandbox_url,
                  "RECOPS_JOURNAL": str(base / "journal.sqlite")}


ROOM_LISTENING = re.compile(r"recops room listening on (http://127\.0\.0\.1:\d+)  \(room (room-[0-9a-f]{8}), 3 seats\)")
SEATS = ("seat-01", "seat-02", "seat-03")


def _snapshot(control: SandboxClient) -> dict[tuple[str, str], dict]:
    """Every conversation of every seat, as the trainer sees it."""
    return {(org, c["id"]): control.conversation(c["id"], org=org)
            for org in SEATS for c in control.conversations(org=org)}


def _assert_no_code(page, source: str) -> None:
    shown = page.locator(CODE_SELECTORS).evaluate_all("es => es.map(e => e.outerHTML.slice(0, 200))")
    assert shown == [], f"code is visible in the app: {shown}"
    assert source not in page.locator("body").inner_text(), "the app's code shows as text"


def test_the_control_panel_and_walkthrough_apps_in_voila(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)
    sandbox_home = tmp_path / "sandbox-home"
    sandbox_home.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    cards = tmp_path / "cards"
    room = ServedProcess([sys.executable, "-m", "recops.cli", "room", "serve", "--seats", "3", "--port", "0",
                          "--cards", str(cards)], url_pattern=None,
                         env=clean | {"HOME": str(sandbox_home), "PYTHONUNBUFFERED": "1"}, start_timeout=60).start()
    try:
        match = ROOM_LISTENING.search(room.wait_for(ROOM_LISTENING, 60))
        assert match, room.output()
        room_url = match.group(1)
        control = SandboxClient(room_url, admin_token=(cards / "admin-token").read_text().strip())
        env = _env(tmp_path, room_url)
        port = free_port()
        app = ServedProcess([sys.executable, "-m", "recops.cli", "lab", "--app", "--no-browser", f"--port={port}"],
                            url_pattern=rf"(http://127\.0\.0\.1:{port})/", env=env, cwd=ROOT,
                            start_timeout=90).start()
        base = f"http://127.0.0.1:{port}"
        try:
            before = _snapshot(control)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, env=env,
                                            args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
                ctx = browser.new_context(viewport={"width": 1300, "height": 1100})
                ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
                page = ctx.new_page()
                page.goto(f"{base}/", timeout=60_000)  # the apps' listing
                expect(page.get_by_text("control_panel.ipynb")).to_be_visible()
                expect(page.get_by_text("walkthrough.ipynb")).to_be_visible()

                # the control panel app: seat 2's card pasted, then Pause
                page.goto(f"{base}/voila/render/control_panel.ipynb", timeout=120_000)
                status = page.locator(".recops-seat-status")
                expect(status).to_contain_text("training room", timeout=120_000)
                _use_card(page, cards / "seat-02.json")
                expect(status).to_contain_text("seat 2 of room")
                panel = page.locator(".recops-control-panel").first
                state = panel.locator(".recops-state")
                expect(state).to_have_text("ACTIVE")
                expect(panel.locator(".recops-banner")).to_contain_text("SANDBOX")
                _assert_no_code(page, "control_panel_app")
                panel.locator("button.jupyter-button", has_text="Pause").click()
                expect(state).to_have_text("PAUSED")
                expect(panel.locator("button.jupyter-button", has_text="Resume")).to_be_enabled()
                deadline = time.monotonic() + 15
                while control.conversation(DEMO_ACTIVE, org="seat-02")["recordingState"] != "PAUSED":
                    assert time.monotonic() < deadline, "the room never saw the pause"
                    time.sleep(0.1)
                after = _snapshot(control)
                assert after["seat-02", DEMO_ACTIVE]["securePause"] is True
                changed = sorted(key for key in before if before[key] != after[key])
                assert changed == [("seat-02", DEMO_ACTIVE)], f"more than seat 2's paused call changed: {changed}"
                OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(OUTPUT_DIR / "voila_control_panel.png"), full_page=True)

                # the walkthrough app on seat 3: a self-check says NOT YET, then PASSED
                page.goto(f"{base}/voila/render/walkthrough.ipynb", timeout=120_000)
                expect(page.locator(".recops-seat-status")).to_contain_text("training room", timeout=120_000)
                _use_card(page, cards / "seat-03.json")
                expect(page.locator(".recops-seat-status")).to_contain_text("seat 3 of room")
                ex1 = page.locator(".recops-exercise").first
                ex1.locator("button.jupyter-button", has_text="Check").click()
                expect(ex1.locator(".recops-exercise-verdict")).to_contain_text("NOT YET")
                ex1.locator("select").select_option("PAUSED")
                ex1.locator("button.jupyter-button", has_text="Check").click()
                expect(ex1.locator(".recops-exercise-verdict")).to_contain_text("PASSED")
                _assert_no_code(page, "walkthrough_app")
                page.screenshot(path=str(OUTPUT_DIR / "voila_walkthrough.png"), full_page=True)
                browser.close()
        finally:
            (tmp_path / "voila.log").write_text(app.output())
            app.stop(timeout=15)
    finally:
        (tmp_path / "room.log").write_text(room.output())
        room.stop(timeout=15)
    assert (OUTPUT_DIR / "voila_control_panel.png").stat().st_size > 10_000


def _use_card(page, card: Path) -> None:
    """Paste the seat card into the picker, as a trainee does, and use it."""
    from playwright.sync_api import expect

    box = page.locator(".recops-seat-picker textarea")
    expect(box).to_be_visible()
    box.fill(card.read_text())
    page.locator(".recops-seat-picker button.jupyter-button", has_text="Use this card").click()


def test_recops_lab_app_names_the_missing_apps_folder(tmp_path):
    nb = tmp_path / "notebooks"
    nb.mkdir()
    out = subprocess.run([sys.executable, "-m", "recops.cli", "lab", "--app", "--no-browser",
                          f"--notebooks={nb}"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "RECOPS_SANDBOX_URL": "http://127.0.0.1:9", "HOME": str(tmp_path)})
    assert out.returncode != 0 and "no apps folder" in out.stderr, out.stderr
