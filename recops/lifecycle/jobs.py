"""Bulk recording jobs (``/api/v2/recording/jobs``): plan, status, list, cancel.

``plan`` (``rc.recording_job``) creates the job (``POST``, answered 202 ``PENDING``
[documented]), waits while it is ``PENDING`` (reading ``GET …/{jobId}``), and returns a
``JobPlan`` whose counts are the job's own ``READY`` ``totalConversations`` /
``totalRecordings``, with the protected conversations it will skip (the POST check of
``recops.lifecycle.hold``: over the named ids, or, for an interval, over the conversations this
journal protected). Nothing is executed: ``recops.lifecycle.job_run`` does that, only with the
exact count typed. Every step is journaled (``recops.lifecycle.journal``): the ``create`` intent
before the POST (a crash in between leaves a create that reconcile resolves by listing the
caller's jobs), the job id and state after it, ``ready`` with the counts.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from recops.base.display import AMBER, BLUE, GREEN, GREY, RED, box, html_rows, rich_lines, rich_text
from recops.genesys.errors import ApiError, InvalidTransition, RecopsError

from .hold import check
from .job_query import build

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client

    from .journal import LifecycleJournal

TERMINAL = ("FULFILLED", "CANCELLED", "FAILED")
STATE_COLORS = {"READY": BLUE, "PENDING": GREY, "PROCESSING": AMBER, "FULFILLED": GREEN, "CANCELLED": GREY,
                "FAILED": RED}
DEFAULT_WAIT = 3600.0  # seconds to wait for READY: creating a job can take about an hour [documented]


@dataclass(frozen=True)
class JobStatus:
    """A ``RecordingJob`` as recops shows it."""

    job_id: str
    state: str
    action: str | None
    total_conversations: int | None
    total_recordings: int | None
    total_processed: int | None
    total_skipped: int | None
    total_failed: int | None
    percent: int | None
    error_message: str | None
    date_created: str | None
    user_id: str | None

    @classmethod
    def of(cls, job: Any) -> JobStatus:
        query = getattr(job, "recording_jobs_query", None)
        created = getattr(job, "date_created", None)
        user = getattr(job, "user", None)
        return cls(job.id, job.state or "?", getattr(query, "action", None), job.total_conversations,
                   job.total_recordings, job.total_processed_recordings, job.total_skipped_recordings,
                   job.total_failed_recordings, job.percent_progress, job.error_message,
                   created.isoformat() if created is not None else None, getattr(user, "id", None))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class JobPlan:
    job_id: str
    action: str
    state: str
    total_conversations: int | None
    total_recordings: int | None
    protected: list[str]
    protected_basis: str
    query: dict[str, Any]
    target: str
    is_sandbox: bool
    error_message: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def run_command(self) -> str:
        yes = "" if self.is_sandbox else " --yes"
        return f"recops jobs run {self.job_id} --confirm-count {self.total_recordings}{yes}"

    def summary(self) -> str:
        if self.state != "READY":
            return f"{self.action} job {self.job_id}: {self.state}" + (
                f" ({self.error_message})" if self.error_message else "")
        return (f"{self.action} job {self.job_id} READY on {self.target}: {self.total_recordings} recording(s) of "
                f"{self.total_conversations} conversation(s); {len(self.protected)} protected conversation(s) "
                "will be skipped. Nothing is executed until you confirm that count")

    def lines(self) -> list[tuple[str, str]]:
        lines = [("job", self.job_id), ("action", self.action), ("state", self.state),
                 ("interval", str(self.query.get("conversationQuery", {}).get("interval", ""))),
                 ("conversations", str(self.total_conversations)), ("recordings", str(self.total_recordings)),
                 ("when", str(self.query.get("actionDate") or f"{self.query.get('actionAge')} days after creation")),
                 ("protected", f"{len(self.protected)} ({self.protected_basis})"), ("target", self.target)]
        lines += [("note", n) for n in self.notes]
        if self.state == "READY":
            lines.append(("to run", f"rc.run_recording_job('{self.job_id}', confirm_count={self.total_recordings}"
                                    f"{'' if self.is_sandbox else ', confirm=True'}) or {self.run_command}"))
        return lines

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"summary": self.summary(), "run_command": self.run_command}

    def __rich__(self) -> Any:
        color = {"READY": "cyan", "FAILED": "red"}.get(self.state, "yellow")
        return rich_lines([rich_text((self.summary(), f"bold {color}")),
                           *(rich_text((f"  {k + ':':<15}", "bold"), v) for k, v in self.lines())])

    def _repr_html_(self) -> str:
        head = f"<b>{escape(self.summary())}</b>"
        return box("recops-job-plan", STATE_COLORS.get(self.state, GREY), f"<div>{head}</div>{html_rows(self.lines())}")


def get_job(client: Client, job_id: str) -> Any:
    return client.call("GET", f"/api/v2/recording/jobs/{job_id}", client.recording_api.get_recording_job, job_id)


def wait_while_pending(client: Client, job_id: str, *, timeout: float = DEFAULT_WAIT, poll: float = 0.5) -> Any:
    """Read the job until it leaves PENDING (or ``timeout`` seconds pass: then it is returned PENDING)."""
    deadline = time.monotonic() + timeout
    delay = min(0.1, poll)
    while True:
        job = get_job(client, job_id)
        if job.state != "PENDING" or time.monotonic() >= deadline:
            return job
        time.sleep(delay)
        delay = min(poll, delay * 2)


def protected_skips(client: Client, journal: LifecycleJournal, ids: list[str]) -> tuple[list[str], str]:
    target = client.describe()
    if ids:
        return sorted(check(client, ids)), f"the POST check over the {len(ids)} conversation(s) of the job"
    known = sorted(journal.protected_by_recops(target))
    if not known:
        return [], ("no conversation this journal protected; for an interval, Genesys has no GET of protected "
                    "conversations, so others protected in it are skipped by the job but not listed here")
    return sorted(check(client, known)), (
        f"the POST check over the {len(known)} conversation(s) this journal protected (of any interval); "
        "others protected outside recops are skipped by the job but not listed here")


def plan(client: Client, journal: LifecycleJournal, action: str, *, wait: float = DEFAULT_WAIT, poll: float = 0.5,
         **query: Any) -> JobPlan:
    """Create the job and wait for READY; see the module's docstring."""
    q = build(client, action, **query)
    target = client.describe()
    row = journal.job_created(target=target, principal=client.principal, action=q.action, query=q.wire)
    create_step = journal.steps(row)[-1]["id"]
    try:
        job = client.call("POST", "/api/v2/recording/jobs", client.recording_api.post_recording_jobs, q.body)
    except ApiError as e:
        if e.status < 500:
            journal.settle_step(create_step, "failed", http_status=e.status, error_code=e.code,
                                message=e.genesys_message)
            journal.set_job(row, ended="not created", message=e.genesys_message)
        raise
    journal.set_job(row, job_id=job.id, state=job.state)
    journal.settle_step(create_step, "done", state=job.state, http_status=client.last_status(),
                        message=f"created job {job.id}")
    job = wait_while_pending(client, job.id, timeout=wait, poll=poll)
    return record_ready(client, journal, row, job, q.ids)


