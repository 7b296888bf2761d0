"""The journal: intent and outcome of every change, in SQLite, with target, principal (never a
secret), contextId and times; skipped rows; export; and the in-doubt path with a real
``kill -9`` between the intent and the outcome, settled by ``reconcile()``."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
from datetime import datetime, timezone

import pandas as pd
import pytest
from typer.testing import CliRunner

import recops
from recops import ConnectionFailed, Journal, PermissionDenied, ServerError
from recops.cli.commands import app
from recops.ops.journal import COLUMNS, FRAME_DTYPES

from ..conftest import Demo
from .ops_helpers import (
    between,
    clear_log,
    cli_env,
    connect,
    context_ids,
    parse_iso,
    spawn_cli,
    summary,
    wait_for,
    writes,
)

PUT = "/api/v2/conversations/calls/{}/recordingstate"


@pytest.fixture
def journal_path(tmp_path):
    return tmp_path / "j.sqlite"


def journal_bytes(path) -> bytes:
    """Everything SQLite keeps on disk for the journal: the database, its WAL and shm files."""
    return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))


# --- rows -----------------------------------------------------------------------------------------


def test_an_applied_change_has_its_intent_and_outcome(sb, journal_path):
    rc = connect(sb, Demo.SUPERVISOR, journal_path)
    before = datetime.now(timezone.utc)
    out = rc.pause(Demo.ACTIVE)
    after = datetime.now(timezone.utc)
    [row] = rc.journal.entries()
    assert row.id == out.journal_id and not row.in_doubt
    assert row.target == f"SANDBOX at {sb.url}"
    assert row.principal == f"client:{Demo.SUPERVISOR[0]}"
    assert (row.action, row.conversation_id, row.participant_id) == ("pause", Demo.ACTIVE, None)
    assert row.endpoint == f"PUT {PUT.format(Demo.ACTIVE)}"
    assert json.loads(row.request) == {"recordingState": "PAUSED"}
    assert (row.before_state, row.desired_state, row.after_state) == ("ACTIVE", "PAUSED", "PAUSED")
    assert (row.status, row.http_status, row.error_code) == ("applied", 200, None)
    assert row.context_id == out.context_id
    assert row.context_id in context_ids(sb, "PUT", PUT.format(Demo.ACTIVE))
    started, finished = parse_iso(row.started_at), parse_iso(row.finished_at)
    assert started <= finished and between(started, before, after) and between(finished, before, after)
    assert (row.pid, row.host) == (os.getpid(), socket.gethostname())
    assert rc.journal.get(row.id) == row


def test_an_adhoc_change_names_its_participant(sb, journal_path):
    rc = connect(sb, Demo.SUPERVISOR, journal_path).as_sandbox_user(Demo.BEN)
    rc.stop(Demo.ADHOC, Demo.ADHOC_AGENT)
    [row] = rc.journal.entries()
    assert (row.action, row.participant_id, row.principal) == ("stop", Demo.ADHOC_AGENT, f"user:{Demo.BEN} (Ben Agent)")
    assert (row.before_state, row.desired_state, row.after_state, row.http_status) == ("ON", "OFF", "OFF", 202)
    assert json.loads(row.request) == {"recording": False}


def test_a_no_op_is_journaled_as_skipped(sb, journal_path):
    rc = connect(sb, Demo.SUPERVISOR, journal_path)
    out = rc.pause(Demo.PAUSED)
    [row] = rc.journal.entries()
    assert row.id == out.journal_id
    assert (row.status, row.before_state, row.desired_state, row.after_state) == ("skipped", "PAUSED", "PAUSED",
                                                                                 "PAUSED")
    assert row.message == "already PAUSED"
    assert (row.endpoint, row.request, row.http_status, row.context_id) == (None, None, None, None)
    assert row.started_at == row.finished_at
    assert rc.journal.in_doubt() == []


def test_a_refused_change_is_journaled_as_failed(sb, journal_path):
    ro = connect(sb, Demo.READONLY, journal_path)
    with pytest.raises(PermissionDenied) as info:
        ro.pause(Demo.ACTIVE)
    [row] = ro.journal.entries()
    assert (row.status, row.http_status, row.error_code) == ("failed", 403, "missing.any.permissions")
    assert row.context_id == info.value.context_id and row.finished_at
    assert "pauseOthers" in row.message


def test_the_journal_never_holds_a_secret_or_a_token(sb, journal_path):
    client = sb.control.add_client(["conversation:recording:pauseOthers", "conversation:communication:view",
                                    "recording:recording:view"])
    secret = client["clientSecret"]
    rc = connect(sb, (client["clientId"], secret), journal_path)
    rc.pause(Demo.ACTIVE)
    rc.pause(Demo.ACTIVE)  # skipped
    token = sb.control.user_token(Demo.BEN)
    ben = rc.with_token(token)
    ben.stop(Demo.ADHOC, Demo.ADHOC_AGENT)
    with pytest.raises(PermissionDenied):  # Ben is not on this call, and may not pause others'
        ben.resume(Demo.ACTIVE)
    rc.journal.to_csv(journal_path.with_suffix(".csv"))
    stored = journal_bytes(journal_path) + journal_path.with_suffix(".csv").read_bytes()
    assert client["clientId"].encode() in stored  # the client id is what identifies who acted
    assert secret.encode() not in stored
    assert token.encode() not in stored
    assert Demo.SUPERVISOR[1].encode() not in stored


# --- export -----------------------------------------------------------------------------------------


def test_to_frame_has_every_column_with_stable_dtypes(sb, journal_path):
    rc = connect(sb, Demo.SUPERVISOR, journal_path)
    empty = rc.journal.to_frame()
    rc.pause(Demo.ACTIVE)
    rc.pause(Demo.ACTIVE)
    with pytest.raises(PermissionDenied):
        connect(sb, Demo.READONLY, journal_path).resume(Demo.PAUSED)
    frame = rc.journal.to_frame()
    assert list(frame.columns) == list(COLUMNS) == list(empty.columns)
    assert len(empty) == 0 and len(frame) == 3
    assert list(frame["status"]) == ["applied", "skipped", "failed"]
    for f in (empty, frame):
        assert {c: str(t) for c, t in f.dtypes.items()} == FRAME_DTYPES
    assert str(frame["started_at"].dt.tz) == "UTC"
    assert frame["http_status"].tolist()[0] == 200 and pd.isna(frame["http_status"].tolist()[1])
    assert frame["http_status"].tolist()[2] == 403


def test_to_csv_writes_every_row(sb, journal_path, tmp_path):
    rc = connect(sb, Demo.SUPERVISOR, journal_path)
    rc.pause(Demo.ACTIVE)
    rc.pause(Demo.UNRECORDED)
    out = rc.journal.to_csv(tmp_path / "journal.csv")
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(COLUMNS)
    assert [(r["action"], r["conversation_id"], r["status"]) for r in rows] == [
        ("pause", Demo.ACTIVE, "applied"), ("pause", Demo.UNRECORDED, "skipped")]


def test_a_second_journal_object_sees_the_rows(sb, journal_path):
    rc = connect(sb, Demo.SUPERVISOR, journal_path)
    rc.pause(Demo.ACTIVE)
    other = Journal(journal_path)
    assert [e.status for e in other.entries()] == ["applied"]
    other.close()


# --- in doubt ----------------------------------------------------------------------------------------


def test_no_answer_leaves_the_change_in_doubt_and_reconcile_settles_it(sb, journal_path):
    """A dropped connection (no retry: one attempt) gives no answer: the row stays at intent,
    noted, and reading the state shows the change did not happen."""
    rc = connect(sb, Demo.SUPERVISOR, journal_path, max_attempts=1)
    sb.control.fault(method="PUT", path=PUT.format(Demo.ACTIVE), action="drop")
    with pytest.raises(ConnectionFailed):
        rc.pause(Demo.ACTIVE)
    [row] = rc.journal.in_doubt()
    assert row.status == "intent" and row.in_doubt and row.finished_at is None
    assert "in doubt" in row.message
    assert rc.reconcile(settle_after=0) == [{"id": row.id, "conversation_id": Demo.ACTIVE,
                                             "status": "resolved-not-applied", "state": "ACTIVE"}]
    settled = rc.journal.get(row.id)
    assert (settled.status, settled.after_state) == ("resolved-not-applied", "ACTIVE")
    assert settled.finished_at and "reconciled" in settled.message
    assert rc.journal.in_doubt() == [] and rc.reconcile(settle_after=0) == []


def _kill_between_intent_and_outcome(sb, journal_path, fault: dict) -> int:
    """Run ``recops pause`` in a real process while the sandbox holds its PUT (``fault``), wait
    for its intent row, ``kill -9`` it, and return the row id. The process is gone for good
    before the server answers."""
    sb.control.fault(method="PUT", path=PUT.format(Demo.ACTIVE), **fault)
    proc = spawn_cli(cli_env(sb, journal_path), "pause", Demo.ACTIVE)
    try:
        journal = wait_for("the journal file", lambda: journal_path.exists() and Journal(journal_path), 60)
        row = wait_for("the intent row", lambda: next(iter(journal.entries()), None), 60)
        assert (row.status, row.pid, row.action) == ("intent", proc.pid, "pause")
        # while its process lives, the change is in flight, not in doubt
        assert journal.in_doubt() == []
        # the fault is used up when the PUT reaches the server, which now holds it
        wait_for("the PUT to reach the sandbox", lambda: sb.control.call("GET", "faults") == [], 30)
        assert journal.get(row.id).status == "intent"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    [doubt] = journal.in_doubt()
    assert doubt.id == row.id and doubt.finished_at is None
    journal.close()
    return row.id


def _server_answered(sb, status: int) -> bool:
    return any(r["method"] == "PUT" and r["status"] == status for r in sb.control.requests())


def test_kill_9_while_the_server_holds_the_put_then_it_applies(sb, journal_path):
    clear_log(sb)
    row_id = _kill_between_intent_and_outcome(sb, journal_path, {"action": "delay", "latencyMs": 5000})
    wait_for("the delayed PUT to be applied", lambda: _server_answered(sb, 200), 30)
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "PAUSED"
    rc = connect(sb, None, journal_path)
    [entry] = rc.journal.in_doubt()
    assert entry.id == row_id
    assert rc.reconcile(settle_after=0) == [{"id": row_id, "conversation_id": Demo.ACTIVE, "status": "resolved-applied",
                               "state": "PAUSED"}]
    settled = rc.journal.get(row_id)
    assert (settled.status, settled.after_state) == ("resolved-applied", "PAUSED")
    assert rc.journal.in_doubt() == []


def test_kill_9_while_the_server_holds_a_put_it_then_fails_via_the_cli(sb, journal_path):
    clear_log(sb)
    row_id = _kill_between_intent_and_outcome(
        sb, journal_path, {"action": "respond", "status": 503, "latencyMs": 5000})
    wait_for("the held PUT to be answered 503", lambda: _server_answered(sb, 503), 30)
    assert writes(sb) == [("PUT", PUT.format(Demo.ACTIVE), 503)]  # the killed process retried nothing
    env = cli_env(sb, journal_path)
    runner = CliRunner()

    listed = runner.invoke(app, ["journal", "--in-doubt"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"#{row_id} " in listed.stdout and "intent" in listed.stdout and Demo.ACTIVE in listed.stdout

    as_json = runner.invoke(app, ["journal", "--in-doubt", "--json"], env=env)
    assert [e["id"] for e in json.loads(as_json.stdout)] == [row_id]

    settled = runner.invoke(app, ["journal", "--reconcile", "--settle-after", "0"], env=env)
    assert settled.exit_code == 0, settled.output
    assert "reconciled 1 of 1 in-doubt change(s)" in settled.stdout
    assert f"#{row_id} {Demo.ACTIVE}: resolved-not-applied ACTIVE" in settled.stdout

    after = runner.invoke(app, ["journal", "--in-doubt", "--json"], env=env)
    assert json.loads(after.stdout) == []
    j = Journal(journal_path)
    assert j.get(row_id).status == "resolved-not-applied"
    j.close()


def test_a_server_error_leaves_the_change_in_doubt_not_failed(sb, journal_path):
    """A 5xx says nothing of whether the change was made (a 504 may come after it was): the
    row keeps the answer but stays in doubt until the state is read."""
    rc = connect(sb, Demo.SUPERVISOR, journal_path, max_attempts=1)
    sb.control.fault(method="PUT", path=PUT.format(Demo.ACTIVE), status=504)
    with pytest.raises(ServerError) as info:
        rc.pause(Demo.ACTIVE)
    [row] = rc.journal.in_doubt()
    assert (row.status, row.http_status, row.error_code) == ("intent", 504, info.value.code)
    assert row.context_id == info.value.context_id and "in doubt" in row.message
    [decided] = rc.reconcile(settle_after=0)
    assert (decided["status"], decided["state"]) == ("resolved-not-applied", "ACTIVE")


def test_a_change_applied_whose_state_cannot_be_read_after_is_applied(sb, journal_path):
    """The PUT is answered 200, then the read that follows it gets no answer: the change is
    journaled as applied (not left in doubt), with the read's failure noted."""
    settings = recops.Settings.load(sandbox_url=sb.url, client_id=Demo.SUPERVISOR[0],
                                    client_secret=Demo.SUPERVISOR[1], max_attempts=1)

    def after_the_put(exchange) -> None:
        if exchange.method == "PUT" and exchange.status == 200:
            sb.control.fault(method="GET", path=f"/api/v2/conversations/{Demo.ACTIVE}", action="drop")

    rc = recops.Session(settings, journal=journal_path, on_exchange=after_the_put)
    out = rc.pause(Demo.ACTIVE)
    assert out.changed and out.after is None and "could not be read after" in out.reason
    assert "ACTIVE -> ? via PUT" in out.summary()
    [row] = rc.journal.entries()
    assert (row.status, row.http_status, row.after_state) == ("applied", 200, None)
    assert row.context_id == out.context_id and "could not be read after" in row.message
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "PAUSED"


