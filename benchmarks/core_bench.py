"""recops core benchmarks, printed as tables of ratios against a baseline measured in the same run.

1. ``import recops`` vs ``import PureCloudPlatformClientV2`` (fresh interpreters, median of N).
2. A live sweep of 300 conversations (``Session.states``, 4 threads) under a rate limit of
   400/min: its time against the floor the limit sets (the least time any client could take:
   60 s per full window; target <= 1.05x), how many 429s the server sent / the user saw, and
   how many requests each window admitted.
3. A 10,000-conversation interval table through the analytics details query, against the bound
   set by its page count (pages x one page's latency), and against the per-conversation loop
   the tutorial implies (GET each conversation), measured on a sample and extrapolated.

Run: ``python -m benchmarks core`` (``--quick`` for a short run). Loopback only; bounded.
"""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .common import clean_env, table, target

PY = sys.executable
SWEEP_TARGET = 1.05  # time / floor


def bench_import(runs: int) -> None:
    code = ("import time, resource; t=time.perf_counter(); import {mod}; "
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    results: dict[str, tuple[float, float]] = {}
    env = clean_env()
    for mod in ("PureCloudPlatformClientV2", "recops", "recops.cli", "recops.sandbox.server"):
        times, rss = [], []
        subprocess.run([PY, "-c", f"import {mod}"], env=env, check=True)  # warm the .pyc cache
        for _ in range(runs):
            out = subprocess.run([PY, "-c", code.format(mod=mod)], env=env, check=True, capture_output=True,
                                 text=True).stdout.split()
            times.append(float(out[0]))
            rss.append(float(out[1]) / 1024)
        results[mod] = (statistics.median(times), statistics.median(rss))
    base_t, base_rss = results["PureCloudPlatformClientV2"]
    rows = [[mod, f"{t * 1000:.0f}", f"{t / base_t:.3f}", f"{rss:.0f}", f"{rss / base_rss:.2f}"]
            for mod, (t, rss) in results.items()]
    table(f"import time (median of {runs} fresh interpreters; baseline: the SDK)",
           ["module", "ms", "ratio vs SDK", "max RSS MiB", "RSS ratio"], rows)


@contextmanager
def _sandbox_process() -> Iterator[str]:
    """The sandbox as its own process (the load must not share the GIL with it)."""
    from recops.sandbox.process import sandbox_process

    with sandbox_process("empty", env=clean_env()) as sb:
        yield sb.url


def bench_sweep(n: int, limit: int) -> None:
    import recops
    from recops.sandbox import SandboxClient

    with _sandbox_process() as url:
        control = SandboxClient(url)
        control.settings(rateLimitPerMinute=limit)
        control.seed(count=n, seed=11, org="sandbox-org")
        ids = [c["id"] for c in control.conversations(org="sandbox-org")][:n]
        waits: list[float] = []
        session = recops.connect(sandbox_url=url, client_id="sandbox-supervisor",
                                 client_secret="sandbox-supervisor-secret",
                                 journal=Path(tempfile.mkdtemp()) / "j.sqlite",
                                 on_wait=lambda w: waits.append(w.seconds) if w.reason == "pacing" else None)
        session.client.api_client  # noqa: B018 - log in outside the timed part
        control.call("DELETE", "requests")
        started = time.perf_counter()
        frame = session.states(ids, concurrency=4)
        elapsed = time.perf_counter() - started
        log = control.requests()
        api = [e for e in log if e["path"].startswith("/api/v2/")]
        server_429 = sum(1 for e in api if e["status"] == 429)
        user_errors = int(frame["error"].notna().sum())
        # the least time the limit allows: each window of 60 s admits `limit` requests, and the
        # requests of the last window take no time at all
        floor = 60.0 * ((len(api) - 1) // limit)
        ratio = elapsed / floor if floor else math.nan
        table(f"live sweep: {n} conversations, status = 2 requests each, rate limit {limit}/min, 4 threads; "
              "floor = the least time the limit allows; share of the allowed rate = floor / time",
              ["conversations", "requests", "seconds", "floor s", "time/floor", "share of allowed rate",
               "429s sent", "errors seen", "paced s (all threads)"],
              [[n, len(api), f"{elapsed:.1f}", f"{floor:.0f}", f"{ratio:.3f}", f"{floor / elapsed:.3f}", server_429,
                user_errors, f"{sum(waits):.1f}"]],
              [f"where the time goes: requests admitted per window {_windows([e['time'] for e in api])}; "
               f"{len(waits)} pacing waits (one per thread at each reset); the time above the floor is the "
               "last window's requests, sent at the speed of the SDK and the sandbox, plus the wait past "
               "each reset (the reset is announced in whole seconds; the pacer takes the earliest bound)"])
        target(f"live sweep under a rate limit ({limit}/min, {len(api)} requests)",
               f"{ratio:.3f}x the floor, {server_429} x 429", f"<= {SWEEP_TARGET}x the floor, 0 x 429",
               ratio <= SWEEP_TARGET and server_429 == 0 and user_errors == 0,
               f"{elapsed:.1f} s vs {floor:.0f} s; share of the allowed rate {floor / elapsed:.3f}")


def _windows(times: list[float], window: float = 60.0) -> list[int]:
    """Requests per rate-limit window, windows as the sandbox counts them (from the first request)."""
    counts: list[int] = []
    start = -math.inf
    for t in sorted(times):
        if t - start >= window:
            start = t
            counts.append(0)
        counts[-1] += 1
    return counts


def bench_interval(n: int, sample: int) -> None:
    import recops
    from recops.sandbox import SandboxClient

    with _sandbox_process() as url:
        control = SandboxClient(url)
        control.settings(rateLimitPerMinute=10_000_000)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        start = now - timedelta(days=7)
        interval = f"{start.isoformat()}/{(now - timedelta(hours=1)).isoformat()}".replace("+00:00", "Z")
        control.seed(count=n, seed=5, interval=interval)
        session = recops.connect(sandbox_url=url, client_id="sandbox-supervisor",
                                 client_secret="sandbox-supervisor-secret",
                                 journal=Path(tempfile.mkdtemp()) / "j.sqlite",
                                 cache_dir=tempfile.mkdtemp(prefix="recops-bench-cache-"))
        client = session.client
        client.api_client  # noqa: B018

        # baseline: one details page of 100 (the unit the table is made of)
        sdk = client.sdk()
        q = sdk.ConversationQuery()
        q.interval = interval
        paging = sdk.PagingSpec()
        paging.page_size = 100
        paging.page_number = 1
        q.paging = paging
        client.analytics_api.post_analytics_conversations_details_query(q)  # warm the server's cache
        page_times = []
        for i in range(10):
            paging.page_number = 1 + i
            t = time.perf_counter()
            client.analytics_api.post_analytics_conversations_details_query(q)
            page_times.append(time.perf_counter() - t)
        page = statistics.median(page_times)
        pages = math.ceil(n / 100)

        t = time.perf_counter()
        frame = session.interval(interval, progress=False)
        table_s = time.perf_counter() - t

        ids = frame["conversation_id"].tolist()[:sample]
        api = client.conversations_api
        t = time.perf_counter()
        for cid in ids:
            api.get_conversation(cid)
        per_get = (time.perf_counter() - t) / len(ids)
        loop_s = per_get * n
        limit = 300
        rows = [
            ["one details page (baseline)", 1, f"{page * 1000:.1f} ms", "1.00", "-"],
            ["bound: pages x page", pages, f"{pages * page:.2f} s", f"{pages:.0f}", f"{pages / limit * 60:.0f} s"],
            ["recops interval table", len(frame), f"{table_s:.2f} s", f"{table_s / page:.0f}",
             f"{pages / limit * 60:.0f} s"],
            [f"tutorial loop: GET each (x{n}, extrapolated from {len(ids)})", n, f"{loop_s:.1f} s",
             f"{loop_s / page:.0f}", f"{n / limit:.0f} min"],
        ]
        table(f"interval table of {n} conversations (7 days); ratio = time / one page; last column: the "
               f"floor at the real per-token limit of {limit} requests/min",
               ["case", "rows/requests", "time", "ratio vs page", "at 300/min"], rows)
        print(f"table/bound = {table_s / (pages * page):.2f}; rows returned {len(frame)} of {n} seeded")


def run(quick: bool = False) -> None:
    bench_import(runs=3 if quick else 7)
    if quick:
        bench_sweep(n=50, limit=60)  # 100 requests: a full window and part of one
        bench_interval(n=2000, sample=100)
    else:
        bench_sweep(n=300, limit=400)
        bench_interval(n=10_000, sample=300)


if __name__ == "__main__":
    from .common import print_targets

    run(quick="--quick" in sys.argv)
    print_targets()
