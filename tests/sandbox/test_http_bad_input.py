"""Bad input gets a Genesys-shaped 4xx, never a 500, a traceback or a hang (§5, §8 rules 16, 21).

Every test here also checks, through an autouse fixture, that the request log holds no 5xx.
"""

from __future__ import annotations

import json
import random
import string

import pytest
import urllib3

from .http_helpers import RATELIMIT_HEADERS, assert_error, get_token, raw_request, request, token_request


@pytest.fixture(autouse=True)
def _no_server_errors(sb):
    sb.control.call("DELETE", "requests")
    yield
    log = sb.control.requests()
    assert log, "the bad requests should be in the request log"
    errors = [(e["method"], e["path"][:120], e["status"]) for e in log if e["status"] >= 500 or e["status"] == 0]
    assert errors == []


@pytest.fixture
def token(sb, demo) -> str:
    return get_token(sb.url, *demo.SUPERVISOR)


@pytest.fixture
def ava(sb, demo) -> str:
    return sb.control.user_token(demo.AVA)


def _api(sb, path: str) -> str:
    return f"{sb.url}/api/v2/{path.lstrip('/')}"


def _body_endpoints(demo):
    """(method, path, who) of every endpoint that takes a JSON body."""
    return [
        ("PUT", f"conversations/calls/{demo.ACTIVE}/recordingstate", "supervisor"),
        ("PUT", f"conversations/emails/{demo.EMAIL}/recordingstate", "supervisor"),
        ("PATCH", f"conversations/{demo.ACTIVE}/recordingstate", "supervisor"),
        ("PATCH", f"conversations/calls/{demo.ACTIVE}", "ava"),
        ("PATCH", f"conversations/calls/{demo.ACTIVE}/participants/{demo.ACTIVE_AGENT}", "ava"),
        ("PATCH", f"conversations/{demo.ACTIVE}/participants/{demo.ACTIVE_AGENT}", "ava"),
        ("POST", "analytics/conversations/details/query", "supervisor"),
    ]


def _who(sb, demo, who: str) -> str:
    return get_token(sb.url, *demo.SUPERVISOR) if who == "supervisor" else sb.control.user_token(demo.AVA)


def _assert_state_unchanged(sb, demo) -> None:
    summary = sb.control.conversation(demo.ACTIVE)
    assert (summary["recordingState"], summary["securePause"], summary["ended"]) == ("ACTIVE", False, False)
    agent = next(p for p in summary["participants"] if p["id"] == demo.ACTIVE_AGENT)
    assert agent["adhoc"] is False


# --- bodies -----------------------------------------------------------------------------------------

MALFORMED = [b"{", b"{bad json}", b'{"recordingState": "PAUSED"', b"\xff\xfe\x00", b"[" * 100_000,
             b'{"recordingState": "PAUSED"} trailing', b"nul\x00l"]


@pytest.mark.parametrize("endpoint", range(7))
def test_malformed_json_is_400_bad_request(sb, demo, endpoint):
    method, path, who = _body_endpoints(demo)[endpoint]
    token = _who(sb, demo, who)
    for raw in MALFORMED:
        r = request(method, _api(sb, path), token=token, body=raw, headers={"Content-Type": "application/json"})
        assert_error(r, 400, "bad.request")
        for name in RATELIMIT_HEADERS:
            assert r.header(name)
    _assert_state_unchanged(sb, demo)


@pytest.mark.parametrize("endpoint", range(7))
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415(sb, demo, endpoint, content_type):
    method, path, who = _body_endpoints(demo)[endpoint]
    r = request(method, _api(sb, path), token=_who(sb, demo, who), body=b'{"recordingState": "PAUSED"}',
                headers={"Content-Type": content_type})
    assert_error(r, 415, "unsupported.media.type")
    _assert_state_unchanged(sb, demo)


def test_json_with_charset_is_accepted(sb, demo, token):
    r = request("PUT", _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate"), token=token,
                body=b'{"recordingState": "PAUSED"}', headers={"Content-Type": "application/json; charset=UTF-8"})
    assert (r.status, r.body) == (200, "PAUSED")


