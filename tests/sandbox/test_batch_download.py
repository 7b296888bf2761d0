"""Recording batch downloads (POST/GET /api/v2/recording/batchrequests) through the unmodified
SDK: permissions, documented error codes, the submitting-principal rule, progress over the
sandbox clock, one result per recording, and the signed result URLs of the media host."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from .http_helpers import request
from .sdk_helpers import api_error, assert_success_headers, new_id


def submission(sdk, *items: tuple[str, str | None] | str):
    """A ``BatchDownloadJobSubmission`` of (conversationId, recordingId?) items."""
    body = sdk.BatchDownloadJobSubmission()
    body.batch_download_request_list = []
    for item in items:
        cid, rid = (item, None) if isinstance(item, str) else item
        req = sdk.BatchDownloadRequest()
        req.conversation_id = cid
        req.recording_id = rid
        body.batch_download_request_list.append(req)
    return body


def ended_call(sb, seconds: float = 3, adhoc: bool = False) -> dict:
    """A recorded call (with an agent's ad-hoc recording too when ``adhoc``), ended and transcoded."""
    participants = [{"purpose": "customer", "name": "C"},
                    {"purpose": "agent", "name": "A", "userId": new_id(), "recording": adhoc}]
    conv = sb.control.add_conversation(recording=True, startedSecondsAgo=seconds + 1, participants=participants)
    sb.control.disconnect(conv["id"])
    sb.control.advance_clock(10)  # past the transcoding delay
    return sb.control.conversation(conv["id"])


def completed(sb, recordings, job_id: str):
    sb.control.advance_clock(sb.control.settings()["batchDownloadDelaySeconds"] + 0.01)
    status = recordings.get_recording_batchrequest(job_id)
    assert status.status == "Completed"
    return status


# --- submit -------------------------------------------------------------------------------------


def test_submit_answers_200_with_id_and_self_uri(sb, sdk, supervisor, recordings, demo):
    result = recordings.post_recording_batchrequests(submission(sdk, demo.ENDED))
    assert_success_headers(supervisor, 200)
    assert isinstance(result, sdk.BatchDownloadJobSubmissionResult)
    assert result.id and result.self_uri == f"/api/v2/recording/batchrequests/{result.id}"


def test_more_than_100_items_is_400_too_many_items(sdk, recordings, demo):
    assert recordings.post_recording_batchrequests(submission(sdk, *[demo.ENDED] * 100)).id
    body = api_error(lambda: recordings.post_recording_batchrequests(submission(sdk, *[demo.ENDED] * 101)),
                     400, "batch.download.too.many.items")
    assert body["message"] == "Too many items requested, max 100 allowed"


def test_empty_or_missing_list_is_400_bad_request(sdk, recordings):
    body = api_error(lambda: recordings.post_recording_batchrequests(submission(sdk)), 400,
                     "batch.download.bad.request")
    assert body["message"] == "Request list is required and must not be empty"
    api_error(lambda: recordings.post_recording_batchrequests(sdk.BatchDownloadJobSubmission()), 400,
              "batch.download.bad.request")


@pytest.mark.parametrize("body, code", [
    ({"batchDownloadRequestList": [{"recordingId": "r"}]}, "batch.download.bad.request"),
    ({"batchDownloadRequestList": ["c"]}, "bad.request"),
    ({"batchDownloadRequestList": {"conversationId": "c"}}, "invalid.value"),
    ([], "bad.request"),
])
def test_malformed_bodies_are_400(sb, demo, body, code):
    from .http_helpers import assert_error, get_token

    token = get_token(sb.url, *demo.SUPERVISOR)
    r = request("POST", f"{sb.url}/api/v2/recording/batchrequests", token=token, json_body=body)
    assert_error(r, 400, code)


def test_submit_needs_any_recording_view_permission(sb, sdk, login, demo):
    nothing = sdk.RecordingApi(login(*demo.NOTHING))
    body = api_error(lambda: nothing.post_recording_batchrequests(submission(sdk, demo.ENDED)), 403,
                     "missing.any.permissions")
    for perm in ("recording:recording:view", "recording:recordingSegment:view",
                 "recording:snippetRecording:view", "recording:screenRecording:view"):
        assert perm in body["message"]
    for perm in ("recording:recordingSegment:view", "recording:screenRecording:view"):
        client = sb.control.add_client([perm])
        api = sdk.RecordingApi(login(client["clientId"], client["clientSecret"]))
        job = api.post_recording_batchrequests(submission(sdk, demo.ENDED))
        assert api.get_recording_batchrequest(job.id).id == job.id


# --- read ---------------------------------------------------------------------------------------


def test_unknown_job_is_404(recordings):
    body = api_error(lambda: recordings.get_recording_batchrequest(new_id()), 404, "batch.download.job.not.found")
    assert body["message"] == "The requested job is unknown"


def test_only_the_submitting_client_may_read(sb, sdk, login, recordings, demo):
    job = recordings.post_recording_batchrequests(submission(sdk, demo.ENDED))
    other = sdk.RecordingApi(login(*demo.READONLY))
    body = api_error(lambda: other.get_recording_batchrequest(job.id), 403, "batch.download.permission.denied")
    assert body["message"] == "Only user that initiated the job can request results"
    # no permission is needed to read, only to be the submitter: the same client, a new token
    again = sdk.RecordingApi(login(*demo.SUPERVISOR))
    assert again.get_recording_batchrequest(job.id).id == job.id
    # another org's client: the job is unknown there
    foreign = sdk.RecordingApi(login(*demo.OTHER_ORG))
    api_error(lambda: foreign.get_recording_batchrequest(job.id), 404, "batch.download.job.not.found")


def test_a_user_token_job_belongs_to_the_user(sb, sdk, as_user, recordings, demo):
    sam = sdk.RecordingApi(as_user(demo.SAM))
    job = sam.post_recording_batchrequests(submission(sdk, demo.ENDED))
    assert sam.get_recording_batchrequest(job.id).job_id == job.id
    api_error(lambda: recordings.get_recording_batchrequest(job.id), 403, "batch.download.permission.denied")
    ava = sdk.RecordingApi(as_user(demo.AVA))  # no recording permission needed to read, but not hers
    api_error(lambda: ava.get_recording_batchrequest(job.id), 403, "batch.download.permission.denied")
    cc_job = recordings.post_recording_batchrequests(submission(sdk, demo.ENDED))
    api_error(lambda: sam.get_recording_batchrequest(cc_job.id), 403, "batch.download.permission.denied")


def test_results_appear_over_the_delay_on_the_sandbox_clock(sb, sdk, recordings):
    sb.control.settings(batchDownloadDelaySeconds=60)
    convs = [ended_call(sb) for _ in range(4)]
    job = recordings.post_recording_batchrequests(submission(sdk, *[c["id"] for c in convs]))
    first = recordings.get_recording_batchrequest(job.id)
    assert (first.status, first.result_count, first.error_count, first.results) == ("InProgress", 0, 0, [])
    assert first.expected_result_count == 4
    sb.control.advance_clock(30.5)  # half the delay: half the results
    half = recordings.get_recording_batchrequest(job.id)
    assert (half.status, half.result_count) == ("InProgress", 2)
    assert [r.conversation_id for r in half.results] == [c["id"] for c in convs[:2]]
    sb.control.advance_clock(30)
    done = recordings.get_recording_batchrequest(job.id)
    assert (done.status, done.result_count, done.expected_result_count, done.error_count) == ("Completed", 4, 4, 0)
    assert [r.conversation_id for r in done.results] == [c["id"] for c in convs]
    assert done.self_uri == f"/api/v2/recording/batchrequests/{job.id}"


def test_results_appear_in_real_time_too(sb, sdk, recordings):
    sb.control.settings(batchDownloadDelaySeconds=0.3)
    conv = ended_call(sb)
    job = recordings.post_recording_batchrequests(submission(sdk, conv["id"]))
    deadline = time.monotonic() + 10
    while recordings.get_recording_batchrequest(job.id).status != "Completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_conversation_only_item_gives_one_result_per_recording(sb, sdk, recordings):
    conv = ended_call(sb, adhoc=True)
    assert len(conv["recordingIds"]) == 2
    job = recordings.post_recording_batchrequests(submission(sdk, conv["id"]))
    done = completed(sb, recordings, job.id)
    assert [r.recording_id for r in done.results] == conv["recordingIds"]
    assert all(r.result_url and r.content_type == "audio/wav" and r.error_msg is None for r in done.results)
    assert done.expected_result_count == done.result_count == 2


def test_a_given_recording_id_gives_that_recording_only(sb, sdk, recordings):
    conv = ended_call(sb, adhoc=True)
    rid = conv["recordingIds"][1]
    job = recordings.post_recording_batchrequests(submission(sdk, (conv["id"], rid)))
    done = completed(sb, recordings, job.id)
    assert [(r.conversation_id, r.recording_id) for r in done.results] == [(conv["id"], rid)]


def test_expected_count_discovers_recordings_or_is_known(sb, sdk, recordings):
    sb.control.settings(batchDownloadDelaySeconds=30)
    two, one = ended_call(sb, adhoc=True), ended_call(sb)
    job = recordings.post_recording_batchrequests(submission(sdk, two["id"], one["id"]))
    assert recordings.get_recording_batchrequest(job.id).expected_result_count == 2  # two items
    sb.control.advance_clock(10.5)  # the first of three results
    assert recordings.get_recording_batchrequest(job.id).expected_result_count == 3
    sb.control.settings(assumptions={"batchExpectedResultCount": "known"})
    assert recordings.get_recording_batchrequest(job.id).expected_result_count == 3
    job2 = recordings.post_recording_batchrequests(submission(sdk, two["id"], one["id"]))
    assert recordings.get_recording_batchrequest(job2.id).expected_result_count == 3


def test_unknown_conversation_and_recording_give_an_error_result(sb, sdk, recordings, demo):
    conv = ended_call(sb)
    items = [new_id(), (conv["id"], new_id()), demo.OTHER_ORG_CONV, demo.UNRECORDED, conv["id"]]
    job = recordings.post_recording_batchrequests(submission(sdk, *items))
    done = completed(sb, recordings, job.id)
    assert done.result_count == done.expected_result_count == 5
    assert done.error_count == 4
    errs = done.results[:4]
    assert all(r.error_msg and r.result_url is None for r in errs)
    assert errs[0].error_msg == "Conversation not found" == errs[2].error_msg  # another org's: unknown
    assert errs[1].error_msg == "Recording not found" and errs[1].recording_id == items[1][1]
    assert errs[3].error_msg == "No recordings found for conversation"
    assert done.results[4].result_url


def test_a_recording_not_yet_available_gives_an_error_result(sb, sdk, recordings, demo):
    job = recordings.post_recording_batchrequests(submission(sdk, demo.ACTIVE))
    done = completed(sb, recordings, job.id)
    assert done.error_count == 1
    assert "not available" in done.results[0].error_msg


# --- result URLs --------------------------------------------------------------------------------


def test_result_url_is_a_signed_url_on_the_sandbox_origin(sb, sdk, recordings):
    conv = ended_call(sb)
    job = recordings.post_recording_batchrequests(submission(sdk, conv["id"]))
    result = completed(sb, recordings, job.id).results[0]
    url = urlsplit(result.result_url)
    assert f"{url.scheme}://{url.netloc}" == sb.url
    assert url.path == f"/media/batch/{job.id}/{conv['id']}/{result.recording_id}.wav"
    query = parse_qs(url.query)
    assert set(query) == {"Expires", "Signature"}
    assert int(query["Expires"][0]) >= time.time() + sb.control.settings()["batchDownloadUrlTtlSeconds"] - 5
    r = request("GET", result.result_url)  # no bearer token
    assert r.status == 200 and r.header("content-type") == "audio/wav"
    assert r.raw == sb.control.media(conv["id"], result.recording_id)


def _xml_error(r, status: int, code: str) -> str:
    assert r.status == status, (r.status, r.raw)
    assert r.header("content-type") == "application/xml"
    text = r.raw.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error>')
    assert f"<Code>{code}</Code>" in text
    return text


def test_tampered_or_unsigned_urls_are_403_signature_does_not_match(sb, sdk, recordings):
    conv = ended_call(sb, adhoc=True)
    job = recordings.post_recording_batchrequests(submission(sdk, conv["id"]))
    first, second = completed(sb, recordings, job.id).results
    url = first.result_url
    base, query = url.split("?")
    expires = parse_qs(query)["Expires"][0]
    signature = parse_qs(query)["Signature"][0]
    tampered = [
        base,  # unsigned
        f"{base}?Expires={expires}",
        f"{base}?Expires={int(expires) + 3600}&Signature={signature}",  # a longer life
        f"{base}?Expires={expires}&Signature={'0' * 64}",
        url.replace(first.recording_id, second.recording_id),  # another recording, same signature
        f"{base}?Expires={expires}&Signature=%C3%A9{signature[2:]}",  # not even hex
        f"{base}?Expires=-1&Signature={signature}",
    ]
    for bad in tampered:
        _xml_error(request("GET", bad), 403, "SignatureDoesNotMatch")
    assert request("GET", url).status == 200


def test_expired_url_is_403_access_denied_request_has_expired(sb, sdk, recordings):
    sb.control.settings(batchDownloadUrlTtlSeconds=120)
    conv = ended_call(sb)
    job = recordings.post_recording_batchrequests(submission(sdk, conv["id"]))
    url = completed(sb, recordings, job.id).results[0].result_url
    assert request("GET", url).status == 200
    sb.control.advance_clock(125)
    text = _xml_error(request("GET", url), 403, "AccessDenied")
    assert "<Message>Request has expired</Message>" in text
    # a new batch request gives a fresh link
    job2 = recordings.post_recording_batchrequests(submission(sdk, conv["id"]))
    assert request("GET", completed(sb, recordings, job2.id).results[0].result_url).status == 200


def test_url_ttl_setting_must_be_at_least_one_second(sb):
    from recops.sandbox.control_client import SandboxControlError

    with pytest.raises(SandboxControlError) as e:
        sb.control.settings(batchDownloadUrlTtlSeconds=0)
    assert e.value.status == 400
    assert sb.control.settings(batchDownloadUrlTtlSeconds=1)["batchDownloadUrlTtlSeconds"] == 1


def test_media_downloads_are_not_rate_limited_per_token(sb, sdk, supervisor, recordings):
    conv = ended_call(sb)
    job = recordings.post_recording_batchrequests(submission(sdk, conv["id"]))
    url = completed(sb, recordings, job.id).results[0].result_url
    before = int(supervisor.last_response.getheader("inin-ratelimit-count"))
    for _ in range(5):
        r = request("GET", url)
        assert r.status == 200
        assert r.header("inin-ratelimit-count") is None
    recordings.get_recording_batchrequest(job.id)
    assert int(supervisor.last_response.getheader("inin-ratelimit-count")) == before + 1


def test_reset_forgets_jobs(sb, sdk, login, demo):
    api = sdk.RecordingApi(login(*demo.SUPERVISOR))
    job = api.post_recording_batchrequests(submission(sdk, demo.ENDED))
    sb.control.reset()
    api = sdk.RecordingApi(login(*demo.SUPERVISOR))
    api_error(lambda: api.get_recording_batchrequest(job.id), 404, "batch.download.job.not.found")
