"""Any interval of conversation history, day by day, into the Parquet cache (``recops.history.store``).

``read_history(client, interval, ...)`` is the one entry point (``rc.interval`` builds its
DataFrame from it in ``recops.history.tables``, ``rc.fetch`` returns its store): it parses the interval
and checks every option once (``check_options``: ``via``, ``page_size``, ``concurrency``), before
any request, then reads. The rows are those of ``recops.history.rows``.

How each UTC day the interval touches is read:

- **cache**: a complete day already in the store is never asked for again;
- **query** (``POST .../details/query``, ``recops.history.query``): the documented limits are 7 days
  per query and start dates up to 35 days back, today included. ``via="auto"`` uses it for an
  interval of at most 7 days inside that reach, and for the days a job cannot serve yet (after
  the data lake's availability date);
- **jobs** (``recops.history.jobs``): everything else: one job per day, up to ``MAX_JOBS_IN_FLIGHT``
  submitted at once (their completion delays overlap), ``concurrency`` of them read at a time
  (the transport paces all of them under the per-token rate limit), each page by cursor,
  converted to Arrow and appended to its day's Parquet file, the job deleted when read.

Finality: a day is cached as final only when it ended at least ``SETTLE`` (48 hours, the
data-lake lag Genesys documents for jobs) before now and, for a day read through a job, before
the jobs' ``dataAvailabilityDate``. Newer days are read on every call (only the part inside the
interval) and never written to the store.

Cancellation (a ``CancelToken``, a callable or ``threading.Event``), ``KeyboardInterrupt`` or any
error (from the API or from ``on_progress``) deletes the running jobs and discards the day being
written: the store keeps exactly the days that were complete, and a re-run resumes from there.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recops.api.settings import DEFAULT_CONCURRENCY
from recops.base.progress import Bar, HistoryProgress, OnProgress, cancel_check
from recops.genesys.errors import ConfigError
from recops.genesys.intervals import days as touched_days
from recops.genesys.intervals import iso, parse_past_interval, utc_day

from . import jobs
from .rows import json_row, rows_to_table
from .store import Store

if TYPE_CHECKING:
    import pyarrow as pa

    from recops.api.client import Client

VIA = ("auto", "query", "jobs")
QUERY_MAX_DAYS = 7
QUERY_REACH_DAYS = 35  # "interval start dates up to 35 days in the past (including today)"
SETTLE = timedelta(hours=48)
MAX_JOBS_IN_FLIGHT = 31  # [assumption] no concurrency cap is documented; a month at once
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Filters:
    queue_id: str | None = None
    user_id: str | None = None
    media_type: str | None = None
    recorded: bool | None = None

    def identity(self) -> dict[str, Any]:
        return {"queue_id": self.queue_id, "user_id": self.user_id, "media_type": self.media_type,
                "recorded": self.recorded}


@dataclass
class DayPlan:
    day: datetime  # its UTC midnight
    start: datetime  # what is asked for: the whole day when final, else the part in the interval
    end: datetime
    via: str  # "cache", "query" or "jobs"
    final: bool


@dataclass
class HistoryRead:
    """What a read did: the store of final days, the rows of newer days, and per-day sources."""

    store: Store
    start: datetime
    end: datetime
    plan: list[DayPlan]
    live: list[pa.Table] = field(default_factory=list)

    @property
    def via(self) -> dict[str, str]:
        return {p.day.date().isoformat(): p.via for p in self.plan}

    def table(self) -> pa.Table:
        """Every row that started in ``[start, end)``, by start time then id."""
        import pyarrow as pa
        import pyarrow.compute as pc

        parts = [self.store.table(self.start, self.end), *self.live]
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        if len(table):
            cs = table["conversation_start"]
            table = table.filter(pc.and_(pc.greater_equal(cs, pa.scalar(self.start, cs.type)),
                                         pc.less(cs, pa.scalar(self.end, cs.type))))
            table = table.sort_by([("conversation_start", "ascending"), ("conversation_id", "ascending")])
        return table


def query_reach(now: datetime) -> datetime:
    """The earliest start the details query accepts."""
    return utc_day(now) - timedelta(days=QUERY_REACH_DAYS - 1)


def plan(start: datetime, end: datetime, now: datetime, via: str, store: Store,
         available: Callable[[], datetime | None]) -> list[DayPlan]:
    """How each day is read (``via`` already checked by ``check_options``). ``available()`` (the
    data lake's availability date) is asked only if a job may be needed."""
    reach = query_reach(now)
    settled = now - SETTLE
    short = end - start <= timedelta(days=QUERY_MAX_DAYS) and start >= reach
    out: list[DayPlan] = []
    availability: list[datetime | None] = []

    def lake() -> datetime | None:
        if not availability:
            availability.append(available())
        return availability[0]

    for day in touched_days(start, min(end, now)):
        whole_end = day + DAY
        if store.has(day):
            out.append(DayPlan(day, day, whole_end, "cache", True))
            continue
        if via == "query" or (via == "auto" and short):
            how = "query"
        elif via == "jobs" or day < reach:
            how = "jobs"
        else:  # auto, a long interval: jobs where the data lake is complete, the query after
            limit = lake()
            how = "jobs" if limit is None or whole_end <= limit else "query"
        final = whole_end <= settled
        if final and how == "jobs":
            limit = lake()
            final = limit is None or whole_end <= limit
        if final:
            out.append(DayPlan(day, day, whole_end, how, True))
        else:
            out.append(DayPlan(day, max(start, day), min(end, whole_end), how, False))
    return out


def read_history(client: Client, interval: str | tuple[datetime, datetime], *, queue_id: str | None = None,
                 user_id: str | None = None, media_type: str | None = None, recorded: bool | None = None,
                 via: str = "auto", cache_dir: str | Path | None = None, progress: bool = True,
                 on_progress: OnProgress | None = None, cancel: Any = None, page_size: int | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY) -> HistoryRead:
    """Fill the cache with the final days of ``interval`` that it lacks and read the newer ones
    (``HistoryRead``; ``recops.history.tables.interval_frame`` builds the DataFrame from it).

    ``via``: ``"auto"``, ``"query"`` or ``"jobs"``; ``page_size``: a job's results per page (None:
    ``jobs.PAGE_SIZE``); ``concurrency``: jobs read at a time. A bad interval or option raises
    ``ConfigError`` here, before any request."""
    now = datetime.now(timezone.utc)
    start, end = parse_past_interval(interval, now)
    page_size = check_options(start, now, via, page_size, concurrency)
    filters = Filters(queue_id, user_id, media_type, recorded)
    store = history_store(client, filters, cache_dir)
    return _read(client, store, start, end, filters, now=now, via=via, page_size=page_size, progress=progress,
                 on_progress=on_progress, cancel=cancel, concurrency=concurrency)


def check_options(start: datetime, now: datetime, via: str, page_size: int | None, concurrency: int) -> int:
    """Every option of a read, checked once, before any request: ``ConfigError`` says which and
    what to give instead. Returns the page size to use."""
    if via not in VIA:
        raise ConfigError(f"via must be one of {', '.join(VIA)}, not {via!r}")
    reach = query_reach(now)
    if via == "query" and start < reach:
        raise ConfigError(f"the details query reaches back to {iso(reach)} (35 days, today included); "
                          f"this interval starts {iso(start)}", "use via='jobs' (or 'auto') for older history")
    if page_size is None:
        page_size = jobs.PAGE_SIZE
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ConfigError(f"page_size must be a whole number of at least 1, not {page_size!r}",
                          f"leave it out for {jobs.PAGE_SIZE} conversations per results page")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"concurrency must be a whole number of at least 1, not {concurrency!r}",
                          f"leave it out for {DEFAULT_CONCURRENCY} jobs read at a time")
    return page_size


