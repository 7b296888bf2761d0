"""The /_sandbox control plane over raw HTTP: health, settings, assumptions, clients, users,
tokens, conversations, disconnect/hold, seed, reset, scenarios, clock and the request log.

Control-plane errors use the Genesys envelope with sandbox.* codes (control/plane.py).
"""

from __future__ import annotations

import uuid

import pytest

from recops.sandbox.model.settings import ASSUMPTIONS

from .http_helpers import assert_error, get_token, request, token_request

DEMO_ASSUMPTIONS = {"pauseAnnotationUser": "agent"}  # the demo scenario's own (scenarios/demo.json "settings")


def _ctl(sb, path: str) -> str:
    return f"{sb.url}/_sandbox/{path.lstrip('/')}"


def _api(sb, path: str) -> str:
    return f"{sb.url}/api/v2/{path.lstrip('/')}"


def ctl(sb, method: str, path: str, body=None, expect: int = 200):
    kwargs = {} if body is None else {"json_body": body}
    r = request(method, _ctl(sb, path), **kwargs)
    assert r.status == expect, (method, path, r.status, r.body)
    return r.body


def bad(sb, method: str, path: str, body, status: int = 400, code: str = "sandbox.bad.request") -> str:
    kwargs = {} if body is None else {"json_body": body}
    return assert_error(request(method, _ctl(sb, path), **kwargs), status, code)["message"]


@pytest.fixture
def token(sb, demo) -> str:
    return get_token(sb.url, *demo.SUPERVISOR)


def _put_state(sb, token, cid, state="PAUSED"):
    return request("PUT", _api(sb, f"conversations/calls/{cid}/recordingstate"), token=token,
                   json_body={"recordingState": state})


# --- health, settings, assumptions ------------------------------------------------------------


def test_health(sb):
    body = ctl(sb, "GET", "health")
    assert body["status"] == "ok"
    assert body["scenario"] == "demo"
    assert body["orgs"] == ["other-org", "sandbox-org"]
    assert body["version"]


def test_settings_defaults(sb):
    s = ctl(sb, "GET", "settings")
    assert s["rateLimitPerMinute"] == 300
    assert s["maxBodyBytes"] == 1_048_576
    assert s["tokenLifetimeSeconds"] == 86399
    assert s["latencyMs"] == 0
    assert s["assumptions"] == {**{a.key: a.default for a in ASSUMPTIONS}, **DEMO_ASSUMPTIONS}


def test_settings_put_changes_only_what_it_names(sb):
    before = ctl(sb, "GET", "settings")
    after = ctl(sb, "PUT", "settings", {"rateLimitPerMinute": 42, "transcodingDelaySeconds": 0.5})
    assert after == {**before, "rateLimitPerMinute": 42, "transcodingDelaySeconds": 0.5}
    assert ctl(sb, "GET", "settings") == after
    switched = ctl(sb, "PUT", "settings", {"assumptions": {"recordingStateWriteWhenNone": "reject"}})
    assert switched["assumptions"] == {**before["assumptions"], "recordingStateWriteWhenNone": "reject"}


def test_settings_unknown_key_names_the_known_keys(sb):
    message = bad(sb, "PUT", "settings", {"rateLimit": 5})
    assert "rateLimit" in message
    for known in ("rateLimitPerMinute", "latencyMs", "maxBodyBytes", "assumptions"):
        assert known in message


@pytest.mark.parametrize(("patch", "hint"), [
    ({"assumptions": {"recordingStateWriteWhenNone": "maybe"}}, "noop, reject"),
    ({"assumptions": {"noSuchAssumption": "x"}}, "recordingStateWriteWhenNone"),
    ({"assumptions": "reject"}, "'assumptions' must be an object"),
    ({"rateLimitPerMinute": 0}, "at least 1"),
    ({"rateLimitPerMinute": -5}, "must be a number >= 0"),
    ({"rateLimitPerMinute": 2.5}, "whole number"),
    ({"rateLimitPerMinute": "5"}, "must be a number"),
    ({"latencyMs": True}, "must be a number"),
    ({"region": ""}, "non-empty string"),
    ({"region": 5}, "non-empty string"),
])
def test_settings_bad_values_are_400_and_change_nothing(sb, patch, hint):
    before = ctl(sb, "GET", "settings")
    message = bad(sb, "PUT", "settings", {**patch, "latencyMs": 5} if "latencyMs" not in patch else patch)
    assert hint in message, message
    assert ctl(sb, "GET", "settings") == before


