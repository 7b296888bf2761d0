"""Executing a READY recording job, once, with the count confirmed: ``rc.run_recording_job``.

1. a real org needs ``confirm`` (asked before any request);
2. the journal is read first: a job whose ``execute`` step is done or in doubt is never PUT
   again (an in-doubt one is settled by reading the job's state: ``recops jobs reconcile``);
3. the job is read: it must be ``READY``, and ``confirm_count`` must equal its
   ``totalRecordings``, else nothing is sent (``JobNotReady``, ``CountMismatch``);
4. ``execute`` intent (durable), then the one ``PUT {"state": "PROCESSING"}`` [documented], then
   its outcome; a 5xx or no answer leaves the intent in doubt (reconcile reads the state);
5. the job is followed while ``PROCESSING`` (``recops.base.progress.CountBar`` over its
   recordings), its end journaled;
6. its failed recordings (``GET …/failedrecordings``, 100 a page [documented maximum]) become a
   manifest: a CSV in ``<output>/jobs/`` and a frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from recops.base.display import GREEN, RED, box, html_rows, rich_lines, rich_text
from recops.genesys.errors import ApiError, ConfirmationRequired, CountMismatch, JobNotReady, RecopsError

from .jobs import TERMINAL, JobPlan, JobStatus, adopt, get_job, record_ready

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from recops.api.client import Client

    from .journal import LifecycleJournal

FAILED_PAGE = 100  # failedrecordings pageSize maximum [documented]
FAILED_COLUMNS = {"job_id": "string", "conversation_id": "string", "recording_id": "string"}


@dataclass
class JobOutcome:
    job_id: str
    action: str
    state: str
    total_recordings: int | None
    processed: int | None
    skipped: int | None
    failed_count: int | None
    error_message: str | None
    failed: list[dict[str, str]] = field(default_factory=list)
    manifest_csv: str | None = None
    executed_now: bool = False  # this call sent the PUT (False: it only followed an execution)

    @property
    def ok(self) -> bool:
        return self.state == "FULFILLED" and not self.failed

    @property
    def failed_frame(self) -> pd.DataFrame:
        from recops.base.frames import typed_frame

        return typed_frame(self.failed, FAILED_COLUMNS)

    def summary(self) -> str:
        how = "executed" if self.executed_now else "followed"
        return (f"{self.action} job {self.job_id} {how}: {self.state}; {self.processed} processed, {self.skipped} "
                f"skipped, {self.failed_count} failed of {self.total_recordings} recording(s)"
                + (f" ({self.error_message})" if self.error_message else ""))

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self) | {"summary": self.summary(), "ok": self.ok}

    def __rich__(self) -> Any:
        style = "bold green" if self.ok else "bold red"
        lines = [rich_text((self.summary(), style))]
        if self.manifest_csv:
            lines.append(rich_text(f"  failed recordings: {len(self.failed)} in {self.manifest_csv}"))
        return rich_lines(lines)

    def _repr_html_(self) -> str:
        rows = [("failed recordings", f"{len(self.failed)} in {self.manifest_csv}" if self.manifest_csv else None)]
        return box("recops-job-outcome", GREEN if self.ok else RED, f"<div><b>{self.summary()}</b></div>"
                   + html_rows(rows))


def _steps(journal: LifecycleJournal, row: int, step: str) -> list[dict[str, Any]]:
    return [s for s in journal.steps(row) if s["step"] == step]


def run(client: Client, journal: LifecycleJournal, plan_or_id: JobPlan | str, *, confirm_count: int,
        confirm: bool = False, progress: bool = True, poll: float = 0.5, timeout: float | None = None) -> JobOutcome:
    """See the module's docstring."""
    job_id = plan_or_id.job_id if isinstance(plan_or_id, JobPlan) else str(plan_or_id).strip()
    if not client.target.is_sandbox and not confirm:
        raise ConfirmationRequired(f"running recording job {job_id} would change recordings on the "
                                   f"{client.describe()}; nothing was read or sent")
    jrow = journal.job_row(job_id)
    if jrow is not None:
        executes = _steps(journal, jrow["id"], "execute")
        if any(s["status"] == "intent" for s in executes):
            raise JobNotReady(f"recording job {job_id}: an earlier execute is in doubt (its answer never came)",
                              "run `recops jobs reconcile` (rc.reconcile_recording_jobs()): it reads the job's state "
                              "and never sends the PUT twice")
        if any(s["status"] in ("done", "resolved-done") for s in executes):
            return follow(client, journal, jrow["id"], job_id, progress=progress, poll=poll, timeout=timeout)
    job = get_job(client, job_id)
    row = jrow["id"] if jrow is not None else adopt(client, journal, job)
    if job.state != "READY":
        raise JobNotReady(f"recording job {job_id} is {job.state}, not READY: nothing was sent",
                          "wait while it is PENDING (recops jobs show); an ended job cannot run: plan a new one"
                          if job.state in ("PENDING", *TERMINAL) else
                          "it is already executing: follow it with recops jobs reconcile")
    record_ready(client, journal, row, job, [])
    total = job.total_recordings
    if confirm_count != total:
        raise CountMismatch(f"recording job {job_id} is READY with {total} recording(s); the confirmed count was "
                            f"{confirm_count}: nothing was executed")
    journal.set_job(row, confirmed_count=confirm_count)
    step = journal.step_intent(row, "execute", state="READY", message=f"confirmed count {confirm_count}")
    body = client.sdk().ExecuteRecordingJobsQuery()
    body.state = "PROCESSING"
    try:
        answer = client.call("PUT", f"/api/v2/recording/jobs/{job_id}", client.recording_api.put_recording_job,
                             job_id, body)
    except ApiError as e:
        if e.status < 500:
            journal.settle_step(step, "failed", http_status=e.status, error_code=e.code, message=e.genesys_message)
        raise
    except RecopsError:
        raise  # no answer: left in doubt, reconcile reads the state
    journal.settle_step(step, "done", state=answer.state, http_status=client.last_status())
    journal.set_job(row, state=answer.state)
    outcome = follow(client, journal, row, job_id, progress=progress, poll=poll, timeout=timeout)
    outcome.executed_now = True
    return outcome


