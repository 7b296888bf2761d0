"""The trainer board by push: ``GET /_room/board/stream``, server-sent events (``text/event-stream``).

On connect the stream sends one full board (``event: board``, ``data:`` the JSON of ``GET
/_room/board``), then a new one whenever the board changes, and a ``: keep-alive`` comment when it
has been idle ``boardStreamKeepaliveSeconds`` (the page's watchdog; its reply header
``X-Board-Keepalive-Seconds`` says how often). Same auth as ``GET /_room/board`` (the admin token:
``Authorization: Bearer``; the page reads the stream with ``fetch`` so the token stays out of URLs
and logs). ``DELETE /_room/board/stream`` ends every open stream (the trainer's control; a test's
"dropped stream").

One ``BoardHub`` per app computes the board for all its streams: the facts change as requests are
answered (``progress.SeatProgress`` calls ``changed``), a seat reset from the board calls it too,
and the state's ``version`` (bumped by every change: a control-plane hold, a full reset) is looked
at every ``TICK_SECONDS``; a full recompute runs at least every ``boardStreamRecheckSeconds`` while
anyone watches (what changes with no request: the clock). Bursts coalesce: at most one board per
``boardStreamMinIntervalSeconds``; a board equal to the last one sent is not sent again. The board
is computed in a worker thread (``asyncio.to_thread``): it takes the state lock, which the event loop
must never wait for (a publisher in another thread may hold it; services/notifications.py).

Limits: at most ``boardStreamMaxStreams`` streams at once (the next one is 429 ``sandbox.too.many.streams``,
the page then polls); auth comes first, so nobody without the admin token holds a slot. A stream ends
when its client leaves (``http.disconnect``), at ``DELETE``, and when the server stops: uvicorn's
graceful shutdown turns the connection's ``keep_alive`` off, which each stream looks at every tick
(a stream that never ended would hold the shutdown forever). Nothing is left running: the hub's task
ends with its last stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..http.wire import Receive, Reply, Send, dumps
from ..model.errors import ApiError

if TYPE_CHECKING:
    from ..model.state import SandboxState

log = logging.getLogger("recops.sandbox")

TICK_SECONDS = 0.25  # how often an idle stream and the hub look at the server's state (shutdown, version)
CONTENT_TYPE = "text/event-stream; charset=utf-8"
KEEPALIVE = b": keep-alive\n\n"


def too_many_streams(cap: int) -> ApiError:
    return ApiError(429, "sandbox.too.many.streams",
                    f"the trainer board already has {cap} live streams open (boardStreamMaxStreams): close a "
                    "board tab (or DELETE /_room/board/stream to end them all), or raise the setting with PUT "
                    "/_sandbox/settings; until then the page polls GET /_room/board",
                    headers={"Retry-After": "5"})


def event_frame(data: dict[str, Any], version: int) -> bytes:
    """One server-sent event: ``event: board``, its ``id`` and the board's JSON on one ``data`` line."""
    return b"event: board\nid: %d\ndata: %s\n\n" % (version, dumps(data))


class _Cycle:
    """What a stream reads of the uvicorn connection under ``send`` (as ``http.wire`` does): whether
    the client went away, and whether the server is stopping. uvicorn's graceful shutdown only turns
    an in-flight response's ``keep_alive`` off, so a stream of a client that asked for ``Connection:
    close`` has it turned on while it runs (and back off at its end, so the connection still closes)."""

    def __init__(self, send: Send) -> None:
        self.cycle = getattr(send, "__self__", None)
        self.forced = False
        if self.cycle is not None and getattr(self.cycle, "keep_alive", None) is False:
            self.cycle.keep_alive = True
            self.forced = True

    @property
    def stopping(self) -> bool:
        return self.cycle is not None and getattr(self.cycle, "keep_alive", True) is False

    @property
    def gone(self) -> bool:
        return bool(getattr(self.cycle, "disconnected", False))

    def done(self) -> None:
        if self.forced and self.cycle is not None:
            self.cycle.keep_alive = False


class BoardStream:
    """One open stream: its wake-up, the board version it last sent, whether it must end."""

    def __init__(self, hub: BoardHub) -> None:
        self.hub = hub
        self.wake = asyncio.Event()
        self.sent_version = 0
        self.joined_at = -1  # the hub's ``computed`` when it joined: its first board is a later one
        self.ended = False
        self._released = False

    def end(self) -> None:
        self.ended = True
        self.wake.set()

    def release(self) -> None:
        """Its slot back (idempotent; a reply never served releases it too: ``LiveReply.close``)."""
        if not self._released:
            self._released = True
            self.hub.leave(self)

    def next_frame(self) -> bytes | None:
        hub = self.hub
        if hub.frame is None:
            return None
        if self.sent_version == 0:
            if hub.computed <= self.joined_at:
                return None
        elif hub.version <= self.sent_version:
            return None
        self.sent_version = hub.version
        return hub.frame

    async def serve(self, send: Send, receive: Receive, headers: dict[str, str] | None = None) -> None:
        """On the event loop: the response (with the pipeline's ``headers``: the correlation id),
        until the client leaves, ``end`` or the server stops."""
        cycle = _Cycle(send)
        loop = asyncio.get_running_loop()
        keepalive = float(self.hub.setting("board_stream_keepalive_seconds"))
        head = {**(headers or {}), "Content-Type": CONTENT_TYPE, "Cache-Control": "no-store",
                "X-Accel-Buffering": "no", "Referrer-Policy": "no-referrer",
                "X-Board-Keepalive-Seconds": str(keepalive)}
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in head.items()]})
        client_gone = asyncio.Event()
        watcher = asyncio.create_task(self._watch(receive, client_gone))
        next_beat = time.monotonic() + keepalive
        try:
            while not (self.ended or client_gone.is_set() or cycle.stopping or cycle.gone):
                self.wake.clear()
                frame = self.next_frame()
                now = time.monotonic()
                if frame is not None:
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
                    next_beat = now + keepalive
                elif keepalive and now >= next_beat:
                    await send({"type": "http.response.body", "body": KEEPALIVE, "more_body": True})
                    next_beat = now + keepalive
                await asyncio.sleep(0)  # let the loop see a lost connection
                if frame is not None or self.wake.is_set():
                    continue
                wait = TICK_SECONDS if not keepalive else min(TICK_SECONDS, max(0.0, next_beat - now))
                timer = loop.call_later(wait, self.wake.set)  # a timer, not wait_for's task per wake-up
                try:
                    await self.wake.wait()
                finally:
                    timer.cancel()
        finally:
            watcher.cancel()
            self.release()
            cycle.done()
        if not (client_gone.is_set() or cycle.gone):
            with contextlib.suppress(Exception):  # the client went away meanwhile
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _watch(self, receive: Receive, gone: asyncio.Event) -> None:
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":
                gone.set()
                self.wake.set()
                return


