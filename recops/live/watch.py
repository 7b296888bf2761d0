"""``Watch``: the live stream of recording-state transitions (``rc.watch(...)``).

One thread per channel reads its socket; every event goes through one ``Tracker`` under one lock,
so each change is one transition, in order per conversation. After any gap — the start, a
reconnect (a drop, or ``v2.system.socket_closing``), a channel renewal — the known conversations
are re-read through REST (``GET /api/v2/conversations/{id}``) and what changed meanwhile is
emitted with ``recovered=True``. The Notifications API replays nothing [documented, §5.2].
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING

from recops.genesys.errors import ConfigError, NotFound, RecopsError

from . import topics as topics_mod
from .channels import POLLING_FALLBACK, Channel, Channels
from .socket import Socket, SocketGone, SocketTimes, short_id
from .transitions import Tracker, Transition, observe_conversation, observe_event

if TYPE_CHECKING:
    from recops.api.client import Client

    from .observed import Observed

_END = object()
_OPEN: weakref.WeakSet[Watch] = weakref.WeakSet()  # every watch of this process not closed yet
_OPEN_LOCK = threading.Lock()


def open_watches() -> list[Watch]:
    """The watches of this process that are not closed (a notebook cell run twice leaves the first
    run's widgets, and their watches, open until they are closed or the kernel ends)."""
    with _OPEN_LOCK:
        return list(_OPEN)


def close_watches() -> int:
    """Close every open watch of this process (their sockets, threads and subscriptions); how many."""
    watches = open_watches()
    for w in watches:
        w.close()
    return len(watches)


@dataclass(frozen=True)
class WatchSettings:
    topics_per_channel: int = topics_mod.TOPICS_PER_CHANNEL
    max_channels: int = topics_mod.MAX_CHANNELS
    renew_margin: timedelta = timedelta(hours=1)  # re-subscribe this long before ``expires``
    reconnect_delays: tuple[float, ...] = (0.2, 1.0, 2.0, 5.0)  # backoff between reconnects (last repeats)
    socket: SocketTimes = field(default_factory=SocketTimes)


@dataclass
class Gap:
    """A gap the stream went through (for the report and the tests)."""
    channel: str  # shortened id
    reason: str


class Watch:
    """Iterate it for ``Transition``s (or pass ``callback``); ``close()`` it, or use ``with``."""

    def __init__(self, client: Client, *, queues: Sequence[str] | None = None, users: Sequence[str] | None = None,
                 conversations: Sequence[str] | None = None, callback: Callable[[Transition], None] | None = None,
                 settings: WatchSettings | None = None, observed: Observed | None = None,
                 on_event: Callable[[str, dict[str, object]], None] | None = None) -> None:
        self.client = client
        self.settings = settings or WatchSettings()
        self.callback = callback
        # every conversation event as it arrives (topic, eventBody), after its transitions: for what
        # is not a transition (a disconnect that leaves the recording state as it was)
        self.on_event = on_event
        self.observed = observed
        self.tracker = Tracker()
        self.gaps: list[Gap] = []
        self.rejected: dict[str, str] = {}
        self._queue: queue.Queue[object] = queue.Queue()
        self._emit_lock = threading.Lock()
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[Socket] = []
        self._error: BaseException | None = None
        self._conversations = list(conversations or [])
        self.queue_ids = topics_mod.resolve_queues(client, list(queues or []))
        user_ids = list(users or []) + topics_mod.conversation_users(client, self._conversations)
        wanted = [topics_mod.queue_topic(q) for q in self.queue_ids] + [topics_mod.user_topic(u) for u in user_ids]
        groups = topics_mod.pack(wanted, self.settings.topics_per_channel, self.settings.max_channels)
        self._api = Channels(client)
        self.channels: list[Channel] = []
        with _OPEN_LOCK:
            _OPEN.add(self)
        try:
            self._start(groups)
        except BaseException:
            self.close()  # no channel left subscribed, no socket left open
            raise

    def _start(self, groups: list[list[str]]) -> None:
        for g in groups:
            self.channels.append(self._api.create(g))
        for ch in self.channels:
            self.rejected.update(ch.rejected)
        if not any(ch.permitted for ch in self.channels):
            reasons = "; ".join(f"{t}: {r}" for t, r in list(self.rejected.items())[:3])
            raise ConfigError(f"no topic could be subscribed ({reasons})", POLLING_FALLBACK)
        self._recover(baseline=True)
        for ch in self.channels:
            if ch.permitted:
                sock = Socket(ch.connect_uri, ch.id, self.settings.socket)
                sock.open()
                self._sockets.append(sock)
                t = threading.Thread(target=self._run, args=(ch, sock), name=f"recops-watch-{short_id(ch.id)}",
                                     daemon=True)
                self._threads.append(t)
        for t in self._threads:
            t.start()

    # --- the stream ----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Transition]:
        while True:
            try:
                item = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._closed.is_set():
                    break
                continue
            if item is _END:
                break
            assert isinstance(item, Transition)
            yield item
        if self._error is not None:
            raise self._error

    def next(self, timeout: float) -> Transition | None:
        """The next transition within ``timeout`` seconds, or None."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _END:
            self._queue.put(_END)
            return None
        assert isinstance(item, Transition)
        return item

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        with _OPEN_LOCK:
            _OPEN.discard(self)
        for s in self._sockets:
            s.close()
        for t in self._threads:
            if t is not threading.current_thread() and t.ident is not None:
                t.join(timeout=5)
        for ch in self.channels:  # politeness: the channel stops costing the org anything
            try:
                api = self._api._api()
                self.client.call("DELETE", "/api/v2/notifications/channels/{channelId}/subscriptions",
                                 api.delete_notifications_channel_subscriptions, ch.id)
            except RecopsError:
                pass
        self._queue.put(_END)

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # --- inside ----------------------------------------------------------------------------------

    def _emit(self, transitions: list[Transition]) -> None:
        for t in transitions:
            if self.observed is not None:
                self.observed.record(self.client.describe(), t)
            if self.callback is not None:
                self.callback(t)
            else:
                self._queue.put(t)

    def _recover(self, baseline: bool = False) -> None:
        """Re-read the known conversations and emit what changed (``recovered``)."""
        ids = list(dict.fromkeys(self._conversations + self.tracker.conversations()))
        for cid in ids:
            try:
                conv = self.client.call("GET", "/api/v2/conversations/{conversationId}",
                                        self.client.conversations_api.get_conversation, cid)
            except NotFound:
                self.tracker.forget(cid)
                continue
            with self._emit_lock:
                self._emit(self.tracker.feed(observe_conversation(conv), "rest", recovered=not baseline,
                                             baseline=baseline))
                if conv.end_time is not None:  # ended: its last transitions are out; re-read it no more
                    self.tracker.forget(cid)
                    if cid in self._conversations:
                        self._conversations.remove(cid)

    def _run(self, channel: Channel, sock: Socket) -> None:
        attempt = 0
        try:
            while not self._closed.is_set():
                try:
                    frame = sock.next_event(0.5)
                except SocketGone as e:
                    if self._closed.is_set():
                        break
                    self.gaps.append(Gap(short_id(channel.id), "socket_closing" if e.planned else str(e)))
                    sock.close()
                    delays = self.settings.reconnect_delays
                    self._closed.wait(delays[min(attempt, len(delays) - 1)])
                    attempt += 1
                    self._reopen(channel, sock)
                    attempt = 0
                    continue
                if frame is not None:
                    self._handle(frame)
                    if sock.closing:  # planned close: a new socket on the same channel now
                        self.gaps.append(Gap(short_id(channel.id), "socket_closing"))
                        sock.close()
                        self._reopen(channel, sock)
                if channel.due(self.settings.renew_margin):
                    self._api.subscribe(channel)
                    self.gaps.append(Gap(short_id(channel.id), "renewed"))
                    self._recover()
        except BaseException as e:  # surfaced by the iterator
            if not self._closed.is_set():
                self._error = e
                self._queue.put(_END)

    def _reopen(self, channel: Channel, sock: Socket) -> None:
        while not self._closed.is_set():
            try:
                if not self._api.exists(channel):  # expired or evicted: subscribe a new one
                    fresh = self._api.create(channel.topics)
                    channel.id, channel.connect_uri, channel.expires = fresh.id, fresh.connect_uri, fresh.expires
                    sock.uri, sock.channel_id = fresh.connect_uri, fresh.id
                sock.open()
                break
            except RecopsError:
                self._closed.wait(self.settings.reconnect_delays[-1])
        if not self._closed.is_set():
            self._recover()

    def _handle(self, frame: dict[str, object]) -> None:
        topic = str(frame.get("topicName", ""))
        if topics_mod.entity_of(topic) is None:
            return
        body = frame.get("eventBody")
        with self._emit_lock:
            self._emit(self.tracker.feed(observe_event(body or {}), topic))
            if self.on_event is not None and isinstance(body, dict):
                self.on_event(topic, body)