def test_reconcile_leaves_a_change_that_may_still_be_in_flight_in_doubt(sb, journal_path):
    """A change younger than the timeouts is not settled: its request may yet reach the server."""
    rc = connect(sb, Demo.SUPERVISOR, journal_path, max_attempts=1)
    sb.control.fault(method="PUT", path=PUT.format(Demo.ACTIVE), action="drop")
    with pytest.raises(ConnectionFailed):
        rc.pause(Demo.ACTIVE)
    [row] = rc.journal.in_doubt()
    [decided] = rc.reconcile()  # default: connect + read timeout (35 s) — the row is seconds old
    assert decided["status"] == "intent" and "may still be in flight" in decided["note"]
    assert rc.journal.get(row.id).status == "intent"
    [settled] = rc.reconcile(settle_after=0)
    assert settled["status"] == "resolved-not-applied"


def test_a_user_token_change_is_journaled_with_the_users_id_and_name(sb, journal_path):
    rc = connect(sb, Demo.SUPERVISOR, journal_path)
    ava = rc.as_sandbox_user(Demo.AVA)
    ava.pause(Demo.ACTIVE)
    entry = rc.journal.entries()[-1]
    assert entry.principal == f"user:{Demo.AVA} (Ava Agent)"
    assert entry.endpoint == f"PATCH /api/v2/conversations/calls/{Demo.ACTIVE}"


