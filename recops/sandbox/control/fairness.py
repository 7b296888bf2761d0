"""Fair share of the control plane between a room's seats (issue 16, finding 4).

One seat looping its own ``POST /_sandbox/reset`` once pushed another seat's reads from p99 5 ms
to 600 ms. So each seat's control calls are rate-limited: two token buckets per seat, one for
its control calls (every one, a reset too: ``FairShare``, a pipeline step after ``ControlAuth``)
and one for the rebuilds its resets cause (a small burst, then one every few seconds; spent by
the reset handler once the reset is valid, so a refused one, a 403 say, costs no rebuild). Past
either: 429 ``too.many.requests.retry.after`` with ``Retry-After`` (whole seconds, >= 1),
the body Genesys uses for its own 429s, so recops's and the SDK's 429 handling apply. Never a 5xx.

Who is limited: a seat, i.e. a request that ``ControlAuth`` named by a client's Basic credentials
(``req.scope_org``), keyed by that org (a seat's four clients share one budget). The trainer's
admin token is not limited, nor is an open control plane (no admin token: the embedded sandbox,
loopback ``recops sandbox serve``), so tests and notebooks never meet these limits.

The figures are the room's own [room's own choice]: Genesys documents nothing like a control
plane. They are constants, not settings: only a seat meets them, and a seat cannot change
settings. docs/sandbox.md §1.3 "Limits the room adds" lists them.

Time is the process's monotonic clock, not the sandbox clock (which the trainer may advance):
fairness is about real seconds. Memory is bounded: at most ``MAX_ORGS_TRACKED`` orgs' buckets
(two small objects each), the least recently used forgotten past it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ..http.pipeline import Exchange
from ..http.routes import CONTROL, ROOM
from ..model.errors import ApiError

# A seat's resets (POST /_sandbox/reset that rebuild its org): 3 at once, then one every 10 s
# [room's own choice].
# The walkthrough resets once at its start; a trainee clicking "start over" a few times never
# waits; a loop gets at most 6 rebuilds of its org a minute (~40 ms of CPU each).
RESET_BURST = 3
RESETS_PER_MINUTE = 6
# A seat's control calls (read its conversations and clients, mint its agents' tokens, hold,
# disconnect, media, health, reset): 30 at once, refilled at 120 a minute (2 a second) [room's own
# choice]. The walkthrough makes a few a minute; its checks read the seat's conversations in one
# call. The burst is small because the costliest of them, listing a seat's 507 conversations,
# takes ~8 ms of the event loop: 30 at once is ~0.25 s of it, 120 would be ~1 s.
CONTROL_BURST = 30
CONTROL_PER_MINUTE = 120
# Orgs whose buckets are kept: more than a room's 99 seats (room/seats.py HARD_CAP); past it the
# least recently seen org's buckets are forgotten (it starts again with a full burst).
MAX_ORGS_TRACKED = 128


class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``per_minute`` a minute; a call takes one."""

    __slots__ = ("capacity", "per_second", "stamp", "tokens")

    def __init__(self, capacity: int, per_minute: int, now: float) -> None:
        self.capacity = float(capacity)
        self.per_second = per_minute / 60.0
        self.tokens = float(capacity)
        self.stamp = now

    def take(self, now: float) -> int:
        """0 when a token was taken, else the whole seconds (>= 1) until one is there (nothing
        taken: a refused call costs nothing)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - self.tokens) / self.per_second))


@dataclass(frozen=True)
class Refusal:
    org: str
    what: str  # "resets" or "control calls"
    retry_after: int

    def error(self) -> ApiError:
        if self.what == "resets":
            share = f"{RESET_BURST} resets at once, then one every {60 // RESETS_PER_MINUTE} s"
        else:
            share = f"{CONTROL_PER_MINUTE} control calls a minute"
        return ApiError(429, "too.many.requests.retry.after",
                        f"{self.org} made {self.what} faster than its share of the room ({share}); "
                        f"retry the request in [{self.retry_after}] seconds",
                        headers={"Retry-After": str(self.retry_after)})


class SeatLimits:
    """Per org, the reset bucket and the other-calls bucket. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._orgs: OrderedDict[str, tuple[TokenBucket, TokenBucket]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._orgs)

    def take(self, org: str, reset: bool = False) -> Refusal | None:
        """Spend one of ``org``'s control calls, or (``reset``) one of its rebuilds; a ``Refusal``
        past it."""
        with self._lock:
            now = self._clock()
            buckets = self._orgs.get(org)
            if buckets is None:
                buckets = (TokenBucket(RESET_BURST, RESETS_PER_MINUTE, now),
                           TokenBucket(CONTROL_BURST, CONTROL_PER_MINUTE, now))
                self._orgs[org] = buckets
                while len(self._orgs) > MAX_ORGS_TRACKED:
                    self._orgs.popitem(last=False)
            else:
                self._orgs.move_to_end(org)
            wait = buckets[0 if reset else 1].take(now)
        if wait:
            return Refusal(org, "resets" if reset else "control calls", wait)
        return None

    def clear(self) -> None:
        """Every seat back to a full burst (the trainer's full reset of the room)."""
        with self._lock:
            self._orgs.clear()


class FairShare:
    """Pipeline step, after ``ControlAuth``: spend one of the calling seat's control calls; 429
    past it. The admin and an open control plane (``scope_org`` None) pass untouched; so does a
    request the handler step refuses anyway (an unsafe path, a body too large). A reset's
    rebuild is spent by the handler (``Control.post_reset``)."""

    def __init__(self, limits: SeatLimits) -> None:
        self.limits = limits

    async def __call__(self, ex: Exchange) -> None:
        req = ex.req
        if ex.plane not in (CONTROL, ROOM) or req.scope_org is None or req.early_error is not None:
            return
        refusal = self.limits.take(req.scope_org)
        if refusal is not None:
            raise refusal.error()