def record_ready(client: Client, journal: LifecycleJournal, row: int, job: Any, ids: list[str]) -> JobPlan:
    """The plan of a job read after PENDING: ``ready`` (or its end) journaled, the protected skips checked."""
    status = JobStatus.of(job)
    journal.set_job(row, state=status.state, total_conversations=status.total_conversations,
                    total_recordings=status.total_recordings)
    steps = {s["step"] for s in journal.steps(row)}
    if status.state == "READY" and "ready" not in steps:
        journal.step_done(row, "ready", state="READY", message=f"{status.total_recordings} recording(s) of "
                                                               f"{status.total_conversations} conversation(s)")
    elif status.state in TERMINAL and "end" not in steps:
        journal.step_done(row, "end", state=status.state, message=status.error_message)
        journal.set_job(row, ended=status.state)
    protected, basis = protected_skips(client, journal, ids) if status.state == "READY" else ([], "")
    [jrow] = [r for r in journal.jobs() if r["id"] == row]
    import json

    plan = JobPlan(job.id, jrow["action"], status.state, status.total_conversations, status.total_recordings,
                   protected, basis, json.loads(jrow["query"]), client.describe(), client.target.is_sandbox,
                   status.error_message)
    if ids and status.state == "READY" and (status.total_conversations or 0) < len(ids):
        plan.notes.append(f"{len(ids) - (status.total_conversations or 0)} of the {len(ids)} conversations given are "
                          "not in the job: not ended, not yet in the data lake (up to 48 h), without a recording the "
                          "job covers, or outside the interval")
    return plan


