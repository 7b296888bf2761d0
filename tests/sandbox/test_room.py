"""A training room served in-process (three seats): the official SDK and raw HTTP against it.

Seat isolation on the emulated API (another seat's conversation is 404, as another org's),
the control plane's authentication (admin token, a seat's Basic credentials, nothing, wrong
ones) and what a seat may do there, the room endpoints, and that no secret is ever echoed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from recops.sandbox.control_client import SandboxClient, SandboxControlError
from recops.sandbox.room import Room
from recops.sandbox.server import SandboxServer

from .http_helpers import assert_error, basic, get_token, request
from .sdk_helpers import api_error, recording_state

SEATS = 3
DEMO_CALL = "c0a80001-0000-4000-8000-000000000001"  # ACTIVE, recorded, Ava's
DEMO_PAUSED = "c0a80001-0000-4000-8000-000000000002"
DEMO_HELD = "c0a80001-0000-4000-8000-000000000005"
DEMO_HELD_CUSTOMER = "c0a80001-0000-4000-8000-0000000005c1"
AVA = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1001"


@pytest.fixture(scope="module")
def room() -> Room:
    return Room(SEATS)


@pytest.fixture(scope="module")
def _room_server(room: Room) -> Iterator[SandboxServer]:
    server = SandboxServer(scenario=None, room=room).start()
    yield server
    server.stop()


@pytest.fixture
def rs(_room_server: SandboxServer) -> SandboxServer:
    """The room, every seat back to the demo copy."""
    _room_server.control.reset()
    return _room_server


def seat_control(rs: SandboxServer, room: Room, k: int) -> SandboxClient:
    seat = room.seat(k)
    return SandboxClient(rs.url, client_id=seat.client_id(), client_secret=seat.secrets["supervisor"])


def seat_api(sdk, rs: SandboxServer, room: Room, k: int, role: str = "supervisor"):
    seat = room.seat(k)
    return sdk.ApiClient(host=rs.url).get_client_credentials_token(seat.client_id(role), seat.secrets[role])


def states(sdk, api, *ids: str) -> list[str]:
    conversations = sdk.ConversationsApi(api)
    return [conversations.get_conversation(cid).recording_state for cid in ids]


# --- seats are isolated orgs --------------------------------------------------------------------


def test_every_seat_has_the_demo_ids_and_only_its_own_clients(rs, room, sdk):
    orgs = rs.control.health()["orgs"]
    assert orgs == ["seat-01", "seat-02", "seat-03"]
    for k in range(1, SEATS + 1):
        api = seat_api(sdk, rs, room, k)
        assert states(sdk, api, DEMO_CALL, DEMO_PAUSED) == ["ACTIVE", "PAUSED"]
        clients = seat_control(rs, room, k).clients()
        assert sorted(c["clientId"] for c in clients) == sorted(
            f"seat-{k:02d}-{r}" for r in ("supervisor", "readonly", "integration", "nothing"))
        assert {c["org"] for c in clients} == {f"seat-{k:02d}"}
    assert "sandbox-supervisor" not in {c["clientId"] for c in rs.control.clients()}


def test_a_seat_pauses_and_resumes_only_its_own_copy(rs, room, sdk):
    one, two, three = (seat_api(sdk, rs, room, k) for k in (1, 2, 3))
    sdk.ConversationsApi(one).put_conversations_call_recordingstate(DEMO_CALL, recording_state(sdk, "PAUSED"))
    assert states(sdk, one, DEMO_CALL) == ["PAUSED"]
    assert states(sdk, two, DEMO_CALL) == ["ACTIVE"]
    assert states(sdk, three, DEMO_CALL) == ["ACTIVE"]
    sdk.ConversationsApi(two).put_conversations_call_recordingstate(DEMO_PAUSED, recording_state(sdk, "ACTIVE"))
    assert states(sdk, two, DEMO_PAUSED) == ["ACTIVE"]
    assert states(sdk, one, DEMO_PAUSED, DEMO_CALL) == ["PAUSED", "PAUSED"]
    sdk.ConversationsApi(one).put_conversations_call_recordingstate(DEMO_CALL, recording_state(sdk, "ACTIVE"))
    assert [states(sdk, api, DEMO_CALL, DEMO_PAUSED) for api in (one, two, three)] == [
        ["ACTIVE", "PAUSED"], ["ACTIVE", "ACTIVE"], ["ACTIVE", "PAUSED"]]


def test_another_seats_conversation_is_404_as_another_orgs(rs, room, sdk):
    """Seat 1 adds a conversation of its own: seat 2's supervisor cannot read or pause it."""
    cid = rs.control.add_conversation(org="seat-01")["id"]
    one, two = seat_api(sdk, rs, room, 1), seat_api(sdk, rs, room, 2)
    assert states(sdk, one, cid) == ["ACTIVE"]
    api_error(lambda: sdk.ConversationsApi(two).get_conversation(cid), 404, "not.found")
    api_error(lambda: sdk.ConversationsApi(two).put_conversations_call_recordingstate(
        cid, recording_state(sdk, "PAUSED")), 404, "conversation.error.conversation.not.found")
    assert states(sdk, one, cid) == ["ACTIVE"]


