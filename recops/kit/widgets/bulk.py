"""Bulk pause/resume over many conversations: progress bar, rate-limit waits, summary table. The
work is ``Session.pause_many``/``resume_many``; this shows it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from .common import ClosesListeners, LogPanel, banner, confirm_box, guarded

if TYPE_CHECKING:
    import pandas as pd

    from recops.ops.bulk import Outcomes
    from recops.ops.recording import Outcome
    from recops.session import Session


class BulkActions(ClosesListeners, w.VBox):
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
        self.outcomes: Outcomes | None = None
        self.done = threading.Event()
        self.done.set()
        self.run_button.on_click(guarded(self.log_panel, lambda _: self.start()))
        self.listen_waits(session, self._on_wait)
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
        """``Session.pause_many``/``resume_many`` on ``ids``, showing progress as each id ends."""
        self.run_button.disabled = True
        self.progress.max = len(ids)
        self.progress.value = 0
        many = self.session.pause_many if action == "pause" else self.session.resume_many
        try:
            outcomes = many(ids, confirm=self.confirm.value, on_progress=self._on_progress)
        finally:
            self.run_button.disabled = False
            self.wait_label.value = ""
        self.outcomes = outcomes
        self.summary = outcomes.to_frame()
        self.summary_out.clear_output()
        self.summary_out.append_display_data(outcomes)  # thread-safe, unlike `with output:`
        self.log_panel.write(outcomes.summary())
        return self.summary

    def _on_progress(self, done: int, total: int, outcome: Outcome) -> None:
        self.progress.value = done
        self.progress.description = f"{done} / {total}"
        if outcome.error is not None:
            self.log_panel.write(f"ERROR {outcome.summary()}")
            if outcome.error.remedy:
                self.log_panel.write(f"  do: {outcome.error.remedy}")
