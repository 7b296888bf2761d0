"""``rc.reconcile_recording_jobs()``: the jobs this target's journal created but never saw end,
each settled by READING Genesys, never by a second PUT, with what to do next.

- a ``create`` left in doubt (the POST's answer never came): the caller's jobs are listed
  (``showOnlyMyJobs``); one of the same action created since the intent, not already in the
  journal and not yet executed (PENDING or READY) is adopted, else, once no request can still
  be in flight, it was never created;
- an ``execute`` left in doubt: the job's state says it: ``PROCESSING`` or an end → it was
  executed (``resolved-done``); still ``READY`` once no request can be in flight → it was not
  (``resolved-not-done``: it may be run, with its count); younger → left in doubt;
- ``PENDING``: waited for (with ``follow``) until READY;
- ``READY`` and not executed: offered: run it (with its count) or cancel it;
- executed (``PROCESSING``): followed to its end (with ``follow``), its failures listed;
- ended: the end is journaled. A job Genesys no longer knows (404) ends ``gone``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import NotFound, RecopsError

from .job_run import follow
from .jobs import TERMINAL, JobStatus, get_job, record_ready, wait_while_pending

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client

    from .journal import LifecycleJournal

COLUMNS = {"job_id": "string", "action": "string", "state": "string", "total_recordings": "Int64",
           "resolved": "string", "what_to_do": "string"}


def _age(started_at: str) -> float:
    return (datetime.now(timezone.utc) - datetime.fromisoformat(started_at)).total_seconds()


def _find_created(client: Client, journal: LifecycleJournal, jrow: dict[str, Any]) -> Any:
    """The caller's job that an in-doubt create made, if any."""
    since = datetime.fromisoformat(jrow["created_at"]) - timedelta(seconds=5)
    known = {r["job_id"] for r in journal.jobs() if r["job_id"]}
    listing = client.call("GET", "/api/v2/recording/jobs", client.recording_api.get_recording_jobs,
                          page_size=100, page_number=1, show_only_my_jobs=True, include_total=True)
    candidates = []
    for job in listing.entities or []:
        created = getattr(job, "date_created", None)
        action = getattr(getattr(job, "recording_jobs_query", None), "action", None)
        if job.id in known or action != jrow["action"]:
            continue
        if getattr(job, "state", None) not in ("PENDING", "READY"):
            continue  # our create made a job nobody has executed yet: a job already run is someone else's
            # (the same principal elsewhere, a moment earlier), never adopted and reported as ours
        if created is not None and created.astimezone(timezone.utc) < since:
            continue
        candidates.append(job)
    return min(candidates, key=lambda j: j.date_created or since) if candidates else None


def reconcile(client: Client, journal: LifecycleJournal, *, follow_jobs: bool = True, settle_after: float | None = None,
              poll: float = 0.5, progress: bool = False) -> pd.DataFrame:
    from recops.base.frames import typed_frame

    if settle_after is None:
        settle_after = client.settings.connect_timeout + client.settings.read_timeout
    target = client.describe()
    client.api_client  # noqa: B018 - authenticate (and resolve the target's description) first
    target = client.describe()
    rows: list[dict[str, Any]] = []
    for jrow in journal.jobs(target=target, unfinished=True):
        try:
            rows.append(_one(client, journal, jrow, follow_jobs, settle_after, poll, progress))
        except RecopsError as e:
            rows.append({"job_id": jrow["job_id"], "action": jrow["action"], "state": jrow["state"],
                         "total_recordings": jrow["total_recordings"], "resolved": "still in doubt",
                         "what_to_do": f"could not read it ({e.message}); reconcile again"})
    return typed_frame(rows, COLUMNS)


def _one(client: Client, journal: LifecycleJournal, jrow: dict[str, Any], follow_jobs: bool, settle_after: float,
         poll: float, progress: bool) -> dict[str, Any]:
    row = jrow["id"]
    steps = journal.steps(row)
    out = {"job_id": jrow["job_id"], "action": jrow["action"], "state": jrow["state"],
           "total_recordings": jrow["total_recordings"], "resolved": "", "what_to_do": ""}
    if jrow["job_id"] is None:
        create = next(s for s in steps if s["step"] == "create")
        job = _find_created(client, journal, jrow)
        if job is None:
            if _age(create["started_at"]) < settle_after:
                wait = f"its create may still be in flight: reconcile again after {settle_after:.0f} s"
                return out | {"resolved": "still in doubt", "what_to_do": wait}
            journal.settle_step(create["id"], "resolved-not-done", message="no such job among the caller's jobs")
            journal.set_job(row, ended="not created")
            return out | {"state": None, "resolved": "create: not created", "what_to_do": "nothing: plan it again"}
        journal.set_job(row, job_id=job.id, state=job.state)
        journal.settle_step(create["id"], "resolved-done", state=job.state, message=f"found job {job.id}")
        out |= {"job_id": job.id, "resolved": "create: found the job"}
    job_id = out["job_id"]
    try:
        job = get_job(client, job_id)
    except NotFound:
        journal.step_done(row, "end", state="GONE", message="Genesys no longer knows this job (404)")
        journal.set_job(row, ended="GONE")
        return out | {"state": "GONE", "resolved": "gone", "what_to_do": "nothing"}
    resolved = [out["resolved"]] if out["resolved"] else []
    executes = [s for s in journal.steps(row) if s["step"] == "execute"]
    doubt = [s for s in executes if s["status"] == "intent"]
    for s in doubt:
        if job.state in ("PROCESSING", "FULFILLED", "FAILED"):
            journal.settle_step(s["id"], "resolved-done", state=job.state, message="the job's state shows it executed")
            resolved.append("execute: it was executed")
        elif job.state == "READY" and _age(s["started_at"]) >= settle_after:
            journal.settle_step(s["id"], "resolved-not-done", state="READY", message="the job is still READY")
            resolved.append("execute: it was not executed")
        elif job.state == "CANCELLED":
            journal.settle_step(s["id"], "resolved-not-done", state="CANCELLED", message="cancelled")
            resolved.append("execute: not executed (cancelled)")
        else:
            return out | {"state": job.state, "resolved": "; ".join([*resolved, "execute: still in doubt"]),
                          "what_to_do": f"its PUT may still be in flight: reconcile again after {settle_after:.0f} s"}
    if job.state == "PENDING" and follow_jobs:
        job = wait_while_pending(client, job_id, poll=poll)
    executed = any(s["status"] in ("done", "resolved-done") for s in journal.steps(row) if s["step"] == "execute")
    if job.state == "READY" and not executed:
        plan = record_ready(client, journal, row, job, [])
        return out | {"state": "READY", "total_recordings": plan.total_recordings, "resolved": "; ".join(resolved),
                      "what_to_do": f"READY with {plan.total_recordings} recording(s), not executed: run it "
                                    f"({plan.run_command}) or cancel it (recops jobs cancel {job_id})"}
    if job.state in TERMINAL or (job.state == "PROCESSING" and follow_jobs):
        outcome = follow(client, journal, row, job_id, progress=progress, poll=poll)
        st = outcome.state
        what = "nothing: it ended" + (f"; {len(outcome.failed)} failed recording(s) in {outcome.manifest_csv}"
                                      if outcome.failed else "")
        return out | {"state": st, "total_recordings": outcome.total_recordings,
                      "resolved": "; ".join([*resolved, f"ended {st}"]), "what_to_do": what}
    st = JobStatus.of(job)
    return out | {"state": st.state, "total_recordings": st.total_recordings, "resolved": "; ".join(resolved),
                  "what_to_do": "still running: reconcile again to follow it"}
