"""Two ``recops export`` processes into one folder (issue 17's leftover): they are not both let
write it (each merges into the manifest it read at its start: the last to write it would drop the
other's rows). The second fails at once with a message naming the folder and the first one's pid;
once the first is done, the second selection goes in and the manifest holds both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from recops.export.folder import LOCK_NAME

from .export_helpers import BATCHES, check_files, seed_recorded
from .ops_helpers import REPO

MEDIA = "/media/batch/*"


def _env(sandbox_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    return env | {"HOME": str(home), "PYTHONPATH": str(REPO), "RECOPS_SANDBOX_URL": sandbox_url,
                  "RECOPS_JOURNAL": str(home / "journal.sqlite"), "COLUMNS": "200"}


def _command(listing: Path, dest: Path) -> list[str]:
    return [sys.executable, "-m", "recops.cli", "export", "--from-file", str(listing), "--dest", str(dest),
            "--concurrency", "1", "--json"]


def test_a_second_export_into_a_folder_being_written_fails_at_once_and_loses_nothing(sb, tmp_path):
    sb.control.settings(mediaMaxSeconds=1, batchDownloadDelaySeconds=0.2)
    seeded = seed_recorded(sb.control, 5)
    # every download served late: the first export lasts long enough for the second to start mid-way
    sb.control.call("POST", "faults", [{"method": "GET", "path": MEDIA, "action": "delay", "latencyMs": 700,
                                        "count": 1_000_000}])
    home, dest = tmp_path / "home", tmp_path / "out"
    home.mkdir()
    env = _env(sb.url, home)
    first_ids, second_ids = tmp_path / "first.txt", tmp_path / "second.txt"
    first_ids.write_text("\n".join(s.conversation_id for s in seeded[:4]) + "\n")
    second_ids.write_text(seeded[4].conversation_id + "\n")

    first = subprocess.Popen(_command(first_ids, dest), cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        # under way: it has asked for its batch (its folder claimed, its downloads not all done)
        while not [e for e in sb.control.requests(path=BATCHES) if e["method"] == "POST"]:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first export never asked for its batch"
            time.sleep(0.05)
        started = time.monotonic()
        second = subprocess.run(_command(second_ids, dest), cwd=REPO, env=env, capture_output=True, text=True,
                                timeout=120)
        took = time.monotonic() - started
        assert first.poll() is None, "the first export ended before the second one ran: slow its downloads more"
        _out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err[-3000:]

    assert second.returncode != 0, second.stdout[-2000:]
    error = json.loads(second.stdout)["error"]
    assert error["type"] == "ConfigError", error
    assert error["message"] == f"another export is writing to {dest} (pid {first.pid})", error
    assert "wait" in error["remedy"] and "another folder" in error["remedy"], error
    assert took < 15, f"the second export took {took:.1f} s to refuse: it must not wait"

    # once the first is done, the second selection goes in; the manifest holds both
    again = subprocess.run(_command(second_ids, dest), cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    rows = json.loads((dest / "manifest.json").read_text())["recordings"]
    want = {(s.conversation_id, r) for s in seeded for r in s.recording_ids}
    assert {(r["conversation_id"], r["recording_id"]) for r in rows} == want
    check_files(sb.control, dest, rows)
    assert (dest / LOCK_NAME).is_file() and not (dest / LOCK_NAME).is_symlink()


def test_a_link_planted_as_the_lock_is_refused_and_not_followed(sb, tmp_path):
    seeded = seed_recorded(sb.control, 1)
    home, dest = tmp_path / "home", tmp_path / "out"
    home.mkdir()
    dest.mkdir()
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not yours\n")
    (dest / LOCK_NAME).symlink_to(elsewhere)
    listing = tmp_path / "ids.txt"
    listing.write_text(seeded[0].conversation_id + "\n")
    done = subprocess.run(_command(listing, dest), cwd=REPO, env=_env(sb.url, home), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0, done.stdout[-2000:]
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "ConfigError" and LOCK_NAME in error["message"], error
    assert elsewhere.read_text() == "not yours\n"
    assert not (dest / "manifest.json").exists()