@pytest.mark.parametrize("endpoint", range(7))
@pytest.mark.parametrize("raw", [b"[]", b'[{"recordingState": "PAUSED"}]', b'"PAUSED"', b"null", b"42", b"true"])
def test_body_that_is_not_an_object_is_400(sb, demo, endpoint, raw):
    method, path, who = _body_endpoints(demo)[endpoint]
    r = request(method, _api(sb, path), token=_who(sb, demo, who), body=raw,
                headers={"Content-Type": "application/json"})
    assert_error(r, 400)
    assert r.body["code"] in ("bad.request", "invalid.value")
    _assert_state_unchanged(sb, demo)


@pytest.mark.parametrize("endpoint", range(7))
@pytest.mark.parametrize("raw", [b"", b"   ", b"\r\n"])
def test_empty_body_where_one_is_required_is_400(sb, demo, endpoint, raw):
    method, path, who = _body_endpoints(demo)[endpoint]
    r = request(method, _api(sb, path), token=_who(sb, demo, who), body=raw,
                headers={"Content-Type": "application/json"})
    assert_error(r, 400, "bad.request")
    _assert_state_unchanged(sb, demo)


def test_empty_object_is_400(sb, demo, token, ava):
    """{} has nothing to set. (An empty MediaParticipantRequest is a valid no-op, so the
    participant PATCHes are left out.)"""
    for method, path, who in _body_endpoints(demo):
        if "/participants/" in path:
            continue
        r = request(method, _api(sb, path), token=token if who == "supervisor" else ava, json_body={})
        assert_error(r, 400)
    _assert_state_unchanged(sb, demo)


# --- enum and type checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["STOPPED", "paused ", "", "outdated_sdk_version", "NONE", "none", 1, True,
                                   ["PAUSED"], {"state": "PAUSED"}])
def test_unknown_recording_state_is_400_invalid_value(sb, demo, token, value):
    for method, path in (("PUT", f"conversations/calls/{demo.ACTIVE}/recordingstate"),
                         ("PATCH", f"conversations/{demo.ACTIVE}/recordingstate")):
        r = request(method, _api(sb, path), token=token, json_body={"recordingState": value})
        body = assert_error(r, 400, "invalid.value")
        assert "recordingState" in body["message"]
    _assert_state_unchanged(sb, demo)


def test_null_recording_state_is_400(sb, demo, token):
    r = request("PUT", _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate"), token=token,
                json_body={"recordingState": None})
    assert_error(r, 400)
    _assert_state_unchanged(sb, demo)


def test_calls_patch_with_unknown_enum_is_400_invalid_value(sb, demo, ava):
    url = _api(sb, f"conversations/calls/{demo.ACTIVE}")
    assert_error(request("PATCH", url, token=ava, json_body={"recordingState": "STOP"}), 400, "invalid.value")
    assert_error(request("PATCH", url, token=ava, json_body={"state": "connected"}), 400, "invalid.value")
    _assert_state_unchanged(sb, demo)


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None, [], {}, "false"])
@pytest.mark.parametrize("route", ["conversations/calls/{cid}/participants/{pid}",
                                   "conversations/{cid}/participants/{pid}"])
def test_non_boolean_recording_is_400_invalid_value(sb, demo, ava, value, route):
    path = route.format(cid=demo.ACTIVE, pid=demo.ACTIVE_AGENT)
    r = request("PATCH", _api(sb, path), token=ava, json_body={"recording": value})
    body = assert_error(r, 400, "invalid.value")
    assert "recording" in body["message"]
    _assert_state_unchanged(sb, demo)


def test_participant_state_outside_the_enum_is_400_invalid_value(sb, demo, ava):
    path = f"conversations/calls/{demo.ACTIVE}/participants/{demo.ACTIVE_AGENT}"
    assert_error(request("PATCH", _api(sb, path), token=ava, json_body={"state": "exploded"}), 400, "invalid.value")
    _assert_state_unchanged(sb, demo)


@pytest.mark.parametrize("query", ["maxWaitMs=-1", "maxWaitMs=abc", "maxWaitMs=0", "maxWaitMs=1.5", "maxWaitMs=",
                                   "maxWaitMs=99999999999999999999999999", "formatId=FLAC", "formatId=wav",
                                   "mediaFormats=WAV,FLAC", "includePauseAnnotationsForScreenRecordings=yes"])
