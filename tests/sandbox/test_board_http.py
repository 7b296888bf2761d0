"""The trainer board over HTTP on a real room: admin only, the JSON reflecting what a seat did
through recops (the SDK) and nothing of another seat, the CSV export, a seat reset from the
board's endpoint, the page without the token in it."""

from __future__ import annotations

import csv
import io
import json

import pytest
import urllib3

import recops
from recops.sandbox import SandboxServer
from recops.sandbox.control_client import SandboxClient
from recops.sandbox.room import Room
from recops.sandbox.room.board_page import board_page

from .board_helpers import BEN, EX2, EX5

TOKEN = "board-test-admin-token"


@pytest.fixture
def room():
    r = Room(3, admin_token=TOKEN)
    with SandboxServer(room=r) as server:
        yield server, r


def seat_session(url: str, r: Room, n: int, tmp_path) -> recops.Session:
    card = r.seat(n).card(r.id, url)
    return recops.connect(sandbox_url=url, client_id=card["clientId"], client_secret=card["clientSecret"],
                          journal=tmp_path / f"journal-{n}.sqlite")


def get(url: str, path: str, token: str | None = TOKEN, **headers: str) -> urllib3.BaseHTTPResponse:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return urllib3.request("GET", url + path, headers=headers, retries=False)


def board(url: str) -> dict:
    r = get(url, "/_room/board")
    assert r.status == 200, r.data
    return r.json()


def row(data: dict, seat: int) -> dict:
    return next(s for s in data["seats"] if s["seat"] == seat)


@pytest.mark.parametrize("path", ["/_room/board", "/_room/results.csv"])
def test_board_endpoints_need_the_admin_token(room, path):
    server, r = room
    for token in (None, "wrong-token"):
        reply = get(server.url, path, token)
        assert reply.status == 401, reply.data
        body = reply.json()
        assert body["code"] == "sandbox.unauthorized"
        assert TOKEN not in reply.data.decode()
    card = r.seat(1).card(r.id, server.url)
    seat = urllib3.request("GET", server.url + path, retries=False,
                           headers=urllib3.make_headers(basic_auth=f"{card['clientId']}:{card['clientSecret']}"))
    assert seat.status == 403 and seat.json()["code"] == "sandbox.forbidden"  # a seat is no trainer


def test_the_page_needs_the_token_and_never_holds_it(room):
    server, _ = room
    anonymous = get(server.url, "/_room/board.html", None)
    assert anonymous.status == 401
    assert anonymous.headers["Content-Type"].startswith("text/html")
    page = anonymous.data.decode()
    assert page == board_page() and "Admin token" in page
    for ok in (get(server.url, "/_room/board.html"), get(server.url, f"/_room/board.html?token={TOKEN}", None)):
        assert ok.status == 200 and TOKEN not in ok.data.decode()
    assert get(server.url, "/_room/board.html?token=nope", None).status == 401
    assert "http://" not in page.replace(" http://www.w3.org", "") and "https://" not in page  # no CDN


def test_the_board_reflects_what_each_seat_did(room, tmp_path):
    server, r = room
    one = seat_session(server.url, r, 1, tmp_path)
    one.pause(EX2)
    ben = next(p for p in one.status(EX5).participants if p.purpose == "agent")
    with pytest.raises(recops.ApiError):
        one.stop(EX5, ben.id)  # client credentials: the error of exercise 5
    two = seat_session(server.url, r, 2, tmp_path)
    two.pause(EX2)
    two.resume(EX2)
    token = SandboxClient(server.url, admin_token=TOKEN).user_token(BEN, org="seat-02")
    two.with_token(token).stop(EX5, ben.id)

    data = board(server.url)
    s1, s2, s3 = row(data, 1), row(data, 2), row(data, 3)
    assert (s1["exercises"]["ex2"], s1["exercises"]["ex4"], s1["exercises"]["ex5a"], s1["exercises"]["ex5b"]) == \
        ("passed", "not-started", "passed", "not-started")
    assert s1["lastError"]["code"] == "missing.any.permissions"
    assert s1["lastErrorExpected"] and not s1["stuck"]  # the error exercise 5 asks for: not stuck
    assert (s2["exercises"]["ex2"], s2["exercises"]["ex4"], s2["exercises"]["ex5a"], s2["exercises"]["ex5b"]) == \
        ("passed", "passed", "not-started", "passed")
    assert s2["lastError"] is None
    assert set(s3["exercises"].values()) == {"not-started"} and s3["requests"] == 0

    # the room's seat reset (the board's Reset button) brings seat 2 back, seat 1 keeps its row
    reset = urllib3.request("POST", server.url + "/_room/seats/2/reset", retries=False,
                            headers={"Authorization": f"Bearer {TOKEN}"})
    assert reset.status == 200, reset.data
    after = board(server.url)
    assert set(row(after, 2)["exercises"].values()) == {"not-started"}
    assert row(after, 1)["exercises"] == s1["exercises"]
    assert two.status(EX2).recording_state == "ACTIVE" and one.status(EX2).recording_state == "PAUSED"


def test_results_csv(room, tmp_path):
    server, r = room
    seat_session(server.url, r, 3, tmp_path).pause(EX2)
    reply = get(server.url, "/_room/results.csv")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in reply.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.data.decode())))
    assert len(rows) == 3 * len(board(server.url)["exercises"])
    by = {(r_["seat"], r_["exercise"]): r_["status"] for r_ in rows}
    assert by[("3", "ex2")] == "passed" and by[("1", "ex2")] == "not-started"


def test_the_token_never_reaches_the_request_log(room, tmp_path):
    server, r = room
    get(server.url, f"/_room/board.html?token={TOKEN}", None)
    board(server.url)
    seat_session(server.url, r, 1, tmp_path).pause(EX2)
    log = SandboxClient(server.url, admin_token=TOKEN).call("GET", "requests")
    assert log and TOKEN not in json.dumps(log)


def test_a_sandbox_that_is_no_room_has_no_board():
    with SandboxServer() as server:  # the demo sandbox, open control plane, no seats
        for path in ("/_room/board", "/_room/results.csv", "/_room/board.html"):
            reply = get(server.url, path, None)
            assert reply.status == 404, (path, reply.data)
            assert reply.json()["code"] == "sandbox.not.found"
            assert "recops room serve" in reply.json()["message"]
