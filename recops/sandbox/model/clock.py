"""The sandbox's clock and the Genesys date format.

The clock is wall time plus an offset that the control plane can advance
(``POST /_sandbox/clock``), so token expiry, rate-limit windows and transcoding
can be exercised without sleeping.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from datetime import datetime, timezone


class Clock:
    """Epoch seconds, advanceable. Thread-safe."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


@functools.lru_cache(maxsize=65536)
def iso(epoch: float) -> str:
    """Genesys wire format: ISO-8601 UTC with milliseconds and ``Z``."""
    dt = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


_ISO_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_iso(text: str) -> float:
    """Parse an ISO-8601 datetime into epoch seconds.

    Offset-less values are taken as UTC, because the SDK sends naive datetimes
    without an offset. Raises ``ValueError`` for anything else.
    """
    if not isinstance(text, str) or not _ISO_RE.match(text.strip()):
        raise ValueError(f"not an ISO-8601 datetime: {text!r}")
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    # Python < 3.11 accepts at most 6 fractional digits.
    value = re.sub(r"(\.\d{6})\d+", r"\1", value)
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def parse_interval(text: str) -> tuple[float, float]:
    """Parse ``start/end`` into epoch seconds; ``ValueError`` if malformed."""
    if not isinstance(text, str) or text.count("/") != 1:
        raise ValueError(f"not an ISO-8601 interval 'start/end': {text!r}")
    start_s, end_s = text.split("/")
    return parse_iso(start_s), parse_iso(end_s)
