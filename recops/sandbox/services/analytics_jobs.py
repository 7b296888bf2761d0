"""Async conversation-detail jobs: ``/api/v2/analytics/conversations/details/jobs``.

``POST`` (202 ``{jobId}``) → ``GET …/{jobId}`` (``AsyncQueryStatus``) until ``FULFILLED`` →
``GET …/{jobId}/results?cursor=&pageSize=`` (``AnalyticsConversationAsyncQueryResponse``, an
opaque ``cursor`` on every page but the last) → ``DELETE …/{jobId}`` (204). Plus
``GET …/jobs/availability`` (``DataAvailabilityResponse``). [documented: S269, D257, CLI]

The job's query reuses the sync query's validation, filters and ordering (analytics.py) with the
job's own interval semantics ("all conversations that had activity during the interval"
[documented]; with ``startOfDayIntervalMatching``, the sync query's "started on a day touched by
the interval" [documented]) and no 7-day, 35-day, paging or 10,000-result rules. Its matches are
computed once, at the first results request, over materialised conversations and generated
histories (analytics_select.py); each page is rendered on demand.

The data lake lags (setting ``analyticsJobDataLagSeconds``; the SDK documents
``dataAvailabilityDate``, "before which data is guaranteed to be available in the datalake"): the
availability date is the sandbox clock less the lag, and a job holds only the conversations that
ended by the availability date of its submission. 0 switches the lag off.

Sandbox choices, each [unknown] (docs/sandbox.md §5.13): the state timeline (``QUEUED`` for
the first half of ``analyticsJobDelaySeconds``, ``PENDING`` for the second, then ``FULFILLED``;
``EXPIRED`` ``analyticsJobExpirySeconds`` after completion), the page size default and maximum,
the concurrency cap, the lag's default, the codes for an unknown job (404 ``not.found``), for
results that are not ready (assumption ``analyticsJobResultsNotReady``) and for a bad cursor (400
``bad.request``), and what DELETE leaves behind (assumption ``analyticsJobDelete``).
A results page always carries ``conversations`` (``[]`` when empty), as a strict public client
requires [inferred]. Jobs belong to their org: another org's job id is unknown (404).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, empty_reply, json_reply
from ..model import errors
from ..model import permissions as perms
from ..model.clock import iso
from ..model.models import Token, new_id
from ..model.state import SandboxState
from .analytics import DAY, Query, _day_bounds, parse_query
from .analytics_select import Selection, Window, select
from .base import ApiHandlers, positive_int

AVAILABILITY = ("analytics:conversationDetail:view",)  # only this one [documented: D257, CLI]
STATES = ("QUEUED", "PENDING", "FAILED", "CANCELLED", "FULFILLED", "EXPIRED")
TERMINAL_OVERRIDES = ("FAILED", "EXPIRED", "CANCELLED")
JOB_ONLY_KEYS = ("limit", "startOfDayIntervalMatching")
JOBS = "api/v2/analytics/conversations/details/jobs"


@dataclass
class DetailsJob:
    id: str
    org: str
    submitted: float
    delay: float
    expiry: float
    query: Query
    window: Window
    limit: int | None
    lag: float = 0.0  # the data lake's lag at submission (analyticsJobDataLagSeconds)
    override: str | None = None  # FAILED / EXPIRED / CANCELLED, set on demand
    override_at: float | None = None
    error_message: str | None = None
    selection: Selection | None = field(default=None, repr=False)

    @property
    def available(self) -> float:
        """The results' ``dataAvailabilityDate``: the data lake's at submission."""
        return self.submitted - self.lag

    @property
    def completion(self) -> float:
        return self.submitted + self.delay

    def state(self, now: float) -> str:
        if self.override is not None:
            return self.override
        if now < self.submitted + self.delay / 2:
            return "QUEUED"
        if now < self.completion:
            return "PENDING"
        if now >= self.completion + self.expiry:
            return "EXPIRED"
        return "FULFILLED"

    def end(self, state: str, now: float, message: str | None = None) -> None:
        """Through ``SandboxState.end_analytics_job`` only."""
        self.override = state
        self.override_at = now
        self.error_message = message
        self.selection = None

    def status_wire(self, now: float) -> dict[str, Any]:
        """``AsyncQueryStatus``. ``expirationDate`` appears once the job is FULFILLED
        (whether Genesys sends it earlier is [unknown])."""
        state = self.state(now)
        out: dict[str, Any] = {"state": state}
        if state == "FAILED":
            out["errorMessage"] = self.error_message or "The query failed."
        out["submissionDate"] = iso(self.submitted)
        if state in ("FULFILLED", "EXPIRED"):
            out["completionDate"] = iso(self.completion)
            out["expirationDate"] = iso(self.completion + self.expiry)
        elif state in ("FAILED", "CANCELLED") and self.override_at is not None:
            out["completionDate"] = iso(self.override_at)
        return out


# --- cursors ------------------------------------------------------------------------------------


def encode_cursor(job_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{job_id}:{offset}".encode()).decode().rstrip("=")


def decode_cursor(job_id: str, cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        jid, _, offset = text.rpartition(":")
        if jid != job_id or not offset.isdigit():
            raise ValueError
        return int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise errors.bad_request("The cursor is not one this job returned; start again without a cursor.") from None


# --- the query --------------------------------------------------------------------------------


def parse_job_query(body: Any, state: SandboxState) -> tuple[Query, Window, int | None]:
    """An ``AsyncConversationQuery`` [documented: S269]: the sync query's fields without
    ``paging`` (ignored), plus ``limit`` and ``startOfDayIntervalMatching``."""
    if not isinstance(body, dict):
        raise errors.bad_request("The body must be an AsyncConversationQuery object.")
    settings = state.settings
    rest = {k: v for k, v in body.items() if k not in (*JOB_ONLY_KEYS, "paging")}
    q = parse_query(rest, settings, sync=False)
    limit = body.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise errors.invalid_value(limit, "limit", ["a whole number >= 1"])
    sod = body.get("startOfDayIntervalMatching", False)
    if not isinstance(sod, bool):
        raise errors.invalid_value(sod, "startOfDayIntervalMatching", ["true", "false"])
    max_days = settings.analytics_job_max_interval_days
    if max_days and q.end - q.start > max_days * DAY:
        raise errors.bad_request(f"The interval of a details job may span at most {max_days} days "
                                 "(sandbox setting analyticsJobMaxIntervalDays).")
    if not sod:  # "all conversations whose lifetime overlaps with the query interval" [documented]
        return q, Window(q.start, q.end, activity=True), limit
    # "If you want the same behavior as for queries, you should set the startOfDayIntervalMatching
    # flag in the query to true" [documented]: the sync query's window, under the same assumption
    if settings.assumption("analyticsIntervalMatching") == "startDay":
        lo, hi = _day_bounds(q.start, q.end)
    else:
        lo, hi = q.start, q.end
    return q, Window(lo, hi, activity=False), limit


# --- handlers -----------------------------------------------------------------------------------


class AnalyticsJobsApi(ApiHandlers):
    """The five ``/api/v2`` endpoints of the details jobs."""

    def _job(self, token: Token, job_id: str) -> DetailsJob:
        org = self.state.orgs.get(token.org)
        job = org.analytics_jobs.get(job_id) if org else None
        if job is None:
            raise errors.not_found()  # the real code for an unknown job is [unknown]
        return job

    def jobs_submit(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.ANALYTICS_DETAILS)
        q, window, limit = parse_job_query(req.json(), self.state)
        settings = self.state.settings
        with self.state.lock:
            now = self.state.clock.now()
            jobs = self.state.org(token.org).analytics_jobs
            cap = settings.analytics_job_max_concurrent
            running = sum(1 for j in jobs.values() if j.state(now) in ("QUEUED", "PENDING"))
            if cap and running >= cap:
                # the real limit and its code are [unknown]; 429 is the sandbox's choice
                raise errors.ApiError(429, "too.many.requests",
                                      f"At most {cap} details jobs may be queued or running per organization "
                                      "(sandbox setting analyticsJobMaxConcurrent); wait for one to finish.")
            lag = float(settings.analytics_job_data_lag_seconds)
            if lag:
                window = replace(window, available=now - lag)
            job = DetailsJob(id=new_id(), org=token.org, submitted=now,
                             delay=float(settings.analytics_job_delay_seconds),
                             expiry=float(settings.analytics_job_expiry_seconds),
                             query=q, window=window, limit=limit, lag=lag)
            self.state.add_analytics_job(job)
        return json_reply(202, {"jobId": job.id})

    def jobs_status(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.ANALYTICS_DETAILS)
        with self.state.lock:
            job = self._job(token, req.params["jobId"])
            return json_reply(200, job.status_wire(self.state.clock.now()))

    def jobs_results(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.ANALYTICS_DETAILS)
        settings = self.state.settings
        size = positive_int(req.q("pageSize"), "pageSize", settings.analytics_job_default_page_size)
        if size > settings.analytics_job_max_page_size:
            raise errors.bad_request(f"pageSize may be at most {settings.analytics_job_max_page_size} "
                                     "(sandbox setting analyticsJobMaxPageSize).")
        with self.state.lock:
            job = self._job(token, req.params["jobId"])
            state = job.state(self.state.clock.now())
            if state != "FULFILLED":
                message = (f"The job's results are not available: its state is {state}. Read the results once "
                           f"GET /{JOBS}/{{jobId}} says FULFILLED.")
                if settings.assumption("analyticsJobResultsNotReady") == "notFound404":
                    raise errors.ApiError(404, "not.found", f"The requested resource was not found. {message}")
                raise errors.bad_request(message)
            cursor = req.q("cursor")
            offset = decode_cursor(job.id, cursor) if cursor else 0
            if job.selection is None:
                org = self.state.org(job.org)
                job.selection = select(list(org.conversations.values()), list(org.histories), job.query,
                                       job.window, job.query.filtered, job.limit, org.materialised)
            sel = job.selection
            # 'conversations' even when empty: a strict public client requires it [inferred]
            page = sel.render(offset, size, attributes=True) if offset < len(sel) else []
            out: dict[str, Any] = {"conversations": page}
            if offset + size < len(sel):
                out["cursor"] = encode_cursor(job.id, offset + size)
            out["dataAvailabilityDate"] = iso(job.available)
            return json_reply(200, out)

    def jobs_delete(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.ANALYTICS_DETAILS)
        with self.state.lock:
            job = self._job(token, req.params["jobId"])
            if self.state.settings.assumption("analyticsJobDelete") == "cancel":
                self.state.end_analytics_job(job, "CANCELLED")
            else:
                self.state.remove_analytics_job(job)
        return empty_reply(204)

    def jobs_availability(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, AVAILABILITY)
        # the sandbox clock less the data lake's lag (analyticsJobDataLagSeconds; 0: no lag)
        lag = float(self.state.settings.analytics_job_data_lag_seconds)
        return json_reply(200, {"dataAvailabilityDate": iso(self.state.clock.now() - lag)})

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("POST", JOBS, jobs_submit),
        Row("GET", f"{JOBS}/availability", jobs_availability),
        Row("GET", f"{JOBS}/{{jobId}}", jobs_status),
        Row("DELETE", f"{JOBS}/{{jobId}}", jobs_delete),
        Row("GET", f"{JOBS}/{{jobId}}/results", jobs_results),
    )
