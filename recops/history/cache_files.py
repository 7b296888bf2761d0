"""What the per-day caches share: the ledger's (``ledger_store``) and coverage's (``coverage_store``)
column kinds as Arrow types, and the durable JSON write (temp file, fsync, rename) of every cache's
``query.json``/``meta.json``/``runs.json`` and the history store's ``manifest.json``."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


def arrow_type(kind: str) -> pa.DataType:
    """``string``, ``datetime`` (UTC, microseconds), ``int``, ``float`` or ``bool`` as an Arrow type."""
    import pyarrow as pa

    return {"string": pa.string(), "datetime": pa.timestamp("us", tz="UTC"), "int": pa.int64(),
            "float": pa.float64(), "bool": pa.bool_()}[kind]


def write_json(path: Path, value: Any) -> None:
    """``value`` as JSON at ``path``, whole or not at all (a temp file beside it, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1, sort_keys=True, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
