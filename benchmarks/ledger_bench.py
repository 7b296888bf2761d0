"""The pause ledger at scale (issue 18): its cache, its resume, and the rate limit's floor.

Against a sandbox in its own process, with ``DAYS`` x ``PER_DAY`` ended, recorded conversations
seeded on settled days (their interval table is fetched first, outside the timed parts, so only
the ledger's own recording requests are measured). Three figures, each a ratio within this run:

1. the ledger of the interval (one ``GET .../recordings`` per conversation), with the sandbox's
   per-token rate limit at ``--limit`` (300 a minute: Genesys's documented default), vs the floor
   that limit sets for the requests it needed (requests x 60 s / limit); target <= 1.1x;
2. a re-run of the same interval (everything cached) vs the first run; target <= 0.02x;
3. ``--kills`` real ``recops ledger`` processes SIGKILLed at random moments, each resuming the
   last, then one run to the end: the recording requests of all of them (from the sandbox's
   request log, 429s left out) vs one clean run's; target <= 1.02x.

``python -m benchmarks ledger [--quick] [--days=N] [--per-day=N] [--limit=N] [--kills=N] [--seed=N]``
(the issue's scale: 30 days x 2,000; ``--quick``: 3 x 200). A raised ``--limit`` keeps the wall
time down; the floor is then computed from that same limit.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .common import clean_env, table, target

LIMIT = 300  # requests per minute per token: Genesys's documented default, the sandbox's
CREDS = ("sandbox-supervisor", "sandbox-supervisor-secret")
RECORDINGS = re.compile(r"^/api/v2/conversations/[^/]+/recordings$")
ROOT = Path(__file__).resolve().parent.parent


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _interval(days: int) -> tuple[str, list[str]]:
    """``days`` whole UTC days ending three days ago (settled: cached by the history store)."""
    end = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    start = end - timedelta(days=days)
    each = [f"{_iso(start + timedelta(days=d))}/{_iso(start + timedelta(days=d + 1))}" for d in range(days)]
    return f"{_iso(start)}/{_iso(end)}", each


def _reads(control: Any) -> int:
    """Recording requests the sandbox answered (not 429) since the log was last cleared."""
    return sum(1 for e in control.requests(limit=10_000_000)
               if e["method"] == "GET" and RECORDINGS.match(e["path"]) and e["status"] != 429)


def _session(url: str, cache: Path) -> Any:
    import recops

    return recops.connect(sandbox_url=url, client_id=CREDS[0], client_secret=CREDS[1], cache_dir=str(cache),
                          journal=Path(tempfile.mkdtemp(prefix="recops-ledger-bench-")) / "j.sqlite")


def _cli_env(url: str, cache: Path) -> dict[str, str]:
    return clean_env(RECOPS_SANDBOX_URL=url, RECOPS_CLIENT_ID=CREDS[0], RECOPS_CLIENT_SECRET=CREDS[1],
                     RECOPS_CACHE_DIR=str(cache), PYTHONPATH=os.environ.get("PYTHONPATH", str(ROOT)),
                     RECOPS_JOURNAL=str(Path(tempfile.mkdtemp(prefix="recops-ledger-bench-")) / "j.sqlite"))


def bench(days: int, per_day: int, limit: int, kills: int, seed: int) -> None:
    from recops.sandbox import SandboxClient
    from recops.sandbox.process import sandbox_process

    interval, each_day = _interval(days)
    with sandbox_process("empty", env=clean_env()) as sb:
        control = SandboxClient(sb.url)
        control.settings(rateLimitPerMinute=10_000_000, analyticsJobDelaySeconds=0.2,
                         requestLogSize=max(10_000, 4 * days * per_day))
        for d, day in enumerate(each_day):
            control.seed(count=per_day, seed=seed + d, interval=day, recordedRatio=1.0)
        cache = Path(tempfile.mkdtemp(prefix="recops-ledger-bench-cache-"))
        table_ = _session(sb.url, cache).interval(interval, progress=False, recorded=True)
        conversations = int(table_["ended"].fillna(False).astype(bool).sum())
        control.settings(rateLimitPerMinute=limit)

        # 1. one clean run, a fresh token (a fresh rate-limit window), nothing cached
        session = _session(sb.url, cache)
        session.client.api_client  # noqa: B018 - log in outside the timed part
        control.call("DELETE", "requests")
        t = time.perf_counter()
        led = session.ledger(interval, progress=False)
        clean_s = time.perf_counter() - t
        clean_reads = _reads(control)
        floor = clean_reads * 60.0 / limit

        # 2. the same interval again: all cached
        control.call("DELETE", "requests")
        t = time.perf_counter()
        again = session.ledger(interval, progress=False)
        rerun_s = time.perf_counter() - t
        rerun_reads = _reads(control)
        assert len(again.table) == len(led.table)

        # 3. killed at random moments, each process resuming the last; then one to the end
        session.store.ledger().clear()
        control.call("DELETE", "requests")
        rng = random.Random(seed)
        env = _cli_env(sb.url, cache)
        command = [sys.executable, "-m", "recops.cli", "ledger", "--interval", interval]
        killed = 0
        for _ in range(kills):
            held = int(session.store.sql("select count(distinct conversation_id) n from ledger")["n"].iloc[0])
            moment = rng.uniform(1.0, 2.0 + max(0, conversations - held) * 60.0 / limit)  # within what is left
            proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.wait(moment)  # finished before its moment: nothing to kill
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                killed += 1
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=36_000)
        if done.returncode != 0:
            raise SystemExit(f"the last ledger run failed:\n{done.stderr[-2000:]}")
        killed_reads = _reads(control)

    rows = [
        [f"floor: {clean_reads} requests at {limit}/min", clean_reads, f"{floor:.1f} s", "1.00"],
        ["ledger, nothing cached", clean_reads, f"{clean_s:.1f} s", f"{clean_s / floor:.3f}"],
        ["re-run, all cached", rerun_reads, f"{rerun_s:.2f} s", f"{rerun_s / clean_s:.4f} (of the run)"],
        [f"{killed} SIGKILLs at random moments + a last run", killed_reads, "-",
         f"{killed_reads / clean_reads:.3f} (requests)"],
    ]
    per_request = clean_s / clean_reads
    table(f"pause ledger of {conversations} conversations over {days} days ({per_day}/day), rate limit {limit}/min",
          ["case", "recording requests", "time", "ratio"], rows,
          [f"measured: {per_request * 1000:.1f} ms per recording request at {limit}/min; "
           f"{rerun_s / max(1, conversations) * 1000:.2f} ms per cached conversation",
           f"300,000 conversations on paper: {300_000 * per_request * limit / LIMIT / 3600:.1f} h at {LIMIT}/min "
           f"uncached, {300_000 * rerun_s / max(1, conversations) / 3600:.3f} h from the cache"])
    target(f"ledger of {conversations} conversations vs the floor of {limit}/min", f"{clean_s / floor:.3f}x",
           "<= 1.1x", clean_s / floor <= 1.1, f"{clean_s:.1f} s vs {floor:.1f} s")
    target("ledger re-run (cached) vs the run", f"{rerun_s / clean_s:.4f}x", "<= 0.02x", rerun_s / clean_s <= 0.02,
           f"{rerun_s:.2f} s, {rerun_reads} recording requests")
    target(f"{killed} kills + re-runs: recording requests vs one clean run", f"{killed_reads / clean_reads:.3f}x",
           "<= 1.02x", killed_reads <= 1.02 * clean_reads, f"{killed_reads} vs {clean_reads}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks ledger")
    parser.add_argument("--quick", action="store_true", help="3 days x 200 conversations")
    parser.add_argument("--days", type=int, default=None, help="days in the interval (30)")
    parser.add_argument("--per-day", type=int, default=None, help="conversations a day (2,000)")
    parser.add_argument("--limit", type=int, default=LIMIT, help="the sandbox's rate limit a minute (300)")
    parser.add_argument("--kills", type=int, default=5, help="random SIGKILLs before the last run (5)")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    days = args.days or (3 if args.quick else 30)
    per_day = args.per_day or (200 if args.quick else 2000)
    bench(days, per_day, args.limit, args.kills, args.seed)
    return 0


if __name__ == "__main__":
    from .common import print_targets

    code = main(sys.argv[1:])
    print_targets()
    sys.exit(code)
