"""The ledger's cache (issue 18): what it sends, from the sandbox's own request log.

Final conversations' pause facts are kept (recops.history.ledger_store), so a re-run sends no
recording request, a day added costs that day only, a run killed by SIGKILL resumes without
reading any conversation twice, and ``--since-last`` continues a standing ledger. All through the
real SDK against the sandbox, the real CLI in a subprocess, and real signals."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest

from .ops_helpers import REPO, api_log, clear_log, cli_env, connect, iso

RECORDINGS = re.compile(r"^/api/v2/conversations/([^/]+)/recordings$")
SEEDED = 40
PAUSE_KEY = ["conversation_id", "recording_id", "reason", "offset_ms", "duration_ms"]  # hold ids change per read


def midnight(days_ago: int) -> datetime:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def day_interval(first: datetime, days: int = 1) -> str:
    return f"{iso(first)}/{iso(first + timedelta(days=days))}"


def recording_reads(sb: Any) -> Counter[str]:
    """Conversation id -> how many times its recordings were read (answered, not refused with a 429)."""
    out: Counter[str] = Counter()
    for r in api_log(sb):
        m = RECORDINGS.match(r["path"])
        if m and r["method"] == "GET" and r["status"] != 429:
            out[m.group(1)] += 1
    return out


def seed_days(sb: Any, first: datetime, days: int, per_day: int = SEEDED) -> None:
    for d in range(days):
        start = first + timedelta(days=d)
        sb.control.seed(count=per_day, seed=11 + d, interval=day_interval(start), recordedRatio=1.0,
                        securePauseRatio=0.5, holdRatio=0.3)


@pytest.fixture
def rc(sb, tmp_path):
    return connect(sb, None, tmp_path / "j.sqlite")  # the demo client, as the CLI picks it


def ended_recorded(rc: Any, interval: str) -> set[str]:
    t = rc.interval(interval, recorded=True, progress=False)
    return set(t[t["ended"].fillna(False).astype(bool)]["conversation_id"])


def same_ledger(a: Any, b: Any) -> None:
    key = ["conversation_id", "recording_id"]
    pd.testing.assert_frame_equal(a.table.sort_values(key).reset_index(drop=True),
                                  b.table.sort_values(key).reset_index(drop=True))
    pd.testing.assert_frame_equal(a.pauses[PAUSE_KEY].sort_values(PAUSE_KEY).reset_index(drop=True),
                                  b.pauses[PAUSE_KEY].sort_values(PAUSE_KEY).reset_index(drop=True))
    assert set(a.unpaused["conversation_id"]) == set(b.unpaused["conversation_id"])


def test_a_rerun_sends_no_recording_request_and_the_store_answers_sql(sb, rc):
    first = midnight(4)
    seed_days(sb, first, 1)
    interval = day_interval(first)
    wanted = ended_recorded(rc, interval)
    assert len(wanted) >= SEEDED * 0.9
    clear_log(sb)
    led = rc.ledger(interval)
    assert recording_reads(sb) == Counter(dict.fromkeys(wanted, 1))  # each read once

    clear_log(sb)
    again = rc.ledger(interval)
    assert recording_reads(sb) == Counter()  # nothing final is read twice
    assert led.plan.to_read == len(wanted) and led.plan.cached == 0
    assert again.plan.to_read == 0 and again.plan.cached == len(wanted)
    same_ledger(led, again)
    assert led.summary() == again.summary()

    counts = rc.store.sql("select count(*) n, count(distinct conversation_id) c, sum(secure_paused_ms) s "
                          "from ledger").to_dict("records")[0]
    read = led.table[led.table["recording_id"].notna()]
    assert (counts["n"], counts["c"], counts["s"]) == (len(read), len(wanted), read["secure_paused_ms"].sum())
    pauses = rc.store.sql("select count(*) n, sum(duration_ms) d from ledger_pauses").to_dict("records")[0]
    assert (pauses["n"], pauses["d"]) == (len(led.pauses), led.pauses["duration_ms"].sum())
    assert led.pauses["reason"].eq("SecurePause").any()  # the seeds paused some: the sums are not all zero


def test_a_day_added_to_a_month_costs_that_day_only(sb, rc):
    first = midnight(5)
    seed_days(sb, first, 2)
    day_one, both = day_interval(first), day_interval(first, 2)
    second = ended_recorded(rc, day_interval(first + timedelta(days=1)))
    rc.ledger(day_one)
    clear_log(sb)
    led = rc.ledger(both)
    assert recording_reads(sb) == Counter(dict.fromkeys(second, 1))
    assert set(led.table["conversation_id"]) == ended_recorded(rc, both)
    assert led.plan.to_read == len(second)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_a_killed_run_resumes_and_reads_no_conversation_twice(sb, rc, tmp_path):
    """A real ``recops ledger`` process, paced by a low rate limit, is SIGKILLed while it waits for
    the next window (no read in flight); the re-run reads only what the killed run had not, and
    the ledger is the one a clean, uncached run gives."""
    first = midnight(4)
    seed_days(sb, first, 1)
    interval = day_interval(first)
    wanted = ended_recorded(rc, interval)  # the interval's table is now cached: the CLI sends no analytics request
    sb.control.settings(rateLimitPerMinute=12)
    clear_log(sb)
    env = cli_env(sb, tmp_path / "j.sqlite", RECOPS_CACHE_DIR=os.environ["RECOPS_CACHE_DIR"])
    err = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "recops.cli", "ledger", "--interval", interval], env=env,
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, text=True)
    try:
        wait_for(lambda: sum(recording_reads(sb).values()) >= 5, 60, "the first reads")
        # the budget spent: the process waits for the next window; what it read is written within 0.5 s
        settled = {"n": -1, "since": time.monotonic()}

        def quiet() -> bool:
            n = sum(recording_reads(sb).values())
            if n != settled["n"]:
                settled.update(n=n, since=time.monotonic())
            return time.monotonic() - settled["since"] > 4

        wait_for(quiet, 60, "the pacing wait")
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        err.close()
    killed = recording_reads(sb)
    assert 0 < sum(killed.values()) < len(wanted), killed  # mid-way
    said = (tmp_path / "stderr.txt").read_text()
    assert f"{len(wanted)} recording request(s) to send" in said and "a minute" in said  # the plan, up front

    sb.control.settings(rateLimitPerMinute=300)
    resumed = rc.ledger(interval)
    assert resumed.plan.cached == len(set(killed)) and resumed.plan.to_read == len(wanted) - len(set(killed))
    total = recording_reads(sb)
    assert set(total) == wanted and set(total.values()) == {1}, total  # every conversation read once in all
    same_ledger(resumed, rc.ledger(interval, cache=False))


def test_since_last_brings_a_standing_ledger_up_to_date(sb, rc, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    env = cli_env(sb, tmp_path / "j.sqlite", RECOPS_CACHE_DIR=os.environ["RECOPS_CACHE_DIR"])

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "recops.cli", "ledger", *args], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=180)

    none = cli("--since-last")
    assert none.returncode == 2 and "no standing ledger" in none.stderr and "--interval" in none.stderr

    old = sb.control.add_conversation(startTime=iso(now - timedelta(hours=1)))
    sb.control.disconnect(old["id"])
    sb.control.advance_clock(5)  # transcoded
    first = cli("--interval", f"{iso(now - timedelta(hours=2))}/{iso(now - timedelta(minutes=10))}")
    assert first.returncode == 0, first.stderr
    assert "recording request(s) to send" in first.stderr

    new = sb.control.add_conversation(startTime=iso(now - timedelta(minutes=5)))
    sb.control.disconnect(new["id"])
    sb.control.advance_clock(5)
    clear_log(sb)
    update = cli("--since-last")
    assert update.returncode == 0, update.stderr
    assert "standing ledger brought up to date" in update.stdout
    reads = recording_reads(sb)
    assert reads[new["id"]] == 1 and old["id"] not in reads
    assert new["id"] in update.stdout or "1 read now" in update.stdout


def test_what_is_not_final_is_read_again_and_what_is_final_is_not(sb, rc):
    """Recordings still transcoding (HTTP 202) are not kept: each run asks again; once they are
    AVAILABLE they are kept, and asked for once."""
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    interval = f"{iso(start - timedelta(minutes=1))}/{iso(start + timedelta(minutes=1))}"
    conv = sb.control.add_conversation(startTime=iso(start))
    sb.control.disconnect(conv["id"])  # ended now: transcoding for 3 s of the sandbox's clock
    clear_log(sb)
    for _ in range(2):
        led = rc.ledger(interval, progress=False)
        assert "transcoding" in str(led.table.loc[led.table["conversation_id"] == conv["id"], "note"].iloc[0])
    assert recording_reads(sb)[conv["id"]] == 2  # read each time
    sb.control.advance_clock(5)
    clear_log(sb)
    runs = [rc.ledger(interval, progress=False) for _ in range(2)]
    assert recording_reads(sb)[conv["id"]] == 1
    led = runs[-1]
    assert [r.plan.to_read for r in runs] == [1, 0]
    assert runs[0].plan.per_minute == 300 and runs[0].plan.limit_source == "the rate-limit headers"
    assert set(led.table.loc[led.table["conversation_id"] == conv["id"], "file_state"]) == {"AVAILABLE"}
