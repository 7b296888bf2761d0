"""Export the recordings of selected rows: a destination folder, a dry run, a progress bar fed by
``Session.export``'s ``on_progress``, a Cancel button (``recops.CancelToken``), and the result:
counts, where the manifests are, the failures with their reasons, the manifest's first rows.

Exporting only reads recordings (nothing changes on the org), so no REAL ORG confirmation is
asked; the banner still says where the recordings come from. The export itself (batches,
polling, downloads, the manifest, resuming) is ``Session.export``'s; this shows it.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as w

from recops.api.settings import DEFAULT_CONCURRENCY, output_dir
from recops.base.progress import CancelToken
from recops.history.display import readable

from .common import ClosesListeners, LogPanel, banner, guarded
from .tables import SELECT_HINT, selectable_table, show_frame

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.transport import Wait
    from recops.export.run import ExportResult
    from recops.session import Session

MANIFEST_ROWS = 10  # manifest rows shown under the result
MANIFEST_COLUMNS = ["status", "file", "bytes", "media_type", "start", "end", "error", "conversation_id",
                    "recording_id", "sha256"]  # shown: the readable ones first, the ids and hashes to the right
# the outcome bar's segments, in order: (statuses, colour); any other status is a failure (red)
SEGMENTS = ((("exported",), "#4caf50"), (("pending",), "#2196f3"), (("cancelled",), "#ff9800"))
FAILED_COLOUR = "#e53935"
STATUS_STYLE = "white-space: normal; overflow-wrap: anywhere; line-height: 1.4; margin: 2px 0 4px 0"


class ExportPanel(ClosesListeners, w.VBox):
    """``frame``: any table with a ``conversation_id`` column (e.g. ``rc.interval(...)``), shown
    with row selection; "Export selected" exports the selected rows' recordings into ``dest``."""

    def __init__(self, session: Session, frame: pd.DataFrame | None = None, dest: str | Path | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.session = session
        self.frame: pd.DataFrame | None = None
        self.result: ExportResult | None = None  # the last run's
        self.error: BaseException | None = None  # the last run's error, if it raised
        self.token: CancelToken | None = None
        self.done = threading.Event()
        self.done.set()
        self.log_panel = LogPanel("export", height="120px")
        self.table = selectable_table(self._empty())
        self.table.observe(self._on_select, names="selected_rows")
        self.select_all_button = w.Button(description="Select all", icon="check-square")
        self.clear_button = w.Button(description="Clear", icon="square")
        self.selected_label = w.Label("no rows")
        self.dest = w.Text(value=str(Path(dest).expanduser() if dest else output_dir("exports")),
                           description="destination", layout=w.Layout(width="60%"))
        self.concurrency = w.BoundedIntText(value=concurrency, min=1, max=16, description="downloads at once",
                                            style={"description_width": "initial"}, layout=w.Layout(width="180px"))
        self.dry_run_button = w.Button(description="Dry run", icon="list", tooltip="list what would be fetched")
        self.export_button = w.Button(description="Export selected", icon="download", button_style="primary")
        self.cancel_button = w.Button(description="Cancel", icon="stop", disabled=True)
        self.progress = w.IntProgress(value=0, min=0, max=1, description="0 / 0")
        self.outcome = w.HTML(layout=w.Layout(display="none"))  # the last run's shares, replacing the bar
        self.status_label = w.HTML(layout=w.Layout(width="100%"))  # wraps: never cut to an ellipsis
        self.status = ""
        self._set_status("not started")
        self.result_out = w.Output()
        self.select_all_button.on_click(guarded(self.log_panel, lambda _: self.select_all()))
        self.clear_button.on_click(guarded(self.log_panel, lambda _: self.select_rows([])))
        self.dry_run_button.on_click(guarded(self.log_panel, lambda _: self.start(dry_run=True)))
        self.export_button.on_click(guarded(self.log_panel, lambda _: self.start(dry_run=False)))
        self.cancel_button.on_click(guarded(self.log_panel, lambda _: self.cancel()))
        self.listen_waits(session, self._on_wait)
        super().__init__([
            banner(session),
            w.HTML("export the recordings of the selected rows; this only reads recordings, nothing changes"),
            w.HTML(f"<i>{SELECT_HINT}</i>", layout=w.Layout(width="100%")),
            self.table,
            w.HBox([self.select_all_button, self.clear_button, self.selected_label]),
            w.HBox([self.dest, self.concurrency]),
            w.HBox([self.dry_run_button, self.export_button, self.cancel_button]),
            self.progress, self.outcome, self.status_label,
            self.result_out, self.log_panel,
        ])
        self.add_class("recops-export-panel")
        if frame is not None:
            self.load(frame)

    def _empty(self) -> pd.DataFrame:
        from recops.base.frames import typed_frame
        from recops.history.tables import INTERVAL_COLUMNS

        return typed_frame([], INTERVAL_COLUMNS)

    # --- the table and its selection ------------------------------------------------------------

    def load(self, frame: pd.DataFrame) -> None:
        """Show ``frame`` (it needs a ``conversation_id`` column); the selection is cleared."""
        if "conversation_id" not in frame.columns:
            raise ValueError("the table has no conversation_id column: pass rc.interval(...) or a DataFrame "
                             "with one conversation id per row")
        self.frame = frame.reset_index(drop=True)
        show_frame(self.table, self.frame)
        self._show_selection([])
        self.log_panel.write(f"{len(self.frame)} rows; select the rows to export")

    def select_rows(self, rows: Iterable[int]) -> None:
        """Select rows (positions) as clicks in the table would."""
        self.table.selected_rows = list(rows)

    def select_all(self) -> None:
        self.select_rows(range(len(self.frame)) if self.frame is not None else [])

    def _on_select(self, change: dict) -> None:
        self._show_selection(change["new"])

    def _show_selection(self, rows: list[int]) -> None:
        total = len(self.frame) if self.frame is not None else 0
        self.selected_label.value = f"{len([i for i in rows if 0 <= i < total])} of {total} rows selected"

    @property
    def selected(self) -> pd.DataFrame:
        """The selected rows, in table order."""
        if self.frame is None:
            return self._empty()
        rows = sorted(i for i in self.table.selected_rows if 0 <= i < len(self.frame))
        return self.frame.iloc[rows]

    # --- running ------------------------------------------------------------------------------

    def start(self, dry_run: bool = False) -> threading.Thread | None:
        """Export (or list, for a dry run) the selection in a background thread, so the notebook
        and the Cancel button stay responsive; ``done`` is set at the end."""
        if not self.done.is_set():
            self.log_panel.write("already running")
            return None
        selection = self.selected
        if selection.empty:
            self.log_panel.write("nothing selected: select rows in the table (or Select all)")
            return None
        dest = self._dest()
        self.token = CancelToken()
        self.done.clear()
        thread = threading.Thread(target=self._run_logged, args=(selection, dest, dry_run, self.token),
                                  daemon=True)
        thread.start()
        return thread

    def _dest(self) -> Path:
        text = self.dest.value.strip()
        if not text:
            raise ValueError(f"choose a destination folder (for example {output_dir('exports')})")
        return Path(text).expanduser()

    def cancel(self) -> None:
        """Stop the running export at its next step (a button click, or any thread)."""
        token = self.token
        if token is not None:
            token.cancel()
            self._set_status("cancelling…")
            self.log_panel.write("cancel requested: downloads in flight finish, nothing more starts")

    def _run_logged(self, selection: pd.DataFrame, dest: Path, dry_run: bool, token: CancelToken) -> None:
        try:
            self.run(selection, dest, dry_run=dry_run, cancel=token)
        except Exception as e:  # the widget's log panel is where the user looks
            self.log_panel.error(e)
        finally:
            self.done.set()

    def run(self, selection: pd.DataFrame | None = None, dest: str | Path | None = None, *, dry_run: bool = False,
            cancel: CancelToken | None = None) -> ExportResult:
        """``Session.export`` of ``selection`` (default: the selected rows) into ``dest`` (default:
        the destination box), in this thread; returns the ``ExportResult`` and shows it. The
        Cancel button stops it (``cancel``: the token it sets; default a new one)."""
        selection = self.selected if selection is None else selection
        dest = self._dest() if dest is None else Path(dest).expanduser()
        self.token = cancel = cancel if cancel is not None else CancelToken()
        self.error = None
        self.result = None
        self._busy(True)
        self.progress.value = 0
        self.progress.max = max(1, len(selection))
        self.progress.description = f"0 / {len(selection)}"
        self.progress.bar_style = ""
        self.progress.layout.display = None
        self.outcome.layout.display = "none"
        self._set_status(("listing" if dry_run else "exporting") + f" {len(selection)} conversation(s)…")
        self.result_out.outputs = ()  # each run replaces the last one's result (a trait: safe from this thread)
        what = "dry run" if dry_run else "export"
        self.log_panel.write(f"{what} of {len(selection)} conversation(s) into {dest}")
        try:
            result = self.session.export(selection, dest, dry_run=dry_run, concurrency=self.concurrency.value,
                                         progress=False, on_progress=self._on_progress, cancel=cancel)
        except Exception as e:
            self.error = e
            self.progress.bar_style = "danger"
            self._set_status(f"{what} failed: {_message(e)}")
            raise
        finally:
            self._busy(False)
            self.token = None
        self.result = result
        self._show(result)
        return result

    def _busy(self, busy: bool) -> None:
        self.dry_run_button.disabled = busy
        self.export_button.disabled = busy
        self.cancel_button.disabled = not busy

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.max = max(1, total)
        self.progress.value = min(done, self.progress.max)
        self.progress.description = f"{done} / {total}"

    def _on_wait(self, wait: Wait) -> None:
        if not self.done.is_set():
            self._set_status(wait.describe())
        self.log_panel.wait(wait)

    # --- the result ---------------------------------------------------------------------------

    def _set_status(self, text: str) -> None:
        """The status line: said once, in full, wrapped (``status`` holds the text)."""
        self.status = text
        self.status_label.value = f'<div class="recops-export-status" style="{STATUS_STYLE}">{html.escape(text)}</div>'

    def _show(self, result: ExportResult) -> None:
        counts = result.counts
        failed = len(result.failures) - counts.get("cancelled", 0)
        good = counts.get("exported", 0) + counts.get("pending", 0)
        # the bar's colour is the whole run's: red only when nothing came, the shares are in the outcome bar
        self.progress.bar_style = ("warning" if result.cancelled else "success" if not failed
                                   else "danger" if not good else "")
        if not result.dry_run:
            self.progress.layout.display = "none"
            self.outcome.value = outcome_html(counts)
            self.outcome.layout.display = None
        self._set_status(status_text(result))
        self.log_panel.write(result.summary())
        if result.cancelled:
            self.log_panel.write("cancelled: run the same export again to continue where it stopped")
        from IPython.display import HTML

        # thread-safe, unlike `with output:`: the result as it renders itself (failures first,
        # with their reasons), then where the manifest is and its first rows with their hashes
        self.result_out.append_display_data(result)
        self.result_out.append_display_data(HTML(result_html(result)))


def status_text(result: ExportResult) -> str:
    """``done: 4 row(s) into DEST: 3 exported, 1 failed``; a cancelled run or a dry run as its
    summary says it (``cancelled, 69 row(s) into …``): the state once."""
    if result.cancelled or result.dry_run:
        return result.summary()
    parts = ", ".join(f"{n} {status}" for status, n in result.counts.items()) or "nothing"
    return f"done: {len(result.rows)} row(s) into {result.dest}: {parts}"


def outcome_html(counts: dict[str, int]) -> str:
    """A bar of the run's rows by outcome: green the exported share, amber the cancelled, red the
    failed (only that share), then its legend (``3 exported, 1 failed``)."""
    total = sum(counts.values())
    if not total:
        return ""
    segments: list[tuple[str, int, str]] = []
    for statuses, colour in SEGMENTS:
        for status in statuses:
            if counts.get(status):
                segments.append((status, counts[status], colour))
    fine = {status for statuses, _ in SEGMENTS for status in statuses}
    segments += [(status, n, FAILED_COLOUR) for status, n in counts.items() if status not in fine and n]
    bars = "".join(f'<div class="recops-outcome-{html.escape(status)}" title="{n} {html.escape(status)}" '
                   f'style="width:{100 * n / total:.3f}%;background:{colour}"></div>' for status, n, colour in segments)
    legend = ", ".join(f"{n} {status}" for status, n, _ in segments)
    return ('<div class="recops-export-outcome" style="display:flex;align-items:center;gap:8px">'
            '<div class="recops-outcome-bar" style="display:flex;width:40%;min-width:200px;height:14px;'
            f'border-radius:3px;overflow:hidden;background:#eee">{bars}</div>'
            f'<span class="recops-outcome-legend">{html.escape(legend)}</span></div>')


def _message(error: BaseException) -> str:
    return str(getattr(error, "message", "") or error)


def result_html(result: ExportResult) -> str:
    """What the panel shows under the result's own rendering: the folder and the manifest files
    (none for a dry run, which writes nothing), then the manifest's first rows."""
    files = [("folder", result.dest), ("manifest.csv", result.manifest_csv), ("manifest.json", result.manifest_json)]
    left = "style='text-align:left;padding-right:8px'"
    rows = "".join(f"<tr><th {left}>{label}</th><td {left}><code>{html.escape(str(path))}</code></td></tr>"
                   for label, path in files if path)
    manifest = result.manifest
    shown = manifest[[c for c in MANIFEST_COLUMNS if c in manifest.columns]].head(MANIFEST_ROWS)
    table = readable(shown, classes="recops-export-manifest").hide(axis="index").to_html()  # ids on one line
    note = "" if result.manifest_csv else "<i>a dry run writes nothing</i>"
    return (f'<table class="recops-export-files">{rows}</table>{note}'
            f"<div><b>manifest</b>: {len(manifest)} row(s), the first {len(shown)}</div>" + table)
