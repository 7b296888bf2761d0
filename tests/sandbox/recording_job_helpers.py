"""Helpers for the recording-job tests (tests/sandbox/test_recording_jobs*.py): build queries with the
SDK's own models, create recorded calls in a quiet interval, and walk a job along the sandbox clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

JOB_PERMISSIONS = ["recording:job:add", "recording:job:view", "recording:job:edit", "recording:job:delete",
                   "recording:recording:editRetention", "recording:screenRecording:editRetention",
                   "recording:snippetRecording:editRetention", "recording:recording:view"]
QUIET_DAYS = 12  # the demo's traffic covers the last week: jobs look further back


def job_query(sdk, interval: str | None = None, action: str = "DELETE", **fields: Any):
    """A ``RecordingJobsQuery`` over ``interval`` (an ``AsyncConversationQuery``), any field set by name."""
    q = sdk.RecordingJobsQuery()
    q.action = action
    if interval is not None:
        cq = sdk.AsyncConversationQuery()
        cq.interval = interval
        for key in ("segment_filters", "conversation_filters"):
            if key in fields:
                setattr(cq, key, fields.pop(key))
        q.conversation_query = cq
    if action in ("DELETE", "ARCHIVE") and "action_date" not in fields and "action_age" not in fields:
        fields["action_date"] = "2031-01-01T00:00:00.000Z"
    for key, value in fields.items():
        setattr(q, key, value)
    return q


def execute_body(sdk, state: str = "PROCESSING"):
    body = sdk.ExecuteRecordingJobsQuery()
    body.state = state
    return body


def recorded_calls(sb, n: int, days_ago: float = QUIET_DAYS, adhoc: bool = False, org: str | None = None
                   ) -> tuple[list[dict[str, Any]], str]:
    """``n`` ended recorded calls ``days_ago`` days back, a minute apart (with an agent's ad-hoc
    recording each when ``adhoc``): their control-plane summaries and an interval around them."""
    convs = []
    for k in range(n):
        spec: dict[str, Any] = {"recording": True, "startedSecondsAgo": days_ago * 86400 - 60 * k,
                                "ended": True, "durationSeconds": 30}
        if adhoc:
            spec["participants"] = [{"purpose": "customer", "name": "C"},
                                    {"purpose": "agent", "name": "A", "recording": True}]
        if org:
            spec["org"] = org
        conv = sb.control.add_conversation(**spec)
        convs.append(sb.control.conversation(conv["id"], org=org))
    starts = [datetime.fromisoformat(c["startTime"].replace("Z", "+00:00")) for c in convs]
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    lo, hi = min(starts) - timedelta(hours=1), max(starts) + timedelta(hours=1)
    return convs, f"{lo.strftime(fmt)}/{hi.strftime(fmt)}"


def quiet_interval(days_ago: float = QUIET_DAYS, hours: float = 2) -> str:
    now = datetime.now(timezone.utc) - timedelta(days=days_ago)
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    return f"{(now - timedelta(hours=hours)).strftime(fmt)}/{(now + timedelta(hours=hours)).strftime(fmt)}"


def ready(sb, api, job_id: str):
    """The job once the clock passed its PENDING time (recordingJobReadySeconds)."""
    sb.control.advance_clock(sb.control.settings()["recordingJobReadySeconds"] + 0.01)
    return api.get_recording_job(job_id)


def run_to_end(sb, sdk, api, job_id: str):
    """Execute a READY job and let the clock run until it is no longer PROCESSING."""
    api.put_recording_job(job_id, execute_body(sdk))
    job = api.get_recording_job(job_id)
    for _ in range(100):
        if job.state != "PROCESSING":
            break
        sb.control.advance_clock(5)
        job = api.get_recording_job(job_id)
    return job