def test_settings_body_must_be_a_json_object(sb):
    bad(sb, "PUT", "settings", [1, 2])
    r = request("PUT", _ctl(sb, "settings"), body=b"{nope", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "sandbox.bad.request")
    r = request("PUT", _ctl(sb, "settings"), body=b"", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "sandbox.bad.request")


def test_assumptions_are_labelled(sb):
    listed = ctl(sb, "GET", "assumptions")
    assert [a["key"] for a in listed] == [a.key for a in ASSUMPTIONS]
    for a in listed:
        assert set(a) == {"key", "value", "default", "choices", "evidence", "text"}
        assert a["value"] == DEMO_ASSUMPTIONS.get(a["key"], a["default"])
        assert a["default"] in a["choices"] and a["value"] in a["choices"] and len(a["choices"]) >= 2
        assert a["evidence"] in ("inferred", "unknown", "documented")
        assert len(a["text"]) > 20
    ctl(sb, "PUT", "settings", {"assumptions": {"recordingsWhileActive": "listUnready"}})
    by_key = {a["key"]: a for a in ctl(sb, "GET", "assumptions")}
    assert by_key["recordingsWhileActive"]["value"] == "listUnready"
    assert by_key["recordingsWhileActive"]["default"] == "accepted202"


def test_recording_state_write_when_none_switches_behaviour(sb, demo, token):
    assert (_put_state(sb, token, demo.UNRECORDED).status, _put_state(sb, token, demo.UNRECORDED).body) == \
        (200, "NONE")
    ctl(sb, "PUT", "settings", {"assumptions": {"recordingStateWriteWhenNone": "reject"}})
    assert_error(_put_state(sb, token, demo.UNRECORDED), 400, "bad.request")
    r = request("PATCH", _api(sb, f"conversations/{demo.UNRECORDED}/recordingstate"), token=token,
                json_body={"recordingState": "PAUSED"})
    assert_error(r, 400, "bad.request")
    # recorded conversations are unaffected
    assert _put_state(sb, token, demo.ACTIVE).body == "PAUSED"


def test_permission_check_order_switches_behaviour(sb, demo):
    nothing = get_token(sb.url, *demo.NOTHING)
    url = _api(sb, f"conversations/calls/{demo.ACTIVE}")
    body = {"recordingState": "PAUSED"}
    assert_error(request("PATCH", url, token=nothing, json_body=body), 403, "missing.any.permissions")
    ctl(sb, "PUT", "settings", {"assumptions": {"permissionCheckOrder": "userContextFirst"}})
    assert_error(request("PATCH", url, token=nothing, json_body=body), 400, "not.a.user")


def test_recordings_while_active_switches_behaviour(sb, demo, token):
    url = _api(sb, f"conversations/{demo.ACTIVE}/recordings?maxWaitMs=20")
    assert request("GET", url, token=token).status == 202
    ctl(sb, "PUT", "settings", {"assumptions": {"recordingsWhileActive": "listUnready"}})
    r = request("GET", url, token=token)
    assert r.status == 200
    assert r.body and all(rec["fileState"] == "UPLOADING" for rec in r.body)


# --- clients, users, tokens --------------------------------------------------------------------------


def test_create_client_and_log_in(sb, demo):
    client = ctl(sb, "POST", "clients", {"permissions": ["conversation:communication:view"], "name": "mine"},
                 expect=201)
    assert client["clientId"] and client["clientSecret"]
    assert client["permissions"] == ["conversation:communication:view"]
    assert client["org"] == "sandbox-org" and client["name"] == "mine"
    assert client["grants"] == ["client_credentials"]
    tok = get_token(sb.url, client["clientId"], client["clientSecret"])
    assert request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=tok).status == 200
    assert ctl(sb, "GET", f"clients/{client['clientId']}") == client
    assert client["clientId"] in [c["clientId"] for c in ctl(sb, "GET", "clients")]
    assert [c["clientId"] for c in ctl(sb, "GET", "clients?org=other-org")] == [demo.OTHER_ORG[0]]


