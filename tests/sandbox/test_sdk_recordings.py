"""Recordings: list (200 / 202 while transcoding, maxWaitMs), single, metadata, retention edits
and media download, through the unmodified SDK."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from .sdk_helpers import ISO_MS_Z, Raw, api_error, assert_success_headers, new_id, recording_state


def _ended_call(sb, seconds: float = 5) -> str:
    """A fresh recorded call that has just ended (the transcoding delay starts now)."""
    conv = sb.control.add_conversation(recording=True, startedSecondsAgo=seconds + 1)
    sb.control.disconnect(conv["id"])
    return conv["id"]


# --- list --------------------------------------------------------------------------------------


def test_list_of_an_ended_conversation(sdk, supervisor, recordings, demo):
    listed = recordings.get_conversation_recordings(demo.ENDED)
    assert_success_headers(supervisor, 200)
    assert isinstance(listed, list) and len(listed) == 1
    rec = listed[0]
    assert isinstance(rec, sdk.Recording)
    assert rec.conversation_id == demo.ENDED
    assert rec.file_state == "AVAILABLE"
    assert rec.media == "audio"
    assert rec.media_subtype == "Trunk"
    assert rec.recording_file_role == "CUSTOMER_EXPERIENCE"
    assert ISO_MS_Z.match(rec.start_time) and ISO_MS_Z.match(rec.end_time)  # plain strings in the SDK
    assert rec.output_duration_ms == 300000
    assert rec.media_uris and all(m.media_uri.startswith("http://") for m in rec.media_uris.values())
    assert rec.self_uri == f"/api/v2/conversations/{demo.ENDED}/recordings/{rec.id}"
    assert rec.max_allowed_restorations_for_org == rec.remaining_restorations_allowed_for_org == 10000
    assert rec.annotations == []


def test_list_format_none_has_no_media_uris(recordings, demo):
    rec = recordings.get_conversation_recordings(demo.ENDED, format_id="NONE")[0]
    assert rec.file_state == "AVAILABLE"
    assert rec.media_uris is None


def test_media_uri_downloads_a_wav(sb, recordings):
    cid = _ended_call(sb, seconds=2)
    sb.control.advance_clock(60)
    rec = recordings.get_conversation_recordings(cid, media_formats=["WAV"])[0]
    uri = next(iter(rec.media_uris.values())).media_uri
    assert uri.endswith(".wav")
    resp = Raw(sb.url).http.request("GET", uri)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "audio/wav"
    assert resp.data.startswith(b"RIFF") and resp.data[8:12] == b"WAVE"
    assert len(resp.data) == rec.output_size_in_bytes


def test_list_of_an_unrecorded_active_conversation_is_an_empty_200(supervisor, recordings, demo):
    assert recordings.get_conversation_recordings(demo.UNRECORDED, max_wait_ms=100) == []
    assert supervisor.last_response.status == 200


def test_list_of_an_active_call_waits_then_answers_202_without_body(supervisor, recordings, demo):
    started = time.monotonic()
    listed = recordings.get_conversation_recordings(demo.ACTIVE, max_wait_ms=300)
    waited = time.monotonic() - started
    assert listed == []  # the SDK's reading of an empty 202
    assert_success_headers(supervisor, 202)
    assert supervisor.last_response.data == ""
    assert waited >= 0.25  # it did wait for about maxWaitMs
    assert waited < 10


def test_max_wait_is_capped(sb, supervisor, recordings, demo):
    sb.control.settings(maxWaitCapMs=200)
    started = time.monotonic()
    assert recordings.get_conversation_recordings(demo.ACTIVE, max_wait_ms=600000) == []
    assert supervisor.last_response.status == 202
    assert time.monotonic() - started < 30  # nowhere near the ten minutes asked for


def test_transcoding_202_then_200_after_the_delay(sb, sdk, supervisor, recordings):
    sb.control.settings(transcodingDelaySeconds=600)
    cid = _ended_call(sb)
    assert recordings.get_conversation_recordings(cid, max_wait_ms=50) == []
    assert supervisor.last_response.status == 202
    rid = sb.control.conversation(cid)["recordingIds"][0]
    pending = recordings.get_conversation_recording(cid, rid)
    assert_success_headers(supervisor, 202)
    assert isinstance(pending, sdk.Recording)  # 202 *with* the Recording
    assert pending.id == rid
    assert pending.file_state == "UPLOADING"
    assert pending.media_uris is None
    assert pending.estimated_transcode_time_ms is not None
    sb.control.advance_clock(601)
    listed = recordings.get_conversation_recordings(cid, max_wait_ms=50)
    assert supervisor.last_response.status == 200
    assert [(r.id, r.file_state) for r in listed] == [(rid, "AVAILABLE")]
    assert listed[0].media_uris
    ready = recordings.get_conversation_recording(cid, rid)
    assert supervisor.last_response.status == 200
    assert ready.file_state == "AVAILABLE" and ready.media_uris


def test_list_waits_for_a_short_transcode_within_max_wait(sb, supervisor, recordings):
    sb.control.settings(transcodingDelaySeconds=0.3)
    cid = _ended_call(sb)
    listed = recordings.get_conversation_recordings(cid, max_wait_ms=5000)
    assert supervisor.last_response.status == 200
    assert [r.file_state for r in listed] == ["AVAILABLE"]


def test_list_errors(sdk, login, recordings, demo):
    api_error(lambda: recordings.get_conversation_recordings(new_id()), 404, "conversation.not.found")
    api_error(lambda: recordings.get_conversation_recordings(demo.ENDED, max_wait_ms=0), 400, "invalid.value")
    api_error(lambda: recordings.get_conversation_recordings(demo.ENDED, format_id="FLAC"), 400, "invalid.value")
    nothing = sdk.RecordingApi(login(*demo.NOTHING))
    body = api_error(lambda: nothing.get_conversation_recordings(demo.ENDED), 403, "missing.any.permissions")
    assert "recording:recording:view" in body["message"]


# --- single recording and metadata -------------------------------------------------------------


def test_single_recording_matches_the_list(supervisor, recordings, demo):
    listed = recordings.get_conversation_recordings(demo.ENDED)[0]
    single = recordings.get_conversation_recording(demo.ENDED, listed.id)
    assert supervisor.last_response.status == 200
    assert single.to_dict() == listed.to_dict()


def test_single_recording_of_an_active_call_is_202_uploading(supervisor, recordings, demo, sb):
    rid = sb.control.conversation(demo.ACTIVE)["recordingIds"][0]
    rec = recordings.get_conversation_recording(demo.ACTIVE, rid)
    assert supervisor.last_response.status == 202
    assert rec.file_state == "UPLOADING"
    assert rec.end_time is None


def test_unknown_recording_is_not_found(sdk, recordings, demo):
    api_error(lambda: recordings.get_conversation_recording(demo.ENDED, new_id()), 404, "not.found")
    api_error(lambda: recordings.get_conversation_recording(new_id(), new_id()), 404, "not.found")
    api_error(lambda: recordings.get_conversation_recordingmetadata_recording_id(demo.ENDED, new_id()),
              404, "not.found")
    api_error(lambda: recordings.get_conversation_recordingmetadata(new_id()), 404, "not.found")
    body = sdk.Recording()
    body.delete_date = datetime(2031, 1, 1, tzinfo=timezone.utc)
    api_error(lambda: recordings.put_conversation_recording(demo.ENDED, new_id(), body), 404, "not.found")


def test_metadata_list_and_single(sb, sdk, supervisor, recordings, demo):
    meta = recordings.get_conversation_recordingmetadata(demo.ENDED)
    assert_success_headers(supervisor, 200)
    assert len(meta) == 1
    m = meta[0]
    assert isinstance(m, sdk.RecordingMetadata)
    assert not hasattr(m, "media_uris")
    assert "mediaUris" not in supervisor.last_response.data
    assert m.region == "us-east-1"
    assert m.conversation_id == demo.ENDED
    assert m.file_state == "AVAILABLE"
    assert m.annotations == []
    single = recordings.get_conversation_recordingmetadata_recording_id(demo.ENDED, m.id)
    assert single.to_dict() == m.to_dict()
    assert single.self_uri == f"/api/v2/conversations/{demo.ENDED}/recordingmetadata/{m.id}"
    sb.control.settings(region="eu-west-1")
    assert recordings.get_conversation_recordingmetadata(demo.ENDED)[0].region == "eu-west-1"


def test_metadata_of_an_active_call_answers_at_once(supervisor, recordings, demo):
    meta = recordings.get_conversation_recordingmetadata(demo.ACTIVE)
    assert supervisor.last_response.status == 200
    assert [m.file_state for m in meta] == ["UPLOADING"]


# --- retention edits ---------------------------------------------------------------------------


def test_put_changes_retention_dates_only(sb, sdk, supervisor, recordings, demo):
    rid = recordings.get_conversation_recordings(demo.ENDED)[0].id
    body = sdk.Recording()
    body.archive_date = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    body.delete_date = datetime(2031, 6, 7, tzinfo=timezone.utc)
    body.file_state = "DELETED"  # ignored
    body.media = "screen"  # ignored
    body.name = "renamed"  # ignored
    updated = recordings.put_conversation_recording(demo.ENDED, rid, body)
    assert_success_headers(supervisor, 200)
    assert updated.archive_date == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert updated.delete_date == datetime(2031, 6, 7, tzinfo=timezone.utc)
    assert updated.archive_medium == "CLOUDARCHIVE"
    assert (updated.file_state, updated.media, updated.name) == ("AVAILABLE", "audio", None)
    again = recordings.get_conversation_recording(demo.ENDED, rid)
    assert again.archive_date == updated.archive_date and again.delete_date == updated.delete_date
    assert again.file_state == "AVAILABLE"


def test_put_accepts_naive_datetimes_and_clear_export(sdk, recordings, demo):
    rid = recordings.get_conversation_recordings(demo.ENDED)[0].id
    body = sdk.Recording()
    body.export_date = datetime(2030, 5, 5, 12, 0, 0)  # the SDK sends it without an offset
    assert sdk.ApiClient().sanitize_for_serialization(body) == {"exportDate": "2030-05-05T12:00:00"}
    updated = recordings.put_conversation_recording(demo.ENDED, rid, body)
    assert updated.export_date == datetime(2030, 5, 5, 12, 0, 0, tzinfo=timezone.utc)
    cleared = recordings.put_conversation_recording(demo.ENDED, rid, sdk.Recording(), clear_export=True)
    assert cleared.export_date is None


def test_put_never_touches_the_recording_state(sb, sdk, supervisor, recordings, demo):
    conversations = sdk.ConversationsApi(supervisor)
    conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED"))
    rid = sb.control.conversation(demo.ACTIVE)["recordingIds"][0]
    body = sdk.Recording()
    body.delete_date = datetime.now(timezone.utc) + timedelta(days=90)
    recordings.put_conversation_recording(demo.ACTIVE, rid, body)
    conv = conversations.get_conversation(demo.ACTIVE)
    assert (conv.recording_state, conv.secure_pause) == ("PAUSED", True)


def test_put_with_an_invented_status_is_ignored_on_the_wire(sb, supervisor, demo):
    rid = sb.control.conversation(demo.ACTIVE)["recordingIds"][0]
    raw = Raw(sb.url)
    resp = raw.request("PUT", f"/api/v2/conversations/{demo.ACTIVE}/recordings/{rid}", supervisor.access_token,
                       {"status": "paused", "recordingState": "PAUSED", "deleteDate": "2031-01-01T00:00:00.000Z"})
    assert resp.status == 200
    body = raw.json(resp)
    assert body["deleteDate"] == "2031-01-01T00:00:00.000Z"
    assert "status" not in body
    assert sb.control.conversation(demo.ACTIVE)["recordingState"] == "ACTIVE"


def test_put_invalid_date_is_invalid_date(sb, supervisor, demo):
    rid = sb.control.conversation(demo.ENDED)["recordingIds"][0]
    raw = Raw(sb.url)
    resp = raw.request("PUT", f"/api/v2/conversations/{demo.ENDED}/recordings/{rid}", supervisor.access_token,
                       {"archiveDate": "next tuesday"})
    assert resp.status == 400
    body = raw.json(resp)
    assert body["code"] == "invalid.date"
    assert body["message"] == "Dates must be specified as ISO-8601 strings. For example: yyyy-MM-ddTHH:mm:ss.SSSZ"
    assert resp.headers["inin-correlation-id"] == body["contextId"]


def test_put_with_wrong_content_type_is_415(sb, supervisor, demo):
    rid = sb.control.conversation(demo.ENDED)["recordingIds"][0]
    resp = Raw(sb.url).request("PUT", f"/api/v2/conversations/{demo.ENDED}/recordings/{rid}", supervisor.access_token,
                               b"deleteDate=2031-01-01", headers={"Content-Type": "text/plain"})
    assert resp.status == 415
    assert Raw.json(resp)["code"] == "unsupported.media.type"


def test_put_without_edit_retention_is_missing_permissions(sdk, login, recordings, demo):
    readonly = sdk.RecordingApi(login(*demo.READONLY))
    rid = recordings.get_conversation_recordings(demo.ENDED)[0].id
    body = sdk.Recording()
    body.delete_date = datetime(2031, 1, 1, tzinfo=timezone.utc)
    err = api_error(lambda: readonly.put_conversation_recording(demo.ENDED, rid, body), 403, "missing.permissions")
    assert "recording:recording:editRetention" in err["message"]
    assert recordings.get_conversation_recording(demo.ENDED, rid).delete_date is None
    # with nothing to change, view is enough
    assert readonly.put_conversation_recording(demo.ENDED, rid, sdk.Recording()).id == rid


def test_put_without_any_recording_permission(sdk, login, recordings, demo):
    nothing = sdk.RecordingApi(login(*demo.NOTHING))
    rid = recordings.get_conversation_recordings(demo.ENDED)[0].id
    api_error(lambda: nothing.put_conversation_recording(demo.ENDED, rid, sdk.Recording()),
              403, "missing.any.permissions")


def test_email_conversation_recording_is_email_media(sb, recordings, demo):
    meta = recordings.get_conversation_recordingmetadata(demo.EMAIL)
    assert [(m.media, m.media_subtype) for m in meta] == [("email", None)]
    sb.control.disconnect(demo.EMAIL)
    sb.control.advance_clock(60)
    rec = recordings.get_conversation_recordings(demo.EMAIL)[0]
    assert (rec.media, rec.media_subtype, rec.recording_file_role) == ("email", None, "CUSTOMER_EXPERIENCE")


def test_list_unready_assumption_lists_uploading_recordings_at_once(sb, supervisor, recordings, demo):
    sb.control.settings(assumptions={"recordingsWhileActive": "listUnready"})
    started = time.monotonic()
    listed = recordings.get_conversation_recordings(demo.ACTIVE, max_wait_ms=3000)
    assert supervisor.last_response.status == 200
    assert time.monotonic() - started < 2.5  # no wait
    assert [(r.file_state, r.media_uris) for r in listed] == [("UPLOADING", None)]