def test_bad_recordings_query_params_are_400_invalid_value(sb, demo, token, query):
    r = request("GET", _api(sb, f"conversations/{demo.ENDED}/recordings?{query}"), token=token)
    if query.startswith("maxWaitMs=9999"):
        # a huge wait is valid (capped by the sandbox), not an error
        assert r.status == 200
        return
    assert_error(r, 400, "invalid.value")


@pytest.mark.parametrize("query", ["download=maybe", "emailFormatId=PDF", "formatId=XYZ"])
def test_bad_single_recording_query_params_are_400(sb, demo, token, query):
    rec_id = sb.control.conversation(demo.ENDED)["recordingIds"][0]
    r = request("GET", _api(sb, f"conversations/{demo.ENDED}/recordings/{rec_id}?{query}"), token=token)
    assert_error(r, 400, "invalid.value")


def test_bad_retention_date_is_400_invalid_date(sb, demo, token):
    rec_id = sb.control.conversation(demo.ENDED)["recordingIds"][0]
    url = _api(sb, f"conversations/{demo.ENDED}/recordings/{rec_id}")
    assert_error(request("PUT", url, token=token, json_body={"deleteDate": "tomorrow"}), 400, "invalid.date")
    assert_error(request("PUT", url, token=token, json_body={"deleteDate": 12}), 400, "invalid.date")
    assert_error(request("PUT", f"{url}?clearExport=perhaps", token=token, json_body={}), 400, "invalid.value")


def test_bad_communication_type_is_400_invalid_value(sb, ava):
    assert_error(request("GET", _api(sb, "conversations?communicationType=Fax"), token=ava), 400, "invalid.value")