def test_create_client_with_fixed_credentials_in_another_org(sb, demo):
    client = ctl(sb, "POST", "clients", {"clientId": "fixed", "clientSecret": "s3cret", "org": "other-org",
                                         "permissions": ["conversation:communication:view"],
                                         "tokenLifetimeSeconds": 600}, expect=201)
    assert (client["clientId"], client["org"], client["tokenLifetimeSeconds"]) == ("fixed", "other-org", 600)
    r = token_request(sb.url, "fixed", "s3cret")
    assert r.body["expires_in"] <= 600
    assert request("GET", _api(sb, f"conversations/{demo.OTHER_ORG_CONV}"), token=r.body["access_token"]).status == 200
    assert request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=r.body["access_token"]).status == 404


@pytest.mark.parametrize(("spec", "hint"), [
    ({"permissions": ["not a permission"]}, "domain:entity:action"),
    ({"permissions": "conversation:communication:view"}, "must be a list"),
    ({"permissions": [], "colour": "red"}, "unknown client field"),
    ({"permissions": [], "grants": "client_credentials"}, "'grants' must be a list"),
    ({"permissions": [], "tokenLifetimeSeconds": 0}, "tokenLifetimeSeconds"),
    ({"clientId": "sandbox-supervisor", "permissions": []}, "already exists"),
    (["conversation:communication:view"], "JSON object"),
])
def test_bad_client_specs_are_400(sb, spec, hint):
    assert hint in bad(sb, "POST", "clients", spec)


def test_unknown_client_is_404(sb):
    assert "no client" in bad(sb, "GET", "clients/nobody", None, 404, "sandbox.not.found")
    bad(sb, "PATCH", "clients/nobody", {"permissions": []}, 404, "sandbox.not.found")


def test_patching_client_permissions_affects_existing_tokens(sb, demo):
    client = ctl(sb, "POST", "clients", {"permissions": ["conversation:communication:view"]}, expect=201)
    tok = get_token(sb.url, client["clientId"], client["clientSecret"])
    assert_error(_put_state(sb, tok, demo.ACTIVE), 403, "missing.any.permissions")
    patched = ctl(sb, "PATCH", f"clients/{client['clientId']}",
                  {"permissions": ["conversation:communication:view", "conversation:recording:pauseOthers"]})
    assert "conversation:recording:pauseOthers" in patched["permissions"]
    r = _put_state(sb, tok, demo.ACTIVE)  # the same token, no new login
    assert (r.status, r.body) == (200, "PAUSED")
    ctl(sb, "PATCH", f"clients/{client['clientId']}", {"permissions": []})
    assert_error(request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=tok), 403, "missing.any.permissions")


def test_patching_client_grants(sb, demo):
    ctl(sb, "PATCH", f"clients/{demo.READONLY[0]}", {"grants": []})
    r = token_request(sb.url, *demo.READONLY)
    assert (r.status, r.body["error"]) == (400, "unauthorized_client")
    bad(sb, "PATCH", f"clients/{demo.READONLY[0]}", {"grants": "x"})
    bad(sb, "PATCH", f"clients/{demo.READONLY[0]}", {"secret": "x"})


def test_create_user_and_token(sb, demo):
    user = ctl(sb, "POST", "users", {"name": "Zed Agent"}, expect=201)
    assert user["userId"] and user["org"] == "sandbox-org" and user["name"] == "Zed Agent"
    assert user["permissions"]  # the default agent permissions
    tok = ctl(sb, "POST", "tokens", {"userId": user["userId"]}, expect=201)
    assert tok["tokenType"] == "bearer" and tok["userId"] == user["userId"] and tok["expiresIn"] > 0
    # a user token, but not a participant of this call
    r = request("PATCH", _api(sb, f"conversations/calls/{demo.ACTIVE}"), token=tok["accessToken"],
                json_body={"recordingState": "PAUSED"})
    assert_error(r, 403, "conversation.error.forbidden.not.active.participant")
    listing = request("GET", _api(sb, "conversations/calls"), token=tok["accessToken"])
    assert listing.status == 200 and listing.body["entities"] == []


