"""Per-token request budget: ``inin-ratelimit-*`` headers and 429 past the limit.

A fixed one-minute window per token, starting at the token's first request in the window
[inferred: Genesys documents the per-minute limit and the headers, not the window's shape].
Requests answered 429 do not count against the budget [inferred].

Windows a window old are pruned, amortised: when the table reaches twice its size after the
last pruning (at least ``PRUNE_FLOOR``), so its memory follows the tokens in use in the last
minute, not every token ever seen.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
PRUNE_FLOOR = 1024  # windows kept before the first pruning (a class's tokens of one minute fit)


@dataclass
class Budget:
    allowed: int
    count: int
    reset_seconds: int
    exceeded: bool

    def headers(self) -> dict[str, str]:
        return {
            "inin-ratelimit-count": str(self.count),
            "inin-ratelimit-allowed": str(self.allowed),
            "inin-ratelimit-reset": str(self.reset_seconds),
        }


class RateLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._prune_at = PRUNE_FLOOR

    def spend(self, key: str, now: float, allowed: int, enforce: bool = True) -> Budget:
        with self._lock:
            if len(self._windows) >= self._prune_at:
                self._prune(now)
            start, count = self._windows.get(key, (now, 0))
            if now - start >= WINDOW_SECONDS:
                start, count = now, 0
            reset = max(1, math.ceil(start + WINDOW_SECONDS - now))
            if enforce and count >= allowed:
                self._windows[key] = (start, count)
                return Budget(allowed, count, reset, True)
            count += 1
            self._windows[key] = (start, count)
            return Budget(allowed, count, reset, False)

    def _prune(self, now: float) -> None:
        """Forget the windows that ended (O(windows), run once per doubling: amortised O(1))."""
        self._windows = {k: w for k, w in self._windows.items() if 0 <= now - w[0] < WINDOW_SECONDS}
        self._prune_at = max(PRUNE_FLOOR, 2 * len(self._windows))

    def size(self) -> int:
        """Windows held (tokens seen within about the last minute)."""
        return len(self._windows)

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
            self._prune_at = PRUNE_FLOOR
