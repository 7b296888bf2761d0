"""The notification channel's WebSocket (issue 20; facts: ../shared/genesys-api-lifecycle.md §5.3),
driven by a real WebSocket client (``websockets.sync.client``) against the served sandbox.
Events are published on the state's bus in-process (``state.events``, as the state's change
methods do under its lock); channels and subscriptions go through the SDK."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from .notify_helpers import topics
from .test_notifications import head_status

SALES = "5a1e0000-0000-4000-8000-0000000000a1"
TOPIC = f"v2.routing.queues.{SALES}.conversations.calls"
ORG = "sandbox-org"


@pytest.fixture
def notif(sdk, supervisor):
    return sdk.NotificationsApi(supervisor)


@pytest.fixture
def channel(sdk, notif):
    ch = notif.post_notifications_channels()
    notif.put_notifications_channel_subscriptions(ch.id, topics(sdk, TOPIC))
    return ch


def publish(sb, body: dict, topic: str = TOPIC, org: str = ORG) -> None:
    with sb.state.lock:  # as the state's change methods do
        sb.state.events.publish(org, topic, body, sb.state.clock.now())


def recv(ws, timeout: float = 3.0) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def recv_event(ws, timeout: float = 3.0) -> dict:
    """The next message that is not a heartbeat."""
    while True:
        msg = recv(ws, timeout)
        if msg.get("topicName") != "channel.metadata":
            return msg


def closed_code(ws, timeout: float = 3.0) -> int:
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed):
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
    assert ws.close_code is not None
    return ws.close_code


def test_subscribed_events_arrive_in_bus_order_with_the_envelope(sb, channel):
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)  # the socket is registered once accepted
        publish(sb, {"id": "c1", "recordingState": "paused"}, topic=f"v2.users.{SALES}.conversations")  # not subscribed
        publish(sb, {"id": "c1", "recordingState": "paused"}, org="other-org")  # another org's
        for n in range(5):
            publish(sb, {"id": "c1", "n": n, "recordingState": "active"})
        got = [recv_event(ws) for _ in range(5)]
        assert [m["eventBody"]["n"] for m in got] == list(range(5))
        first = got[0]
        assert set(first) == {"topicName", "version", "eventBody", "metadata"}
        assert first["topicName"] == TOPIC and first["version"] == "2"
        assert set(first["metadata"]) == {"CorrelationId"} and first["metadata"]["CorrelationId"]
        with pytest.raises(TimeoutError):
            recv_event(ws, timeout=0.3)  # nothing else: the other topic and org never arrive


def test_heartbeat_and_ping_pong(sb, channel):
    sb.control.settings(notificationHeartbeatSeconds=0.2)
    with connect(channel.connect_uri) as ws:
        beat = recv(ws, timeout=2)
        assert beat == {"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}}
        ws.send(json.dumps({"message": "ping"}))
        msgs = [recv(ws) for _ in range(3)]
        assert {"topicName": "channel.metadata", "eventBody": {"message": "pong"}} in msgs


def test_second_socket_closes_the_first(sb, channel):
    with connect(channel.connect_uri) as first:
        time.sleep(0.1)
        with connect(channel.connect_uri) as second:
            assert closed_code(first) == 1000
            time.sleep(0.1)
            publish(sb, {"id": "c2"})
            assert recv_event(second)["eventBody"] == {"id": "c2"}


def test_no_replay_of_events_published_while_no_socket_was_open(sb, channel):
    publish(sb, {"id": "missed"})
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        publish(sb, {"id": "seen"})
        assert recv_event(ws)["eventBody"] == {"id": "seen"}


def test_socket_closing_before_expiry_then_closed(sb, channel):
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        sb.control.advance_clock(24 * 3600 - 30)  # 30 s left: inside the 60 s grace
        msg = recv_event(ws)
        assert msg["topicName"] == "v2.system.socket_closing"
        assert msg["eventBody"]["channelId"] == channel.id
        sb.control.advance_clock(31)
        assert closed_code(ws) == 1000


def test_unknown_channel_upgrade_is_refused(sb, channel):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{sb.port}/channels/streaming-0-{'x' * 26}")
    assert refused.value.response.status_code == 404
    sb.control.settings(assumptions={"notificationUnknownChannel": "result404Close"})
    with connect(f"ws://127.0.0.1:{sb.port}/channels/streaming-0-{'x' * 26}") as ws:
        assert recv(ws)["result"] == "404"
        assert closed_code(ws) == 1000


def test_fault_drop(sb, channel):
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        assert sb.control.call("POST", "notifications/faults", {"kind": "drop", "channelId": channel.id})
        assert closed_code(ws) == 1011
    with connect(channel.connect_uri) as again:  # the channel lives on: reconnect
        time.sleep(0.1)
        publish(sb, {"id": "after"})
        assert recv_event(again)["eventBody"] == {"id": "after"}


def test_fault_delay(sb, channel):
    sb.control.call("POST", "notifications/faults", {"kind": "delay", "channelId": channel.id, "seconds": 0.5})
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        start = time.monotonic()
        publish(sb, {"id": "late"})
        assert recv_event(ws)["eventBody"] == {"id": "late"}
        assert time.monotonic() - start >= 0.45


def test_fault_delay_on_every_channel_ends_with_a_reset(sb, sdk, notif, channel):
    sb.control.call("POST", "notifications/faults", {"kind": "delay", "seconds": 0.5})
    later = notif.post_notifications_channels()  # made after the fault: delayed too
    notif.put_notifications_channel_subscriptions(later.id, topics(sdk, TOPIC))
    with connect(later.connect_uri) as ws:
        time.sleep(0.1)
        start = time.monotonic()
        publish(sb, {"id": "late"})
        assert recv_event(ws)["eventBody"] == {"id": "late"}
        assert time.monotonic() - start >= 0.45
    sb.control.reset()
    api = sdk.NotificationsApi(sdk.ApiClient(host=sb.url).get_client_credentials_token(
        "sandbox-supervisor", "sandbox-supervisor-secret"))
    fresh = api.post_notifications_channels()
    api.put_notifications_channel_subscriptions(fresh.id, topics(sdk, TOPIC))
    with connect(fresh.connect_uri) as ws:
        time.sleep(0.1)
        start = time.monotonic()
        publish(sb, {"id": "prompt"})
        assert recv_event(ws)["eventBody"] == {"id": "prompt"}
        assert time.monotonic() - start < 0.4


def test_fault_socket_closing_then_reconnect(sb, channel):
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        sb.control.call("POST", "notifications/faults", {"kind": "socketClosing", "seconds": 0.3})
        assert recv_event(ws)["topicName"] == "v2.system.socket_closing"
        assert closed_code(ws) == 1000


def test_fault_expire(sb, sdk, notif, channel):
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        sb.control.call("POST", "notifications/faults", {"kind": "expire", "channelId": channel.id})
        assert closed_code(ws) == 1000
    assert head_status(notif, channel.id) == 404
    with pytest.raises(InvalidStatus) as refused:  # an expired channel's upgrade is refused too
        connect(channel.connect_uri)
    assert refused.value.response.status_code == 404


def test_fault_bad_input(sb):
    from recops.sandbox.control_client import SandboxControlError

    with pytest.raises(SandboxControlError) as bad:
        sb.control.call("POST", "notifications/faults", {"kind": "explode"})
    assert bad.value.status == 400 and "drop, delay, socketClosing, expire" in str(bad.value.body)
    with pytest.raises(SandboxControlError) as missing:
        sb.control.call("POST", "notifications/faults", {"kind": "drop", "channelId": "streaming-0-nope"})
    assert missing.value.status == 404


def test_a_slow_socket_is_closed_when_its_queue_overflows(sb, channel):
    sb.control.settings(notificationSocketQueueSize=2)
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        with sb.state.lock:  # the socket's task waits for the lock: its queue fills
            for n in range(50):
                sb.state.events.publish(ORG, TOPIC, {"n": n}, 0.0)
        assert closed_code(ws) == 1008


def test_a_reset_closes_the_orgs_sockets(sb, channel):
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        sb.control.reset()
        assert closed_code(ws) == 1000


def test_the_bus_is_listened_to_only_while_a_socket_is_open(sb, channel):
    assert not sb.state.events.listened  # publishers may skip building bodies
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        assert sb.state.events.listened
        ws.close()
    deadline = time.monotonic() + 3
    while sb.state.events.listened and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not sb.state.events.listened


def test_eviction_prefers_a_channel_without_a_socket(sb, notif, channel):
    others = [notif.post_notifications_channels().id for _ in range(19)]  # 20 with ``channel``, the LRU
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        notif.get_notifications_channel_subscriptions(channel.id)  # ``channel`` made and used first...
        for cid in others:
            notif.get_notifications_channel_subscriptions(cid)  # ...and now the least recently used
        notif.post_notifications_channels()  # the 21st
        assert head_status(notif, channel.id) == 200  # connected: kept
        assert head_status(notif, others[0]) == 404  # the least recently used without a socket went
        publish(sb, {"id": "still"})
        assert recv_event(ws)["eventBody"] == {"id": "still"}