def follow(client: Client, journal: LifecycleJournal, row: int, job_id: str, *, progress: bool = True,
           poll: float = 0.5, timeout: float | None = None) -> JobOutcome:
    """Read the job until it ends (a bar over its recordings), journal its end, list its failures."""
    from recops.base.progress import CountBar

    deadline = None if timeout is None else time.monotonic() + timeout
    bar: CountBar | None = None
    delay = min(0.1, poll)
    try:
        while True:
            st = JobStatus.of(get_job(client, job_id))
            if bar is None and st.total_recordings:
                bar = CountBar(st.total_recordings, progress, f"{st.action or 'job'} {job_id[:8]}")
            if bar is not None:
                bar.set(st.total_processed or 0)
            if st.state in TERMINAL or (deadline is not None and time.monotonic() >= deadline):
                break
            time.sleep(delay)
            delay = min(poll, delay * 2)
    finally:
        if bar is not None:
            bar.close()
    journal.set_job(row, state=st.state)
    outcome = JobOutcome(job_id, st.action or "?", st.state, st.total_recordings, st.total_processed,
                         st.total_skipped, st.total_failed, st.error_message)
    if st.state not in TERMINAL:
        return outcome
    if st.total_failed or st.state == "FAILED":
        outcome.failed = failed_recordings(client, job_id)
        if outcome.failed:
            outcome.manifest_csv = str(write_manifest(job_id, outcome.failed))
    if not _steps(journal, row, "end"):
        journal.step_done(row, "end", state=st.state, message=outcome.summary())
    journal.set_job(row, ended=st.state)
    return outcome


def failed_recordings(client: Client, job_id: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    page = 1
    while True:
        listing = client.call("GET", f"/api/v2/recording/jobs/{job_id}/failedrecordings",
                              client.recording_api.get_recording_job_failedrecordings, job_id,
                              page_size=FAILED_PAGE, page_number=page, include_total=True)
        entities = listing.entities or []
        rows += [{"job_id": job_id, "conversation_id": getattr(e.conversation, "id", None),
                  "recording_id": getattr(e.recording, "id", None)} for e in entities]
        if not entities or len(entities) < FAILED_PAGE or (listing.page_count and page >= listing.page_count):
            return rows
        page += 1


def write_manifest(job_id: str, rows: list[dict[str, str]]) -> Path:
    import csv

    from recops.api.settings import output_dir

    folder = output_dir() / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job_id}-failed-recordings.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(FAILED_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path
