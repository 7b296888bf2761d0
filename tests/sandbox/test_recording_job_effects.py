"""What executing a recording job does to the recordings, through the unmodified SDK against a real
sandbox: DELETE sets the delete date and the recording is DELETED once it passes (protected
conversations skipped, and protection holding off a delete date), ARCHIVE makes it ARCHIVED (media no
longer served), EXPORT writes the files and their metadata in the documented bucket layout under the
control plane's folder without following a planted link, the restore path of an archived recording,
and a job over a generated history that materialises nothing."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from .recording_job_helpers import job_query, ready, recorded_calls, run_to_end
from .sdk_helpers import api_error, interval, utc_midnight


@pytest.fixture
def jobs(sdk, login, demo):
    return sdk.RecordingApi(login(*demo.INTEGRATION))


def _now(sb) -> datetime:
    """The sandbox clock, to the second (the dates sent are whole seconds)."""
    return datetime.fromisoformat(sb.control.call("GET", "clock")["now"].replace("Z", "+00:00")).replace(microsecond=0)


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _protect(sdk, api, ids, on=True):
    query = sdk.ConversationDeletionProtectionQuery()
    query.conversation_ids = list(ids)
    api.put_recordings_deletionprotection(protect=on, body=query)


def _states(jobs, convs) -> dict[str, str]:
    return {r.id: r.file_state for c in convs for r in jobs.get_conversation_recordings(c["id"])}


def test_delete_sets_the_date_and_the_recording_is_deleted_when_it_passes(sb, sdk, jobs):
    convs, when = recorded_calls(sb, 4, adhoc=True)
    held = convs[0]
    _protect(sdk, jobs, [held["id"]])
    at = _now(sb) + timedelta(hours=1)
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action_date=_iso(at))).id)
    assert (job.total_conversations, job.total_recordings, job.total_skipped_recordings) == (4, 8, 2)
    done = run_to_end(sb, sdk, jobs, job.id)
    assert (done.state, done.total_skipped_recordings, done.total_failed_recordings) == ("FULFILLED", 2, 0)
    for conv in convs:
        for rec in jobs.get_conversation_recordings(conv["id"]):
            assert rec.file_state == "AVAILABLE"
            assert rec.delete_date == (None if conv is held else at)
    sb.control.advance_clock(3601)
    states = _states(jobs, convs)
    assert {states[r] for r in held["recordingIds"]} == {"AVAILABLE"}  # protected: skipped
    gone = [r for c in convs[1:] for r in c["recordingIds"]]
    assert {states[r] for r in gone} == {"DELETED"}
    one = jobs.get_conversation_recording(convs[1]["id"], gone[0])
    assert one.media_uris is None and one.file_state == "DELETED"
    # a batch download of a deleted recording says so
    item = sdk.BatchDownloadRequest()
    item.conversation_id, item.recording_id = convs[1]["id"], gone[0]
    body = sdk.BatchDownloadJobSubmission()
    body.batch_download_request_list = [item]
    batch = jobs.post_recording_batchrequests(body)
    sb.control.advance_clock(5)
    result = jobs.get_recording_batchrequest(batch.id).results[0]
    assert result.error_msg == "Recording has been deleted" and result.result_url is None


def test_action_age_counts_from_each_recordings_creation(sb, sdk, jobs):
    convs, when = recorded_calls(sb, 2)
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action="ARCHIVE", action_age=30)).id)
    assert run_to_end(sb, sdk, jobs, job.id).state == "FULFILLED"
    for conv in convs:
        rec = jobs.get_conversation_recordings(conv["id"])[0]
        created = datetime.fromisoformat(conv["startTime"].replace("Z", "+00:00"))
        assert rec.archive_date == created + timedelta(days=30)
        assert rec.file_state == "AVAILABLE"  # 12 days old: 18 days to go


def test_protection_holds_off_a_delete_date_until_revoked(sb, sdk, jobs):
    convs, _ = recorded_calls(sb, 1)
    cid, rid = convs[0]["id"], convs[0]["recordingIds"][0]
    body = sdk.Recording()
    body.delete_date = _iso(_now(sb) + timedelta(minutes=5))
    jobs.put_conversation_recording(cid, rid, body)
    _protect(sdk, jobs, [cid])
    sb.control.advance_clock(600)
    assert jobs.get_conversation_recording(cid, rid).file_state == "AVAILABLE"
    _protect(sdk, jobs, [cid], on=False)
    assert jobs.get_conversation_recording(cid, rid).file_state == "DELETED"


def test_archive_makes_recordings_archived_and_their_media_is_not_served(sb, sdk, jobs):
    convs, when = recorded_calls(sb, 2)
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action="ARCHIVE",
                                                             action_date=_iso(_now(sb)))).id)
    assert run_to_end(sb, sdk, jobs, job.id).state == "FULFILLED"
    for conv in convs:
        rec = jobs.get_conversation_recordings(conv["id"])[0]
        assert rec.file_state == "ARCHIVED" and rec.media_uris is None and rec.archive_date
    # archiving again: already applied, so skipped
    again = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action="ARCHIVE",
                                                               action_date=_iso(_now(sb)))).id)
    assert again.total_skipped_recordings == 2


def test_an_archived_recording_is_restored_until_its_new_archive_date(sb, sdk, login, jobs):
    convs, _ = recorded_calls(sb, 1)
    cid, rid = convs[0]["id"], convs[0]["recordingIds"][0]
    sb.control.set_file_state(cid, rid, "ARCHIVED")
    until = _now(sb) + timedelta(hours=2)
    body = sdk.Recording()
    body.archive_date = _iso(until)
    editor = sb.control.add_client(["recording:recording:view", "recording:recording:editRetention"])
    no_restore = sdk.RecordingApi(login(editor["clientId"], editor["clientSecret"]))
    err = api_error(lambda: no_restore.put_conversation_recording(cid, rid, body), 403, "missing.permissions")
    assert "recording:recording:restore" in err["message"]
    past = sdk.Recording()
    past.archive_date = _iso(_now(sb) - timedelta(hours=1))
    api_error(lambda: jobs.put_conversation_recording(cid, rid, past), 400, "bad.request")
    restoring = jobs.put_conversation_recording(cid, rid, body)
    assert restoring.file_state == "RESTORING" and restoring.restore_expiration_time == until
    assert restoring.media_uris is None
    sb.control.advance_clock(sb.control.settings()["restoreSeconds"])
    restored = jobs.get_conversation_recording(cid, rid)
    assert restored.file_state == "RESTORED" and restored.restore_expiration_time == until
    assert restored.archive_date == until
    sb.control.advance_clock(2 * 3600)
    assert jobs.get_conversation_recording(cid, rid).file_state == "ARCHIVED"


def _export_files(root, org, conv) -> tuple[str, list[str]]:
    start = datetime.fromisoformat(conv["startTime"].replace("Z", "+00:00")).astimezone(timezone.utc)
    folder = os.path.join(root, org, f"year={start.year}", f"month={start.month}", f"day={start.day}",
                          f"hour={start.hour}", f"conversation_id={conv['id']}")
    return folder, sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_export_writes_files_and_metadata_in_the_bucket_layout(sb, sdk, jobs, tmp_path):
    convs, when = recorded_calls(sb, 2, adhoc=True)
    bucket = tmp_path / "bucket"
    sb.control.settings(exportFolder=str(bucket))
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action="EXPORT", integration_id="s3")).id)
    done = run_to_end(sb, sdk, jobs, job.id)
    assert (done.state, done.total_recordings, done.total_failed_recordings) == ("FULFILLED", 4, 0)
    for conv in convs:
        folder, names = _export_files(bucket, "sandbox-org", conv)
        assert names == sorted([f"{r}.wav" for r in conv["recordingIds"]] +
                               [f"{r}_metadata.json" for r in conv["recordingIds"]])
        for rid in conv["recordingIds"]:
            with open(os.path.join(folder, f"{rid}.wav"), "rb") as f:
                assert f.read() == sb.control.media(conv["id"], rid)
            with open(os.path.join(folder, f"{rid}_metadata.json")) as f:
                meta = json.load(f)
            assert (meta["conversationId"], meta["recordingId"], meta["mediaType"]) == (conv["id"], rid, "Call")
            assert meta["organizationId"] == "sandbox-org" and isinstance(meta["userIds"], list)
            assert jobs.get_conversation_recording(conv["id"], rid).export_date is not None


def test_export_never_follows_a_link_planted_in_the_bucket(sb, sdk, jobs, tmp_path):
    convs, when = recorded_calls(sb, 2)
    bucket, elsewhere = tmp_path / "bucket", tmp_path / "elsewhere"
    elsewhere.mkdir()
    sb.control.settings(exportFolder=str(bucket))
    trapped, open_one = convs
    folder, _ = _export_files(bucket, "sandbox-org", trapped)
    os.makedirs(os.path.dirname(folder))
    os.symlink(elsewhere, folder)  # conversation_id=… is a link to another folder
    folder2, _ = _export_files(bucket, "sandbox-org", open_one)
    if not os.path.isdir(folder2):
        os.makedirs(folder2)
    rid2 = open_one["recordingIds"][0]
    victim = tmp_path / "victim.wav"
    victim.write_bytes(b"keep me")
    os.symlink(victim, os.path.join(folder2, f"{rid2}.wav"))  # the file's own name is a link
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action="EXPORT", integration_id="s3")).id)
    done = run_to_end(sb, sdk, jobs, job.id)
    assert (done.state, done.total_failed_recordings) == ("FULFILLED", 1)
    failed = jobs.get_recording_job_failedrecordings(job.id).entities
    assert [(f.conversation.id, f.recording.id) for f in failed] == [(trapped["id"], trapped["recordingIds"][0])]
    assert list(elsewhere.iterdir()) == []  # nothing written through the folder link
    assert victim.read_bytes() == b"keep me"  # the file link was replaced, not written through
    assert not os.path.islink(os.path.join(folder2, f"{rid2}.wav"))


def test_export_without_a_folder_fails_each_recording(sb, sdk, jobs):
    convs, when = recorded_calls(sb, 2)
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action="EXPORT", integration_id="s3")).id)
    done = run_to_end(sb, sdk, jobs, job.id)
    assert (done.state, done.total_failed_recordings, done.total_processed_recordings) == ("FULFILLED", 2, 2)
    assert all(jobs.get_conversation_recordings(c["id"])[0].export_date is None for c in convs)


def test_a_delete_job_over_a_generated_history(sb, sdk, jobs):
    when = interval(utc_midnight(20), utc_midnight(19))
    sb.control.seed(count=500, seed=3, interval=when, generated=True, recordedRatio=1.0, adhocRatio=0.0,
                    deletedRatio=0.1)
    held_before = len(sb.control.conversations(limit=100000))
    analytics = sdk.ConversationsApi(jobs.api_client)
    first = analytics.post_analytics_conversations_details_query(_details(sdk, when)).conversations
    protected = [c.conversation_id for c in first[:3]]
    _protect(sdk, jobs, protected)
    at = _now(sb) + timedelta(hours=1)
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action_date=_iso(at))).id)
    assert (job.total_conversations, job.total_recordings) == (500, 500)
    assert 3 + 25 <= job.total_skipped_recordings <= 3 + 80  # protected + the seeded DELETED share
    predicted = job.total_skipped_recordings
    done = run_to_end(sb, sdk, jobs, job.id)
    assert (done.state, done.total_skipped_recordings, done.total_failed_recordings) == ("FULFILLED", predicted, 0)
    sb.control.advance_clock(3601)
    for conv in first[:10]:
        rec = jobs.get_conversation_recordings(conv.conversation_id)[0]
        if conv.conversation_id in protected:
            assert rec.file_state == "AVAILABLE" and rec.delete_date is None
        else:
            assert rec.file_state == "DELETED"
            assert rec.delete_date == at or rec.delete_date < at  # a seeded DELETED keeps its own date
    assert len(sb.control.conversations(limit=100000)) == held_before  # nothing was materialised


def _details(sdk, when):
    body = sdk.ConversationQuery()
    body.interval = when
    paging = sdk.PagingSpec()
    paging.page_size, paging.page_number = 20, 1
    body.paging = paging
    return body


def test_a_second_job_sees_what_the_first_did_to_a_generated_history(sb, sdk, jobs):
    when = interval(utc_midnight(18), utc_midnight(17))
    sb.control.seed(count=200, seed=4, interval=when, generated=True, recordedRatio=1.0, adhocRatio=0.0)
    archive = job_query(sdk, when, action="ARCHIVE", action_date=_iso(_now(sb)))
    first = ready(sb, jobs, jobs.post_recording_jobs(archive).id)
    assert (first.total_recordings, first.total_skipped_recordings) == (200, 0)
    assert run_to_end(sb, sdk, jobs, first.id).state == "FULFILLED"
    again = ready(sb, jobs, jobs.post_recording_jobs(archive).id)
    assert (again.total_recordings, again.total_skipped_recordings) == (200, 200)  # already ARCHIVED
    done = run_to_end(sb, sdk, jobs, again.id)
    assert (done.total_skipped_recordings, done.total_failed_recordings) == (200, 0)
    export = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when, action="EXPORT", integration_id="s3")).id)
    done = run_to_end(sb, sdk, jobs, export.id)
    assert done.total_failed_recordings == 200  # archived media cannot be exported (recordingJobUnavailable)
