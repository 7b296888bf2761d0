"""Helpers for the lifecycle tests: a recops session as the demo integration client (recording:*:*)
on the real sandbox over loopback, recorded conversations seeded through the control plane, and
the sandbox's request log as the ground truth of what was sent."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import recops

from ..conftest import Demo
from ..core.ops_helpers import api_log, clear_log, connect

__all__ = ["api_log", "clear_log", "lifecycle_session", "recorded_ids", "sent"]


def lifecycle_session(sb: Any, journal: Path, **overrides: Any) -> recops.Session:
    return connect(sb, Demo.INTEGRATION, journal, **overrides)


def recorded_ids(sb: Any, n: int) -> list[str]:
    """``n`` recorded, ended conversations of the demo org (seeded in one call when needed)."""
    ids = [c["id"] for c in sb.control.conversations(limit=1_000_000) if c.get("recordingIds")]
    if len(ids) < n:
        sb.control.seed(count=n - len(ids) + 5, seed=random.randrange(1 << 30), recordedRatio=1.0)
        ids = [c["id"] for c in sb.control.conversations(limit=1_000_000) if c.get("recordingIds")]
    return ids[:n]


def sent(sb: Any, method: str, path_prefix: str) -> list[dict[str, Any]]:
    """The requests the sandbox saw (since the last clear) with this method and path prefix."""
    return [r for r in api_log(sb) if r["method"] == method and r["path"].startswith(path_prefix)]
