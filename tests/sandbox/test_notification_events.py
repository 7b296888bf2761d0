"""Notification events (issue 20): what the sandbox publishes on the conversation and recording
topics when a state change happens, in order, with bodies the SDK's event classes deserialise.

The real SDK drives the real sandbox over loopback; the listener is registered on the served
state's event bus (``state.events.listen``), where the notification service listens.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from recops.sandbox.model import event_bodies

from .sdk_helpers import participant_request, recording_state

ORG = "sandbox-org"
QUEUE_A1 = "5a1e0000-0000-4000-8000-0000000000a1"
QUEUE_A2 = "5a1e0000-0000-4000-8000-0000000000a2"
CLEO = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1003"

CLASSES = {  # topic suffix -> (user topic class, queue topic class) [documented: NM]
    "conversations.calls": ("ConversationCallEventTopicCallConversation",
                            "QueueConversationCallEventTopicCallConversation"),
    "conversations": ("ConversationEventTopicConversation", "QueueConversationEventTopicConversation"),
}


@pytest.fixture
def events(sb):
    """Every event the served state publishes during the test (its bus survives resets: adopt)."""
    seen: list[Any] = []
    stop = sb.state.events.listen(seen.append)
    yield seen
    stop()


def _user(uid: str, suffix: str = "conversations.calls") -> str:
    return f"v2.users.{uid}.{suffix}"


def _queue(qid: str, suffix: str = "conversations.calls") -> str:
    return f"v2.routing.queues.{qid}.{suffix}"


def _four(uid: str, qid: str) -> list[str]:
    """One change's topics, in publication order: the user's, then the queue's; calls first."""
    return [_user(uid), _user(uid, "conversations"), _queue(qid), _queue(qid, "conversations")]


