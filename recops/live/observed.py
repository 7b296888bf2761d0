"""Transitions journaled as observed (not made): a table ``observed`` in the journal's SQLite file,
beside ``changes``. ``CREATE TABLE IF NOT EXISTS``: an older journal gains it on first use, and
older recops versions ignore it (migration-safe)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recops.ops.durable_db import DurableDb

from .transitions import Transition

SCHEMA = """
CREATE TABLE IF NOT EXISTS observed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    target TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    old_state TEXT,
    new_state TEXT NOT NULL,
    secure_pause INTEGER NOT NULL,
    held INTEGER NOT NULL,
    topic TEXT NOT NULL,
    recovered INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS observed_conversation ON observed(conversation_id);
"""


class Observed(DurableDb):
    what = "the journal"
    remedy = "set RECOPS_JOURNAL to a writable file path"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, SCHEMA, timeout=10)

    def record(self, target: str, t: Transition) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO observed (at, target, conversation_id, participant_id, old_state, new_state,"
                       " secure_pause, held, topic, recovered) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       (t.at.isoformat(), target, t.conversation_id, t.participant_id, t.old, t.new,
                        int(t.secure_pause), int(t.held), t.topic, int(t.recovered)))

    def rows(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        with self._tx() as db:
            cur = db.execute("SELECT * FROM observed" + (" WHERE conversation_id=?" if conversation_id else "")
                             + " ORDER BY id", (conversation_id,) if conversation_id else ())
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
