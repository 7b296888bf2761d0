"""Rate limiting (§6, §8 rules 17-18) and fault injection (POST /_sandbox/faults, rule 22), on the
raw wire, plus the SDK's hidden urllib3 retry on 429 + Retry-After (§7.4).

Injected 409s are [inferred] - not observed on real conversation/recording endpoints: they exist
only so that recops' generic conflict handling can be exercised.
"""

from __future__ import annotations

import re
import time

import pytest
import urllib3

from .http_helpers import RATELIMIT_HEADERS, assert_error, get_token, request


@pytest.fixture
def token(sb, demo) -> str:
    return get_token(sb.url, *demo.SUPERVISOR)


def _api(sb, path: str) -> str:
    return f"{sb.url}/api/v2/{path.lstrip('/')}"


def _fault(sb, **spec):
    r = request("POST", f"{sb.url}/_sandbox/faults", json_body=spec)
    assert r.status == 201, (r.status, r.body)
    return r.body


def _state(sb, token, cid) -> tuple[str, bool]:
    conv = request("GET", _api(sb, f"conversations/{cid}"), token=token).body
    return conv["recordingState"], conv["securePause"]


# --- rate limit ---------------------------------------------------------------------------------


def test_sixth_request_in_the_window_is_429_with_retry_after(sb, demo, token):
    sb.control.settings(rateLimitPerMinute=5)
    url = _api(sb, f"conversations/{demo.ACTIVE}")
    for n in range(1, 6):
        r = request("GET", url, token=token)
        assert r.status == 200, (n, r.body)
        assert r.header("inin-ratelimit-count") == str(n)
        assert r.header("inin-ratelimit-allowed") == "5"
    r = request("GET", url, token=token)
    body = assert_error(r, 429, "too.many.requests.retry.after")
    retry_after = r.header("Retry-After")
    assert retry_after is not None and retry_after.isdigit()
    assert 1 <= int(retry_after) <= 60
    assert f"[{retry_after}]" in body["message"]
    assert re.fullmatch(r"Rate limit exceeded the maximum\. Retry the request in \[\d+\] seconds", body["message"])
    for name in RATELIMIT_HEADERS:
        assert r.header(name) is not None
    assert r.header("X-Sandbox-Fault") is None  # a real (emulated) limit, not an injection


def test_429_replies_do_not_consume_budget_and_the_window_resets(sb, demo, token):
    sb.control.settings(rateLimitPerMinute=5)
    url = _api(sb, f"conversations/{demo.ACTIVE}")
    for _ in range(5):
        assert request("GET", url, token=token).status == 200
    for _ in range(4):
        r = request("GET", url, token=token)
        assert r.status == 429
        assert r.header("inin-ratelimit-count") == "5"  # refused requests are not counted
    sb.control.advance_clock(61)
    r = request("GET", url, token=token)
    assert r.status == 200
    assert r.header("inin-ratelimit-count") == "1"
    # after the new window the limit is 5 again, not 5 minus the refused ones
    for _ in range(4):
        assert request("GET", url, token=token).status == 200
    assert request("GET", url, token=token).status == 429


def test_tokens_have_independent_budgets(sb, demo, token):
    sb.control.settings(rateLimitPerMinute=5)
    url = _api(sb, f"conversations/{demo.ACTIVE}")
    for _ in range(5):
        request("GET", url, token=token)
    assert request("GET", url, token=token).status == 429
    other = get_token(sb.url, *demo.SUPERVISOR)  # same client, new token
    r = request("GET", url, token=other)
    assert r.status == 200 and r.header("inin-ratelimit-count") == "1"
    readonly = get_token(sb.url, *demo.READONLY)
    assert request("GET", url, token=readonly).status == 200
    assert request("GET", url, token=token).status == 429  # the first token is still out


def test_rate_limited_writes_change_nothing(sb, demo, token):
    sb.control.settings(rateLimitPerMinute=1)
    assert request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).status == 200
    r = request("PUT", _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate"), token=token,
                json_body={"recordingState": "PAUSED"})
    assert_error(r, 429, "too.many.requests.retry.after")
    assert _state(sb, get_token(sb.url, *demo.SUPERVISOR), demo.ACTIVE) == ("ACTIVE", False)


# --- injected responses -----------------------------------------------------------------------------


