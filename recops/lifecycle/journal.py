"""The lifecycle's part of the journal: three tables in the SAME durable SQLite file as
``recops.ops.journal`` (WAL, ``synchronous=FULL``), created with ``IF NOT EXISTS`` so an older
journal gains them on first open and the ``changes`` table is never touched (migration-safe).

- ``lifecycle_changes``: one row per conversation (legal hold) or per recording (retention):
  ``intent`` before the request, its outcome after (``applied``, ``failed``, ``refused``: nothing
  sent), like ``changes``; a row left at ``intent`` is in doubt.
- ``recording_jobs``: one row per bulk recording job this journal created: target, principal,
  action, query, the READY counts, the confirmed count, and ``ended`` once its end is known.
- ``recording_job_steps``: the steps of each job, each ``intent`` then ``done``/``failed``/
  ``resolved-*``: ``create`` (before the POST: no job id yet, keyed by the job row),
  ``ready``, ``execute`` (the one PUT ``PROCESSING``), ``cancel``, ``end``. An ``execute`` left
  at ``intent`` is settled by READING the job's state (``recops.lifecycle.job_reconcile``), never
  by a second PUT.

Rows name a principal (a client id or user id), never a secret.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from recops.ops.durable_db import DurableDb

SCHEMA = """
CREATE TABLE IF NOT EXISTS lifecycle_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    target TEXT NOT NULL,
    principal TEXT NOT NULL,
    kind TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    recording_id TEXT,
    endpoint TEXT,
    request TEXT,
    before_state TEXT,
    desired_state TEXT,
    status TEXT NOT NULL,
    after_state TEXT,
    http_status INTEGER,
    error_code TEXT,
    message TEXT,
    pid INTEGER,
    host TEXT
);
CREATE INDEX IF NOT EXISTS lifecycle_changes_conv ON lifecycle_changes(conversation_id);
CREATE INDEX IF NOT EXISTS lifecycle_changes_status ON lifecycle_changes(status);
CREATE TABLE IF NOT EXISTS recording_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT UNIQUE,
    created_at TEXT NOT NULL,
    target TEXT NOT NULL,
    principal TEXT NOT NULL,
    action TEXT NOT NULL,
    query TEXT NOT NULL,
    state TEXT,
    total_conversations INTEGER,
    total_recordings INTEGER,
    confirmed_count INTEGER,
    ended TEXT,
    message TEXT
);
CREATE TABLE IF NOT EXISTS recording_job_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_row INTEGER NOT NULL REFERENCES recording_jobs(id),
    step TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT,
    http_status INTEGER,
    error_code TEXT,
    message TEXT,
    pid INTEGER,
    host TEXT
);
CREATE INDEX IF NOT EXISTS recording_job_steps_job ON recording_job_steps(job_row);
"""

CHANGE_STATUSES = ("intent", "applied", "failed", "refused", "resolved-applied", "resolved-not-applied")
STEP_STATUSES = ("intent", "done", "failed", "resolved-done", "resolved-not-done")
STEPS = ("create", "ready", "execute", "cancel", "end")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class LifecycleJournal(DurableDb):
    what = "the journal"
    remedy = "set RECOPS_JOURNAL to a writable file path"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, SCHEMA, timeout=10)

    # --- changes (hold, retention) -------------------------------------------------------------

    def intents(self, rows: list[dict[str, Any]], *, target: str, principal: str, kind: str) -> list[int]:
        """Many changes about to be sent, in one transaction; their ids in order. Each row: ``conversation_id``,
        and optionally ``recording_id``, ``endpoint``, ``request``, ``before``, ``desired``."""
        ids: list[int] = []
        with self._tx() as db:
            for r in rows:
                cur = db.execute(
                    "INSERT INTO lifecycle_changes (started_at, target, principal, kind, conversation_id, recording_id,"
                    " endpoint, request, before_state, desired_state, status, pid, host)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,'intent',?,?)",
                    (now_iso(), target, principal, kind, r["conversation_id"], r.get("recording_id"), r.get("endpoint"),
                     json.dumps(r["request"]) if r.get("request") is not None else None, r.get("before"),
                     r.get("desired"), os.getpid(), socket.gethostname()))
                ids.append(int(cur.lastrowid or 0))
        return ids

    def outcomes(self, updates: list[tuple[int, str, dict[str, Any]]]) -> None:
        """Settle many changes at once: ``(id, status, {after, http_status, error_code, message})``."""
        with self._tx() as db:
            for entry_id, status, info in updates:
                if status not in CHANGE_STATUSES:
                    raise ValueError(f"unknown lifecycle status {status!r}")
                db.execute("UPDATE lifecycle_changes SET finished_at=?, status=?, after_state=?, http_status=?,"
                           " error_code=?, message=? WHERE id=?",
                           (now_iso(), status, info.get("after"), info.get("http_status"), info.get("error_code"),
                            info.get("message"), entry_id))

    def refused(self, rows: list[dict[str, Any]], *, target: str, principal: str, kind: str, reason: str) -> None:
        """Changes refused before sending (e.g. a deleteDate on a protected conversation)."""
        ids = self.intents(rows, target=target, principal=principal, kind=kind)
        self.outcomes([(i, "refused", {"message": reason}) for i in ids])

    def changes(self, kind: str | None = None, target: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM lifecycle_changes"
        where = [(c, v) for c, v in (("kind=?", kind), ("target=?", target)) if v]
        if where:
            sql += " WHERE " + " AND ".join(c for c, _ in where)
        with self._lock:
            cur = self._db.execute(sql + " ORDER BY id", [v for _, v in where])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def protected_by_recops(self, target: str) -> set[str]:
        """Conversations whose last applied protect/revoke on ``target`` (by any principal of this
        journal) was a protect: what this journal knows recops protected and did not revoke."""
        sql = ("SELECT conversation_id, kind FROM lifecycle_changes WHERE target=? AND kind IN ('protect','revoke')"
               " AND status IN ('applied','resolved-applied') ORDER BY id")
        with self._lock:
            rows = self._db.execute(sql, (target,)).fetchall()
        last: dict[str, str] = {}
        for cid, kind in rows:
            last[cid] = kind
        return {cid for cid, kind in last.items() if kind == "protect"}

    # --- recording jobs -----------------------------------------------------------------------

    def job_created(self, *, target: str, principal: str, action: str, query: dict[str, Any]) -> int:
        """A job about to be created (before the POST): its row id, with a ``create`` intent."""
        with self._tx() as db:
            cur = db.execute("INSERT INTO recording_jobs (created_at, target, principal, action, query)"
                             " VALUES (?,?,?,?,?)", (now_iso(), target, principal, action, json.dumps(query)))
            row = int(cur.lastrowid or 0)
            self._step(db, row, "create", "intent")
        return row

    def _step(self, db: Any, row: int, step: str, status: str, **info: Any) -> int:
        done = None if status == "intent" else now_iso()
        cur = db.execute("INSERT INTO recording_job_steps (job_row, step, status, started_at, finished_at, state,"
                         " http_status, error_code, message, pid, host) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         (row, step, status, now_iso(), done, info.get("state"), info.get("http_status"),
                          info.get("error_code"), info.get("message"), os.getpid(), socket.gethostname()))
        return int(cur.lastrowid or 0)

    def step_intent(self, row: int, step: str, **info: Any) -> int:
        with self._tx() as db:
            return self._step(db, row, step, "intent", **info)

    def step_done(self, row: int, step: str, status: str = "done", **info: Any) -> int:
        """A step that happened at once (``ready``, ``end``): written done."""
        with self._tx() as db:
            return self._step(db, row, step, status, **info)

    def settle_step(self, step_id: int, status: str, **info: Any) -> None:
        if status not in STEP_STATUSES:
            raise ValueError(f"unknown step status {status!r}")
        with self._tx() as db:
            db.execute("UPDATE recording_job_steps SET status=?, finished_at=?, state=COALESCE(?, state),"
                       " http_status=COALESCE(?, http_status), error_code=COALESCE(?, error_code),"
                       " message=COALESCE(?, message) WHERE id=?",
                       (status, now_iso(), info.get("state"), info.get("http_status"), info.get("error_code"),
                        info.get("message"), step_id))

    def set_job(self, row: int, **fields: Any) -> None:
        allowed = {"job_id", "state", "total_conversations", "total_recordings", "confirmed_count", "ended", "message"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"unknown job fields {sorted(bad)}")
        if not fields:
            return
        with self._tx() as db:
            db.execute(f"UPDATE recording_jobs SET {', '.join(f'{k}=?' for k in fields)} WHERE id=?",
                       (*fields.values(), row))

    def job_row(self, job_id: str) -> dict[str, Any] | None:
        rows = self._select("SELECT * FROM recording_jobs WHERE job_id=?", (job_id,))
        return rows[0] if rows else None

    def jobs(self, target: str | None = None, unfinished: bool = False) -> list[dict[str, Any]]:
        sql = "SELECT * FROM recording_jobs"
        where = [c for c, v in (("target=?", target), ("ended IS NULL", unfinished)) if v]
        args = (target,) if target else ()
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self._select(sql + " ORDER BY id", args)

    def steps(self, row: int | None = None) -> list[dict[str, Any]]:
        if row is None:
            return self._select("SELECT * FROM recording_job_steps ORDER BY id", ())
        return self._select("SELECT * FROM recording_job_steps WHERE job_row=? ORDER BY id", (row,))

    def _select(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._db.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
