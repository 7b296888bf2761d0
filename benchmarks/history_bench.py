"""The analyst's history path (``rc.interval`` through the analytics jobs, into the Parquet cache).

Three figures, each a ratio within this run, against a sandbox in its own process:

1. a month of conversations read through the jobs path, with the sandbox's per-token rate limit on:
   total time vs the bound set by the job's own result paging (pages x one result page's latency,
   plus the job's configured completion delay); target <= 1.2x;
2. peak RSS above the interpreter's baseline while streaming conversations to Parquet
   (target <= 300 MB), and a 100,000-row table's pandas ``memory_usage(deep=True)`` (<= 100 MB);
3. re-reading the cached month vs fetching it (target <= 0.05x).

``python -m benchmarks history [--quick] [--conversations=N] [--stream=N] [--only=month|memory]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .common import clean_env, table, target

DAYS = 30
LIMIT = 300  # requests per minute per token: the sandbox's default, Genesys's documented one
JOB_DELAY = 2.0  # seconds: the sandbox's configured job completion delay for this run
PAGE_SIZE = 1000
MB = 1024 * 1024


@contextlib.contextmanager
def _sandbox_process() -> Iterator[str]:
    from recops.sandbox.process import sandbox_process

    with sandbox_process("empty", env=clean_env()) as sb:
        yield sb.url


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """The highest RSS of this process while the block runs (sampled every 5 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRss:
        self.baseline = _rss()
        self.peak = self.baseline
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def above(self) -> int:
        return self.peak - self.baseline


def _month(days_ago: int = 40) -> tuple[datetime, datetime, str]:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days_ago + DAYS)
    end = start + timedelta(days=DAYS)
    return start, end, f"{start.isoformat()}/{end.isoformat()}".replace("+00:00", "Z")


def _session(url: str, cache: Path):
    import recops

    return recops.connect(sandbox_url=url, client_id="sandbox-supervisor", client_secret="sandbox-supervisor-secret",
                          journal=Path(tempfile.mkdtemp()) / "j.sqlite", cache_dir=str(cache))


def _result_page_latency(session, start: datetime, pages: int = 5) -> float:
    """The median time of one result page (pageSize 1000) of a fulfilled one-day job."""
    from recops.history import jobs

    client = session.client
    job = jobs.submit(client, start, start + timedelta(days=1), [])
    jobs.wait(client, job)
    times = []
    for _ in range(pages):  # the first page again and again: the same work as any full page
        t = time.perf_counter()
        next(iter(jobs.raw_pages(client, job, page_size=PAGE_SIZE)))  # read as recops reads every page
        times.append(time.perf_counter() - t)
    jobs.delete(client, job)
    return statistics.median(times)


