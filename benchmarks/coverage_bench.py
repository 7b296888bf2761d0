"""Coverage at scale (issue 19): a month of 300,000 conversations at the real rate limit.

Against a sandbox in its own process (scenario ``empty``), one generated history of ``--conversations``
over ``--days`` settled UTC days (ending three days ago), with its seeded gaps: 80 % recorded,
``archivedRatio`` 0.05, ``deletedRatio`` 0.001, ``transcodingRatio`` 0.0005, ``orphanedRatio`` 0.002 and
``strayOrphanRatio`` 0.0003. The interval table is fetched first, outside the timed parts (rate limit
raised), so only coverage's own requests are measured. Two figures, each a ratio within this run:

1. coverage of the month, nothing of it cached, with the sandbox's per-token rate limit at ``--limit``
   (300 a minute: Genesys's documented default), vs the floor that limit sets for the requests it made
   (answered requests x 60 s / limit); target <= 1.2x;
2. a re-run of the finished month (every day cached) vs the first run; target <= 0.05x.

``python -m benchmarks coverage [--quick] [--days=N] [--conversations=N] [--limit=N]`` (``--quick``:
3 days, 6,000 conversations).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .common import clean_env, table, target

LIMIT = 300  # requests per minute per token: Genesys's documented default, the sandbox's
CREDS = ("sandbox-supervisor", "sandbox-supervisor-secret")
GAPS = {"recordedRatio": 0.8, "adhocRatio": 0.0, "archivedRatio": 0.05, "deletedRatio": 0.001,
        "transcodingRatio": 0.0005, "orphanedRatio": 0.002, "strayOrphanRatio": 0.0003}


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _interval(days: int) -> str:
    end = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    return f"{_iso(end - timedelta(days=days))}/{_iso(end)}"


def _session(url: str, cache: Path) -> Any:
    import recops

    return recops.connect(sandbox_url=url, client_id=CREDS[0], client_secret=CREDS[1], cache_dir=str(cache),
                          journal=Path(tempfile.mkdtemp(prefix="recops-coverage-bench-")) / "j.sqlite")


def _requests(control: Any) -> Counter[str]:
    """The /api/v2 requests answered (not 429) since the log was cleared, by kind."""
    out: Counter[str] = Counter()
    for e in control.requests(limit=10_000_000):
        path = e["path"]
        if not path.startswith("/api/v2/") or e["status"] == 429:
            continue
        kind = ("retention query" if "retention/query" in path else "orphan lists" if "orphanrecordings" in path
                else "recordings reads" if path.endswith("/recordings") else "legal-hold checks"
                if "deletionprotection" in path else "other")
        out[kind] += 1
    return out


def bench(days: int, conversations: int, limit: int, seed: int) -> None:
    from recops.sandbox import SandboxClient
    from recops.sandbox.process import sandbox_process

    interval = _interval(days)
    with sandbox_process("empty", env=clean_env()) as sb:
        control = SandboxClient(sb.url)
        control.settings(rateLimitPerMinute=10_000_000, analyticsJobDelaySeconds=0.2, requestLogSize=100_000)
        control.seed(generated=True, count=conversations, seed=seed, interval=interval, **GAPS)
        cache = Path(tempfile.mkdtemp(prefix="recops-coverage-bench-cache-"))
        t = time.perf_counter()
        fetched = len(_session(sb.url, cache).interval(interval, progress=False))
        table_s = time.perf_counter() - t
        control.settings(rateLimitPerMinute=limit)

        # 1. coverage of the month, nothing of it cached, a fresh token (a fresh rate-limit window)
        session = _session(sb.url, cache)
        session.client.api_client  # noqa: B018 - log in outside the timed part
        control.call("DELETE", "requests")
        t = time.perf_counter()
        first = session.coverage(interval, progress=False)
        first_s = time.perf_counter() - t
        kinds = _requests(control)
        made = sum(kinds.values())
        floor = made * 60.0 / limit

        # 2. the finished month again: every day from the cache
        control.call("DELETE", "requests")
        t = time.perf_counter()
        again = session.coverage(interval, progress=False)
        rerun_s = time.perf_counter() - t
        rerun_made = sum(_requests(control).values())
        assert again.summary == first.summary, (again.summary, first.summary)

    rows = [[f"floor: {made} requests at {limit}/min", made, f"{floor:.1f} s", "1.00"],
            ["coverage, nothing cached", made, f"{first_s:.1f} s", f"{first_s / floor:.3f}"],
            ["re-run of the finished month", rerun_made, f"{rerun_s:.2f} s", f"{rerun_s / first_s:.4f} (of the run)"]]
    table(f"coverage of {fetched} conversations over {days} days, rate limit {limit}/min "
          f"(interval table fetched first in {table_s:.1f} s, not timed)",
          ["case", "requests", "time", "ratio"], rows,
          [f"requests by kind: {dict(kinds)}", f"summary: {first.summary}",
           f"one request a conversation would be {fetched} requests: "
           f"{fetched * 60 / limit / 60:.0f} min at {limit}/min"])
    target(f"coverage of {fetched} conversations vs the floor of {limit}/min", f"{first_s / floor:.3f}x", "<= 1.2x",
           first_s / floor <= 1.2, f"{first_s:.1f} s vs {floor:.1f} s, {made} requests")
    target("coverage re-run of a finished month vs the run", f"{rerun_s / first_s:.4f}x", "<= 0.05x",
           rerun_s / first_s <= 0.05, f"{rerun_s:.2f} s, {rerun_made} requests")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks coverage")
    parser.add_argument("--quick", action="store_true", help="3 days, 6,000 conversations")
    parser.add_argument("--days", type=int, default=None, help="days in the interval (30)")
    parser.add_argument("--conversations", type=int, default=None, help="conversations in them (300,000)")
    parser.add_argument("--limit", type=int, default=LIMIT, help="the sandbox's rate limit a minute (300)")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args(argv)
    bench(args.days or (3 if args.quick else 30), args.conversations or (6000 if args.quick else 300_000),
          args.limit, args.seed)
    return 0


if __name__ == "__main__":
    from .common import print_targets

    code = main(sys.argv[1:])
    print_targets()
    sys.exit(code)
