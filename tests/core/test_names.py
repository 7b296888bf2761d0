"""Queue and agent names next to their ids: looked up in batches through the real SDK against the
sandbox (``GET /api/v2/routing/queues?id=…``, ``GET /api/v2/users?id=…``), cached per session, and
with ids and a note when the client may not read queues. The truth is the demo scenario's own
file and the sandbox's request log, never a hard-coded name."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from recops.history.names import BATCH, add_names
from recops.history.tables import STATE_COLUMNS

from ..conftest import Demo
from .ops_helpers import clear_log, connect, iso, sandbox_now

SCENARIO = Path(__file__).resolve().parents[2] / "recops" / "sandbox" / "scenarios" / "demo.json"
QUEUES = "/api/v2/routing/queues"
USERS = "/api/v2/users"


def demo_names() -> tuple[dict[str, str], dict[str, str]]:
    org = json.loads(SCENARIO.read_text())["orgs"][0]
    return ({q["queueId"]: q["name"] for q in org.get("queues", [])},
            {u["userId"]: u["name"] for u in org.get("users", [])})


def lookups(sb) -> list[dict]:
    return [r for r in sb.control.requests() if r["method"] == "GET" and r["path"] in (QUEUES, USERS)]


def split(value) -> list[str]:
    return [] if pd.isna(value) else [v.strip() for v in str(value).split(",")]


@pytest.fixture
def names():
    queues, users = demo_names()
    assert queues and users, "the demo scenario names its queues and agents"
    return queues, users


def test_states_and_interval_tables_have_names_next_to_ids(sb, tmp_path, names):
    queues, users = names
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    clear_log(sb)
    frame = rc.states([Demo.ACTIVE, Demo.PAUSED, Demo.UNRECORDED, Demo.ENDED])
    assert {c: str(t) for c, t in frame.dtypes.items()} == STATE_COLUMNS
    cols = list(frame.columns)
    assert cols.index("queue_names") == cols.index("queue_ids") + 1
    assert cols.index("agent_names") == cols.index("user_ids") + 1
    for r in frame.to_dict("records"):
        truth = sb.control.conversation(r["conversation_id"])
        assert split(r["queue_ids"]) == ([truth["queueId"]] if truth["queueId"] else [])
        assert split(r["user_ids"]) == [p["userId"] for p in truth["participants"] if p["userId"]]
        assert [n for n in (r["queue_names"] or "").split(", ") if n] == [queues[q] for q in split(r["queue_ids"])]
        assert [n for n in (r["agent_names"] or "").split(", ") if n] == [users[u] for u in split(r["user_ids"])]
    assert "notes" not in frame.attrs
    # one batched request per kind for the whole table, not one per row
    assert [r["path"] for r in lookups(sb)] in ([QUEUES, USERS], [USERS, QUEUES])

    now = sandbox_now(sb)
    table = rc.interval(f"{iso(now - timedelta(hours=1))}/{iso(now + timedelta(minutes=1))}")
    named = table.dropna(subset=["queue_ids"])
    assert len(named)
    for r in named.to_dict("records"):
        assert r["queue_names"].split(", ") == [queues.get(q, q) for q in split(r["queue_ids"])]


def test_a_second_table_costs_no_lookup(sb, tmp_path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    first = rc.states([Demo.ACTIVE, Demo.PAUSED, Demo.ENDED])
    sent = rc.names.requests
    clear_log(sb)
    second = rc.states([Demo.ENDED, Demo.PAUSED])
    assert lookups(sb) == [] and rc.names.requests == sent
    assert second.set_index("conversation_id")["agent_names"].to_dict() == \
        first.set_index("conversation_id").loc[second["conversation_id"], "agent_names"].to_dict()


def test_without_queue_permission_the_table_comes_back_with_ids_and_a_note(sb, tmp_path, names):
    _, users = names
    rc = connect(sb, Demo.READONLY, tmp_path / "j.sqlite")
    clear_log(sb)
    frame = rc.states([Demo.ACTIVE, Demo.PAUSED])
    refused = [r for r in lookups(sb) if r["path"] == QUEUES]
    assert [r["status"] for r in refused] == [403]
    assert frame["error"].isna().all()
    for r in frame.to_dict("records"):
        assert r["queue_names"] == r["queue_ids"]  # the id, in place of the name
        assert r["agent_names"] == ", ".join(users[u] for u in split(r["user_ids"]))  # users need no permission
    notes = frame.attrs["notes"]
    assert len(notes) == 1 and "routing:queue:view" in notes[0]
    clear_log(sb)
    again = rc.states([Demo.ACTIVE])
    assert [r for r in lookups(sb) if r["path"] == QUEUES] == []  # a refusal is not retried
    assert again.attrs["notes"] == notes


def test_more_than_a_hundred_users_are_asked_for_in_batches(sb, tmp_path):
    made = {}
    for i in range(BATCH + 30):
        user = sb.control.call("POST", "users", {"name": f"Batch Agent {i:03d}"})
        made[user.get("userId") or user["id"]] = f"Batch Agent {i:03d}"
    unknown = "7d1b6a5e-0d53-4c1e-9c61-00000000dead"
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    clear_log(sb)
    frame = pd.DataFrame({"user_ids": [",".join(list(made)[i:i + 3]) for i in range(0, len(made), 3)] + [unknown]})
    add_names(frame, rc)
    sent = lookups(sb)
    assert [r["path"] for r in sent] == [USERS, USERS]  # 130 ids + 1: two requests of at most 100
    assert all(r["status"] == 200 for r in sent)  # over 100 ids would be 400 max.user.ids
    for ids, shown in zip(frame["user_ids"], frame["agent_names"], strict=True):
        assert shown == ", ".join(made.get(i, i) for i in ids.split(","))
    assert frame["agent_names"].iloc[-1] == unknown
    assert any("1 user id(s) have no name" in n for n in frame.attrs["notes"])
    clear_log(sb)
    assert rc.names.users([*made, unknown])[unknown] is None  # all cached, the unknown one too
    assert lookups(sb) == []