def test_injected_409_on_recordingstate_twice_then_real(sb, demo, token):
    fault = _fault(sb, method="PUT", path="/api/v2/conversations/calls/*/recordingstate",
                   status=409, code="general.conflict", count=2)
    assert fault["remaining"] == 2 and fault["id"]
    url = _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate")
    for _ in range(2):
        r = request("PUT", url, token=token, json_body={"recordingState": "PAUSED"})
        body = assert_error(r, 409, "general.conflict")
        assert r.header("X-Sandbox-Fault") == "injected"
        assert r.header("X-Sandbox-Fault-Id") == fault["id"]
        assert "injected" in body["message"]
        assert _state(sb, token, demo.ACTIVE) == ("ACTIVE", False)  # nothing happened
    r = request("PUT", url, token=token, json_body={"recordingState": "PAUSED"})
    assert (r.status, r.body) == (200, "PAUSED")
    assert r.header("X-Sandbox-Fault") is None
    assert _state(sb, token, demo.ACTIVE) == ("PAUSED", True)


@pytest.mark.parametrize(("status", "code"), [(503, "service.unavailable"), (500, "internal.server.error"),
                                              (504, "request.timeout"), (403, "not.authorized")])
def test_injected_status_gets_the_catalogue_code(sb, demo, token, status, code):
    _fault(sb, method="PATCH", path="/api/v2/conversations/*/recordingstate", status=status)
    r = request("PATCH", _api(sb, f"conversations/{demo.ACTIVE}/recordingstate"), token=token,
                json_body={"recordingState": "PAUSED"})
    body = assert_error(r, status, code)
    assert body["message"].endswith("(injected by the sandbox)")
    assert r.header("X-Sandbox-Fault") == "injected"
    assert r.header("Retry-After") is None
    assert _state(sb, token, demo.ACTIVE) == ("ACTIVE", False)


def test_injected_code_and_message_are_used(sb, demo, token):
    _fault(sb, method="GET", path=f"/api/v2/conversations/{demo.ACTIVE}", status=503,
           code="service.unavailable", message="Edge is restarting")
    r = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token)
    body = assert_error(r, 503, "service.unavailable")
    assert body["message"].startswith("Edge is restarting") and "injected" in body["message"]


def test_injected_429_with_retry_after(sb, demo, token):
    _fault(sb, method="GET", path="/api/v2/conversations/*", status=429, retryAfter=7)
    r = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token)
    body = assert_error(r, 429, "too.many.requests.retry.after")
    assert r.header("Retry-After") == "7"
    assert "[7]" in body["message"]
    assert r.header("X-Sandbox-Fault") == "injected"


def test_injected_429_without_retry_after(sb, demo, token):
    _fault(sb, method="GET", path="/api/v2/conversations/*", status=429)
    r = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token)
    assert_error(r, 429, "too.many.requests")
    assert r.header("Retry-After") is None
    assert r.header("X-Sandbox-Fault") == "injected"


def test_injected_raw_body_and_headers(sb, demo, token):
    _fault(sb, method="GET", path="/api/v2/conversations/*", status=502, body={"oops": True},
           headers={"X-Extra": "1"})
    r = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token)
    assert r.status == 502
    assert r.body == {"oops": True}
    assert r.header("X-Extra") == "1"
    assert r.header("X-Sandbox-Fault") == "injected"
    assert r.header("inin-correlation-id")


def test_injected_fault_on_the_token_endpoint(sb, demo):
    _fault(sb, method="POST", path="/oauth/token", status=503)
    from .http_helpers import token_request

    r = token_request(sb.url, *demo.SUPERVISOR)
    assert r.status == 503 and r.header("X-Sandbox-Fault") == "injected"
    assert token_request(sb.url, *demo.SUPERVISOR).status == 200


# --- latency and dropped connections -------------------------------------------------------------------


def test_delay_fault_slows_the_real_reply(sb, demo, token):
    _fault(sb, action="delay", method="PUT", path="/api/v2/conversations/calls/*/recordingstate", latencyMs=300)
    started = time.monotonic()
    r = request("PUT", _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate"), token=token,
                json_body={"recordingState": "PAUSED"})
    elapsed = time.monotonic() - started
    assert elapsed >= 0.3
    assert (r.status, r.body) == (200, "PAUSED")  # the real result, just late
    assert r.header("X-Sandbox-Fault") == "delayed"
    assert _state(sb, token, demo.ACTIVE) == ("PAUSED", True)
    entry = sb.control.requests(path="/recordingstate")[-1]
    assert entry["status"] == 200 and entry["injected"] is False and entry["durationMs"] >= 300


def test_latency_with_an_injected_status(sb, demo, token):
    _fault(sb, method="GET", path="/api/v2/conversations/*", status=503, latencyMs=200)
    started = time.monotonic()
    r = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token)
    assert time.monotonic() - started >= 0.2
    assert_error(r, 503, "service.unavailable")


