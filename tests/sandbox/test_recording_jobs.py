"""Recording bulk jobs (``/api/v2/recording/jobs``) through the unmodified SDK's RecordingApi against
a real sandbox over loopback: the six operations, the state machine on the sandbox clock (PENDING →
READY with counts → PUT → PROCESSING with progress → FULFILLED; DELETE → CANCELLED; FAILED from the
control plane), and every refusal: the two-job cap, the wrong executor, a bad state, a missing
permission (each operation), a bad query; the listing's filters and paging, failedrecordings paging."""

from __future__ import annotations

import pytest

from recops.sandbox.control_client import SandboxControlError

from .recording_job_helpers import (
    JOB_PERMISSIONS,
    execute_body,
    job_query,
    quiet_interval,
    ready,
    recorded_calls,
    run_to_end,
)
from .sdk_helpers import api_error, interval, utc_midnight


@pytest.fixture
def jobs(sdk, login, demo):
    """The demo integration client (recording:*:*) as a RecordingApi."""
    return sdk.RecordingApi(login(*demo.INTEGRATION))


def _api_with(sb, sdk, login, permissions):
    client = sb.control.add_client(list(permissions))
    return sdk.RecordingApi(login(client["clientId"], client["clientSecret"]))


def test_the_life_of_a_delete_job(sb, sdk, jobs):
    _, when = recorded_calls(sb, 3, adhoc=True)  # 3 conversations, 2 recordings each
    job = jobs.post_recording_jobs(job_query(sdk, when))
    assert jobs.api_client.last_response.status == 202
    assert isinstance(job, sdk.RecordingJob) and job.state == "PENDING"
    assert job.total_recordings is None and job.self_uri == f"/api/v2/recording/jobs/{job.id}"
    assert job.recording_jobs_query.action == "DELETE" and job.recording_jobs_query.conversation_query.interval == when
    assert jobs.get_recording_job(job.id).state == "PENDING"
    job = ready(sb, jobs, job.id)
    assert job.state == "READY"
    assert (job.total_conversations, job.total_recordings) == (3, 6)
    assert (job.total_skipped_recordings, job.total_failed_recordings, job.total_processed_recordings,
            job.percent_progress) == (0, 0, 0, 0)
    sb.control.settings(recordingJobRecordingsPerSecond=1)  # 2 s a conversation
    started = jobs.put_recording_job(job.id, execute_body(sdk))
    assert started.state == "PROCESSING" and started.total_processed_recordings == 0
    sb.control.advance_clock(2.5)
    mid = jobs.get_recording_job(job.id)
    assert mid.state == "PROCESSING"
    assert (mid.total_processed_recordings, mid.percent_progress) == (2, 33)  # a conversation at a time
    sb.control.advance_clock(4)
    done = jobs.get_recording_job(job.id)
    assert done.state == "FULFILLED"
    assert (done.total_processed_recordings, done.percent_progress, done.total_failed_recordings) == (6, 100, 0)
    assert done.failed_recordings == f"/api/v2/recording/jobs/{job.id}/failedrecordings"
    assert jobs.get_recording_job_failedrecordings(job.id).entities == []
    listed = jobs.get_recording_jobs(state="FULFILLED")
    assert [j.id for j in listed.entities] == [job.id] and listed.total == 1


def test_a_query_matching_nothing_is_ready_with_zeros_and_fulfils_at_once(sb, sdk, jobs):
    job = jobs.post_recording_jobs(job_query(sdk, quiet_interval(days_ago=30)))
    job = ready(sb, jobs, job.id)
    assert (job.state, job.total_conversations, job.total_recordings) == ("READY", 0, 0)
    assert jobs.put_recording_job(job.id, execute_body(sdk)).state == "FULFILLED"


def test_queue_filter_means_what_it_means_in_a_details_job(sb, sdk, jobs):
    queue = sb.control.add_queue("Jobs queue")["queueId"]
    other = sb.control.add_queue("Other queue")["queueId"]
    when = quiet_interval()
    for q, n in ((queue, 2), (other, 3)):
        for _ in range(n):
            sb.control.add_conversation(recording=True, startedSecondsAgo=12 * 86400, ended=True,
                                        durationSeconds=30, queueId=q)
    segment = sdk.SegmentDetailQueryFilter()
    segment.type = "and"
    predicate = sdk.SegmentDetailQueryPredicate()
    predicate.dimension, predicate.value = "queueId", queue
    segment.predicates = [predicate]
    job = jobs.post_recording_jobs(job_query(sdk, when, segment_filters=[segment]))
    assert ready(sb, jobs, job.id).total_conversations == 2


