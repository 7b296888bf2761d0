"""What an export is asked for, checked before any request, then resolved to recordings.

- :func:`read_source`: conversation ids (any iterable of str) or a DataFrame with a
  ``conversation_id`` column (optional ``recording_id``, ``conversation_start``,
  ``conversation_end``, as ``rc.interval`` gives) → :class:`Wanted` conversations, in order, each
  once; an id that is not a UUID becomes an ``invalid`` row (nothing is sent for it).
- :func:`check_dest` / :func:`check_space`: the destination must be (or be creatable as) a
  writable directory with room for the estimated size — :data:`BYTES_PER_SECOND` per second of
  known duration (8 kB/s, telephony), else :data:`DEFAULT_RECORDING_BYTES` per recording.
- :func:`resolve_metadata`: ``GET /api/v2/conversations/{id}/recordingmetadata`` for the
  conversations whose times the input does not give (concurrently; the transport paces them):
  their recordings, each recording's own start/end, and its fileState.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import ConfigError, NotFound, RecopsError
from recops.ops.bulk import CONVERSATION_ID_RE

from .manifest import Row

if TYPE_CHECKING:
    from recops.api.client import Client

BYTES_PER_SECOND = 8_000  # telephony audio: 64 kbit/s
DEFAULT_RECORDING_BYTES = 2_400_000  # a recording of unknown length: five minutes at 8 kB/s
NOT_EXPORTABLE = {"ARCHIVED": "archived", "DELETED": "deleted"}
METADATA = "/api/v2/conversations/{}/recordingmetadata"


@dataclass
class Wanted:
    """One conversation to export: the recordings asked for (None: all of them) and, when the
    input gives them, the conversation's start and end."""

    conversation_id: str
    recording_ids: list[str] | None = None
    start: str | None = None
    end: str | None = None
    recordings: dict[str, Row] | None = None  # once known: recording id -> its row
    row: Row | None = None  # while the recordings are not known: the conversation's own row
    seconds: float | None = None  # known duration, for the size estimate

    def new_row(self, recording_id: str | None = None, *, start: str | None = None, end: str | None = None,
                **fields: Any) -> Row:
        """A row for this conversation, or one of its recordings, with its times — the one rule
        for them: the recording's own (``start``/``end`` from its metadata; ``times_from`` is
        ``recording``) when known, else the conversation's from the input (``conversation``),
        else none."""
        return Row(self.conversation_id, recording_id, start=start or self.start, end=end or self.end,
                   times_from="recording" if start else ("conversation" if self.start else None), **fields)

    def rows(self) -> list[Row]:
        if self.recordings is not None:
            return list(self.recordings.values())
        if self.row is None:
            self.row = self.new_row()
        return [self.row]

    def name_recordings(self, recording_ids: Iterable[str]) -> None:
        """The conversation's recordings are known (named by the input, an earlier run or a batch)."""
        self.recordings = {rid: self.new_row(rid) for rid in recording_ids}
        self.row = None

    def recording(self, recording_id: str) -> Row:
        """The row of one of its recordings (added when not known yet)."""
        if self.recordings is None:
            self.recordings, self.row = {}, None
        if recording_id not in self.recordings:
            self.recordings[recording_id] = self.new_row(recording_id)
        return self.recordings[recording_id]


@dataclass
class Source:
    wanted: list[Wanted] = field(default_factory=list)
    invalid: list[Row] = field(default_factory=list)

    def rows(self) -> list[Row]:
        """Every row of the export, in order: the malformed ids', then each conversation's."""
        return [*self.invalid, *(r for w in self.wanted for r in w.rows())]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC").isoformat()


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "nan", "None", "<NA>", "NaT") else text


def read_source(source: Any) -> Source:
    """The conversations asked for, each once, in the order first seen."""
    records: list[tuple[str, str | None, Any, Any]]
    if hasattr(source, "columns") and hasattr(source, "to_dict"):
        if "conversation_id" not in source.columns:
            raise ConfigError("the table has no conversation_id column",
                              "pass a table with a conversation_id column (e.g. rc.interval(...)), or a list of ids")
        cols = [c for c in ("conversation_id", "recording_id", "conversation_start", "conversation_end")
                if c in source.columns]
        records = [(str(r.get("conversation_id")), _clean(r.get("recording_id")), r.get("conversation_start"),
                    r.get("conversation_end")) for r in source[cols].to_dict("records")]
    elif isinstance(source, (str, bytes)):
        records = [(str(source), None, None, None)]
    else:
        records = [(str(cid), None, None, None) for cid in source]
    out = Source()
    seen: dict[str, Wanted] = {}
    bad: set[str] = set()
    for raw_cid, rid, start, end in records:
        cid = raw_cid.strip()
        if not CONVERSATION_ID_RE.fullmatch(cid):
            if cid not in bad:
                bad.add(cid)
                out.invalid.append(Row(cid, status="invalid",
                                       error="not a conversation id (a UUID such as c0a80001-0000-4000-8000-"
                                             "000000000006): nothing was sent for it"))
            continue
        cid = cid.lower()
        wanted = seen.get(cid)
        if wanted is None:
            wanted = seen[cid] = Wanted(cid, start=_iso(start), end=_iso(end))
            out.wanted.append(wanted)
            wanted.recording_ids = [] if rid else None
        if rid and wanted.recording_ids is not None and rid not in wanted.recording_ids:
            wanted.recording_ids.append(rid)
        elif not rid:
            wanted.recording_ids = None  # the whole conversation asked for
    for w in out.wanted:
        if w.start and w.end:
            w.seconds = max(0.0, (datetime.fromisoformat(w.end) - datetime.fromisoformat(w.start)).total_seconds())
    return out