def test_user_with_fixed_id_and_permissions(sb):
    uid = str(uuid.uuid4())
    user = ctl(sb, "POST", "users", {"userId": uid, "permissions": ["conversation:communication:view"]}, expect=201)
    assert (user["userId"], user["permissions"]) == (uid, ["conversation:communication:view"])
    assert "unknown user field" in bad(sb, "POST", "users", {"userId": "x", "role": "admin"})
    assert "domain:entity:action" in bad(sb, "POST", "users", {"permissions": ["bad"]})


def test_token_for_a_demo_user_unlocks_the_participant_patch(sb, demo):
    tok = ctl(sb, "POST", "tokens", {"userId": demo.AVA}, expect=201)["accessToken"]
    r = request("PATCH", _api(sb, f"conversations/calls/{demo.ACTIVE}"), token=tok,
                json_body={"recordingState": "PAUSED"})
    assert r.status == 202 and r.body["recordingState"] == "PAUSED"


def test_token_lifetime(sb, demo):
    tok = ctl(sb, "POST", "tokens", {"userId": demo.AVA, "lifetimeSeconds": 30}, expect=201)
    assert tok["expiresIn"] <= 30
    ctl(sb, "POST", "clock", {"advanceSeconds": 31})
    r = request("GET", _api(sb, "conversations/calls"), token=tok["accessToken"])
    assert_error(r, 401, "bad.credentials")


def test_token_for_an_unknown_user_is_404_with_a_hint(sb):
    message = bad(sb, "POST", "tokens", {"userId": "nobody"}, 404, "sandbox.not.found")
    assert "nobody" in message and "POST /_sandbox/users" in message


def test_token_org_scopes_the_user_lookup(sb, demo):
    bad(sb, "POST", "tokens", {"userId": demo.AVA, "org": "other-org"}, 404, "sandbox.not.found")
    other = ctl(sb, "POST", "tokens", {"userId": "0f0f0000-0000-4000-8000-0000000000a1", "org": "other-org"},
                expect=201)
    assert other["org"] == "other-org"


@pytest.mark.parametrize("body", [{}, {"userId": 5}, {"userId": "x", "lifetimeSeconds": 0},
                                  {"userId": "x", "lifetimeSeconds": "60"}, ["x"]])
def test_bad_token_requests_are_400(sb, body):
    bad(sb, "POST", "tokens", body)


# --- conversations -------------------------------------------------------------------------------------


def test_created_conversation_is_what_the_api_shows(sb, token):
    spec = {"id": str(uuid.uuid4()), "startedSecondsAgo": 30, "queueId": str(uuid.uuid4()), "recording": True,
            "participants": [
                {"purpose": "customer", "name": "Kim Customer", "ani": "tel:+13175550111",
                 "address": "tel:+13175550111"},
                {"purpose": "agent", "name": "Lee Agent", "userId": str(uuid.uuid4())}]}
    created = ctl(sb, "POST", "conversations", spec, expect=201)
    shown = request("GET", _api(sb, f"conversations/{spec['id']}"), token=token)
    assert shown.status == 200
    assert created == shown.body
    assert created["id"] == spec["id"] and created["recordingState"] == "ACTIVE"
    assert [p["name"] for p in created["participants"]] == ["Kim Customer", "Lee Agent"]
    summary = ctl(sb, "GET", f"conversations/{spec['id']}")
    assert summary["conversation"] == created and summary["recordingIds"]


def test_created_conversation_with_defaults_and_flags(sb, token):
    created = ctl(sb, "POST", "conversations", {"recording": True, "securePause": True}, expect=201)
    assert (created["recordingState"], created["securePause"]) == ("PAUSED", True)
    assert len(created["participants"]) == 2
    assert request("GET", _api(sb, f"conversations/{created['id']}"), token=token).body == created
    ended = ctl(sb, "POST", "conversations", {"ended": True, "startedSecondsAgo": 600, "durationSeconds": 120},
                expect=201)
    assert "endTime" in ended
    email = ctl(sb, "POST", "conversations", {"mediaType": "email"}, expect=201)
    assert request("GET", _api(sb, f"conversations/calls/{email['id']}"), token=token).status == 404


