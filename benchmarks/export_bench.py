"""Recording export (``rc.export``): 1,000 recordings out of a sandbox with its real per-token limit.

Two figures, each a ratio within this run, against a sandbox in its own process:

1. recops's export vs the bound the rate limit and the batch size set: the batches' completion
   delay, the rate limit's own wait for the API requests the batches need at the least (one
   submission and one poll per batch of 100; 300 a minute admits them at once), and the same
   downloads fetched with nothing else to do (the same result URLs, the same concurrency, each
   streamed through SHA-256 to a temporary file, fsynced and renamed); target <= 1.2x;
2. recops vs the tutorial's approach on the same data, in the same run: per conversation its
   recording metadata, per recording one batch request of one item polled every 5 s until
   ``resultCount == expectedResultCount``, then the download (the Genesys developer-center
   ``recordings-downloader`` sample, fired concurrently as its JavaScript does; the SDK's own
   ``Retry-After`` retries carry it through 429s, which the sample does not handle itself);
   target >= 50x.

It also runs the kill/resume reliability test at a larger size than CI does
(``tests/core/test_export_kill.py``), unless ``--no-kill``.

``python -m benchmarks export [--quick] [--recordings=N] [--no-tutorial] [--no-kill]``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import hashlib
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import clean_env, table, target

LIMIT = 300  # requests per minute per token: the sandbox's default, Genesys's documented one
BATCH_DELAY = 1.0  # seconds: the sandbox's configured batch completion delay for this run
MEDIA_SECONDS = 10  # each served WAV is at most 10 s long (80 KB): the benchmark measures the pipeline
BATCH_SIZE = 100  # the documented maximum of a batch request
TUTORIAL_POLL = 5.0  # seconds: the sample polls every 5 s
TUTORIAL_WORKERS = 16  # its JavaScript fires every request at once; 16 threads keep the machine usable
CONCURRENCY = 4  # recops's default download concurrency
CLIENT = ("sandbox-supervisor", "sandbox-supervisor-secret")


@contextlib.contextmanager
def _sandbox() -> Iterator[Any]:
    from recops.sandbox import SandboxClient
    from recops.sandbox.process import sandbox_process

    with sandbox_process("empty", env=clean_env()) as sb:
        control = SandboxClient(sb.url)
        control.settings(rateLimitPerMinute=LIMIT, batchDownloadDelaySeconds=BATCH_DELAY,
                         mediaMaxSeconds=MEDIA_SECONDS)
        yield sb.url, control


def _frame(session: Any, control: Any, n: int) -> Any:
    """``n`` ended conversations with one recording each, listed as an analyst lists them:
    ``rc.interval(..., recorded=True)`` over the days they were seeded in."""
    from datetime import datetime, timedelta, timezone

    control.seed(count=n, seed=5, recordedRatio=1.0, adhocRatio=0.0)
    now = datetime.now(timezone.utc)
    interval = f"{(now - timedelta(days=8)).isoformat()}/{now.isoformat()}".replace("+00:00", "Z")
    frame = session.interval(interval, recorded=True, progress=False)
    assert len(frame) == n, f"seeded {n} recorded conversations, the interval lists {len(frame)}"
    return frame


def _session(url: str) -> Any:
    import recops

    home = Path(tempfile.mkdtemp(prefix="recops-export-bench-"))
    return recops.connect(sandbox_url=url, client_id=CLIENT[0], client_secret=CLIENT[1],
                          journal=home / "journal.sqlite", cache_dir=str(home / "cache"))


def _api_log(control: Any) -> list[dict[str, Any]]:
    return [e for e in control.requests(limit=1_000_000) if e["path"].startswith("/api/v2/")]


def _wait_for_fresh_budget() -> None:
    """Let the token's minute run out, so each measured part starts with the whole budget."""
    time.sleep(61.0)


# --- the downloads alone, as the bound's last term ---------------------------------------------------


