"""The history path through the asynchronous analytics jobs: the real SDK against the sandbox's
jobs endpoints. Same rows and columns as the details query; failed and expired jobs; the
cursor's last page; a crash mid-way that resumes without asking for a complete day again (seen
in the sandbox's request log); Ctrl-C deleting the running jobs."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

import recops
from recops import JobFailed
from recops.history.tables import INTERVAL_COLUMNS

from .ops_helpers import all_conversations, clear_log, connect, iso, sandbox_now, started_in, utc_midnight

JOBS = "/api/v2/analytics/conversations/details/jobs"
QUERY = "/api/v2/analytics/conversations/details/query"
ANALYTICS = ["analytics:conversationDetail:view"]


def log(sb, method: str, kind: str) -> list[dict]:
    """The request log's job requests of one kind: create, status, results, delete."""
    out = []
    for r in sb.control.requests(path=JOBS):
        rest = r["path"][len(JOBS):]
        what = ("create" if rest == "" else "availability" if rest == "/availability"
                else "results" if rest.endswith("/results") else "status" if r["method"] == "GET" else "delete")
        if r["method"] == method and what == kind:
            out.append(r)
    return out


def history_org(sb, tmp_path, org: str, days: int, per_day: int, ago: int, **settings):
    client = sb.control.add_client(ANALYTICS, org=org)
    first = utc_midnight(sandbox_now(sb)) - timedelta(days=ago + days)
    interval = f"{iso(first)}/{iso(first + timedelta(days=days))}"
    seeded = sb.control.seed(org=org, count=days * per_day, seed=13, interval=interval)
    assert seeded["created"] == days * per_day
    sb.control.settings(rateLimitPerMinute=100_000, analyticsJobDelaySeconds=0.3, **settings)
    rc = connect(sb, (client["clientId"], client["clientSecret"]), tmp_path / "j.sqlite")
    return rc, first, interval


def truth_ids(sb, org: str, start, end) -> set[str]:
    return {c["id"] for c in started_in(all_conversations(sb, org=org), start, end)}


def test_jobs_and_the_query_give_the_same_rows_and_columns(sb, tmp_path):
    rc, first, interval = history_org(sb, tmp_path, "jobs-same", days=3, per_day=60, ago=5)
    clear_log(sb)
    by_jobs = rc.interval(interval, via="jobs", progress=False)
    assert len(log(sb, "POST", "create")) == 3 and len(log(sb, "DELETE", "delete")) == 3
    assert [r for r in sb.control.requests(path=QUERY)] == []
    rc.store.clear()
    clear_log(sb)
    by_query = rc.interval(interval, via="query", progress=False)
    assert log(sb, "POST", "create") == []
    assert {c: str(t) for c, t in by_jobs.dtypes.items()} == INTERVAL_COLUMNS
    pd.testing.assert_frame_equal(by_jobs, by_query)
    assert set(by_jobs["conversation_id"]) == truth_ids(sb, "jobs-same", first, first + timedelta(days=3))


def test_auto_reads_old_history_through_jobs(sb, tmp_path):
    rc, first, interval = history_org(sb, tmp_path, "jobs-auto", days=2, per_day=30, ago=40)
    clear_log(sb)
    events: list[recops.HistoryProgress] = []
    frame = rc.interval(interval, progress=False, on_progress=events.append)
    assert [e.via for e in events] == ["jobs", "jobs"]
    assert [r for r in sb.control.requests(path=QUERY)] == []
    assert set(frame["conversation_id"]) == truth_ids(sb, "jobs-auto", first, first + timedelta(days=2))


def test_the_cursor_is_followed_to_the_last_page_and_no_further(sb, tmp_path):
    rc, first, interval = history_org(sb, tmp_path, "jobs-cursor", days=1, per_day=95, ago=10)
    clear_log(sb)
    from recops.history.reader import read_history

    read = read_history(rc.client, interval, via="jobs", progress=False, page_size=10)
    frame = read.table()
    want = truth_ids(sb, "jobs-cursor", first, first + timedelta(days=1))
    assert set(frame["conversation_id"].to_pylist()) == want and len(frame) == len(want)
    results = log(sb, "GET", "results")
    # every conversation the job holds (those active in the day, a few started the day before
    # included) comes in pages of 10; the last page carries no cursor and ends the reading
    assert len(want) // 10 + 1 <= len(results) <= len(want) // 10 + 3
    assert all(r["status"] == 200 for r in results)


