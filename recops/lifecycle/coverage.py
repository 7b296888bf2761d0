"""Coverage (issue 19): every conversation of an interval with its recordings' lifecycle, and for
each one without a usable recording, why; plus the orphans no conversation of it claims.

**The request plan** (the fewest requests at the per-token rate limit; docs/lifecycle.md, "Coverage"):

1. the conversations: the interval table (``rc.interval``: its finished days come from the history
   cache, fetched once);
2. the recordings' dates: ``GET /api/v2/recordings/retention/query?retentionThresholdDays=0``, 500 a
   page, org-wide (one request answers 500 recordings) — or, when the days to fetch hold fewer
   ended conversations than the last run's retention pages, one ``GET …/recordings`` each;
3. the orphans: ``GET /api/v2/orphanrecordings?hasConversation=true`` (uncapped) and the default
   list (capped at 500 by Genesys: the orphans naming no conversation), 100 a page;
4. ``GET …/conversations/{id}/recordings`` only for the recorded conversations nothing above
   explains (deleted, or still transcoding: the retention query lists neither);
5. the legal-hold check ``POST /api/v2/recordings/deletionprotection`` (100 ids a request) only
   for conversations whose recordings carry a future ``deleteDate``: the only ones protection
   changes anything for (others read ``<NA>``).

A finished day (final in the history cache) is kept in ``recops.history.coverage_store`` and never
fetched again (``refresh=True`` does); the live edge is fetched each time. A re-run over finished
days makes no request at all.

Reasons (the ``reason`` column; None when a recording is usable): ``not recorded``, ``orphaned``
(its recording is an orphan naming it), ``transcoding``, ``archived``, ``deleted`` (with the date),
``deleted by a recops job`` (this target's journal holds a DELETE job, executed, whose query covers it:
``deleting_jobs`` reads the lifecycle's ``recording_jobs`` table), ``in progress`` (not ended: not a
gap yet), ``not read`` (a read failed: see ``detail``).
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from recops.base.frames import typed_frame
from recops.genesys.errors import PermissionDenied, RecopsError

from .orphans import KNOWN, fetch_orphans

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client
    from recops.history.coverage_store import CoverageStore

RETENTION_PAGE = 500  # the retention query's largest page [documented]
CHECK_BATCH = 100  # deletion-protection ids a request [documented]
USABLE_STATES = ("AVAILABLE", "RESTORED")
REASONS = ("not recorded", "orphaned", "transcoding", "archived", "deleted", "deleted by a recops job",
           "in progress", "not read")
FRAME_COLUMNS = {
    "conversation_id": "string", "conversation_start": "datetime64[ns, UTC]",
    "conversation_end": "datetime64[ns, UTC]", "queue_ids": "string", "user_ids": "string",
    "recorded": "boolean", "usable": "boolean", "reason": "string", "recordings": "Int64",
    "recording_ids": "string", "file_states": "string", "archive_date": "datetime64[ns, UTC]",
    "deletion_date": "datetime64[ns, UTC]", "protected": "boolean", "orphan_id": "string", "detail": "string",
}
ORPHAN_FRAME_COLUMNS = {
    "orphan_id": "string", "created": "datetime64[ns, UTC]", "orphan_status": "string", "media_type": "string",
    "conversation_id": "string", "recording_id": "string",
}


@dataclass(frozen=True)
class CoveragePlan:
    """What a coverage run reads, decided before its first request."""

    conversations: int
    cached: int  # conversations answered from finished days in the cache
    to_fetch: int
    via: str  # "retention query" | "per conversation" | "nothing"

    def describe(self) -> str:
        if not self.to_fetch:
            return f"coverage of {self.conversations} conversations: all from the cache, no request"
        return (f"coverage of {self.conversations} conversations: {self.cached} cached, {self.to_fetch} to fetch "
                f"via the {self.via} (+ the orphan lists)")


@dataclass
class Coverage:
    """``rc.coverage(interval)``: ``.frame`` (one row per conversation), ``.orphans`` (the orphans no
    conversation of the interval claims), ``.summary`` (counts by reason), ``.plan``, ``.requests``."""

    interval: str
    frame: pd.DataFrame
    orphans: pd.DataFrame
    plan: CoveragePlan
    requests: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def gaps(self) -> pd.DataFrame:
        """The conversations without a usable recording that have ended (reason set, not in progress)."""
        f = self.frame
        return f[f["reason"].notna() & (f["reason"] != "in progress")]

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(r for r in self.frame["reason"].dropna())
        out = {"conversations": len(self.frame), "usable": int(self.frame["usable"].fillna(False).sum())}
        out.update({reason: counts[reason] for reason in REASONS if counts[reason]})
        out["orphans without a conversation"] = len(self.orphans)
        return out

    def to_csv(self, path: str) -> None:
        self.frame.to_csv(path, index=False)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}: {v}" for k, v in self.summary.items())
        return f"<Coverage {self.interval}: {parts}>"

    def _shown(self) -> pd.DataFrame:
        from recops.history.display import display_frame

        return display_frame(self.gaps.head(20))

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table

        summary = Table(title=f"coverage {self.interval}", show_header=True)
        summary.add_column("reason")
        summary.add_column("conversations", justify="right")
        for key, value in self.summary.items():
            summary.add_row(key, str(value))
        gaps = Table(title="gaps (first 20)")
        shown = self._shown()
        for col in shown.columns:
            gaps.add_column(str(col), no_wrap=True)
        for row in shown.itertuples(index=False):
            gaps.add_row(*("" if v is None or str(v) in ("<NA>", "NaT", "nan") else str(v) for v in row))
        return Group(summary, gaps, *self.notes)

    def _repr_html_(self) -> str:
        import html

        from recops.history.display import readable

        rows = "".join(f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{v}</td></tr>"
                       for k, v in self.summary.items())
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return (f"<h4>coverage {html.escape(self.interval)}</h4><table>{rows}</table>"
                f"<p>gaps (first 20)</p>{readable(self.gaps.head(20)).to_html()}{notes}")


# --- reading ---------------------------------------------------------------------------------------


def _when(value: Any) -> datetime | None:
    if value is None or str(value) in ("NaT", "None"):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def retention_rows(client: Client, wanted: set[str]) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """The retention query's rows of the ``wanted`` conversations, by conversation; and the pages read."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cursor, pages = None, 0
    path = "/api/v2/recordings/retention/query"
    fn = client.recording_api.get_recordings_retention_query
    while True:
        kwargs: dict[str, Any] = {"page_size": RETENTION_PAGE}
        if cursor:
            kwargs["cursor"] = cursor
        page = client.call("GET", path, fn, 0, **kwargs)
        pages += 1
        for r in page.entities or []:
            if r.conversation_id in wanted:
                out[r.conversation_id].append({"recording_id": r.recording_id, "archive_date": r.archive_date,
                                               "deletion_date": r.delete_date, "file_state": None})
        if not page.next_uri:
            return dict(out), pages
        cursor = parse_qs(urlparse(page.next_uri).query).get("cursor", [None])[0]
        if not cursor:
            return dict(out), pages


