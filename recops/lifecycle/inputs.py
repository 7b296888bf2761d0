"""What the lifecycle operations take: conversation ids, or a table with a ``conversation_id``
column (``rc.interval(...)``, a coverage frame, a CSV read back), and for retention optionally a
``recording_id`` column. Ids are stripped, de-duplicated in order, and split into well-formed
UUIDs and the rest (for which nothing is ever sent)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from recops.genesys.errors import ConfigError

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Ids:
    valid: list[str]
    invalid: list[str]


def _is_frame(value: Any) -> bool:
    return hasattr(value, "columns") and hasattr(value, "__getitem__")


def conversation_ids(source: Iterable[str] | Any) -> Ids:
    """The conversation ids of ``source``: ids, or a frame's ``conversation_id`` column."""
    if isinstance(source, str):
        raw: list[str] = [source]
    elif _is_frame(source):
        if "conversation_id" not in source.columns:
            has = ", ".join(map(str, source.columns))
            raise ConfigError("the table has no conversation_id column",
                              f"pass ids, or a table with a conversation_id column (it has: {has})")
        raw = [str(v) for v in source["conversation_id"].dropna()]
    else:
        raw = [str(v) for v in source]
    ids = list(dict.fromkeys(v.strip() for v in raw if v and v.strip()))
    return Ids([i for i in ids if UUID_RE.fullmatch(i)], [i for i in ids if not UUID_RE.fullmatch(i)])


def recording_pairs(source: Any) -> list[tuple[str, str]] | None:
    """``(conversation_id, recording_id)`` pairs when ``source`` names recordings (a frame with a
    ``recording_id`` column, or ``(cid, rid)`` tuples); None when it names conversations."""
    if _is_frame(source):
        if "recording_id" not in source.columns or "conversation_id" not in source.columns:
            return None
        rows = source[["conversation_id", "recording_id"]].dropna()
        return list(dict.fromkeys((str(c), str(r)) for c, r in rows.itertuples(index=False)))
    if isinstance(source, (list, tuple)) and source and all(isinstance(v, tuple) and len(v) == 2 for v in source):
        return list(dict.fromkeys((str(c), str(r)) for c, r in source))
    return None


def batches(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