def test_drop_fault_closes_the_connection_and_the_server_keeps_serving(sb, demo, token):
    fault = _fault(sb, action="drop", method="GET", path=f"/api/v2/conversations/{demo.ACTIVE}")
    http = urllib3.PoolManager(retries=False)
    with pytest.raises((urllib3.exceptions.ProtocolError, urllib3.exceptions.MaxRetryError, ConnectionError)):
        http.request("GET", _api(sb, f"conversations/{demo.ACTIVE}"),
                     headers={"Authorization": f"Bearer {token}"}, retries=False)
    entry = sb.control.requests(path=demo.ACTIVE)[-1]
    assert entry["status"] == 0 and entry["injected"] is True and entry["faultId"] == fault["id"]
    # the same pool and a fresh one both work afterwards
    r = http.request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200
    assert request("GET", f"{sb.url}/_sandbox/health").status == 200
    assert request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).status == 200


# --- matching, listing, clearing ---------------------------------------------------------------------


def test_fault_matches_method_and_path_glob(sb, demo, token):
    _fault(sb, method="GET", path="/api/v2/conversations/*", status=503, count=5)
    put = request("PUT", _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate"), token=token,
                  json_body={"recordingState": "PAUSED"})
    assert put.status == 200 and put.header("X-Sandbox-Fault") is None  # GET fault, PUT request
    other_path = request("POST", _api(sb, "analytics/conversations/details/query"), token=token,
                         json_body={"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"})
    assert other_path.header("X-Sandbox-Fault") is None
    assert request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).status == 503
    (live,) = sb.control.call("GET", "faults")
    assert (live["remaining"], live["hits"]) == (4, 1)


def test_method_star_matches_every_method(sb, demo, token):
    _fault(sb, method="*", path=f"/api/v2/conversations/*{demo.ACTIVE}*", status=500, count=2)
    assert request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).status == 500
    assert request("PATCH", _api(sb, f"conversations/{demo.ACTIVE}/recordingstate"), token=token,
                   json_body={"recordingState": "PAUSED"}).status == 500
    assert request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).status == 200


def test_list_and_clear_faults(sb):
    assert request("GET", f"{sb.url}/_sandbox/faults").body == []
    a = _fault(sb, method="GET", path="/api/v2/a/*", status=500, count=3)
    b = _fault(sb, action="delay", path="/api/v2/b", latencyMs=10)
    listed = request("GET", f"{sb.url}/_sandbox/faults").body
    assert [f["id"] for f in listed] == [a["id"], b["id"]]
    assert listed[0] == {**a, "remaining": 3, "hits": 0}
    assert listed[1]["action"] == "delay" and listed[1]["latencyMs"] == 10 and listed[1]["method"] == "*"
    r = request("DELETE", f"{sb.url}/_sandbox/faults")
    assert (r.status, r.body) == (200, {"cleared": 2})
    assert request("GET", f"{sb.url}/_sandbox/faults").body == []


def test_a_list_of_faults_in_one_post(sb):
    r = request("POST", f"{sb.url}/_sandbox/faults",
                json_body=[{"status": 500, "path": "/x"}, {"action": "drop", "path": "/y"}])
    assert r.status == 201
    assert [f["action"] for f in r.body] == ["respond", "drop"]


def test_exhausted_faults_disappear(sb, demo, token):
    _fault(sb, method="GET", path="/api/v2/conversations/*", status=500, count=1)
    assert request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).status == 500
    assert sb.control.call("GET", "faults") == []


def test_request_log_marks_injected_requests(sb, demo, token):
    sb.control.call("DELETE", "requests")
    _fault(sb, method="PUT", path="/api/v2/conversations/calls/*/recordingstate", status=409, count=1)
    url = _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate")
    injected = request("PUT", url, token=token, json_body={"recordingState": "PAUSED"})
    real = request("PUT", url, token=token, json_body={"recordingState": "PAUSED"})
    log = sb.control.requests(path="/recordingstate")
    assert len(log) == 2
    first, second = log
    for entry, resp in ((first, injected), (second, real)):
        assert entry["method"] == "PUT"
        assert entry["path"] == f"/api/v2/conversations/calls/{demo.ACTIVE}/recordingstate"
        assert entry["contextId"] == resp.header("inin-correlation-id")
        assert entry["status"] == resp.status
    assert first["injected"] is True and "faultId" in first
    assert second["injected"] is False and "faultId" not in second
    assert second["principal"] == demo.SUPERVISOR[0] and second["tokenKind"] == "client_credentials"


_BAD_SPECS = [
    ({"status": 409, "bogus": 1}, "unknown fault field"),
    ({"status": 200}, "'status' must be a whole number from 400 to 599"),
    ({"status": "409"}, "'status' must be a whole number"),
    ({"action": "respond"}, "needs 'status'"),
    ({"action": "explode"}, "'action' must be one of"),
    ({}, "'action' must be one of"),
    ({"status": 500, "method": "FETCH"}, "'method' must be"),
    ({"status": 500, "path": ""}, "'path' must be a glob"),
    ({"status": 500, "count": 0}, "'count' must be a whole number"),
    ({"status": 500, "count": True}, "'count' must be a whole number"),
    ({"status": 429, "retryAfter": -1}, "'retryAfter' must be a whole number"),
    ({"action": "delay"}, "needs 'latencyMs'"),
    ({"action": "delay", "latencyMs": 10_000_000}, "'latencyMs' must be a whole number"),
    ({"status": 500, "headers": {"X": 1}}, "'headers' must be an object"),
    ({"status": 500, "code": ""}, "'code' must be a non-empty string"),
    ("409", "a fault must be a JSON object"),
]