def _read_recordings(client: Client, cid: str) -> tuple[list[dict[str, Any]] | None, str | None]:
    """One conversation's recordings (file state and dates); None while transcoding (202)."""
    path = f"/api/v2/conversations/{cid}/recordings"
    try:
        items = client.call("GET", path, client.recording_api.get_conversation_recordings, cid,
                            max_wait_ms=1, format_id="NONE")
    except RecopsError as e:
        return [], f"recordings not read: {getattr(e, 'code', '') or e.message}"
    if client.last_status() == 202:
        return None, None
    return [{"recording_id": r.id, "archive_date": r.archive_date, "deletion_date": r.delete_date,
             "file_state": r.file_state} for r in items or []], None


def _classify(recs: list[dict[str, Any]], now: datetime) -> tuple[bool, str | None, list[str]]:
    """(usable, reason, file states) from a conversation's recordings."""
    states = []
    for r in recs:
        fs = r["file_state"]
        if fs is None:  # from the retention query: the dates say it
            delete, archive = _when(r["deletion_date"]), _when(r["archive_date"])
            fs = "DELETED" if delete and delete <= now else "ARCHIVED" if archive and archive <= now else "AVAILABLE"
        states.append(fs)
    if any(s in USABLE_STATES for s in states):
        return True, None, states
    if not states:
        return False, "not recorded", states
    if any(s in ("UPLOADING", "RESTORING") for s in states):
        return False, "transcoding", states
    if any(s == "ARCHIVED" for s in states):
        return False, "archived", states
    if all(s == "DELETED" for s in states):
        return False, "deleted", states
    return False, "not read", states


