"""A durable journal of every recording-state change, in SQLite (WAL, synchronous=FULL).

Each change writes its *intent* before the request and its *outcome* after. A process that
dies in between leaves the row at ``intent``: the change is **in doubt** (it may or may not
have been applied). ``reconcile(client)`` resolves such rows by reading the live state.

Rows hold the target, the principal (a client id, never a secret), the action, the
conversation/participant, the endpoint, the body sent, the states before/desired/after, the
HTTP status, the Genesys code, the contextId and the times.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from recops.base.frames import typed_frame
from recops.ops.durable_db import DurableDb

SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    target TEXT NOT NULL,
    principal TEXT NOT NULL,
    action TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    participant_id TEXT,
    endpoint TEXT,
    request TEXT,
    before_state TEXT,
    desired_state TEXT,
    status TEXT NOT NULL,
    after_state TEXT,
    http_status INTEGER,
    error_code TEXT,
    context_id TEXT,
    message TEXT,
    pid INTEGER,
    host TEXT
);
CREATE INDEX IF NOT EXISTS changes_status ON changes(status);
CREATE INDEX IF NOT EXISTS changes_conversation ON changes(conversation_id);
"""

COLUMNS = ("id", "started_at", "finished_at", "target", "principal", "action", "conversation_id",
           "participant_id", "endpoint", "request", "before_state", "desired_state", "status",
           "after_state", "http_status", "error_code", "context_id", "message", "pid", "host")

INT_COLUMNS = ("id", "http_status", "pid")
TIME_COLUMNS = ("started_at", "finished_at")
FRAME_DTYPES = {c: "Int64" if c in INT_COLUMNS else "datetime64[ns, UTC]" if c in TIME_COLUMNS else "string"
                for c in COLUMNS}

# intent: sent or about to be sent, outcome unknown; applied/failed: the request's answer;
# skipped: a no-op, nothing sent; resolved-*: an in-doubt change settled by reading the state.
STATUSES = ("intent", "applied", "failed", "skipped", "resolved-applied", "resolved-not-applied")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` of this host still runs (a row it left at intent may be in flight)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Entry:
    id: int
    started_at: str
    finished_at: str | None
    target: str
    principal: str
    action: str
    conversation_id: str
    participant_id: str | None
    endpoint: str | None
    request: str | None
    before_state: str | None
    desired_state: str | None
    status: str
    after_state: str | None
    http_status: int | None
    error_code: str | None
    context_id: str | None
    message: str | None
    pid: int | None
    host: str | None

    @property
    def in_doubt(self) -> bool:
        return self.status == "intent"


class Journal(DurableDb):
    what = "the journal"
    remedy = "set RECOPS_JOURNAL to a writable file path"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, SCHEMA, timeout=10)

    # --- writes -------------------------------------------------------------------------------

    def intent(self, *, target: str, principal: str, action: str, conversation_id: str,
               participant_id: str | None, endpoint: str | None, request: Any, before: str | None,
               desired: str | None) -> int:
        """Record a change about to be sent; returns its id. Durable before the request leaves."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO changes (started_at, target, principal, action, conversation_id, participant_id,"
                " endpoint, request, before_state, desired_state, status, pid, host)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,'intent',?,?)",
                (_now(), target, principal, action, conversation_id, participant_id, endpoint,
                 json.dumps(request) if request is not None else None, before, desired, os.getpid(),
                 socket.gethostname()),
            )
            return int(cur.lastrowid or 0)

    def outcome(self, entry_id: int, *, status: str, after: str | None = None, http_status: int | None = None,
                error_code: str | None = None, context_id: str | None = None, message: str | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown journal status {status!r}")
        with self._tx() as db:
            db.execute(
                "UPDATE changes SET finished_at=?, status=?, after_state=?, http_status=?, error_code=?,"
                " context_id=COALESCE(?, context_id), message=? WHERE id=?",
                (_now(), status, after, http_status, error_code, context_id, message, entry_id),
            )

    def note(self, entry_id: int, message: str, *, http_status: int | None = None, error_code: str | None = None,
             context_id: str | None = None) -> None:
        """Add a message (and what answer there was) to an entry without settling it: e.g. no
        answer, or a 5xx, after which the change may or may not have been applied."""
        with self._tx() as db:
            db.execute("UPDATE changes SET message=?, http_status=COALESCE(?, http_status),"
                       " error_code=COALESCE(?, error_code), context_id=COALESCE(?, context_id) WHERE id=?",
                       (message, http_status, error_code, context_id, entry_id))

    def skipped(self, *, target: str, principal: str, action: str, conversation_id: str,
                participant_id: str | None, state: str, reason: str) -> int:
        with self._tx() as db:
            now = _now()
            cur = db.execute(
                "INSERT INTO changes (started_at, finished_at, target, principal, action, conversation_id,"
                " participant_id, before_state, desired_state, after_state, status, message, pid, host)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,'skipped',?,?,?)",
                (now, now, target, principal, action, conversation_id, participant_id, state, state, state,
                 reason, os.getpid(), socket.gethostname()),
            )
            return int(cur.lastrowid or 0)

    # --- reads --------------------------------------------------------------------------------

    def entries(self, limit: int | None = None, conversation_id: str | None = None,
                status: str | None = None) -> list[Entry]:
        """Entries oldest first: the last ``limit`` of them, only one conversation's, only those in
        ``status`` — all filtered by SQLite, not by reading every row."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown journal status {status!r}")
        where = [(clause, value) for clause, value in (("conversation_id=?", conversation_id), ("status=?", status))
                 if value]
        sql = f"SELECT {', '.join(COLUMNS)} FROM changes"
        if where:
            sql += " WHERE " + " AND ".join(clause for clause, _ in where)
        args: list[Any] = [value for _, value in where]
        if limit:
            sql += " ORDER BY id DESC LIMIT ?"
            args.append(limit)
        else:
            sql += " ORDER BY id"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        entries = [Entry(*row) for row in rows]
        return entries[::-1] if limit else entries

    def get(self, entry_id: int) -> Entry | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM changes WHERE id=?", (entry_id,)).fetchone()
        return Entry(*row) if row else None

    def in_doubt(self) -> list[Entry]:
        """Changes whose outcome was never written, by a process that is gone (or another host)."""
        host = socket.gethostname()
        return [e for e in self.entries(status="intent")
                if not (e.host == host and e.pid != os.getpid() and pid_alive(e.pid))]

    def to_frame(self) -> Any:
        """Every entry, one row each, with the dtypes of ``FRAME_DTYPES`` whatever the rows hold
        (an empty journal included)."""
        return typed_frame([e.__dict__ for e in self.entries()], FRAME_DTYPES)

    def to_csv(self, path: str | Path) -> Path:
        out = Path(path)
        self.to_frame().to_csv(out, index=False)
        return out
