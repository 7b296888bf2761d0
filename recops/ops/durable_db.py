"""One SQLite file written durably: WAL, ``synchronous=FULL``, one lock, and each write one
``BEGIN IMMEDIATE`` transaction. The base of the journal (``recops.ops.journal``) and of the export
progress store (``recops.export.state``); a failure is a ``JournalError`` naming the file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recops.genesys.errors import JournalError


class DurableDb:
    """``what`` names the file in errors ("the journal"); ``remedy`` says what to do if it cannot
    be opened."""

    what = "the database"
    remedy = "set RECOPS_JOURNAL to a writable file path"
    write_remedy = ""

    def __init__(self, path: str | Path, schema: str, timeout: float = 10) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None,
                                       timeout=timeout)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(schema)
        except (OSError, sqlite3.Error) as e:
            raise JournalError(f"cannot open {self.what} at {self.path}: {e}", self.remedy) from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise JournalError(f"{self.what}: a write failed at {self.path}: {e}", self.write_remedy) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()