# --- checks before any request -----------------------------------------------------------------


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def check_dest(dest: Path, create: bool) -> Path:
    """``dest`` as an absolute path, a writable directory (created when ``create``), or a
    ``ConfigError`` that says what to do."""
    dest = Path(os.path.abspath(os.path.expanduser(os.fspath(dest))))
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"the destination {dest} is a file, not a directory",
                          "pass a directory (it is created if missing) with --dest / dest=")
    anchor = _existing_ancestor(dest)
    if not anchor.is_dir():
        raise ConfigError(f"the destination {dest} cannot be created: {anchor} is a file",
                          "pass a directory path whose parents are directories")
    if not create:
        if not os.access(anchor, os.W_OK | os.X_OK):
            raise ConfigError(f"the destination {dest} is not writable ({anchor})",
                              "choose a directory you may write to, or fix its permissions")
        return dest
    try:
        dest.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".recops-probe-", suffix=".part", dir=dest)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ConfigError(f"the destination {dest} is not a writable directory: {e.strerror or e}",
                          "choose a directory you may write to, or fix its permissions") from None
    return dest


def estimate_bytes(wanted: Iterable[Wanted]) -> int:
    """Bytes still to fetch: known durations at 8 kB/s, else a default per recording; rows
    already settled (complete, failed, unknown...) cost nothing."""
    total = 0
    for w in wanted:
        if w.recordings is None and w.row is not None and w.row.status != "pending":
            continue
        if w.recordings is not None:
            for row in w.recordings.values():
                if row.status != "pending":
                    continue
                total += _row_bytes(row)
        elif w.seconds is not None:
            total += int(w.seconds * BYTES_PER_SECOND)
        else:
            total += DEFAULT_RECORDING_BYTES * max(1, len(w.recording_ids or []))
    return total


def _row_bytes(row: Row) -> int:
    if row.start and row.end:
        seconds = (datetime.fromisoformat(row.end) - datetime.fromisoformat(row.start)).total_seconds()
        return int(max(0.0, seconds) * BYTES_PER_SECOND)
    return DEFAULT_RECORDING_BYTES


def check_space(dest: Path, needed: int) -> None:
    anchor = _existing_ancestor(dest)
    free = shutil.disk_usage(anchor).free
    if needed > free:
        raise ConfigError(f"not enough free space in {anchor}: the export needs about {_size(needed)}, "
                          f"{_size(free)} is free",
                          "free some space or choose another destination (--dest / dest=); the estimate is "
                          f"{BYTES_PER_SECOND // 1000} kB per second of known duration, "
                          f"{_size(DEFAULT_RECORDING_BYTES)} per recording of unknown length")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


# --- resolution ------------------------------------------------------------------------------


def needs_metadata(w: Wanted) -> bool:
    return not (w.start and w.end)


def resolve_metadata(client: Client, wanted: list[Wanted], concurrency: int,
                     cancel: Callable[[], bool]) -> None:
    """Fill ``recordings`` (or a conversation row saying why there are none) from each
    conversation's recording metadata."""
    todo = [w for w in wanted if needs_metadata(w)]
    if not todo:
        return
    api = client.recording_api

    def one(w: Wanted) -> None:
        if cancel():
            return
        try:
            found = client.call("GET", METADATA.format(w.conversation_id), api.get_conversation_recordingmetadata,
                                w.conversation_id) or []
        except NotFound:
            w.rows()[0].settle("unknown", "no such conversation (404) for this principal")
            return
        except RecopsError as e:
            w.rows()[0].settle("failed", f"reading its recording metadata failed: {e.message}")
            return
        apply_metadata(w, found)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="recops-metadata") as pool:
        list(pool.map(one, todo))


def apply_metadata(w: Wanted, found: list[Any]) -> None:
    by_id = {m.id: m for m in found if getattr(m, "id", None)}
    if not by_id:
        w.rows()[0].settle("no-recordings", "the conversation has no recordings")
        return
    ids = w.recording_ids if w.recording_ids is not None else list(by_id)
    rows: dict[str, Row] = {}
    for rid in ids:
        meta = by_id.get(rid)
        if meta is None:
            rows[rid] = w.new_row(rid, status="unknown", error="no such recording on this conversation")
            continue
        row = w.new_row(rid, start=_iso(meta.start_time), end=_iso(meta.end_time))
        state = (meta.file_state or "").upper()
        if state in NOT_EXPORTABLE:
            row.settle(NOT_EXPORTABLE[state], f"the recording's fileState is {state}: it cannot be downloaded"
                       + (" (restore it first)" if state == "ARCHIVED" else ""))
        rows[rid] = row
    w.recordings = rows
    w.row = None