@dataclass
class LiveReply(Reply):
    """A reply whose body is a live stream: ``SandboxApp`` hands it the connection (``serve``)
    instead of sending a body of known length; ``close`` gives the stream's slot back."""

    live: BoardStream | None = None

    async def serve(self, send: Send, receive: Receive) -> None:
        if self.live is not None:
            await self.live.serve(send, receive, self.headers)

    def close(self) -> None:
        if self.live is not None:
            self.live.release()


class BoardHub:
    """The board computed once for every open stream (see the module docstring)."""

    def __init__(self, state: SandboxState, compute: Callable[[], dict[str, Any]]) -> None:
        self.state = state
        self.compute = compute
        self.streams: set[BoardStream] = set()
        self.frame: bytes | None = None  # the last board sent, framed
        self.version = 0  # bumped when the board differs from the last one
        self.computed = 0  # bumped on every compute, changed or not
        self._data: dict[str, Any] | None = None
        self._dirty = False
        self._seen_state = -1
        self._last = 0.0  # monotonic time of the last compute
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._lock = threading.Lock()  # the set of streams, read from a test's thread too

    def setting(self, name: str) -> Any:
        return getattr(self.state.settings, name)

    @property
    def open(self) -> int:
        with self._lock:
            return len(self.streams)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # --- streams -----------------------------------------------------------------------------

    def join(self) -> BoardStream:
        """On the event loop: a new stream, or 429 past ``boardStreamMaxStreams``."""
        cap = int(self.setting("board_stream_max_streams"))
        stream = BoardStream(self)
        with self._lock:
            if len(self.streams) >= cap:
                raise too_many_streams(cap)
            self.streams.add(stream)
            stream.joined_at = self.computed
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # the first stream of this server (a restarted one: a new loop)
            self._loop, self._wake, self._task = loop, asyncio.Event(), None
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._pump(), name="recops-board-hub")
        self.changed()
        return stream

    def leave(self, stream: BoardStream) -> None:
        with self._lock:
            self.streams.discard(stream)
        if self._wake is not None:
            self._call(self._wake.set)  # the hub's task sees it has nobody left, and ends

    def end_all(self) -> int:
        """End every open stream (``DELETE /_room/board/stream``); how many."""
        with self._lock:
            streams = list(self.streams)
        for s in streams:
            self._call(s.end)
        return len(streams)

    # --- changes -----------------------------------------------------------------------------

    def changed(self) -> None:
        """The board may have changed (any thread; cheap when nobody watches)."""
        self._dirty = True
        if self._wake is not None and self.streams:
            self._call(self._wake.set)

    def _call(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn()
        else:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the server stopped
                loop.call_soon_threadsafe(fn)

    async def _pump(self) -> None:
        """The hub's task, while anyone watches: compute when due, coalesced, and wake the streams."""
        wake = self._wake
        assert wake is not None
        loop = asyncio.get_running_loop()
        while self.open:
            wake.clear()
            now = time.monotonic()
            recheck = float(self.setting("board_stream_recheck_seconds")) or 3600.0
            due = self._dirty or self.state.version != self._seen_state or now >= self._last + recheck
            if due:
                pause = self._last + float(self.setting("board_stream_min_interval_seconds")) - now
                if pause > 0:
                    await asyncio.sleep(pause)  # coalesce a burst into one board
                    continue
                await self._compute()
                continue
            wait = max(0.0, min(TICK_SECONDS, self._last + recheck - now))
            timer = loop.call_later(wait, wake.set)
            try:
                await wake.wait()
            finally:
                timer.cancel()

    async def _compute(self) -> None:
        self._dirty = False
        self._seen_state = self.state.version
        try:
            data = await asyncio.to_thread(self.compute)  # takes the state lock: never on the loop
        except Exception:  # the board's own bug: logged, the streams keep their last board
            log.exception("the trainer board could not be computed for its stream")
            data = None
        self._last = time.monotonic()
        if data is None:
            return
        self.computed += 1
        if data != self._data:
            self._data = data
            self.version += 1
            self.frame = event_frame(data, self.version)
        with self._lock:
            streams = list(self.streams)
        for s in streams:
            s.wake.set()
