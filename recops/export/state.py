"""The progress of recording exports, in its own SQLite file beside the journal
(``settings.journal_path.parent / "exports.sqlite"``; WAL, synchronous=FULL).

An export is keyed by :func:`export_id`: a hash of the target's description, the principal (a
client or user id, never a secret) and the real path of the destination directory, so running
the same export again (after a crash, a ``kill -9``, a cancel) finds what the earlier runs did.

Two things are kept per export:

- ``files``: one row per recording whose file is complete in the destination — written only
  *after* the file was fsync'd, renamed to its final name and its directory fsync'd
  (``recops.export.downloads``), with its bytes, SHA-256 and the wall-clock time it was recorded;
- ``conversations``: the recordings a batch named for a conversation (a conversation-only
  item), so a later run can ask for the missing ones alone, or for none at all.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from recops.ops.durable_db import DurableDb

FILE_NAME = "exports.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS exports (
    export_id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    principal TEXT NOT NULL,
    dest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    export_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    recording_id TEXT NOT NULL,
    file TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    media_type TEXT,
    completed_at TEXT NOT NULL,
    PRIMARY KEY (export_id, conversation_id, recording_id)
);
CREATE TABLE IF NOT EXISTS conversations (
    export_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    recording_ids TEXT NOT NULL,
    resolved_at TEXT NOT NULL,
    PRIMARY KEY (export_id, conversation_id)
);
"""


def now_iso() -> str:
    """Wall-clock UTC with microseconds (compared with the sandbox's request log)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def export_id(target: str, principal: str, dest: str | Path) -> str:
    """The key of an export: the same target, principal and destination give the same id."""
    real = os.path.realpath(os.fspath(dest))
    return hashlib.sha256("\n".join((target, principal, real)).encode()).hexdigest()[:20]


def default_path(journal_path: Path) -> Path:
    return Path(journal_path).expanduser().parent / FILE_NAME


@dataclass(frozen=True)
class CompleteFile:
    conversation_id: str
    recording_id: str
    file: str  # relative to the destination
    bytes: int
    sha256: str
    media_type: str | None
    completed_at: str


class ExportState(DurableDb):
    """The progress store. Thread-safe; every write is one durable transaction."""

    what = "the export progress store"
    remedy = "set RECOPS_JOURNAL to a writable file path (the store lives beside it)"
    write_remedy = "check the disk holding the journal; re-run the export to resume"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, SCHEMA, timeout=30)

    def __enter__(self) -> ExportState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writes -------------------------------------------------------------------------------

    def begin(self, export: str, *, target: str, principal: str, dest: str) -> None:
        stamp = now_iso()
        with self._tx() as db:
            db.execute("INSERT INTO exports (export_id, target, principal, dest, created_at, updated_at)"
                       " VALUES (?,?,?,?,?,?) ON CONFLICT(export_id) DO UPDATE SET updated_at=excluded.updated_at",
                       (export, target, principal, dest, stamp, stamp))

    def complete(self, export: str, conversation_id: str, recording_id: str, *, file: str, size: int, sha256: str,
                 media_type: str | None) -> CompleteFile:
        """Record a file as complete (call only once it is renamed and its directory fsync'd)."""
        return self.complete_many(export, [CompleteFile(conversation_id, recording_id, file, size, sha256,
                                                        media_type, "")])[0]

    def complete_many(self, export: str, files: list[CompleteFile]) -> list[CompleteFile]:
        """Record several complete files in one transaction (one fsync of the store, not one per
        file); each only once it is renamed and its directory fsync'd. Their ``completed_at`` is
        the time of this call."""
        stamp = now_iso()
        done = [CompleteFile(f.conversation_id, f.recording_id, f.file, f.bytes, f.sha256, f.media_type, stamp)
                for f in files]
        if not done:
            return done
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO files (export_id, conversation_id, recording_id, file, bytes,"
                           " sha256, media_type, completed_at) VALUES (?,?,?,?,?,?,?,?)",
                           [(export, d.conversation_id, d.recording_id, d.file, d.bytes, d.sha256, d.media_type,
                             d.completed_at) for d in done])
        return done

    def forget(self, export: str, conversation_id: str, recording_id: str) -> None:
        """Drop a completion whose file is gone or changed (it is fetched again)."""
        with self._tx() as db:
            db.execute("DELETE FROM files WHERE export_id=? AND conversation_id=? AND recording_id=?",
                       (export, conversation_id, recording_id))

    def resolved(self, export: str, conversation_id: str, recording_ids: list[str]) -> None:
        """The recordings a batch named for ``conversation_id``."""
        self.resolved_many(export, {conversation_id: recording_ids})

    def resolved_many(self, export: str, named: dict[str, list[str]]) -> None:
        """The recordings a batch named, per conversation, in one transaction."""
        if not named:
            return
        stamp = now_iso()
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO conversations (export_id, conversation_id, recording_ids,"
                           " resolved_at) VALUES (?,?,?,?)",
                           [(export, cid, json.dumps(sorted(rids)), stamp) for cid, rids in named.items()])

    # --- reads --------------------------------------------------------------------------------

    def files(self, export: str) -> dict[tuple[str, str], CompleteFile]:
        with self._lock:
            rows = self._db.execute(
                "SELECT conversation_id, recording_id, file, bytes, sha256, media_type, completed_at FROM files"
                " WHERE export_id=?", (export,)).fetchall()
        return {(r[0], r[1]): CompleteFile(*r) for r in rows}

    def conversations(self, export: str) -> dict[str, list[str]]:
        with self._lock:
            rows = self._db.execute("SELECT conversation_id, recording_ids FROM conversations WHERE export_id=?",
                                    (export,)).fetchall()
        return {cid: json.loads(ids) for cid, ids in rows}
