"""Notifications in a training room (issue 20): a seat's channel sees only its own org's events,
cannot use or subscribe another seat's channel, cannot fault channels, and the channel ids never
reach the request log the trainer's board reads in full; the room caps channels per seat."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from websockets.sync.client import connect

from recops.sandbox.control_client import SandboxClient, SandboxControlError
from recops.sandbox.room import Room
from recops.sandbox.server import SandboxServer

from .sdk_helpers import api_error
from .test_notifications import head_status, topics

SALES = "5a1e0000-0000-4000-8000-0000000000a1"  # every seat's copy of the demo has it
TOPIC = f"v2.routing.queues.{SALES}.conversations.calls"


@pytest.fixture(scope="module")
def room() -> Room:
    return Room(2)


@pytest.fixture(scope="module")
def _room_server(room: Room) -> Iterator[SandboxServer]:
    server = SandboxServer(scenario=None, room=room).start()
    yield server
    server.stop()


@pytest.fixture
def rs(_room_server: SandboxServer) -> SandboxServer:
    _room_server.control.reset()
    return _room_server


def seat_notifications(sdk, rs: SandboxServer, room: Room, k: int):
    seat = room.seat(k)
    return sdk.NotificationsApi(sdk.ApiClient(host=rs.url).get_client_credentials_token(
        seat.client_id(), seat.secrets["supervisor"]))


def test_a_seat_sees_only_its_own_orgs_events(sdk, rs, room):
    one, two = seat_notifications(sdk, rs, room, 1), seat_notifications(sdk, rs, room, 2)
    ch1, ch2 = one.post_notifications_channels(), two.post_notifications_channels()
    one.put_notifications_channel_subscriptions(ch1.id, topics(sdk, TOPIC))
    two.put_notifications_channel_subscriptions(ch2.id, topics(sdk, TOPIC))  # the same topic name
    with connect(ch1.connect_uri) as ws1, connect(ch2.connect_uri) as ws2:
        time.sleep(0.1)
        with rs.state.lock:
            rs.state.events.publish(room.seat(2).org, TOPIC, {"seat": 2}, rs.state.clock.now())
            rs.state.events.publish(room.seat(1).org, TOPIC, {"seat": 1}, rs.state.clock.now())
        assert json.loads(ws1.recv(timeout=3))["eventBody"] == {"seat": 1}
        assert json.loads(ws2.recv(timeout=3))["eventBody"] == {"seat": 2}


def test_a_seat_cannot_use_or_subscribe_another_seats_channel(sdk, rs, room):
    one, two = seat_notifications(sdk, rs, room, 1), seat_notifications(sdk, rs, room, 2)
    ch2 = two.post_notifications_channels()
    assert head_status(one, ch2.id) == 404
    api_error(lambda: one.post_notifications_channel_subscriptions(ch2.id, topics(sdk, TOPIC)), 404, "not.found")
    api_error(lambda: one.get_notifications_channel_subscriptions(ch2.id), 404, "not.found")
    assert one.get_notifications_channels(includechannels="oauthclient").entities == []
    seat1 = room.seat(1)
    as_seat = SandboxClient(rs.url, client_id=seat1.client_id(), client_secret=seat1.secrets["supervisor"])
    with pytest.raises(SandboxControlError) as refused:
        as_seat.call("POST", "notifications/faults", {"kind": "expire", "channelId": ch2.id})
    assert refused.value.status == 403
    assert head_status(two, ch2.id) == 200
    logged = json.dumps(rs.control.requests())
    assert ch2.id not in logged and ch2.id[:16] in logged  # the board's log: enough to tell, not to connect


def test_the_room_caps_channels_per_seat(sdk, rs, room):
    assert rs.control.settings()["notificationChannelsPerOrg"] == 40
    rs.control.settings(notificationChannelsPerOrg=3)
    seat = room.seat(1)
    apis = [sdk.NotificationsApi(sdk.ApiClient(host=rs.url).get_client_credentials_token(
        seat.client_id(role), seat.secrets[role])) for role in ("supervisor", "readonly")]
    made = [apis[0].post_notifications_channels().id, apis[1].post_notifications_channels().id,
            apis[0].post_notifications_channels().id]
    apis[1].post_notifications_channels()  # the 4th of the seat: its least recently used goes
    assert head_status(apis[0], made[0]) == 404
    assert head_status(apis[1], made[1]) == 200
    other = seat_notifications(sdk, rs, room, 2)
    assert head_status(other, other.post_notifications_channels().id) == 200  # another seat unaffected