def _filled_journal(path) -> Journal:
    """A journal of 30 rows over three conversations: applied, skipped and in-doubt changes."""
    j = Journal(path)
    ids = [Demo.ACTIVE, Demo.PAUSED, Demo.HELD]
    for i in range(30):
        cid = ids[i % 3]
        if i % 5 == 0:
            j.skipped(target="t", principal="p", action="pause", conversation_id=cid, participant_id=None,
                      state="PAUSED", reason="already PAUSED")
            continue
        jid = j.intent(target="t", principal="p", action="pause", conversation_id=cid, participant_id=None,
                       endpoint="PUT x", request={"recordingState": "PAUSED"}, before="ACTIVE", desired="PAUSED")
        if i % 7:
            j.outcome(jid, status="applied", after="PAUSED")
    return j


def test_journal_queries_filter_and_limit_in_sql(tmp_path):
    j = _filled_journal(tmp_path / "j.sqlite")
    every = j.entries()
    statements: list[str] = []
    j._db.set_trace_callback(statements.append)

    last = j.entries(limit=4)
    assert [e.id for e in last] == [e.id for e in every[-4:]]  # the last four, oldest first
    assert statements[-1].endswith("LIMIT 4")
    held = j.entries(conversation_id=Demo.HELD, limit=3)
    assert [e.id for e in held] == [e.id for e in every if e.conversation_id == Demo.HELD][-3:]
    assert f"WHERE conversation_id='{Demo.HELD}'" in statements[-1] and statements[-1].endswith("LIMIT 3")
    skipped = j.entries(status="skipped")
    assert [e.id for e in skipped] == [e.id for e in every if e.status == "skipped"] and len(skipped) == 6
    assert "WHERE status='skipped'" in statements[-1]
    doubt = j.in_doubt()  # this process wrote them and is alive: only rows of the current pid count
    assert [e.id for e in doubt] == [e.id for e in every if e.status == "intent"] and doubt
    assert "WHERE status='intent'" in statements[-1]
    with pytest.raises(ValueError):
        j.entries(status="nonsense")
    j.close()
