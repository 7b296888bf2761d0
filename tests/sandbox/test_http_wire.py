"""What the SDK hides, checked on the raw wire: headers, error envelopes, bare and empty bodies,
the token endpoint's own JSON, invented tutorial routes, and no nulls in GET replies.

Facts: docs/genesys-api.md §1 (success replies), §4.2 (token JSON), §5.1 (ErrorBody and
inin-correlation-id), §6 (inin-ratelimit-*), §8 rules 11, 16, 17, 19, 21 and "Common misinformation".
"""

from __future__ import annotations

import uuid

import pytest

from .http_helpers import (
    RATELIMIT_HEADERS,
    assert_error,
    find_nulls,
    get_token,
    request,
    token_request,
)


@pytest.fixture
def token(sb, demo) -> str:
    return get_token(sb.url, *demo.SUPERVISOR)


def _api(sb, path: str) -> str:
    return f"{sb.url}/api/v2/{path.lstrip('/')}"


def _is_uuid(text: str | None) -> bool:
    try:
        uuid.UUID(text or "")
    except ValueError:
        return False
    return True


def _assert_ratelimit_headers(r) -> tuple[int, int, int]:
    for name in RATELIMIT_HEADERS:
        assert r.header(name) is not None, (name, r.status, dict(r.headers))
        assert r.header(name).isdigit(), (name, r.header(name))
    count, allowed, reset = (int(r.header(n)) for n in RATELIMIT_HEADERS)
    assert 1 <= reset <= 60
    return count, allowed, reset


# --- correlation id and rate-limit headers on every /api/v2 reply -------------------------------


def test_success_carries_correlation_id_and_ratelimit_headers(sb, demo, token):
    r = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token)
    assert r.status == 200
    assert _is_uuid(r.header("inin-correlation-id"))
    count, allowed, _ = _assert_ratelimit_headers(r)
    assert count == 1
    assert allowed == 300  # the documented per-token default (§6)


def test_each_response_gets_its_own_correlation_id(sb, demo, token):
    ids = {request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).header("inin-correlation-id")
           for _ in range(3)}
    assert len(ids) == 3