def _norm(value: Any) -> Any:
    """JSON with every ISO datetime parsed (the SDK writes ``+00:00``, the wire ``Z``)."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and value[10:11] == "T":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _class_of(topic: str) -> str:
    parts = topic.split(".")
    if parts[-1] == "recordings":  # v2.users.{id}.recordings or v2.users.{id}.conversations.{cid}.recordings
        return "RecordingArchiveRestoreTopicRecording" if len(parts) == 4 else "RecordingEventRecording"
    suffix = "conversations.calls" if topic.endswith(".conversations.calls") else "conversations"
    return CLASSES[suffix][1 if topic.startswith("v2.routing.queues.") else 0]


def _deserialises(sdk, event) -> None:
    """The body is the topic's documented class: nothing lost in the SDK's own deserialiser, and
    every enum valid (the SDK raises on a value outside ``allowed_values``)."""
    api = sdk.ApiClient()
    obj = api._ApiClient__deserialize(event.body, _class_of(event.topic))
    assert type(obj).__name__ == _class_of(event.topic)
    assert _norm(api.sanitize_for_serialization(obj)) == _norm(event.body), event.topic


def _states(event) -> tuple[str, bool]:
    return event.body["recordingState"], event.body["securePause"]


# --- secure pause / resume -----------------------------------------------------------------------


def test_secure_pause_and_resume_through_the_sdk(sb, sdk, supervisor, demo, events):
    api = sdk.ConversationsApi(supervisor)
    assert api.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED")) == "PAUSED"
    assert [e.topic for e in events] == _four(demo.AVA, QUEUE_A1)
    assert [_states(e) for e in events] == [("paused", True)] * 4
    assert all(e.org == ORG and e.body["id"] == demo.ACTIVE for e in events)
    call = events[0].body
    agent = next(p for p in call["participants"] if p["id"] == demo.ACTIVE_AGENT)
    assert (agent["purpose"], agent["state"], agent["held"], agent["recording"]) == ("agent", "connected", False, True)
    assert (agent["recordingState"], agent["securePause"], agent["user"]) == ("paused", True, {"id": demo.AVA})
    assert agent["queue"] == {"id": QUEUE_A1} or "queue" not in agent
    assert agent["recordersState"]["customerExperienceState"] == "PAUSED"
    whole = events[1].body
    assert [c["recordingState"] for p in whole["participants"] for c in p["calls"]] == ["paused", "paused"]
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs)
    for e in events:
        _deserialises(sdk, e)

    del events[:]
    api.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED"))  # a no-op write
    assert events == []
    api.patch_conversation_recordingstate(demo.ACTIVE, recording_state(sdk, "ACTIVE"))
    assert [e.topic for e in events] == _four(demo.AVA, QUEUE_A1)
    assert [_states(e) for e in events] == [("active", False)] * 4


def test_participant_pause_via_patch_call(sb, sdk, as_user, demo, events):
    body = sdk.Conversation()
    body.recording_state = "PAUSED"
    sdk.ConversationsApi(as_user(demo.AVA)).patch_conversations_call(demo.ACTIVE, body)
    assert [(e.topic, _states(e)) for e in events] == [(t, ("paused", True)) for t in _four(demo.AVA, QUEUE_A1)]


def test_no_event_on_an_unrecorded_conversation_write(sb, sdk, supervisor, demo, events):
    sdk.ConversationsApi(supervisor).put_conversations_call_recordingstate(
        demo.UNRECORDED, recording_state(sdk, "PAUSED"))  # NONE: a no-op (recordingStateWriteWhenNone)
    assert events == []


# --- ad hoc recording (PATCH participant) ---------------------------------------------------------


def test_adhoc_start_and_stop(sb, sdk, as_user, demo, events):
    api = sdk.ConversationsApi(as_user(demo.AVA))
    api.patch_conversations_call_participant(demo.UNRECORDED, demo.UNRECORDED_AGENT, participant_request(sdk, True))
    assert [e.topic for e in events] == _four(demo.AVA, QUEUE_A2)
    assert [_states(e) for e in events] == [("active", False)] * 4
    agent = next(p for p in events[0].body["participants"] if p["id"] == demo.UNRECORDED_AGENT)
    assert (agent["recording"], agent["recordersState"]["adhocState"]) == (True, "ACTIVE")
    for e in events:
        _deserialises(sdk, e)
    del events[:]
    api.patch_conversations_call_participant(demo.UNRECORDED, demo.UNRECORDED_AGENT, participant_request(sdk, True))
    assert events == []  # already recording: nothing changed
    api.patch_conversations_call_participant(demo.UNRECORDED, demo.UNRECORDED_AGENT, participant_request(sdk, False))
    assert [(e.topic, _states(e)) for e in events] == [(t, ("none", False)) for t in _four(demo.AVA, QUEUE_A2)]


# --- control plane: hold with suppression, disconnect, creation ----------------------------------


def test_hold_with_suppression_via_control_plane(sb, sdk, demo, events):
    sb.control.hold(demo.HELD, demo.HELD_CUSTOMER, held=False)
    assert [e.topic for e in events] == _four(CLEO, QUEUE_A1)
    assert [_states(e) for e in events] == [("active", False)] * 4
    customer = next(p for p in events[0].body["participants"] if p["id"] == demo.HELD_CUSTOMER)
    assert customer["held"] is False
    del events[:]
    sb.control.hold(demo.HELD, demo.HELD_CUSTOMER, held=True)
    assert [(e.topic, _states(e)) for e in events] == [(t, ("paused", False)) for t in _four(CLEO, QUEUE_A1)]
    customer = next(p for p in events[0].body["participants"] if p["id"] == demo.HELD_CUSTOMER)
    assert customer["held"] is True


def test_disconnect_publishes_the_ended_call(sb, sdk, demo, events):
    sb.control.disconnect(demo.PAUSED)
    assert [e.topic for e in events] == _four(demo.BEN, QUEUE_A1)
    assert {p["state"] for p in events[0].body["participants"]} == {"disconnected"}
    assert {c["state"] for p in events[1].body["participants"] for c in p["calls"]} == {"disconnected"}
    for e in events:
        _deserialises(sdk, e)


def test_connected_users_only_assumption(sb, sdk, demo, events):
    sb.control.settings(assumptions={"eventUserParticipants": "connected"})
    sb.control.disconnect(demo.ACTIVE)
    assert [e.topic for e in events] == _four(demo.AVA, QUEUE_A1)  # the disconnect is still the user's last
    del events[:]
    sb.control.add_conversation(id="c0a80001-0000-4000-8000-0000000000e1", queueId=QUEUE_A2, recording=True,
                                ended=True, durationSeconds=30, startedSecondsAgo=60,
                                participants=[{"purpose": "customer", "name": "X"},
                                              {"purpose": "agent", "name": "Ava", "userId": demo.AVA}])
    topics = {e.topic for e in events if not e.topic.endswith(".recordings")}
    assert topics <= set(_four(demo.AVA, QUEUE_A2))


def test_conversation_creation_publishes(sb, sdk, demo, events):
    cid = "c0a80001-0000-4000-8000-0000000000e2"
    sb.control.add_conversation(id=cid, queueId=QUEUE_A2, recording=True,
                                participants=[{"purpose": "customer", "name": "X"},
                                              {"purpose": "agent", "name": "Ava", "userId": demo.AVA}])
    assert [e.topic for e in events] == _four(demo.AVA, QUEUE_A2)
    assert all(e.body["id"] == cid and _states(e) == ("active", False) for e in events)


def test_email_conversation_has_no_calls_topic(sb, sdk, supervisor, demo, events):
    sdk.ConversationsApi(supervisor).put_conversations_email_recordingstate(demo.EMAIL, recording_state(sdk, "PAUSED"))
    assert [e.topic for e in events] == [_user(demo.BEN, "conversations"),
                                         _queue("5a1e0000-0000-4000-8000-0000000000a3", "conversations")]
    assert events[0].body["participants"][0]["emails"][0]["state"] == "connected"
    for e in events:
        _deserialises(sdk, e)


def test_upper_case_assumption(sb, sdk, supervisor, demo, events):
    sb.control.settings(assumptions={"eventConversationRecordingStateCase": "upper"})
    sdk.ConversationsApi(supervisor).put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED"))
    assert [e.body["recordingState"] for e in events] == ["paused", "PAUSED", "paused", "PAUSED"]


# --- orgs and nobody listening --------------------------------------------------------------------


def test_nothing_crosses_orgs(sb, sdk, login, supervisor, demo, events):
    other = sdk.ConversationsApi(login(*demo.OTHER_ORG))
    sb.control.add_conversation(org="other-org", id="0f0f0000-0000-4000-8000-0000000000e3",
                                queueId="0f0f0000-0000-4000-8000-00000000aaaa", recording=True,
                                participants=[{"purpose": "customer", "name": "X"},
                                              {"purpose": "agent", "name": "Ava?", "userId": demo.AVA}])
    other.put_conversations_call_recordingstate("0f0f0000-0000-4000-8000-0000000000e3", recording_state(sdk, "PAUSED"))
    assert events and {e.org for e in events} == {"other-org"}  # a room's seats share user ids: org tells
    qid = "0f0f0000-0000-4000-8000-00000000aaaa"
    assert [e.topic for e in events][-4:] == _four(demo.AVA, qid)
    del events[:]
    sdk.ConversationsApi(supervisor).put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED"))
    assert {e.org for e in events} == {ORG}


def test_nobody_listening_builds_nothing(sb, sdk, supervisor, demo, monkeypatch):
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("built or published with nobody listening")

    monkeypatch.setattr(event_bodies, "conversation_events", boom)
    monkeypatch.setattr(sb.state.events, "publish", boom)
    assert sb.state.file_states is not None
    monkeypatch.setattr(sb.state, "file_states", boom)  # no recording's fileState looked at either
    assert not sb.state.events.listened
    api = sdk.ConversationsApi(supervisor)
    api.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED"))
    sb.control.hold(demo.HELD, demo.HELD_CUSTOMER, held=False)
    sb.control.disconnect(demo.PAUSED)
    sb.control.set_file_state(demo.ENDED, sb.control.conversation(demo.ENDED)["recordingIds"][0], "ARCHIVED")
    sb.control.advance_clock(3600)
    assert api.get_conversation(demo.ACTIVE).recording_state == "PAUSED"


# --- recording topics: file states on the clock, jobs, archive / restore ------------------------


def _recording_events(events) -> list[tuple[str, str, str]]:
    return [(e.topic, e.body["id"], e.body["fileState"]) for e in events if e.topic.endswith(".recordings")]


def _ended_call(sb, demo, days_ago: float = 12) -> tuple[str, str]:
    """An ended recorded call of Ava's, ``days_ago`` back (a quiet interval): its id and recording id."""
    conv = sb.control.add_conversation(recording=True, startedSecondsAgo=days_ago * 86400, ended=True,
                                       durationSeconds=30,
                                       participants=[{"purpose": "customer", "name": "C"},
                                                     {"purpose": "agent", "name": "Ava", "userId": demo.AVA}])
    return conv["id"], sb.control.conversation(conv["id"])["recordingIds"][0]