@pytest.mark.parametrize(("spec", "hint"), [
    ({"mediaType": "fax"}, "'mediaType' must be one of"),
    ({"colour": "red"}, "unknown conversation field"),
    ({"participants": []}, "non-empty list"),
    ({"participants": [{"purpose": "boss"}]}, "participant 'purpose'"),
    ({"participants": [{"purpose": "agent", "mood": "happy"}]}, "unknown participant field"),
    ({"startedSecondsAgo": -1}, "startedSecondsAgo"),
    ({"startTime": "yesterday"}, "ISO-8601"),
    ({"recording": "yes"}, "'recording' must be true or false"),
    ({"id": "c0a80001-0000-4000-8000-000000000001"}, "already exists"),
    ("a conversation", "JSON object"),
])
def test_bad_conversation_specs_are_400(sb, spec, hint):
    assert hint in bad(sb, "POST", "conversations", spec)


def test_list_conversations(sb, demo):
    live = ctl(sb, "GET", "conversations?active=true&org=sandbox-org")
    ids = {c["id"] for c in live}
    assert {demo.ACTIVE, demo.PAUSED, demo.UNRECORDED, demo.ADHOC, demo.HELD, demo.EMAIL} <= ids
    assert demo.ENDED not in ids and demo.OTHER_ORG_CONV not in ids
    assert len(ctl(sb, "GET", "conversations?limit=3")) == 3
    assert [c["id"] for c in ctl(sb, "GET", "conversations?org=other-org")] == [demo.OTHER_ORG_CONV]


def test_unknown_conversation_is_404(sb):
    bad(sb, "GET", "conversations/nope", None, 404, "sandbox.not.found")
    bad(sb, "POST", "conversations/nope/disconnect", {}, 404, "sandbox.not.found")


def test_disconnect_ends_the_call(sb, demo, token):
    result = ctl(sb, "POST", f"conversations/{demo.ACTIVE}/disconnect", {})
    assert result["ended"] is True
    assert "endTime" in result["conversation"]
    conv = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token).body
    assert "endTime" in conv
    assert_error(_put_state(sb, token, demo.ACTIVE), 400, "conversation.error.call.disconnected")
    # disconnecting again is a control-plane conflict, not a Genesys error
    bad(sb, "POST", f"conversations/{demo.ACTIVE}/disconnect", {}, 409, "sandbox.conflict")


def test_disconnect_one_participant(sb, demo):
    result = ctl(sb, "POST", f"conversations/{demo.ACTIVE}/disconnect", {"participantId": demo.ACTIVE_AGENT})
    agent = next(p for p in result["participants"] if p["id"] == demo.ACTIVE_AGENT)
    assert agent["state"] == "disconnected"
    assert result["ended"] is True  # fewer than two participants left
    bad(sb, "POST", f"conversations/{demo.PAUSED}/disconnect", {"participantId": "nobody"}, 404, "sandbox.not.found")


def test_hold_and_unhold(sb, demo, token):
    held = ctl(sb, "POST", f"conversations/{demo.HELD}/hold", {"participantId": demo.HELD_CUSTOMER, "held": False})
    customer = next(p for p in held["participants"] if p["id"] == demo.HELD_CUSTOMER)
    assert customer["held"] is False
    assert (held["recordingState"], held["securePause"]) == ("ACTIVE", False)
    again = ctl(sb, "POST", f"conversations/{demo.HELD}/hold", {"participantId": demo.HELD_CUSTOMER})
    assert (again["recordingState"], again["securePause"]) == ("PAUSED", False)  # hold suppression
    conv = request("GET", _api(sb, f"conversations/{demo.HELD}"), token=token).body
    assert (conv["recordingState"], conv["securePause"]) == ("PAUSED", False)


@pytest.mark.parametrize(("body", "status"), [({}, 400), ({"participantId": "c0a80001-0000-4000-8000-0000000001a1",
                                                            "held": "yes"}, 400), ({"participantId": "nobody"}, 404)])
