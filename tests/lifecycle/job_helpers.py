"""Helpers for the recording-job tests: recorded calls in a quiet interval (12 days back, beyond the
demo's traffic), the sandbox's job timings made short, and the PUTs the sandbox saw on a job."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .helpers import api_log

QUIET_DAYS = 12


def fast_jobs(sb: Any, ready: float = 0.3, per_second: float = 40.0) -> None:
    """PENDING -> READY after ``ready`` s; ``per_second`` recordings processed a second."""
    sb.control.settings(recordingJobReadySeconds=ready, recordingJobRecordingsPerSecond=per_second)


def recorded_calls(sb: Any, n: int, days_ago: float = QUIET_DAYS) -> tuple[list[dict[str, Any]], str]:
    """``n`` ended recorded calls ``days_ago`` days back, a minute apart, and an interval around them."""
    convs = []
    for k in range(n):
        conv = sb.control.add_conversation(recording=True, startedSecondsAgo=days_ago * 86400 - 60 * k, ended=True,
                                           durationSeconds=30)
        convs.append(sb.control.conversation(conv["id"]))
    starts = [datetime.fromisoformat(c["startTime"].replace("Z", "+00:00")) for c in convs]
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    lo, hi = min(starts) - timedelta(hours=1), max(starts) + timedelta(hours=1)
    return convs, f"{lo.strftime(fmt)}/{hi.strftime(fmt)}"


def job_puts(sb: Any, job_id: str) -> list[dict[str, Any]]:
    return [r for r in api_log(sb) if r["method"] == "PUT" and r["path"] == f"/api/v2/recording/jobs/{job_id}"]


def recording_count(convs: list[dict[str, Any]]) -> int:
    return sum(len(c["recordingIds"]) for c in convs)