def test_a_crash_mid_way_resumes_without_asking_for_a_complete_day_again(sb, tmp_path):
    rc, first, interval = history_org(sb, tmp_path, "jobs-crash", days=5, per_day=40, ago=40)

    class Crash(Exception):
        pass

    def crash_after_two(p: recops.HistoryProgress) -> None:
        if p.done == 2:
            raise Crash

    clear_log(sb)
    with pytest.raises(Crash):
        rc.interval(interval, via="jobs", progress=False, on_progress=crash_after_two, concurrency=1)
    created = log(sb, "POST", "create")
    assert len(created) == 5  # every day's job was submitted at once ...
    assert len(log(sb, "DELETE", "delete")) == 5  # ... and each deleted: read, or cancelled by the crash
    complete = len(rc.store.days())
    assert complete == 2  # the worker reading the third day stopped at its next page or poll

    clear_log(sb)
    frame = rc.interval(interval, via="jobs", progress=False)
    assert len(log(sb, "POST", "create")) == 5 - complete  # only the days not complete
    assert set(frame["conversation_id"]) == truth_ids(sb, "jobs-crash", first, first + timedelta(days=5))
    assert frame["conversation_id"].is_unique and len(rc.store.days()) == 5


def test_ctrl_c_deletes_the_running_jobs_and_keeps_the_store_consistent(sb, tmp_path):
    rc, _, interval = history_org(sb, tmp_path, "jobs-interrupt", days=3, per_day=20, ago=40)

    def interrupt(p: recops.HistoryProgress) -> None:
        raise KeyboardInterrupt

    clear_log(sb)
    with pytest.raises(KeyboardInterrupt):
        rc.interval(interval, via="jobs", progress=False, on_progress=interrupt, concurrency=1)
    assert len(log(sb, "DELETE", "delete")) == len(log(sb, "POST", "create")) == 3  # read, or cancelled
    assert len(rc.store.days()) == 1
    assert not list((rc.store.path / ".tmp").glob("*"))


def test_an_expired_job_names_the_job_and_says_to_re_run(sb, tmp_path):
    rc, _, interval = history_org(sb, tmp_path, "jobs-expired", days=2, per_day=20, ago=40,
                                  analyticsJobExpirySeconds=0)  # expired the moment it completes
    clear_log(sb)
    with pytest.raises(JobFailed) as info:
        rc.interval(interval, via="jobs", progress=False)
    created = {r["path"].rsplit("/", 1)[-1] for r in log(sb, "DELETE", "delete")}
    assert info.value.state == "EXPIRED" and info.value.job_id in created
    assert info.value.job_id in str(info.value) and "re-run" in info.value.remedy
    assert len(created) == len(log(sb, "POST", "create")) == 2  # both deleted, none left running
    assert rc.store.days() == [] and log(sb, "GET", "results") == []


def test_a_failed_job_names_the_job_and_keeps_the_days_before_it(sb, tmp_path):
    rc, first, interval = history_org(sb, tmp_path, "jobs-failed", days=3, per_day=20, ago=40)

    def fail_the_second_job(p: recops.HistoryProgress) -> None:
        jobs = sorted(sb.control.call("GET", "analytics/jobs", org="jobs-failed"), key=lambda j: j["submissionDate"])
        live = [j for j in jobs if j["state"] in ("QUEUED", "PENDING", "FULFILLED")]
        if p.done == 1:
            sb.control.call("PATCH", f"analytics/jobs/{live[0]['jobId']}",
                            {"state": "FAILED", "errorMessage": "the query failed in the data lake"})

    clear_log(sb)
    with pytest.raises(JobFailed) as info:
        rc.interval(interval, via="jobs", progress=False, on_progress=fail_the_second_job, concurrency=1)
    assert info.value.state == "FAILED" and "the query failed in the data lake" in str(info.value)
    assert info.value.job_id in str(info.value) and "re-run" in info.value.remedy
    assert [d.isoformat() for d in rc.store.days()] == [first.date().isoformat()]
    clear_log(sb)
    frame = rc.interval(interval, via="jobs", progress=False)  # re-run: resumes
    assert len(log(sb, "POST", "create")) == 2
    assert set(frame["conversation_id"]) == truth_ids(sb, "jobs-failed", first, first + timedelta(days=3))


