"""Recording-topic events the sandbox's own sweep missed (issue 20, the sandbox's event gaps):
recording jobs over GENERATED histories, legal holds applied or lifted, and the order of events
when a clock move and an API write race in two threads.

A real WebSocket client (``websockets.sync.client``) reads the channel's socket; channels,
subscriptions, jobs and holds go through the unmodified SDK against the served sandbox; bodies
are deserialised into the SDK's event classes."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from websockets.sync.client import connect

from recops.sandbox.seeds.history import GeneratedHistory

from .notify_helpers import topics
from .recording_job_helpers import job_query, ready, run_to_end
from .sdk_helpers import interval, utc_midnight

CLASSES = {"recordings": "RecordingEventRecording", "archive": "RecordingArchiveRestoreTopicRecording"}


@pytest.fixture
def integration(login, demo):
    return login(*demo.INTEGRATION)  # holds every permission


@pytest.fixture
def jobs(sdk, integration):
    return sdk.RecordingApi(integration)


def _now(sb) -> datetime:
    return datetime.fromisoformat(sb.control.call("GET", "clock")["now"].replace("Z", "+00:00")).replace(microsecond=0)


def _when(value: Any) -> datetime:
    """A datetime the SDK gave as text or as a datetime."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _channel(sdk, api_client, names: list[str]):
    notif = sdk.NotificationsApi(api_client)
    ch = notif.post_notifications_channels()
    got = notif.put_notifications_channel_subscriptions(ch.id, topics(sdk, *names))
    assert [t.state for t in got.entities] == ["Permitted"] * len(names)
    return ch


def _events(ws, timeout: float) -> list[dict[str, Any]]:
    """Every event frame (heartbeats left out) that arrives until ``timeout`` seconds pass quietly."""
    out = []
    while True:
        try:
            msg = json.loads(ws.recv(timeout=timeout))
        except TimeoutError:
            return out
        if msg.get("topicName") != "channel.metadata":
            out.append(msg)


def _deserialised(sdk, msg: dict[str, Any]):
    kind = "archive" if msg["topicName"].count(".") == 3 else "recordings"
    obj = sdk.ApiClient()._ApiClient__deserialize(msg["eventBody"], CLASSES[kind])
    assert type(obj).__name__ == CLASSES[kind]
    assert (obj.id, obj.conversation_id, obj.file_state) == (
        msg["eventBody"]["id"], msg["eventBody"]["conversationId"], msg["eventBody"]["fileState"])
    return obj


def _materialised(sb) -> int:
    return len(sb.control.conversations(limit=100000))


def _agent_of(conversations_api, cid: str) -> str:
    conv = conversations_api.get_conversation(cid)  # built for this read, never kept
    return next(p.user_id for p in conv.participants if p.purpose == "agent")


def _recording_topic(conversations_api, cid: str) -> str:
    """The conversation's recordings topic, on its agent's user."""
    return f"v2.users.{_agent_of(conversations_api, cid)}.conversations.{cid}.recordings"


@pytest.fixture
def builds(monkeypatch):
    """How many generated conversations are built (GeneratedHistory.conversation calls)."""
    count = [0]
    real = GeneratedHistory.conversation

    def counted(self, i):
        count[0] += 1
        return real(self, i)

    monkeypatch.setattr(GeneratedHistory, "conversation", counted)
    return count


# --- 1. recording jobs over generated histories ------------------------------------------------------


