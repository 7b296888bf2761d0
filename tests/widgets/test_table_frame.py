"""The table widget's frame: a time-zone-aware column shows as itables showed it, without pandas'
deprecated ``Series.values`` (the warning every picker and state table raised)."""

from __future__ import annotations

import json
import warnings

import pandas as pd

from recops.kit.widgets.tables import selectable_table, show_frame


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"conversation_id": ["c1", "c2"],
                         "start": pd.to_datetime(["2026-12-07T10:00:00Z", None], utc=True)})


def test_an_aware_time_column_shows_its_utc_text_without_a_deprecation_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pandas4Warning included
        table = selectable_table(_frame())
        show_frame(table, _frame(), selected_rows=[1])
    rows = json.loads(table._dt_args["data_json"])  # the rows the page gets (ids go last)
    assert [r[0] for r in rows] == ["2026-12-07 10:00:00+00:00", "NaT"]
    assert table.selected_rows == [1]
