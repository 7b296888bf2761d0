"""Progress of a history read: a bar (``tqdm.auto``: a text bar in the terminal, a widget in
Jupyter) and a callback, both fed the same ``HistoryProgress`` after each day."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HistoryProgress:
    day: str  # the day just completed, YYYY-MM-DD
    via: str  # "query", "jobs" or "cache"
    rows: int  # rows of that day
    done: int  # days done so far (cached days included)
    total: int  # days in the interval
    cached: bool  # True when the day came from the cache


OnProgress = Callable[[HistoryProgress], None]


class CancelToken:
    """``token.cancel()`` from any thread (a button, a signal handler) stops a history read at
    its next page or poll; complete days stay cached and running jobs are deleted."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __call__(self) -> bool:
        return self._event.is_set()


def cancel_check(cancel: CancelToken | Callable[[], bool] | threading.Event | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


class Bar:
    """A tqdm bar over the interval's days (a no-op when ``show`` is false)."""

    def __init__(self, total: int, show: bool, desc: str = "history") -> None:
        self._bar: Any = None
        if show and total:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="day", leave=False)
        self.rows = 0

    def update(self, p: HistoryProgress) -> None:
        """The count goes in before the step, so whatever the step draws is current; the last day
        is always drawn (tqdm skips draws closer than ``mininterval``: the bar could stay on the
        count of a day before, e.g. ``rows=211`` beside a 221-row table)."""
        self.rows += p.rows
        if self._bar is not None:
            self._bar.set_postfix(rows=self.rows, via=p.via, refresh=False)
            self._bar.update(1)
            if p.done >= p.total:
                self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.refresh()  # the final count, also when the read stopped before its last day
            self._bar.close()


class CountBar:
    """A tqdm bar over a count that something else keeps (a recording job's processed recordings,
    read from the job each poll): ``set(n)`` moves it to ``n``; a no-op when ``show`` is false or
    there is nothing to count (issue 19: ``recops.lifecycle.job_run``)."""

    def __init__(self, total: int | None, show: bool, desc: str, unit: str = "rec") -> None:
        self._bar: Any = None
        if show and total:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False)

    def set(self, n: int) -> None:
        if self._bar is not None:
            self._bar.n = n
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
