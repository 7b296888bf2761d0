"""The checks a seed spec's fields pass (shared by the materialised history of builders.py and
the generated one of history.py), and a seeded recording's file mark."""

from __future__ import annotations

import hashlib
from typing import Any

from ..model.clock import parse_interval

RATIO_DEFAULTS = {"recordedRatio": 0.8, "securePauseRatio": 0.1, "adhocRatio": 0.05}
FILE_STATE_RATIOS = ("archivedRatio", "deletedRatio")  # shares of recordings marked ARCHIVED / DELETED
SIZE_DEFAULTS = {"queues": 4, "agents": 12}


def seed_fields(spec: dict[str, Any], now: float, max_count: int, count_error: str) -> dict[str, Any]:
    """The fields a materialised and a generated history seed share, checked: ``count``, ``seed``,
    the interval (``start``/``end``, epoch seconds; the 7 days up to now by default), the three
    ratios and the numbers of queues and agents. ``ValueError`` says what to send instead."""
    count = spec.get("count", 100)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= max_count:
        raise ValueError(count_error)
    seed = spec.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError("'seed' must be a whole number")
    if spec.get("interval") is not None:
        try:
            start, end = parse_interval(spec["interval"])
        except ValueError:
            raise ValueError("'interval' must be an ISO-8601 'start/end'") from None
        if end <= start:
            raise ValueError("'interval' end must be after its start")
    else:
        start, end = now - 7 * 86400, now - 3600
    out: dict[str, Any] = {"count": count, "seed": seed, "start": start, "end": end}
    for key, default in RATIO_DEFAULTS.items():
        value = spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"'{key}' must be a number from 0 to 1")
        out[key] = float(value)
    for key in FILE_STATE_RATIOS:
        value = spec.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"'{key}' must be a number from 0 to 1")
        out[key] = float(value)
    if out["archivedRatio"] + out["deletedRatio"] > 1:
        raise ValueError("'archivedRatio' + 'deletedRatio' must be at most 1")
    for key, default in SIZE_DEFAULTS.items():
        value = spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
            raise ValueError(f"'{key}' must be a whole number from 1 to 1000")
        out[key] = value
    return out


def seeded_file_state(seed: int, recording_id: str, archived_ratio: float, deleted_ratio: float,
                      transcoding_ratio: float = 0.0) -> str | None:
    """A seeded recording's mark: ``ARCHIVED`` for a share ``archived_ratio`` of recordings,
    ``DELETED`` for ``deleted_ratio``, ``UPLOADING`` (stuck transcoding; generated histories'
    ``transcodingRatio``) for ``transcoding_ratio``, from a hash of (seed, id), so it leaves the
    seed's other random draws untouched."""
    if archived_ratio <= 0 and deleted_ratio <= 0 and transcoding_ratio <= 0:
        return None
    h = int.from_bytes(hashlib.sha256(f"{seed}/{recording_id}/fileState".encode()).digest()[:7], "big")
    u = h / (1 << 56)
    if u < archived_ratio:
        return "ARCHIVED"
    if u < archived_ratio + deleted_ratio:
        return "DELETED"
    if u < archived_ratio + deleted_ratio + transcoding_ratio:
        return "UPLOADING"
    return None


# the gaps a generated history seeds with their causes (issue 19; docs/sandbox.md "Seeded gaps"):
# orphanedRatio: a share of conversations whose recording is an orphan naming them (one in every
# round(1/ratio) conversations, when recorded); strayOrphanRatio: orphans naming no conversation of
# the org (NO_CONVERSATION / UNKNOWN_CONVERSATION in turn), as a share of ``count``;
# transcodingRatio: a share of recordings left UPLOADING
GAP_RATIOS = ("orphanedRatio", "strayOrphanRatio", "transcodingRatio")


def gap_fields(spec: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    """The gap ratios of a generated seed, checked into ``out`` (``ValueError`` says what to send)."""
    for key in GAP_RATIOS:
        value = spec.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"'{key}' must be a number from 0 to 1")
        out[key] = float(value)
    if out["orphanedRatio"] and out["orphanedRatio"] < 1e-6:
        raise ValueError("'orphanedRatio' must be 0 or at least 0.000001")
    if out["archivedRatio"] + out["deletedRatio"] + out["transcodingRatio"] > 1:
        raise ValueError("'archivedRatio' + 'deletedRatio' + 'transcodingRatio' must be at most 1")
    return out