def history_store(client: Client, filters: Filters | None = None, cache_dir: str | Path | None = None) -> Store:
    """The cache of one filter set on this client's target, as this principal."""
    filters = filters or Filters()
    client.api_client  # noqa: B018 - resolves the target's URL and credentials
    principal = client.credentials.client_id or client.user_id or "user-token"
    identity = {"url": client.base_url, "principal": principal, **filters.identity()}
    return Store(Path(cache_dir) if cache_dir else client.settings.cache_dir, identity)


def _read(client: Client, store: Store, start: datetime, end: datetime, filters: Filters, *, now: datetime,
          via: str, page_size: int, progress: bool, on_progress: OnProgress | None, cancel: Any,
          concurrency: int) -> HistoryRead:
    """Fill ``store`` with the final days of ``[start, end)`` that it lacks; read newer days."""
    days = plan(start, end, now, via, store, lambda: jobs.availability(client))
    result = HistoryRead(store, start, end, days)
    check = cancel_check(cancel)
    bar = Bar(len(days), progress)
    done = 0

    def finished(p: DayPlan, rows: int) -> None:
        nonlocal done
        done += 1
        event = HistoryProgress(p.day.date().isoformat(), p.via, rows, done, len(days), p.via == "cache")
        bar.update(event)
        if on_progress is not None:
            on_progress(event)

    try:
        for p in days:
            if p.via == "cache":
                finished(p, 0)
        for p in (d for d in days if d.via == "query"):
            if check():
                raise jobs.Cancelled
            finished(p, _by_query(client, store, result, p, filters))
        _by_jobs(client, store, result, [d for d in days if d.via == "jobs"], filters, page_size, check, finished,
                 concurrency)
    finally:
        bar.close()
    return result


