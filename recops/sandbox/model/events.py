"""Notification events (issue 20): every state change that Genesys would publish on a
notification topic is handed to the bus as ``(org, topic, body)``, in the order the changes
happen, with the sandbox clock's time and a sequence number.

Publishers are the state's change methods (``model/state.py``) and the services that change state
on the clock (recording jobs, file states); they call ``state.events.publish`` under the state
lock, so it must never block: a listener only enqueues. The listener is the notification service
(``services/notifications.py``), which matches topics against the channels' subscriptions and
delivers to their sockets. Bodies are the documented event classes (``model/event_bodies.py``),
lower-case states as on the wire (``paused``), never the REST casing.
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


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def listen(self, fn: Listener) -> Callable[[], None]:
        """Call ``fn`` with every event from now on; returns the function that stops it."""
        with self._lock:
            self._listeners.append(fn)

        def stop() -> None:
            with self._lock:
                if fn in self._listeners:
                    self._listeners.remove(fn)

        return stop

    @property
    def listened(self) -> bool:
        """Whether anyone listens (publishers may skip building bodies when nobody does)."""
        return bool(self._listeners)

    def publish(self, org: str, topic: str, body: dict[str, Any], at: float) -> Event:
        event = Event(org, topic, body, next(self._seq), at)
        for fn in tuple(self._listeners):
            fn(event)
        return event
