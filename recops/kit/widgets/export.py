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

from .common import ClosesListeners, LogPanel, banner, guarded
from .tables import selectable_table

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.transport import Wait
    from recops.export.run import ExportResult
    from recops.session import Session

MANIFEST_ROWS = 10  # manifest rows shown under the result
MANIFEST_COLUMNS = ["conversation_id", "recording_id", "status", "file", "bytes", "sha256", "media_type", "start",
                    "end", "error"]


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
        self.status_label = w.Label("not started")
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
            self.table,
            w.HBox([self.select_all_button, self.clear_button, self.selected_label]),
            w.HBox([self.dest, self.concurrency]),
            w.HBox([self.dry_run_button, self.export_button, self.cancel_button]),
            w.HBox([self.progress, self.status_label]),
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
        self.table.update(self.frame, selected_rows=[])
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
            self.status_label.value = "cancelling…"
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
        self.status_label.value = ("listing" if dry_run else "exporting") + f" {len(selection)} conversation(s)…"
        self.result_out.clear_output()
        what = "dry run" if dry_run else "export"
        self.log_panel.write(f"{what} of {len(selection)} conversation(s) into {dest}")
        try:
            result = self.session.export(selection, dest, dry_run=dry_run, concurrency=self.concurrency.value,
                                         progress=False, on_progress=self._on_progress, cancel=cancel)
        except Exception as e:
            self.error = e
            self.progress.bar_style = "danger"
            self.status_label.value = f"{what} failed: {_message(e)}"
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
            self.status_label.value = wait.describe()
        self.log_panel.wait(wait)

    # --- the result ---------------------------------------------------------------------------

    def _show(self, result: ExportResult) -> None:
        failed = len(result.failures) - result.counts.get("cancelled", 0)
        state = "cancelled" if result.cancelled else "dry run" if result.dry_run else "done"
        self.progress.bar_style = "warning" if result.cancelled else "danger" if failed else "success"
        self.status_label.value = f"{state}: {result.summary()}"
        self.log_panel.write(result.summary())
        if result.cancelled:
            self.log_panel.write("cancelled: run the same export again to continue where it stopped")
        from IPython.display import HTML

        # thread-safe, unlike `with output:`: the result as it renders itself (failures first,
        # with their reasons), then where the manifest is and its first rows with their hashes
        self.result_out.append_display_data(result)
        self.result_out.append_display_data(HTML(result_html(result)))


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
    note = "" if result.manifest_csv else "<i>a dry run writes nothing</i>"
    return (f'<table class="recops-export-files">{rows}</table>{note}'
            f"<div><b>manifest</b>: {len(manifest)} row(s), the first {len(shown)}</div>"
            + shown.to_html(index=False, classes="recops-export-manifest", na_rep=""))
