"""``recops.connect()``: one object for a notebook or a script — target, client, journal and
every operation.

    rc = recops.connect()                 # the sandbox, with no configuration
    rc.target                             # SANDBOX (...) or REAL ORG in eu-west-1 (...)
    rc.status("c0a8...")                  # RecordingStatus
    rc.pause("c0a8...")                   # Outcome (confirm=True needed on a real org)
    rc.pause_many(["c0a8...", ...])       # Outcomes: one per id, failures included, with a summary
    rc.states(["c0a8...", ...])           # pandas DataFrame
    rc.interval("2026-01-01T00:00:00Z/2026-04-01T00:00:00Z")   # any interval, cached by day
    rc.store.sql("select queue_ids, count(*) from conversations group by 1")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recops.api.client import Client
from recops.api.settings import DEFAULT_CONCURRENCY, Settings
from recops.ops.files import RecordingsResult, recordings
from recops.ops.journal import Journal
from recops.ops.reconcile import reconcile
from recops.ops.recording import Outcome, RecordingOps, RecordingStatus, status

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.transport import Exchange, Wait
    from recops.base.progress import OnProgress
    from recops.export.run import ExportResult, OnExportProgress
    from recops.history.ledger import Ledger, LedgerPlan
    from recops.history.names import Names
    from recops.history.store import Store
    from recops.lifecycle.hold import HoldResult
    from recops.lifecycle.job_run import JobOutcome
    from recops.lifecycle.jobs import JobPlan, JobStatus
    from recops.lifecycle.journal import LifecycleJournal
    from recops.lifecycle.retention import RetentionResult
    from recops.live.transitions import Transition
    from recops.live.watch import Watch, WatchSettings
    from recops.ops.bulk import Outcomes, Progress


class Session:
    def __init__(self, settings: Settings | None = None, *, journal: Journal | str | Path | None = None,
                 on_wait: Callable[[Wait], None] | None = None,
                 on_exchange: Callable[[Exchange], None] | None = None) -> None:
        self.settings = settings or Settings.load()
        self._wait_listeners: list[Callable[[Wait], None]] = [on_wait] if on_wait else []
        self.client = Client(self.settings, on_wait=self._dispatch_wait, on_exchange=on_exchange)
        if journal is None or isinstance(journal, (str, Path)):
            journal = Journal(journal or self.settings.journal_path)
        self.journal = journal
        self.ops = RecordingOps(self.client, self.journal)
        self._sandbox_users: dict[str, Session] = {}

    @property
    def target(self) -> str:
        return self.client.describe()

    @property
    def is_sandbox(self) -> bool:
        return self.client.target.is_sandbox

    def on_wait(self, fn: Callable[[Wait], None]) -> Callable[[], None]:
        """Call ``fn`` for every deliberate wait (Retry-After, backoff, pacing); several
        listeners (e.g. several widgets) may watch one session. Returns a function that
        removes the listener."""
        self._wait_listeners.append(fn)
        return lambda: self._wait_listeners.remove(fn) if fn in self._wait_listeners else None

    def _dispatch_wait(self, wait: Wait) -> None:
        for fn in list(self._wait_listeners):
            fn(wait)

    def with_token(self, access_token: str) -> Session:
        """The same target and journal, acting with a user's access token (needed for a
        participant's ad-hoc start/stop and for the participant's own secure pause)."""
        from recops.api.secret import Secret

        settings = self.settings.with_overrides(access_token=Secret(access_token), client_id=None,
                                                client_secret=None, sandbox_url=self._sandbox_url())
        return Session(settings, journal=self.journal, on_wait=self.client.on_wait,
                       on_exchange=self.client.on_exchange)

    def as_sandbox_user(self, user_id: str) -> Session:
        """Sandbox only: the same session acting as one of the sandbox's users (for example the
        agent on a call), with a token minted by the sandbox's control plane (once per user)."""
        from recops.api.targets import control_client
        from recops.genesys.errors import ConfigError

        if not self.is_sandbox:
            raise ConfigError("as_sandbox_user works on the sandbox only",
                              "on a real org, use with_token(<the user's access token>)")
        if user_id not in self._sandbox_users:
            url = self._sandbox_url()
            assert url is not None
            control = control_client(url, self.client.credentials, self.settings.seat)  # a seat: its own users
            self._sandbox_users[user_id] = self.with_token(control.user_token(user_id))
        return self._sandbox_users[user_id]

    def _sandbox_url(self) -> str | None:
        if not self.is_sandbox:
            return self.settings.sandbox_url
        self.client.api_client  # noqa: B018 - resolves the embedded sandbox's URL
        return self.client.base_url

    # reads
    def status(self, conversation_id: str) -> RecordingStatus:
        return status(self.client, conversation_id)

    def recordings(self, conversation_id: str, wait: float = 0.0) -> RecordingsResult:
        return recordings(self.client, conversation_id, wait=wait)

    def states(self, conversation_ids: Iterable[str], concurrency: int = DEFAULT_CONCURRENCY) -> pd.DataFrame:
        from recops.history.tables import states_frame

        return states_frame(self.client, conversation_ids, concurrency=concurrency)

    def interval(self, interval: str | tuple[datetime, datetime], *, via: str = "auto", progress: bool = True,
                 on_progress: OnProgress | None = None, cancel: Any = None, **filters: Any) -> pd.DataFrame:
        """Every conversation that started in ``interval`` (any length, any age), one row each:
        the details query for short recent ranges, the analytics jobs for longer or older ones
        (``via`` forces either), cached by day as Parquet (``rc.store``). Filters: ``queue_id``,
        ``user_id``, ``media_type``, ``recorded``. ``cancel``: a ``recops.CancelToken``."""
        from recops.history.tables import interval_frame

        return interval_frame(self.client, interval, via=via, progress=progress, on_progress=on_progress,
                              cancel=cancel, **filters)

    def fetch(self, interval: str | tuple[datetime, datetime], *, via: str = "auto", progress: bool = True,
              on_progress: OnProgress | None = None, cancel: Any = None, **filters: Any) -> Store:
        """As ``interval``, but only fills the cache (no DataFrame): for months of history that
        are then queried with ``store.sql``. Returns the store of those filters."""
        from recops.history.reader import read_history

        return read_history(self.client, interval, via=via, progress=progress, on_progress=on_progress,
                            cancel=cancel, **filters).store

    @property
    def store(self) -> Store:
        """The history cache of unfiltered intervals: ``rc.store.sql("select ... from conversations")``,
        ``rc.store.days()``, ``rc.store.clear()``."""
        return self.store_for()

    def store_for(self, **filters: Any) -> Store:
        """The history cache of one filter set (``queue_id``, ``user_id``, ``media_type``, ``recorded``)."""
        from recops.history.reader import Filters, history_store

        return history_store(self.client, Filters(**filters))

    @property
    def names(self) -> Names:
        """Queue and agent names, looked up in batches and cached for this session (``recops.history.names``)."""
        from recops.history.names import names_for

        return names_for(self.client)

    def ledger(self, interval: str | tuple[datetime, datetime] | None = None, *, wait: float = 0.0,
               concurrency: int = DEFAULT_CONCURRENCY, on_progress: Callable[[int, int], None] | None = None,
               progress: bool = True, cache: bool = True, since_last: bool = False,
               on_plan: Callable[[LedgerPlan], None] | None = None, **filters: Any) -> Ledger:
        """The pause ledger of ``interval`` (``recops.history.ledger``): one row per recording of an ended,
        recorded conversation (``.table``), one per pause (``.pauses``), and the recorded
        conversations with no secure pause (``.unpaused``). ``filters`` as for ``interval``;
        ``wait``: seconds to wait for a conversation's recordings still transcoding.

        Final conversations' pause facts are cached (``recops.history.ledger_store``; ``cache=False``
        neither reads nor writes it): a re-run reads no recording twice, an interrupted run resumes.
        Before the first recording request the plan (cached, to read, the time the rate limit sets)
        goes to ``on_plan`` and, with ``progress``, to stderr with a bar. ``since_last=True`` (no
        ``interval``): from where the standing ledger stopped to now."""
        from datetime import timezone

        from recops.genesys.errors import ConfigError
        from recops.genesys.intervals import iso, parse_interval
        from recops.history.ledger import build_ledger

        store = self.store.ledger()
        if since_last:
            if interval is not None:
                raise ConfigError("give either an interval or since_last, not both")
            begin = store.resume_point()
            if begin is None:
                raise ConfigError("there is no standing ledger yet to bring up to date",
                                  "run the ledger once over an interval (recops ledger --interval START/NOW); "
                                  "--since-last then continues from its end")
            interval = (begin, datetime.now(timezone.utc).replace(microsecond=0))
        elif interval is None:
            raise ConfigError("the ledger needs an interval", "give an ISO-8601 start/end, or since_last=True")
        start, end = parse_interval(interval)
        conversations = self.interval((start, end), progress=progress, **(filters | {"recorded": True}))
        bar = _LedgerBar(progress)

        def planned(plan: LedgerPlan) -> None:
            bar.start(plan)
            if on_plan is not None:
                on_plan(plan)

        def step(done: int, total: int) -> None:
            bar.update(done)
            if on_progress is not None:
                on_progress(done, total)

        try:
            result = build_ledger(self.client, f"{iso(start)}/{iso(end)}", conversations, wait=wait,
                                  concurrency=concurrency, on_progress=step, on_plan=planned,
                                  store=store if cache else None)
        finally:
            bar.close()
        if cache:
            store.record_run(start, end, result.pending_from)
        return result

    def export(self, source: Iterable[str] | pd.DataFrame, dest: str | Path, *, dry_run: bool = False,
               concurrency: int = DEFAULT_CONCURRENCY, progress: bool = True,
               on_progress: OnExportProgress | None = None, cancel: Any = None) -> ExportResult:
        """Download the recordings of ``source`` (conversation ids, or a table with a
        ``conversation_id`` column, e.g. ``rc.interval(...)``) into ``dest``, with a manifest
        (``recops.export.run``). Re-running it resumes: complete files are never fetched again.
        ``on_progress(done, total)``; ``cancel``: a ``recops.CancelToken``."""
        from recops.export.run import export
        from recops.export.state import default_path

        return export(self.client, source, dest, state_path=default_path(self.journal.path),
                      dry_run=dry_run, concurrency=concurrency, progress=progress, on_progress=on_progress,
                      cancel=cancel)

    # changes
    def pause(self, conversation_id: str, confirm: bool = False, dry_run: bool = False) -> Outcome:
        return self.ops.pause(conversation_id, confirm=confirm, dry_run=dry_run)

    def resume(self, conversation_id: str, confirm: bool = False, dry_run: bool = False) -> Outcome:
        return self.ops.resume(conversation_id, confirm=confirm, dry_run=dry_run)

    def pause_many(self, conversation_ids: Iterable[str], confirm: bool = False, dry_run: bool = False,
                   on_progress: Progress | None = None, concurrency: int = DEFAULT_CONCURRENCY) -> Outcomes:
        """Secure-pause every conversation: one ``Outcome`` per id, in order; a failure is an
        Outcome carrying the error, never an exception that stops the rest (see ``recops.ops.bulk``).
        ``on_progress(done, total, outcome)`` follows the run."""
        from recops.ops.bulk import run_many

        return run_many(self.ops, "pause", conversation_ids, confirm=confirm, dry_run=dry_run,
                        concurrency=concurrency, on_progress=on_progress)

    def resume_many(self, conversation_ids: Iterable[str], confirm: bool = False, dry_run: bool = False,
                    on_progress: Progress | None = None, concurrency: int = DEFAULT_CONCURRENCY) -> Outcomes:
        """Resume every conversation after a secure pause; as ``pause_many``."""
        from recops.ops.bulk import run_many

        return run_many(self.ops, "resume", conversation_ids, confirm=confirm, dry_run=dry_run,
                        concurrency=concurrency, on_progress=on_progress)

    def start(self, conversation_id: str, participant_id: str, confirm: bool = False,
              dry_run: bool = False) -> Outcome:
        return self.ops.start(conversation_id, participant_id, confirm=confirm, dry_run=dry_run)

    def stop(self, conversation_id: str, participant_id: str, confirm: bool = False,
             dry_run: bool = False) -> Outcome:
        return self.ops.stop(conversation_id, participant_id, confirm=confirm, dry_run=dry_run)

    def reconcile(self, settle_after: float | None = None) -> list[dict[str, Any]]:
        """Settle in-doubt changes by reading the state (see ``recops.ops.reconcile``)."""
        return reconcile(self.client, self.journal, settle_after=settle_after)

    # --- the end of a recording's life: jobs, retention, legal hold (issue 19, engineer L) ----------

    @property
    def lifecycle_journal(self) -> LifecycleJournal:
        """The lifecycle's tables (``recops.lifecycle.journal``) in the same file as ``journal``."""
        from recops.lifecycle.journal import LifecycleJournal

        if getattr(self, "_lifecycle_journal", None) is None:
            self._lifecycle_journal = LifecycleJournal(self.journal.path)
        return self._lifecycle_journal

    def protect(self, ids_or_frame: Any, confirm: bool = False, dry_run: bool = False) -> HoldResult:
        """Legal hold on every conversation (ids, or a table with ``conversation_id``), in batches of
        100, refused before any change past the org's 1,000 cap (``recops.lifecycle.hold``)."""
        from recops.lifecycle.hold import change

        return change(self.client, self.lifecycle_journal, "protect", ids_or_frame, confirm=confirm, dry_run=dry_run)

    def revoke(self, ids_or_frame: Any, confirm: bool = False, dry_run: bool = False) -> HoldResult:
        """Lift legal hold from every conversation, in batches of 100."""
        from recops.lifecycle.hold import change

        return change(self.client, self.lifecycle_journal, "revoke", ids_or_frame, confirm=confirm, dry_run=dry_run)

    def protected(self, ids_or_frame: Any) -> pd.DataFrame:
        """Which conversations are under legal hold now (the POST check): ``conversation_id``, ``protected``."""
        from recops.lifecycle.hold import protected_frame

        return protected_frame(self.client, ids_or_frame)

    def set_retention(self, ids_or_frame: Any, *, archive_date: Any = None, delete_date: Any = None,
                      clear: Iterable[str] = (), dry_run: bool = False, confirm: bool = False) -> RetentionResult:
        """New archive/delete dates (``clear=("deleteDate",)`` removes one) for every recording of the
        conversations, or of the recordings of a table with ``recording_id`` (``recops.lifecycle.retention``)."""
        from recops.lifecycle.retention import set_retention

        return set_retention(self.client, self.lifecycle_journal, ids_or_frame, archive_date=archive_date,
                             delete_date=delete_date, clear=clear, dry_run=dry_run, confirm=confirm)

    def recording_job(self, action: str, *, interval: Any = None, queue: str | None = None, ids: Any = None,
                      frame: Any = None, action_date: Any = None, action_age: int | None = None,
                      integration_id: str | None = None, include_screen: bool = True, clear_export: bool = False,
                      wait: float = 3600.0) -> JobPlan:
        """Create a bulk recording job (DELETE, ARCHIVE or EXPORT) over an interval (+ queue) or
        conversation ids / a frame, wait while it is PENDING, and return its plan: the job's own READY
        counts and the protected conversations it will skip. Nothing is executed (``recops.lifecycle.jobs``)."""
        from recops.lifecycle.jobs import plan

        return plan(self.client, self.lifecycle_journal, action, wait=wait, interval=interval, queue=queue, ids=ids,
                    frame=frame, action_date=action_date, action_age=action_age, integration_id=integration_id,
                    include_screen=include_screen, clear_export=clear_export)

    def run_recording_job(self, plan_or_job_id: JobPlan | str, *, confirm_count: int, confirm: bool = False,
                          progress: bool = True) -> JobOutcome:
        """Execute a READY job once, only if ``confirm_count`` is its totalRecordings (and ``confirm`` on a
        real org); follow it to its end; failed recordings as a manifest (``recops.lifecycle.job_run``)."""
        from recops.lifecycle.job_run import run

        return run(self.client, self.lifecycle_journal, plan_or_job_id, confirm_count=confirm_count,
                   confirm=confirm, progress=progress)

    def recording_jobs(self, state: str | None = None, mine: bool = False) -> pd.DataFrame:
        """The org's recording jobs (``mine``: the caller's only), one row each."""
        from recops.lifecycle.jobs import jobs_frame

        return jobs_frame(self.client, state=state, mine=mine)

    def recording_job_status(self, job_id: str) -> JobStatus:
        from recops.lifecycle.jobs import status

        return status(self.client, job_id)

    def cancel_recording_job(self, job_id: str, confirm: bool = False) -> JobStatus:
        """Cancel (DELETE) a job that has not ended, journaled."""
        from recops.lifecycle.jobs import cancel

        return cancel(self.client, self.lifecycle_journal, job_id, confirm=confirm)

    def reconcile_recording_jobs(self, follow: bool = True, settle_after: float | None = None) -> pd.DataFrame:
        """The jobs this target's journal left unfinished, each settled by reading its state (never a
        second PUT), with what to do next (``recops.lifecycle.job_reconcile``)."""
        from recops.lifecycle.job_reconcile import reconcile

        return reconcile(self.client, self.lifecycle_journal, follow_jobs=follow, settle_after=settle_after)

    def reconcile_lifecycle_changes(self, settle_after: float | None = None) -> pd.DataFrame:
        """Settle legal-hold and retention changes left in doubt by reading the live state (the POST
        check, the recordings' dates): ``recops.lifecycle.change_reconcile``."""
        from recops.lifecycle.change_reconcile import reconcile_changes

        return reconcile_changes(self.client, self.lifecycle_journal, settle_after=settle_after)
    # --- coverage and orphans (issue 19, engineer C: recops/lifecycle/coverage.py, orphans.py) ---

    def coverage(self, interval: str | tuple[datetime, datetime], *, queue: str | None = None,
                 refresh: bool = False, progress: bool = True) -> Any:
        """Every conversation of ``interval`` with its recordings' lifecycle and, for each without a
        usable recording, the reason; plus the orphans no conversation of it claims
        (``recops.lifecycle.coverage``: ``.frame``, ``.orphans``, ``.summary``). Finished days are
        cached (views ``coverage`` and ``orphans`` in ``rc.store.sql``) and never fetched again unless
        ``refresh``; ``queue``: only that queue's conversations."""
        from recops.genesys.intervals import iso, parse_interval
        from recops.lifecycle.coverage import build_coverage, deleting_jobs, print_plan

        start, end = parse_interval(interval)
        conversations = self.interval((start, end), progress=progress)
        store = self.store
        return build_coverage(self.client, f"{iso(start)}/{iso(end)}", start, end, conversations,
                              store=store.coverage(), final_days=store.days(), refresh=refresh, queue=queue,
                              jobs=deleting_jobs(getattr(self.journal, "path", None), self.client.describe()),
                              on_plan=print_plan if progress else None)

    def orphans(self, has_conversation: bool | None = None) -> pd.DataFrame:
        """The org's orphan recordings (``recops.lifecycle.orphans``): ``has_conversation=True`` those
        whose conversation is known, ``False`` those naming none (Genesys caps that list at 500), None both."""
        from recops.lifecycle.orphans import orphans_frame

        return orphans_frame(self.client, has_conversation)

    def reattach_orphan(self, orphan_id: str, conversation_id: str | None = None, confirm: bool = False,
                        dry_run: bool = False) -> Any:
        """Make orphan ``orphan_id`` a recording of ``conversation_id`` (default: the one its media
        names), journaled; ``confirm=True`` on a real org; ``dry_run`` sends nothing."""
        from recops.lifecycle.orphans import reattach_orphan

        return reattach_orphan(self.client, self.journal, orphan_id, conversation_id, confirm=confirm,
                               dry_run=dry_run)


    # --- live: recording state pushed through the Notifications API (issue 20, W3) -------------

    def watch(self, queues: Iterable[str] | None = None, users: Iterable[str] | None = None,
              conversations: Iterable[str] | None = None, callback: Callable[[Transition], None] | None = None,
              *, journal: bool = False, settings: WatchSettings | None = None) -> Watch:
        """A live stream of recording-state transitions (``Transition``: old → new, secure pause,
        hold, topic, ``recovered``) for these queues (names or ids), users and conversations:
        iterate it, or pass ``callback``; ``close()`` it or use ``with``. ``journal=True`` records
        each transition, as observed, in the journal's ``observed`` table. See docs/live.md."""
        from recops.live.observed import Observed
        from recops.live.watch import Watch

        observed = Observed(self.journal.path) if journal else None
        return Watch(self.client, queues=list(queues or []), users=list(users or []),
                     conversations=list(conversations or []), callback=callback, settings=settings,
                     observed=observed)

class _LedgerBar:
    """The ledger's plan on stderr, then a bar over its recording requests (tqdm: its rate and
    the time left); nothing when ``show`` is false or there is nothing to read."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self._bar: Any = None

    def start(self, plan: LedgerPlan) -> None:
        if not self.show:
            return
        import sys

        print(f"ledger: {plan.describe()}", file=sys.stderr, flush=True)
        if plan.to_read:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=plan.to_read, desc="recordings", unit="req", leave=False)

    def update(self, done: int) -> None:
        if self._bar is not None:
            self._bar.n = done
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def connect(settings: Settings | None = None, *, journal: Journal | str | Path | None = None,
            on_wait: Callable[[Wait], None] | None = None, **overrides: Any) -> Session:
    """A session on the configured target (the sandbox when nothing is configured).
    Keyword overrides are settings fields: ``client_id``, ``client_secret``, ``access_token``,
    ``region``, ``sandbox_url``, ``target``, ``journal_path``, timeouts..."""
    if settings is None:
        settings = Settings.load(**overrides)
    elif overrides:
        raise TypeError("pass either settings or keyword overrides, not both")
    return Session(settings, journal=journal, on_wait=on_wait)