def test_an_archive_job_over_a_generated_history_publishes_when_the_clock_passes_its_date(sb, sdk, integration, jobs):
    when = interval(utc_midnight(20), utc_midnight(19))
    seeded = sb.control.seed(count=300, seed=11, interval=when, generated=True, recordedRatio=1.0, adhocRatio=0.0)
    held_before = _materialised(sb)
    conversations = sdk.ConversationsApi(integration)
    cid = seeded["firstId"]
    uid = _agent_of(conversations, cid)
    rid = jobs.get_conversation_recordings(cid)[0].id
    ch = _channel(sdk, integration, [f"v2.users.{uid}.conversations.{cid}.recordings", f"v2.users.{uid}.recordings"])
    at = _now(sb) + timedelta(hours=1)
    with connect(ch.connect_uri) as ws:
        time.sleep(0.1)
        job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action="ARCHIVE",
                                                                 action_date=_iso(at))).id)
        assert run_to_end(sb, sdk, jobs, job.id).state == "FULFILLED"
        assert _events(ws, 0.5) == []  # the date has not passed: nothing moved
        sb.control.advance_clock(3601)
        got = _events(ws, 1.0)
    mine = [m for m in got if m["topicName"] == f"v2.users.{uid}.conversations.{cid}.recordings"]
    assert len(mine) == 1
    rec = _deserialised(sdk, mine[0])
    assert (rec.id, rec.conversation_id, rec.file_state, rec.media_uris) == (rid, cid, "ARCHIVED", None)
    archived = [m for m in got if m["topicName"] == f"v2.users.{uid}.recordings"]
    assert archived, "the agent's archive topic hears of each of its archived recordings"
    ids = [_deserialised(sdk, m).conversation_id for m in archived]
    assert len(ids) == len(set(ids)) and cid in ids
    assert {m["eventBody"]["fileState"] for m in archived} == {"ARCHIVED"}
    for other in ids[:5]:  # each is the agent's, and REST reads it ARCHIVED
        assert _agent_of(conversations, other) == uid
        assert [r.file_state for r in jobs.get_conversation_recordings(other)] == ["ARCHIVED"]
    assert got.index(mine[0]) < got.index(next(m for m in archived if m["eventBody"]["conversationId"] == cid))
    assert _materialised(sb) == held_before  # nothing was materialised


def test_a_delete_job_by_age_publishes_each_recording_as_its_own_date_passes(sb, sdk, integration, jobs):
    when = interval(utc_midnight(20), utc_midnight(19))
    seeded = sb.control.seed(count=48, seed=12, interval=when, generated=True, recordedRatio=1.0, adhocRatio=0.0)
    conversations = sdk.ConversationsApi(integration)
    first, last = seeded["firstId"], seeded["lastId"]
    wanted = {c: _recording_topic(conversations, c) for c in (first, last)}
    starts = {c: conversations.get_conversation(c).start_time for c in (first, last)}
    sb.control.settings(notificationChannelTtlSeconds=30 * 86400)  # the clock moves by more than a day
    ch = _channel(sdk, integration, list(wanted.values()))
    # each recording is deleted 21 days after it started (all after now): the first one's date ~1 day before the last's
    age = 21
    with connect(ch.connect_uri) as ws:
        time.sleep(0.1)
        job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action_age=age)).id)
        assert run_to_end(sb, sdk, jobs, job.id).state == "FULFILLED"
        assert _events(ws, 0.3) == []
        now = _now(sb)
        due_first = (starts[first] + timedelta(days=age) - now).total_seconds()
        due_last = (starts[last] + timedelta(days=age) - now).total_seconds()
        assert 0 < due_first < due_last
        sb.control.advance_clock(due_first + 120)
        got = _events(ws, 0.5)
        assert [(m["topicName"], m["eventBody"]["fileState"]) for m in got] == [(wanted[first], "DELETED")]
        assert _deserialised(sdk, got[0]).conversation_id == first
        sb.control.advance_clock(due_last - due_first)
        got = _events(ws, 0.5)
        assert [(m["topicName"], m["eventBody"]["fileState"]) for m in got] == [(wanted[last], "DELETED")]