@pytest.mark.parametrize("query", [
    {},
    {"interval": "yesterday"},
    {"interval": "2026-01-01T00:00:00Z"},
    {"interval": "2026-01-02T00:00:00Z/2026-01-01T00:00:00Z"},
    {"interval": 5},
    {"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "paging": {"pageSize": -1, "pageNumber": 1}},
    {"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "paging": "all"},
    {"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "order": "sideways"},
    {"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "segmentFilters": "recorded"},
    {"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "segmentFilters": [{"type": "xor", "predicates": []}]},
    {"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z",
     "segmentFilters": [{"type": "and", "predicates": [{"dimension": "mediaType", "operator": "like"}]}]},
])
def test_bad_details_queries_are_4xx(sb, token, query):
    r = request("POST", _api(sb, "analytics/conversations/details/query"), token=token, json_body=query)
    assert_error(r, 400)
    assert r.body["code"] in ("bad.request", "invalid.value", "invalid.date")


# --- ids and paths ------------------------------------------------------------------------------------


def _bogus_ids():
    rng = random.Random(1234)
    alphabet = string.ascii_letters + string.digits + "-_.~"
    ids = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(8)]
    ids += ["x" * 1000, "a" * 4096, "c0a80001-0000-4000-8000-00000000000", "00000000-0000-0000-0000-000000000000",
            "%C3%A9t%C3%A9", "%FF%FE", "%ZZ", "'%20OR%201=1--", "%3Cscript%3E", "calls%20", "..."]
    return ids


@pytest.mark.parametrize("cid", _bogus_ids())
def test_bogus_conversation_ids_are_404(sb, demo, token, cid):
    for method, path, body in (
        ("GET", f"conversations/{cid}", None),
        ("GET", f"conversations/calls/{cid}", None),
        ("GET", f"conversations/{cid}/recordings?maxWaitMs=10", None),
        ("GET", f"conversations/{cid}/recordingmetadata", None),
        ("GET", f"analytics/conversations/{cid}/details", None),
        ("PUT", f"conversations/calls/{cid}/recordingstate", {"recordingState": "PAUSED"}),
        ("PATCH", f"conversations/{cid}/recordingstate", {"recordingState": "PAUSED"}),
    ):
        kwargs = {} if body is None else {"json_body": body}
        r = request(method, _api(sb, path), token=token, **kwargs)
        err = assert_error(r, 404)
        assert "not.found" in err["code"], (path, err)


def test_bogus_participant_id_is_404(sb, demo, ava):
    r = request("PATCH", _api(sb, f"conversations/calls/{demo.ACTIVE}/participants/nobody"), token=ava,
                json_body={"recording": True})
    assert_error(r, 404)


PATH_TRICKS = [
    "/api/v2/conversations/%2e%2e/{cid}",
    "/api/v2/conversations/%2E%2E/%2E%2E/oauth/token",
    "/api/v2/conversations/.%2e/{cid}",
    "/api/v2/conversations/%2e/{cid}",
    "/api/v2/conversations/calls%2F{cid}",
    "/api/v2/conversations/{cid}%2Frecordings",
    "/api/v2/conversations/calls/{cid}%2f..%2f..%2frecordingstate",
    "/api/v2/conversations//{cid}",
    "/api/v2//conversations/{cid}",
    "/api/v2/conversations/{cid}/",
    "/api/v2/conversations/{cid}//",
    "/api/v2/conversations/a%5Cb",
    "/api/v2/conversations/{cid}%5C",
    "/api/v2/conversations/a%00b",
    "/api/v2/conversations/{cid}%00",
    "/api/v2/conversations/%0d%0aX-Injected:%201",
    "/api/v2/conversations/%7F",
    "/api/v2/conversations/%FF",
]


@pytest.mark.parametrize("trick", PATH_TRICKS)
def test_path_tricks_are_404_not_found(sb, demo, token, trick):
    target = trick.format(cid=demo.ACTIVE)
    r = raw_request(sb.url, "GET", target, token=token)
    body = assert_error(r, 404, "not.found")
    assert set(body) == {"message", "code", "status", "contextId", "details", "errors"}
    assert r.header("X-Injected") is None
    for name in RATELIMIT_HEADERS:  # still an /api/v2 reply
        assert r.header(name), (trick, dict(r.headers))
    entry = sb.control.requests()[-1]
    assert (entry["status"], entry["contextId"]) == (404, body["contextId"])


@pytest.mark.parametrize("target", ["/api/v2/conversations/a\\b", "/api/v2/conversations/{cid}\\",
                                    "/api/v2/conversations/../conversations/{cid}",
                                    "/api/v2/conversations/./{cid}"])
def test_raw_backslash_and_dot_segments_are_404(sb, demo, token, target):
    r = raw_request(sb.url, "GET", target.format(cid=demo.ACTIVE), token=token)
    assert_error(r, 404, "not.found")


def test_path_tricks_never_write(sb, demo, token):
    for target in ("/api/v2/conversations/calls/%2e%2e/calls/{cid}/recordingstate",
                   "/api/v2/conversations/calls/{cid}/recordingstate/",
                   "/api/v2/conversations/calls//{cid}/recordingstate",
                   "/api/v2/conversations/calls/{cid}%00/recordingstate"):
        r = raw_request(sb.url, "PUT", target.format(cid=demo.ACTIVE), token=token,
                        headers={"Content-Type": "application/json"}, body=b'{"recordingState": "PAUSED"}')
        assert_error(r, 404, "not.found")
    _assert_state_unchanged(sb, demo)


def test_path_tricks_on_the_control_plane_are_404(sb):
    for target in ("/_sandbox/%2e%2e/health", "/_sandbox//health", "/_sandbox/health/", "/_sandbox/health%00"):
        r = raw_request(sb.url, "GET", target)
        assert r.status == 404 and r.body["code"] == "not.found", (target, r.body)
    # unknown paths outside /api/v2 too
    assert_error(raw_request(sb.url, "GET", "/"), 404, "not.found")
    assert_error(raw_request(sb.url, "GET", "/api/v1/conversations"), 404, "not.found")
    request("GET", f"{sb.url}/api/v2/nothing")  # something for the log check


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "POST"])
def test_unsupported_methods_are_404(sb, demo, token, method):
    r = raw_request(sb.url, method, f"/api/v2/conversations/{demo.ACTIVE}", token=token)
    assert_error(r, 404, "not.found")


def test_head_is_404_without_a_body(sb, demo, token):
    r = raw_request(sb.url, "HEAD", f"/api/v2/conversations/{demo.ACTIVE}", token=token)
    assert r.status == 404 and r.raw == b""
    assert r.header("inin-correlation-id")


# --- size limits --------------------------------------------------------------------------------------


def test_oversized_body_is_413(sb, demo, token):
    payload = json.dumps({"recordingState": "PAUSED", "pad": "x" * (1_048_576 + 10)}).encode()
    r = request("PUT", _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate"), token=token, body=payload,
                headers={"Content-Type": "application/json"})
    body = assert_error(r, 413, "request.entity.too.large")
    assert "1048576" in body["message"]
    for name in RATELIMIT_HEADERS:
        assert r.header(name)
    _assert_state_unchanged(sb, demo)


def test_oversized_chunked_body_is_413(sb, demo, token):
    def chunks():
        for _ in range(12):
            yield b"x" * 100_000

    http = urllib3.PoolManager(retries=False)
    r = http.request("PUT", _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate"), body=chunks(),
                     chunked=True, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert r.status == 413
    assert json.loads(r.data)["code"] == "request.entity.too.large"
    _assert_state_unchanged(sb, demo)


def test_body_limit_follows_the_setting(sb, demo, token):
    sb.control.settings(maxBodyBytes=64)
    url = _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate")
    ok = request("PUT", url, token=token, json_body={"recordingState": "PAUSED"})
    assert ok.status == 200
    big = request("PUT", url, token=token, json_body={"recordingState": "ACTIVE", "pad": "x" * 100})
    assert_error(big, 413, "request.entity.too.large")
    assert sb.control.conversation(demo.ACTIVE)["recordingState"] == "PAUSED"


def test_oversized_token_request_is_413(sb, demo):
    r = token_request(sb.url, *demo.SUPERVISOR, form="grant_type=client_credentials&pad=" + "x" * 1_100_000)
    assert_error(r, 413, "request.entity.too.large")


# --- headers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["Bearer", "Bearer ", "bearer  ", "Basic Zm9vOmJhcg==", "Token abc", "Bearer a b c",
                                  "Bearer " + "x" * 4000, "Bearer \u00e9\u00e8"])
def test_bad_authorization_headers_are_401(sb, demo, auth):
    r = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"),
                headers={"Authorization": auth.encode("utf-8").decode("latin-1")})
    assert_error(r, 401)
    assert r.body["code"] in ("authentication.required", "bad.credentials")


