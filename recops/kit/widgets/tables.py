"""Interactive tables: recording states with row selection (itables' ``ITable`` widget, offline:
DataTables ships inside the widget), refresh and CSV export.

``StateTable`` keeps its rows current through the live stream (one ``LiveFeed`` over all its
conversations: a transition re-reads only its conversation's row, in place), or polls every
``poll_seconds`` when the token cannot subscribe; its status line says which. A secure pause
open longer than ``pause_limit`` seconds shows an alert naming the conversation and how long."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from recops.api.settings import DEFAULT_CONCURRENCY, output_dir, table_path

from .common import ClosesListeners, LogPanel, banner, guarded, live_status_html, pause_alert_html
from .live_feed import DEFAULT_POLL_SECONDS, PUSH, LiveFeed
from .pause_alerts import DEFAULT_PAUSE_LIMIT, PauseClock

if TYPE_CHECKING:
    import pandas as pd

    from recops.live.transitions import Transition
    from recops.live.watch import WatchSettings
    from recops.session import Session


CSV_NAME = "recording_states.csv"
# a click adds or removes its row (DataTables Select's "multi+shift"; "os" made a plain click
# replace the selection): what the widgets tell the user
SELECT = {"style": "multi+shift"}
SELECT_HINT = "click rows to select or unselect them, shift-click to select a range"


def table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as the table widget shows it: ``display_order``, and each time-zone-aware column as
    the text itables showed for it ("2026-12-07 10:00:00+00:00", "NaT"), which it otherwise reads
    through pandas' deprecated ``Series.values`` (a warning in every picker and table)."""
    from recops.history.display import display_frame

    shown = display_frame(frame)
    aware = [c for c in shown.columns if getattr(shown[c].dtype, "tz", None) is not None]
    return shown.assign(**{str(c): [str(v) for v in shown[c]] for c in aware}) if aware else shown


def selectable_table(frame: pd.DataFrame) -> Any:
    """An itables widget of ``frame`` as ``show_frame`` shows it; a click toggles its row."""
    from itables.widget import ITable

    # "nowrap": an id stays on one line (a UUID wrapped at its hyphens fills 3-4 lines)
    return ITable(table_frame(frame), select=SELECT, maxBytes=0, classes="display compact nowrap",
                  pageLength=10, scrollX=True)


def show_frame(table: Any, frame: pd.DataFrame, selected_rows: list[int] | None = None) -> None:
    """Show ``frame`` in ``table``, readable columns first and ids to the right (display only:
    the rows keep their positions, so ``selected_rows`` index ``frame``)."""
    table.update(table_frame(frame), selected_rows=selected_rows or [])


