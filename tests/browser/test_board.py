"""The trainer board in a real browser: a room served by the test, its board.html opened in
Debian's chromium (Playwright, loopback only). The page takes ``?token=`` once and drops it from
the address bar; a seat turns ``passed`` after the test pauses a conversation as that seat (pushed
by the board's stream); an error puts the seat first with its explanation; the CSV export
downloads; Reset on a seat's row resets that seat's org in the sandbox. The push itself: the page
never polls while its stream is live, says "reconnecting…" and polls while it cannot have one,
and catches up and goes live again once it can; a refused token is asked for again."""

from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import urllib3

import recops
from recops.genesys.explain import explain
from recops.sandbox import SandboxServer
from recops.sandbox.control_client import SandboxClient
from recops.sandbox.room import Room

from ..output import OUTPUT_DIR
from ..ports import needs_chromium
from .apps import launch_chromium

ROOT = Path(__file__).resolve().parents[2]
EX2 = "c0a80001-0000-4000-8000-000000000001"
EX5 = "c0a80001-0000-4000-8000-000000000004"
TOKEN = "browser-board-admin-token"

pytestmark = needs_chromium


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
        browser = launch_chromium(p, {**os.environ, "HOME": str(home)})
        ctx = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
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
        expect(seat1_ex2).to_have_text("passed")  # pushed by the board's stream
        expect(seat1_ex2).to_have_class("passed")
        expect(seat2_ex2).to_have_text("not-started")

        ben = next(p_ for p_ in one.status(EX5).participants if p_.purpose == "agent")
        with pytest.raises(recops.ApiError):
            one.stop(EX5, ben.id)  # client credentials: the error exercise 5 asks for, nobody is stuck
        expect(page.locator('tr[data-seat="1"] td[data-exercise="ex5a"]')).to_have_text("passed")
        expect(page.locator("#stuck")).to_have_text("nobody is stuck")
        card = room.seat(1).card(room.id, server.url)
        readonly = recops.connect(sandbox_url=server.url, client_id=card["readonlyClientId"],
                                  client_secret=card["readonlyClientSecret"], journal=tmp_path / "ro.sqlite")
        with pytest.raises(recops.ApiError):
            readonly.resume(EX2)  # no pauseOthers: a real error
        expect(page.locator("#stuck")).to_have_text("stuck: seat 1")
        expect(page.locator("tbody tr").first).to_have_attribute("data-seat", "1")  # stuck seats first
        error = page.locator('tr[data-seat="1"] .error')
        expect(error).to_contain_text("403 missing.any.permissions PUT")
        expect(error).to_contain_text(explain("403 missing.any.permissions").remedy)

        with page.expect_download() as download:
            page.locator("#csv").click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        by = {(r["seat"], r["exercise"]): r for r in rows}
        assert by[("1", "ex2")]["status"] == "passed" and by[("2", "ex2")]["status"] == "not-started"
        assert by[("1", "ex5a")]["status"] == "passed"
        assert by[("1", "ex5a")]["last_error_code"] == "missing.any.permissions"

        two.pause(EX2)
        expect(seat2_ex2).to_have_text("passed")
        page.reload()  # the token is kept in sessionStorage for the tab
        expect(seat2_ex2).to_have_text("passed")
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT_DIR / "trainer_board.png"), full_page=True)

        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        page.locator('button[data-reset="2"]').click()  # dismissed: nothing happens
        expect(page.locator("#status")).to_have_text("")
        assert asked and "Reset seat 2?" in asked[0]
        assert two.status(EX2).recording_state == "PAUSED"
        page.once("dialog", lambda d: d.accept())
        page.locator('button[data-reset="2"]').click()
        expect(page.locator("#status")).to_have_text("seat 2 reset")
        expect(seat2_ex2).to_have_text("not-started")
        expect(seat1_ex2).to_have_text("passed")
        assert two.status(EX2).recording_state == "ACTIVE"  # the sandbox reset seat 2's org
        assert one.status(EX2).recording_state == "PAUSED"  # and left seat 1 alone
        assert outside == []
        browser.close()


