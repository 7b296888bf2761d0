"""Pick conversations: paste ids, or query an interval with filters and select rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import ipywidgets as w
import traitlets

from recops.genesys.intervals import iso
from recops.ops.bulk import CONVERSATION_ID_RE

from .common import LogPanel, banner, guarded
from .tables import SELECT_HINT, selectable_table, show_frame

if TYPE_CHECKING:
    import pandas as pd

    from recops.session import Session

MEDIA = [("any", ""), ("voice", "voice"), ("email", "email"), ("message", "message"), ("callback", "callback"),
         ("video", "video")]
# the recording filter: labels as values (a Dropdown whose value is None shows blank), mapped to
# ``Session.interval``'s ``recorded`` argument
RECORDED = ["any", "recorded", "not recorded"]
RECORDED_FILTER: dict[str, bool | None] = {"any": None, "recorded": True, "not recorded": False}


class ConversationPicker(w.VBox):
    """``ids`` (a traitlet) holds the picked conversation ids; observe it to react."""

    ids = traitlets.List(traitlets.Unicode())

    def __init__(self, session: Session, days: int = 1) -> None:
        self.session = session
        self.frame: pd.DataFrame | None = None
        self.log_panel = LogPanel("picker", height="90px")
        now = datetime.now(timezone.utc).replace(microsecond=0)
        # paste
        self.paste = w.Textarea(placeholder="conversation ids, one per line (or any text containing them)",
                                layout=w.Layout(width="100%", height="80px"))
        self.use_button = w.Button(description="Use these ids", icon="check")
        self.use_button.on_click(guarded(self.log_panel, lambda _: self.use_pasted()))
        # query
        self.start = w.Text(value=iso(now - timedelta(days=days)), description="start (UTC)")
        self.end = w.Text(value=iso(now), description="end (UTC)")
        self.queue = w.Text(description="queue id")
        self.user = w.Text(description="user id")
        self.media = w.Dropdown(options=MEDIA, value="voice", description="media")
        self.recorded = w.Dropdown(options=RECORDED, value="any", description="recording")
        self.query_button = w.Button(description="Query", icon="search")
        self.query_button.on_click(guarded(self.log_panel, lambda _: self.run_query()))
        self.table = selectable_table(self._empty())
        self.table.observe(self._on_select, names="selected_rows")
        self.picked_label = w.Label("no conversation picked")
        tabs = w.Tab(children=[
            w.VBox([self.paste, self.use_button]),
            w.VBox([w.HBox([self.start, self.end]), w.HBox([self.queue, self.user]),
                    w.HBox([self.media, self.recorded, self.query_button]), w.HTML(f"<i>{SELECT_HINT}</i>"),
                    self.table]),
        ])
        tabs.set_title(0, "Paste ids")
        tabs.set_title(1, "Query an interval")
        self.tabs = tabs
        super().__init__([banner(session), tabs, self.picked_label, self.log_panel])
        self.add_class("recops-picker")

    def _empty(self) -> pd.DataFrame:
        from recops.base.frames import typed_frame
        from recops.history.tables import INTERVAL_COLUMNS

        return typed_frame([], INTERVAL_COLUMNS)

    @traitlets.observe("ids")
    def _show(self, change: dict) -> None:
        ids = change["new"]
        self.picked_label.value = f"{len(ids)} picked: " + ", ".join(ids[:3]) + (" …" if len(ids) > 3 else "") \
            if ids else "no conversation picked"

    def use_pasted(self) -> list[str]:
        found = list(dict.fromkeys(CONVERSATION_ID_RE.findall(self.paste.value)))
        if not found:
            raise ValueError("no conversation id (a UUID) found in the pasted text")
        self.ids = found
        self.log_panel.write(f"picked {len(found)} pasted id(s)")
        return found

    def run_query(self) -> pd.DataFrame:
        interval = f"{self.start.value.strip()}/{self.end.value.strip()}"
        self.frame = self.session.interval(interval, queue_id=self.queue.value.strip() or None,
                                           user_id=self.user.value.strip() or None,
                                           media_type=self.media.value or None,
                                           recorded=RECORDED_FILTER[self.recorded.value])
        show_frame(self.table, self.frame)
        self.log_panel.write(f"{len(self.frame)} conversations in {interval}; {SELECT_HINT} to pick them")
        return self.frame

    def _on_select(self, change: dict) -> None:
        if self.frame is None:
            return
        rows = [i for i in change["new"] if 0 <= i < len(self.frame)]
        self.ids = [str(self.frame.iloc[i]["conversation_id"]) for i in rows]

    def select_rows(self, rows: list[int]) -> None:
        """Select rows as a click in the table would."""
        self.table.selected_rows = rows