def _protected(client: Client, ids: list[str]) -> tuple[set[str], int]:
    held: set[str] = set()
    requests = 0
    for i in range(0, len(ids), CHECK_BATCH):
        body = client.sdk().ConversationDeletionProtectionQuery()
        body.conversation_ids = ids[i:i + CHECK_BATCH]
        refs = client.call("POST", "/api/v2/recordings/deletionprotection",
                           client.recording_api.post_recordings_deletionprotection, body)
        requests += 1
        held.update(r.id for r in refs or [])
    return held, requests


def _day(when: Any) -> date | None:
    t = _when(when)
    return t.astimezone(timezone.utc).date() if t else None


@dataclass(frozen=True)
class DeletingJob:
    """A DELETE recording job this target's journal ran (engineer L's ``recording_jobs`` table)."""

    job_id: str
    start: datetime
    end: datetime
    ids: frozenset[str]
    queue: str | None

    def covers(self, cid: str, started: datetime | None, queue_ids: str | None) -> bool:
        if self.ids:
            return cid in self.ids
        if started is None or not self.start <= started < self.end:
            return False
        return self.queue is None or self.queue in str(queue_ids or "").split(",")


def deleting_jobs(journal_path: Any, target: str) -> list[DeletingJob]:
    """The DELETE jobs of ``target`` that the journal (the lifecycle's ``recording_jobs`` table, in the same
    SQLite file as the changes) saw executed; [] when the journal has no such table (read only)."""
    import json
    import sqlite3

    from recops.genesys.intervals import parse_interval

    if journal_path is None:
        return []
    try:
        db = sqlite3.connect(f"file:{journal_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return []
    try:
        found = db.execute("select job_id, query from recording_jobs where target = ? and action = 'DELETE' "
                           "and state in ('PROCESSING', 'FULFILLED')", (target,)).fetchall()
    except sqlite3.Error:  # no lifecycle tables in this journal
        return []
    finally:
        db.close()
    out: list[DeletingJob] = []
    for job_id, text in found:
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
            cq = json.loads(text).get("conversationQuery") or {}
            start, end = parse_interval(cq["interval"])
            ids = {p.get("value") for f in cq.get("conversationFilters") or [] for c in f.get("clauses") or []
                   for p in c.get("predicates") or [] if p.get("dimension") == "conversationId"}
            queues = [p.get("value") for f in cq.get("segmentFilters") or [] for c in f.get("clauses") or []
                      for p in c.get("predicates") or [] if p.get("dimension") == "queueId"]
            out.append(DeletingJob(str(job_id), start, end, frozenset(i for i in ids if i),
                                   queues[0] if queues else None))
    return out


def build_coverage(client: Client, interval: str, start: datetime, end: datetime, conversations: pd.DataFrame, *,
                   store: CoverageStore | None, final_days: Iterable[date], refresh: bool = False,
                   queue: str | None = None, concurrency: int = 4, jobs: Iterable[DeletingJob] = (),
                   on_plan: Callable[[CoveragePlan], None] | None = None) -> Coverage:
    import pandas as pd

    now = datetime.now(timezone.utc)
    notes = list(conversations.attrs.get("notes", []))
    day_col = pd.to_datetime(conversations["conversation_start"], utc=True).dt.floor("D")  # vectorised
    final = set(final_days)
    whole = {d for d in final if datetime.combine(d, datetime.min.time(), timezone.utc) >= start
             and datetime.combine(d, datetime.min.time(), timezone.utc) + timedelta(days=1) <= end}
    present = {t.date() for t in day_col.dropna().unique()}
    cached_days = {d for d in present if d in whole and store is not None and store.has(d) and not refresh}
    cached_frame = None
    orphan_rows: list[dict[str, Any]] = []
    if cached_days and store is not None:
        # a cached day is a whole day inside the interval: all its rows belong, none is filtered
        got, got_orphans = store.read(cached_days)
        cached_frame = got.to_pandas().astype(FRAME_COLUMNS)
        orphan_rows += [o for o in got_orphans.to_pylist() if not o["matched"]]
    cached_stamps = [pd.Timestamp(d, tz="UTC") for d in cached_days]
    fetch_part = conversations[~day_col.isin(cached_stamps)] if cached_stamps else conversations
    all_ids = set(conversations["conversation_id"].dropna()) if len(fetch_part) else set()
    records = fetch_part.to_dict("records")
    for r in records:
        for key in ("conversation_start", "conversation_end"):
            r[key] = _when(r.get(key))
    by_day: dict[date | None, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_day[_day(r["conversation_start"])].append(r)
    rows: list[dict[str, Any]] = []
    n_records = len(conversations)
    fetch = records
    meta = store.meta() if store is not None else {}
    ended = [r for r in fetch if r.get("ended")]
    # per conversation only when that is known to take fewer requests than the retention query's pages
    per_conversation = bool(ended) and "retention_pages" in meta and len(ended) < int(meta["retention_pages"])
    via = "nothing" if not fetch else "per conversation" if per_conversation else "retention query"
    plan = CoveragePlan(n_records, n_records - len(fetch), len(fetch), via)
    if on_plan is not None:
        on_plan(plan)
    requests = 0
    fetched_orphans: list[dict[str, Any]] = []
    if fetch:
        try:
            orphan_list, n, capped = fetch_orphans(client, None)
        except PermissionDenied as e:  # coverage without orphans still says the rest
            orphan_list, n, capped = [], 1, False
            notes.append(f"orphans not read ({e.code}: needs recording:orphan:view): a conversation whose "
                         "recording is an orphan shows as not recorded")
        requests += n
        if capped:
            notes.append("the orphan list without hasConversation=true stops at 500 (Genesys's cap): "
                         "orphans naming no conversation beyond it are not counted")
        fetched_orphans = orphan_list
        by_orphan_conv: dict[str, dict[str, Any]] = {}
        for o in orphan_list:
            if o["conversation_id"] in all_ids and o["orphan_status"] in KNOWN:
                by_orphan_conv.setdefault(o["conversation_id"], o)
        recordings: dict[str, list[dict[str, Any]]] = {}
        if ended and not per_conversation:
            recordings, pages = retention_rows(client, {r["conversation_id"] for r in ended})
            requests += pages
            if store is not None:
                store.remember(retention_pages=pages)
        to_read: list[str] = []
        for r in fetch:
            cid = r["conversation_id"]
            if not r.get("ended"):
                continue
            if (per_conversation and r.get("recorded") is not False) \
                    or (cid not in recordings and cid not in by_orphan_conv and r.get("recorded")):
                to_read.append(cid)
        read: dict[str, tuple[list[dict[str, Any]] | None, str | None]] = {}
        if to_read:
            with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(to_read)))) as pool:
                for cid, answer in zip(to_read, pool.map(lambda c: _read_recordings(client, c), to_read),
                                       strict=True):
                    read[cid] = answer
            requests += len(to_read)
        fresh: list[dict[str, Any]] = []
        for r in fetch:
            cid = r["conversation_id"]
            row = {k: r.get(k) for k in ("conversation_id", "conversation_start", "conversation_end",
                                         "queue_ids", "user_ids")}
            row["recorded"] = None if r.get("recorded") is None else bool(r.get("recorded"))
            orphan = by_orphan_conv.get(cid)
            recs: list[dict[str, Any]] = []
            detail = None
            if not r.get("ended"):
                usable, reason, states = False, "in progress", []
            elif cid in read and read[cid][0] is None:
                usable, reason, states = False, "transcoding", ["UPLOADING"]
            else:
                if cid in read:
                    recs, detail = read[cid]  # type: ignore[assignment]
                    recs = recs or []
                else:
                    recs = recordings.get(cid, [])
                usable, reason, states = _classify(recs, now)
                if detail:
                    reason = "not read"
                elif reason == "not recorded" and orphan is not None:
                    reason = "orphaned"
            if orphan is not None:
                row["orphan_id"] = orphan["orphan_id"]
                detail = detail or f"orphan {orphan['orphan_id']} ({orphan['orphan_status']})"
            deletes = [d for d in (_when(x["deletion_date"]) for x in recs) if d]
            archives = [d for d in (_when(x["archive_date"]) for x in recs) if d]
            row.update(usable=usable, reason=reason, recordings=len(recs),
                       recording_ids=",".join(x["recording_id"] for x in recs) or None,
                       file_states=",".join(states) or None, archive_date=min(archives) if archives else None,
                       deletion_date=min(deletes) if deletes else None, protected=None, detail=detail)
            if reason == "deleted":
                by_job = next((j for j in jobs if j.covers(cid, r.get("conversation_start"), r.get("queue_ids"))), None)
                when = f"deleteDate {row['deletion_date'].isoformat()}" if row["deletion_date"] is not None else None
                if by_job is not None:
                    row["reason"] = "deleted by a recops job"
                    row["detail"] = f"recording job {by_job.job_id}" + (f", {when}" if when else "")
                elif when:
                    row["detail"] = when
            fresh.append(row)
        check = [row["conversation_id"] for row in fresh
                 if row["deletion_date"] is not None and row["deletion_date"] > now
                 and not str(row["reason"] or "").startswith("deleted")]
        if check:
            held, n = _protected(client, check)
            requests += n
            for row in fresh:
                if row["conversation_id"] in check:
                    row["protected"] = row["conversation_id"] in held
        fresh.sort(key=lambda r: (_when(r["conversation_start"]) or now, r["conversation_id"]))  # days kept in order
        rows += fresh
        # orphans no conversation of the interval claims, created inside it
        for o in orphan_list:
            claimed = o["conversation_id"] in all_ids and o["orphan_status"] in KNOWN
            created = _when(o["created"])
            if not claimed and created is not None and start <= created < end and created.date() not in cached_days:
                orphan_rows.append(o | {"matched": False, "day": str(created.date())})
        if store is not None:
            _keep_days(store, fresh, fetched_orphans, by_day, whole, all_ids)
    if queue:
        rows = [r for r in rows if queue in str(r.get("queue_ids") or "").split(",")]
        notes.append(f"queue {queue} only")
    rows.sort(key=lambda r: (_when(r["conversation_start"]) or now, r["conversation_id"]))
    frame = typed_frame(rows, FRAME_COLUMNS)
    if cached_frame is not None and len(cached_frame):
        if queue:
            in_queue = cached_frame["queue_ids"].fillna("").str.split(",").map(lambda ids: queue in ids)
            cached_frame = cached_frame[in_queue.astype(bool)]
        if len(frame):  # cached days and fetched ones: in start order together
            frame = pd.concat([cached_frame, frame], ignore_index=True)
            frame = frame.sort_values(["conversation_start", "conversation_id"], kind="stable").reset_index(drop=True)
        else:  # the cached days were written in start order, day by day
            frame = cached_frame.reset_index(drop=True)
    with contextlib.suppress(Exception):  # names are a courtesy: ids remain when they cannot be had
        from recops.history.names import add_names

        frame = add_names(frame, client)
    orphans = typed_frame(orphan_rows, ORPHAN_FRAME_COLUMNS)
    for note in frame.attrs.get("notes", []):
        if note not in notes:
            notes.append(note)
    frame.attrs["notes"] = notes
    return Coverage(interval, frame, orphans, plan, requests, notes)


def _keep_days(store: CoverageStore, fresh: list[dict[str, Any]], orphans: list[dict[str, Any]],
               by_day: dict[date | None, list[dict[str, Any]]], whole: set[date], all_ids: set[str]) -> None:
    """Write each finished day fetched now (rows of all its conversations, and its orphans)."""
    day_of_conv = {r["conversation_id"]: d for d, rs in by_day.items() for r in rs}
    rows_by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in fresh:
        d = day_of_conv.get(row["conversation_id"])
        if d in whole:
            rows_by_day[d].append(row)
    orphans_by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for o in orphans:
        claimed = o["conversation_id"] in all_ids and o["orphan_status"] in KNOWN
        d = day_of_conv.get(o["conversation_id"]) if claimed else _day(o["created"])
        if d in whole:
            orphans_by_day[d].append(o | {"matched": claimed, "day": str(d)})
    for d, day_rows in rows_by_day.items():
        store.write_day(d, day_rows, orphans_by_day.get(d, []))


def print_plan(plan: CoveragePlan) -> None:
    print(plan.describe(), file=sys.stderr)