def bench_jobs_month(n: int) -> None:
    from recops.sandbox import SandboxClient

    with _sandbox_process() as url:
        control = SandboxClient(url)
        start, _, interval = _month()
        control.settings(rateLimitPerMinute=LIMIT, analyticsJobDelaySeconds=JOB_DELAY)
        seeded = control.seed(count=n, seed=7, interval=interval, generated=True)
        cache = Path(tempfile.mkdtemp(prefix="recops-history-bench-"))
        session = _session(url, cache)
        session.client.api_client  # noqa: B018 - log in outside the timed part
        page = _result_page_latency(session, start)
        control.call("DELETE", "requests")
        t = time.perf_counter()
        frame = session.interval(interval, via="jobs", progress=False)
        fetch_s = time.perf_counter() - t
        log = [e for e in control.requests(limit=1_000_000) if e["path"].startswith("/api/v2/")]
        pages = sum(1 for e in log if e["path"].endswith("/results"))  # the job's own result pages
        bound = pages * page + JOB_DELAY
        # the limit admits LIMIT requests per minute: N requests wait for (N - 1) // LIMIT resets at least
        floor = 60.0 * ((len(log) - 1) // LIMIT) + JOB_DELAY
        best = max(bound, floor)
        t = time.perf_counter()
        again = session.interval(interval, progress=False)
        reread_s = time.perf_counter() - t
        assert len(again) == len(frame)
        rows = [
            ["one result page (pageSize 1000)", 1, f"{page * 1000:.1f} ms", "-"],
            ["bound: pages x page + job delay", pages, f"{bound:.2f} s", "1.00"],
            [f"floor of the rate limit: {len(log)} requests at {LIMIT}/min", len(log), f"{floor:.2f} s",
             f"{floor / bound:.2f}"],
            [f"recops: {DAYS} days via jobs", len(frame), f"{fetch_s:.2f} s", f"{fetch_s / bound:.2f}"],
            ["re-read of the cached month", len(again), f"{reread_s:.3f} s", f"{reread_s / fetch_s:.3f} (of fetch)"],
        ]
        table(f"{len(frame)} conversations over {DAYS} days through the analytics jobs "
              f"(seeded {seeded.get('created', n)}; rate limit 300/min per token, job delay {JOB_DELAY} s, "
              f"{len(log)} API requests)", ["case", "rows/pages", "time", "ratio"], rows)
        target(f"{len(frame)} conversations / {DAYS} days via jobs vs paging bound", f"{fetch_s / bound:.2f}x",
               "<= 1.2x", fetch_s / bound <= 1.2, f"{fetch_s:.1f} s vs {bound:.1f} s ({pages} pages)")
        target(f"the same vs the larger of that bound and the rate limit's floor ({len(log)} requests)",
               f"{fetch_s / best:.2f}x", "<= 1.2x", fetch_s / best <= 1.2, f"{fetch_s:.1f} s vs {best:.1f} s")
        target("re-read a cached month vs fetching it", f"{reread_s / fetch_s:.3f}x", "<= 0.05x",
               reread_s / fetch_s <= 0.05, f"{reread_s:.2f} s vs {fetch_s:.1f} s")


def measure_memory(n: int) -> dict[str, float]:
    """Stream ``n`` conversations to Parquet in THIS process; the peak RSS above the baseline taken
    just before, and a 100,000-row table's pandas memory. Run by ``bench_memory`` in a fresh
    interpreter, so the baseline is the interpreter's and not what earlier benchmarks left."""
    from recops.sandbox import SandboxClient

    with _sandbox_process() as url:
        control = SandboxClient(url)
        start, _, interval = _month()
        control.settings(rateLimitPerMinute=10_000_000, analyticsJobDelaySeconds=0.2)
        control.seed(count=n, seed=9, interval=interval, generated=True)
        cache = Path(tempfile.mkdtemp(prefix="recops-history-mem-"))
        session = _session(url, cache)
        session.client.api_client  # noqa: B018
        import pandas  # noqa: F401 - imported before the baseline: part of the interpreter's
        import pyarrow  # noqa: F401

        with PeakRss() as rss:
            t = time.perf_counter()
            store = session.fetch(interval, via="jobs", progress=False)
            stream_s = time.perf_counter() - t
        streamed = store.rows()
        # a 100,000-row table: the first days of the cached month that hold that many
        per_day = store.sql("select cast(conversation_start as date) d, count(*) n from conversations "
                            "group by 1 order by 1")
        total, days = 0, 0
        for n_day in per_day["n"]:
            if total >= 100_000:
                break
            total += int(n_day)
            days += 1
        part = f"{start.isoformat()}/{(start + timedelta(days=days)).isoformat()}".replace("+00:00", "Z")
        frame = session.interval(part, progress=False).head(100_000)
        frame_mb = frame.memory_usage(deep=True).sum() / MB
        return {"streamed": streamed, "seconds": stream_s, "above_mb": rss.above / MB,
                "baseline_mb": rss.baseline / MB, "rows": len(frame), "frame_mb": frame_mb}


def bench_memory(n: int) -> None:
    code = ("import json, benchmarks.history_bench as h; "
            f"print('RESULT ' + json.dumps(h.measure_memory({int(n)})), flush=True)")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the memory benchmark failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    r = json.loads(lines[-1][len("RESULT "):])
    table(f"memory: streaming {r['streamed']} conversations to Parquet ({r['seconds']:.1f} s, a fresh interpreter)",
          ["case", "rows", "MB"],
          [["peak RSS above baseline while streaming", r["streamed"], f"{r['above_mb']:.0f}"],
           ["pandas memory_usage(deep=True)", r["rows"], f"{r['frame_mb']:.1f}"]])
    target(f"peak RSS streaming {r['streamed']} conversations to Parquet", f"{r['above_mb']:.0f} MB", "<= 300 MB",
           r["above_mb"] <= 300, f"baseline {r['baseline_mb']:.0f} MB")
    target(f"pandas table of {r['rows']} rows", f"{r['frame_mb']:.1f} MB", "<= 100 MB", r["frame_mb"] <= 100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks history")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--conversations", type=int, default=None, help="the month read through jobs (300,000)")
    parser.add_argument("--stream", type=int, default=None, help="conversations streamed to Parquet (1,000,000)")
    parser.add_argument("--only", choices=("month", "memory"), default=None, help="run one of the two parts")
    args = parser.parse_args(argv)
    month = args.conversations or (10_000 if args.quick else 300_000)
    stream = args.stream or (20_000 if args.quick else 1_000_000)
    if args.only in (None, "month"):
        bench_jobs_month(month)
    if args.only in (None, "memory"):
        bench_memory(stream)  # in a fresh interpreter: the baseline is the interpreter's
    return 0


if __name__ == "__main__":
    import sys

    from .common import print_targets

    code = main(sys.argv[1:])
    print_targets()
    sys.exit(code)
