"""One notification WebSocket (``websockets.sync.client``): frames as dicts, heartbeats and pongs
swallowed, a watchdog that pings when the line goes quiet and gives up when no answer comes,
``v2.system.socket_closing`` reported so the caller reconnects on the same channel.

Every timeout is explicit. The channel id admits anyone to the socket (no token on the socket
[inferred, genesys-api-lifecycle.md §5.3]): it is shown only shortened (``short_id``).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

from recops.genesys.errors import ConnectionFailed

HEARTBEAT_TOPIC = "channel.metadata"
SOCKET_CLOSING_TOPIC = "v2.system.socket_closing"


def short_id(channel_id: str) -> str:
    """A channel id shortened for logs and errors (it is a credential)."""
    return f"{channel_id[:12]}…{channel_id[-3:]}" if len(channel_id) > 20 else "channel…"


def redact(uri: str, channel_id: str) -> str:
    return uri.replace(channel_id, short_id(channel_id))


@dataclass(frozen=True)
class SocketTimes:
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    quiet: float = 40.0  # no frame for this long (heartbeats come every ~30 s): send a ping
    pong_timeout: float = 10.0  # no frame this long after the ping: the socket is dead


class SocketGone(Exception):
    """The socket closed, dropped or went silent; ``planned``: announced by socket_closing."""

    def __init__(self, message: str, planned: bool = False) -> None:
        super().__init__(message)
        self.planned = planned


class Socket:
    def __init__(self, uri: str, channel_id: str, times: SocketTimes | None = None) -> None:
        self.uri, self.channel_id = uri, channel_id
        self.times = times or SocketTimes()
        self._ws: Any = None
        self.closing = False  # socket_closing received: reconnect soon
        self.last_frame = 0.0

    def open(self) -> None:
        from websockets.sync.client import connect

        try:
            # entered as a context manager: the one form websockets 12 to 17 all accept without a warning
            self._ws = connect(self.uri, open_timeout=self.times.open_timeout,
                               close_timeout=self.times.close_timeout, max_size=2**24).__enter__()
        except Exception as e:
            raise ConnectionFailed(f"could not open the notification socket {redact(self.uri, self.channel_id)}: "
                                   f"{type(e).__name__}", "check the target is reachable; recops retries") from None
        self.closing = False
        self.last_frame = time.monotonic()

    def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.close()

    def next_event(self, wait: float) -> dict[str, Any] | None:
        """The next event frame within ``wait`` seconds (None: none yet). Heartbeats and pongs are
        swallowed; socket_closing sets ``closing``; a dead socket raises ``SocketGone``."""
        if self._ws is None:
            raise SocketGone("not open")
        deadline = time.monotonic() + wait
        pinged_at: float | None = None
        while True:
            now = time.monotonic()
            remaining = deadline - now
            if remaining <= 0:
                return None
            quiet_for = now - self.last_frame
            if pinged_at is None and quiet_for >= self.times.quiet:
                self._send({"message": "ping"})
                pinged_at = now
            if pinged_at is not None and now - pinged_at >= self.times.pong_timeout:
                raise SocketGone("no heartbeat nor pong: the socket went silent")
            try:
                raw = self._ws.recv(timeout=min(remaining, 0.5))
            except TimeoutError:
                continue
            except Exception as e:
                raise SocketGone(f"socket closed ({type(e).__name__})", planned=self.closing) from None
            self.last_frame = time.monotonic()
            pinged_at = None
            try:
                frame = json.loads(raw)
            except (TypeError, ValueError):
                continue
            if not isinstance(frame, dict):
                continue
            topic = frame.get("topicName", "")
            if topic == HEARTBEAT_TOPIC:
                continue
            if topic == SOCKET_CLOSING_TOPIC:
                self.closing = True
                return frame
            return frame

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self._ws.send(json.dumps(message))
        except Exception:
            raise SocketGone("could not ping the socket") from None
