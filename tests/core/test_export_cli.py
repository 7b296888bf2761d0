"""``recops export`` against the real sandbox: ids or a table from a file (or stdin), --interval,
the summary table or the manifest as --json, the exit codes (0 all exported, 4 some not, 130
interrupted), and Ctrl-C leaving a manifest and no temporary file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from recops.cli.commands import app

from .export_helpers import (
    batch_posts,
    check_files,
    clear,
    complete_count,
    leftovers,
    manifest_json,
    seed_recorded,
    table_of,
)
from .ops_helpers import REPO


@pytest.fixture
def env(sb, tmp_path) -> dict[str, str]:
    sb.control.settings(mediaMaxSeconds=2, batchDownloadDelaySeconds=0.2)
    return {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite"), "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, stdin: str | None = None):
    result = CliRunner().invoke(app, ["export", *args], env=env, input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_ids_from_a_file_are_exported_and_summarised(sb, env, tmp_path):
    seeded = seed_recorded(sb.control, 3)
    listing = tmp_path / "ids.txt"
    listing.write_text("# to export\n" + "\n".join(s.conversation_id for s in seeded) + "\n")
    dest = tmp_path / "out"
    r = run(env, "--from-file", str(listing), "--dest", str(dest))
    assert r.exit_code == 0, r.output
    assert f"export, 3 row(s) into {dest}: 3 exported" in r.stdout
    assert f"manifest: {dest / 'manifest.csv'} and {dest / 'manifest.json'}" in r.stdout
    assert f"target: SANDBOX ({sb.url})" in r.stderr
    check_files(sb.control, dest, manifest_json(dest)["recordings"])

    # again: nothing to fetch, the same manifest, exit 0
    clear(sb.control)
    r = run(env, "--from-file", str(listing), "--dest", str(dest), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["counts"] == {"exported": 3} and data["dest"] == str(dest)
    assert {row["note"] for row in data["recordings"]} == {"already complete (an earlier run)"}
    assert batch_posts(sb.control) == []


def test_a_table_from_stdin_and_exit_4_when_some_are_not_exported(sb, env, tmp_path):
    ok, deleted = seed_recorded(sb.control, 2)
    sb.control.set_file_state(deleted.conversation_id, deleted.recording_ids[0], "DELETED")
    table = table_of([ok, deleted]).to_csv(index=False)
    r = run(env, "--from-file", "-", "--dest", str(tmp_path / "out"), "--json", stdin=table)
    assert r.exit_code == 4, r.output
    data = json.loads(r.stdout)
    by = {row["conversation_id"]: row for row in data["recordings"]}
    assert by[ok.conversation_id]["status"] == "exported"
    assert by[deleted.conversation_id]["status"] == "failed" and by[deleted.conversation_id]["error"]
    assert data == manifest_json(tmp_path / "out")

    # only malformed ids left out: 2 (bad input), the rest exported
    r = run(env, "--from-file", "-", "--dest", str(tmp_path / "two"), stdin=f"{ok.conversation_id} not-an-id\n")
    assert r.exit_code == 2, r.output
    assert "1 exported, 1 invalid" in r.stdout


def test_an_interval_exports_its_recorded_conversations(sb, env, tmp_path, demo):
    dest = tmp_path / "out"
    day = time.strftime("%Y-%m-%d", time.gmtime())
    r = run(env, "--interval", f"{day}T00:00:00Z/{day}T23:59:59Z", "--dest", str(dest), "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert demo.ENDED in {row["conversation_id"] for row in data["recordings"]}
    assert data["dry_run"] is True and not dest.exists()
    assert {row["status"] for row in data["recordings"]} == {"pending"}


def test_ctrl_c_leaves_a_manifest_and_no_temporary_file_and_the_rerun_finishes(sb, env, tmp_path):
    seeded = seed_recorded(sb.control, 40)
    listing = tmp_path / "ids.csv"
    table_of(seeded).to_csv(listing, index=False)
    sb.control.fault(method="GET", path="/media/batch/*", action="delay", latencyMs=150, count=1000)
    dest = tmp_path / "out"
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    proc = subprocess.Popen([sys.executable, "-m", "recops.cli", "export", "--from-file", str(listing), "--dest",
                             str(dest), "--concurrency", "2"], cwd=REPO, env=child_env | env | {
                                 "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while complete_count(tmp_path / "exports.sqlite") == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err and "run the same command again" in err
    data = manifest_json(dest)
    assert data["cancelled"] is True
    statuses = {row["status"] for row in data["recordings"]}
    assert statuses <= {"exported", "cancelled"} and "cancelled" in statuses
    assert leftovers(dest) == []
    check_files(sb.control, dest, [row for row in data["recordings"] if row["status"] == "exported"])

    sb.control.clear_faults()
    r = run(env, "--from-file", str(listing), "--dest", str(dest))
    assert r.exit_code == 0, r.output
    check_files(sb.control, dest, manifest_json(dest)["recordings"])


def test_downloads_that_fail_after_their_retries_or_whose_links_keep_expiring_exit_4(sb, env, tmp_path):
    ok, broken, expiring = seed_recorded(sb.control, 3)
    sb.control.settings(batchDownloadUrlTtlSeconds=1)
    # every try at one file is a 503 (DownloadFailed after its tries); every link of another expires before
    # its download arrives (LinkExpired, asked for again in new batches until the rounds run out)
    sb.control.fault(method="GET", path=f"/media/batch/*/{broken.conversation_id}/*", status=503, retryAfter=0,
                     count=100)
    sb.control.fault(method="GET", path=f"/media/batch/*/{expiring.conversation_id}/*", action="delay",
                     latencyMs=2500, count=100)
    dest = tmp_path / "out"
    r = run(env, "--from-file", "-", "--dest", str(dest), "--json", stdin=table_of([ok, broken, expiring]).to_csv(
        index=False))
    assert r.exit_code == 4, r.output
    by = {row["conversation_id"]: row for row in json.loads(r.stdout)["recordings"]}
    assert by[ok.conversation_id]["status"] == "exported"
    assert by[broken.conversation_id]["status"] == "failed"
    assert "failed after 6 tries: HTTP 503" in by[broken.conversation_id]["error"]
    assert "Signature" not in by[broken.conversation_id]["error"]  # the signed query never leaves the downloader
    assert by[expiring.conversation_id]["status"] == "failed"
    assert "link expired before it was fetched, 5 times" in by[expiring.conversation_id]["error"]
    check_files(sb.control, dest, [by[ok.conversation_id]])
    assert leftovers(dest) == []


@pytest.mark.parametrize("columns", [80, 160])
def test_at_80_and_160_columns_each_recording_not_exported_is_listed_with_its_id_and_reason(sb, env, tmp_path,
                                                                                            columns):
    """Issue 17, item 6: at 80 columns the table's status and detail columns collapsed to nothing
    ("1 exported, 1 failed", without which or why). Through the real CLI (a subprocess)."""
    ok, deleted = seed_recorded(sb.control, 2)
    sb.control.set_file_state(deleted.conversation_id, deleted.recording_ids[0], "DELETED")
    listing = tmp_path / "ids.txt"
    listing.write_text(f"{ok.conversation_id}\n{deleted.conversation_id}\n")
    dest = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "recops.cli", "export", "--from-file", str(listing),
                           "--dest", str(dest)], cwd=REPO, env={**os.environ, **env, "COLUMNS": str(columns)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr
    error = {r["conversation_id"]: r for r in manifest_json(dest)["recordings"]}[deleted.conversation_id]["error"]
    assert error
    listed = [line for line in done.stdout.split("\n- ")[1:]]  # each row not exported, wrapped
    assert len(listed) == 1, done.stdout
    flat = " ".join(listed[0].split())
    assert flat.startswith(f"deleted: conversation {deleted.conversation_id} recording {deleted.recording_ids[0]}: ")
    assert " ".join(error.split()) in flat, done.stdout  # the reason in full, not cut
    assert "1 exported, 1 deleted" in " ".join(done.stdout.split())
    assert f"manifest: {dest / 'manifest.csv'}" in done.stdout
    assert all(len(line) <= columns for line in done.stdout.splitlines() if str(dest) not in line), done.stdout
