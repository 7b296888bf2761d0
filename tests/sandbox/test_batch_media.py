"""The media host behind batch-download result URLs: the one WAV generator (valid, per
recording, the control plane's bytes, capped by mediaMaxSeconds), faults on downloads
(respond, delay, drop, truncate) and the request-log fields that tell a whole download from a
cut one."""

from __future__ import annotations

import hashlib
import http.client
import io
import wave
from urllib.parse import urlsplit

import pytest
import urllib3

from recops.sandbox.services.media import size_for, wav_bytes

from .http_helpers import request
from .test_batch_download import completed, ended_call, submission


def result_urls(sb, sdk, recordings, *conversation_ids: str) -> list:
    job = recordings.post_recording_batchrequests(submission(sdk, *conversation_ids))
    return completed(sb, recordings, job.id).results


def media_log(sb) -> list[dict]:
    return [e for e in sb.control.requests(path="/media/") if e["path"].startswith("/media/")]


def get_raw(url: str) -> tuple[int, dict[str, str], bytes, bool]:
    """GET over http.client: (status, headers, body bytes received, whether the body was whole)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        resp = conn.getresponse()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        try:
            return resp.status, headers, resp.read(), True
        except http.client.IncompleteRead as e:
            return resp.status, headers, e.partial, False
    finally:
        conn.close()


# --- the WAV ------------------------------------------------------------------------------------


def test_served_wav_is_valid_and_as_long_as_the_recording(sb, sdk, recordings):
    conv = ended_call(sb, seconds=3)
    result = result_urls(sb, sdk, recordings, conv["id"])[0]
    data = request("GET", result.result_url).raw
    listed = recordings.get_conversation_recordings(conv["id"])[0]
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getcomptype()) == (1, 1, 8000, "NONE")
        assert w.getnframes() == listed.output_duration_ms * 8
        frames = w.readframes(w.getnframes())
    assert len(data) == listed.output_size_in_bytes == 44 + len(frames)
    assert max(frames) - min(frames) > 4  # a tone, not silence
    assert min(frames) >= 100 and max(frames) <= 156  # a quiet one


def test_bytes_are_the_control_planes_deterministic_and_differ_per_recording(sb, sdk, recordings):
    conv = ended_call(sb, seconds=2, adhoc=True)
    first, second = result_urls(sb, sdk, recordings, conv["id"])
    a, b = request("GET", first.result_url).raw, request("GET", second.result_url).raw
    assert a == sb.control.media(conv["id"], first.recording_id) == request("GET", first.result_url).raw
    assert b == sb.control.media(conv["id"], second.recording_id)
    assert hashlib.sha256(a).digest() != hashlib.sha256(b).digest()
    # the generator alone: the same id and length -> the same bytes; another id -> other bytes
    assert wav_bytes("r1", 1000) == wav_bytes("r1", 1000) != wav_bytes("r2", 1000)
    assert len(wav_bytes("r1", 1000)) == size_for(1000) == 44 + 8000
    assert wav_bytes("r1", 0) == wav_bytes("r2", 0) and len(wav_bytes("r1", 0)) == 44


def test_media_max_seconds_caps_the_file_and_the_reported_size(sb, sdk, recordings, demo):
    sb.control.settings(mediaMaxSeconds=2)
    rec = recordings.get_conversation_recordings(demo.ENDED)[0]
    assert rec.output_duration_ms == 300000  # the recording's length is unchanged
    assert rec.output_size_in_bytes == 44 + 16000
    url = result_urls(sb, sdk, recordings, demo.ENDED)[0].result_url
    data = request("GET", url).raw
    assert len(data) == 16044 and data == sb.control.media(demo.ENDED, rec.id)
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnframes() == 16000
    sb.control.settings(mediaMaxSeconds=0)  # 0: no cap
    assert len(request("GET", url).raw) == 44 + 300000 * 8


def test_generated_history_recordings_are_served_too(sb, sdk, recordings):
    seeded = sb.control.seed(generated=True, count=50, seed=99, recordedRatio=1.0)
    results = result_urls(sb, sdk, recordings, seeded["firstId"], seeded["lastId"])
    assert all(r.result_url for r in results)
    for r in results:
        assert request("GET", r.result_url).raw == sb.control.media(r.conversation_id, r.recording_id)


# --- the request log ------------------------------------------------------------------------------


def test_log_entry_of_a_download_says_bytes_and_complete(sb, sdk, recordings):
    conv = ended_call(sb)
    result = result_urls(sb, sdk, recordings, conv["id"])[0]
    sb.control.call("DELETE", "requests")
    data = request("GET", result.result_url).raw
    request("GET", result.result_url.replace("Signature=", "Signature=f"))
    ok, refused = media_log(sb)
    job_id = urlsplit(result.result_url).path.split("/")[3]
    assert ok["status"] == 200 and ok["bytes"] == len(data) and ok["complete"] is True
    assert (ok["jobId"], ok["conversationId"], ok["recordingId"]) == (job_id, conv["id"], result.recording_id)
    assert isinstance(ok["time"], float) and ok["method"] == "GET" and "tokenKind" not in ok
    assert refused["status"] == 403 and refused["complete"] is False


# --- faults on downloads -----------------------------------------------------------------------


def test_truncate_announces_the_full_length_then_closes(sb, sdk, recordings):
    conv = ended_call(sb)
    url = result_urls(sb, sdk, recordings, conv["id"])[0].result_url
    whole = request("GET", url).raw
    fault = sb.control.fault(path="/media/*", action="truncate", afterBytes=1000)
    sb.control.call("DELETE", "requests")
    status, headers, body, complete = get_raw(url)
    assert status == 200 and not complete
    assert int(headers["content-length"]) == len(whole)
    assert body == whole[:1000]
    assert headers["x-sandbox-fault"] == "injected" and headers["x-sandbox-fault-id"] == fault["id"]
    entry = media_log(sb)[-1]
    assert (entry["status"], entry["bytes"], entry["complete"], entry["injected"]) == (200, 1000, False, True)
    assert entry["faultId"] == fault["id"]
    # default: half the body; the fault is then used up and the next download is whole
    sb.control.fault(path="/media/*", action="truncate")
    assert get_raw(url)[2:] == (whole[:len(whole) // 2], False)
    assert get_raw(url)[2:] == (whole, True)
    assert [e["complete"] for e in media_log(sb)] == [False, False, True]


def test_truncate_through_urllib3_is_a_protocol_error(sb, sdk, recordings):
    conv = ended_call(sb)
    url = result_urls(sb, sdk, recordings, conv["id"])[0].result_url
    sb.control.fault(path="/media/*", action="truncate", afterBytes=10)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        urllib3.PoolManager(retries=False).request("GET", url)


def test_respond_delay_and_drop_work_on_downloads(sb, sdk, recordings):
    conv = ended_call(sb)
    url = result_urls(sb, sdk, recordings, conv["id"])[0].result_url
    whole = request("GET", url).raw
    sb.control.call("DELETE", "requests")
    sb.control.fault(path="/media/batch/*", status=503, retryAfter=2)
    r = request("GET", url)
    assert r.status == 503 and r.header("retry-after") == "2"
    assert r.header("content-type") == "application/xml" and b"<Error><Code>" in r.raw
    sb.control.fault(path="/media/*", status=429, retryAfter=1)
    assert request("GET", url).status == 429
    sb.control.fault(path="/media/*", action="delay", latencyMs=50)
    r = request("GET", url)
    assert r.status == 200 and r.raw == whole and r.header("x-sandbox-fault") == "delayed"
    sb.control.fault(path="/media/*", action="drop")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        urllib3.PoolManager(retries=False).request("GET", url)
    log = media_log(sb)
    assert [(e["status"], e["complete"]) for e in log] == [(503, False), (429, False), (200, True), (0, False)]
    assert log[-1]["bytes"] == 0 and log[2]["bytes"] == len(whole)


def test_truncate_fault_spec_is_checked(sb):
    from recops.sandbox.control_client import SandboxControlError

    for bad in ({"action": "respond", "status": 500, "afterBytes": 5}, {"action": "truncate", "afterBytes": -1}):
        with pytest.raises(SandboxControlError) as e:
            sb.control.fault(path="/media/*", **bad)
        assert e.value.status == 400
    assert sb.control.fault(path="/media/*", action="truncate", afterBytes=0)["afterBytes"] == 0


def test_unknown_media_paths_are_404_no_such_key(sb):
    r = request("GET", f"{sb.url}/media/batch/x/y")
    assert r.status == 404 and b"<Code>NoSuchKey</Code>" in r.raw
    assert r.header("inin-ratelimit-count") is None


def test_a_client_that_goes_away_mid_body_is_logged_incomplete(sb, sdk, recordings):
    import socket
    import struct
    import time

    conv = sb.control.add_conversation(recording=True, startedSecondsAgo=3700, ended=True, durationSeconds=3600)
    sb.control.advance_clock(10)
    url = result_urls(sb, sdk, recordings, conv["id"])[0].result_url  # a 28.8 MB WAV: more than socket buffers hold
    parts = urlsplit(url)
    sb.control.call("DELETE", "requests")
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    deadline = time.monotonic() + 10
    while True:
        entry = media_log(sb)[-1]
        if entry["complete"] is False or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert entry["status"] == 200 and entry["complete"] is False
    assert 0 <= entry["bytes"] < 44 + 3600 * 8000  # what was handed over before the reset
