"""An export's manifest: one row per requested recording (or per id that yielded none), written
to the destination as ``manifest.csv`` and ``manifest.json``, each atomically (a ``.part`` temp
file beside it, fsync, rename, fsync of the directory), so a reader never sees half of one.

Statuses (``STATUSES``): ``exported`` (the file is in the destination: ``file``, ``bytes``,
``sha256``), ``failed`` (``error`` says why), ``archived`` / ``deleted`` (the recording's
fileState: not requested), ``unknown`` (no such conversation or recording), ``invalid`` (not a
conversation id: nothing sent), ``no-recordings``, ``pending`` (a dry run: would be fetched),
``cancelled`` (the export was cancelled before it). ``FINE_STATUSES`` are those that need no
attention (``exported``, ``pending``); every other row is a failure (``ExportResult.failures``,
the CLI's exit code). A run that is not a dry run leaves no row ``pending``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recops.base.frames import typed_frame

from .downloads import PART_SUFFIX, fsync_dir

if TYPE_CHECKING:
    import pandas as pd

CSV_NAME = "manifest.csv"
JSON_NAME = "manifest.json"
STATUSES = ("exported", "failed", "archived", "deleted", "unknown", "invalid", "no-recordings", "pending",
            "cancelled")
FINE_STATUSES = ("exported", "pending")  # need no attention: exported, or (a dry run) would be fetched
COLUMNS = {
    "conversation_id": "string", "recording_id": "string", "file": "string", "bytes": "Int64",
    "sha256": "string", "media_type": "string", "start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]",
    "times_from": "string", "status": "string", "error": "string", "note": "string",
}


@dataclass
class Row:
    """One manifest row; ``start``/``end`` are ISO-8601 strings, ``times_from`` says whose times
    they are (``recording`` or ``conversation``), ``note`` how the file came to be there."""

    conversation_id: str
    recording_id: str | None = None
    file: str | None = None
    bytes: int | None = None
    sha256: str | None = None
    media_type: str | None = None
    start: str | None = None
    end: str | None = None
    times_from: str | None = None
    status: str = "pending"
    error: str | None = None
    note: str | None = None

    def settle(self, status: str, error: str | None = None) -> None:
        self.status = status
        self.error = error

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ROW_FIELDS}  # flat: no dataclasses.asdict deep copy


ROW_FIELDS = tuple(f.name for f in fields(Row))


def frame(rows: Sequence[Row]) -> pd.DataFrame:
    return typed_frame([r.to_dict() for r in rows], COLUMNS)


def counts(rows: Sequence[Row]) -> dict[str, int]:
    found: dict[str, int] = {}
    for r in rows:
        found[r.status] = found.get(r.status, 0) + 1
    return {s: found[s] for s in (*STATUSES, *sorted(set(found) - set(STATUSES))) if s in found}


def document(header: Mapping[str, Any], rows: Sequence[Row]) -> dict[str, Any]:
    """The manifest as one JSON object: the header, the counts, then ``recordings``."""
    return {**header, "counts": counts(rows), "recordings": [r.to_dict() for r in rows]}


def write(dest: Path, header: Mapping[str, Any], rows: Sequence[Row]) -> tuple[Path, Path]:
    """Write ``manifest.csv`` and ``manifest.json`` into ``dest`` atomically; returns their paths."""
    csv_path, json_path = dest / CSV_NAME, dest / JSON_NAME
    _atomic(csv_path, frame(rows).to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ").encode())
    _atomic(json_path, json.dumps(document(header, rows), indent=2, default=str).encode())
    fsync_dir(dest)
    return csv_path, json_path


def _atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}{PART_SUFFIX}")
    with open(temp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temp, path)