def _result_urls(session: Any, conversation_ids: list[str]) -> list[str]:
    """Fresh result URLs for ``conversation_ids`` (batches of 100, submitted and awaited)."""
    from recops.export import batches

    client = session.client
    urls: list[str] = []
    jobs = [batches.submit(client, [batches.Item(cid) for cid in conversation_ids[i:i + BATCH_SIZE]])
            for i in range(0, len(conversation_ids), BATCH_SIZE)]
    for job in jobs:
        while True:
            st = batches.status(client, job)
            if st.done:
                urls += [r.url for r in st.results if r.url]
                break
            time.sleep(0.5)
    return urls


def _bare_downloads(urls: list[str], dest: Path, concurrency: int) -> float:
    """The same files fetched with nothing else to do, as durably as recops stores them: GET,
    SHA-256 while streaming into a temporary file in the file's own folder, fsync, rename, fsync
    the folder. Seconds for all of them at ``concurrency``."""
    import urllib3

    pool = urllib3.PoolManager(maxsize=concurrency)

    def fetch(i_url: tuple[int, str]) -> None:
        i, url = i_url
        folder = dest / f"c{i}"
        folder.mkdir(parents=True, exist_ok=True)
        r = pool.request("GET", url, preload_content=False, timeout=urllib3.Timeout(connect=5, read=30))
        digest = hashlib.sha256()
        part = folder / f".{i}.wav.part"
        with open(part, "wb") as f:
            for chunk in r.stream(65536):
                digest.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        r.release_conn()
        assert r.status == 200, r.status
        os.replace(part, folder / f"{i}.wav")
        fd = os.open(folder, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)

    t = time.perf_counter()
    with cf.ThreadPoolExecutor(concurrency) as ex:
        list(ex.map(fetch, enumerate(urls)))
    return time.perf_counter() - t


# --- the tutorial's approach ------------------------------------------------------------------------


def _tutorial(url: str, conversation_ids: list[str], dest: Path) -> tuple[float, int]:
    """The sample's approach through the plain SDK (no recops): metadata per conversation, one
    batch request per recording polled every 5 s, then the download. Seconds and files."""
    import PureCloudPlatformClientV2 as sdk
    import urllib3

    api = sdk.ApiClient(host=url)
    api.get_client_credentials_token(*CLIENT)
    recording_api = sdk.RecordingApi(api)
    pool = urllib3.PoolManager(maxsize=TUTORIAL_WORKERS)
    dest.mkdir(parents=True, exist_ok=True)
    done = 0
    lock = threading.Lock()

    def one_conversation(cid: str) -> None:
        nonlocal done
        for meta in recording_api.get_conversation_recordingmetadata(cid):
            body = sdk.BatchDownloadJobSubmission()
            body.batch_download_request_list = [sdk.BatchDownloadRequest()]
            body.batch_download_request_list[0].conversation_id = meta.conversation_id
            body.batch_download_request_list[0].recording_id = meta.id
            job = recording_api.post_recording_batchrequests(body)
            while True:
                st = recording_api.get_recording_batchrequest(job.id)
                if st.expected_result_count == st.result_count:
                    break
                time.sleep(TUTORIAL_POLL)
            result = st.results[0]
            ext = (result.content_type or "audio/wav").split("/")[-1]
            r = pool.request("GET", result.result_url, timeout=urllib3.Timeout(connect=5, read=30))
            (dest / f"{cid}_{meta.id}.{ext}").write_bytes(r.data)
            with lock:
                done += 1

    t = time.perf_counter()
    with cf.ThreadPoolExecutor(TUTORIAL_WORKERS) as ex:
        for future in [ex.submit(one_conversation, cid) for cid in conversation_ids]:
            future.result()
    return time.perf_counter() - t, done


# --- the benchmark ------------------------------------------------------------------------------------