def test_a_delete_jobs_recordings_go_deleted_on_the_clock(sb, sdk, login, demo, events):
    from .recording_job_helpers import job_query, ready, run_to_end

    cid, rid = _ended_call(sb, demo)
    jobs = sdk.RecordingApi(login(*demo.INTEGRATION))
    now = datetime.fromisoformat(sb.control.call("GET", "clock")["now"].replace("Z", "+00:00"))
    start = datetime.fromisoformat(sb.control.conversation(cid)["startTime"].replace("Z", "+00:00"))
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    when = f"{(start - timedelta(hours=1)).strftime(fmt)}/{(start + timedelta(hours=1)).strftime(fmt)}"
    at = (now + timedelta(hours=1)).strftime(fmt)
    del events[:]
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action_date=at)).id)
    assert run_to_end(sb, sdk, jobs, job.id).state == "FULFILLED"
    assert events == []  # a delete date set: no fileState changed, no call body changed
    sb.control.advance_clock(3601)
    topic = f"v2.users.{demo.AVA}.conversations.{cid}.recordings"
    assert _recording_events(events) == [(topic, rid, "DELETED")]
    assert [e.topic for e in events] == [topic]
    assert "mediaUris" not in events[0].body
    _deserialises(sdk, events[0])


def test_archive_and_restore_publish_on_both_recording_topics(sb, sdk, login, demo, events):
    cid, rid = _ended_call(sb, demo, days_ago=1)
    conv_topic = f"v2.users.{demo.AVA}.conversations.{cid}.recordings"
    user_topic = f"v2.users.{demo.AVA}.recordings"
    del events[:]
    sb.control.set_file_state(cid, rid, "ARCHIVED")
    assert _recording_events(events) == [(conv_topic, rid, "ARCHIVED"), (user_topic, rid, "ARCHIVED")]
    del events[:]
    jobs = sdk.RecordingApi(login(*demo.INTEGRATION))
    body = sdk.Recording()
    now = datetime.fromisoformat(sb.control.call("GET", "clock")["now"].replace("Z", "+00:00"))
    body.archive_date = (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert jobs.put_conversation_recording(cid, rid, body).file_state == "RESTORING"
    assert _recording_events(events) == [(conv_topic, rid, "RESTORING"), (user_topic, rid, "RESTORING")]
    del events[:]
    sb.control.advance_clock(sb.control.settings()["restoreSeconds"])
    assert _recording_events(events) == [(conv_topic, rid, "RESTORED"), (user_topic, rid, "RESTORED")]
    uris = events[0].body["mediaUris"]
    assert isinstance(uris, list) and uris[0]["mediaUri"] == f"/_sandbox/media/{cid}/{rid}.webm"
    for e in events:
        _deserialises(sdk, e)
    del events[:]
    sb.control.advance_clock(2 * 3600)
    assert _recording_events(events) == [(conv_topic, rid, "ARCHIVED"), (user_topic, rid, "ARCHIVED")]


def test_transcoding_done_publishes_available(sb, sdk, demo, events):
    sb.control.disconnect(demo.ACTIVE)
    rid = sb.control.conversation(demo.ACTIVE)["recordingIds"][0]
    assert _recording_events(events) == []  # UPLOADING before and after the end
    del events[:]
    sb.control.advance_clock(sb.control.settings()["transcodingDelaySeconds"] + 1)
    topic = f"v2.users.{demo.AVA}.conversations.{demo.ACTIVE}.recordings"
    assert _recording_events(events) == [(topic, rid, "AVAILABLE")]
    assert events[0].body["mediaUris"][0]["channelId"] == "S"
    _deserialises(sdk, events[0])


def test_recording_topics_off(sb, sdk, demo, events):
    sb.control.settings(assumptions={"eventRecordingTopics": "off"})
    cid, rid = _ended_call(sb, demo, days_ago=1)
    sb.control.set_file_state(cid, rid, "ARCHIVED")
    assert _recording_events(events) == []


# --- resets and a room's seats -------------------------------------------------------------------


def test_the_listener_follows_the_served_state_across_resets(sb, sdk, login, demo, events):
    sb.control.reset()  # a full reset builds a fresh state and the served one adopts it
    sdk.ConversationsApi(login(*demo.SUPERVISOR)).put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED"))
    assert [e.topic for e in events] == _four(demo.AVA, QUEUE_A1)  # the reset itself published nothing


def test_a_rooms_seats_publish_in_their_own_org_only(sdk, demo):
    from recops.sandbox.room import Room
    from recops.sandbox.server import SandboxServer

    room = Room(2)
    with SandboxServer(scenario=None, room=room).start() as rs:
        seen: list[Any] = []
        rs.state.events.listen(seen.append)

        def pause(k: int, value: str) -> None:
            seat = room.seat(k)
            api = sdk.ApiClient(host=rs.url).get_client_credentials_token(seat.client_id("supervisor"),
                                                                           seat.secrets["supervisor"])
            sdk.ConversationsApi(api).put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, value))

        pause(2, "PAUSED")
        assert [e.topic for e in seen] == _four(demo.AVA, QUEUE_A1)
        assert {e.org for e in seen} == {"seat-02"}
        del seen[:]
        rs.control.reset_seat(2)  # the seat's org rebuilt and swapped in: still listened
        pause(2, "PAUSED")
        pause(1, "PAUSED")
        assert [e.org for e in seen] == ["seat-02"] * 4 + ["seat-01"] * 4


