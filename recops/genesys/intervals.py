"""Dates and intervals on the client side: ISO-8601 as Genesys writes it, ``start/end``
intervals, fixed-length chunks, and "the last N hours"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .errors import ConfigError


def parse_interval(interval: str | tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    """``start/end`` in ISO-8601 (or a pair of datetimes) as two UTC datetimes; naive means UTC."""
    if isinstance(interval, tuple):
        if len(interval) != 2 or not all(isinstance(d, datetime) for d in interval):
            raise ConfigError("an interval tuple must be two datetimes (start, end)",
                              "or give 'start/end' in ISO-8601, e.g. 2026-03-02T00:00:00Z/2026-03-03T00:00:00Z")
        start, end = interval
    else:
        if not isinstance(interval, str) or interval.count("/") != 1:
            raise ConfigError(f"interval must be 'start/end' in ISO-8601, not {interval!r}",
                              "e.g. 2026-03-02T00:00:00Z/2026-03-03T00:00:00Z")
        try:
            start, end = (datetime.fromisoformat(p.strip().replace("Z", "+00:00")) for p in interval.split("/"))
        except ValueError:
            raise ConfigError(f"interval must be 'start/end' in ISO-8601, not {interval!r}",
                              "e.g. 2026-03-02T00:00:00Z/2026-03-03T00:00:00Z") from None
    start = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
    end = end if end.tzinfo else end.replace(tzinfo=timezone.utc)
    if end <= start:
        raise ConfigError(f"the interval's end must be after its start, not {interval!r}",
                          "write it as start/end, the earlier date first")
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def parse_past_interval(interval: str | tuple[datetime, datetime],
                        now: datetime | None = None) -> tuple[datetime, datetime]:
    """As :func:`parse_interval`, and the interval must start in the past (its end may run past
    now: there is simply nothing there yet)."""
    start, end = parse_interval(interval)
    now = now or datetime.now(timezone.utc)
    if start >= now:
        raise ConfigError(f"the interval starts in the future ({iso(start)}; now is {iso(now)})",
                          "give an interval that starts before now, e.g. recops.genesys.intervals.last(24)")
    return start, end


def utc_day(dt: datetime) -> datetime:
    """The UTC midnight that starts ``dt``'s day."""
    return dt.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def days(start: datetime, end: datetime) -> list[datetime]:
    """The UTC days (their midnights) that ``[start, end)`` touches, in order."""
    out = []
    day = utc_day(start)
    while day < end:
        out.append(day)
        day += timedelta(days=1)
    return out


def iso(dt: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as Genesys writes dates."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def chunks(start: datetime, end: datetime, days: int) -> list[tuple[datetime, datetime]]:
    """``start``-``end`` cut into consecutive pieces of at most ``days`` days."""
    out = []
    step = timedelta(days=days)
    while start < end:
        out.append((start, min(end, start + step)))
        start += step
    return out


def last(hours: float = 24.0) -> str:
    """The ISO-8601 interval of the last ``hours`` hours."""
    end = datetime.now(timezone.utc).replace(microsecond=0)
    return f"{iso(end - timedelta(hours=hours))}/{iso(end)}"
