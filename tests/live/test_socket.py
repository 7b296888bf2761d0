"""The notification socket's client (issue 20, W3) against a real ``websockets`` server on loopback:
heartbeats swallowed, a ping after a quiet spell (and its pong keeps the socket), silence after the
ping is a drop, ``v2.system.socket_closing`` marks the socket for a planned reconnect, and no error
carries the channel id whole. The frames are the documented ones (genesys-api-lifecycle.md §5.3)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from recops.live.socket import Socket, SocketGone, SocketTimes

CHANNEL = "streaming-2-aa5h48uk0srhpugh2994klj918"
HEARTBEAT = {"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}}
PONG = {"topicName": "channel.metadata", "eventBody": {"message": "pong"}}
EVENT = {"topicName": "v2.users.u1.conversations.calls", "version": "2",
         "eventBody": {"id": "c1", "recordingState": "paused", "participants": []}}


@contextmanager
def server(handler: Callable[[Any], None]) -> Iterator[str]:
    from websockets.sync.server import serve

    srv = serve(handler, "127.0.0.1", 0)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"ws://127.0.0.1:{srv.socket.getsockname()[1]}/channels/{CHANNEL}"
    finally:
        srv.shutdown()
        t.join(5)


FAST = SocketTimes(open_timeout=5, close_timeout=1, quiet=0.4, pong_timeout=0.6)


def test_heartbeats_are_swallowed_and_events_come_through():
    def handler(ws: Any) -> None:
        ws.send(json.dumps(HEARTBEAT))
        ws.send(json.dumps(EVENT))
        ws.recv()  # keep open until the client goes

    with server(handler) as uri:
        s = Socket(uri, CHANNEL, FAST)
        s.open()
        assert s.next_event(3) == EVENT
        s.close()


def test_quiet_line_is_pinged_and_a_pong_keeps_it():
    pings: list[str] = []

    def handler(ws: Any) -> None:
        pings.append(ws.recv())
        ws.send(json.dumps(PONG))
        ws.send(json.dumps(EVENT))
        ws.recv()

    with server(handler) as uri:
        s = Socket(uri, CHANNEL, FAST)
        s.open()
        assert s.next_event(5) == EVENT
        assert json.loads(pings[0]) == {"message": "ping"}
        s.close()


def test_silence_after_the_ping_is_a_drop_and_the_error_hides_the_channel_id():
    def handler(ws: Any) -> None:
        ws.recv()  # the ping, never answered
        threading.Event().wait(5)

    with server(handler) as uri:
        s = Socket(uri, CHANNEL, FAST)
        s.open()
        with pytest.raises(SocketGone) as e:
            s.next_event(5)
        assert "silent" in str(e.value) and CHANNEL not in str(e.value)
        s.close()


def test_socket_closing_is_reported_then_the_close_is_planned():
    def handler(ws: Any) -> None:
        ws.send(json.dumps({"topicName": "v2.system.socket_closing", "eventBody": {"message": "closing"}}))
        ws.close()

    with server(handler) as uri:
        s = Socket(uri, CHANNEL, FAST)
        s.open()
        assert s.next_event(3)["topicName"] == "v2.system.socket_closing" and s.closing
        with pytest.raises(SocketGone) as e:
            s.next_event(3)
        assert e.value.planned


def test_unreachable_socket_error_hides_the_channel_id():
    from recops.genesys.errors import ConnectionFailed

    s = Socket(f"ws://127.0.0.1:9/channels/{CHANNEL}", CHANNEL, FAST)
    with pytest.raises(ConnectionFailed) as e:
        s.open()
    assert CHANNEL not in str(e.value) and "streaming-2" in str(e.value)
