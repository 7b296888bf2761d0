"""Bulk recording jobs through ``rc.recording_job`` / ``rc.run_recording_job`` and friends against the
real sandbox (its recording jobs, on its clock): the plan's counts are the job's READY counts,
a wrong count is refused without a PUT, a run goes to FULFILLED with its effect on the
recordings, failed recordings become a manifest, cancel, reconcile after a crash (between
create and execute, with a create or an execute in doubt) never executes twice, and a real-org
target refuses without confirm before any request."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import recops
from recops import ConfirmationRequired
from recops.genesys.errors import ConfigError, CountMismatch, JobNotReady

from ..conftest import Demo
from .helpers import clear_log, lifecycle_session, sent
from .job_helpers import fast_jobs, job_puts, recorded_calls, recording_count

DELETE_AT = "2031-01-01T00:00:00Z"


@pytest.fixture
def rc(sb, tmp_path):
    fast_jobs(sb)
    return lifecycle_session(sb, tmp_path / "journal.sqlite")


def _steps(rc, job_id):
    row = rc.lifecycle_journal.job_row(job_id)
    return [(s["step"], s["status"]) for s in rc.lifecycle_journal.steps(row["id"])]


def test_plan_counts_are_the_ready_counts_and_a_wrong_count_sends_nothing(sb, rc):
    convs, interval = recorded_calls(sb, 6)
    plan = rc.recording_job("DELETE", interval=interval, action_date=DELETE_AT)
    assert plan.state == "READY"
    job = rc.client.recording_api.get_recording_job(plan.job_id)
    assert (plan.total_conversations, plan.total_recordings) == (job.total_conversations, job.total_recordings)
    assert plan.total_recordings == recording_count(convs) and plan.total_conversations == 6
    assert plan.query["conversationQuery"]["interval"] == interval and plan.query["action"] == "DELETE"
    assert _steps(rc, plan.job_id) == [("create", "done"), ("ready", "done")]
    assert f"--confirm-count {plan.total_recordings}" in plan.run_command
    html = plan._repr_html_()
    assert "recops-job-plan" in html and plan.job_id in html and "READY" in html

    clear_log(sb)
    with pytest.raises(CountMismatch, match=f"READY with {plan.total_recordings} recording"):
        rc.run_recording_job(plan, confirm_count=plan.total_recordings + 1)
    assert job_puts(sb, plan.job_id) == []
    assert rc.recording_job_status(plan.job_id).state == "READY"
    assert ("execute", "intent") not in _steps(rc, plan.job_id)


def test_run_to_fulfilled_with_progress_and_its_effect(sb, rc, capsys):
    convs, interval = recorded_calls(sb, 5)
    plan = rc.recording_job("DELETE", interval=interval, action_date=DELETE_AT)
    clear_log(sb)
    outcome = rc.run_recording_job(plan, confirm_count=plan.total_recordings, progress=True)
    assert outcome.state == "FULFILLED" and outcome.ok and outcome.executed_now
    assert outcome.processed == plan.total_recordings and outcome.failed == []
    assert len(job_puts(sb, plan.job_id)) == 1
    assert "rec" in capsys.readouterr().err  # the bar over its recordings
    for conv in convs:
        for m in rc.client.recording_api.get_conversation_recordingmetadata(conv["id"]):
            assert m.delete_date is not None and m.delete_date.year == 2031
    assert _steps(rc, plan.job_id) == [("create", "done"), ("ready", "done"), ("execute", "done"), ("end", "done")]
    assert rc.lifecycle_journal.job_row(plan.job_id)["ended"] == "FULFILLED"
    # a second run never sends a second PUT: it only reads the ended job
    clear_log(sb)
    again = rc.run_recording_job(plan.job_id, confirm_count=plan.total_recordings)
    assert again.state == "FULFILLED" and not again.executed_now and job_puts(sb, plan.job_id) == []


def test_failed_recordings_become_a_manifest_read_100_a_page(sb, rc, tmp_path, monkeypatch):
    # a generated history whose every call is still transcoding: each recording fails (recordingJobUnavailable)
    monkeypatch.setenv("RECOPS_OUTPUT_DIR", str(tmp_path / "out"))
    _, interval = recorded_calls(sb, 1)
    sb.control.seed(count=130, seed=5, interval=interval, generated=True, recordedRatio=1.0, adhocRatio=0.0)
    sb.control.settings(transcodingDelaySeconds=10 ** 9)
    fast_jobs(sb, per_second=1000)
    plan = rc.recording_job("ARCHIVE", interval=interval, action_date=DELETE_AT)
    assert plan.total_recordings == 131
    clear_log(sb)
    outcome = rc.run_recording_job(plan, confirm_count=plan.total_recordings, progress=False)
    assert outcome.state == "FULFILLED" and not outcome.ok and outcome.failed_count == 131
    assert len(outcome.failed) == 131 and len({r["recording_id"] for r in outcome.failed}) == 131
    assert len(sent(sb, "GET", f"/api/v2/recording/jobs/{plan.job_id}/failedrecordings")) == 2
    assert outcome.failed_frame.columns.tolist() == ["job_id", "conversation_id", "recording_id"]
    manifest = Path(outcome.manifest_csv or "")
    assert manifest.parent == tmp_path / "out" / "jobs"
    with manifest.open() as fh:
        assert list(csv.DictReader(fh)) == outcome.failed


def test_plan_from_ids_lists_the_protected_conversations_it_will_skip(sb, rc):
    convs, interval = recorded_calls(sb, 4)
    ids = [c["id"] for c in convs]
    rc.protect(ids[:1])
    plan = rc.recording_job("DELETE", ids=ids[:3], interval=interval, action_age=400)
    assert plan.state == "READY" and plan.total_conversations == 3
    assert plan.protected == [ids[0]] and plan.notes == []
    clauses = plan.query["conversationQuery"]["conversationFilters"][0]["clauses"]
    assert [p["value"] for p in clauses[0]["predicates"]] == ids[:3]
    with pytest.raises(ConfigError, match="need an interval"):
        rc.recording_job("DELETE", ids=ids, action_age=400)
    with pytest.raises(ConfigError, match="action_date or action_age"):
        rc.recording_job("DELETE", interval=interval)


def test_cancel_and_the_job_list(sb, rc):
    _, interval = recorded_calls(sb, 2)
    plan = rc.recording_job("DELETE", interval=interval, action_date=DELETE_AT)
    assert plan.job_id in rc.recording_jobs(mine=True)["job_id"].tolist()
    assert rc.cancel_recording_job(plan.job_id).state == "CANCELLED"
    assert rc.recording_jobs(state="CANCELLED")["job_id"].tolist() == [plan.job_id]
    assert _steps(rc, plan.job_id)[-2:] == [("cancel", "done"), ("end", "done")]
    with pytest.raises(JobNotReady, match="CANCELLED"):
        rc.run_recording_job(plan.job_id, confirm_count=plan.total_recordings)


def test_reconcile_after_a_crash_between_create_and_execute(sb, rc, tmp_path):
    _, interval = recorded_calls(sb, 3)
    plan = rc.recording_job("DELETE", interval=interval, action_date=DELETE_AT)
    # the process dies here; a new one on the same journal reconciles
    later = lifecycle_session(sb, tmp_path / "journal.sqlite")
    frame = later.reconcile_recording_jobs()
    [row] = frame.to_dict(orient="records")
    assert row["job_id"] == plan.job_id and row["state"] == "READY"
    assert row["total_recordings"] == plan.total_recordings
    assert f"--confirm-count {plan.total_recordings}" in row["what_to_do"] and "cancel" in row["what_to_do"]
    clear_log(sb)
    assert later.run_recording_job(plan.job_id, confirm_count=plan.total_recordings).state == "FULFILLED"
    assert len(job_puts(sb, plan.job_id)) == 1
    assert later.reconcile_recording_jobs().empty


def test_reconcile_settles_a_create_and_an_execute_in_doubt_by_reading(sb, rc, sdk):
    _, interval = recorded_calls(sb, 3)
    journal = rc.lifecycle_journal
    # a create whose answer never came: the job exists, the journal has no id
    from recops.lifecycle.job_query import build

    q = build(rc.client, "DELETE", interval=interval, action_date=DELETE_AT)
    row = journal.job_created(target=rc.target, principal=rc.client.principal, action="DELETE", query=q.wire)
    job = rc.client.recording_api.post_recording_jobs(q.body)
    # an execute whose answer never came: the PUT reached Genesys
    sb.control.advance_clock(1)
    frame = rc.reconcile_recording_jobs(settle_after=0)
    assert frame["job_id"].tolist() == [job.id] and "create: found the job" in frame["resolved"].iloc[0]
    total = rc.recording_job_status(job.id).total_recordings
    step = journal.step_intent(row, "execute", state="READY")
    body = sdk.ExecuteRecordingJobsQuery()
    body.state = "PROCESSING"
    rc.client.recording_api.put_recording_job(job.id, body)
    clear_log(sb)
    with pytest.raises(JobNotReady, match="in doubt"):
        rc.run_recording_job(job.id, confirm_count=total)
    frame = rc.reconcile_recording_jobs(settle_after=0)
    assert "execute: it was executed" in frame["resolved"].iloc[0] and frame["state"].iloc[0] == "FULFILLED"
    assert job_puts(sb, job.id) == []
    statuses = {s["id"]: s["status"] for s in journal.steps(row)}
    assert statuses[step] == "resolved-done"
    assert journal.job_row(job.id)["ended"] == "FULFILLED"


def test_real_org_refuses_without_confirm_before_any_request(tmp_path):
    rc = recops.connect(client_id="id", client_secret="secret", region="eu-west-1",
                        journal=tmp_path / "journal.sqlite")
    with pytest.raises(ConfirmationRequired):
        rc.run_recording_job("3fa85f64-5717-4562-b3fc-2c963f66afa6", confirm_count=10)
    with pytest.raises(ConfirmationRequired):
        rc.cancel_recording_job("3fa85f64-5717-4562-b3fc-2c963f66afa6")




def test_250_ids_go_in_pieces_of_100_in_one_job(sb, rc):
    from .helpers import recorded_ids

    ended = [c for c in (sb.control.conversation(cid) for cid in recorded_ids(sb, 270)) if c["ended"]]
    ids = [c["id"] for c in ended][:250]  # ended calls: a live one is not in the data lake yet
    starts = sorted(c["startTime"] for c in ended[:250])
    interval = f"{starts[0][:10]}T00:00:00.000Z/{starts[-1][:10]}T23:59:59.000Z"
    plan = rc.recording_job("ARCHIVE", ids=ids, interval=interval, action_age=400)
    clauses = plan.query["conversationQuery"]["conversationFilters"][0]["clauses"]
    assert [len(c["predicates"]) for c in clauses] == [100, 100, 50]
    assert plan.state == "READY" and plan.total_conversations == 250 and plan.notes == []
    rc.cancel_recording_job(plan.job_id)
    live = rc.recording_job("ARCHIVE", ids=[*ids[:3], Demo.ACTIVE], interval=interval, action_age=400)
    assert live.total_conversations == 3
    assert live.notes == ["1 of the 4 conversations given are not in the job: not ended, not yet in the data lake "
                          "(up to 48 h), without a recording the job covers, or outside the interval"]
