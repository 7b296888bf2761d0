"""Each seat's progress (recops/sandbox/room/progress.py) on a state of its own: facts belong to
one build of an org, a request made before the build does not count, and the facts of orgs that
no longer exist drop out (memory fixed per org whatever the traffic)."""

from __future__ import annotations

import time
from typing import Any

from recops.sandbox.app import SandboxApp
from recops.sandbox.http import pipeline as pl
from recops.sandbox.model.state import SandboxState
from recops.sandbox.room import Room
from recops.sandbox.room.progress import EX1, SeatProgress


def read_ex1(org: str, when: float, status: int = 200) -> dict[str, Any]:
    return {"time": when, "method": "GET", "path": f"/api/v2/conversations/{EX1}", "org": org, "status": status,
            "contextId": "c", "tokenKind": "client"}


def test_a_rebuilt_org_starts_empty_and_earlier_requests_do_not_count():
    state = SandboxState()
    progress = SeatProgress(state)
    old = state.org("seat-01")
    progress.record(read_ex1("seat-01", old.created))
    progress.record(read_ex1("seat-01", old.created, 404))
    facts = progress.facts(old)
    assert (facts.requests, facts.read_ex1_ok, facts.last_error is not None) == (2, True, True)

    state.drop_org("seat-01")  # a seat reset: a new OrgState under the same name
    new = state.org("seat-01")
    new.created = old.created  # even with the same time, the new build is another org
    assert progress.facts(new).requests == 0
    new.created = old.created + 10
    progress.record(read_ex1("seat-01", new.created - 1))  # made before the rebuild
    assert progress.facts(new).requests == 0
    progress.record(read_ex1("seat-01", new.created))
    assert progress.facts(new).requests == 1 and progress.facts(new).last_error is None
    assert progress.facts(old).requests == 0  # the old build's facts are gone


def test_facts_are_a_copy_and_an_unknown_org_is_never_recorded():
    state = SandboxState()
    progress = SeatProgress(state)
    org = state.org("seat-01")
    progress.record(read_ex1("seat-01", time.time()))
    progress.facts(org).requests = 99
    assert progress.facts(org).requests == 1
    progress.record(read_ex1("seat-77", time.time()))  # no such org
    assert len(progress) == 1


def test_orgs_that_no_longer_exist_drop_out():
    state = SandboxState()
    progress = SeatProgress(state)
    for n in range(200):
        name = f"org-{n}"
        org = state.org(name)
        progress.record(read_ex1(name, org.created))
        state.drop_org(name)
        assert len(progress) <= 2
    state.org("last")
    progress.record(read_ex1("last", time.time()))
    assert len(progress) == 1


def test_a_room_records_progress_right_after_the_request_log_and_a_plain_sandbox_does_not():
    room = SandboxApp(room=Room(1))
    assert [type(s) for s in room.pipeline.final] == [pl.RequestLog, SeatProgress, pl.ErrorMapping, pl.DownloadLog]
    assert room.pipeline.final[1] is room.board.progress
    plain = SandboxApp()
    assert [type(s) for s in plain.pipeline.final] == [pl.RequestLog, pl.ErrorMapping, pl.DownloadLog]
