"""Tables as a person reads them (issue 17, item 14): the readable columns first (the queue and
agent names, then states, times, counts), the id columns (UUIDs) to the right, and no cell wrapped over several lines.

For display only: the DataFrames, CSV and Parquet files keep their documented columns, in their
documented order, with full ids (docs/history.md). ``display_order`` gives the order,
``display_frame`` a reordered view for a widget's table, ``readable`` a pandas ``Styler`` for a
notebook cell (``readable(frame.head())``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

# columns holding ids (or lists of ids, or hashes): long, unreadable, and wrapped by browsers at
# their hyphens; shown last
ID_SUFFIXES = ("_id", "_ids")
ID_NAMES = frozenset({"id", "paused_by", "sha256", "export_id"})
NOWRAP = [{"selector": "td, th", "props": [("white-space", "nowrap")]}]


def is_id_column(column: object) -> bool:
    name = str(column)
    return name in ID_NAMES or name.endswith(ID_SUFFIXES)


def is_name_column(column: object) -> bool:
    from .names import NAME_COLUMNS

    return str(column) in {name for name, _ in NAME_COLUMNS.values()}


def display_order(columns: Iterable[object]) -> list[object]:
    """``columns`` with the name columns (queue and agent names) first and the id columns last,
    each group in its own order."""
    columns = list(columns)
    return ([c for c in columns if is_name_column(c)]
            + [c for c in columns if not is_name_column(c) and not is_id_column(c)]
            + [c for c in columns if is_id_column(c)])


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s columns in ``display_order`` (the same rows, in the same order: a row's
    position is the same in both, so a widget's selected rows index ``frame`` too)."""
    return frame[display_order(frame.columns)]


def readable(frame: pd.DataFrame, classes: str = "") -> Styler:
    """``frame`` to show in a notebook: ``display_order``, no cell wrapped (ids stay on one
    line), missing values blank. Only for display: the frame itself is not changed."""
    return (display_frame(frame).style.set_table_styles(NOWRAP).format(_cell, na_rep="")
            .set_table_attributes(f'class="{" ".join(["recops-readable", *classes.split()])}"'))


def _cell(value: object) -> str:
    """A cell as pandas shows it (floats without trailing zeros: 0.5, not 0.500000)."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)
