"""One place that turns a ``Watch`` into widget updates on the kernel's side (issue 20).

``LiveFeed(session, conversation_ids, on_changes, poll)`` subscribes through ``session.watch(
conversations=...)``; the watch's socket threads only queue each ``Transition`` (never blocking the
stream), and one feed thread hands them to ``on_changes`` in batches, so a widget's REST re-read or
traitlet update never runs on a socket thread. When the session cannot subscribe (every topic
``Rejected``, a missing permission, no notifications at all) the feed polls instead: ``poll()``
every ``poll_seconds``, and ``status()`` says so and why. The same thread calls ``on_tick`` every
``tick_seconds`` (the secure pause alert). ``close()`` closes the watch and ends the thread.

Widgets update traitlets from this thread (ipywidgets syncs them to the front end); nothing here
uses ``with output:``, which is not safe from a thread.

A disconnect that leaves every recording state as it was is no ``Transition`` (the tracker emits
changes of state, secure pause and hold only), yet a widget must show the call ended: the feed's
watch's ``on_event`` hook reports a conversation whose event shows every participant ended, once,
to ``on_ended``.

``StreamConfirm`` adapts a feed to ``recops.ops.workflow.StateStream``: the workflow's waits
confirm a pause or a resume by the transition seen on the stream.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from recops.genesys.errors import RecopsError
from recops.live.transitions import Transition
from recops.live.watch import Watch
from recops.ops.workflow import Seen

if TYPE_CHECKING:
    from recops.live.watch import WatchSettings
    from recops.session import Session

DEFAULT_POLL_SECONDS = 5.0
PUSH = "push"
POLLING = "polling"
IDLE = "idle"


_ENDED_STATES = {"disconnected", "terminated"}


def ended_in(body: object) -> str | None:
    """The conversation id of an event body whose participants have all ended, else None."""
    if not isinstance(body, dict) or not body.get("id"):
        return None
    participants = body.get("participants") or []
    if participants and all(isinstance(p, dict) and (p.get("endTime") or p.get("state") in _ENDED_STATES)
                            for p in participants):
        return str(body["id"])
    return None


def _why(error: BaseException) -> str:
    """The reason a watch could not start, in one line (never a channel id: ``Watch`` shortens them)."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return " ".join(str(message).split())


