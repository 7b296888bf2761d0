"""Coverage's cache (issue 19): each finished UTC day's coverage rows and orphans, kept once.

A day is *finished* when the interval store holds it as final (it ended at least 48 h ago:
``recops.history.reader.SETTLE``); its coverage is then written here and never fetched again
(``rc.coverage(..., refresh=True)`` reads it again). The live edge (days not final) is always
fetched. Layout, next to the ledger's cache under ``Settings.cache_dir``::

    <cache_dir>/coverage-<key>/query.json                       target and principal
    <cache_dir>/coverage-<key>/day=2026-03-01/coverage.parquet  one row per conversation of the day
    <cache_dir>/coverage-<key>/day=2026-03-01/orphans.parquet   the orphans of the day (matched: by
                                                                 their conversation's day; others: created)
    <cache_dir>/coverage-<key>/meta.json                         the last retention query's size (the plan)

A day's two files are each written whole (temp file, fsync, ``os.replace``), the orphans first:
the coverage file is the day's completion mark, so a crash leaves the day uncached, never half.
The rows are queryable with ``rc.store.sql`` as the views ``coverage`` and ``orphans``.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import ConfigError

from .cache_files import arrow_type, write_json
from .keys import day_name, query_key
from .views import parquet_view

if TYPE_CHECKING:
    import pyarrow as pa

COVERAGE_VERSION = 1  # bump when the cached columns change: a new key, the old cache is not read
COVERAGE_FILE, ORPHANS_FILE = "coverage.parquet", "orphans.parquet"
COVERAGE_VIEW, ORPHANS_VIEW = "coverage", "orphans"

COVERAGE_COLUMNS: dict[str, str] = {
    "conversation_id": "string", "conversation_start": "datetime", "conversation_end": "datetime",
    "queue_ids": "string", "user_ids": "string", "recorded": "bool", "usable": "bool", "reason": "string",
    "recordings": "int", "recording_ids": "string", "file_states": "string", "archive_date": "datetime",
    "deletion_date": "datetime", "protected": "bool", "orphan_id": "string", "detail": "string",
}
ORPHAN_COLUMNS: dict[str, str] = {
    "orphan_id": "string", "created": "datetime", "orphan_status": "string", "media_type": "string",
    "conversation_id": "string", "recording_id": "string", "matched": "bool", "day": "string",
}




def schema(columns: Mapping[str, str]) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(name, arrow_type(kind)) for name, kind in columns.items()])


def coverage_identity(identity: Mapping[str, Any]) -> dict[str, Any]:
    """The cache's identity from an interval store's: the target and principal, no filters."""
    return {"url": identity.get("url"), "principal": identity.get("principal"), "table": "coverage",
            "coverage_version": COVERAGE_VERSION}


class CoverageStore:
    def __init__(self, root: Path, identity: Mapping[str, Any]) -> None:
        self.identity = coverage_identity(identity)
        self.key = query_key(self.identity)
        self.path = Path(root).expanduser() / f"coverage-{self.key}"
        self.tmp = self.path / ".tmp"

    def __repr__(self) -> str:
        return f"CoverageStore({str(self.path)!r}, {len(self.days())} days)"

    def _file(self, day: date, name: str) -> Path:
        return self.path / f"day={day_name(day)}" / name

    def days(self) -> list[date]:
        return sorted(date.fromisoformat(p.parent.name[4:]) for p in self.path.glob(f"day=*/{COVERAGE_FILE}"))

    def has(self, day: date) -> bool:
        return self._file(day, COVERAGE_FILE).exists()

    def read(self, days: Iterable[date]) -> tuple[pa.Table, pa.Table]:
        """The cached coverage rows and orphan rows of ``days`` as Arrow tables (days not held give none)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows: list[pa.Table] = []
        orphans: list[pa.Table] = []
        for day in sorted(set(days)):
            path = self._file(day, COVERAGE_FILE)
            if not path.exists():
                continue
            try:
                rows.append(pq.read_table(path, schema=schema(COVERAGE_COLUMNS)))
                opath = self._file(day, ORPHANS_FILE)
                if opath.exists():
                    orphans.append(pq.read_table(opath, schema=schema(ORPHAN_COLUMNS)))
            except Exception as e:
                raise ConfigError(f"the coverage cache's file is not readable: {path}",
                                  f"delete {path.parent} and run coverage again (that day is read again)") from e
        return (pa.concat_tables(rows) if rows else schema(COVERAGE_COLUMNS).empty_table(),
                pa.concat_tables(orphans) if orphans else schema(ORPHAN_COLUMNS).empty_table())

    def write_day(self, day: date, rows: list[dict[str, Any]], orphans: list[dict[str, Any]]) -> None:
        """Keep one finished day (replacing what was held for it)."""
        self.path.mkdir(parents=True, exist_ok=True)
        if not (self.path / "query.json").exists():
            write_json(self.path / "query.json", self.identity)
        self.tmp.mkdir(exist_ok=True)
        folder = self.path / f"day={day_name(day)}"
        folder.mkdir(exist_ok=True)
        self._write(folder / ORPHANS_FILE, orphans, ORPHAN_COLUMNS)
        self._write(folder / COVERAGE_FILE, rows, COVERAGE_COLUMNS)

    def _write(self, target: Path, rows: list[dict[str, Any]], columns: Mapping[str, str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([{k: r.get(k) for k in columns} for r in rows], schema=schema(columns))
        tmp = self.tmp / f"{target.parent.name}-{target.stem}-{uuid.uuid4().hex}.parquet"
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)

    # --- the plan's memory: how many retention-query pages the org took last time -------------

    def meta(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / "meta.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def remember(self, **values: Any) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.path / "meta.json", self.meta() | values)

    # --- DuckDB ------------------------------------------------------------------------------

    def register(self, con: Any) -> None:
        """Create the views ``coverage`` and ``orphans`` on a DuckDB connection."""
        days = self.days()
        parquet_view(con, COVERAGE_VIEW, [self._file(d, COVERAGE_FILE) for d in days], schema(COVERAGE_COLUMNS))
        parquet_view(con, ORPHANS_VIEW, [p for p in (self._file(d, ORPHANS_FILE) for d in days) if p.exists()],
                     schema(ORPHAN_COLUMNS))

    def clear(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
