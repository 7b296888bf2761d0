"""Per-token request budget: ``inin-ratelimit-*`` headers and 429 past the limit.

A fixed one-minute window per token, starting at the token's first request in the window
[inferred: Genesys documents the per-minute limit and the headers, not the window's shape].
Requests answered 429 do not count against the budget [inferred].
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

WINDOW_SECONDS = 60.0


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

    def spend(self, key: str, now: float, allowed: int, enforce: bool = True) -> Budget:
        with self._lock:
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

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