def _by_query(client: Client, store: Store, result: HistoryRead, p: DayPlan, filters: Filters) -> int:
    from .query import conversation_rows

    rows = conversation_rows(client, p.start, p.end, **filters.identity())
    if not p.final:
        result.live.append(rows_to_table(rows))
        return len(rows)
    writer = store.writer(p.day.date())
    try:
        for i in range(0, len(rows), 5000):
            writer.write(rows[i:i + 5000])
        writer.commit(via="query")
    except BaseException:
        writer.abort()
        raise
    return writer.rows


def _job_rows(conversations: list[dict[str, Any]], p: DayPlan, filters: Filters) -> list[dict[str, Any]]:
    """The rows of one results page (JSON, ``jobs.raw_pages``) that started in the day's part."""
    out = []
    for conv in conversations:
        row = json_row(conv)
        cs = row["conversation_start"]
        if cs is None or not (p.start <= cs < p.end):  # a job returns conversations *active* in it
            continue
        if filters.recorded is False and row["recorded"]:
            continue
        out.append(row)
    return out


def _by_jobs(client: Client, store: Store, result: HistoryRead, todo: list[DayPlan], filters: Filters,
             page_size: int, check: Callable[[], bool], finished: Callable[[DayPlan, int], None],
             concurrency: int) -> None:
    """Submit the days' jobs (up to ``MAX_JOBS_IN_FLIGHT`` at once), read ``concurrency`` of them
    at a time, each by its own worker into its own day file; ``finished`` runs on this thread.
    Any failure or interruption stops the workers at their next page or poll and deletes every
    job not yet deleted."""
    if not todo:
        return
    from .query import segment_filters

    sdk_filters = segment_filters(client.sdk(), **filters.identity())
    waiting = deque(todo)
    stop = threading.Event()
    lock = threading.Lock()
    open_jobs: dict[str, DayPlan] = {}

    def stopped() -> bool:
        return stop.is_set() or check()

    def submit_next() -> tuple[DayPlan, str] | None:
        with lock:
            if not waiting:
                return None
            p = waiting.popleft()
        if stopped():
            raise jobs.Cancelled
        job_id = jobs.submit(client, p.start, p.end, sdk_filters)
        with lock:
            open_jobs[job_id] = p
        return p, job_id

    def drop(job_id: str) -> None:
        with lock:
            if open_jobs.pop(job_id, None) is None:
                return
        jobs.delete(client, job_id)

    def work(p: DayPlan, job_id: str) -> tuple[DayPlan, int, list[pa.Table]]:
        jobs.wait(client, job_id, stopped)
        live: list[pa.Table] = []
        if p.final:
            writer = store.writer(p.day.date())
            try:
                for page in jobs.raw_pages(client, job_id, page_size, stopped):
                    writer.write(_job_rows(page, p, filters))
                    del page  # one page per worker at a time: not held while the next is read
                writer.commit(via="jobs", job=job_id)
            except BaseException:
                writer.abort()
                raise
            rows = writer.rows
        else:
            live = [rows_to_table(_job_rows(page, p, filters)) for page in jobs.raw_pages(client, job_id, page_size,
                                                                                         stopped)]
            rows = sum(len(t) for t in live)
        drop(job_id)
        return p, rows, live

    ready: deque[tuple[DayPlan, str]] = deque()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="recops-jobs")
    running: set[Future[tuple[DayPlan, int, list[pa.Table]]]] = set()
    try:
        while len(ready) < MAX_JOBS_IN_FLIGHT and (job := submit_next()) is not None:
            ready.append(job)
        while ready or running:
            while ready and len(running) < concurrency:
                running.add(pool.submit(work, *ready.popleft()))
            done, running = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                p, rows, live = future.result()
                result.live.extend(live)
                if (job := submit_next()) is not None:
                    ready.append(job)
                finished(p, rows)
    except BaseException:
        stop.set()  # the workers stop at their next page or poll
        wait(running)
        raise
    finally:
        pool.shutdown(wait=True)
        with lock:
            left = list(open_jobs)
        for job_id in left:  # cancel what still runs; complete days stay in the store
            drop(job_id)
