"""The control plane's view of the analytics details jobs (services/analytics_jobs.py): list
them across orgs, and end one now (``FAILED``, ``EXPIRED``, ``CANCELLED``), as Genesys might."""

from __future__ import annotations

from typing import ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors
from ..model.state import SandboxState
from ..services.analytics_jobs import TERMINAL_OVERRIDES


class AnalyticsJobsControl:
    """``GET /_sandbox/analytics/jobs`` and ``PATCH /_sandbox/analytics/jobs/{jobId}``."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def analytics_jobs(self, req: Request) -> Reply:
        org = req.q("org")
        with self.state.lock:
            now = self.state.clock.now()
            jobs = [j for o in self.state.orgs.values() if org in (None, o.name) for j in o.analytics_jobs.values()]
            return json_reply(200, [{"jobId": j.id, "org": j.org, **j.status_wire(now)} for j in jobs])

    def analytics_job_patch(self, req: Request) -> Reply:
        """``PATCH /_sandbox/analytics/jobs/{jobId}`` ``{"state": "FAILED"|"EXPIRED"|"CANCELLED",
        "errorMessage"?}``: end a job now, as Genesys might."""
        try:
            body = req.json()
        except errors.ApiError as e:
            raise errors.sandbox_bad_request(f"the body must be JSON ({e.code})") from None
        if not isinstance(body, dict) or body.get("state") not in TERMINAL_OVERRIDES or \
                set(body) - {"state", "errorMessage"}:
            raise errors.sandbox_bad_request(
                "PATCH a job with {\"state\": \"FAILED\"|\"EXPIRED\"|\"CANCELLED\", \"errorMessage\"?: \"...\"}")
        message = body.get("errorMessage")
        if message is not None and not isinstance(message, str):
            raise errors.sandbox_bad_request("'errorMessage' must be a string")
        with self.state.lock:
            job = next((o.analytics_jobs[req.params["jobId"]] for o in self.state.orgs.values()
                        if req.params["jobId"] in o.analytics_jobs), None)
            if job is None:
                raise errors.sandbox_not_found(f"no details job {req.params['jobId']!r}")
            self.state.end_analytics_job(job, body["state"], message)
            return json_reply(200, {"jobId": job.id, "org": job.org, **job.status_wire(self.state.clock.now())})

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", "_sandbox/analytics/jobs", analytics_jobs),
        Row("PATCH", "_sandbox/analytics/jobs/{jobId}", analytics_job_patch),
    )
