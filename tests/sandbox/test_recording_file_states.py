"""ARCHIVED and DELETED recordings (control plane, conversation spec, seeds): /recordings,
/recordingmetadata, the batch download and the media host agree, through the real SDK."""

from __future__ import annotations

import pytest

from recops.sandbox.control_client import SandboxControlError

from .http_helpers import request
from .test_batch_download import completed, ended_call, submission


def batch(sb, sdk, api, *conversation_ids: str) -> dict:
    """recordingId (or conversationId for an item-level error) -> its batch result."""
    job = api.post_recording_batchrequests(submission(sdk, *conversation_ids))
    return {r.recording_id or r.conversation_id: r for r in completed(sb, api, job.id).results}


@pytest.mark.parametrize("state, date_field, message", [
    ("ARCHIVED", "archive_date", "Recording is archived and cannot be downloaded"),
    ("DELETED", "delete_date", "Recording has been deleted"),
])
def test_marked_recording_agrees_everywhere(sb, sdk, supervisor, recordings, state, date_field, message):
    conv = ended_call(sb, adhoc=True)
    marked, other = conv["recordingIds"]
    sb.control.set_file_state(conv["id"], marked, state)
    listed = {r.id: r for r in recordings.get_conversation_recordings(conv["id"])}
    assert supervisor.last_response.status == 200
    assert listed[marked].file_state == state and listed[other].file_state == "AVAILABLE"
    assert listed[marked].media_uris is None and listed[other].media_uris
    assert getattr(listed[marked], date_field)
    if state == "ARCHIVED":
        assert listed[marked].archive_medium == "CLOUDARCHIVE"
    one = recordings.get_conversation_recording(conv["id"], marked)
    assert supervisor.last_response.status == 200 and one.file_state == state
    meta = {m.id: m.file_state for m in recordings.get_conversation_recordingmetadata(conv["id"])}
    assert meta == {marked: state, other: "AVAILABLE"}
    results = batch(sb, sdk, recordings, conv["id"])
    assert results[marked].error_msg == message and results[marked].result_url is None
    assert results[other].result_url and results[other].error_msg is None
    # AVAILABLE undoes the mark
    sb.control.set_file_state(conv["id"], marked, "AVAILABLE")
    assert recordings.get_conversation_recording(conv["id"], marked).file_state == "AVAILABLE"
    assert batch(sb, sdk, recordings, conv["id"])[marked].result_url


def test_a_link_issued_before_the_recording_was_deleted_is_404_no_such_key(sb, sdk, recordings):
    conv = ended_call(sb)
    rid = conv["recordingIds"][0]
    url = batch(sb, sdk, recordings, conv["id"])[rid].result_url
    assert request("GET", url).status == 200
    sb.control.set_file_state(conv["id"], rid, "DELETED")
    r = request("GET", url)
    assert r.status == 404 and b"<Code>NoSuchKey</Code>" in r.raw


def test_file_state_in_the_conversation_spec(sb, sdk, recordings):
    conv = sb.control.add_conversation(recording=True, startedSecondsAgo=120, ended=True, durationSeconds=60,
                                       fileState="ARCHIVED")
    sb.control.advance_clock(10)
    assert [m.file_state for m in recordings.get_conversation_recordingmetadata(conv["id"])] == ["ARCHIVED"]
    rid = sb.control.conversation(conv["id"])["recordingIds"][0]
    assert batch(sb, sdk, recordings, conv["id"])[rid].error_msg.startswith("Recording is archived")
    for bad in ("RESTORING", "archived", 3):  # UPLOADING is settable: a stuck transcode (issue 19)
        with pytest.raises(SandboxControlError) as e:
            sb.control.add_conversation(recording=True, fileState=bad)
        assert e.value.status == 400 and "fileState" in str(e.value)


def test_control_endpoint_checks_its_input(sb, demo):
    rid = sb.control.conversation(demo.ENDED)["recordingIds"][0]
    for body in ({"fileState": "RESTORING"}, {"fileState": "ARCHIVED", "x": 1}, {}):
        with pytest.raises(SandboxControlError) as e:
            sb.control.call("PATCH", f"conversations/{demo.ENDED}/recordings/{rid}", body)
        assert e.value.status == 400
    with pytest.raises(SandboxControlError) as e:
        sb.control.set_file_state(demo.ENDED, "nope", "ARCHIVED")
    assert e.value.status == 404


def test_seed_shares_of_archived_and_deleted_recordings(sb, sdk, login, demo):
    sb.control.seed(org="other-org", count=40, seed=11, recordedRatio=1.0, archivedRatio=0.3, deletedRatio=0.2)
    api = sdk.RecordingApi(login(*demo.OTHER_ORG))
    convs = [c for c in sb.control.conversations(org="other-org") if c["id"] != demo.OTHER_ORG_CONV]
    assert len(convs) == 40
    meta = {m.id: m.file_state for c in convs for m in api.get_conversation_recordingmetadata(c["id"])}
    states = sorted(set(meta.values()))
    assert states == ["ARCHIVED", "AVAILABLE", "DELETED"]
    results = batch(sb, sdk, api, *[c["id"] for c in convs])
    assert set(results) == set(meta)
    for rid, state in meta.items():
        assert (results[rid].result_url is not None) == (state == "AVAILABLE"), (rid, state)
    listed = {r.id: r.file_state for c in convs[:10] for r in api.get_conversation_recordings(c["id"])}
    assert all(meta[rid] == state for rid, state in listed.items())


def test_file_state_ratios_leave_the_seed_otherwise_unchanged(sb):
    plain = sb.control.seed(org="org-a", count=20, seed=5)
    marked = sb.control.seed(org="org-b", count=20, seed=5, archivedRatio=0.5, deletedRatio=0.5)
    assert (plain["firstId"], plain["lastId"], plain["agentIds"]) == \
        (marked["firstId"], marked["lastId"], marked["agentIds"])
    with pytest.raises(SandboxControlError) as e:
        sb.control.seed(count=5, archivedRatio=0.7, deletedRatio=0.4)
    assert e.value.status == 400 and "at most 1" in str(e.value)


def test_generated_history_marks_its_recordings_too(sb, sdk, recordings):
    seeded = sb.control.seed(generated=True, count=30, seed=3, recordedRatio=1.0, archivedRatio=1.0)
    meta = recordings.get_conversation_recordingmetadata(seeded["firstId"])
    assert meta and all(m.file_state == "ARCHIVED" and m.archive_date for m in meta)
    results = batch(sb, sdk, recordings, seeded["firstId"])
    assert all(r.error_msg and r.error_msg.startswith("Recording is archived") for r in results.values())
