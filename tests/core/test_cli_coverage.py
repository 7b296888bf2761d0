"""``recops coverage`` and ``recops orphans list|reattach`` (issue 19) as a real subprocess against
the sandbox: --json, --csv, and the documented exit codes (docs/cli.md)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .ops_helpers import REPO, cli_env, iso

ORPHAN = "0a7f0000-0000-4000-8000-000000000001"
ORPHANED_CONV = "c0a80001-0000-4000-8000-000000000011"
NO_CONV = "0a7f0000-0000-4000-8000-000000000002"


def run(sb: Any, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(sb, tmp / "j.sqlite", RECOPS_CACHE_DIR=os.environ["RECOPS_CACHE_DIR"])
    return subprocess.run([sys.executable, "-m", "recops.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=180)


def recent() -> str:
    now = datetime.now(timezone.utc)
    return f"{iso(now - timedelta(hours=6))}/{iso(now + timedelta(minutes=1))}"


def test_coverage_json_csv_and_exit_codes(sb, tmp_path):
    out = tmp_path / "coverage.csv"
    r = run(sb, tmp_path, "coverage", "--interval", recent(), "--json", "--csv", str(out))
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    reasons = {c["conversation_id"]: c["reason"] for c in body["conversations"]}
    assert reasons[ORPHANED_CONV] == "orphaned"
    assert body["summary"]["orphaned"] >= 1 and body["summary"]["orphans without a conversation"] == 2
    assert {o["orphan_id"] for o in body["orphans"]} == {NO_CONV, "0a7f0000-0000-4000-8000-000000000003"}
    with open(out) as f:
        rows = list(csv.DictReader(f))
    assert {r["conversation_id"]: r["reason"] for r in rows}[ORPHANED_CONV] == "orphaned"
    human = run(sb, tmp_path, "coverage", "--interval", recent())
    assert human.returncode == 0 and "orphaned" in human.stdout and ORPHANED_CONV in human.stdout
    gaps = run(sb, tmp_path, "coverage", "--interval", recent(), "--fail-on-gaps")
    assert gaps.returncode == 1
    bad = run(sb, tmp_path, "coverage", "--interval", "yesterday", "--json")
    assert bad.returncode == 2 and "error" in json.loads(bad.stdout)


def test_orphans_list_and_reattach(sb, tmp_path):
    r = run(sb, tmp_path, "orphans", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert {o["orphan_id"] for o in json.loads(r.stdout)["orphans"]} >= {ORPHAN, NO_CONV}
    r = run(sb, tmp_path, "orphans", "list", "--has-conversation", "--json")
    assert [o["orphan_id"] for o in json.loads(r.stdout)["orphans"]] == [ORPHAN]
    dry = run(sb, tmp_path, "orphans", "reattach", ORPHAN, "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["dry_run"] is True
    done = run(sb, tmp_path, "orphans", "reattach", ORPHAN, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["conversation_id"] == ORPHANED_CONV
    journal = run(sb, tmp_path, "journal", "--json")
    assert "reattach_orphan" in journal.stdout
    again = run(sb, tmp_path, "orphans", "reattach", ORPHAN, "--json")
    assert again.returncode == 4 and json.loads(again.stdout)["error"]["code"] == "not.found"
    unknown = run(sb, tmp_path, "orphans", "reattach", NO_CONV)
    assert unknown.returncode == 4 and "recording.orphan.unknown.conversation" in unknown.stderr


def test_explain_knows_the_orphan_codes():
    from recops.genesys.codes import CODES
    from recops.genesys.explain import explain

    for code, status in (("recording.orphan.retention.data.invalid", 400),
                         ("recording.orphan.unknown.conversation", 400),
                         ("recording.orphan.edit.permission.check.failed", 403)):
        assert CODES[code].statuses == (status,) and CODES[code].evidence.label == "documented"
        assert "--conversation" in str(explain("recording.orphan.unknown.conversation"))