# --- the control plane: who may do what ---------------------------------------------------------


def test_without_credentials_only_the_health_answers(rs, room):
    health = request("GET", f"{rs.url}/_sandbox/health")
    assert health.status == 200
    assert (health.body["room"], health.body["seats"]) == (room.id, SEATS)
    for method, path in [("GET", "/_sandbox/clients"), ("POST", "/_sandbox/reset"), ("GET", "/_room"),
                         ("GET", f"/_sandbox/conversations/{DEMO_CALL}")]:
        body = assert_error(request(method, f"{rs.url}{path}"), 401, "sandbox.unauthorized")
        assert "Authorization: Bearer <admin token>" in body["message"]
        assert "seat card" in body["message"]


def test_wrong_admin_token_or_seat_secret_is_401_saying_what_to_send(rs, room):
    seat = room.seat(1)
    wrong = [("Bearer nope", "admin token"), ("Bearer " + seat.secrets["supervisor"], "admin token"),
             (basic(seat.client_id(), "wrong-secret"), "seat card"), (basic("seat-09-supervisor", "x"), "seat card"),
             ("Basic !!notbase64", "seat card"), ("Token abc", "Authorization")]
    for header, hint in wrong:
        r = request("GET", f"{rs.url}/_sandbox/conversations", headers={"Authorization": header})
        body = assert_error(r, 401, "sandbox.unauthorized")
        assert hint in body["message"]
        assert seat.secrets["supervisor"] not in r.raw.decode()
        assert room.admin_token not in r.raw.decode()


def test_a_seat_may_not_use_the_trainers_endpoints(rs, room):
    seat = seat_control(rs, room, 2)
    refused = [("PUT", "settings", {"latencyMs": 5}), ("POST", "faults", {"path": "/api/v2/*", "status": 500}),
               ("POST", "clock", {"advanceSeconds": 5}), ("GET", "requests", None),
               ("POST", "scenarios/empty", None), ("POST", "clients", {"permissions": []}),
               ("POST", "seed", {"count": 1})]
    for method, endpoint, body in refused:
        with pytest.raises(SandboxControlError) as e:
            seat.call(method, endpoint, body)
        assert (e.value.status, e.value.body["code"]) == (403, "sandbox.forbidden"), endpoint
        assert "seat-02 may not call" in e.value.body["message"]
        assert "ask the trainer" in e.value.body["message"]
    for call in (seat.room, lambda: seat.reset_seat(2)):
        with pytest.raises(SandboxControlError) as e:
            call()
        assert e.value.status == 403
    assert rs.control.settings()["latencyMs"] == 0
    assert rs.control.call("GET", "faults") == []