def test_the_data_lake_lag_leaves_out_recent_conversations(sb, sdk, jobs):
    recent = sb.control.add_conversation(recording=True, startedSecondsAgo=1800, ended=True, durationSeconds=60)
    when = interval(utc_midnight(0), utc_midnight(-1))
    before = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when)).id)
    sb.control.settings(recordingJobDataLagSeconds=3600)
    after = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when)).id)
    assert after.total_conversations < before.total_conversations  # today's last hour is not in the lake yet
    jobs.delete_recording_job(before.id)
    jobs.delete_recording_job(after.id)
    sb.control.settings(recordingJobDataLagSeconds=0)
    again = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when)).id)
    assert again.total_conversations == before.total_conversations
    assert recent["id"]


def test_two_jobs_at_most_pending_or_processing(sb, sdk, jobs):
    when = quiet_interval()
    first = jobs.post_recording_jobs(job_query(sdk, when))
    jobs.post_recording_jobs(job_query(sdk, when))
    err = api_error(lambda: jobs.post_recording_jobs(job_query(sdk, when)), 400, "recording.job.concurrency.limit")
    assert "At most 2" in err["message"]
    ready(sb, jobs, first.id)  # both READY now: not counted by default (recordingJobCapCountsReady)
    third = jobs.post_recording_jobs(job_query(sdk, when))
    fourth = jobs.post_recording_jobs(job_query(sdk, when))
    # the cap holds on PUT too: two others PENDING, this READY one may not start
    api_error(lambda: jobs.put_recording_job(first.id, execute_body(sdk)), 400, "recording.job.concurrency.limit")
    jobs.delete_recording_job(third.id)
    assert jobs.put_recording_job(first.id, execute_body(sdk)).state in ("PROCESSING", "FULFILLED")
    jobs.delete_recording_job(fourth.id)
    sb.control.settings(assumptions={"recordingJobCapCountsReady": "counted"})
    jobs.post_recording_jobs(job_query(sdk, when))  # the second job, READY, counts now: one more fits
    api_error(lambda: jobs.post_recording_jobs(job_query(sdk, when)), 400, "recording.job.concurrency.limit")


def test_only_the_creator_may_execute(sb, sdk, login, as_user, jobs):
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, quiet_interval())).id)
    other = _api_with(sb, sdk, login, JOB_PERMISSIONS)
    assert other.get_recording_job(job.id).id == job.id  # any job of the org can be read
    err = api_error(lambda: other.put_recording_job(job.id, execute_body(sdk)), 403, "recording.job.not.creator")
    assert "created" in err["message"]
    sam = sdk.RecordingApi(as_user(_user_with(sb, JOB_PERMISSIONS)))  # a user of the org, every job permission
    api_error(lambda: sam.put_recording_job(job.id, execute_body(sdk)), 403, "recording.job.not.creator")
    assert jobs.put_recording_job(job.id, execute_body(sdk)).state in ("PROCESSING", "FULFILLED")
    # a user's job carries its user, and only that user executes it
    own = sam.post_recording_jobs(job_query(sdk, quiet_interval()))
    assert own.user.id and own.user.self_uri == f"/api/v2/users/{own.user.id}"
    assert job.user is None  # a client-credentials job has no user (recordingJobClientUser: absent)
    ready(sb, sam, own.id)
    api_error(lambda: jobs.put_recording_job(own.id, execute_body(sdk)), 403, "recording.job.not.creator")
    assert sam.put_recording_job(own.id, execute_body(sdk)).state in ("PROCESSING", "FULFILLED")


def _user_with(sb, permissions) -> str:
    return sb.control.call("POST", "users", {"name": "Job runner", "permissions": list(permissions)})["userId"]