def test_an_ad_hoc_recording_of_a_generated_conversation_publishes_at_its_own_later_date(sb, sdk, integration, jobs):
    when = interval(utc_midnight(20), utc_midnight(19))
    seeded = sb.control.seed(count=24, seed=17, interval=when, generated=True, recordedRatio=1.0, adhocRatio=1.0)
    conversations = sdk.ConversationsApi(integration)
    cid = seeded["lastId"]
    topic = _recording_topic(conversations, cid)
    recs = sorted(jobs.get_conversation_recordings(cid), key=lambda r: _when(r.start_time))
    assert len(recs) == 2 and _when(recs[1].start_time) > _when(recs[0].start_time)  # policy, then the agent's ad hoc
    sb.control.settings(notificationChannelTtlSeconds=30 * 86400)
    ch = _channel(sdk, integration, [topic])
    age = 21
    with connect(ch.connect_uri) as ws:
        time.sleep(0.1)
        job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action_age=age)).id)
        assert run_to_end(sb, sdk, jobs, job.id).state == "FULFILLED"
        now = _now(sb)
        due = [(_when(r.start_time) + timedelta(days=age) - now).total_seconds() for r in recs]
        sb.control.advance_clock(due[0] + 1)
        assert [(m["eventBody"]["id"], m["eventBody"]["fileState"]) for m in _events(ws, 0.5)] == [
            (recs[0].id, "DELETED")]
        sb.control.advance_clock(due[1] - due[0] + 1)
        assert [(m["eventBody"]["id"], m["eventBody"]["fileState"]) for m in _events(ws, 0.5)] == [
            (recs[1].id, "DELETED")]


def test_a_job_whose_date_has_passed_publishes_as_it_processes(sb, sdk, integration, jobs):
    when = interval(utc_midnight(20), utc_midnight(19))
    seeded = sb.control.seed(count=40, seed=13, interval=when, generated=True, recordedRatio=1.0, adhocRatio=0.0)
    conversations = sdk.ConversationsApi(integration)
    cid = seeded["lastId"]
    topic = _recording_topic(conversations, cid)
    ch = _channel(sdk, integration, [topic])
    with connect(ch.connect_uri) as ws:
        time.sleep(0.1)
        job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action_age=0)).id)  # dates long past
        assert _events(ws, 0.3) == []  # READY changes nothing
        assert run_to_end(sb, sdk, jobs, job.id).state == "FULFILLED"
        got = _events(ws, 0.5)
    assert [(m["topicName"], m["eventBody"]["fileState"]) for m in got] == [(topic, "DELETED")]


def test_nobody_listening_builds_no_generated_conversation(sb, sdk, integration, jobs, builds):
    when = interval(utc_midnight(20), utc_midnight(19))
    sb.control.seed(count=2000, seed=14, interval=when, generated=True, recordedRatio=1.0, adhocRatio=0.0)
    at = _now(sb) + timedelta(hours=1)
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action="ARCHIVE", action_date=_iso(at))).id)
    assert run_to_end(sb, sdk, jobs, job.id).state == "FULFILLED"
    sb.control.advance_clock(3601)
    assert builds[0] == 0  # nobody listens: nothing built, nothing published
    # a listener of one conversation of another history: only that one is built (as it was, as it is)
    when = interval(utc_midnight(18), utc_midnight(17))
    seeded = sb.control.seed(count=2000, seed=16, interval=when, generated=True, recordedRatio=1.0, adhocRatio=0.0)
    cid = seeded["lastId"]
    uid = _agent_of(sdk.ConversationsApi(integration), cid)
    ch = _channel(sdk, integration, [f"v2.users.{uid}.conversations.{cid}.recordings"])
    again = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action_age=0)).id)
    with connect(ch.connect_uri) as ws:
        time.sleep(0.1)
        builds[0] = 0
        assert run_to_end(sb, sdk, jobs, again.id).state == "FULFILLED"
        got = _events(ws, 0.5)
    assert [(m["eventBody"]["conversationId"], m["eventBody"]["fileState"]) for m in got] == [(cid, "DELETED")]
    assert builds[0] == 2  # the listened one, as it was and as it is: not the other 1999


# --- 2. legal hold ------------------------------------------------------------------------------------


def _protect(sdk, jobs, ids, on=True):
    query = sdk.ConversationDeletionProtectionQuery()
    query.conversation_ids = list(ids)
    jobs.put_recordings_deletionprotection(protect=on, body=query)


def _ended_call(sb, uid: str) -> tuple[str, list[str]]:
    """An ended call recorded by policy and by its agent's ad hoc recording, 12 days back."""
    conv = sb.control.add_conversation(recording=True, startedSecondsAgo=12 * 86400, ended=True, durationSeconds=30,
                                       participants=[{"purpose": "customer", "name": "C"},
                                                     {"purpose": "agent", "name": "Ava", "userId": uid,
                                                      "recording": True}])
    return conv["id"], sb.control.conversation(conv["id"])["recordingIds"]