def bench_export(n: int, tutorial: bool) -> None:
    with _sandbox() as (url, control):
        session = _session(url)
        frame = _frame(session, control, n)
        ids = list(frame["conversation_id"])
        work = Path(tempfile.mkdtemp(prefix="recops-export-bench-"))
        bare_s = _bare_downloads(_result_urls(session, ids), work / "bare", CONCURRENCY)
        _wait_for_fresh_budget()

        control.call("DELETE", "requests")
        t = time.perf_counter()
        result = session.export(frame, work / "recops", progress=False)
        recops_s = time.perf_counter() - t
        api = _api_log(control)
        assert result.counts.get("exported") == n, result.counts

        batches_needed = math.ceil(n / BATCH_SIZE)
        least_requests = 2 * batches_needed  # one submission and one poll per batch
        rate_wait = 60.0 * ((least_requests - 1) // LIMIT)
        bound = BATCH_DELAY + rate_wait + bare_s
        rows = [
            [f"the downloads alone ({CONCURRENCY} at a time: GET, SHA-256, fsync, rename)", n, f"{bare_s:.2f} s", "-"],
            [f"bound: batch delay + rate-limit wait ({least_requests} requests at {LIMIT}/min) + downloads", n,
             f"{bound:.2f} s", "1.00"],
            [f"recops: rc.export ({len(api)} API requests)", n, f"{recops_s:.2f} s", f"{recops_s / bound:.2f}"],
        ]
        tutorial_s = None
        if tutorial:
            _wait_for_fresh_budget()
            control.call("DELETE", "requests")
            tutorial_s, files = _tutorial(url, ids, work / "tutorial")
            assert files == n, files
            requests = len(_api_log(control))
            rows.append([f"the tutorial's approach ({requests} API requests)", files, f"{tutorial_s:.1f} s",
                         f"{tutorial_s / bound:.2f}"])
        table(f"Exporting {n} recordings (rate limit {LIMIT}/min per token, batch delay {BATCH_DELAY} s, "
              f"WAVs of at most {MEDIA_SECONDS} s)", ["case", "recordings", "time", "ratio to bound"], rows)
        target(f"export {n} recordings vs the rate-limit/batch bound", f"{recops_s / bound:.2f}x", "<= 1.2x",
               recops_s / bound <= 1.2, f"{recops_s:.1f} s vs {bound:.1f} s")
        if tutorial_s is not None:
            target(f"export {n} recordings: the tutorial's approach / recops", f"{tutorial_s / recops_s:.0f}x",
                   ">= 50x", tutorial_s / recops_s >= 50, f"{tutorial_s:.0f} s vs {recops_s:.1f} s")


def bench_kill(recordings: int, kills: int) -> None:
    """The reliability test of tests/core/test_export_kill.py at a larger size."""
    env = clean_env(EXPORT_KILL_RECORDINGS=str(recordings), EXPORT_KILLS=str(kills))
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-s",
                        "tests/core/test_export_kill.py"], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    lines = [line for line in r.stdout.splitlines() if "kill" in line.lower() or "passed" in line or "failed" in line]
    table(f"kill -9 and resume: {recordings} recordings, {kills} kills", ["line"], [[line] for line in lines[-8:]])
    target(f"kill -9 x{kills} then resume, {recordings} recordings", "passed" if r.returncode == 0 else "FAILED",
           "every recording once, hashes match, no temp files, nothing fetched twice", r.returncode == 0,
           f"{seconds:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks export", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 recordings, a shorter kill run")
    parser.add_argument("--recordings", type=int, default=None, help="recordings to export (1,000)")
    parser.add_argument("--no-tutorial", action="store_true", help="skip the tutorial's approach (~10 min at 1,000)")
    parser.add_argument("--no-kill", action="store_true", help="skip the kill/resume run")
    args = parser.parse_args(argv)
    n = args.recordings or (200 if args.quick else 1000)
    bench_export(n, tutorial=not args.no_tutorial)
    if not args.no_kill:
        bench_kill(200 if args.quick else 400, 10 if args.quick else 25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