def test_board_page_is_pushed_never_polls_while_live_and_catches_up_after_a_drop(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)
    room = Room(2, admin_token=TOKEN)
    home = tmp_path / "home"
    home.mkdir()
    with SandboxServer(room=room) as server, sync_playwright() as p:
        base = server.url
        control = SandboxClient(base, admin_token=TOKEN)
        browser = launch_chromium(p, {**os.environ, "HOME": str(home)})
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        asked: list[str] = []  # the paths the page asked for, in order
        page = ctx.new_page()
        page.on("request", lambda req: asked.append(urlparse(req.url).path))
        polls = lambda: asked.count("/_room/board")  # noqa: E731
        streams = lambda: asked.count("/_room/board/stream")  # noqa: E731

        page.goto(f"{base}/_room/board.html?token={TOKEN}")
        live = page.locator("#live")
        seat1 = {ex: page.locator(f'tr[data-seat="1"] td[data-exercise="{ex}"]') for ex in ("ex2", "ex4")}
        seat2_ex2 = page.locator('tr[data-seat="2"] td[data-exercise="ex2"]')
        expect(live).to_have_text("live")
        expect(seat1["ex2"]).to_have_text("not-started")

        # a trainee's pause (the SDK, as seat 1) reaches the board by push, well before a 2 s poll would
        one = _seat(server, room, 1, tmp_path)
        one.pause(EX2)
        paused = time.monotonic()
        expect(seat1["ex2"]).to_have_text("passed", timeout=3_000)
        pushed_in = time.monotonic() - paused
        time.sleep(2.5)  # longer than the old poll's interval: still no poll
        assert polls() == 0 and streams() == 1, asked  # the first board came by the stream too
        print(f"pause -> board cell in the browser: {pushed_in * 1000:.0f} ms")

        # the stream dropped while no new one can be had: the page says so, polls, and follows the seats
        control.settings(boardStreamMaxStreams=0)
        ended = urllib3.request("DELETE", f"{base}/_room/board/stream", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ended.status == 200 and ended.json() == {"closed": 1}
        expect(live).to_contain_text("reconnecting…")
        expect(live).to_contain_text("polling every 2 s")
        two = _seat(server, room, 2, tmp_path)
        two.pause(EX2)
        expect(seat2_ex2).to_have_text("passed")  # caught up by the poll
        assert polls() >= 1 and streams() >= 2  # it polled, and tried the stream again (refused: 429)

        # the stream can be had again: the page reconnects (backoff), goes live and stops polling
        control.settings(boardStreamMaxStreams=8)
        expect(live).to_have_text("live", timeout=30_000)
        time.sleep(0.5)  # a poll already in flight may land
        polled = polls()
        one.resume(EX2)
        expect(seat1["ex4"]).to_have_text("passed", timeout=3_000)
        time.sleep(2.5)
        assert polls() == polled, asked[-10:]  # pushed again, no more polling
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT_DIR / "trainer_board_live.png"), full_page=True)

        # a refused token (the stream's 401) is forgotten and asked for again
        wrong = ctx.new_page()
        wrong.goto(f"{base}/_room/board.html")  # no token: the page asks for it
        expect(wrong.locator("#login")).to_be_visible()
        wrong.locator("#token").fill("not-the-admin-token-at-all")
        wrong.locator("#login-form button").click()
        expect(wrong.locator("#login-message")).to_have_text(
            "the admin token was refused: enter the room's admin token")
        wrong.locator("#token").fill(TOKEN)
        wrong.locator("#login-form button").click()
        expect(wrong.locator("#live")).to_have_text("live")
        expect(wrong.locator('tr[data-seat="2"] td[data-exercise="ex2"]')).to_have_text("passed")
        browser.close()