class StateTable(ClosesListeners, w.VBox):
    """Live recording states of a list of conversations. "Export CSV" writes ``csv_path``, by
    default ``recording_states.csv`` in the user's tables folder (``output_dir("tables")``).
    ``live=False`` polls instead of watching; ``pause_limit``: seconds before the secure pause alert."""

    def __init__(self, session: Session, conversation_ids: Iterable[str] = (), csv_path: str | Path | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY, *, live: bool = True,
                 poll_seconds: float = DEFAULT_POLL_SECONDS, pause_limit: float = DEFAULT_PAUSE_LIMIT,
                 watch_settings: WatchSettings | None = None) -> None:
        self.session = session
        self.conversation_ids = list(conversation_ids)
        self.concurrency = concurrency
        self.frame: pd.DataFrame | None = None
        self.live_status = w.HTML()
        self.alert = w.HTML()
        self.pauses = PauseClock(pause_limit)
        self.pushed = 0  # transitions of these conversations that reached the table
        self._lock = threading.RLock()
        self.log_panel = LogPanel("state table", height="90px")
        self.table = selectable_table(self._empty())
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.csv_path = w.Text(value=str(Path(csv_path).expanduser() if csv_path else output_dir("tables") / CSV_NAME),
                               description="CSV file")
        self.export_button = w.Button(description="Export CSV", icon="download")
        self.count_label = w.Label()
        self.refresh_button.on_click(guarded(self.log_panel, lambda _: self.refresh()))
        self.export_button.on_click(guarded(self.log_panel, lambda _: self.export()))
        self.listen_waits(session, self.log_panel.wait)
        super().__init__([banner(session), w.HBox([self.refresh_button, self.csv_path, self.export_button,
                                                   self.count_label]), self.live_status, self.alert,
                         w.HTML(f"<i>{SELECT_HINT}</i>"), self.table, self.log_panel])
        self.add_class("recops-state-table")
        # the watch first, then the read: a change between the two is either in the read or a transition
        self.feed = LiveFeed(session, self.conversation_ids, self._pushed, lambda: self.refresh(quiet=True),
                             poll_seconds=poll_seconds, on_tick=self._check_pauses, on_error=self.log_panel.error,
                             on_status=self._show_status, on_ended=self._ended, push=live, settings=watch_settings,
                             name="recops-state-table")
        self.on_close(self.feed.close)
        if self.conversation_ids:
            guarded(self.log_panel, self.refresh)()

    def _empty(self) -> pd.DataFrame:
        from recops.base.frames import typed_frame
        from recops.history.tables import STATE_COLUMNS

        return typed_frame([], STATE_COLUMNS)

    def load(self, conversation_ids: Iterable[str]) -> None:
        """Show these conversations (and watch them: the live stream is subscribed again)."""
        self.conversation_ids = list(conversation_ids)
        self.feed.follow(self.conversation_ids)  # the watch first, then the read (as in __init__)
        self.refresh()

    @property
    def live(self) -> bool:
        """Whether the rows follow the live stream (else they are polled)."""
        return self.feed.mode == PUSH

    def refresh(self, quiet: bool = False) -> None:
        with self._lock:
            frame = self.session.states(self.conversation_ids, concurrency=self.concurrency)
            self._show(frame, self.selected_rows())
            known = set(self.conversation_ids)
            for cid in list(self.pauses.open_ids()):
                if cid not in known:
                    self.pauses.forget(cid)
            self._observe_rows(frame)
        if not quiet:
            self.log_panel.write(f"refreshed {len(frame)} conversations")

    def selected_rows(self) -> list[int]:
        return list(self.table.selected_rows or [])

    def _show(self, frame: pd.DataFrame, selected: list[int]) -> None:
        self.frame = frame
        show_frame(self.table, frame, selected_rows=[i for i in selected if 0 <= i < len(frame)])
        errors = int(frame["error"].notna().sum())
        self.count_label.value = f"{len(frame)} conversations" + (f", {errors} errors" if errors else "")

    def _observe_rows(self, frame: pd.DataFrame) -> None:
        """A secure pause found open by a read (its start unknown: the alert says "at least")."""
        import pandas as pd

        now = datetime.now(timezone.utc)
        for cid, paused, ended in zip(frame["conversation_id"], frame["secure_pause"], frame["ended"], strict=True):
            is_open = bool(pd.notna(paused) and paused) and not bool(pd.notna(ended) and ended)
            self.pauses.observe(str(cid), is_open, now, since_known=False)

    # --- live ------------------------------------------------------------------------------------

    def _pushed(self, batch: list[Transition]) -> None:
        """Transitions from the stream (the feed's thread): re-read only their conversations' rows,
        in place (the selection stays)."""
        known = set(self.conversation_ids)
        mine = [t for t in batch if t.conversation_id in known]
        if not mine:
            return
        self.pushed += len(mine)
        for t in mine:
            self.pauses.observe(t.conversation_id, t.secure_pause, t.at)
        changed = list(dict.fromkeys(t.conversation_id for t in mine))
        self._reread(changed)
        self.log_panel.write(f"pushed: {len(mine)} changes on {len(changed)} conversations "
                             f"({', '.join(f'{c[:8]}… {self._state_of(c)}' for c in changed[:3])})")
        self._check_pauses()

    def _ended(self, conversation_ids: list[str]) -> None:
        """Conversations the stream showed ended (a disconnect changes no recording state)."""
        known = set(self.conversation_ids)
        ended = [c for c in conversation_ids if c in known]
        if not ended:
            return
        for cid in ended:
            self.pauses.forget(cid)
        self._reread(ended)
        self.log_panel.write(f"pushed: {len(ended)} conversations ended ({', '.join(c[:8] + '…' for c in ended[:3])})")
        self._check_pauses()

    def _reread(self, changed: list[str]) -> None:
        """Re-read these conversations' rows and replace them in place."""
        import pandas as pd

        with self._lock:
            fresh = self.session.states(changed, concurrency=self.concurrency)
            if self.frame is None or len(self.frame) != len(self.conversation_ids):
                self.refresh(quiet=True)
                return
            rows = {str(cid): fresh.iloc[[i]] for i, cid in enumerate(fresh["conversation_id"])}
            parts = [rows.get(str(cid), self.frame.iloc[[i]]) for i, cid in enumerate(self.frame["conversation_id"])]
            self._show(pd.concat(parts, ignore_index=True), self.selected_rows())

    def _state_of(self, conversation_id: str) -> str:
        if self.frame is None:
            return "?"
        match = self.frame[self.frame["conversation_id"] == conversation_id]
        return str(match.iloc[0]["recording_state"]) if len(match) else "?"

    def _show_status(self, text: str, push: bool) -> None:
        self.live_status.value = live_status_html(text, push)

    def _check_pauses(self) -> None:
        alerts = self.pauses.over(datetime.now(timezone.utc))
        value = pause_alert_html([a.text() for a in alerts])
        if self.alert.value != value:
            self.alert.value = value

    @property
    def selected_ids(self) -> list[str]:
        if self.frame is None:
            return []
        rows = [i for i in self.table.selected_rows if 0 <= i < len(self.frame)]
        return [str(self.frame.iloc[i]["conversation_id"]) for i in rows]

    def export(self) -> Path:
        if self.frame is None:
            raise ValueError("nothing to export yet: refresh first")
        path = table_path(self.csv_path.value, CSV_NAME)
        self.frame.to_csv(path, index=False)
        self.log_panel.write(f"wrote {len(self.frame)} rows to {path}")
        return path