def test_a_seat_reads_and_changes_only_its_own_org(rs, room):
    seat = seat_control(rs, room, 2)
    assert {c["org"] for c in seat.conversations(active=True)} == {"seat-02"}
    with pytest.raises(SandboxControlError) as e:
        seat.conversations(org="seat-01")
    assert e.value.status == 403
    with pytest.raises(SandboxControlError) as e:
        seat.call("GET", "clients/seat-01-supervisor")
    assert e.value.status == 404  # another seat's client: as if it did not exist
    seat.hold(DEMO_HELD, DEMO_HELD_CUSTOMER, held=False)
    assert seat.conversation(DEMO_HELD)["org"] == "seat-02"
    assert seat.conversation(DEMO_HELD)["recordingState"] == "ACTIVE"
    assert rs.control.conversation(DEMO_HELD, org="seat-01")["recordingState"] == "PAUSED"
    assert rs.control.conversation(DEMO_HELD, org="seat-03")["recordingState"] == "PAUSED"
    with pytest.raises(SandboxControlError) as e:  # the admin must say which seat's copy
        rs.control.conversation(DEMO_HELD)
    assert e.value.status == 400 and "seat-01, seat-02, seat-03" in e.value.body["message"]


def test_a_seat_mints_tokens_of_its_own_agents_only(rs, room, sdk):
    seat = seat_control(rs, room, 3)
    token = seat.user_token(AVA)
    api = sdk.ApiClient(host=rs.url)
    api.access_token = token
    calls = sdk.ConversationsApi(api).get_conversations_calls()
    assert {c.id for c in calls.entities} == {DEMO_CALL, "c0a80001-0000-4000-8000-000000000003"}
    log = rs.control.requests(path="/api/v2/conversations/calls")
    assert log[-1]["org"] == "seat-03"
    with pytest.raises(SandboxControlError) as e:
        seat.user_token(AVA, org="seat-01")
    assert e.value.status == 403 and e.value.body["code"] == "sandbox.forbidden"
    other = rs.control.call("POST", "users", {"org": "seat-01", "name": "Only In Seat One"})
    with pytest.raises(SandboxControlError) as e:
        seat.user_token(other["userId"])
    assert e.value.status == 404


def test_a_seat_reset_resets_only_that_seat(rs, room, sdk):
    one, two = seat_api(sdk, rs, room, 1), seat_api(sdk, rs, room, 2)
    for api in (one, two):
        sdk.ConversationsApi(api).put_conversations_call_recordingstate(DEMO_CALL, recording_state(sdk, "PAUSED"))
    summary = seat_control(rs, room, 1).reset()
    assert (summary["seat"], summary["orgs"]) == (1, ["seat-01"])
    one = seat_api(sdk, rs, room, 1)  # the reset ended seat 1's tokens; its secret still works
    assert states(sdk, one, DEMO_CALL) == ["ACTIVE"]
    assert states(sdk, two, DEMO_CALL) == ["PAUSED"]  # seat 2's token and state survive
    with pytest.raises(SandboxControlError) as e:
        seat_control(rs, room, 1).reset(scenario="empty")
    assert e.value.status == 403


def test_the_admin_resets_a_seat_through_the_room(rs, room, sdk):
    two, three = seat_api(sdk, rs, room, 2), seat_api(sdk, rs, room, 3)
    for api in (two, three):
        sdk.ConversationsApi(api).put_conversations_call_recordingstate(DEMO_CALL, recording_state(sdk, "PAUSED"))
    assert rs.control.reset_seat(3)["orgs"] == ["seat-03"]
    assert states(sdk, seat_api(sdk, rs, room, 3), DEMO_CALL) == ["ACTIVE"]
    assert states(sdk, two, DEMO_CALL) == ["PAUSED"]


def test_room_endpoints_show_seats_and_no_secret(rs, room):
    r = request("GET", f"{rs.url}/_room", headers={"Authorization": f"Bearer {room.admin_token}"})
    assert r.status == 200
    assert (r.body["room"], r.body["seats"]) == (room.id, SEATS)
    assert [s["org"] for s in r.body["seatList"]] == ["seat-01", "seat-02", "seat-03"]
    assert r.body["seatList"][1]["clientId"] == "seat-02-supervisor"
    text = r.raw.decode()
    assert room.admin_token not in text
    assert not any(secret in text for s in room.seats for secret in s.secrets.values())
    assert rs.control.seat(2)["org"] == "seat-02"


