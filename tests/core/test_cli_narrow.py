"""``recops table`` and ``recops ledger`` in 80- and 160-column terminals (issue 17, items 5 and 7),
through the real ``recops`` process against the served sandbox: no line wider than the terminal,
ids and names whole (never cut to an ellipsis), a "N more rows" line under a cut table, every row
with --csv, and no progress bar left behind."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from ..conftest import Demo
from .ops_helpers import iso, sandbox_now
from .test_cli import terminal

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def week(sb) -> str:
    now = sandbox_now(sb)
    return f"{iso(now - timedelta(days=8))}/{iso(now + timedelta(minutes=1))}"


@pytest.fixture
def env(sb, tmp_path) -> dict[str, str]:
    return {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite")}


def fits(text: str, columns: int) -> None:
    wide = [line for line in text.splitlines() if len(line) > columns]
    assert not wide, f"{len(wide)} line(s) wider than {columns}: {wide[:2]}"
    assert "…" not in text


def no_bar_left(stderr: str) -> None:
    assert "%|" not in stderr and "history:" not in stderr, stderr[-300:]


@pytest.mark.parametrize("columns", [80, 160])
def test_table_fits_the_terminal_with_ids_and_names_whole_and_a_more_rows_line(env, week, columns):
    every = terminal(columns, "table", "--interval", week, "--csv", "-", **env)
    assert every.returncode == 0, every.stderr
    rows = list(csv.DictReader(io.StringIO(every.stdout)))
    assert len(rows) > 25  # the demo week: enough to be cut at the default limit
    r = terminal(columns, "table", "--interval", week, **env)
    assert r.returncode == 0, r.stderr
    fits(r.stdout, columns)
    no_bar_left(r.stderr)
    assert UUID.findall(r.stdout) == [x["conversation_id"] for x in rows[:20]]  # the first 20, whole
    for x in rows[:20]:
        assert x["queue_names"] in r.stdout and x["agent_names"] in r.stdout
    assert f"{len(rows) - 20} more rows (--limit {len(rows)} / --csv" in r.stdout
    assert f"{len(rows)} rows" in r.stdout.splitlines()[-1]

    everything = terminal(columns, "table", "--interval", week, "--limit", "0", **env)
    fits(everything.stdout, columns)
    assert UUID.findall(everything.stdout) == [x["conversation_id"] for x in rows]
    assert "more rows" not in everything.stdout


def test_table_wide_shows_every_column(env, week):
    r = terminal(80, "table", "--interval", week, "--wide", "--limit", "2", **env)
    assert r.returncode == 0, r.stderr
    header = r.stdout.splitlines()[0].split()
    assert {"conversation_end", "direction", "queue_ids", "user_ids", "participants"} <= set(header)


@pytest.mark.parametrize("columns", [80, 160])
def test_ledger_fits_the_terminal_with_values_whole_and_no_bar_left(sb, env, tmp_path, columns):
    now = sandbox_now(sb)  # two days: the served sandbox paces the recordings reads of a whole week past 60 s
    days = f"{iso(now - timedelta(days=2))}/{iso(now + timedelta(minutes=1))}"
    out = tmp_path / "ledger.csv"
    r = terminal(columns, "ledger", "--interval", days, "--limit", "2", "--csv", str(out), **env)
    assert r.returncode == 0, r.stderr
    fits(r.stdout.replace(f"ledger written to {out}", ""), columns)  # the path given is printed as given
    no_bar_left(r.stderr)
    with open(out, newline="") as f:
        table = list(csv.DictReader(f))
    paused = sorted((x for x in table if float(x["pause_count"] or 0) > 0),
                    key=lambda x: -float(x["secure_paused_ms"]))
    shown = UUID.findall(r.stdout)
    assert len(paused) > 2 and shown == [x["conversation_id"] for x in paused[:2]]
    for x in paused[:2]:
        assert x["queue_names"] in r.stdout and x["agent_names"] in r.stdout
    assert f"{len(paused) - 2} more rows (--limit {len(paused)} / --csv" in r.stdout


def test_table_of_ids_fits_80_columns_with_each_id_and_error_whole(env):
    bogus = "c0a80001-0000-4000-8000-00000000dead"
    r = terminal(80, "table", "--ids", f"{Demo.ACTIVE},{bogus}", **env)
    assert r.returncode == 0, r.stderr
    fits(r.stdout, 80)
    assert UUID.findall(r.stdout) == [Demo.ACTIVE, bogus]
    assert "recording_state ACTIVE" in r.stdout and "error not.found" in r.stdout
    assert r.stdout.splitlines()[-1] == "2 rows" and "more rows" not in r.stdout