def _error_cases(demo):
    # (name, method, path, token kind, json body, status, code)
    return [
        ("no bearer", "GET", f"conversations/{demo.ACTIVE}", None, None, 401, "authentication.required"),
        ("unknown bearer", "GET", f"conversations/{demo.ACTIVE}", "bogus", None, 401, "bad.credentials"),
        ("missing permission", "PUT", f"conversations/calls/{demo.ACTIVE}/recordingstate", "readonly",
         {"recordingState": "PAUSED"}, 403, "missing.any.permissions"),
        ("unknown conversation", "GET", f"conversations/{uuid.uuid4()}", "supervisor", None, 404, "not.found"),
        ("unknown call", "GET", f"conversations/calls/{uuid.uuid4()}", "supervisor", None, 404,
         "conversation.error.conversation.not.found"),
        ("unknown route", "GET", "users/me/nothing", "supervisor", None, 404, "not.found"),
        ("known path, other method", "POST", f"conversations/{demo.ACTIVE}", "supervisor", None, 404,
         "not.found"),  # (DELETE is a real route the sandbox does not emulate: 501, test_real_routes.py)
        ("client credentials on a user endpoint", "GET", "conversations/calls", "supervisor", None, 400,
         "not.a.user"),
        ("enum value", "PUT", f"conversations/calls/{demo.ACTIVE}/recordingstate", "supervisor",
         {"recordingState": "STOPPED"}, 400, "invalid.value"),
        ("ended call", "PUT", f"conversations/calls/{demo.ENDED}/recordingstate", "supervisor",
         {"recordingState": "PAUSED"}, 400, "conversation.error.call.disconnected"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_error_replies_are_genesys_envelopes_with_all_headers(sb, demo, case):
    name, method, path, who, body, status, code = _error_cases(demo)[case]
    token = {"supervisor": lambda: get_token(sb.url, *demo.SUPERVISOR),
             "readonly": lambda: get_token(sb.url, *demo.READONLY),
             "bogus": lambda: "not-a-real-token",
             None: lambda: None}[who]()
    kwargs = {} if body is None else {"json_body": body}
    r = request(method, _api(sb, path), token=token, **kwargs)
    err = assert_error(r, status, code)
    assert _is_uuid(err["contextId"]), name
    _assert_ratelimit_headers(r)


def test_not_found_envelope_is_exactly_the_documented_shape(sb, token):
    r = request("GET", _api(sb, "conversations/no-such-conversation"), token=token)
    body = assert_error(r, 404, "not.found")
    assert set(body) == {"message", "code", "status", "contextId", "details", "errors"}


def test_missing_permission_lists_the_permission(sb, demo):
    r = request("PUT", _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate"),
                token=get_token(sb.url, *demo.READONLY), json_body={"recordingState": "PAUSED"})
    body = assert_error(r, 403, "missing.any.permissions")
    assert "conversation:recording:pauseOthers" in body["message"]


def test_ratelimit_count_increments_per_token(sb, demo):
    first = get_token(sb.url, *demo.SUPERVISOR)
    second = get_token(sb.url, *demo.SUPERVISOR)  # same client, another token: its own budget
    url = _api(sb, f"conversations/{demo.ACTIVE}")
    counts = [int(request("GET", url, token=first).header("inin-ratelimit-count")) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert request("GET", url, token=second).header("inin-ratelimit-count") == "1"
    # errors count too: a 404 is still a request against the budget
    assert request("GET", _api(sb, "conversations/nope"), token=first).header("inin-ratelimit-count") == "4"
    assert request("GET", url, token=first).header("inin-ratelimit-count") == "5"


def test_token_endpoint_has_a_correlation_id_but_no_api_ratelimit_headers(sb, demo):
    r = token_request(sb.url, *demo.SUPERVISOR)
    assert r.status == 200
    assert _is_uuid(r.header("inin-correlation-id"))


# --- bare and empty bodies --------------------------------------------------------------------


def test_put_recordingstate_answers_a_bare_json_string(sb, demo, token):
    url = _api(sb, f"conversations/calls/{demo.ACTIVE}/recordingstate")
    r = request("PUT", url, token=token, json_body={"recordingState": "PAUSED"})
    assert r.status == 200
    assert r.raw == b'"PAUSED"'
    assert r.body == "PAUSED"
    assert r.header("content-type").startswith("application/json")
    # an idempotent repeat: same status, same bare string, never 409 (rule 7)
    again = request("PUT", url, token=token, json_body={"recordingState": "paused"})
    assert (again.status, again.raw) == (200, b'"PAUSED"')
    resumed = request("PUT", url, token=token, json_body={"recordingState": "ACTIVE"})
    assert (resumed.status, resumed.raw) == (200, b'"ACTIVE"')


def test_put_recordingstate_on_unrecorded_call_answers_none(sb, demo, token):
    r = request("PUT", _api(sb, f"conversations/calls/{demo.UNRECORDED}/recordingstate"), token=token,
                json_body={"recordingState": "PAUSED"})
    assert (r.status, r.raw) == (200, b'"NONE"')


def test_patch_recordingstate_answers_202_with_an_empty_body(sb, demo, token):
    r = request("PATCH", _api(sb, f"conversations/{demo.ACTIVE}/recordingstate"), token=token,
                json_body={"recordingState": "PAUSED"})
    assert r.status == 202
    assert r.raw == b""
    assert r.header("content-length") == "0"
    assert r.header("inin-correlation-id")
    _assert_ratelimit_headers(r)
    conv = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).body
    assert (conv["recordingState"], conv["securePause"]) == ("PAUSED", True)


@pytest.mark.parametrize("route", ["conversations/calls/{cid}/participants/{pid}",
                                   "conversations/{cid}/participants/{pid}"])
def test_participant_patch_answers_202_with_an_empty_body(sb, demo, route):
    ava = sb.control.user_token(demo.AVA)
    path = route.format(cid=demo.UNRECORDED, pid=demo.UNRECORDED_AGENT)
    r = request("PATCH", _api(sb, path), token=ava, json_body={"recording": True})
    assert r.status == 202
    assert r.raw == b""
    assert r.header("content-length") == "0"
    _assert_ratelimit_headers(r)
    summary = sb.control.conversation(demo.UNRECORDED)
    agent = next(p for p in summary["participants"] if p["id"] == demo.UNRECORDED_AGENT)
    assert agent["adhoc"] is True


def test_recordings_of_an_active_call_answer_202_with_an_empty_body(sb, demo, token):
    r = request("GET", _api(sb, f"conversations/{demo.ACTIVE}/recordings?maxWaitMs=50"), token=token)
    assert r.status == 202
    assert r.raw == b""
    assert r.header("content-length") == "0"
    _assert_ratelimit_headers(r)


def test_recordings_of_an_ended_call_answer_200_with_a_bare_array(sb, demo, token):
    r = request("GET", _api(sb, f"conversations/{demo.ENDED}/recordings?maxWaitMs=50"), token=token)
    assert r.status == 200
    assert isinstance(r.body, list) and r.body
    assert all(rec["fileState"] == "AVAILABLE" and "status" not in rec for rec in r.body)


# --- the token endpoint -------------------------------------------------------------------------


def test_token_success_shape(sb, demo):
    r = token_request(sb.url, *demo.SUPERVISOR)
    assert r.status == 200
    assert r.header("content-type").startswith("application/json")
    assert set(r.body) == {"access_token", "token_type", "expires_in"}
    assert r.body["token_type"] == "bearer"
    assert isinstance(r.body["expires_in"], int) and not isinstance(r.body["expires_in"], bool)
    assert 86000 < r.body["expires_in"] <= 86399
    assert isinstance(r.body["access_token"], str) and r.body["access_token"]
    ok = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=r.body["access_token"])
    assert ok.status == 200


def test_token_form_fields_instead_of_basic_auth_work(sb, demo):
    cid, secret = demo.SUPERVISOR
    r = token_request(sb.url, form=f"grant_type=client_credentials&client_id={cid}&client_secret={secret}")
    assert r.status == 200 and r.body["token_type"] == "bearer"


def _oauth_error(r, error: str, description: str | None = None) -> None:
    assert r.status == 400, (r.status, r.body)
    assert r.header("content-type").startswith("application/json")
    assert set(r.body) == {"error", "description", "error_description"}, r.body
    assert r.body["error"] == error
    assert r.body["description"] == r.body["error_description"]
    if description is not None:
        assert r.body["description"] == description


def test_token_wrong_secret(sb, demo):
    _oauth_error(token_request(sb.url, demo.SUPERVISOR[0], "wrong"), "invalid_client", "authentication failed")


def test_token_unknown_client(sb):
    _oauth_error(token_request(sb.url, "no-such-client", "x"), "invalid_client", "client not found")


def test_token_grant_not_allowed(sb):
    client = sb.control.add_client(["conversation:communication:view"], grants=[])
    _oauth_error(token_request(sb.url, client["clientId"], client["clientSecret"]), "unauthorized_client",
                 "client is not authorized to use the client_credential grant type")


def test_token_without_credentials(sb):
    _oauth_error(token_request(sb.url), "invalid_client", "client not found")


def test_token_other_grant_type(sb, demo):
    r = token_request(sb.url, *demo.SUPERVISOR, form="grant_type=password&username=a&password=b")
    _oauth_error(r, "unsupported_grant_type")


def test_token_get_is_not_a_route(sb):
    r = request("GET", f"{sb.url}/oauth/token")
    assert_error(r, 404, "not.found")


def test_a_token_from_another_org_does_not_see_this_orgs_conversation(sb, demo):
    other = get_token(sb.url, *demo.OTHER_ORG)
    assert_error(request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=other), 404, "not.found")
    assert request("GET", _api(sb, f"conversations/{demo.OTHER_ORG_CONV}"), token=other).status == 200