@pytest.mark.parametrize("n", ["0", "4", "99", "x", "-1"])
def test_a_seat_out_of_range_is_404_naming_the_range(rs, n):
    for method, path in [("GET", f"/_room/seats/{n}"), ("POST", f"/_room/seats/{n}/reset")]:
        admin = {"Authorization": f"Bearer {rs.app.room.admin_token}"}
        body = assert_error(request(method, f"{rs.url}{path}", headers=admin), 404, "sandbox.not.found")
        assert "seats are numbered 1 to 3" in body["message"]


def test_secrets_never_reach_the_request_log_or_errors(rs, room, sdk):
    seat = room.seat(1)
    get_token(rs.url, seat.client_id(), seat.secrets["supervisor"])
    request("GET", f"{rs.url}/_sandbox/conversations", headers={"Authorization": basic(seat.client_id(), "bad")})
    request("GET", f"{rs.url}/_room", headers={"Authorization": "Bearer wrong"})
    log = json.dumps(rs.control.requests())
    assert seat.secrets["supervisor"] not in log and room.admin_token not in log
    assert "Basic" not in log and "Bearer" not in log
    assert room.admin_token not in repr(rs.control) and room.admin_token not in repr(room)


def test_a_room_resets_to_its_seats_only(rs, room):
    with pytest.raises(SandboxControlError) as e:
        rs.control.reset(scenario="empty")
    assert e.value.status == 400 and "/_room/seats/{n}/reset" in e.value.body["message"]
    assert rs.control.reset()["orgs"] == ["seat-01", "seat-02", "seat-03"]


def test_room_urls_take_the_admin_token_as_a_query_parameter(rs, room):
    ok = request("GET", f"{rs.url}/_room?token={room.admin_token}")
    assert ok.status == 200 and ok.body["room"] == room.id
    assert_error(request("GET", f"{rs.url}/_room?token=wrong"), 401, "sandbox.unauthorized")
    seat = room.seat(1)
    assert_error(request("GET", f"{rs.url}/_room?token={seat.secrets['supervisor']}"), 401, "sandbox.unauthorized")
    # only /_room: the rest of the control plane takes the header alone
    assert_error(request("GET", f"{rs.url}/_sandbox/clients?token={room.admin_token}"), 401, "sandbox.unauthorized")


def test_a_sandbox_that_is_no_room_says_how_to_start_one(sb):
    body = assert_error(request("GET", f"{sb.url}/_room"), 404, "sandbox.not.found")
    assert "recops room serve --seats N" in body["message"]
    health = request("GET", f"{sb.url}/_sandbox/health").body
    assert (health["room"], health["seats"]) == (None, 0)


def test_a_token_protected_sandbox_lets_a_client_reset_only_its_org(sdk, demo):
    """``recops sandbox serve --admin-token``, no room: a demo client's Basic credentials act as
    its org; resetting reloads that org from the scenario, the other org keeps its state."""
    with SandboxServer(scenario="demo", admin_token="t0ken") as server:
        assert_error(request("GET", f"{server.url}/_sandbox/clients"), 401, "sandbox.unauthorized")
        admin = SandboxClient(server.url, admin_token="t0ken")
        supervisor = SandboxClient(server.url, client_id=demo.SUPERVISOR[0], client_secret=demo.SUPERVISOR[1])
        other = sdk.ApiClient(host=server.url).get_client_credentials_token(*demo.OTHER_ORG)
        sdk.ConversationsApi(other).put_conversations_call_recordingstate(
            demo.OTHER_ORG_CONV, recording_state(sdk, "PAUSED"))
        mine = sdk.ApiClient(host=server.url).get_client_credentials_token(*demo.SUPERVISOR)
        sdk.ConversationsApi(mine).put_conversations_call_recordingstate(DEMO_CALL, recording_state(sdk, "PAUSED"))
        assert supervisor.reset()["orgs"] == ["sandbox-org"]
        assert admin.conversation(DEMO_CALL)["recordingState"] == "ACTIVE"
        assert admin.conversation(demo.OTHER_ORG_CONV)["recordingState"] == "PAUSED"
        assert {c["org"] for c in supervisor.clients()} == {"sandbox-org"}
        assert supervisor.health()["room"] is None