def test_one_patch_changing_two_fields_publishes_the_final_state_once(sb, sdk, as_user, demo, events):
    body = sdk.MediaParticipantRequest()
    body.recording, body.held = True, True
    sdk.ConversationsApi(as_user(demo.AVA)).patch_conversations_call_participant(
        demo.UNRECORDED, demo.UNRECORDED_AGENT, body)
    assert [e.topic for e in events] == _four(demo.AVA, QUEUE_A2)
    agent = next(p for p in events[0].body["participants"] if p["id"] == demo.UNRECORDED_AGENT)
    assert (agent["held"], agent["recording"], agent["recordingState"]) == (True, True, "active")


def test_every_write_assumption_publishes_a_dates_only_change(sb, sdk, login, demo, events):
    sb.control.settings(assumptions={"eventDuplicates": "every"})
    rec = sdk.Recording()
    rec.delete_date = "2031-01-01T00:00:00.000Z"
    rid = sb.control.conversation(demo.ENDED)["recordingIds"][0]
    sdk.RecordingApi(login(*demo.INTEGRATION)).put_conversation_recording(demo.ENDED, rid, rec)
    assert [e.topic for e in events] == _four(demo.AVA, QUEUE_A1)  # the call's body did not change
    del events[:]
    sb.control.settings(assumptions={"eventDuplicates": "changed"})
    rec.delete_date = "2032-01-01T00:00:00.000Z"
    sdk.RecordingApi(login(*demo.INTEGRATION)).put_conversation_recording(demo.ENDED, rid, rec)
    assert events == []