def test_bad_hold_requests(sb, demo, body, status):
    r = request("POST", _ctl(sb, f"conversations/{demo.ACTIVE}/hold"), json_body=body)
    assert_error(r, status)


def test_hold_on_an_ended_call_is_a_conflict(sb, demo):
    bad(sb, "POST", f"conversations/{demo.ENDED}/hold",
        {"participantId": "c0a80001-0000-4000-8000-0000000006c1"}, 409, "sandbox.conflict")


# --- seed, reset, scenarios ----------------------------------------------------------------------------


def test_seed_is_deterministic(sb):
    ctl(sb, "POST", "scenarios/empty")
    first = ctl(sb, "POST", "seed", {"count": 50, "seed": 42}, expect=201)
    ctl(sb, "POST", "scenarios/empty")
    second = ctl(sb, "POST", "seed", {"count": 50, "seed": 42}, expect=201)
    keys = ("created", "firstId", "lastId", "queueIds", "agentIds")
    assert {k: first[k] for k in keys} == {k: second[k] for k in keys}
    ctl(sb, "POST", "scenarios/empty")
    third = ctl(sb, "POST", "seed", {"count": 50, "seed": 43}, expect=201)
    assert third["firstId"] != first["firstId"]


def test_seed_ten_thousand(sb):
    ctl(sb, "POST", "scenarios/empty")
    result = ctl(sb, "POST", "seed", {"count": 10_000, "seed": 7}, expect=201)
    assert result["created"] == 10_000
    assert result["org"] == "sandbox-org"
    tok = get_token(sb.url, "sandbox-supervisor", "sandbox-supervisor-secret")
    for cid in (result["firstId"], result["lastId"]):
        conv = request("GET", _api(sb, f"conversations/{cid}"), token=tok)
        assert conv.status == 200 and "endTime" in conv.body


def test_seed_into_the_same_org_twice_with_the_same_seed_is_refused(sb):
    ctl(sb, "POST", "seed", {"count": 5, "seed": 99}, expect=201)
    assert "already exists" in bad(sb, "POST", "seed", {"count": 5, "seed": 99})


@pytest.mark.parametrize(("spec", "hint"), [
    ({"count": 0}, "'count'"), ({"count": 300_000}, "'count'"), ({"seed": "x"}, "'seed'"),
    ({"recordedRatio": 2}, "'recordedRatio'"), ({"interval": "last week"}, "'interval'"),
    ({"bogus": 1}, "unknown seed field"), ([1], "JSON object"),
])
def test_bad_seed_specs_are_400(sb, spec, hint):
    assert hint in bad(sb, "POST", "seed", spec)


def test_reset_returns_to_the_demo(sb, demo, token):
    ctl(sb, "PUT", "settings", {"rateLimitPerMinute": 3})
    ctl(sb, "POST", "faults", {"status": 500, "path": "/nowhere"}, expect=201)
    client = ctl(sb, "POST", "clients", {"permissions": []}, expect=201)
    ctl(sb, "POST", "clock", {"advanceSeconds": 100})
    assert _put_state(sb, token, demo.ACTIVE).body == "PAUSED"
    summary = ctl(sb, "POST", "reset", {})
    assert summary["scenario"] == "demo" and summary["conversations"] > 500
    assert ctl(sb, "GET", "settings")["rateLimitPerMinute"] == 300
    assert ctl(sb, "GET", "faults") == []
    assert ctl(sb, "GET", "clock")["offsetSeconds"] == 0
    assert ctl(sb, "GET", "requests") == []
    bad(sb, "GET", f"clients/{client['clientId']}", None, 404, "sandbox.not.found")
    assert_error(request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token), 401, "bad.credentials")
    fresh = get_token(sb.url, *demo.SUPERVISOR)
    conv = request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=fresh).body
    assert (conv["recordingState"], conv["securePause"]) == ("ACTIVE", False)