# --- invented tutorial routes ---------------------------------------------------------------------


def _tutorial_routes(demo):
    return [
        ("PUT", f"recordings/{demo.ACTIVE}", {"status": "paused"}),
        ("PUT", f"recordings/{demo.ACTIVE}", {"status": "stopped"}),
        ("POST", f"recordings/{demo.ACTIVE}/control", {"status": "paused"}),
        ("POST", f"conversations/voice/{demo.ACTIVE}/recording/start", {}),
        ("POST", f"conversations/voice/{demo.ACTIVE}/recording/stop", {}),
        ("GET", f"conversations/voice/{demo.ACTIVE}", None),
        ("GET", "recording-sessions/x", None),
        ("POST", "recording-sessions/x", {"status": "paused"}),
        ("POST", f"conversations/{demo.ACTIVE}/recordings", {"status": "paused"}),
    ]


@pytest.mark.parametrize("case", range(9))
def test_tutorial_routes_are_unknown(sb, demo, token, case):
    method, path, body = _tutorial_routes(demo)[case]
    kwargs = {} if body is None else {"json_body": body}
    r = request(method, _api(sb, path), token=token, **kwargs)
    assert_error(r, 404, "not.found")
    _assert_ratelimit_headers(r)
    conv = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).body
    assert (conv["recordingState"], conv["securePause"]) == ("ACTIVE", False)


