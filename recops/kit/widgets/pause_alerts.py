"""The "secure pause open longer than N s" alert, as pure logic the widgets only display.

``PauseClock.observe(conversation, secure_pause, at, since_known)`` records each conversation's
secure pause: when it opened (a transition's time), or, for a pause already open when first read
through REST, the time of that read (then the alert says "at least"). ``over(now)`` lists the
pauses open longer than the limit; a resume (``secure_pause=False``) or ``forget`` clears one.
Times are passed in, so tests drive it without waiting.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

DEFAULT_PAUSE_LIMIT = 120.0  # seconds a secure pause may stay open before the widget alerts


@dataclass(frozen=True)
class PauseAlert:
    conversation_id: str
    seconds: float  # how long it has been open (at least that long when ``at_least``)
    limit: float
    at_least: bool  # the pause was already open when first read: its start is unknown

    def text(self) -> str:
        how_long = f"{'at least ' if self.at_least else ''}{duration(self.seconds)}"
        return (f"secure pause open {how_long} on {self.conversation_id} "
                f"(over the {duration(self.limit)} limit): resume it, or check why it stays paused")


def duration(seconds: float) -> str:
    """``45 s``, ``2 min 05 s``, ``1 h 02 min``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


class PauseClock:
    """Open secure pauses per conversation, and which are over ``limit`` seconds. Thread-safe."""

    def __init__(self, limit: float = DEFAULT_PAUSE_LIMIT) -> None:
        if limit <= 0:
            raise ValueError(f"the secure pause limit must be > 0 seconds, got {limit}")
        self.limit = float(limit)
        self._open: dict[str, tuple[datetime, bool]] = {}  # conversation -> (since, at_least)
        self._lock = threading.Lock()

    def observe(self, conversation_id: str, secure_pause: bool, at: datetime, since_known: bool = True) -> None:
        """The conversation's secure pause is ``secure_pause`` at ``at``. ``since_known``: ``at`` is
        when it changed (a transition); False: a read that found it so (its start unknown)."""
        with self._lock:
            if not secure_pause:
                self._open.pop(conversation_id, None)
                return
            # a pause already open keeps its first time: a repeated observation does not restart it
            self._open.setdefault(conversation_id, (at, not since_known))

    def forget(self, conversation_id: str) -> None:
        with self._lock:
            self._open.pop(conversation_id, None)

    def open_ids(self) -> list[str]:
        with self._lock:
            return list(self._open)

    def open_since(self, conversation_id: str) -> datetime | None:
        with self._lock:
            known = self._open.get(conversation_id)
            return known[0] if known else None

    def over(self, now: datetime) -> list[PauseAlert]:
        """The pauses open longer than the limit at ``now``, longest first."""
        with self._lock:
            items = list(self._open.items())
        alerts = [PauseAlert(cid, (now - since).total_seconds(), self.limit, at_least)
                  for cid, (since, at_least) in items if (now - since).total_seconds() > self.limit]
        return sorted(alerts, key=lambda a: -a.seconds)
