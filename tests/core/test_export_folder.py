"""An export folder is never mixed nor shrunk (issue 17, items 1 and 2).

- ``recops export`` run twice with the embedded sandbox (no sandbox process: each run embeds its
  own): the second run fetches nothing again, the same files, the manifest complete — the
  embedded sandbox is the same demo org in every process;
- two selections into one folder: the manifest holds both (cumulative), CSV and JSON alike;
- a folder exported from one target refuses an export from another (a ``ConfigError`` with a
  ``do:`` remedy), and nothing is written into it.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recops.api.targets import running_sandbox
from recops.cli.commands import app

from .export_helpers import seed_recorded
from .ops_helpers import REPO

DEMO_ENDED = "c0a80001-0000-4000-8000-000000000006"  # the demo's ended, recorded conversation


def _embedded_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    return env | {"HOME": str(home), "PYTHONPATH": str(REPO), "RECOPS_JOURNAL": str(home / "journal.sqlite"),
                  "COLUMNS": "200"}


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recops.cli", "export", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def _demo_ids(count: int) -> list[str]:
    """The demo ended conversation and ``count`` recorded conversations of the demo's seeded
    history, as a fresh demo sandbox in this process names them."""
    from recops.sandbox.server import SandboxServer

    server = SandboxServer(scenario="demo").start()
    try:
        convs = server.control.conversations(limit=1_000_000)
    finally:
        server.stop()
    seeded = [c["id"] for c in convs if c["recordingIds"] and c["ended"] and not c["id"].startswith("c0a80001")]
    return [DEMO_ENDED, *sorted(seeded)[:count]]


def _files(dest: Path) -> dict[str, tuple[int, int]]:
    """Media files in ``dest``: relative path -> (inode, mtime_ns)."""
    return {p.relative_to(dest).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in dest.rglob("*")
            if p.is_file() and not p.name.startswith(("manifest.", "."))}


def _csv_rows(dest: Path) -> list[dict[str, str]]:
    with open(dest / "manifest.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _json(dest: Path) -> dict:
    return json.loads((dest / "manifest.json").read_text())


def _consistent(dest: Path) -> set[tuple[str, str]]:
    """manifest.csv and manifest.json list the same rows; returns their (conversation, recording) keys."""
    from_csv = {(r["conversation_id"], r["recording_id"], r["status"], r["file"]) for r in _csv_rows(dest)}
    from_json = {(r["conversation_id"], r["recording_id"] or "", r["status"], r["file"] or "")
                 for r in _json(dest)["recordings"]}
    assert from_csv == from_json
    assert len(_csv_rows(dest)) == len(_json(dest)["recordings"]) == len(from_csv)
    return {(c, r) for c, r, _, _ in from_csv}


def test_two_processes_with_the_embedded_sandbox_fetch_nothing_again(tmp_path):
    if running_sandbox():
        pytest.skip("a sandbox serves on the default port: the CLI would use it, not an embedded one")
    home, dest = tmp_path / "home", tmp_path / "out"
    home.mkdir()
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(_demo_ids(3)) + "\n")
    env = _embedded_env(home)

    first = _cli(env, "--from-file", str(ids), "--dest", str(dest), "--json")
    assert first.returncode == 0, first.stderr
    assert "using an embedded one" in first.stderr
    files = _files(dest)
    rows = _consistent(dest)
    assert len(files) == len(rows) >= 4

    second = _cli(env, "--from-file", str(ids), "--dest", str(dest), "--json")
    assert second.returncode == 0, second.stderr
    assert _files(dest) == files  # the same files, none fetched again (same inodes and times), none added
    assert _consistent(dest) == rows  # the manifest complete: every row of both runs
    assert {r["note"] for r in _json(dest)["recordings"]} == {"already complete (an earlier run)"}


def test_a_second_selection_adds_rows_and_never_removes_them(sb, tmp_path):
    sb.control.settings(mediaMaxSeconds=2, batchDownloadDelaySeconds=0.2)
    seeded = seed_recorded(sb.control, 4)
    env = {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite"), "COLUMNS": "200"}
    dest = tmp_path / "out"

    def export(*cids: str) -> None:
        result = CliRunner().invoke(app, ["export", "--from-file", "-", "--dest", str(dest), "--json"], env=env,
                                    input="\n".join(cids) + "\n")
        assert result.exit_code == 0, result.output

    export(*(s.conversation_id for s in seeded[:3]))
    export(seeded[3].conversation_id)  # another selection, into the same folder
    want = {(s.conversation_id, r) for s in seeded for r in s.recording_ids}
    assert _consistent(dest) == want
    assert len(_files(dest)) == len(want)
    assert _json(dest)["counts"] == {"exported": len(want)}

    export(seeded[0].conversation_id)  # a selection already there: its rows updated, none added or lost
    assert _consistent(dest) == want


def test_a_folder_from_another_target_is_refused(sb, tmp_path):
    if running_sandbox():
        pytest.skip("a sandbox serves on the default port: the CLI would use it, not an embedded one")
    sb.control.settings(mediaMaxSeconds=2, batchDownloadDelaySeconds=0.2)
    seeded = seed_recorded(sb.control, 1)
    dest = tmp_path / "out"
    home = tmp_path / "home"
    home.mkdir()
    here = _embedded_env(home) | {"RECOPS_SANDBOX_URL": sb.url}
    done = _cli(here, "--from-file", "-", "--dest", str(dest), "--json", stdin=seeded[0].conversation_id)
    assert done.returncode == 0, done.stderr
    before = (dest / "manifest.csv").read_bytes(), (dest / "manifest.json").read_bytes(), _files(dest)

    other = _cli(_embedded_env(home), "--from-file", "-", "--dest", str(dest), "--json",
                 stdin=DEMO_ENDED)  # the embedded sandbox
    assert other.returncode != 0
    error = json.loads(other.stdout)["error"]
    assert error["type"] == "ConfigError", error
    assert sb.url in error["message"] and "another target" in error["message"], error
    assert "another folder" in error["remedy"], error
    assert ((dest / "manifest.csv").read_bytes(), (dest / "manifest.json").read_bytes(), _files(dest)) == before


def test_merge_keeps_earlier_rows_and_replaces_a_conversation_row_once_its_recordings_are_named():
    from recops.export.folder import merge
    from recops.export.manifest import Row

    earlier = [Row("c1", "r1", status="exported"), Row("c2", None, status="cancelled"),
               Row("c3", "r3", status="failed")]
    now = [Row("c2", "r2", status="exported"), Row("c3", "r3", status="exported"), Row("c4", None, status="unknown")]
    merged = [(r.conversation_id, r.recording_id, r.status) for r in merge(earlier, now)]
    assert merged == [("c1", "r1", "exported"), ("c3", "r3", "exported"), ("c2", "r2", "exported"),
                      ("c4", None, "unknown")]


def test_a_seat_folder_names_its_room_and_refuses_another_seat(tmp_path):
    from recops.sandbox.process import room_process

    home, dest, cards = tmp_path / "home", tmp_path / "out", tmp_path / "cards"
    home.mkdir()
    env = _embedded_env(home)
    with room_process(2, cards, env=env | {"PYTHONUNBUFFERED": "1"}):
        room = json.loads((cards / "seat-01.json").read_text())["room"]
        first = _cli(env | {"RECOPS_SEAT_CARD": str(cards / "seat-01.json")}, "--from-file", "-", "--dest", str(dest),
                     "--json", stdin=DEMO_ENDED)
        assert first.returncode == 0, first.stderr
        header = _json(dest)
        assert header["room"] == room and header["target_id"] == f"room {room}, org seat-01"
        assert "Secret" not in json.dumps(header) and "secret" not in (dest / "manifest.json").read_text()
        before = (dest / "manifest.json").read_bytes()

        other = _cli(env | {"RECOPS_SEAT_CARD": str(cards / "seat-02.json")}, "--from-file", "-", "--dest",
                     str(dest), "--json", stdin=DEMO_ENDED)
        assert other.returncode != 0
        error = json.loads(other.stdout)["error"]
        assert error["type"] == "ConfigError" and f"room {room}, org seat-01" in error["message"], error
        assert (dest / "manifest.json").read_bytes() == before
