"""A bulk recording job's reliability: ``recops jobs plan`` then ``recops jobs run --confirm-count N``
as real subprocesses against a sandbox in its own process, SIGKILLed at a random moment between
the plan's start and the end of the execution, then re-run as a person would (``recops jobs
reconcile`` until nothing is in doubt, then ``recops jobs run`` with the count it shows).

After every round: the job was executed exactly once (the sandbox's request log holds one PUT on
the job, sent after a ``run`` with the typed count was started, none by a plan or a reconcile),
it ended FULFILLED, and the journal holds a known outcome for every step (none left at
``intent``) and the job's end. The kill points and what each round saw are printed.

``JOB_KILLS`` (default 10) and ``JOB_KILL_SEED`` (replay a run: the seed is printed).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from recops.sandbox.control_client import SandboxClient
from recops.sandbox.process import sandbox_process

from ..conftest import Demo

REPO = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("JOB_KILLS", "10"))
SEED = int(os.environ.get("JOB_KILL_SEED", str(random.SystemRandom().randrange(1 << 30))))
CALLS = 12
DAYS_AGO = 12
MAX_ROUNDS = 2 * KILLS  # rounds whose run ends before the kill do not count as kills
SPAN = 4.0  # seconds: the kill lands uniformly in [0.2, span] after the plan's start; a round that ends
# before its kill sets span to 90% of how long its plan + run took (a faster machine)


def _env(url: str, home: Path, journal: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    return env | {"HOME": str(home), "PYTHONPATH": str(REPO), "RECOPS_SANDBOX_URL": url, "RECOPS_JOURNAL": str(journal),
                  "RECOPS_CLIENT_ID": Demo.INTEGRATION[0], "RECOPS_CLIENT_SECRET": Demo.INTEGRATION[1],
                  "RECOPS_OUTPUT_DIR": str(home / "out"), "RECOPS_CONNECT_TIMEOUT": "1", "RECOPS_READ_TIMEOUT": "2",
                  "COLUMNS": "200", "NO_COLOR": "1"}


def _spawn(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "recops.cli", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _until(proc: subprocess.Popen[str], deadline: float | None) -> bool:
    """Wait for the process's end or the deadline; SIGKILL it at the deadline. True if killed."""
    while proc.poll() is None:
        if deadline is not None and time.monotonic() >= deadline:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.01)
    return False


def _run(env: dict[str, str], *args: str, timeout: float = 60) -> tuple[int, Any]:
    proc = _spawn(env, *args)
    out, err = proc.communicate(timeout=timeout)
    try:
        return proc.returncode, json.loads(out) if out.strip() else None
    except ValueError:
        raise AssertionError(f"recops {' '.join(args)}: not JSON: {out!r} {err!r}") from None


