"""Helpers for the recops core tests (tests/core/test_*.py).

Everything here drives real parts: recops sessions over the unmodified SDK against the
sandbox server on loopback, the sandbox's control plane for ground truth (its request log,
its conversations), and real ``recops`` subprocesses. Nothing is faked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import recops

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]


def connect(sb: Any, creds: tuple[str, str] | None, journal: Path, **overrides: Any) -> recops.Session:
    """A recops session on the sandbox, as an OAuth client (``creds``) or, with ``None``, as
    the demo client recops chooses from the sandbox by itself."""
    if creds is None:
        return recops.connect(sandbox_url=sb.url, journal=journal, **overrides)
    return recops.connect(sandbox_url=sb.url, client_id=creds[0], client_secret=creds[1], journal=journal,
                          **overrides)


# --- the sandbox's request log ------------------------------------------------------------------


def clear_log(sb: Any) -> None:
    sb.control.call("DELETE", "requests")


def api_log(sb: Any) -> list[dict[str, Any]]:
    """Every /api/v2 and /oauth exchange the sandbox saw since the last clear, oldest first."""
    return list(sb.control.requests())


def calls(sb: Any) -> list[tuple[str, str, int]]:
    return [(r["method"], r["path"], r["status"]) for r in api_log(sb)]


def writes(sb: Any) -> list[tuple[str, str, int]]:
    """The state-changing requests (anything but GET, the token and the analytics query)."""
    return [(m, p, s) for m, p, s in calls(sb)
            if m != "GET" and p != "/oauth/token" and not p.startswith("/api/v2/analytics/")]


def context_ids(sb: Any, method: str, path: str) -> list[str]:
    return [r["contextId"] for r in api_log(sb) if r["method"] == method and r["path"] == path]


# --- ground truth from the control plane -----------------------------------------------------------


def summary(sb: Any, conversation_id: str) -> dict[str, Any]:
    """The sandbox's own view of a conversation (state, participants, recording ids)."""
    return sb.control.conversation(conversation_id)


def sandbox_now(sb: Any) -> datetime:
    return parse_iso(sb.control.call("GET", "clock")["now"])


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def utc_midnight(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def all_conversations(sb: Any, org: str | None = None) -> list[dict[str, Any]]:
    """Every conversation of an org with its start time, read one by one from the control plane."""
    ids = [c["id"] for c in sb.control.call("GET", "conversations", org=org, limit=1_000_000)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        details = list(pool.map(sb.control.conversation, ids))
    for d in details:
        d["startTime"] = parse_iso(d["conversation"]["startTime"])
    return details


def started_in(convs: Iterable[dict[str, Any]], start: datetime, end: datetime) -> list[dict[str, Any]]:
    return [c for c in convs if start <= c["startTime"] < end]


# --- waiting ----------------------------------------------------------------------------------------


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0, every: float = 0.05) -> T:
    """Poll ``probe`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def between(value: datetime, earlier: datetime, later: datetime, slack: float = 5.0) -> bool:
    return earlier - timedelta(seconds=slack) <= value <= later + timedelta(seconds=slack)


# --- the recops command in a subprocess ------------------------------------------------------------


def cli_env(sb: Any, journal: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a ``recops`` subprocess: the sandbox at ``sb.url``, this journal,
    nothing inherited that could point it at a real org."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env.update(RECOPS_SANDBOX_URL=sb.url, RECOPS_JOURNAL=str(journal), PYTHONUNBUFFERED="1",
               NO_COLOR="1", COLUMNS="200")
    env.update(extra)
    return env


def spawn_cli(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "recops.cli", *args], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