def test_bad_states_are_refused(sb, sdk, jobs):
    when = quiet_interval()
    pending = jobs.post_recording_jobs(job_query(sdk, when))
    err = api_error(lambda: jobs.put_recording_job(pending.id, execute_body(sdk)), 400, "recording.job.invalid.state")
    assert "PENDING" in err["message"]
    jobs.delete_recording_job(pending.id)
    assert jobs.get_recording_job(pending.id).state == "CANCELLED"
    api_error(lambda: jobs.put_recording_job(pending.id, execute_body(sdk)), 400, "recording.job.invalid.state")
    api_error(lambda: jobs.delete_recording_job(pending.id), 400, "recording.job.invalid.state")
    done = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when)).id)
    assert run_to_end(sb, sdk, jobs, done.id).state == "FULFILLED"
    api_error(lambda: jobs.put_recording_job(done.id, execute_body(sdk)), 400, "recording.job.invalid.state")
    api_error(lambda: jobs.delete_recording_job(done.id), 400, "recording.job.invalid.state")
    sb.control.settings(assumptions={"recordingJobStateError": "conflict409"})
    api_error(lambda: jobs.delete_recording_job(done.id), 409, "recording.job.invalid.state")
    api_error(lambda: jobs.put_recording_job(done.id, execute_body(sdk, "CANCELLED")), 400, "invalid.value")


def test_cancel_in_each_live_state_and_the_cancelled_stay_listed(sb, sdk, jobs):
    _, when = recorded_calls(sb, 2)
    pending = jobs.post_recording_jobs(job_query(sdk, when))
    jobs.delete_recording_job(pending.id)
    assert jobs.api_client.last_response.status == 204
    cancelled = jobs.get_recording_job(pending.id)
    assert cancelled.state == "CANCELLED" and cancelled.total_recordings is None  # cancelled before READY
    rdy = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when)).id)
    jobs.delete_recording_job(rdy.id)
    assert jobs.get_recording_job(rdy.id).state == "CANCELLED"
    sb.control.settings(recordingJobRecordingsPerSecond=1)
    running = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when)).id)
    jobs.put_recording_job(running.id, execute_body(sdk))
    sb.control.advance_clock(1.5)
    jobs.delete_recording_job(running.id)
    sb.control.advance_clock(10)
    stopped = jobs.get_recording_job(running.id)
    assert (stopped.state, stopped.total_processed_recordings) == ("CANCELLED", 1)  # stopped where it was
    listed = jobs.get_recording_jobs(state="CANCELLED")
    assert sorted(j.id for j in listed.entities) == sorted([pending.id, rdy.id, running.id])


def test_a_job_fails_from_the_control_plane(sb, sdk, jobs):
    job = jobs.post_recording_jobs(job_query(sdk, quiet_interval()))
    sb.control.call("POST", f"recording-jobs/{job.id}/fail", {"errorMessage": "Query timed out"})
    failed = jobs.get_recording_job(job.id)
    assert (failed.state, failed.error_message) == ("FAILED", "Query timed out")
    assert [j.id for j in jobs.get_recording_jobs(state="FAILED").entities] == [job.id]
    with pytest.raises(SandboxControlError):
        sb.control.call("POST", f"recording-jobs/{job.id}/fail", {})  # FAILED already
    with pytest.raises(SandboxControlError):
        sb.control.call("POST", "recording-jobs/no-such-job/fail", {})


