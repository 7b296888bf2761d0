"""The trainer board by push over HTTP (``GET /_room/board/stream``, server-sent events) on a real
room served in-process, read by a plain HTTP client (urllib3) in the test's thread: admin only,
the board first, a new board after a seat's change made through recops (the SDK), keep-alives,
bursts coalesced, the cap on open streams, and no task left once a stream ends (client gone, ended
by the trainer, or the server stopped: embedded, or a real ``recops room serve`` process)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3

from recops.sandbox import SandboxServer
from recops.sandbox.control_client import SandboxClient
from recops.sandbox.process import ServedProcess
from recops.sandbox.room import Room

from .board_helpers import EX1, EX2, seat_basic, seat_session

TOKEN = "board-stream-admin-token"
STREAM = "/_room/board/stream"


class Sse:
    """A server-sent events reader over one urllib3 response."""

    def __init__(self, url: str, token: str | None = TOKEN, **headers: str) -> None:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self.resp = urllib3.request("GET", url + STREAM, headers=headers, preload_content=False, retries=False,
                                    timeout=urllib3.Timeout(connect=5, read=10))
        self.buf = b""

    @property
    def status(self) -> int:
        return self.resp.status

    def next(self, timeout: float = 10.0) -> tuple[str, Any]:
        """("board", its JSON), ("comment", its text) or ("end", None) once the server ends it."""
        deadline = time.monotonic() + timeout
        while b"\n\n" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no event within {timeout} s")
            chunk = self.resp.read1(65536)
            if not chunk:
                return "end", None
            self.buf += chunk
        block, self.buf = self.buf.split(b"\n\n", 1)
        lines = block.decode().split("\n")
        if all(line.startswith(":") for line in lines):
            return "comment", "\n".join(line[1:].strip() for line in lines)
        fields = dict(line.split(": ", 1) for line in lines)
        return fields["event"], json.loads(fields["data"])

    def board_where(self, ok, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            kind, data = self.next(max(0.01, deadline - time.monotonic()))
            if kind == "end":
                raise EOFError("the stream ended")
            if kind == "board" and ok(data):
                return data

    def close(self) -> None:
        self.resp.close()


@pytest.fixture
def room():
    r = Room(2, admin_token=TOKEN)
    with SandboxServer(room=r) as server:
        yield server


def settings(server: SandboxServer, **changes: Any) -> None:
    SandboxClient(server.url, admin_token=TOKEN).settings(**changes)


def status_of(data: dict[str, Any], seat: int, exercise: str) -> str:
    return next(s for s in data["seats"] if s["seat"] == seat)["exercises"][exercise]


def loop_tasks(server: SandboxServer) -> int:
    """The tasks on the server's event loop (this count's own included)."""
    async def count() -> int:
        return len(asyncio.all_tasks())
    loop = server.app.board.hub._loop
    assert loop is not None
    return asyncio.run_coroutine_threadsafe(count(), loop).result(5)


def wait_until(check, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_the_stream_needs_the_admin_token(room):
    for token in (None, "wrong-token-wrong-token-wrong"):
        s = Sse(room.url, token)
        assert s.status == 401
        body = json.loads(s.resp.read())
        assert body["code"] == "sandbox.unauthorized" and TOKEN not in json.dumps(body)
    seat = Sse(room.url, None, **urllib3.make_headers(basic_auth=seat_basic(room, 1)))
    assert seat.status == 403 and json.loads(seat.resp.read())["code"] == "sandbox.forbidden"  # a seat is no trainer
    assert room.app.board.hub.open == 0  # nobody without the token holds a slot
    ok = Sse(room.url)
    assert ok.status == 200 and ok.next()[0] == "board"
    ok.close()


def test_the_board_first_then_a_new_board_after_a_seats_pause(room, tmp_path):
    s = Sse(room.url)
    assert s.status == 200 and s.resp.headers["Content-Type"].startswith("text/event-stream")
    assert s.resp.headers["Cache-Control"] == "no-store" and s.resp.headers["inin-correlation-id"]
    kind, first = s.next()
    assert kind == "board" and status_of(first, 1, "ex2") == "not-started"
    plain = urllib3.request("GET", room.url + "/_room/board", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert first == plain  # the same board as GET /_room/board

    seat = seat_session(room, 1, tmp_path / "j1.sqlite")
    seat.pause(EX2)  # the SDK's PUT recordingstate, as seat 1
    paused_at = time.monotonic()
    data = s.board_where(lambda d: status_of(d, 1, "ex2") == "passed", timeout=5)
    latency = time.monotonic() - paused_at
    assert status_of(data, 2, "ex2") == "not-started"
    assert latency < 2.0, latency
    s.close()


def test_keepalive_comments_and_their_interval_in_a_header(room):
    settings(room, boardStreamKeepaliveSeconds=0.3)
    s = Sse(room.url)
    assert float(s.resp.headers["X-Board-Keepalive-Seconds"]) == 0.3
    assert s.next()[0] == "board"
    started = time.monotonic()
    assert s.next(timeout=3) == ("comment", "keep-alive")
    assert s.next(timeout=3) == ("comment", "keep-alive")
    assert time.monotonic() - started >= 0.5  # one per interval, not a flood
    s.close()


def test_a_burst_of_requests_is_coalesced(room, tmp_path):
    settings(room, boardStreamMinIntervalSeconds=0.5, boardStreamKeepaliveSeconds=0)
    s = Sse(room.url)
    assert s.next()[0] == "board"
    seat = seat_session(room, 1, tmp_path / "j1.sqlite")
    started = time.monotonic()
    for _ in range(30):
        seat.status(EX1)  # each one changes the seat's request count on the board
    elapsed = time.monotonic() - started
    boards = []
    while True:
        try:
            _, data = s.next(timeout=1.5)
        except (TimeoutError, urllib3.exceptions.ReadTimeoutError):
            break
        boards.append(data)
    assert boards and status_of(boards[-1], 1, "ex1") == "passed"
    assert next(r for r in boards[-1]["seats"] if r["seat"] == 1)["requests"] >= 30
    assert len(boards) <= elapsed / 0.5 + 3, (len(boards), elapsed)  # at most one per interval, not 30
    s.close()


def test_the_cap_on_open_streams(room):
    settings(room, boardStreamMaxStreams=2)
    a, b = Sse(room.url), Sse(room.url)
    assert a.next()[0] == "board" and b.next()[0] == "board"
    third = Sse(room.url)
    assert third.status == 429
    body = json.loads(third.resp.read())
    assert body["code"] == "sandbox.too.many.streams" and "boardStreamMaxStreams" in body["message"]
    assert third.resp.headers["Retry-After"]
    a.close()
    assert wait_until(lambda: room.app.board.hub.open == 1)
    again = Sse(room.url)  # a slot given back is taken again
    assert again.status == 200 and again.next()[0] == "board"
    b.close()
    again.close()


def test_no_task_is_left_after_the_client_leaves_or_the_trainer_ends_the_streams(room):
    first = Sse(room.url)
    assert first.next()[0] == "board"
    hub = room.app.board.hub
    first.close()
    assert wait_until(lambda: hub.open == 0 and not hub.running)
    baseline = loop_tasks(room)

    streams = [Sse(room.url) for _ in range(3)]
    for s in streams:
        assert s.next()[0] == "board"
    assert hub.open == 3 and hub.running and loop_tasks(room) > baseline
    ended = urllib3.request("DELETE", room.url + STREAM, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ended.status == 200 and ended.json() == {"closed": 3}
    for s in streams:
        assert s.next()[0] == "end"  # the response ends cleanly (its last chunk)
        s.close()
    assert wait_until(lambda: hub.open == 0 and not hub.running and loop_tasks(room) == baseline)


@pytest.mark.parametrize("headers", [{}, {"Connection": "close"}], ids=["keep-alive", "connection-close"])
def test_a_stopping_server_ends_its_streams(headers):
    r = Room(1, admin_token=TOKEN)
    server = SandboxServer(room=r).start()
    s = Sse(server.url, **headers)
    assert s.next()[0] == "board"
    started = time.monotonic()
    server.stop(timeout=10)
    assert time.monotonic() - started < 3 and not server._thread.is_alive()  # the stream did not hold it
    assert s.next(timeout=2)[0] == "end"
    s.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_room_process_stops_at_once_with_a_board_stream_open(tmp_path, sig):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env.update(HOME=str(tmp_path), PYTHONUNBUFFERED="1")
    cards = tmp_path / "cards"
    recops_cli = Path(sys.executable).parent / "recops"
    served = ServedProcess([str(recops_cli), "room", "serve", "--seats", "1", "--port", "0", "--cards", str(cards)],
                           url_pattern=None, env=env, start_timeout=60).start()
    try:
        line = served.wait_for(re.compile(r"recops room listening on (http://127\.0\.0\.1:\d+)"), 60)
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        s = Sse(url, (cards / "admin-token").read_text().strip())
        assert s.status == 200 and s.next()[0] == "board"
        started = time.monotonic()
        code = served.stop(sig, timeout=10)
        took = time.monotonic() - started
        assert code == 0 and took < 5, (code, took, served.output()[-2000:])  # not held by the open stream
        assert "sandbox stopped" in served.output()
        assert s.next(timeout=2)[0] == "end"
        s.close()
    finally:
        served.stop(signal.SIGKILL, timeout=5)
