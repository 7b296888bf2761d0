"""Interactive tables: recording states with row selection (itables' ``ITable`` widget, offline:
DataTables ships inside the widget), refresh and CSV export."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from recops.api.settings import DEFAULT_CONCURRENCY, output_dir, table_path

from .common import ClosesListeners, LogPanel, banner, guarded

if TYPE_CHECKING:
    import pandas as pd

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
    default ``recording_states.csv`` in the user's tables folder (``output_dir("tables")``)."""

    def __init__(self, session: Session, conversation_ids: Iterable[str] = (), csv_path: str | Path | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.session = session
        self.conversation_ids = list(conversation_ids)
        self.concurrency = concurrency
        self.frame: pd.DataFrame | None = None
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
                                                   self.count_label]),
                         w.HTML(f"<i>{SELECT_HINT}</i>"), self.table, self.log_panel])
        self.add_class("recops-state-table")
        if self.conversation_ids:
            guarded(self.log_panel, self.refresh)()

    def _empty(self) -> pd.DataFrame:
        from recops.base.frames import typed_frame
        from recops.history.tables import STATE_COLUMNS

        return typed_frame([], STATE_COLUMNS)

    def load(self, conversation_ids: Iterable[str]) -> None:
        self.conversation_ids = list(conversation_ids)
        self.refresh()

    def refresh(self) -> None:
        self.frame = self.session.states(self.conversation_ids, concurrency=self.concurrency)
        show_frame(self.table, self.frame)
        errors = int(self.frame["error"].notna().sum())
        self.count_label.value = f"{len(self.frame)} conversations" + (f", {errors} errors" if errors else "")
        self.log_panel.write(f"refreshed {len(self.frame)} conversations")

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
