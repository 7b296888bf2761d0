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
   the end, also after a cancel or an error. A dry run sends no batch and downloads nothing: it
   resolves as above (so only metadata GETs, for conversations without times) and lists what
   would be fetched, what is already complete, and the estimated size; it writes nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from recops.api.settings import DEFAULT_CONCURRENCY
from recops.base.display import AMBER, BLUE, GREEN, RED, badge, code, html_table, rich_lines, rich_table, rich_text
from recops.base.progress import cancel_check
from recops.genesys.errors import ConfigError

from . import manifest
from .downloads import (
    EXTENSIONS,
    DownloadCancelled,
    file_sha256,
    is_part,
)
from .manifest import Row
from .plan import (
    Source,
    check_dest,
    check_space,
    estimate_bytes,
    needs_metadata,
    read_source,
    resolve_metadata,
)
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
        """Every row exported (a dry run: nothing failed or unresolvable)."""
        allowed = ("exported", "pending") if self.dry_run else ("exported",)
        return all(r.status in allowed for r in self.rows)

    @property
    def failures(self) -> pd.DataFrame:
        return self.manifest[~self.manifest["status"].isin(["exported", "pending"])]

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
        rows = sorted(self.rows, key=lambda r: r.status in ("exported", "pending"))[:limit]
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
            return code(value) if column in ("conversation", "recording") else escape(value)

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
    return run.go()