# --- never null, never Conversation.state on read ---------------------------------------------------


def _read_paths(demo):
    paths = []
    for cid in (demo.ACTIVE, demo.PAUSED, demo.UNRECORDED, demo.ADHOC, demo.HELD, demo.ENDED, demo.EMAIL):
        paths += [f"conversations/{cid}", f"analytics/conversations/{cid}/details",
                  f"conversations/{cid}/recordingmetadata", f"conversations/{cid}/recordings?maxWaitMs=10"]
    for cid in (demo.ACTIVE, demo.PAUSED, demo.UNRECORDED, demo.ADHOC, demo.HELD, demo.ENDED):
        paths.append(f"conversations/calls/{cid}")
    return paths


def test_no_null_anywhere_in_read_replies(sb, demo):
    token = get_token(sb.url, *demo.INTEGRATION)
    for path in _read_paths(demo):
        r = request("GET", _api(sb, path), token=token)
        assert r.status in (200, 202), (path, r.status, r.body)
        if r.raw:  # a transcoding 202 has no body at all
            assert find_nulls(r.body) == [], (path, find_nulls(r.body))


def test_conversation_read_has_upper_case_enums_and_no_state(sb, demo, token):
    for cid in (demo.ACTIVE, demo.PAUSED, demo.UNRECORDED, demo.HELD, demo.ENDED):
        conv = request("GET", _api(sb, f"conversations/{cid}"), token=token).body
        assert find_nulls(conv) == []
        assert "state" not in conv  # never present when read (§3)
        assert conv["recordingState"] in ("ACTIVE", "PAUSED", "NONE")
        for p in conv["participants"]:
            for call in p.get("calls", []):
                assert call["recordingState"] in ("active", "paused", "none")


def test_user_listing_has_no_nulls(sb, demo):
    ava = sb.control.user_token(demo.AVA)
    for path in ("conversations", "conversations/calls", "conversations?communicationType=Call"):
        r = request("GET", _api(sb, path), token=ava)
        assert r.status == 200, (path, r.body)
        assert r.body["entities"], path
        assert find_nulls(r.body) == [], (path, find_nulls(r.body))
