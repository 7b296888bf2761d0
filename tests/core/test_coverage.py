"""Coverage (issue 19): every conversation of an interval with the reason it has no usable recording,
through the real SDK against the sandbox: the demo's seeded causes, a generated week's ratios, finished
days never fetched again (the sandbox's request log), and an orphan re-attached from the table
(journaled) showing in the next coverage."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from .ops_helpers import api_log, clear_log, connect, iso

ORPHANED = "c0a80001-0000-4000-8000-000000000011"
CAUSES = {ORPHANED: "orphaned", "c0a80001-0000-4000-8000-000000000012": "transcoding",
          "c0a80001-0000-4000-8000-000000000013": "archived", "c0a80001-0000-4000-8000-000000000014": "deleted",
          "c0a80001-0000-4000-8000-000000000015": "not recorded"}
STRAYS = {"0a7f0000-0000-4000-8000-000000000002", "0a7f0000-0000-4000-8000-000000000003"}
LIFECYCLE = re.compile(r"^/api/v2/(recordings/retention/query|orphanrecordings|conversations/[^/]+/recordings"
                       r"|recordings/deletionprotection)")


@pytest.fixture
def rc(sb, tmp_path):
    return connect(sb, None, tmp_path / "j.sqlite")  # the demo supervisor, as the CLI picks it


def recent() -> tuple[datetime, datetime]:
    now = datetime.now(timezone.utc)
    return now - timedelta(hours=6), now + timedelta(minutes=1)


def lifecycle_requests(sb: Any) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in api_log(sb) if LIFECYCLE.match(r["path"])]


def week() -> tuple[datetime, datetime]:
    end = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    return end - timedelta(days=7), end


def test_coverage_of_the_demo_finds_each_seeded_cause(sb, rc):
    cov = rc.coverage(recent(), progress=False)
    by_id = cov.frame.set_index("conversation_id")
    for cid, reason in CAUSES.items():
        assert by_id.loc[cid, "reason"] == reason, (cid, by_id.loc[cid].to_dict())
        assert not by_id.loc[cid, "usable"]
    assert by_id.loc[ORPHANED, "orphan_id"] == "0a7f0000-0000-4000-8000-000000000001"
    assert by_id.loc["c0a80001-0000-4000-8000-000000000014", "deletion_date"] is not None
    assert by_id.loc["c0a80001-0000-4000-8000-000000000006", "usable"]  # the demo's ended, available one
    assert by_id.loc["c0a80001-0000-4000-8000-000000000001", "reason"] == "in progress"
    assert set(cov.orphans["orphan_id"]) == STRAYS
    summary = cov.summary
    for reason in ("orphaned", "transcoding", "archived", "deleted", "not recorded"):
        assert summary[reason] >= 1
    assert summary["orphans without a conversation"] == 2
    assert "orphaned" in repr(cov) and "archived" in cov._repr_html_()


def test_coverage_of_a_generated_week_finds_the_ratios(sb, rc):
    sb.control.settings(rateLimitPerMinute=1_000_000)
    start, end = week()
    sb.control.seed(generated=True, count=3500, seed=21, interval=f"{iso(start)}/{iso(end)}", recordedRatio=0.8,
                    adhocRatio=0, archivedRatio=0.1, deletedRatio=0.05, transcodingRatio=0.05,
                    orphanedRatio=0.05, strayOrphanRatio=0.004)
    cov = rc.coverage((start, end), progress=False)
    frame = cov.frame
    seeded = frame[frame["conversation_id"].str.endswith(tuple(f"{i:012x}" for i in range(3500)))]
    n = len(seeded)
    assert n >= 3500
    share = seeded["reason"].value_counts(dropna=False) / n
    recorded = 0.8 * (1 - 0.05)  # one in 20 recorded conversations is orphaned
    assert abs(share.get("not recorded", 0) - 0.2) < 0.03, share
    assert abs(share.get("orphaned", 0) - 0.8 * 0.05) < 0.015, share
    assert abs(share.get("archived", 0) - recorded * 0.1) < 0.025, share
    assert abs(share.get("deleted", 0) - recorded * 0.05) < 0.02, share
    assert abs(share.get("transcoding", 0) - recorded * 0.05) < 0.02, share
    assert abs(len(cov.orphans) - 14) <= 1  # round(0.004 x 3500) strays, spread over the week


def test_finished_days_are_not_fetched_again_and_answer_sql(sb, rc):
    sb.control.settings(rateLimitPerMinute=1_000_000)
    start, end = week()
    seeded = sb.control.seed(generated=True, count=700, seed=22, interval=f"{iso(start)}/{iso(end)}",
                             deletedRatio=0.05, orphanedRatio=0.05, strayOrphanRatio=0.01)
    first = rc.coverage((start, end), progress=False)
    assert first.plan.to_fetch == len(first.frame) and first.requests > 0
    assert lifecycle_requests(sb)
    clear_log(sb)
    again = rc.coverage((start, end), progress=False)
    assert again.plan.to_fetch == 0 and again.requests == 0
    assert lifecycle_requests(sb) == []  # nothing at all: every day came from the cache
    assert again.summary == first.summary
    assert set(again.orphans["orphan_id"]) == set(first.orphans["orphan_id"])
    queue = seeded["queueIds"][0]
    one_queue = rc.coverage((start, end), queue=queue, progress=False)  # from the cache too
    assert 0 < len(one_queue.frame) < len(first.frame) and one_queue.requests == 0
    assert all(queue in ids.split(",") for ids in one_queue.frame["queue_ids"])
    assert len(one_queue.frame) == sum(queue in str(ids).split(",") for ids in first.frame["queue_ids"])
    by_reason = rc.store.sql("select reason, count(*) as n from coverage group by reason")
    counts = dict(zip(by_reason["reason"].fillna("usable"), by_reason["n"], strict=True))
    assert counts["deleted"] == first.summary["deleted"]
    assert rc.store.sql("select count(*) as n from orphans where not matched")["n"][0] == len(first.orphans)
    # refresh fetches again
    clear_log(sb)
    assert rc.coverage((start, end), progress=False, refresh=True).plan.to_fetch == len(first.frame)
    assert lifecycle_requests(sb)


def test_reattach_from_the_table_is_journaled_and_coverage_then_shows_the_recording(sb, rc):
    cov = rc.coverage(recent(), progress=False)
    row = cov.frame[cov.frame["reason"] == "orphaned"].iloc[0]
    dry = rc.reattach_orphan(row["orphan_id"], dry_run=True)
    assert dry.dry_run and dry.conversation_id == row["conversation_id"]
    assert rc.journal.entries() == []
    done = rc.reattach_orphan(row["orphan_id"])
    assert done.conversation_id == row["conversation_id"] and done.recording_id
    entries = rc.journal.entries()
    assert [(e.action, e.status, e.conversation_id) for e in entries] == \
        [("reattach_orphan", "applied", row["conversation_id"])]
    after = rc.coverage(recent(), progress=False).frame.set_index("conversation_id")
    assert after.loc[row["conversation_id"], "usable"]
    assert after.loc[row["conversation_id"], "recording_ids"] == done.recording_id
    assert row["orphan_id"] not in set(rc.orphans()["orphan_id"])


def test_a_deletion_the_journal_s_delete_job_covers_reads_deleted_by_a_recops_job(sb, rc, tmp_path):
    """The lifecycle journal's ``recording_jobs`` table (engineer L's schema, in the journal's SQLite
    file): an executed DELETE job of this target naming the conversation makes its reason
    "deleted by a recops job"; a job of another target, or one never executed, does not."""
    import json
    import sqlite3

    deleted = "c0a80001-0000-4000-8000-000000000014"
    rc.journal.entries()  # the journal file exists
    start, end = recent()
    query = {"action": "DELETE", "actionAge": 0, "conversationQuery": {
        "interval": f"{iso(start)}/{iso(end)}",
        "conversationFilters": [{"type": "or", "clauses": [{"type": "or", "predicates": [
            {"type": "dimension", "dimension": "conversationId", "operator": "matches", "value": deleted}]}]}]}}
    db = sqlite3.connect(rc.journal.path)
    db.execute("CREATE TABLE IF NOT EXISTS recording_jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT UNIQUE,"
               " created_at TEXT NOT NULL, target TEXT NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL,"
               " query TEXT NOT NULL, state TEXT, total_conversations INTEGER, total_recordings INTEGER,"
               " confirmed_count INTEGER, ended TEXT, message TEXT)")
    for job_id, target, state in (("job-other-target", "REAL ORG elsewhere", "FULFILLED"),
                                  ("job-not-run", rc.client.describe(), "READY")):
        db.execute("INSERT INTO recording_jobs (job_id, created_at, target, principal, action, query, state)"
                   " VALUES (?,?,?,?,?,?,?)", (job_id, iso(start), target, "p", "DELETE", json.dumps(query), state))
    db.commit()
    assert rc.coverage(recent(), progress=False).frame.set_index("conversation_id").loc[deleted, "reason"] == "deleted"
    db.execute("INSERT INTO recording_jobs (job_id, created_at, target, principal, action, query, state)"
               " VALUES (?,?,?,?,?,?,?)", ("job-ours", iso(start), rc.client.describe(), "p", "DELETE",
                                           json.dumps(query), "FULFILLED"))
    db.commit()
    db.close()
    row = rc.coverage(recent(), progress=False).frame.set_index("conversation_id").loc[deleted]
    assert row["reason"] == "deleted by a recops job" and "job-ours" in row["detail"]