def test_a_job_that_expires_while_its_pages_are_read_is_a_clear_error(sb, tmp_path):
    rc, _, interval = history_org(sb, tmp_path, "jobs-expiring", days=1, per_day=60, ago=40)
    clear_log(sb)
    expired: list[str] = []

    def expire_after_two_pages() -> bool:  # asked before every page: end the job after the second
        if not expired and len(log(sb, "GET", "results")) == 2:
            job = sb.control.call("GET", "analytics/jobs", org="jobs-expiring")[0]["jobId"]
            sb.control.call("PATCH", f"analytics/jobs/{job}", {"state": "EXPIRED"})
            expired.append(job)
        return False

    with pytest.raises(JobFailed) as info:
        rc.interval(interval, via="jobs", progress=False, page_size=10, cancel=expire_after_two_pages)
    assert expired and info.value.job_id == expired[0] and info.value.state == "EXPIRED"
    assert "re-run" in info.value.remedy
    assert rc.store.days() == [] and not list((rc.store.path / ".tmp").glob("*"))


def test_recops_table_via_jobs_and_a_bad_via(sb, tmp_path):
    import json

    from typer.testing import CliRunner

    from recops.cli.commands import app

    rc, first, interval = history_org(sb, tmp_path, "jobs-cli-data", days=2, per_day=15, ago=40)
    creds = rc.client.credentials
    env = {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite"),
           "RECOPS_CLIENT_ID": creds.client_id, "RECOPS_CLIENT_SECRET": creds.client_secret.get(),
           "RECOPS_CACHE_DIR": str(tmp_path / "cli-cache")}
    clear_log(sb)
    result = CliRunner().invoke(app, ["table", "--interval", interval, "--via", "jobs", "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["conversation_id"] for r in rows} == truth_ids(sb, "jobs-cli-data", first, first + timedelta(days=2))
    assert len(log(sb, "POST", "create")) == 2
    clear_log(sb)
    bad = CliRunner().invoke(app, ["table", "--interval", interval, "--via", "fast"], env=env)
    assert bad.exit_code != 0 and "via" in bad.output
    assert [r for r in sb.control.requests() if r["path"].startswith("/api/")] == []


def test_recops_table_exits_4_naming_the_job_when_its_analytics_job_ended_without_results(sb, tmp_path):
    import json

    from typer.testing import CliRunner

    from recops.cli.commands import app

    rc, _, interval = history_org(sb, tmp_path, "jobs-cli-expired", days=1, per_day=10, ago=40,
                                  analyticsJobExpirySeconds=0)  # expired the moment it completes
    creds = rc.client.credentials
    env = {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite"),
           "RECOPS_CLIENT_ID": creds.client_id, "RECOPS_CLIENT_SECRET": creds.client_secret.get(),
           "RECOPS_CACHE_DIR": str(tmp_path / "cli-cache")}
    clear_log(sb)
    result = CliRunner().invoke(app, ["table", "--interval", interval, "--via", "jobs", "--json"], env=env)
    assert result.exit_code == 4, result.output
    error = json.loads(result.stdout)["error"]
    deleted = [r["path"].rsplit("/", 1)[-1] for r in log(sb, "DELETE", "delete")]
    assert error["type"] == "JobFailed" and "expired" in error["message"] and "re-run" in error["remedy"]
    assert len(deleted) == len(log(sb, "POST", "create")) == 1 and deleted[0] in error["message"]
    human = CliRunner().invoke(app, ["table", "--interval", interval, "--via", "jobs"], env=env)
    assert human.exit_code == 4 and "analytics details job" in human.stderr and "expired" in human.stderr