OPERATIONS = {
    "post": (["recording:job:add"], lambda sdk, api, job_id: api.post_recording_jobs(job_query(sdk, quiet_interval()))),
    "get": (["recording:job:view"], lambda sdk, api, job_id: api.get_recording_job(job_id)),
    "list": (["recording:job:view"], lambda sdk, api, job_id: api.get_recording_jobs()),
    "failed": (["recording:job:view"], lambda sdk, api, job_id: api.get_recording_job_failedrecordings(job_id)),
    "put": (["recording:job:edit", "recording:recording:editRetention", "recording:screenRecording:editRetention",
             "recording:snippetRecording:editRetention"],
            lambda sdk, api, job_id: api.put_recording_job(job_id, execute_body(sdk))),
    "delete": (["recording:job:delete"], lambda sdk, api, job_id: api.delete_recording_job(job_id)),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_needs_all_its_permissions(sb, sdk, login, jobs, name):
    job = jobs.post_recording_jobs(job_query(sdk, quiet_interval()))
    needed, call = OPERATIONS[name]
    for missing in needed:
        api = _api_with(sb, sdk, login, [p for p in JOB_PERMISSIONS if p != missing])
        err = api_error(lambda api=api: call(sdk, api, job.id), 403, "missing.permissions")
        assert missing in err["message"]


BAD_QUERIES = {
    "export without integrationId": ({"action": "EXPORT"}, "integrationId"),
    "delete without a date or age": ({"action": "DELETE", "action_date": None, "action_age": None}, "actionDate"),
    "archive without a date or age": ({"action": "ARCHIVE", "action_date": None, "action_age": None}, "actionAge"),
    "date and age both": ({"action_age": 30, "action_date": "2031-01-01T00:00:00.000Z"}, "not both"),
    "screen date without screen recordings": (
        {"include_screen_recordings": False, "screen_recording_action_date": "2031-01-01T00:00:00.000Z"},
        "includeScreenRecordings"),
    "no query at all": ({"no_query": True}, "exactly one"),
    "both query forms": ({"aged_conversation_interval": "2015-01-01T00:00:00Z/2015-02-01T00:00:00Z"}, "exactly one"),
}


@pytest.mark.parametrize("name", sorted(BAD_QUERIES))
def test_bad_queries_are_400(sb, sdk, jobs, name):
    fields, words = BAD_QUERIES[name]
    fields = dict(fields)
    action = fields.pop("action", "DELETE")
    no_query = fields.pop("no_query", False)
    q = job_query(sdk, None if no_query else quiet_interval(), action, **fields)
    err = api_error(lambda: jobs.post_recording_jobs(q), 400, "bad.request")
    assert words in err["message"]


def test_aged_interval_rules_and_an_unknown_action(sb, sdk, jobs):
    too_recent = job_query(sdk, None, aged_conversation_interval="2025-01-01T00:00:00Z/2025-02-01T00:00:00Z")
    err = api_error(lambda: jobs.post_recording_jobs(too_recent), 400, "bad.request")
    assert "older than 5 years" in err["message"]
    too_long = job_query(sdk, None, aged_conversation_interval="2015-01-01T00:00:00Z/2015-12-01T00:00:00Z")
    assert "6 months" in api_error(lambda: jobs.post_recording_jobs(too_long), 400, "bad.request")["message"]
    aged = job_query(sdk, None, aged_conversation_interval="2015-01-01T00:00:00Z/2015-03-01T00:00:00Z")
    assert ready(sb, jobs, jobs.post_recording_jobs(aged).id).total_conversations == 0
    from .sdk_helpers import Raw

    raw = Raw(sb.url)
    r = raw.request("POST", "/api/v2/recording/jobs", jobs.api_client.access_token,
                    {"action": "PURGE", "actionAge": 1, "conversationQuery": {"interval": quiet_interval()}})
    assert r.status == 400 and Raw.json(r)["code"] == "invalid.value"


def test_a_past_action_date_and_sensitive_data_follow_their_settings(sb, sdk, jobs, login):
    past = job_query(sdk, quiet_interval(), action_date="2020-01-01T00:00:00.000Z")
    accepted = jobs.post_recording_jobs(past)  # recordingJobPastActionDate: accepted
    jobs.delete_recording_job(accepted.id)
    sb.control.settings(assumptions={"recordingJobPastActionDate": "rejected"})
    assert "past" in api_error(lambda: jobs.post_recording_jobs(past), 400, "bad.request")["message"]
    sensitive = job_query(sdk, quiet_interval(), include_recordings_with_sensitive_data=True)
    plain = _api_with(sb, sdk, login, JOB_PERMISSIONS)
    jobs.delete_recording_job(plain.post_recording_jobs(sensitive).id)  # the org does not redact
    sb.control.settings(sensitiveDataRedaction=1)
    err = api_error(lambda: plain.post_recording_jobs(sensitive), 403, "missing.permissions")
    assert "recording:recording:viewSensitiveData" in err["message"]
    assert jobs.post_recording_jobs(sensitive).state == "PENDING"  # recording:*:* holds it


def test_another_orgs_job_is_unknown(sb, sdk, login, jobs, demo):
    job = jobs.post_recording_jobs(job_query(sdk, quiet_interval()))
    client = sb.control.add_client(JOB_PERMISSIONS, org="other-org")
    other = sdk.RecordingApi(login(client["clientId"], client["clientSecret"]))
    api_error(lambda: other.get_recording_job(job.id), 404, "not.found")
    api_error(lambda: other.delete_recording_job(job.id), 404, "not.found")
    assert other.get_recording_jobs().entities == []


def test_listing_filters_sorting_and_cursor_paging(sb, sdk, login, jobs):
    when = quiet_interval()
    mine = [jobs.post_recording_jobs(job_query(sdk, when, action=a, integration_id="s3-1"))
            for a in ("DELETE", "EXPORT")]
    ready(sb, jobs, mine[0].id)
    other = _api_with(sb, sdk, login, JOB_PERMISSIONS)
    theirs = other.post_recording_jobs(job_query(sdk, when, action="ARCHIVE"))
    everything = jobs.get_recording_jobs(sort_by="dateCreated")
    assert [j.id for j in everything.entities] == [mine[0].id, mine[1].id, theirs.id]
    assert (everything.total, everything.page_number, everything.page_count) == (3, 1, 1)
    assert [j.id for j in jobs.get_recording_jobs(job_type="EXPORT").entities] == [mine[1].id]
    assert [j.id for j in jobs.get_recording_jobs(show_only_my_jobs=True, sort_by="dateCreated").entities] == \
        [j.id for j in mine]
    assert [j.id for j in other.get_recording_jobs(show_only_my_jobs=True).entities] == [theirs.id]
    assert [j.id for j in jobs.get_recording_jobs(state="PENDING").entities] == [theirs.id]
    by_number = jobs.get_recording_jobs(page_size=2, page_number=2, sort_by="dateCreated")
    assert [j.id for j in by_number.entities] == [theirs.id] and by_number.previous_uri and not by_number.next_uri
    # cursor paging: the cursor travels only inside nextUri
    seen, cursor = [], None
    while True:
        page = jobs.get_recording_jobs(page_size=1, include_total=False, sort_by="dateCreated", cursor=cursor)
        assert page.total is None
        seen += [j.id for j in page.entities]
        if not page.next_uri:
            break
        cursor = page.next_uri.split("cursor=")[1]
    assert seen == [mine[0].id, mine[1].id, theirs.id]
    api_error(lambda: jobs.get_recording_jobs(sort_by="name"), 400, "invalid.value")
    api_error(lambda: jobs.get_recording_jobs(state="DONE"), 400, "invalid.value")
    api_error(lambda: jobs.get_recording_jobs(include_total=False, cursor="bogus"), 400, "bad.request")


def test_failed_recordings_page_by_at_most_100(sb, sdk, jobs):
    # a generated history whose every call is still transcoding: each recording fails (recordingJobUnavailable)
    when = quiet_interval(hours=1)
    sb.control.seed(count=130, seed=5, interval=when, generated=True, recordedRatio=1.0, adhocRatio=0.0)
    sb.control.settings(transcodingDelaySeconds=10 ** 9)
    job = ready(sb, jobs, jobs.post_recording_jobs(job_query(sdk, when)).id)
    assert (job.total_conversations, job.total_recordings) == (130, 130)
    done = run_to_end(sb, sdk, jobs, job.id)
    assert (done.state, done.total_failed_recordings, done.total_processed_recordings) == ("FULFILLED", 130, 130)
    api_error(lambda: jobs.get_recording_job_failedrecordings(job.id, page_size=101), 400, "invalid.value")
    first = jobs.get_recording_job_failedrecordings(job.id, page_size=100)
    second = jobs.get_recording_job_failedrecordings(job.id, page_size=100, page_number=2)
    assert (len(first.entities), len(second.entities), first.total, first.page_count) == (100, 30, 130, 2)
    entry = first.entities[0]
    assert isinstance(entry, sdk.RecordingJobFailedRecording)
    assert entry.recording.self_uri == f"/api/v2/conversations/{entry.conversation.id}/recordings/{entry.recording.id}"
    by_cursor = jobs.get_recording_job_failedrecordings(job.id, page_size=100, include_total=False)
    rest = jobs.get_recording_job_failedrecordings(job.id, page_size=100, include_total=False,
                                                   cursor=by_cursor.next_uri.split("cursor=")[1])
    ids = [e.recording.id for e in by_cursor.entities + rest.entities]
    assert len(set(ids)) == 130 and rest.next_uri is None
    assert ids == [e.recording.id for e in first.entities + second.entities]


def test_the_invented_plural_route_is_404_not_a_job(sb, jobs):
    """``POST /api/v2/recordings/jobs`` (plural) circulates in generated pages; it is no Genesys route."""
    from .sdk_helpers import Raw

    r = Raw(sb.url).request("POST", "/api/v2/recordings/jobs", jobs.api_client.access_token,
                            {"action": "DELETE", "actionAge": 1, "conversationQuery": {"interval": quiet_interval()}})
    assert (r.status, Raw.json(r)["code"]) == (404, "not.found")
    assert jobs.get_recording_jobs().entities == []