def test_revoking_a_hold_publishes_the_deletion_when_it_happens(sb, sdk, integration, jobs, demo):
    uid = demo.AVA
    cid, rids = _ended_call(sb, uid)
    assert len(rids) == 2
    topic = f"v2.users.{uid}.conversations.{cid}.recordings"
    for rid in rids:
        body = sdk.Recording()
        body.delete_date = _iso(_now(sb) + timedelta(minutes=5))
        jobs.put_conversation_recording(cid, rid, body)
    _protect(sdk, jobs, [cid])
    ch = _channel(sdk, integration, [topic])
    with connect(ch.connect_uri) as ws:
        time.sleep(0.1)
        sb.control.advance_clock(600)
        assert _events(ws, 0.3) == []  # the hold keeps them
        _protect(sdk, jobs, [cid], on=False)
        got = _events(ws, 0.5)  # no read, no clock move: the revoke itself published
        assert sorted((m["eventBody"]["id"], m["eventBody"]["fileState"]) for m in got) == sorted(
            (rid, "DELETED") for rid in rids)
        for m in got:
            assert m["topicName"] == topic and _deserialised(sdk, m).conversation_id == cid
        _protect(sdk, jobs, [cid], on=False)  # a second revoke moves nothing
        assert _events(ws, 0.3) == []


def test_revoking_a_hold_on_a_generated_conversation_publishes_its_job_deletion_at_once(sb, sdk, integration, jobs):
    when = interval(utc_midnight(20), utc_midnight(19))
    seeded = sb.control.seed(count=30, seed=15, interval=when, generated=True, recordedRatio=1.0, adhocRatio=0.0)
    cid = seeded["firstId"]
    uid = _agent_of(sdk.ConversationsApi(integration), cid)
    held_before = _materialised(sb)
    at = _now(sb) + timedelta(hours=1)
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action_date=_iso(at))).id)
    assert run_to_end(sb, sdk, jobs, job.id).state == "FULFILLED"  # its delete date is given
    _protect(sdk, jobs, [cid])
    ch = _channel(sdk, integration, [f"v2.users.{uid}.conversations.{cid}.recordings"])
    with connect(ch.connect_uri) as ws:
        time.sleep(0.1)
        sb.control.advance_clock(3601)
        assert _events(ws, 0.3) == []  # the hold keeps it past its date
        _protect(sdk, jobs, [cid], on=False)
        got = _events(ws, 0.5)  # no read, no clock move: the revoke itself published
        assert [(m["eventBody"]["conversationId"], m["eventBody"]["fileState"]) for m in got] == [(cid, "DELETED")]
        _deserialised(sdk, got[0])
        _protect(sdk, jobs, [cid])  # the sandbox reads a hold as lifting a delete date that passed (§4.11)
        assert [m["eventBody"]["fileState"] for m in _events(ws, 0.5)] == ["AVAILABLE"]
    assert [r.file_state for r in jobs.get_conversation_recordings(cid)] == ["AVAILABLE"]
    assert _materialised(sb) == held_before


def test_under_at_sweep_a_revoke_publishes_at_the_next_clock_move(sb, sdk, integration, jobs, demo):
    sb.control.settings(assumptions={"eventProtectionMoves": "atSweep"})
    cid, rids = _ended_call(sb, demo.AVA)
    body = sdk.Recording()
    body.delete_date = _iso(_now(sb) + timedelta(minutes=5))
    jobs.put_conversation_recording(cid, rids[0], body)
    _protect(sdk, jobs, [cid])
    ch = _channel(sdk, integration, [f"v2.users.{demo.AVA}.conversations.{cid}.recordings"])
    with connect(ch.connect_uri) as ws:
        time.sleep(0.1)
        sb.control.advance_clock(600)
        _protect(sdk, jobs, [cid], on=False)
        assert _events(ws, 0.5) == []  # not at the change
        sb.control.advance_clock(1)
        assert [(m["eventBody"]["id"], m["eventBody"]["fileState"]) for m in _events(ws, 0.5)] == [(rids[0], "DELETED")]
