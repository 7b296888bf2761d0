"""The pause ledger: for an interval, how long each recording of an ended conversation was
paused, why, and by whom, from the recordings' pause annotations.

    led = rc.ledger("2026-03-02T00:00:00Z/2026-03-03T00:00:00Z")
    led.table        # one row per recording: pause count, securely paused ms, hold-suppressed ms,
                     # share paused, secure pause still open at the end, who paused
    led.pauses       # one row per pause annotation (the distribution of pause durations)
    led.unpaused     # recorded conversations with no secure pause at all
    led.notes        # what could not be read, and why (names, transcoding, errors)

Sources: the conversations that started in the interval and were recorded (``Session.interval``
with ``recorded=True``: the analytics details query or jobs), then, for each ended one,
``GET /api/v2/conversations/{id}/recordings?formatId=NONE`` (with the audio's secure pauses
copied onto screen recordings: ``includePauseAnnotationsForScreenRecordings``; ``RecordingApi.
get_conversation_recordings``: pause and hold annotations are system annotations, listed there
and not in ``…/recordingmetadata``). A 202 means "still transcoding": such a conversation gets a
row that says so, and is never counted as unpaused. Reads run ``concurrency`` at a time through
the transport's pacing (the rate-limit headers), as ``Session.states`` does.

The cache (``recops.history.ledger_store``): a conversation whose recordings are final (ended,
listed, every file in ``FINAL_FILE_STATES``) is written to the store as it is read (every
``FLUSH_ROWS`` recordings, and at least every ``FLUSH_SECONDS``), so a re-run reads none of them
again, a killed run resumes after what it had written, and a day added costs that day's requests
only. Live, transcoding (202), unreadable or
``UPLOADING`` conversations are never cached: they are read again next time. Before the first
request, ``on_plan`` hears the ``LedgerPlan``: conversations cached and to read, and the floor the
rate limit (``inin-ratelimit-allowed`` seen by the transport, else the documented 300 a minute)
sets for them.

What each column means and which wire field it comes from: docs/ledger.md.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape
from typing import TYPE_CHECKING, Any

from recops.api.settings import DEFAULT_CONCURRENCY
from recops.base.display import BLUE, box, html_rows, html_table, rich_lines, rich_table, rich_text
from recops.base.frames import typed_frame
from recops.genesys.errors import ConfigError, PermissionDenied, RecopsError

from .names import add_names, names_for, with_name_columns

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client

    from .ledger_store import LedgerStore

SECURE = "SecurePause"
HOLD = "Hold"
PAUSE_REASONS = (SECURE, HOLD, "FlowOrQueue", "Pause")  # Annotation.reason [documented, v176/v213]
# A secure pause whose annotation ends this close to the recording's end was still open at the end
# (an unresumed pause runs to the end of the recording; the slack covers millisecond rounding of
# location, duration and the recording's start/end times).
OPEN_TOLERANCE_MS = 5
POLL_MS = 5000

LEDGER_COLUMNS = with_name_columns({
    "conversation_id": "string",
    "recording_id": "string",
    "conversation_start": "datetime64[ns, UTC]",
    "conversation_end": "datetime64[ns, UTC]",
    "queue_ids": "string",
    "user_ids": "string",
    "media": "string",
    "file_state": "string",
    "recording_start": "datetime64[ns, UTC]",
    "recording_end": "datetime64[ns, UTC]",
    "recording_ms": "Int64",
    "pause_count": "Int64",
    "secure_paused_ms": "Int64",
    "hold_count": "Int64",
    "hold_paused_ms": "Int64",
    "other_paused_ms": "Int64",
    "secure_share": "Float64",
    "paused_share": "Float64",
    "open_at_end": "boolean",
    "paused_by": "string",
    "pause_reasons": "string",
    "note": "string",
})
PAUSE_COLUMNS = with_name_columns({
    "conversation_id": "string",
    "recording_id": "string",
    "reason": "string",
    "started_at": "datetime64[ns, UTC]",
    "offset_ms": "Int64",
    "duration_ms": "Int64",
    "open_at_end": "boolean",
    "paused_by": "string",
    "annotation_id": "string",
})
UNPAUSED_COLUMNS = with_name_columns({
    "conversation_id": "string",
    "conversation_start": "datetime64[ns, UTC]",
    "conversation_end": "datetime64[ns, UTC]",
    "queue_ids": "string",
    "user_ids": "string",
    "recordings": "Int64",
    "hold_paused_ms": "Int64",
})

Progress = Callable[[int, int], None]

SUMMARY_LABELS = (("conversations", "recorded conversations (ended)"), ("recordings", "recordings read"),
                  ("secure_pauses", "secure pauses"), ("secure_paused_s", "securely paused (s)"),
                  ("hold_paused_s", "hold-suppressed (s)"), ("open_at_end", "secure pause open at call end"),
                  ("unpaused_conversations", "recorded with no secure pause"),
                  ("not_read", "not read (transcoding/error)"))
SHOWN_ROWS = 20  # the recordings with the most securely paused time, in a terminal or a notebook


@dataclass(repr=False)
class Ledger:
    """The ledger of one interval (see the module docstring)."""

    interval: str
    table: pd.DataFrame
    pauses: pd.DataFrame
    unpaused: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    plan: LedgerPlan | None = None  # what it needed: conversations cached, recording requests sent
    pending_from: datetime | None = None  # the earliest start of a conversation not final yet

    def summary(self) -> dict[str, Any]:
        t = self.table
        read = t[t["recording_id"].notna()]
        return {
            "interval": self.interval,
            "conversations": int(t["conversation_id"].nunique()),
            "recordings": len(read),
            "secure_pauses": int(read["pause_count"].sum()),
            "secure_paused_s": round(int(read["secure_paused_ms"].sum()) / 1000, 1),
            "hold_paused_s": round(int(read["hold_paused_ms"].sum()) / 1000, 1),
            "open_at_end": int(read["open_at_end"].fillna(False).sum()),
            "unpaused_conversations": len(self.unpaused),
            "not_read": int(t["recording_id"].isna().sum()),
        }

    def __repr__(self) -> str:
        lines = [f"{key}: {value}" for key, value in self.summary().items()]
        return "\n".join(["Ledger", *lines, *(f"note: {n}" for n in self.notes)])

    def to_csv(self, path: str) -> None:
        self.table.to_csv(path, index=False)

    def to_parquet(self, path: str) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ConfigError("writing Parquet needs pyarrow", "pip install pyarrow (or use --csv)") from None
        self.table.to_parquet(path, index=False)

    def top_rows(self, limit: int = SHOWN_ROWS) -> list[dict[str, str]]:
        """The recordings with the most securely paused time, as display strings."""
        t = self.table
        paused = t[t["pause_count"].fillna(0) > 0].sort_values("secure_paused_ms", ascending=False).head(limit)

        def text(value: Any) -> str:
            return "" if value is None or (not isinstance(value, str) and value != value) or str(value) == "<NA>" \
                else str(value)

        rows = [{"conversation": text(r["conversation_id"]), "queue": text(r["queue_names"]),
                 "agent": text(r["agent_names"]), "pauses": text(r["pause_count"]),
                 "secure s": f"{r['secure_paused_ms'] / 1000:.1f}", "hold s": f"{r['hold_paused_ms'] / 1000:.1f}",
                 "paused": "" if text(r["paused_share"]) == "" else f"{r['paused_share']:.0%}",
                 "open at end": "yes" if r["open_at_end"] is True else "",
                 "paused by": text(r["paused_by_names"])} for r in paused.to_dict("records")]
        if not any(r["paused by"] for r in rows):  # the annotations named nobody: no empty column
            for r in rows:
                del r["paused by"]
        return rows

    def __rich__(self) -> Any:  # the summary, the most paused recordings, the notes
        from rich.table import Column, Table

        summary = self.summary()
        head = Table("", Column("", justify="right"), title="pause ledger", title_justify="left", show_header=False)
        head.add_row("interval", self.interval)
        for key, label in SUMMARY_LABELS:
            head.add_row(label, str(summary[key]))
        rows = self.top_rows()
        parts: list[Any] = [head]
        if rows:
            parts.append(rich_table(list(rows[0]), (list(r.values()) for r in rows),
                                    title="recordings with the most securely paused time", no_wrap={"conversation"}))
        parts.extend(rich_text(("note: ", "yellow"), n) for n in self.notes)
        return rich_lines(parts)

    def _repr_html_(self) -> str:
        summary = self.summary()
        head = html_rows((label, summary[key]) for key, label in SUMMARY_LABELS)
        rows = self.top_rows()
        # names first, the conversation id last and on one line (issue 17, item 14)
        columns = [c for c in rows[0] if c != "conversation"] + ["conversation"] if rows else []
        detail = html_table(columns, rows, css_class="recops-ledger", cell=_html_cell) if rows else ""
        notes = "".join(f"<div>note: {escape(n)}</div>" for n in self.notes)
        return box("recops-ledger", BLUE,
                   f"<div><b>pause ledger {escape(self.interval)}</b></div>{head}{detail}{notes}")


def _html_cell(column: str, value: str) -> str:
    return f'<code style="white-space:nowrap">{escape(value)}</code>' if column == "conversation" else escape(value)


# --- reading one conversation's recordings ---------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    conversation_id: str
    recordings: list[Any]  # SDK Recording objects
    state: str  # "available" | "transcoding" | "error"
    note: str | None = None


def _read(client: Client, conversation_id: str, wait: float) -> _Read:
    """The conversation's recordings with their annotations; polls a 202 for up to ``wait`` s."""
    from recops.api.transport import read_timeout

    path = f"/api/v2/conversations/{conversation_id}/recordings"
    started = time.monotonic()
    while True:
        left = max(0.0, wait - (time.monotonic() - started))
        max_wait_ms = max(1, min(POLL_MS, int(left * 1000)))
        try:
            with read_timeout(client.settings.read_timeout + max_wait_ms / 1000):
                items = client.call("GET", path, client.recording_api.get_conversation_recordings,
                                    conversation_id, max_wait_ms=max_wait_ms, format_id="NONE",
                                    include_pause_annotations_for_screen_recordings=True)
                code = client.last_status()
        except PermissionDenied as e:
            return _Read(conversation_id, [], "error", f"recordings not readable: {e.status} {e.code} "
                                                      f"({', '.join(e.permissions) or 'permission'})")
        except RecopsError as e:
            return _Read(conversation_id, [], "error", f"recordings not read: {getattr(e, 'code', '') or e.message}")
        if code != 202:
            return _Read(conversation_id, list(items or []), "available")
        if time.monotonic() - started >= wait:
            return _Read(conversation_id, [], "transcoding",
                         "recordings still transcoding (HTTP 202): pauses not known yet; read the ledger again later")


