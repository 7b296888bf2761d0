"""Bulk pause/resume over many conversations: progress bar, rate-limit waits, summary table."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import ApiError, RecopsError
from .common import LogPanel, banner, confirm_box, guarded

if TYPE_CHECKING:
    import pandas as pd

    from ..session import Session

SUMMARY_COLUMNS = {"conversation_id": "string", "action": "string", "before": "string", "after": "string",
                   "skipped": "boolean", "error": "string", "context_id": "string"}


class BulkActions(w.VBox):
    """``ids`` is a list or a function returning the current selection (e.g. a table's)."""

    def __init__(self, session: Session, ids: Iterable[str] | Callable[[], list[str]]) -> None:
        self.session = session
        self._ids = ids if callable(ids) else (lambda fixed=list(ids): fixed)
        self.log_panel = LogPanel("bulk actions", height="120px")
        self.action = w.ToggleButtons(options=["pause", "resume"], value="pause", description="action")
        self.confirm = confirm_box(session)
        self.run_button = w.Button(description="Run on selection", icon="forward", button_style="warning")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="0 / 0")
        self.wait_label = w.Label()
        self.summary_out = w.Output()
        self.summary: pd.DataFrame | None = None
        self.done = threading.Event()
        self.done.set()
        self.run_button.on_click(guarded(self.log_panel, lambda _: self.start()))
        session.on_wait(self._on_wait)
        super().__init__([banner(session), w.HBox([self.action, self.run_button]), self.confirm,
                          w.HBox([self.progress, self.wait_label]), self.summary_out, self.log_panel])
        self.add_class("recops-bulk")

    def _on_wait(self, wait: Any) -> None:
        self.wait_label.value = wait.describe()
        self.log_panel.wait(wait)

    def start(self) -> threading.Thread | None:
        """Run in a background thread so the notebook stays responsive; ``done`` is set at the end."""
        if not self.done.is_set():
            self.log_panel.write("already running")
            return None
        ids = list(self._ids())
        if not ids:
            self.log_panel.write("nothing selected")
            return None
        self.done.clear()
        thread = threading.Thread(target=self._run_logged, args=(ids, self.action.value), daemon=True)
        thread.start()
        return thread

    def _run_logged(self, ids: list[str], action: str) -> None:
        try:
            self.run(ids, action)
        except Exception as e:
            self.log_panel.error(e)
        finally:
            self.done.set()

    def run(self, ids: list[str], action: str) -> pd.DataFrame:
        from ..frames import typed_frame

        self.run_button.disabled = True
        self.progress.max = len(ids)
        self.progress.value = 0
        rows = []
        fn = self.session.pause if action == "pause" else self.session.resume
        try:
            for i, cid in enumerate(ids, 1):
                row: dict[str, Any] = {"conversation_id": cid, "action": action}
                try:
                    outcome = fn(cid, confirm=self.confirm.value)
                    row.update(before=outcome.before, after=outcome.after, skipped=outcome.skipped,
                               context_id=outcome.context_id)
                except RecopsError as e:
                    row.update(error=getattr(e, "code", type(e).__name__),
                               context_id=e.context_id if isinstance(e, ApiError) else None)
                    self.log_panel.error(e)
                rows.append(row)
                self.progress.value = i
                self.progress.description = f"{i} / {len(ids)}"
        finally:
            self.run_button.disabled = False
            self.wait_label.value = ""
        self.summary = typed_frame(rows, SUMMARY_COLUMNS)
        self.summary_out.clear_output()
        self.summary_out.append_display_data(self.summary)  # thread-safe, unlike `with output:`
        counts = self.summary.assign(result=self.summary["error"].fillna(
            self.summary["skipped"].map({True: "skipped", False: "changed"}).astype("string")))["result"]
        self.log_panel.write(f"{action} done: " + ", ".join(f"{k} {v}" for k, v in counts.value_counts().items()))
        return self.summary
