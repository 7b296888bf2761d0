"""The history cache: conversation rows as a Parquet dataset partitioned by UTC day.

Layout under the cache directory (``Settings.cache_dir``, ``RECOPS_CACHE_DIR``)::

    <cache_dir>/<key>/query.json               what the key stands for (target, principal, filters)
    <cache_dir>/<key>/manifest.json            the complete days: {"days": {"2026-03-01": {...}}}
    <cache_dir>/<key>/day=2026-03-01/part-0.parquet
    <cache_dir>/<key>/.tmp/                    files being written

``key`` is a stable hash of the normalised query *without* its interval: the target's URL, who
asks (a client id or a user id: different principals may see different divisions), the filters
and the row schema's version (``recops.history.rows``, which also gives the files' Arrow schema). The
interval only selects days, so a month read once serves every interval inside it.

A day is complete only once its file was written whole (a temp file, fsync, ``os.replace``) and
then listed in the manifest (itself replaced atomically). A crash leaves at worst an unlisted
file, which the next run writes again: the manifest never names a partial day. Readers (pandas,
DuckDB) read only the days the manifest lists.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import ConfigError

from .cache_files import write_json
from .keys import day_name, query_key
from .rows import arrow_schema, rows_to_table
from .views import parquet_view

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .coverage_store import CoverageStore
    from .ledger_store import LedgerStore

TABLE = "conversations"


class DayWriter:
    """One day's rows, written page by page to a temp Parquet file; ``commit`` makes the day
    complete, ``abort`` (or an exception) leaves no trace."""

    def __init__(self, store: Store, day: date) -> None:
        import pyarrow.parquet as pq

        self.store = store
        self.day = day
        self.rows = 0
        self._seen: set[str] = set()
        store.tmp.mkdir(parents=True, exist_ok=True)
        self.tmp_path = store.tmp / f"{day_name(day)}-{uuid.uuid4().hex}.parquet"
        self._writer: Any = pq.ParquetWriter(self.tmp_path, arrow_schema(), compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> int:
        """Append rows (duplicates of rows already written are dropped). Returns how many were new."""
        fresh = [r for r in rows if r["conversation_id"] not in self._seen]
        if not fresh:
            return 0
        self._seen.update(r["conversation_id"] for r in fresh)
        self._writer.write_table(rows_to_table(fresh))
        self.rows += len(fresh)
        return len(fresh)

    def commit(self, **info: Any) -> None:
        self._writer.close()
        self._writer = None
        with open(self.tmp_path, "rb") as f:
            os.fsync(f.fileno())
        self.store._commit(self.day, self.tmp_path if self.rows else None, rows=self.rows, **info)
        if not self.rows:
            self.tmp_path.unlink(missing_ok=True)

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):  # the file is discarded anyway
                self._writer.close()
            self._writer = None
        self.tmp_path.unlink(missing_ok=True)


class Store:
    """The cached days of one query (one target, principal and filter set)."""

    def __init__(self, root: Path, identity: Mapping[str, Any]) -> None:
        self.identity = dict(identity)
        self.key = query_key(identity)
        self.path = Path(root).expanduser() / self.key
        self.tmp = self.path / ".tmp"
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, {len(self.days())} days)"

    # --- the manifest ----------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def _manifest(self) -> dict[str, Any]:
        try:
            data = json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return {"days": {}}
        except ValueError as e:
            raise ConfigError(f"the history cache's manifest is not readable: {self.manifest_path}",
                              "delete that directory (rc.store.clear()) and read the interval again") from e
        return data if isinstance(data.get("days"), dict) else {"days": {}}

    def _commit(self, day: date, tmp_file: Path | None, **info: Any) -> None:
        with self._lock:
            self.path.mkdir(parents=True, exist_ok=True)
            if not (self.path / "query.json").exists():
                write_json(self.path / "query.json", self.identity)
            target_dir = self.path / f"day={day_name(day)}"
            if tmp_file is not None:
                target_dir.mkdir(exist_ok=True)
                os.replace(tmp_file, target_dir / "part-0.parquet")
            else:
                shutil.rmtree(target_dir, ignore_errors=True)
            manifest = self._manifest()
            manifest["days"][day_name(day)] = {
                **info, "file": tmp_file is not None,
                "written": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            write_json(self.manifest_path, manifest)

    def writer(self, day: date) -> DayWriter:
        """A writer for one day's rows (see ``DayWriter``)."""
        return DayWriter(self, day)

    # --- reading ---------------------------------------------------------------------------

    def days(self) -> list[date]:
        """The complete days held, in order."""
        return sorted(date.fromisoformat(d) for d in self._manifest()["days"])

    def has(self, day: date | datetime) -> bool:
        return day_name(day) in self._manifest()["days"]

    def rows(self) -> int:
        return sum(int(v.get("rows", 0)) for v in self._manifest()["days"].values())

    def files(self, start: date | None = None, end: date | None = None) -> list[Path]:
        """The Parquet files of the complete days in ``[start, end)`` (all when not given)."""
        out = []
        for name, info in sorted(self._manifest()["days"].items()):
            d = date.fromisoformat(name)
            if (start and d < start) or (end and d >= end) or not info.get("file"):
                continue
            out.append(self.path / f"day={name}" / "part-0.parquet")
        return out

    def table(self, start: datetime | None = None, end: datetime | None = None) -> pa.Table:
        """The rows of the complete days touching ``[start, end)``, cut to it."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        last = None if end is None else (end - timedelta(microseconds=1)).date() + timedelta(days=1)
        files = self.files(start.date() if start else None, last)
        if not files:
            return arrow_schema().empty_table()
        table = pa.concat_tables([pq.read_table(f, schema=arrow_schema()) for f in files])
        if start is not None and end is not None:
            cs = table["conversation_start"]
            table = table.filter(pc.and_(pc.greater_equal(cs, pa.scalar(start, cs.type)),
                                         pc.less(cs, pa.scalar(end, cs.type))))
        return table

    def sql(self, query: str) -> pd.DataFrame:
        """Run SQL (DuckDB) over the complete days, as the view ``conversations``; a DataFrame.
        The ledger's cache is there too: the views ``ledger`` and ``ledger_pauses``; so is
        coverage's: ``coverage`` and ``orphans``.

        DuckDB reads the Parquet files itself (column by column, in parallel), so a query over a
        quarter of history aggregates without loading it into pandas."""
        with self.connect() as con:
            return con.execute(query).df()

    def connect(self) -> Any:
        """A DuckDB connection with the views ``conversations``, ``ledger`` and ``ledger_pauses``."""
        import duckdb

        con = duckdb.connect()
        parquet_view(con, TABLE, self.files(), arrow_schema())
        self.ledger().register(con)  # the views ledger and ledger_pauses (recops.history.ledger_store)
        self.coverage().register(con)  # the views coverage and orphans (recops.history.coverage_store)
        return con

    def ledger(self) -> LedgerStore:
        """The ledger's cache of this target and principal (shared by every filter set)."""
        from .ledger_store import LedgerStore

        return LedgerStore(self.path.parent, self.identity)

    def coverage(self) -> CoverageStore:
        """Coverage's cache of this target and principal (issue 19; shared by every filter set)."""
        from .coverage_store import CoverageStore

        return CoverageStore(self.path.parent, self.identity)

    def clear(self) -> None:
        """Forget every cached day of this query."""
        with self._lock:
            shutil.rmtree(self.path, ignore_errors=True)