# --- pause annotations -----------------------------------------------------------------------------


def _ms(value: Any) -> int | None:
    return None if value is None else int(value)


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def pause_annotations(annotations: Iterable[Any] | None) -> list[Any]:
    """The pause annotations (a ``reason`` among SecurePause, Hold, FlowOrQueue, Pause), nested
    lists included; bookmarks (no reason) are left out. Not de-duplicated by id: all pause
    annotations of a recording share one id [documented]."""
    out: list[Any] = []
    for a in annotations or []:
        if getattr(a, "reason", None) in PAUSE_REASONS:
            out.append(a)
        elif getattr(a, "annotations", None):
            out.extend(pause_annotations(a.annotations))
    return out


def _offset(a: Any) -> int | None:
    """Wall-clock offset from the recording's start: ``realtimeLocation`` ("before removing the
    cumulative duration of all pauses"), else ``location``."""
    return _ms(a.realtime_location if a.realtime_location is not None else a.location)


def _duration(a: Any) -> int:
    for value in (a.duration_ms, a.absolute_duration_ms, a.recording_duration_ms):
        if value is not None:
            return int(value)
    return 0


def _union_ms(spans: list[tuple[int, int]]) -> int:
    """Length of the union of ``(start, end)`` spans: a hold during a secure pause is two
    annotations but one stretch of paused time."""
    total, reach = 0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def _recording_rows(conv: dict[str, Any], rec: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    start, end = _when(rec.start_time), _when(rec.end_time)
    length = round((end - start).total_seconds() * 1000) if start and end else None
    pauses = pause_annotations(rec.annotations)
    totals = {SECURE: 0, HOLD: 0, "other": 0}
    spans: list[tuple[int, int]] = []
    pause_rows = []
    users: list[str] = []
    user_names: dict[str, str | None] = {}
    open_at_end = False
    for a in pauses:
        offset, duration = _offset(a), _duration(a)
        totals[a.reason if a.reason in (SECURE, HOLD) else "other"] += duration
        if offset is not None:
            spans.append((offset, offset + duration))
        is_open = (a.reason == SECURE and length is not None and offset is not None
                   and offset + duration >= length - OPEN_TOLERANCE_MS)
        open_at_end = open_at_end or is_open
        user = getattr(a, "user", None)
        user_id = getattr(user, "id", None)
        if user_id:
            user_names[user_id] = getattr(user, "name", None)
            if user_id not in users:
                users.append(user_id)
        pause_rows.append({
            "conversation_id": conv["conversation_id"], "recording_id": rec.id, "reason": a.reason,
            "started_at": start + timedelta(milliseconds=offset) if start and offset is not None else None,
            "offset_ms": offset, "duration_ms": duration, "open_at_end": is_open, "paused_by": user_id,
            "annotation_id": a.id,
        })
    secure = [a for a in pauses if a.reason == SECURE]
    row = _base(conv) | {
        "recording_id": rec.id, "media": rec.media, "file_state": rec.file_state,
        "recording_start": start, "recording_end": end, "recording_ms": length,
        "pause_count": len(secure), "secure_paused_ms": totals[SECURE],
        "hold_count": sum(a.reason == HOLD for a in pauses), "hold_paused_ms": totals[HOLD],
        "other_paused_ms": totals["other"],
        "secure_share": round(totals[SECURE] / length, 4) if length else None,
        "paused_share": round(_union_ms(spans) / length, 4) if length else None,
        "open_at_end": open_at_end, "paused_by": ",".join(users) or None,
        "pause_reasons": ",".join(dict.fromkeys(a.reason for a in pauses)) or None,
        "note": ("file still UPLOADING: annotations may be incomplete"
                 if (rec.file_state or "").upper() == "UPLOADING" else None),
        "_user_names": user_names,
    }
    return row, pause_rows


def _base(conv: dict[str, Any]) -> dict[str, Any]:
    return {k: conv.get(k) for k in ("conversation_id", "conversation_start", "conversation_end", "queue_ids",
                                     "user_ids")}


# --- the cache: facts of final conversations ----------------------------------------------------------

# A recording in these states has its annotations for good [inferred: annotations are written while
# the call is recorded; UPLOADING: "annotations may be incomplete"; ERROR: the file is not known good]
FINAL_FILE_STATES = frozenset({"AVAILABLE", "ARCHIVED", "DELETED", "RESTORED", "RESTORING"})
BASE_COLUMNS = ("conversation_id", "conversation_start", "conversation_end", "queue_ids", "user_ids")


def _facts(conv: dict[str, Any], read: _Read) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
    """A read's recordings as cache rows (pauses nested), and the user names the annotations gave."""
    from .ledger_store import FACT_COLUMNS, PAUSE_FACT_COLUMNS

    out: list[dict[str, Any]] = []
    names: dict[str, str | None] = {}
    for rec in read.recordings:
        row, pause_rows = _recording_rows(conv, rec)
        names.update(row.pop("_user_names"))
        out.append({k: row.get(k) for k in FACT_COLUMNS}
                   | {"pauses": [{k: p.get(k) for k in PAUSE_FACT_COLUMNS} for p in pause_rows]})
    return out, names


def _is_final(conv: dict[str, Any], read: _Read) -> bool:
    """Whether a read may be cached for good: recordings listed, every one in a final file state."""
    return (read.state == "available" and bool(read.recordings) and conv.get("conversation_start") is not None
            and all((rec.file_state or "").upper() in FINAL_FILE_STATES for rec in read.recordings))


def _expand(conv: dict[str, Any], facts: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Cache rows -> the ledger's recording rows and pause rows (the conversation's own fields
    from this interval's table)."""
    rows, pause_rows = [], []
    for f in facts:
        rows.append({k: v for k, v in f.items() if k not in ("pauses", "read_at")} | _base(conv))
        pause_rows.extend({"conversation_id": conv["conversation_id"], "recording_id": f["recording_id"]} | p
                          for p in f.get("pauses") or [])
    return rows, pause_rows


# --- the plan: how many requests, how long ---------------------------------------------------------

DOCUMENTED_PER_MINUTE = 300  # requests a minute per token [documented: the API's default rate limit]


@dataclass(frozen=True)
class LedgerPlan:
    """What a ledger needs before it starts: its conversations, how many are in the cache, how
    many recording requests are left, and the time the rate limit sets for them."""

    conversations: int
    cached: int
    to_read: int
    per_minute: int
    limit_source: str  # "the rate-limit headers" or "the documented default"

    @property
    def seconds(self) -> float:
        """The floor the rate limit sets: ``to_read`` requests at ``per_minute`` a minute."""
        return self.to_read * 60.0 / self.per_minute

    def describe(self) -> str:
        return (f"{self.conversations} ended, recorded conversation(s): {self.cached} from the ledger cache, "
                f"{self.to_read} recording request(s) to send; at {self.per_minute} a minute "
                f"({self.limit_source}) that takes at least {duration_text(self.seconds)}")


def duration_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def rate_per_minute(client: Client) -> tuple[int, str]:
    """The per-token limit the transport has seen in ``inin-ratelimit-allowed``, else the documented 300."""
    pacer = getattr(client.http, "pacer", None)
    allowed = getattr(pacer, "allowed", None)
    if allowed:
        return int(allowed), "the rate-limit headers"
    return DOCUMENTED_PER_MINUTE, "the documented default"


# --- the ledger --------------------------------------------------------------------------------------

FLUSH_SECONDS = 0.5  # what was read is written to the cache at least this often...
FLUSH_ROWS = 20  # ...and whenever this many recordings wait (a kill loses little even in a burst)


def build_ledger(client: Client, interval: str, conversations: pd.DataFrame, *, wait: float = 0.0,
                 concurrency: int = DEFAULT_CONCURRENCY, on_progress: Progress | None = None,
                 store: LedgerStore | None = None, on_plan: Callable[[LedgerPlan], None] | None = None,
                 flush_seconds: float = FLUSH_SECONDS) -> Ledger:
    """The ledger of ``conversations`` (an interval table: ``conversation_id``, ``ended``,
    ``recorded``, ``queue_ids``, ``user_ids``, start and end). With a ``store``, conversations it
    holds are not read again and final ones read now are written to it as they come in;
    ``on_plan`` hears the plan before the first request, ``on_progress(done, to_read)`` each read."""
    if concurrency < 1:
        raise ConfigError("concurrency must be at least 1")
    notes = list(conversations.attrs.get("notes", []))
    convs = conversations
    if "recorded" in convs.columns:
        convs = convs[convs["recorded"].fillna(False).astype(bool)]
    active = convs[~convs["ended"].fillna(False).astype(bool)]
    pending: list[datetime] = [t for t in active["conversation_start"] if t is not None and str(t) != "NaT"]
    if len(active):
        notes.append(f"{len(active)} recorded conversation(s) still in progress: left out until they end")
    convs = convs[convs["ended"].fillna(False).astype(bool)]
    records = convs.to_dict("records")
    for r in records:
        for key in ("conversation_start", "conversation_end"):
            r[key] = None if r.get(key) is None or str(r.get(key)) == "NaT" else r[key]
    wanted = {r["conversation_id"]: r["conversation_start"].astimezone(timezone.utc).date()
              for r in records if r["conversation_start"] is not None}
    cached = store.cached(wanted) if store is not None and wanted else {}
    to_read = [i for i, r in enumerate(records) if r["conversation_id"] not in cached]
    if to_read:
        client.api_client  # noqa: B018 - authenticate once before fanning out
    per_minute, source = rate_per_minute(client) if to_read else (DOCUMENTED_PER_MINUTE, "the documented default")
    plan = LedgerPlan(len(records), len(records) - len(to_read), len(to_read), per_minute, source)
    if on_plan is not None:
        on_plan(plan)

    results: dict[int, tuple[_Read | None, list[dict[str, Any]]]] = {
        i: (None, cached[r["conversation_id"]]) for i, r in enumerate(records) if r["conversation_id"] in cached}
    seen_users: dict[str, str | None] = {}
    unwritten: list[dict[str, Any]] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        if store is not None and unwritten:
            store.write(unwritten)
        unwritten.clear()
        last_flush = time.monotonic()

    def take(i: int, read: _Read) -> None:
        conv = records[i]
        facts, names = _facts(conv, read)
        seen_users.update(names)
        results[i] = (read, facts)
        if _is_final(conv, read):
            unwritten.extend(facts)
        elif conv["conversation_start"] is not None:
            pending.append(conv["conversation_start"])

    pool = ThreadPoolExecutor(max_workers=min(concurrency, max(1, len(to_read))))
    try:
        futures = {pool.submit(_read, client, records[i]["conversation_id"], wait): i for i in to_read}
        waiting = set(futures)
        done = 0
        while waiting:
            finished, waiting = wait_futures(waiting, timeout=flush_seconds, return_when=FIRST_COMPLETED)
            for future in finished:
                take(futures[future], future.result())
                done += 1
                if on_progress is not None:
                    on_progress(done, len(to_read))
            if len(unwritten) >= FLUSH_ROWS or time.monotonic() - last_flush >= flush_seconds:
                flush()
        flush()
    except BaseException:
        with contextlib.suppress(Exception):  # keep what was read: a re-run resumes after it
            flush()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)

    rows: list[dict[str, Any]] = []
    pause_rows: list[dict[str, Any]] = []
    unpaused: list[dict[str, Any]] = []
    for i, conv in enumerate(records):
        read, facts = results[i]
        if read is not None and (read.state != "available" or not read.recordings):
            rows.append(_base(conv) | {"note": read.note or "no recording listed for this conversation"})
            continue
        recs, prs = _expand(conv, facts)
        rows.extend(recs)
        pause_rows.extend(prs)
        if not sum(int(r["pause_count"] or 0) for r in recs):
            unpaused.append(_base(conv) | {"recordings": len(recs),
                                           "hold_paused_ms": sum(int(r["hold_paused_ms"] or 0) for r in recs)})
    names_for(client).remember("user", seen_users)
    not_read = sum(1 for r in rows if r.get("recording_id") is None)
    if not_read:
        notes.append(f"{not_read} conversation(s) not read (transcoding, no recording, or an error): "
                     "see the note column; they are not counted as unpaused")
    table = add_names(typed_frame(rows, LEDGER_COLUMNS), client)
    pauses = add_names(typed_frame(pause_rows, PAUSE_COLUMNS), client)
    unpaused_frame = add_names(typed_frame(unpaused, UNPAUSED_COLUMNS), client)
    for frame in (table, pauses, unpaused_frame):
        for note in frame.attrs.get("notes", []):
            if note not in notes:
                notes.append(note)
    for frame in (table, pauses, unpaused_frame):
        frame.attrs["notes"] = notes
    return Ledger(interval, table, pauses, unpaused_frame, notes, plan=plan,
                  pending_from=min(pending) if pending else None)