def test_reset_to_another_scenario_or_none(sb, demo):
    assert ctl(sb, "POST", "reset", {"scenario": "empty"})["scenario"] == "empty"
    assert ctl(sb, "GET", "health")["scenario"] == "empty"
    empty = ctl(sb, "POST", "reset", {"scenario": None})
    assert empty == {"scenario": None, "orgs": [], "clients": 0, "conversations": 0}
    assert ctl(sb, "GET", "health")["orgs"] == []
    assert token_request(sb.url, *demo.SUPERVISOR).body["error"] == "invalid_client"
    assert ctl(sb, "POST", "reset")["scenario"] == "demo"  # no body: the server's initial scenario


def test_reset_rejects_bad_input(sb):
    assert "unknown scenario" in bad(sb, "POST", "reset", {"scenario": "nope"})
    bad(sb, "POST", "reset", ["demo"])
    assert ctl(sb, "GET", "health")["scenario"] == "demo"


def test_loading_an_unknown_scenario_keeps_the_current_one(sb, demo):
    bad(sb, "POST", "scenarios/nope", None)
    assert ctl(sb, "GET", "health")["scenario"] == "demo"
    assert token_request(sb.url, *demo.SUPERVISOR).status == 200


@pytest.mark.parametrize(("content", "hint"), [
    ('{"orgs": [{"clients": [{"clientId": "x", "colour": "red"}]}]}', "unknown client field"),
    ('{"orgs": ["not an org"]}', "cannot be loaded"),
    ('{"orgs": [{"conversations": [{"mediaType": "fax"}]}]}', "'mediaType' must be one of"),
    ('{"orgs": 5}', "must be an object with an 'orgs' list"),
    ("not json", "not valid JSON"),
])
def test_a_malformed_scenario_file_is_400_and_leaves_the_state_alone(sb, demo, tmp_path, content, hint):
    path = tmp_path / "broken.json"
    path.write_text(content)
    message = bad(sb, "POST", "reset", {"scenario": str(path)})
    assert hint in message, message
    assert ctl(sb, "GET", "health")["scenario"] == "demo"
    assert token_request(sb.url, *demo.SUPERVISOR).status == 200


def test_a_scenario_file_loads(sb, tmp_path):
    path = tmp_path / "mine.json"
    path.write_text('{"name": "mine", "settings": {"requestLogSize": 2}, "orgs": [{"name": "org-a", "clients": '
                    '[{"clientId": "a", "clientSecret": "a-secret", "permissions": []}], '
                    '"conversations": [{"id": "conv-a"}]}]}')
    summary = ctl(sb, "POST", "reset", {"scenario": str(path)})
    assert summary == {"scenario": "mine", "orgs": ["org-a"], "clients": 1, "conversations": 1}
    assert ctl(sb, "GET", "settings")["requestLogSize"] == 2
    for _ in range(4):
        token_request(sb.url, "a", "a-secret")
    assert len(ctl(sb, "GET", "requests")) == 2


def test_scenarios_list_and_load(sb, demo):
    listed = {s["name"]: s["description"] for s in ctl(sb, "GET", "scenarios")}
    assert {"demo", "empty"} <= set(listed)
    assert all(listed.values())
    loaded = ctl(sb, "POST", "scenarios/empty")
    assert loaded["scenario"] == "empty" and loaded["conversations"] == 0 and loaded["clients"] == 1
    tok = get_token(sb.url, *demo.SUPERVISOR)
    assert_error(request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=tok), 404, "not.found")
    message = bad(sb, "POST", "scenarios/nope", None)
    assert "demo" in message and "empty" in message


# --- clock and request log ---------------------------------------------------------------------------------


def test_clock_advances(sb):
    before = ctl(sb, "GET", "clock")
    assert before["offsetSeconds"] == 0 and before["now"].endswith("Z")
    after = ctl(sb, "POST", "clock", {"advanceSeconds": 3600})
    assert after["offsetSeconds"] == 3600
    assert after["now"] > before["now"]
    for body in ({"advanceSeconds": -1}, {"advanceSeconds": "10"}, {}, {"advanceSeconds": True}):
        assert "advanceSeconds" in bad(sb, "POST", "clock", body)
    assert ctl(sb, "GET", "clock")["offsetSeconds"] == 3600


