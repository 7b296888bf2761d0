"""The batch-and-download part of an export (``recops.export.run``), for one run.

Batches are submitted and polled on the calling thread, ahead of the downloads by as much as
keeps the pool busy while the next batches are processed (:class:`Lookahead`: the downloads'
measured rate times a batch's measured turnaround, at least :data:`BACKLOG`), but never more
than :data:`LINK_HORIZON` seconds of downloads ahead, so links are not asked for long before
they can be used (they expire: Genesys's shortest lifetime is 2 minutes). Each completed batch's result URLs go to a
pool of ``concurrency`` download threads; the calling thread records each finished file in the
progress store. A link that expired before its download is asked for again in a new batch, at
most :data:`LINK_ROUNDS` times per item. Between steps the run's cancel is checked; any exception
(a cancel, Ctrl-C, a failing callback) stops the running downloads at their next chunk.

It is one step of the flow, which goes one way: it is handed the resolved plan (the rows it
settles), the client, the completions (``recops.export.resume``: resume checks, and the progress
store it records into) and a progress callback; it knows nothing of the run that calls it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from recops.genesys.errors import DownloadCancelled, DownloadFailed, LinkExpired, NotFound, RateLimited, RecopsError

from . import batches
from .batches import BatchStatus, Item
from .downloads import Downloaded, Downloader, extension
from .manifest import Row
from .state import CompleteFile

if TYPE_CHECKING:
    from recops.api.client import Client

    from .plan import Source, Wanted
    from .resume import Completions

OPEN_BATCHES = 10  # batches submitted and not yet completed, at most, until the downloads' rate is known
MAX_OPEN_BATCHES = 20  # ... and at most, once it is
BACKLOG = OPEN_BATCHES * batches.MAX_ITEMS  # links waiting or asked for: at least this many may be
LINK_HORIZON = 60.0  # seconds of downloads that may wait, at most (links expire; the shortest TTL is 2 min)
LINK_ROUNDS = 5  # batches asked for one item whose links keep expiring (or whose batch vanished), at most
TICK = 0.1  # seconds between checks of cancel while waiting
RECORD_EVERY = 0.05  # seconds between transactions recording finished files, at least (while more are coming)


@dataclass
class _Job:
    items: list[Item]
    poll: batches.Poll
    submitted: float = field(default_factory=time.monotonic)


class Lookahead:
    """How far ahead of the downloads batches may be asked for: enough links waiting to keep
    the download pool busy for twice a batch's turnaround, as both are measured in this run."""

    def __init__(self) -> None:
        self.first_done: float | None = None
        self.done = 0
        self.turnaround: float | None = None  # seconds from a batch's submission to its results

    def downloaded(self, n: int) -> None:
        if n and self.first_done is None:
            self.first_done = time.monotonic()
        else:
            self.done += n

    def batch_took(self, seconds: float) -> None:
        self.turnaround = seconds if self.turnaround is None else (self.turnaround + seconds) / 2

    def rate(self) -> float | None:
        """Downloads per second since the first one finished (None until a few have)."""
        if self.first_done is None or self.done < 20:
            return None
        return self.done / max(time.monotonic() - self.first_done, 1e-3)

    def backlog(self) -> int:
        rate = self.rate()
        if rate is None or self.turnaround is None:
            return BACKLOG
        return int(max(BACKLOG, min(rate * 2 * (self.turnaround + TICK), rate * LINK_HORIZON)))

    def open_batches(self) -> int:
        if self.rate() is None or self.turnaround is None:
            return OPEN_BATCHES
        return max(OPEN_BATCHES, min(MAX_OPEN_BATCHES, -(-self.backlog() // batches.MAX_ITEMS)))


class Pipeline:
    """Batches submitted and polled on the calling thread; downloads on a pool of threads.

    ``plan``'s pending rows are what it fetches (and settles); ``cancel`` is asked between steps
    and by the downloads at each chunk; ``progress(done, total)`` is called when rows may have
    settled."""

    def __init__(self, client: Client, plan: Source, done: Completions, dest: Path, *, concurrency: int,
                 cancel: Callable[[], bool], progress: Callable[[int, int], None]) -> None:
        self.client, self.plan, self.done, self.dest = client, plan, done, dest
        self.user_cancel = cancel
        self.progress = progress
        self.stop = threading.Event()  # set on any exception: running downloads stop at their next chunk
        self.todo: deque[list[Item]] = deque()
        self.jobs: dict[str, _Job] = {}
        self.expired: list[Item] = []
        self.rounds: dict[Item, int] = {}
        self.by_conversation = {w.conversation_id: w for w in plan.wanted}
        self.downloads: dict[Future[Downloaded], tuple[Item, Row]] = {}
        self.fetching: set[Item] = set()
        s = client.settings
        self.downloader = Downloader(client.http, connect_timeout=s.connect_timeout, read_timeout=s.read_timeout,
                                     connections=max(4, concurrency), cancel=self.cancelled)
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="recops-download")
        self.hold_until = 0.0  # after a long Retry-After: no submission before
        self.ahead = Lookahead()
        self.named: dict[str, list[str]] = {}
        self.unrecorded: list[tuple[Row, CompleteFile]] = []  # finished files not yet in the store
        self.recorded_at = 0.0
        self.settled = True  # rows may have settled since the last progress report
        self.finished: queue.SimpleQueue[Future[Downloaded]] = queue.SimpleQueue()  # done downloads, in order

    def cancelled(self) -> bool:
        return self.stop.is_set() or self.user_cancel()

    def run(self) -> None:
        items = []
        for w in self.plan.wanted:
            if w.recordings is None:
                if w.rows()[0].status == "pending":
                    items.append(Item(w.conversation_id))
            else:
                items += [Item(r.conversation_id, r.recording_id) for r in w.recordings.values()
                          if r.status == "pending"]
        self.todo.extend(batches.chunks(items))
        try:
            self._loop()
        except BaseException:
            self.stop.set()  # running downloads stop at their next chunk
            raise
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self._collect(block=False)
            if self.unrecorded:
                self._record()

    def _loop(self) -> None:
        while self.todo or self.jobs or self.downloads or self.expired:
            if self.cancelled():
                raise DownloadCancelled
            self._submit()
            self._poll_due()
            self._collect(block=True)
            self._requeue_expired()
            if self.settled:
                self.settled = False
                self._report()

    def _report(self) -> None:
        """Progress (reads every row: only when some may have settled)."""
        rows = self.plan.rows()
        self.progress(sum(1 for r in rows if r.status != "pending"), len(rows))

    # --- batches ---------------------------------------------------------------------------------

    def _submit(self) -> None:
        while self._may_submit():
            items = self.todo.popleft()
            try:
                job_id = batches.submit(self.client, items)
            except RateLimited as e:
                self.todo.appendleft(items)
                self.hold_until = time.monotonic() + (e.retry_after or 1.0)
                return
            except RecopsError as e:
                self._fail(items, f"the batch request failed: {e.message}")
                continue
            self.jobs[job_id] = _Job(items, batches.Poll())

    def _may_submit(self, ignore_hold: bool = False) -> bool:
        waiting = len(self.downloads) + sum(len(job.items) for job in self.jobs.values())
        return bool(self.todo and len(self.jobs) < self.ahead.open_batches() and waiting < self.ahead.backlog()
                    and (ignore_hold or time.monotonic() >= self.hold_until))

    def _poll_due(self) -> None:
        now = time.monotonic()
        for job_id, job in list(self.jobs.items()):
            if job.poll.due > now:
                continue
            try:
                st = batches.status(self.client, job_id)
            except RateLimited as e:
                job.poll.due = time.monotonic() + (e.retry_after or job.poll.delay)
                continue
            except NotFound:
                del self.jobs[job_id]
                self._again(job.items, "its batch was not found any more")
                continue
            except RecopsError as e:
                del self.jobs[job_id]
                self._fail(job.items, f"polling its batch failed: {e.message}")
                continue
            if not st.done:
                job.poll.next()
                continue
            del self.jobs[job_id]
            self.ahead.batch_took(time.monotonic() - job.submitted)
            self._results(job, st)

    def _results(self, job: _Job, st: BatchStatus) -> None:
        found: dict[str, list[batches.BatchResult]] = {}
        for r in st.results:
            found.setdefault(r.conversation_id, []).append(r)
        self.named: dict[str, list[str]] = {}  # recordings the batch named, per conversation-only item
        for item in job.items:
            w = self.by_conversation[item.conversation_id]
            mine = [r for r in found.get(item.conversation_id, [])
                    if item.recording_id is None or r.recording_id == item.recording_id]
            if item.recording_id is None:
                self._conversation_results(w, mine)
            elif not mine:
                w.recording(item.recording_id).settle("failed", "the batch gave no result for this recording")
            else:
                self._result(w, mine[0])
        # one transaction; written before _collect (this thread) can record any of their files
        self.done.named(self.named)
        self.settled = True

    def _conversation_results(self, w: Wanted, results: list[batches.BatchResult]) -> None:
        with_ids = [r for r in results if r.recording_id]
        if not with_ids:
            error = next((r.error for r in results if r.error), None)
            w.rows()[0].settle("failed", error or "the batch gave no recording for this conversation")
            return
        w.name_recordings(r.recording_id for r in with_ids if r.recording_id)
        self.named[w.conversation_id] = list(w.recordings or {})
        for r in with_ids:
            self._result(w, r)

    def _result(self, w: Wanted, r: batches.BatchResult) -> None:
        assert r.recording_id
        row = w.recording(r.recording_id)
        if row.status != "pending":
            return
        if r.error or not r.url:
            row.settle("failed", r.error or "the batch gave neither a link nor an error")
            return
        if self.done.settle(row):
            return
        item = Item(w.conversation_id, r.recording_id)
        if item in self.fetching:
            return  # a second result for a recording already on its way
        self.fetching.add(item)
        rel = f"{w.conversation_id}/{r.recording_id}.{extension(r.content_type)}"
        future = self.pool.submit(self.downloader.fetch, r.url, self.dest / rel)
        self.downloads[future] = (item, row)
        future.add_done_callback(self.finished.put)  # O(1) collection, not a wait() over every future

    def _fail(self, items: list[Item], why: str) -> None:
        self.settled = True
        for item in items:
            w = self.by_conversation[item.conversation_id]
            rows = w.rows() if item.recording_id is None else [w.recording(item.recording_id)]
            for row in rows:
                if row.status == "pending":
                    row.settle("failed", why)

    def _again(self, items: list[Item], why: str) -> None:
        """Ask a new batch for ``items`` (bounded rounds per item)."""
        for item in items:
            self.rounds[item] = self.rounds.get(item, 0) + 1
            if self.rounds[item] >= LINK_ROUNDS:
                self._fail([item], f"{why}, {LINK_ROUNDS} times; re-run the export to resume")
            else:
                self.expired.append(item)

    def _requeue_expired(self) -> None:
        if self.expired and (len(self.expired) >= batches.MAX_ITEMS or not self.downloads):
            self.todo.extend(batches.chunks(self.expired))
            self.expired = []

    # --- downloads -------------------------------------------------------------------------------

    def _collect(self, block: bool) -> None:
        if not self.downloads:
            if block:
                time.sleep(self._wait_time())
            return
        done: list[Future[Downloaded]] = []
        with contextlib.suppress(queue.Empty):
            done.append(self.finished.get(timeout=self._wait_time()) if block else self.finished.get_nowait())
            while True:
                done.append(self.finished.get_nowait())
        finished: list[tuple[Row, CompleteFile]] = []
        for future in done:
            if future not in self.downloads:
                continue  # collected already
            item, row = self.downloads.pop(future)
            self.fetching.discard(item)
            try:
                got = future.result()
            except LinkExpired:
                self._again([item], "its download link expired before it was fetched")
                continue
            except (DownloadCancelled, Exception) as e:
                if future.cancelled() or isinstance(e, DownloadCancelled):
                    continue  # stays pending: cancelled at the end
                self.settled = True
                row.settle("failed", str(e) if isinstance(e, (DownloadFailed, RecopsError)) else
                           f"{type(e).__name__}: {e}")
                continue
            rel = got.path.relative_to(self.dest).as_posix()
            finished.append((row, CompleteFile(item.conversation_id, item.recording_id or "", rel, got.bytes,
                                               got.sha256, got.media_type, "")))
        self.ahead.downloaded(len(finished))
        self.unrecorded += finished
        if self.unrecorded and (not block or not self.downloads
                                or time.monotonic() - self.recorded_at >= RECORD_EVERY):
            self._record()

    def _record(self) -> None:
        """Record the finished files in one transaction (``Completions.record``)."""
        self.done.record(self.unrecorded)
        self.unrecorded = []
        self.recorded_at = time.monotonic()
        self.settled = True

    def _wait_time(self) -> float:
        """Seconds until the next thing due (a poll, a submission), at most TICK."""
        now = time.monotonic()
        dues = [job.poll.due for job in self.jobs.values()]
        if self._may_submit(ignore_hold=True):
            dues.append(self.hold_until)
        return max(0.0, min(TICK, min(dues, default=now + TICK) - now))
