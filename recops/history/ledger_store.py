"""The ledger's cache: the pause facts of conversations whose recordings are final, by UTC day.

A conversation's pause annotations do not change once it has ended and its recordings are final
(``AVAILABLE``, ``ARCHIVED``, ``DELETED``, ``RESTORED``...; not ``UPLOADING``, not a 202
"transcoding", not an error), so each such conversation's recordings are read once, ever: the
ledger asks this store which conversations it already holds and reads only the others.

Layout, next to the interval tables' directories under ``Settings.cache_dir``::

    <cache_dir>/ledger-<key>/query.json                    what the key stands for (target, principal)
    <cache_dir>/ledger-<key>/day=2026-03-01/ledger.parquet  one row per recording, its pauses nested
    <cache_dir>/ledger-<key>/runs.json                      the intervals ledgered, for ``--since-last``
    <cache_dir>/ledger-<key>/.tmp/                          files being written

``key`` hashes the target's URL and the principal, as the interval tables' keys do, but not the
filters: a conversation's recordings are the same whichever filter found it. The day is the
conversation's start (UTC). A day's file is rewritten whole on each flush (its old rows plus the
new ones, to a temp file, fsynced, then ``os.replace``): a crash leaves the day as it was before
the flush or as it is after it, never a half row, and a conversation (all its recordings) is in
one day, so it is either cached whole or not at all.

The rows are queryable with ``rc.store.sql`` as the views ``ledger`` (one row per recording) and
``ledger_pauses`` (one row per pause annotation): ``recops.history.store.Store.connect``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import ConfigError

from .cache_files import arrow_type, write_json
from .keys import day_name, query_key
from .views import parquet_view

if TYPE_CHECKING:
    import pyarrow as pa

LEDGER_VERSION = 1  # bump when the cached columns change: a new key, the old cache is not read
FILE = "ledger.parquet"
RECORDINGS_VIEW = "ledger"
PAUSES_VIEW = "ledger_pauses"

# the cached facts: the ledger's columns without the names (looked up when shown), pauses nested
FACT_COLUMNS: dict[str, str] = {
    "conversation_id": "string", "recording_id": "string",
    "conversation_start": "datetime", "conversation_end": "datetime",
    "queue_ids": "string", "user_ids": "string", "media": "string", "file_state": "string",
    "recording_start": "datetime", "recording_end": "datetime", "recording_ms": "int",
    "pause_count": "int", "secure_paused_ms": "int", "hold_count": "int", "hold_paused_ms": "int",
    "other_paused_ms": "int", "secure_share": "float", "paused_share": "float", "open_at_end": "bool",
    "paused_by": "string", "pause_reasons": "string", "note": "string",
}
PAUSE_FACT_COLUMNS: dict[str, str] = {
    "reason": "string", "started_at": "datetime", "offset_ms": "int", "duration_ms": "int",
    "open_at_end": "bool", "paused_by": "string", "annotation_id": "string",
}




def arrow_schema() -> pa.Schema:
    import pyarrow as pa

    pause = pa.struct([(name, arrow_type(kind)) for name, kind in PAUSE_FACT_COLUMNS.items()])
    return pa.schema([*((name, arrow_type(kind)) for name, kind in FACT_COLUMNS.items()),
                      ("pauses", pa.list_(pause)), ("read_at", pa.timestamp("us", tz="UTC"))])


def ledger_identity(identity: Mapping[str, Any]) -> dict[str, Any]:
    """The ledger's identity from an interval store's: the target and principal, no filters."""
    return {"url": identity.get("url"), "principal": identity.get("principal"), "table": "ledger",
            "ledger_version": LEDGER_VERSION}


class LedgerStore:
    """The cached pause facts of one target and principal (see the module docstring)."""

    def __init__(self, root: Path, identity: Mapping[str, Any]) -> None:
        self.identity = ledger_identity(identity)
        self.key = query_key(self.identity)
        self.path = Path(root).expanduser() / f"ledger-{self.key}"
        self.tmp = self.path / ".tmp"
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LedgerStore({str(self.path)!r}, {len(self.files())} days)"

    # --- files -----------------------------------------------------------------------------

    def day_file(self, day: date) -> Path:
        return self.path / f"day={day_name(day)}" / FILE

    def files(self, days: Iterable[date] | None = None) -> list[Path]:
        """The day files held (of ``days`` when given), in order."""
        if days is not None:
            return [f for f in (self.day_file(d) for d in sorted(set(days))) if f.exists()]
        return sorted(self.path.glob(f"day=*/{FILE}"))

    def _day_table(self, day: date) -> pa.Table | None:
        import pyarrow.parquet as pq

        path = self.day_file(day)
        if not path.exists():
            return None
        try:
            return pq.read_table(path, schema=arrow_schema())
        except Exception as e:  # an unreadable day is a cache to rebuild, never silently half-read
            raise ConfigError(f"the ledger cache's file is not readable: {path}",
                              f"delete {path.parent} and run the ledger again (that day is read again)") from e

    # --- reading ---------------------------------------------------------------------------

    def cached(self, wanted: Mapping[str, date]) -> dict[str, list[dict[str, Any]]]:
        """The cached recordings (row dicts, ``pauses`` nested) of the conversations in ``wanted``
        (conversation id -> its start's UTC day), by conversation id; the others are absent."""
        by_day: dict[date, set[str]] = defaultdict(set)
        for cid, day in wanted.items():
            by_day[day].add(cid)
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for day, ids in sorted(by_day.items()):
            table = self._day_table(day)
            if table is None:
                continue
            for row in table.to_pylist():
                if row["conversation_id"] in ids:
                    out[row["conversation_id"]].append(row)
        return dict(out)

    # --- writing ---------------------------------------------------------------------------

    def write(self, rows: list[dict[str, Any]]) -> int:
        """Add the recordings of final conversations (row dicts with ``pauses`` nested), each day
        rewritten atomically; conversations already held are not added twice. Returns the
        conversations added."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_day[row["conversation_start"].astimezone(timezone.utc).date()].append(row)
        added = 0
        now = datetime.now(timezone.utc)
        with self._lock, self._across_processes():
            if not (self.path / "query.json").exists():
                write_json(self.path / "query.json", self.identity)
            self.tmp.mkdir(exist_ok=True)
            for day, fresh in sorted(by_day.items()):
                old = self._day_table(day)
                held = set() if old is None else set(old.column("conversation_id").to_pylist())
                new = [r | {"read_at": r.get("read_at") or now} for r in fresh if r["conversation_id"] not in held]
                if not new:
                    continue
                added += len({r["conversation_id"] for r in new})
                table = pa.Table.from_pylist([{k: r.get(k) for k in arrow_schema().names} for r in new],
                                             schema=arrow_schema())
                if old is not None:
                    table = pa.concat_tables([old, table])
                tmp = self.tmp / f"{day_name(day)}-{uuid.uuid4().hex}.parquet"
                pq.write_table(table, tmp, compression="zstd")
                with open(tmp, "rb") as f:
                    os.fsync(f.fileno())
                target = self.day_file(day)
                target.parent.mkdir(exist_ok=True)
                os.replace(tmp, target)
        return added

    @contextlib.contextmanager
    def _across_processes(self) -> Iterator[None]:
        """Two ledgers of one store at once (a daily job and an analyst): each day's read-merge-
        replace holds an exclusive lock on ``.lock`` (POSIX ``flock``; elsewhere none: the later
        write may then drop the other's new rows, which are read again next time)."""
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # not POSIX
            yield
            return
        with open(self.path / ".lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    # --- the intervals ledgered (for --since-last) ---------------------------------------------

    @property
    def runs_path(self) -> Path:
        return self.path / "runs.json"

    def runs(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.runs_path.read_text())
        except FileNotFoundError:
            return []
        except ValueError as e:
            raise ConfigError(f"the ledger cache's run list is not readable: {self.runs_path}",
                              "delete that file; then give --interval once to start the standing ledger") from e
        return data.get("runs", []) if isinstance(data, dict) else []

    def record_run(self, start: datetime, end: datetime, pending_from: datetime | None) -> None:
        """Remember a finished ledger of ``[start, end)``; ``pending_from``: the start of its
        earliest conversation that was not final (to be read again by ``--since-last``)."""
        with self._lock, self._across_processes():
            runs = self.runs()
            runs.append({"start": _iso(start), "end": _iso(end),
                         "pending_from": None if pending_from is None else _iso(pending_from),
                         "at": _iso(datetime.now(timezone.utc))})
            write_json(self.runs_path, {"runs": runs[-1000:]})

    def resume_point(self) -> datetime | None:
        """Where ``--since-last`` starts: the end of the latest interval ledgered, or the start of
        the earliest conversation that was not final then (whichever is earlier); None: no run."""
        runs = self.runs()
        if not runs:
            return None
        last = max(runs, key=lambda r: (_parse(r["end"]), r.get("at", "")))  # the latest end, the latest run of it
        point = _parse(last["end"])
        return min(point, _parse(last["pending_from"])) if last.get("pending_from") else point

    # --- DuckDB ------------------------------------------------------------------------------

    def register(self, con: Any) -> None:
        """Create the views ``ledger`` and ``ledger_pauses`` on a DuckDB connection."""
        parquet_view(con, "_ledger_facts", self.files(), arrow_schema())
        facts = ", ".join(FACT_COLUMNS)
        con.execute(f"create view {RECORDINGS_VIEW} as select {facts}, read_at from _ledger_facts")
        pause = ", ".join(f"p.{c}" for c in PAUSE_FACT_COLUMNS)
        con.execute(f"create view {PAUSES_VIEW} as select conversation_id, recording_id, {pause} from "
                    f"(select conversation_id, recording_id, unnest(pauses) as p from _ledger_facts)")

    def clear(self) -> None:
        import shutil

        with self._lock:
            shutil.rmtree(self.path, ignore_errors=True)


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