def _journal(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        jobs = [dict(r) for r in db.execute("SELECT * FROM recording_jobs ORDER BY id")]
        steps = [dict(r) for r in db.execute("SELECT * FROM recording_job_steps ORDER BY id")]
    finally:
        db.close()
    return jobs, steps


def _reconcile(env: dict[str, str]) -> list[dict[str, Any]]:
    """``recops jobs reconcile`` until nothing is in doubt (a killed request may still be in flight
    for connect + read timeout: 3 s here)."""
    for _ in range(20):
        code, rows = _run(env, "jobs", "reconcile", "--json")
        if code == 0:
            return rows or []
        assert code == 3, rows
        time.sleep(0.5)
    raise AssertionError("reconcile never settled")


def _round(n: int, rng: random.Random, url: str, control: SandboxClient, interval: str, tmp: Path,
           span: float) -> str:
    home = tmp / f"round-{n}"
    home.mkdir()
    journal = home / "journal.sqlite"
    env = _env(url, home, journal)
    kill_at = rng.uniform(0.2, span)
    started = time.monotonic()
    deadline = started + kill_at
    plan_args = ("jobs", "plan", "--action", "DELETE", "--interval", interval, "--action-date",
                 "2031-01-01T00:00:00Z", "--json")
    killed = "plan" if _until(_spawn(env, *plan_args), deadline) else None
    run_starts: list[float] = []
    what = [f"kill at {kill_at:.2f} s"]
    if killed:
        what.append("killed in plan")
        rows = _reconcile(env)
        what.append(f"reconcile: {[r['resolved'] or r['state'] for r in rows]}")
        jobs, _ = _journal(journal)
        if not jobs or jobs[-1]["ended"] == "not created":  # killed before the job existed: plan again
            code, plan = _run(env, *plan_args)
            assert code == 0, plan
            what.append("planned again")
    jobs, _ = _journal(journal)
    job = [j for j in jobs if j["job_id"] and j["ended"] in (None, "FULFILLED")][-1]
    job_id, count = job["job_id"], job["total_recordings"]
    if job["ended"] is None:
        run_args = ("jobs", "run", job_id, "--confirm-count", str(count), "--json")
        run_starts.append(time.time())
        if not killed and _until(_spawn(env, *run_args), deadline):
            killed = "run"
            what.append("killed in run")
            rows = _reconcile(env)
            what.append(f"reconcile: {[r['resolved'] or r['state'] for r in rows]}")
        elif not killed:
            what.append(f"not killed: the run ended first, {time.monotonic() - started:.2f} s after the plan's start")
        jobs, _ = _journal(journal)
        if next(j for j in jobs if j["job_id"] == job_id)["ended"] is None:
            run_starts.append(time.time())
            code, out = _run(env, *run_args)
            assert code == 0, out
            what.append(f"run again: {'executed' if out['executed_now'] else 'followed'} to {out['state']}")
    # the evidence: one PUT on the job, sent after a run with the typed count had started
    puts = [r for r in control.requests(path=f"/api/v2/recording/jobs/{job_id}")
            if r["method"] == "PUT" and r["path"] == f"/api/v2/recording/jobs/{job_id}"]
    assert len(puts) == 1 and puts[0]["status"] == 200, puts
    assert run_starts and puts[0]["time"] >= run_starts[0] - 0.05
    jobs, steps = _journal(journal)
    assert [s for s in steps if s["status"] == "intent"] == [], steps
    mine = [j for j in jobs if j["job_id"] == job_id]
    assert mine and mine[0]["ended"] == "FULFILLED" and mine[0]["confirmed_count"] == count
    assert {"create", "ready", "execute", "end"} <= {s["step"] for s in steps if s["job_row"] == mine[0]["id"]}
    return "; ".join(what)


def test_sigkilled_jobs_are_never_executed_twice_nor_without_the_count(tmp_path):
    print(f"\njob kill test: seed {SEED}, {KILLS} kills (replay with JOB_KILL_SEED={SEED})")
    rng = random.Random(SEED)
    home = tmp_path / "sandbox-home"
    home.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    with sandbox_process("demo", env=clean | {"HOME": str(home), "PYTHONPATH": str(REPO)}) as sb:
        control = SandboxClient(sb.url)
        control.settings(recordingJobReadySeconds=0.5, recordingJobRecordingsPerSecond=8, requestLogSize=100_000)
        starts = []
        for k in range(CALLS):
            conv = control.add_conversation(recording=True, startedSecondsAgo=DAYS_AGO * 86400 - 60 * k, ended=True,
                                            durationSeconds=30)
            starts.append(control.conversation(conv["id"])["startTime"])
        first, last = min(starts), max(starts)
        interval = f"{first[:11]}00:00:00.000Z/{last[:11]}23:59:59.000Z"
        kills = rounds = 0
        span = SPAN
        while kills < KILLS and rounds < MAX_ROUNDS:
            t0 = time.monotonic()
            outcome = _round(rounds, rng, sb.url, control, interval, tmp_path, span)
            rounds += 1
            kills += "killed in" in outcome
            if "ended first" in outcome:
                span = max(0.5, 0.9 * float(outcome.split("ended first, ")[1].split(" s")[0]))
            print(f"  round {rounds}: {outcome} ({time.monotonic() - t0:.1f} s)")
        print(f"job kill test: {kills} kills in {rounds} rounds; every job executed once, every step settled")
        assert kills == KILLS
