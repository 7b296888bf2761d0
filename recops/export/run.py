"""``rc.export(ids_or_frame, dest)``: recordings out of Genesys Cloud, onto disk, with a manifest
that proves what arrived — resumable after a crash or ``kill -9``.

1. **Checks, before any request**: ids given, ``dest`` a writable directory (created if
   missing), enough free space for the estimated size (``recops.export.plan``).
2. **Resolution**: malformed ids → ``invalid`` rows; conversations whose times the input does not
   give → their recording metadata (recordings, their times, fileState: ARCHIVED/DELETED are
   rows with the reason, not requested; 404 → ``unknown``). Conversations from a table with
   times are requested whole (the batch names their recordings): no metadata call.
3. **Resume**: the progress store (``recops.export.state``) says which recordings earlier runs
   completed; a recorded file still there with its size is not fetched again, a missing or
   changed one is (and the row says so); a final-named file with no record (a run killed
   between rename and record) is hashed and recorded without a fetch; stale ``.part`` files go.
4. **Batches** of up to 100 items are submitted (at most ``OPEN_BATCHES`` at a time, paced
   by the transport) and polled with backoff; as each completes, its result URLs go to a pool of
   ``concurrency`` downloads (``recops.export.downloads``), overlapping the next batches. A per-result
   ``errorMsg`` is a ``failed`` row; a link that expired before its download is requested again
   in a new batch (a bounded number of times; ``recops.export.pipeline``).
5. The **manifest** (``manifest.csv`` + ``manifest.json`` in ``dest``) is written atomically at
   the end, also after a cancel or an error. It is the folder's, cumulative: earlier selections'
   rows stay (``recops.export.folder``); a folder whose manifest names another target is refused
   right after the first request (the token), before anything is read or written. A dry run
   sends no batch and downloads nothing: it resolves as above (so only metadata GETs, for
   conversations without times) and lists what would be fetched, what is already complete, and
   the estimated size; it writes nothing.

The flow goes one way: the plan (``recops.export_plan``) → the completions (``recops.export_resume``)
→ the pipeline (``recops.export_pipeline``) → the progress store and the manifest. Each step is
handed what it works on; none calls back into :class:`ExportRun`, which only sequences them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from recops.api.settings import DEFAULT_CONCURRENCY
from recops.base.display import AMBER, BLUE, GREEN, RED, badge, html_table, rich_lines, rich_table, rich_text
from recops.base.progress import cancel_check
from recops.genesys.errors import ConfigError, DownloadCancelled

from . import folder, manifest
from .manifest import FINE_STATUSES, Row
from .plan import (
    Source,
    check_dest,
    check_space,
    estimate_bytes,
    read_source,
    resolve_metadata,
)
from .resume import Completions
from .state import ExportState, export_id

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client

OnExportProgress = Callable[[int, int], None]


@dataclass
class ExportResult:
    """What an export did: ``manifest`` (one row per recording or id), ``counts`` (status → n),
    ``summary()``; the manifest files' paths (None for a dry run, which writes nothing)."""

    dest: Path
    manifest: pd.DataFrame
    dry_run: bool
    export_id: str
    estimated_bytes: int
    manifest_csv: Path | None = None
    manifest_json: Path | None = None
    cancelled: bool = False
    rows: list[Row] = field(default_factory=list, repr=False)
    header: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as one JSON-able object (what ``manifest.json`` holds, and ``--json`` prints)."""
        return manifest.document(self.header | {"estimated_bytes": self.estimated_bytes}, self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return manifest.counts(self.rows)

    @property
    def ok(self) -> bool:
        """Every row exported (a dry run: nothing failed or unresolvable; only a dry run leaves
        rows ``pending``)."""
        return all(r.status in FINE_STATUSES for r in self.rows)

    @property
    def failures(self) -> pd.DataFrame:
        return self.manifest[~self.manifest["status"].isin(FINE_STATUSES)]

    def summary(self) -> str:
        parts = ", ".join(f"{n} {status}" for status, n in self.counts.items()) or "nothing"
        if self.dry_run:
            from .plan import _size

            return (f"dry run, {len(self.rows)} row(s) into {self.dest}: {parts}; "
                    f"about {_size(self.estimated_bytes)} to fetch")
        what = "cancelled" if self.cancelled else "export"
        return f"{what}, {len(self.rows)} row(s) into {self.dest}: {parts}"

    SHOWN_ROWS: ClassVar[int] = 20  # rows shown: those not exported first (they need attention), then the rest
    STATUS_STYLES: ClassVar[dict[str, tuple[str, str]]] = {
        "exported": ("green", GREEN), "pending": ("cyan", BLUE), "cancelled": ("yellow", AMBER)}  # else red
    COLUMNS: ClassVar[tuple[str, ...]] = ("conversation", "recording", "status", "file", "bytes", "detail")

    def shown_rows(self, limit: int = SHOWN_ROWS) -> list[dict[str, str]]:
        """The rows to show, as display strings: failures first, at most ``limit``."""
        rows = sorted(self.rows, key=lambda r: r.status in FINE_STATUSES)[:limit]
        return [{"conversation": r.conversation_id, "recording": r.recording_id or "", "status": r.status,
                 "file": r.file or "", "bytes": "" if r.bytes is None else str(r.bytes),
                 "detail": r.error or r.note or ""} for r in rows]

    def _more(self, shown: int) -> str:
        where = f"; full list: {self.manifest_csv}" if self.manifest_csv else ""
        return f"... {len(self.rows) - shown} more row(s){where}" if len(self.rows) > shown else ""

    def _status_style(self, status: str) -> tuple[str, str]:
        return self.STATUS_STYLES.get(status, ("red", RED))

    def __rich__(self) -> Any:  # the summary as the title, the rows that need attention first
        rows = self.shown_rows()
        table = rich_table(self.COLUMNS, ([*(r[c] for c in self.COLUMNS[:2]),
                                           rich_text((r["status"], self._status_style(r["status"])[0])),
                                           *(r[c] for c in self.COLUMNS[3:])] for r in rows),
                           title=self.summary(), no_wrap={"conversation", "recording"}, right={"bytes"})
        parts: list[Any] = [table]
        if more := self._more(len(rows)):
            parts.append(rich_text((more, "dim")))
        return rich_lines(parts)

    def _repr_html_(self) -> str:
        def cell(column: str, value: str) -> str:
            if column == "status":
                return badge(value, self._status_style(value)[1])
            if column in ("conversation", "recording", "file"):  # ids on one line, never wrapped at a hyphen
                return f'<code style="white-space:nowrap">{escape(value)}</code>' if column != "file" else \
                    f'<span style="white-space:nowrap">{escape(value)}</span>'
            return escape(value)

        rows = self.shown_rows()
        more = self._more(len(rows))
        table = html_table(self.COLUMNS, rows, css_class="recops-export", caption=self.summary(), cell=cell)
        return table + (f"<div>{escape(more)}</div>" if more else "")


def export(client: Client, source: Any, dest: str | Path, *, state_path: Path, dry_run: bool = False,
           concurrency: int = DEFAULT_CONCURRENCY, progress: bool = True, on_progress: OnExportProgress | None = None,
           cancel: Any = None) -> ExportResult:
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, not {concurrency}", "e.g. --concurrency 4")
    plan = read_source(source)
    if not plan.wanted and not plan.invalid:
        raise ConfigError("no conversation id to export",
                          "pass conversation ids or a table with a conversation_id column "
                          "(CLI: --from-file FILE or --interval START/END)")
    dest_path = check_dest(Path(dest), create=not dry_run)
    check_space(dest_path, estimate_bytes(plan.wanted))
    run = ExportRun(client, plan, dest_path, state_path, dry_run, concurrency, progress, on_progress,
               cancel_check(cancel))
    if dry_run:  # writes nothing: no lock (and the folder may not exist yet)
        return run.go()
    with folder.locked(dest_path):  # one export at a time writes a folder's files and manifest
        return run.go()


class ExportRun:
    """One run: sequences the steps (plan → completions → pipeline → manifest) and owns what
    spans them (the progress store, the bar, the header, the final manifest)."""

    def __init__(self, client: Client, plan: Source, dest: Path, state_path: Path, dry_run: bool, concurrency: int,
                 progress: bool, on_progress: OnExportProgress | None, cancel: Callable[[], bool]) -> None:
        self.client, self.plan, self.dest, self.dry_run = client, plan, dest, dry_run
        self.concurrency = concurrency
        self.cancel = cancel
        self.state = ExportState(state_path)
        self.progress = _Progress(progress, on_progress)
        self.export = ""
        self.header: dict[str, Any] = {}
        self.earlier: list[Row] = []  # the folder's manifest rows before this run (it only grows)
        self.claimed = False  # the folder's manifest names this run's target

    # --- the whole run ---------------------------------------------------------------------------

    def go(self) -> ExportResult:
        error: BaseException | None = None
        estimated = 0
        try:
            # the first request (a token) happens here; a user's name is left out of the key (it may change)
            principal = self.client.principal.split(" (", 1)[0]
            target = folder.target_of(self.client)  # stable across processes: the key of the export and its folder
            self.export = export_id(target.target_id, principal, self.dest)
            self.header = {"export_id": self.export, **target.header(), "principal": principal,
                           "dest": str(self.dest), "dry_run": self.dry_run}
            self.earlier = folder.claim(self.dest, target, self.header, self.dry_run)  # another target's: refused
            self.claimed = True
            done = Completions(self.state, self.export, self.dest, self.dry_run)
            done.prepare(self.plan)
            resolve_metadata(self.client, self.plan.wanted, self.concurrency, self.cancel)
            done.settle_all(self.plan.wanted)
            estimated = estimate_bytes(self.plan.wanted)
            if not self.dry_run and not self.cancel():
                check_space(self.dest, estimated)
                self.state.begin(self.export, target=target.target_id, principal=principal, dest=str(self.dest))
                self.progress.open()
                rows = self.plan.rows()
                self.progress.update(sum(1 for r in rows if r.status != "pending"), len(rows))
                from .pipeline import Pipeline

                Pipeline(self.client, self.plan, done, self.dest, concurrency=self.concurrency, cancel=self.cancel,
                         progress=self.progress.update).run()
        except BaseException as e:
            error = e
        finally:
            self.progress.close()
        result = self._finish(error, estimated)
        if error is not None and not isinstance(error, DownloadCancelled):
            raise error
        return result

    def _finish(self, error: BaseException | None, estimated: int) -> ExportResult:
        cancelled = isinstance(error, (DownloadCancelled, KeyboardInterrupt)) or (error is None and self.cancel())
        rows = self.plan.rows()
        for row in rows:
            if row.status != "pending" or self.dry_run:
                continue
            if cancelled:
                row.settle("cancelled", "the export was cancelled before this item; re-run it to resume")
            else:
                why = f"{type(error).__name__}: {error}" if error is not None else "no result for it"
                row.settle("failed", f"the export stopped before this item ({why}); re-run it to resume")
        csv_path = json_path = None
        header = self.header | {"cancelled": cancelled}
        if not self.dry_run and self.claimed:  # cumulative: earlier selections' rows stay
            with contextlib.suppress(OSError):
                csv_path, json_path = manifest.write(self.dest, header | {"estimated_bytes": estimated},
                                                     folder.merge(self.earlier, rows))
        self.state.close()
        return ExportResult(self.dest, manifest.frame(rows), self.dry_run, self.export, estimated, csv_path,
                            json_path, cancelled, rows, header)


class _Progress:
    """Progress to a ``tqdm.auto`` bar (when ``show``) and ``on_progress(done, total)``, each
    change once."""

    def __init__(self, show: bool, on_progress: OnExportProgress | None) -> None:
        self.show = show
        self.on_progress = on_progress
        self.bar: Any = None
        self.last = (-1, -1)

    def open(self) -> None:
        if self.show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=0, desc="export", unit="rec", leave=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def update(self, done: int, total: int) -> None:
        if (done, total) == self.last:
            return
        self.last = (done, total)
        if self.bar is not None:
            self.bar.total = total
            self.bar.n = done
            self.bar.refresh()
        if self.on_progress is not None:
            self.on_progress(done, total)
