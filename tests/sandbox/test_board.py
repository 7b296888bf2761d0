"""The trainer board's exercise predicates, fed by real recops/SDK calls made as a seat of a
two-seat training room; the other seat must stay untouched."""

from __future__ import annotations

import csv
import io

import pytest

import recops
from recops.genesys import intervals
from recops.genesys.explain import explain
from recops.kit import training
from recops.sandbox import SandboxServer
from recops.sandbox.room import Room, board

from .board_helpers import BEN, EX1, EX2, EX5, seat_basic, seat_org, seat_session

SEATS = {1: seat_org(1), 2: seat_org(2)}


@pytest.fixture
def room():
    with SandboxServer(room=Room(2)) as server:
        yield server


def _board(server: SandboxServer) -> dict:
    """The board of the facts the room recorded as the requests were answered."""
    return board.board(server.state, server.app.board.progress, SEATS)


def _row(data: dict, seat: int) -> dict:
    return next(r for r in data["seats"] if r["seat"] == seat)


def _statuses(server: SandboxServer, seat: int) -> dict[str, str]:
    return _row(_board(server), seat)["exercises"]


def test_a_fresh_room_has_every_exercise_not_started(room):
    data = _board(room)
    assert [x["key"] for x in data["exercises"]] == ["ex1", "ex2", "ex3", "ex4", "ex5a", "ex5b", "ex6"]
    for seat in SEATS:
        row = _row(data, seat)
        assert set(row["exercises"].values()) == {"not-started"}
        assert row["lastError"] is None and row["stuck"] is False


def test_the_walkthrough_turns_each_exercise_passed_on_its_own_seat_only(room, tmp_path):
    rc = seat_session(room, 1, tmp_path / "j1.sqlite")
    rc.status(EX1)
    assert _statuses(room, 1)["ex1"] == "passed"
    assert _statuses(room, 1)["ex2"] == "not-started"

    rc.pause(EX2)
    assert training.check_reached(rc, "exercise 2", EX2, "PAUSED", secure_pause=True).passed
    s = _statuses(room, 1)
    assert s["ex2"] == "passed"
    assert s["ex3"] == "not-started"  # the pause and its self-check are not the repeat yet
    assert s["ex4"] == "not-started"  # a pause is not a failed resume

    again = rc.pause(EX2)
    assert again.skipped
    assert _statuses(room, 1)["ex3"] == "passed"

    rc.resume(EX2)
    assert _statuses(room, 1)["ex4"] == "passed"

    ben = next(p for p in rc.status(EX5).participants if p.purpose == "agent")
    with pytest.raises(recops.ApiError):
        rc.stop(EX5, ben.id)  # client credentials: the error exercise 5 asks for
    row = _row(_board(room), 1)
    assert row["exercises"]["ex5a"] == "passed"
    assert row["exercises"]["ex5b"] == "not-started"
    assert row["lastErrorExpected"] and not row["stuck"]  # the error the exercise asks for
    err = row["lastError"]
    assert err["status"] in (400, 403) and err["method"] == "PATCH" and EX5 in err["path"]
    assert err["code"] == "missing.any.permissions"
    assert err["explanation"] == {**err["explanation"], "topic": "missing.any.permissions"}
    assert err["explanation"]["remedy"]

    token = room.control.user_token(BEN, org=seat_org(1))
    rc.with_token(token).stop(EX5, ben.id)
    assert _statuses(room, 1)["ex5b"] == "passed"

    rc.interval(intervals.last(7 * 24), media_type="voice")
    assert set(_statuses(room, 1).values()) == {"passed"}

    other = _row(_board(room), 2)  # the other seat saw none of it
    assert set(other["exercises"].values()) == {"not-started"}
    assert other["lastError"] is None and other["requests"] == 0