class ExportRun:
    def __init__(self, client: Client, plan: Source, dest: Path, state_path: Path, dry_run: bool, concurrency: int,
                 progress: bool, on_progress: OnExportProgress | None, cancel: Callable[[], bool]) -> None:
        self.client, self.plan, self.dest, self.dry_run = client, plan, dest, dry_run
        self.concurrency = concurrency
        self.on_progress = on_progress
        self.show = progress
        self.user_cancel = cancel
        self.stop = threading.Event()
        self.state = ExportState(state_path)
        self.export = ""
        self.known: dict[tuple[str, str], Any] = {}  # (conversation, recording) -> an earlier run's CompleteFile
        self.header: dict[str, Any] = {}
        self.bar: Any = None
        self.last_progress = (-1, -1)

    def cancelled(self) -> bool:
        return self.stop.is_set() or self.user_cancel()

    # --- the whole run ---------------------------------------------------------------------------

    def go(self) -> ExportResult:
        error: BaseException | None = None
        estimated = 0
        try:
            # the first request (a token) happens here; a user's name is left out of the key (it may change)
            principal = self.client.principal.split(" (", 1)[0]
            target = self.client.describe()
            self.export = export_id(target, principal, self.dest)
            self.header = {"export_id": self.export, "target": target, "principal": principal,
                           "dest": str(self.dest), "dry_run": self.dry_run}
            self.known = self.state.files(self.export)  # read once: what earlier runs completed
            self._prepare(self.state.conversations(self.export))
            resolve_metadata(self.client, self.plan.wanted, self.concurrency, self.cancelled)
            self._settle_known()
            estimated = estimate_bytes(self.plan.wanted)
            if not self.dry_run and not self.cancelled():
                check_space(self.dest, estimated)
                self.state.begin(self.export, target=target, principal=principal, dest=str(self.dest))
                self._open_bar()
                from .pipeline import Pipeline

                Pipeline(self).run()
        except BaseException as e:
            error = e
            self.stop.set()
        finally:
            self._close_bar()
        result = self._finish(error, estimated)
        if error is not None and not isinstance(error, DownloadCancelled):
            raise error
        return result

    def _finish(self, error: BaseException | None, estimated: int) -> ExportResult:
        cancelled = self.cancelled() and (error is None or isinstance(error, (DownloadCancelled, KeyboardInterrupt)))
        rows = self.rows()
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
        if not self.dry_run and self.export:
            with contextlib.suppress(OSError):
                csv_path, json_path = manifest.write(self.dest, header | {"estimated_bytes": estimated}, rows)
        self.state.close()
        return ExportResult(self.dest, manifest.frame(rows), self.dry_run, self.export, estimated, csv_path,
                            json_path, cancelled, rows, header)

    def rows(self) -> list[Row]:
        return [*self.plan.invalid, *(r for w in self.plan.wanted for r in w.rows())]

    # --- resolution and resume --------------------------------------------------------------------

    def _prepare(self, resolved: dict[str, list[str]]) -> None:
        """Recordings the input or an earlier run named, for conversations with times."""
        for w in self.plan.wanted:
            if needs_metadata(w):
                continue
            ids = w.recording_ids if w.recording_ids is not None else resolved.get(w.conversation_id)
            if ids is not None:
                w.recordings = {rid: Row(w.conversation_id, rid, start=w.start, end=w.end, times_from="conversation")
                                for rid in ids}
        if not self.dry_run:
            for part in [p for p in self.dest.rglob(".*") if is_part(p)]:
                with contextlib.suppress(FileNotFoundError):
                    part.unlink()  # a download or manifest cut short by an earlier run

    def _settle_known(self) -> None:
        for w in self.plan.wanted:
            for row in (w.recordings or {}).values():
                if row.status == "pending":
                    self.settle_existing(row)

    def settle_existing(self, row: Row) -> bool:
        """Is this recording already in ``dest``? (recorded complete by an earlier run, with its
        size; or final-named but unrecorded, then hashed and recorded). Settles the row when it is."""
        assert row.recording_id
        record = self.known.pop((row.conversation_id, row.recording_id), None)
        if record is not None:
            path = self.dest / record.file
            if path.is_file() and path.stat().st_size == record.bytes:
                row.file, row.bytes, row.sha256, row.media_type = record.file, record.bytes, record.sha256, \
                    record.media_type
                row.settle("exported")
                row.note = "already complete (an earlier run)"
                return True
            state = "changed" if path.exists() else "missing"
            if not self.dry_run:
                # the file under our name is not what was recorded: removed (else a later run would take
                # it for one renamed but not recorded), then fetched again
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                self.state.forget(self.export, row.conversation_id, row.recording_id)
            row.note = f"{'would be ' if self.dry_run else ''}fetched again: {record.file} was {state}"
            return False
        found = self._final_file(row)
        if found is None:
            return False
        if self.dry_run:
            row.note = f"{found.name} is there but not recorded: it would be hashed and recorded"
            return False
        size, digest = file_sha256(found)
        media = next((k for k, v in EXTENSIONS.items() if v == found.suffix[1:]), None)
        rel = found.relative_to(self.dest).as_posix()
        self.state.complete(self.export, row.conversation_id, row.recording_id, file=rel, size=size, sha256=digest,
                            media_type=media)
        row.file, row.bytes, row.sha256, row.media_type = rel, size, digest, media
        row.settle("exported")
        row.note = "found complete but unrecorded (an earlier run stopped after its rename): hashed, not fetched"
        return True

    def _final_file(self, row: Row) -> Path | None:
        folder = self.dest / row.conversation_id
        if not folder.is_dir():
            return None
        return next((p for p in sorted(folder.glob(f"{row.recording_id}.*")) if not is_part(p) and p.is_file()), None)

    # --- progress --------------------------------------------------------------------------------

    def _open_bar(self) -> None:
        if self.show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=0, desc="export", unit="rec", leave=False)
        self.report()

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def report(self) -> None:
        """Progress to the bar and ``on_progress`` (call when rows may have settled: it reads them all)."""
        rows = self.rows()
        total = len(rows)
        done = sum(1 for r in rows if r.status != "pending")
        if (done, total) == self.last_progress:
            return
        self.last_progress = (done, total)
        if self.bar is not None:
            self.bar.total = total
            self.bar.n = done
            self.bar.refresh()
        if self.on_progress is not None:
            self.on_progress(done, total)
