"""Writes to a conversation of a generated history are never answered 200 and then dropped:
the one write that can succeed on those ended calls (a retention edit, a control-plane file
mark) materialises the conversation, which then behaves like a seeded one and stays the one
copy in the sync query and the details jobs; every other write is refused as on any ended
call, and materialises nothing. Through the unmodified SDK and the control plane."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from recops.sandbox.control_client import SandboxControlError

from .sdk_helpers import api_error, interval, participant_request, recording_state, utc_midnight
from .test_sdk_jobs import fetch_all, job_query, no_delay, submit

DELETE_AT = datetime(2031, 6, 7, tzinfo=timezone.utc)


@pytest.fixture
def generated(sb):
    """A generated history, every conversation recorded, over two days three weeks ago; the
    seed's answer plus the interval."""
    when = interval(utc_midnight(22), utc_midnight(20))
    seeded = sb.control.seed(count=2000, seed=11, interval=when, generated=True, recordedRatio=1.0)
    return {**seeded, "interval": when}


def _materialised(sb) -> int:
    return len(sb.control.conversations(limit=1_000_000))


def _retention(sdk, archive=None, delete=None):
    body = sdk.Recording()
    body.archive_date = archive
    body.delete_date = delete
    return body


def test_a_retention_edit_is_kept_and_read_back_everywhere(sb, sdk, supervisor, generated):
    recordings = sdk.RecordingApi(supervisor)
    analytics = sdk.AnalyticsApi(supervisor)
    cid = generated["firstId"]
    before = analytics.get_analytics_conversation_details(cid).to_dict()
    (rec,) = recordings.get_conversation_recordings(cid)
    assert rec.delete_date is None
    count = _materialised(sb)

    updated = recordings.put_conversation_recording(cid, rec.id, _retention(sdk, delete=DELETE_AT))
    assert supervisor.last_response.status == 200 and updated.delete_date == DELETE_AT
    # the next reads show the write: the recording, its list, its metadata
    assert recordings.get_conversation_recording(cid, rec.id).delete_date == DELETE_AT
    assert recordings.get_conversation_recordings(cid)[0].delete_date == DELETE_AT
    assert recordings.get_conversation_recordingmetadata_recording_id(cid, rec.id).delete_date == DELETE_AT
    assert _materialised(sb) == count + 1  # it is an ordinary (materialised) conversation now
    # a second edit builds on the first (the same copy, not a fresh build)
    recordings.put_conversation_recording(cid, rec.id, _retention(sdk, archive=DELETE_AT))
    again = recordings.get_conversation_recording(cid, rec.id)
    assert (again.archive_date, again.delete_date) == (DELETE_AT, DELETE_AT)
    # analytics: the same record, once
    assert analytics.get_analytics_conversation_details(cid).to_dict() == before
    q = sdk.ConversationQuery()
    q.interval = generated["interval"]
    q.paging = sdk.PagingSpec()
    q.paging.page_size = 100
    q.paging.page_number = 1
    first_page = analytics.post_analytics_conversations_details_query(q)
    assert first_page.total_hits == 2000
    assert [c.conversation_id for c in first_page.conversations].count(cid) == 1


def test_a_details_job_lists_the_materialised_conversation_once_with_its_attributes(sb, sdk, supervisor, generated):
    no_delay(sb)
    analytics = sdk.AnalyticsApi(supervisor)
    cid = generated["firstId"]
    (rec,) = sdk.RecordingApi(supervisor).get_conversation_recordings(cid)
    sdk.RecordingApi(supervisor).put_conversation_recording(cid, rec.id, _retention(sdk, delete=DELETE_AT))
    convs, _ = fetch_all(analytics, submit(analytics, job_query(sdk, generated["interval"])), page_size=1000)
    ids = [c.conversation_id for c in convs]
    assert len(ids) == len(set(ids)) == 2000
    assert ids[0] == cid  # still in start order
    customer = next(p for p in convs[0].participants if p.purpose == "customer")
    assert set(customer.attributes) == {"customerTier", "caseRef"}  # as before the write


def test_every_other_write_is_refused_as_on_any_ended_call_and_materialises_nothing(
        sb, sdk, login, demo, as_user, generated):
    conversations = sdk.ConversationsApi(login(*demo.INTEGRATION))  # holds every permission
    cid = generated["firstId"]
    conv = conversations.get_conversation(cid)
    count = _materialised(sb)
    agent = next(p for p in conv.participants if p.purpose == "agent")
    api_error(lambda: conversations.put_conversations_call_recordingstate(cid, recording_state(sdk, "PAUSED")),
              400, "conversation.error.call.disconnected")
    api_error(lambda: conversations.patch_conversation_recordingstate(cid, recording_state(sdk, "PAUSED")),
              400, "conversation.error.call.disconnected")
    api_error(lambda: conversations.patch_conversation_participant(cid, agent.id, participant_request(sdk, True)),
              400, "conversation.error.participant.no.active.conversations")
    as_agent = sdk.ConversationsApi(as_user(agent.user_id))
    api_error(lambda: as_agent.patch_conversations_call_participant(cid, agent.id, participant_request(sdk, True)),
              400, "conversation.error.call.disconnected")
    body = sdk.Conversation()
    body.recording_state = "PAUSED"
    api_error(lambda: as_agent.patch_conversations_call(cid, body), 400, "conversation.error.call.disconnected")
    assert _materialised(sb) == count
    assert conversations.get_conversation(cid).to_dict() == conv.to_dict()


def test_the_control_plane_finds_marks_and_keeps_a_generated_conversation(sb, sdk, supervisor, generated):
    cid = generated["lastId"]
    summary = sb.control.conversation(cid)
    assert summary["id"] == cid and summary["ended"] is True
    rid = summary["recordingIds"][0]
    marked = sb.control.call("PATCH", f"conversations/{cid}/recordings/{rid}", {"fileState": "ARCHIVED"})
    assert marked["id"] == cid
    assert sdk.RecordingApi(supervisor).get_conversation_recording(cid, rid).file_state == "ARCHIVED"
    with pytest.raises(SandboxControlError) as e:  # an ended call: a conflict, as for a seeded one
        sb.control.disconnect(cid)
    assert e.value.status == 409 and e.value.body["code"] == "sandbox.conflict"
    assert sdk.RecordingApi(supervisor).get_conversation_recording(cid, rid).file_state == "ARCHIVED"