def test_an_error_makes_the_seat_stuck_and_explained_and_lists_it_first(room, tmp_path):
    ro = seat_session(room, 2, tmp_path / "j2.sqlite", role="readonly")
    with pytest.raises(recops.ApiError):
        ro.pause(EX2)  # no conversation:recording:pauseOthers
    data = _board(room)
    assert [r["seat"] for r in data["seats"]] == [2, 1]  # stuck first
    row = data["seats"][0]
    assert row["stuck"] and row["exercises"]["ex2"] == "failing"
    assert row["lastError"]["status"] == 403 and row["lastError"]["path"].endswith(f"/{EX2}/recordingstate")
    assert row["lastError"]["code"] == "missing.any.permissions"
    expected = explain("403 missing.any.permissions")
    assert row["lastError"]["explanation"] == {"topic": expected.topic, "meaning": expected.meaning,
                                               "remedy": expected.remedy}
    assert set(_row(data, 1)["exercises"].values()) == {"not-started"}


def test_a_tutorial_call_is_explained_by_the_call(room):
    import urllib3

    http = urllib3.PoolManager()
    tok = http.request("POST", f"{room.url}/oauth/token", fields={"grant_type": "client_credentials"},
                       encode_multipart=False,
                       headers=urllib3.make_headers(basic_auth=seat_basic(room, 1)))
    access = tok.json()["access_token"]
    r = http.request("PUT", f"{room.url}/api/v2/recordings/{EX2}", body=b"{}",
                     headers={"Authorization": f"Bearer {access}", "Content-Type": "application/json"})
    assert r.status == 404
    err = _row(_board(room), 1)["lastError"]
    assert (err["status"], err["code"]) == (404, "not.found")
    assert "tutorial" in err["explanation"]["topic"]


def test_a_reset_org_starts_over(room, tmp_path):
    rc = seat_session(room, 1, tmp_path / "j1.sqlite")
    rc.pause(EX2)
    assert _statuses(room, 1)["ex2"] == "passed"
    room.control.reset()  # the whole room rebuilt (the trainer's reset): every org is new
    assert set(_statuses(room, 1).values()) == {"not-started"}


def test_results_csv_has_a_line_per_seat_and_exercise(room, tmp_path):
    rc = seat_session(room, 2, tmp_path / "j.sqlite")
    rc.pause(EX2)
    ben = next(p for p in rc.status(EX5).participants if p.purpose == "agent")
    with pytest.raises(recops.ApiError):
        rc.stop(EX5, ben.id)
    rows = list(csv.DictReader(io.StringIO(board.results_csv(_board(room)))))
    assert len(rows) == 2 * len(board.EXERCISES)
    by = {(r["seat"], r["exercise"]): r for r in rows}
    assert by[("2", "ex2")]["status"] == "passed"
    assert by[("2", "ex5a")]["status"] == "passed"
    assert by[("2", "ex5a")]["last_error_code"] == "missing.any.permissions"
    assert by[("1", "ex2")]["status"] == "not-started" and by[("1", "ex2")]["last_error_status"] == ""
    assert by[("2", "ex1")]["last_error_time"].endswith("+00:00")


def test_ex6_passes_on_last_weeks_query_only_not_on_the_control_panels_or_pickers(room, tmp_path):
    """Issue 17 item 4: the control panel (``discover.live_conversation``: the last 24 h) and the
    picker (one day by default) make details queries too; only the walkthrough's week counts."""
    from recops.kit import discover
    from recops.kit.widgets.picker import ConversationPicker

    rc = seat_session(room, 1, tmp_path / "j1.sqlite")
    discover.live_conversation(rc)  # what the control panel app queries when it opens
    rc.pause(discover.DEMO_CONVERSATION)  # ... and its Pause button
    ConversationPicker(rc).run_query()  # the picker's Query button, with its default interval
    assert _statuses(room, 1)["ex6"] == "not-started"

    rc.interval(intervals.last(7 * 24), media_type="voice")  # the walkthrough's exercise 6
    assert _statuses(room, 1)["ex6"] == "passed"
    spans = [e["interval"] for e in room.control.requests(path="/api/v2/analytics")]
    assert spans and all(len(s) == 2 and s[0] < s[1] for s in spans)  # the interval only, as epoch seconds
