"""Notification events (issue 20): every state change that Genesys would publish on a
notification topic is handed to the bus as ``(org, topic, body)``, in the order the changes
happen, with the sandbox clock's time and a sequence number.

Publishers are the state's change methods (``model/state.py``) and the services that change state
on the clock (recording jobs, file states); they call ``state.events.publish`` under the state
lock, so it must never block: a listener only enqueues. The listener is the notification service
(``services/notifications.py``), which matches topics against the channels' subscriptions and
delivers to their sockets. Bodies are the documented event classes (``model/event_bodies.py``),
lower-case states as on the wire (``paused``), never the REST casing.

A listener may say which ``(org, topic)`` it wants (``listen(fn, wants=...)``; the notification
service: the topics some channel subscribed). A publisher whose bodies are costly to find, e.g. a
recording job's effects on a generated history (services/recording_events.py), asks ``wants``
before building anything; ``epoch`` changes each time the bus goes from unheard to listened, so
such a publisher knows to start afresh (no replay of what happened while nobody listened).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    org: str
    topic: str  # e.g. v2.users.{userId}.conversations.calls
    body: dict[str, Any]  # the eventBody, JSON-ready
    seq: int  # bus-wide order of publication
    at: float  # sandbox clock (epoch seconds)


Listener = Callable[[Event], None]
Wants = Callable[[str, str], bool]  # (org, topic) -> whether the listener would take it


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._wants: dict[int, Wants | None] = {}  # id(listener) -> its topic filter (None: every topic)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.epoch = 0  # bumped when the bus goes from unheard to listened

    def listen(self, fn: Listener, wants: Wants | None = None) -> Callable[[], None]:
        """Call ``fn`` with every event from now on (``wants``: the topics it takes, for
        publishers that ask first; None: all); returns the function that stops it."""
        with self._lock:
            if not self._listeners:
                self.epoch += 1
            self._listeners.append(fn)
            self._wants[id(fn)] = wants

        def stop() -> None:
            with self._lock:
                if fn in self._listeners:
                    self._listeners.remove(fn)
                    if fn not in self._listeners:
                        self._wants.pop(id(fn), None)

        return stop

    def wants(self, org: str, topic: str) -> bool:
        """Whether any listener would take an event of ``org`` on ``topic``; ``v2.users.*.…``
        (one ``*`` for the user id) asks whether it would for some user."""
        for fn in tuple(self._listeners):
            want = self._wants.get(id(fn))
            if want is None or want(org, topic):
                return True
        return False

    @property
    def listened(self) -> bool:
        """Whether anyone listens (publishers may skip building bodies when nobody does)."""
        return bool(self._listeners)

    def publish(self, org: str, topic: str, body: dict[str, Any], at: float) -> Event:
        event = Event(org, topic, body, next(self._seq), at)
        for fn in tuple(self._listeners):
            fn(event)
        return event