def status(client: Client, job_id: str) -> JobStatus:
    return JobStatus.of(get_job(client, job_id))


JOB_COLUMNS = {"job_id": "string", "state": "string", "action": "string", "total_conversations": "Int64",
               "total_recordings": "Int64", "total_processed": "Int64", "total_skipped": "Int64",
               "total_failed": "Int64", "percent": "Int64", "error_message": "string", "date_created": "string",
               "user_id": "string"}


def jobs_frame(client: Client, *, state: str | None = None, mine: bool = False, page_size: int = 100) -> pd.DataFrame:
    """Every recording job of the org (or the caller's), one row each, newest pages first as listed."""
    from recops.base.frames import typed_frame

    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        kwargs: dict[str, Any] = {"page_size": page_size, "page_number": page, "show_only_my_jobs": mine,
                                  "include_total": True}
        if state:
            kwargs["state"] = state.upper()
        listing = client.call("GET", "/api/v2/recording/jobs", client.recording_api.get_recording_jobs, **kwargs)
        entities = listing.entities or []
        rows += [JobStatus.of(j).to_dict() for j in entities]
        if not entities or (listing.page_count is not None and page >= listing.page_count) or len(entities) < page_size:
            break
        page += 1
    return typed_frame(rows, JOB_COLUMNS)


def cancel(client: Client, journal: LifecycleJournal, job_id: str, *, confirm: bool = False) -> JobStatus:
    """``DELETE`` the job (allowed in PENDING, READY and PROCESSING [documented]), journaled."""
    from recops.genesys.errors import ConfirmationRequired

    if not client.target.is_sandbox and not confirm:
        raise ConfirmationRequired(f"cancelling recording job {job_id} on the {client.describe()}; nothing was sent")
    job = get_job(client, job_id)
    if job.state in TERMINAL:
        raise InvalidTransition(f"recording job {job_id} has already ended ({job.state}): nothing to cancel")
    jrow = journal.job_row(job_id)
    row = jrow["id"] if jrow else adopt(client, journal, job)
    step = journal.step_intent(row, "cancel", state=job.state)
    try:
        client.call("DELETE", f"/api/v2/recording/jobs/{job_id}", client.recording_api.delete_recording_job, job_id)
    except ApiError as e:
        if e.status < 500:
            journal.settle_step(step, "failed", http_status=e.status, error_code=e.code, message=e.genesys_message)
        raise
    except RecopsError:
        raise
    journal.settle_step(step, "done", http_status=client.last_status())
    after = status(client, job_id)
    journal.set_job(row, state=after.state)
    if after.state in TERMINAL:
        journal.step_done(row, "end", state=after.state, message="cancelled by recops")
        journal.set_job(row, ended=after.state)
    return after


def adopt(client: Client, journal: LifecycleJournal, job: Any) -> int:
    """A job this journal did not create (or lost the id of): journaled from now on."""
    query = client.api_client.sanitize_for_serialization(getattr(job, "recording_jobs_query", None)) or {}
    row = journal.job_created(target=client.describe(), principal=client.principal,
                              action=str(query.get("action") or "?"), query=query)
    journal.settle_step(journal.steps(row)[-1]["id"], "resolved-done", state=job.state,
                        message="adopted: created outside this journal, or its create was in doubt")
    journal.set_job(row, job_id=job.id, state=job.state)
    return row
