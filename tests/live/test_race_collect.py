"""The notebooks' live helpers (issue 20, notebooks 03 and 04) against the real sandbox over
loopback, through the real SDK and the real websockets client: ``recops.ops.race.pause_race``
(two identities write opposite states to one call at the same moment) and
``recops.live.collect`` (bounded collection of a watch into a frame)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import recops
from recops.live.collect import COLUMNS, Collector, collect
from recops.ops.race import pause_race

from ..conftest import Demo
from ..core.ops_helpers import connect

WRITE = f"/api/v2/conversations/calls/{Demo.ACTIVE}/recordingstate"


def test_a_pause_race_each_answer_says_it_won_and_the_stream_tells_the_order(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    sam = rc.as_sandbox_user(Demo.SAM)  # a second supervisor: a user who may pause others
    with rc.watch(conversations=[Demo.ACTIVE]) as w:
        race = pause_race([rc, sam], Demo.ACTIVE, rounds=4)
        seen = collect(w, idle=2.0, timeout=30)
    answers = race.frame()
    assert len(answers) == 8 and set(answers["http_status"]) == {200}
    assert (answers["answer"] == answers["sent"]).all(), answers  # every write "won"
    assert set(answers["who"]) == {"client:sandbox-supervisor", f"user:{Demo.SAM} (Sam Supervisor)"}
    sent = dict(zip(answers["context_id"], answers["sent"], strict=True))
    applied = [e for e in sb.control.requests() if e.get("contextId") in sent]  # in the order applied
    assert len(applied) == 8 and {e["path"] for e in applied} == {WRITE}
    state, expected = "ACTIVE", []
    for e in applied:
        if sent[e["contextId"]] != state:
            expected.append((state, sent[e["contextId"]]))
            state = sent[e["contextId"]]
    agent = seen[seen["participant_id"] == Demo.ACTIVE_AGENT]
    assert list(zip(agent["old"], agent["new"], strict=True)) == expected, (seen, applied)
    assert list(agent["secure_pause"]) == [new == "PAUSED" for _, new in expected]
    assert not seen["recovered"].any() and list(seen.columns) == COLUMNS
    assert race.final == state and race.final_secure_pause == (state == "PAUSED")
    assert "8 writes in 4 rounds: 8 answered 2xx, 8 of them with the very state they asked for" in race.summary()
    journal = rc.journal.to_frame()
    raced = journal[journal["endpoint"] == f"PUT {WRITE}"]
    assert len(raced) == 8 and set(raced["status"]) == {"applied"}  # journaled: intent, then outcome


def test_a_race_on_an_ended_call_is_refused_before_anything_is_sent(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    with pytest.raises(recops.InvalidTransition, match="has ended"):
        pause_race([rc, rc.as_sandbox_user(Demo.SAM)], Demo.ENDED)
    assert not [e for e in sb.control.requests() if e["method"] == "PUT"]
    with pytest.raises(ValueError, match="one state for each"):
        pause_race([rc], Demo.ACTIVE)


def test_collecting_ends_by_itself_with_the_count_or_the_time(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    seen = Collector()
    w = rc.watch(queues=["Sales"], callback=seen)
    try:
        t0 = time.monotonic()
        assert seen.wait(count=1, timeout=0.5) == 0 and 0.4 < time.monotonic() - t0 < 3  # nothing changed
        rc.pause(Demo.ACTIVE)
        rc.resume(Demo.ACTIVE)
        assert seen.wait(count=4, timeout=20) == 4
    finally:
        w.close()
    frame = seen.frame()
    agent = frame[frame["participant_id"] == Demo.ACTIVE_AGENT]
    assert list(agent["change"]) == ["(first seen) → PAUSED", "PAUSED → ACTIVE"], frame
    with rc.watch(queues=["Sales"]) as w:  # the iterating form: nothing comes, the time ends it
        t0 = time.monotonic()
        assert collect(w, count=1, timeout=0.5).empty and time.monotonic() - t0 < 3