def test_clock_drives_transcoding(sb, demo, token):
    ctl(sb, "POST", f"conversations/{demo.ACTIVE}/disconnect", {})
    url = _api(sb, f"conversations/{demo.ACTIVE}/recordings?maxWaitMs=20")
    ctl(sb, "PUT", "settings", {"transcodingDelaySeconds": 120})
    assert request("GET", url, token=token).status == 202
    ctl(sb, "POST", "clock", {"advanceSeconds": 121})
    r = request("GET", url, token=token)
    assert r.status == 200 and r.body[0]["fileState"] == "AVAILABLE"
    media = r.body[0]["mediaUris"]
    assert media


def test_recording_media_is_a_wav(sb, demo):
    rid = ctl(sb, "GET", f"conversations/{demo.ENDED}")["recordingIds"][0]
    r = request("GET", _ctl(sb, f"media/{demo.ENDED}/{rid}.wav"))
    assert r.status == 200 and r.header("content-type") == "audio/wav"
    assert r.raw[:4] == b"RIFF" and r.raw[8:12] == b"WAVE"
    bad(sb, "GET", f"media/{demo.ACTIVE}/nope.wav", None, 404, "sandbox.not.found")


def test_request_log_filter_limit_and_delete(sb, demo, token):
    request("GET", _api(sb, f"conversations/{demo.ACTIVE}"), token=token)
    request("GET", _api(sb, f"conversations/{demo.PAUSED}"), token=token)
    log = ctl(sb, "GET", "requests")
    assert [e["path"] for e in log][-2:] == [f"/api/v2/conversations/{demo.ACTIVE}",
                                             f"/api/v2/conversations/{demo.PAUSED}"]
    assert log[0]["path"] == "/oauth/token"  # the token fixture's login
    assert all(not e["path"].startswith("/_sandbox") for e in log)  # control calls are not logged
    assert [e["path"] for e in ctl(sb, "GET", f"requests?path={demo.PAUSED}")] == [
        f"/api/v2/conversations/{demo.PAUSED}"]
    assert len(ctl(sb, "GET", "requests?limit=1")) == 1
    assert ctl(sb, "GET", "requests?limit=0") == []
    bad(sb, "GET", "requests?limit=abc", None)
    r = request("DELETE", _ctl(sb, "requests"))
    assert (r.status, r.raw) == (204, b"")
    assert ctl(sb, "GET", "requests") == []


def test_request_log_size_takes_effect(sb, demo, token):
    ctl(sb, "PUT", "settings", {"requestLogSize": 3})
    paths = [f"conversations/{cid}" for cid in (demo.ACTIVE, demo.PAUSED, demo.HELD, demo.ENDED, demo.EMAIL)]
    for path in paths:
        request("GET", _api(sb, path), token=token)
    assert [e["path"] for e in ctl(sb, "GET", "requests")] == [f"/api/v2/{p}" for p in paths[-3:]]
    ctl(sb, "POST", "reset")
    assert ctl(sb, "GET", "settings")["requestLogSize"] == 10_000
    for path in paths:
        request("GET", _api(sb, path), token=token)
    assert len(ctl(sb, "GET", "requests")) == 5


def test_conversation_list_limit_must_be_a_number(sb):
    assert "'limit'" in bad(sb, "GET", "conversations?limit=abc", None)
    assert "'limit'" in bad(sb, "GET", "conversations?limit=-1", None)


def test_control_plane_is_not_rate_limited(sb):
    ctl(sb, "PUT", "settings", {"rateLimitPerMinute": 1})
    for _ in range(5):
        r = request("GET", _ctl(sb, "health"))
        assert r.status == 200 and r.header("inin-ratelimit-count") is None


@pytest.mark.parametrize(("method", "path"), [("GET", "nothing"), ("DELETE", "health"), ("POST", "settings"),
                                              ("GET", "clients/a/b"), ("PUT", "faults")])
def test_unknown_control_endpoints_are_404(sb, method, path):
    r = request(method, _ctl(sb, path), json_body={}) if method in ("POST", "PUT") else request(method, _ctl(sb, path))
    body = assert_error(r, 404, "sandbox.not.found")
    assert "/_sandbox/" in body["message"] or "clients" in body["message"] or "faults" in body["message"]
