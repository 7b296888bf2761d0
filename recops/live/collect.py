"""Bounded collection of a ``Watch``'s transitions, and a table of them (the notebooks' view).

    seen = Collector()                                      # a callback: keeps every transition
    w = rc.watch(queues=["Sales"], callback=seen)           # the stream runs in its own thread
    ...                                                     # changes happen (clicks, rc.pause, people)
    seen.wait(count=4, timeout=20)                          # returns by itself: the count, or the time
    w.close()
    seen.frame()                                            # one row per transition

    with rc.watch(conversations=[cid]) as w:                # or the iterating form
        ...
        frame = collect(w, idle=2.0, timeout=20)            # until 2 s pass with nothing new

Every wait is bounded (``timeout``): a cell that collects always ends by itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .transitions import Transition

if TYPE_CHECKING:
    import pandas as pd

    from .watch import Watch

COLUMNS = ["conversation_id", "participant_id", "old", "new", "change", "secure_pause", "held", "at", "topic",
           "recovered"]


def _change(t: Transition) -> str:
    return f"{t.old or '(first seen)'} → {t.new}"


def transitions_frame(transitions: Iterable[Transition]) -> pd.DataFrame:
    """One row per transition, in the order they came: conversation, participant, old, new,
    ``change`` (``ACTIVE → PAUSED``; ``(first seen) → PAUSED`` when ``old`` is None), secure
    pause, held, at (UTC), topic (``rest`` for a re-read) and recovered."""
    import pandas as pd

    rows = [{**t.to_dict(), "at": t.at, "change": _change(t)} for t in transitions]
    return pd.DataFrame(rows, columns=COLUMNS)


class Collector:
    """A ``Watch`` callback that keeps the transitions (thread-safe) and can wait for them."""

    def __init__(self) -> None:
        self._items: list[Transition] = []
        self._cond = threading.Condition()

    def __call__(self, transition: Transition) -> None:
        with self._cond:
            self._items.append(transition)
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    @property
    def transitions(self) -> list[Transition]:
        with self._cond:
            return list(self._items)

    def wait(self, count: int | None = None, timeout: float = 10.0, idle: float | None = None) -> int:
        """Wait until ``count`` transitions are kept, or ``idle`` seconds pass without a new one
        (after at least one), or ``timeout`` seconds in all; returns how many are kept."""
        deadline = time.monotonic() + timeout
        with self._cond:
            last_len, last_at = len(self._items), time.monotonic()
            while True:
                now = time.monotonic()
                n = len(self._items)
                if n != last_len:
                    last_len, last_at = n, now
                if count is not None and n >= count:
                    return n
                if idle is not None and n > 0 and now - last_at >= idle:
                    return n
                left = deadline - now
                if left <= 0:
                    return n
                step = left if idle is None else min(left, max(0.01, idle - (now - last_at)))
                self._cond.wait(step)

    def frame(self) -> pd.DataFrame:
        return transitions_frame(self.transitions)


def collect(watch: Watch, count: int | None = None, timeout: float = 10.0, idle: float | None = None) -> pd.DataFrame:
    """Read ``watch`` (the iterating form) until ``count`` transitions, or ``idle`` seconds
    without a new one (after at least one), or ``timeout`` seconds in all; the transitions as a
    frame (``transitions_frame``). The watch stays open: close it (or leave its ``with``)."""
    got: list[Transition] = []
    deadline = time.monotonic() + timeout
    while count is None or len(got) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        wait = left if idle is None or not got else min(left, idle)
        asked = time.monotonic()
        t = watch.next(wait)
        if t is None:
            if got and idle is not None:
                break  # quiet for ``idle`` seconds after the last one
            if time.monotonic() - asked < wait * 0.5:
                break  # answered at once: the stream has ended (closed, or failed)
            continue
        got.append(t)
    return transitions_frame(got)
