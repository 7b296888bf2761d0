"""recops/export/state.py: the export progress store (SQLite WAL, synchronous=FULL) and its key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from recops.export.state import ExportState, default_path, export_id
from recops.genesys.errors import JournalError

REPO = Path(__file__).resolve().parents[2]


def test_the_export_id_is_the_same_for_the_same_target_principal_and_real_dest(tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    link = tmp_path / "link"
    link.symlink_to(dest)
    one = export_id("SANDBOX (http://127.0.0.1:1)", "client:abc", dest)
    assert export_id("SANDBOX (http://127.0.0.1:1)", "client:abc", link) == one  # realpath
    assert export_id("SANDBOX (http://127.0.0.1:1)", "client:abc", tmp_path / "out" / ".." / "out") == one
    assert export_id("SANDBOX (http://127.0.0.1:2)", "client:abc", dest) != one
    assert export_id("SANDBOX (http://127.0.0.1:1)", "client:xyz", dest) != one
    assert export_id("SANDBOX (http://127.0.0.1:1)", "client:abc", tmp_path) != one


def test_the_store_lives_beside_the_journal_in_wal_mode_with_full_sync(tmp_path):
    path = default_path(tmp_path / "state" / "journal.sqlite")
    assert path == tmp_path / "state" / "exports.sqlite"
    with ExportState(path) as state:
        assert state._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert state._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_completions_and_resolved_conversations_are_kept_per_export(tmp_path):
    path = tmp_path / "exports.sqlite"
    with ExportState(path) as state:
        state.begin("e1", target="t", principal="p", dest="/d")
        done = state.complete("e1", "c1", "r1", file="c1/r1.wav", size=10, sha256="ab", media_type="audio/wav")
        state.complete("e2", "c1", "r1", file="c1/r1.wav", size=99, sha256="cd", media_type=None)
        state.resolved("e1", "c1", ["r2", "r1"])
    with ExportState(path) as state:
        files = state.files("e1")
        assert files == {("c1", "r1"): done}
        assert (done.bytes, done.sha256, done.file) == (10, "ab", "c1/r1.wav")
        assert done.completed_at.endswith("+00:00")
        assert state.files("e2")[("c1", "r1")].bytes == 99
        assert state.conversations("e1") == {"c1": ["r1", "r2"]}
        assert state.conversations("e2") == {}
        state.forget("e1", "c1", "r1")
        assert state.files("e1") == {}


def test_a_completion_survives_a_sigkill_right_after_it_is_recorded(tmp_path):
    path = tmp_path / "exports.sqlite"
    code = textwrap.dedent(f"""
        import os, signal
        from recops.export.state import ExportState
        state = ExportState({str(path)!r})
        state.complete("e", "c", "r", file="c/r.wav", size=3, sha256="x", media_type="audio/wav")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": str(REPO)}, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with ExportState(path) as state:
        assert state.files("e")[("c", "r")].bytes == 3


def test_an_unwritable_store_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(JournalError, match="RECOPS_JOURNAL"):
        ExportState(blocker / "exports.sqlite")