class LiveFeed:
    """Push when the session can subscribe to these conversations, polling otherwise."""

    def __init__(self, session: Session, conversation_ids: Iterable[str],
                 on_changes: Callable[[list[Transition]], None], poll: Callable[[], None], *,
                 poll_seconds: float = DEFAULT_POLL_SECONDS, tick_seconds: float = 0.5,
                 on_tick: Callable[[], None] | None = None, on_error: Callable[[BaseException], None] | None = None,
                 on_status: Callable[[str, bool], None] | None = None,
                 on_ended: Callable[[list[str]], None] | None = None, push: bool = True,
                 settings: WatchSettings | None = None, name: str = "recops-widget-feed") -> None:
        if poll_seconds <= 0:
            raise ValueError(f"poll_seconds must be > 0, got {poll_seconds}")
        self.session = session
        self.on_changes = on_changes
        self.poll = poll
        self.poll_seconds = float(poll_seconds)
        self.tick_seconds = float(tick_seconds)
        self.on_tick = on_tick
        self.on_error = on_error
        self.on_status = on_status
        self.on_ended = on_ended
        self._ended: set[str] = set()
        self.push = push
        self.settings = settings
        self.mode = IDLE
        self.reason: str | None = None  # why polling
        self.last_change: datetime | None = None
        self.transitions = 0  # how many transitions arrived (all conversations)
        self.watch: Watch | None = None
        self._ids: list[str] = []
        self._queue: queue.Queue[Transition | str] = queue.Queue()  # a str: a conversation seen ended
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._next_poll = 0.0
        self._seen: list[Transition] = []
        self._seen_cond = threading.Condition()
        self.follow(conversation_ids)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # --- what is watched -----------------------------------------------------------------------

    def follow(self, conversation_ids: Iterable[str]) -> None:
        """Watch these conversations from now on (a new watch: the old one is closed)."""
        ids = list(dict.fromkeys(c for c in conversation_ids if c))
        with self._lock:
            old, self.watch = self.watch, None
            self._ids = ids
        if old is not None:
            old.close()
        if not ids:
            self._set_mode(IDLE, None)
            return
        if not self.push:
            self._set_mode(POLLING, "push turned off for this widget")
            return
        try:
            watch = Watch(self.session.client, conversations=ids, callback=self._queue.put,
                          settings=self.settings, on_event=self._on_event)
        except (RecopsError, OSError) as e:  # cannot subscribe: the fallback, and why
            self._set_mode(POLLING, f"the token cannot subscribe: {_why(e)}")
            return
        with self._lock:
            if self._closed.is_set():
                watch.close()
                return
            self.watch = watch
        self._set_mode(PUSH, None)

    def _on_event(self, topic: str, body: dict[str, object]) -> None:
        """Every event of the watch (its socket thread): an ended conversation goes to the feed's queue."""
        cid = ended_in(body)
        if cid is not None:
            self._queue.put(cid)

    def _set_mode(self, mode: str, reason: str | None) -> None:
        self.mode, self.reason = mode, reason
        self._next_poll = time.monotonic() + self.poll_seconds
        if self.on_status is not None:
            self.on_status(self.status(), self.mode == PUSH)

    def status(self) -> str:
        """``live (push)``, or ``polling every N s: <why>``, for the widget's status line."""
        if self.mode == PUSH:
            seen = self.last_change
            last = f"; last change seen {seen.astimezone().strftime('%H:%M:%S')}" if seen else ""
            rejected = len(self.watch.rejected) if self.watch is not None else 0
            partly = f" ({rejected} topics refused: their changes show on Refresh)" if rejected else ""
            return f"live (push){partly}{last}"
        if self.mode == POLLING:
            return f"polling every {self.poll_seconds:g} s: {self.reason}"
        return "idle: nothing to watch yet"

    # --- the feed thread ------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._closed.is_set():
            items: list[Transition | str] = []
            try:
                items.append(self._queue.get(timeout=self.tick_seconds))
                while True:
                    items.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            if self._closed.is_set():
                break
            batch = [t for t in items if isinstance(t, Transition)]
            if batch:
                self._arrived(batch)
            ended = [c for c in dict.fromkeys(i for i in items if isinstance(i, str)) if c not in self._ended]
            if ended and self.on_ended is not None:
                self._ended.update(ended)
                self._guard(functools.partial(self.on_ended, ended))
            if self.mode == POLLING and time.monotonic() >= self._next_poll:
                self._next_poll = time.monotonic() + self.poll_seconds
                self._guard(self.poll)
            if self.on_tick is not None:
                self._guard(self.on_tick)

    def _arrived(self, batch: list[Transition]) -> None:
        self.last_change = batch[-1].at
        with self._seen_cond:
            self.transitions += len(batch)
            self._seen.extend(batch)
            del self._seen[:-1000]  # the waits look at recent ones only
            self._seen_cond.notify_all()
        self._guard(lambda: self.on_changes(batch))
        if self.on_status is not None:
            self.on_status(self.status(), self.mode == PUSH)

    def _guard(self, fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception as e:  # the widget's log panel shows it; the feed carries on
            if self.on_error is not None:
                with contextlib.suppress(Exception):
                    self.on_error(e)

    # --- waits (the workflow) -----------------------------------------------------------------

    def mark(self) -> int:
        with self._seen_cond:
            return self.transitions

    def wait_for(self, conversation_id: str, state: str, after: int, timeout: float,
                 cancel: threading.Event | None = None) -> Transition | None:
        """The first transition of ``conversation_id`` to ``state`` (``PAUSED``: a secure pause;
        ``ACTIVE``: not paused) counted after ``after`` (``mark()``), within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._seen_cond:
            while True:
                skip = len(self._seen) - (self.transitions - after)
                for t in self._seen[max(0, skip):]:
                    if t.conversation_id == conversation_id and t.new == state and (
                            t.secure_pause == (state == "PAUSED")):
                        return t
                left = deadline - time.monotonic()
                if left <= 0 or self._closed.is_set() or (cancel is not None and cancel.is_set()):
                    return None
                self._seen_cond.wait(min(left, 0.2))

    # --- the end --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the watch (its sockets and threads) and end the feed thread."""
        self._closed.set()
        with self._lock:
            watch, self.watch = self.watch, None
        if watch is not None:
            watch.close()
        with self._seen_cond:
            self._seen_cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()


class StreamConfirm:
    """A ``LiveFeed`` as the workflow's ``StateStream``: a pause or resume is confirmed by its transition."""

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed

    @property
    def available(self) -> bool:
        return self.feed.mode == PUSH

    def describe(self) -> str:
        return self.feed.status()

    def mark(self) -> int:
        return self.feed.mark()

    def wait_for(self, conversation_id: str, state: str, after: int, timeout: float,
                 cancel: threading.Event) -> Seen | None:
        t = self.feed.wait_for(conversation_id, state, after, timeout, cancel)
        if t is None:
            return None
        return Seen(t.new, t.secure_pause, t.at.astimezone(timezone.utc), t.topic)
