"""How the history store names what it keeps: the hash of a query's identity (one folder per
target, principal and filters) and a day's folder name. Shared by the interval tables
(``store.py``) and the ledger's cache (``ledger_store.py``), which depend on these and not on
each other."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from .rows import SCHEMA_VERSION


def query_key(identity: Mapping[str, Any]) -> str:
    """A stable hash of the normalised query (sorted keys, None dropped)."""
    normal = {k: v for k, v in sorted(identity.items()) if v is not None}
    normal["schema"] = SCHEMA_VERSION
    return hashlib.sha256(json.dumps(normal, sort_keys=True, default=str).encode()).hexdigest()[:20]


def day_name(day: date | datetime) -> str:
    return (day.date() if isinstance(day, datetime) else day).isoformat()