@pytest.mark.parametrize(("spec", "hint"), _BAD_SPECS)
def test_invalid_fault_specs_are_400_with_a_helpful_message(sb, spec, hint):
    r = request("POST", f"{sb.url}/_sandbox/faults", json_body=spec)
    body = assert_error(r, 400, "sandbox.bad.request")
    assert hint in body["message"], body["message"]
    assert sb.control.call("GET", "faults") == []


def test_fault_body_must_be_json(sb):
    r = request("POST", f"{sb.url}/_sandbox/faults", body=b"{status: 409", headers={"Content-Type": "application/json"})
    body = assert_error(r, 400, "sandbox.bad.request")
    assert "JSON" in body["message"]


def test_a_bad_spec_in_a_list_adds_none_of_them(sb):
    r = request("POST", f"{sb.url}/_sandbox/faults", json_body=[{"status": 500, "path": "/x"}, {"status": 1}])
    assert_error(r, 400, "sandbox.bad.request")
    assert sb.control.call("GET", "faults") == []


# --- the SDK's hidden retry (§7.4) -------------------------------------------------------------------------


def test_sdk_silently_retries_injected_429s_with_retry_after(sb, demo, supervisor, sdk):
    sb.control.call("DELETE", "requests")
    path = f"/api/v2/conversations/{demo.ACTIVE}"
    _fault(sb, method="GET", path=path, status=429, retryAfter=0, count=3)
    conv = sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE)
    assert conv.id == demo.ACTIVE  # the application never saw the three 429s
    log = [e for e in sb.control.requests() if e["path"] == path]
    assert [e["status"] for e in log] == [429, 429, 429, 200]
    assert [e["injected"] for e in log] == [True, True, True, False]


def test_sdk_raises_the_eleventh_429(sb, demo, supervisor, sdk):
    from PureCloudPlatformClientV2.rest import ApiException

    sb.control.call("DELETE", "requests")
    path = f"/api/v2/conversations/{demo.ACTIVE}"
    _fault(sb, method="GET", path=path, status=429, retryAfter=0, count=11)
    with pytest.raises(ApiException) as info:
        sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE)
    assert info.value.status == 429
    assert info.value.headers.get("Retry-After") == "0"
    assert "too.many.requests.retry.after" in info.value.body
    log = [e for e in sb.control.requests() if e["path"] == path]
    assert len(log) == 11 and all(e["status"] == 429 for e in log)
    assert sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE).id == demo.ACTIVE


def test_sdk_raises_a_429_without_retry_after_at_once(sb, demo, supervisor, sdk):
    from PureCloudPlatformClientV2.rest import ApiException

    sb.control.call("DELETE", "requests")
    path = f"/api/v2/conversations/{demo.ACTIVE}"
    _fault(sb, method="GET", path=path, status=429, count=1)
    with pytest.raises(ApiException) as info:
        sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE)
    assert info.value.status == 429
    assert info.value.headers.get("Retry-After") is None
    assert len([e for e in sb.control.requests() if e["path"] == path]) == 1


def test_sdk_silently_retries_a_dropped_connection(sb, demo, supervisor, sdk):
    """Connection errors are retried by the SDK's urllib3 Retry too: the drop never surfaces."""
    sb.control.call("DELETE", "requests")
    path = f"/api/v2/conversations/{demo.ACTIVE}"
    _fault(sb, action="drop", method="GET", path=path, count=2)
    assert sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE).id == demo.ACTIVE
    log = [e for e in sb.control.requests() if e["path"] == path]
    assert [e["status"] for e in log] == [0, 0, 200]


def test_sdk_retries_a_rate_limited_put_silently(sb, demo, supervisor, sdk):
    """The SDK's Retry allows every method, so a 429'd PUT is re-sent too (§7.4)."""
    sb.control.call("DELETE", "requests")
    _fault(sb, method="PUT", path="/api/v2/conversations/calls/*/recordingstate", status=429, retryAfter=0, count=2)
    body = sdk.SetRecordingState()
    body.recording_state = "PAUSED"
    result = sdk.ConversationsApi(supervisor).put_conversations_call_recordingstate(demo.ACTIVE, body)
    assert result == "PAUSED"
    log = sb.control.requests(path="/recordingstate")
    assert [e["status"] for e in log] == [429, 429, 200]
