"""A 100,000-recording DELETE job rehearsed on the sandbox through the unmodified SDK (issue 19).

Against a sandbox in its own process holding a generated history (every conversation recorded once,
no ad-hoc recordings, so a conversation count is a recording count), with 500 conversations under
legal hold:

1. the baseline: an analytics details job over the same interval, read whole through the SDK: the
   independent count (its conversations) and the time every other phase is compared with;
2. ``POST /api/v2/recording/jobs`` (DELETE, actionDate tomorrow) until ``READY``: its counts must
   equal the independent count, and its skipped count the protected recordings;
3. ``PUT {"state": "PROCESSING"}`` until ``FULFILLED`` (setting ``recordingJobRecordingsPerSecond`` 0:
   the sandbox's own processing cost, not a configured pace);
4. the clock moved past the action date, then **every** recording checked against the plan through
   ``GET /api/v2/conversations/{id}/recordings`` (one request a conversation, plain HTTP on 8
   threads: the cheapest per-recording read the org's generated conversations answer; the retention
   query reads held conversations only): ``DELETED`` with the job's deleteDate, protected ones
   ``AVAILABLE`` with none.

Memory: the sandbox process's RSS before the job, at ``READY`` and after the check. Nothing is
asserted on wall clock; the exit status is 1 when a count or a recording disagrees with the plan.

``python -m benchmarks recording_job [--quick] [--conversations=N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from .common import clean_env, table, target, vm_bytes

PROTECTED = 500
MB = 1024 * 1024
PERMISSIONS = ["recording:*:*", "analytics:*:*", "conversation:communication:view"]


@contextlib.contextmanager
def _sandbox() -> Iterator[Any]:
    from recops.sandbox.process import sandbox_process

    with sandbox_process("empty", env=clean_env()) as sb:
        yield sb


def _interval(days_ago: int = 40, days: int = 30) -> str:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days_ago + days)
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    return f"{start.strftime(fmt)}/{(start + timedelta(days=days)).strftime(fmt)}"


def _details_ids(sdk: Any, api_client: Any, interval: str) -> list[str]:
    """Every conversation of ``interval`` through an analytics details job (the independent count)."""
    analytics = sdk.ConversationsApi(api_client)
    body = sdk.AsyncConversationQuery()
    body.interval = interval
    job_id = analytics.post_analytics_conversations_details_jobs(body).job_id
    while analytics.get_analytics_conversations_details_job(job_id).state != "FULFILLED":
        time.sleep(0.05)
    ids: list[str] = []
    cursor = None
    while True:
        page = analytics.get_analytics_conversations_details_job_results(job_id, cursor=cursor, page_size=1000)
        ids += [c.conversation_id for c in page.conversations or []]
        cursor = page.cursor
        if not cursor:
            return ids


def _check(url: str, token: str, ids: list[str], protected: set[str], delete_at: str) -> tuple[int, int]:
    """(recordings checked, recordings that disagree with the plan), one GET a conversation."""
    import urllib3

    http = urllib3.PoolManager(maxsize=8, retries=False)
    headers = {"Authorization": f"Bearer {token}"}

    def one(cid: str) -> tuple[int, int]:
        r = http.request("GET", f"{url}/api/v2/conversations/{cid}/recordings?formatId=NONE", headers=headers)
        recs = json.loads(r.data) if r.status == 200 else []
        bad = 0 if recs else 1
        for rec in recs:
            if cid in protected:
                bad += rec.get("fileState") != "AVAILABLE" or "deleteDate" in rec
            else:
                bad += rec.get("fileState") != "DELETED" or rec.get("deleteDate") != delete_at
        return len(recs), bad

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, ids, chunksize=256))
    return sum(n for n, _ in results), sum(b for _, b in results)


def run(n: int) -> int:
    import PureCloudPlatformClientV2 as sdk

    from recops.sandbox import SandboxClient

    with _sandbox() as sb:
        control = SandboxClient(sb.url)
        interval = _interval()
        control.settings(rateLimitPerMinute=10_000_000, analyticsJobDelaySeconds=0, analyticsJobDataLagSeconds=0,
                         recordingJobRecordingsPerSecond=0, tokenLifetimeSeconds=7 * 86_400)  # the clock moves a day
        control.seed(count=n, seed=19, interval=interval, generated=True, recordedRatio=1.0, adhocRatio=0.0)
        client = control.add_client(PERMISSIONS)
        api_client = sdk.ApiClient(host=sb.url).get_client_credentials_token(client["clientId"],
                                                                            client["clientSecret"])
        jobs = sdk.RecordingApi(api_client)

        t = time.perf_counter()
        ids = _details_ids(sdk, api_client, interval)
        details_s = time.perf_counter() - t

        protect = min(PROTECTED, len(ids) // 10)
        held = ids[:: max(1, len(ids) // max(1, protect))][:protect]
        for k in range(0, len(held), 100):
            query = sdk.ConversationDeletionProtectionQuery()
            query.conversation_ids = held[k:k + 100]
            jobs.put_recordings_deletionprotection(protect=True, body=query)
        rss0 = vm_bytes(sb.proc.pid) or 0

        now = datetime.fromisoformat(control.call("GET", "clock")["now"].replace("Z", "+00:00"))
        delete_at = (now + timedelta(days=1)).replace(microsecond=0)
        body = sdk.RecordingJobsQuery()
        body.action = "DELETE"
        body.action_date = delete_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        cq = sdk.AsyncConversationQuery()
        cq.interval = interval
        body.conversation_query = cq
        t = time.perf_counter()
        job = jobs.post_recording_jobs(body)
        create_s = time.perf_counter() - t
        control.advance_clock(control.settings()["recordingJobReadySeconds"] + 0.01)
        job = jobs.get_recording_job(job.id)
        rss_ready = vm_bytes(sb.proc.pid) or 0
        counts_ok = (job.state == "READY" and job.total_conversations == len(ids)
                     and job.total_recordings == len(ids) and job.total_skipped_recordings == len(held))

        execute = sdk.ExecuteRecordingJobsQuery()
        execute.state = "PROCESSING"
        t = time.perf_counter()
        jobs.put_recording_job(job.id, execute)
        done = jobs.get_recording_job(job.id)
        execute_s = time.perf_counter() - t
        done_ok = (done.state == "FULFILLED" and done.total_processed_recordings == len(ids)
                   and done.total_skipped_recordings == len(held) and done.total_failed_recordings == 0)

        control.advance_clock(86_400 + 1)
        t = time.perf_counter()
        checked, wrong = _check(sb.url, api_client.access_token, ids, set(held),
                                delete_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        check_s = time.perf_counter() - t
        rss_end = vm_bytes(sb.proc.pid) or 0

    base = details_s or 1e-9
    table(f"A DELETE job over {len(ids):,} recordings ({len(held)} conversations protected), sandbox in its own "
          "process",
          ["phase", "seconds", "x details job"],
          [["details job, read whole (baseline, independent count)", f"{details_s:.2f}", "1.00"],
           ["POST recording job (match + count, to READY)", f"{create_s:.2f}", f"{create_s / base:.2f}"],
           ["PUT PROCESSING to FULFILLED (every recording processed)", f"{execute_s:.2f}", f"{execute_s / base:.2f}"],
           [f"check every recording ({checked:,} GET …/recordings)", f"{check_s:.2f}", f"{check_s / base:.2f}"]],
          [f"READY counts: {job.total_conversations:,} conversations, {job.total_recordings:,} recordings, "
           f"{job.total_skipped_recordings} skipped; independent count {len(ids):,}, protected {len(held)}: "
           f"{'equal' if counts_ok else 'DIFFERENT'}",
           f"FULFILLED: processed {done.total_processed_recordings:,}, skipped {done.total_skipped_recordings}, "
           f"failed {done.total_failed_recordings}; recordings disagreeing with the plan: {wrong}",
           f"sandbox RSS: {rss0 / MB:.0f} MB before the job, +{(rss_ready - rss0) / MB:.1f} MB at READY "
           f"({(rss_ready - rss0) / max(1, len(ids)):.0f} B a recording), {rss_end / MB:.0f} MB after the check"])
    ok = counts_ok and done_ok and wrong == 0 and checked == len(ids)
    target("recording job: READY counts exact, every recording as planned", "yes" if ok else "no",
           "yes", ok, f"{len(ids):,} recordings")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks recording_job", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 recordings instead of 100,000")
    parser.add_argument("--conversations", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.conversations or (5_000 if args.quick else 100_000)
    return run(n)