def test_expired_token_is_401_bad_credentials(sb, demo, token):
    sb.control.advance_clock(86400)
    assert_error(request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token), 401, "bad.credentials")


# --- the token endpoint -----------------------------------------------------------------------------------


def _oauth_400(r) -> None:
    assert r.status == 400, (r.status, r.body)
    assert (r.header("content-type") or "").startswith("application/json")
    assert isinstance(r.body, dict) and {"error", "description", "error_description"} <= set(r.body), r.body
    assert "code" not in r.body  # the OAuth shape, not ErrorBody


@pytest.mark.parametrize(("content_type", "form"), [
    ("application/json", '{"grant_type": "client_credentials"}'),
    ("text/plain", "grant_type=client_credentials"),
    (None, "grant_type=client_credentials"),
    ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\n"
     "client_credentials\r\n--x--\r\n"),
])
def test_non_form_token_request_is_400_oauth_error(sb, demo, content_type, form):
    r = token_request(sb.url, *demo.SUPERVISOR, form=form, content_type=content_type)
    _oauth_400(r)
    assert r.body["error"] == "invalid_request"


@pytest.mark.parametrize("form", ["", "grant_type=", "grant=client_credentials", "grant_type=client_credentials%",
                                  b"grant_type=\xff\xfe", "&&&===", "grant_type=authorization_code&code=x"])
def test_malformed_token_forms_are_400_oauth_errors(sb, demo, form):
    _oauth_400(token_request(sb.url, *demo.SUPERVISOR, form=form))


@pytest.mark.parametrize("auth", ["Basic", "Basic !!!notbase64", "Basic " + "YWJj", "Bearer abc",
                                  "Basic " + "w6k6w6k="])
def test_malformed_basic_auth_is_400_invalid_client(sb, auth):
    r = token_request(sb.url, headers={"Authorization": auth})
    _oauth_400(r)
    assert r.body["error"] == "invalid_client"
