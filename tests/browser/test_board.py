"""The trainer board in a real browser: a room served by the test, its board.html opened in
Debian's chromium (Playwright, loopback only). The page takes ``?token=`` once and drops it from
the address bar; a seat turns ``passed`` after the test pauses a conversation as that seat (the
page refreshes every 2 s); Reset on a seat's row resets that seat's org in the sandbox."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import recops
from recops.sandbox import SandboxServer
from recops.sandbox.room import Room

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = Path(os.environ.get("RECOPS_TEST_OUTPUT", ROOT / "test-output"))
EX2 = "c0a80001-0000-4000-8000-000000000001"
TOKEN = "browser-board-admin-token"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (apt-get install chromium)")


def _seat(server: SandboxServer, room: Room, n: int, tmp_path: Path) -> recops.Session:
    card = room.seat(n).card(room.id, server.url)
    return recops.connect(sandbox_url=server.url, client_id=card["clientId"], client_secret=card["clientSecret"],
                          journal=tmp_path / f"journal-{n}.sqlite")


def test_board_page_follows_the_seats_and_resets_one(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)
    room = Room(2, admin_token=TOKEN)
    home = tmp_path / "home"
    home.mkdir()
    with SandboxServer(room=room) as server, sync_playwright() as p:
        base = server.url
        browser = p.chromium.launch(executable_path=CHROMIUM, env={**os.environ, "HOME": str(home)},
                                    args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        outside: list[str] = []

        def only_loopback(route) -> None:
            if route.request.url.startswith(base):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        ctx.route("**/*", only_loopback)
        page = ctx.new_page()
        page.goto(f"{base}/_room/board.html?token={TOKEN}")
        seat1_ex2 = page.locator('tr[data-seat="1"] td[data-exercise="ex2"]')
        seat2_ex2 = page.locator('tr[data-seat="2"] td[data-exercise="ex2"]')
        expect(seat1_ex2).to_have_text("not-started")
        assert TOKEN not in page.url and "token=" not in page.url  # dropped from the address bar
        assert TOKEN not in page.content()

        one, two = _seat(server, room, 1, tmp_path), _seat(server, room, 2, tmp_path)
        one.pause(EX2)
        expect(seat1_ex2).to_have_text("passed")  # the next refresh shows it
        expect(seat1_ex2).to_have_class("passed")
        expect(seat2_ex2).to_have_text("not-started")

        two.pause(EX2)
        expect(seat2_ex2).to_have_text("passed")
        page.reload()  # the token is kept in sessionStorage for the tab
        expect(seat2_ex2).to_have_text("passed")
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT_DIR / "trainer-board.png"), full_page=True)

        page.locator('button[data-reset="2"]').click()
        expect(page.locator("#status")).to_have_text("seat 2 reset")
        expect(seat2_ex2).to_have_text("not-started")
        expect(seat1_ex2).to_have_text("passed")
        assert two.status(EX2).recording_state == "ACTIVE"  # the sandbox reset seat 2's org
        assert one.status(EX2).recording_state == "PAUSED"  # and left seat 1 alone
        assert outside == []
        browser.close()
