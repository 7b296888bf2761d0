"""Tables in the terminal at any width, for ``recops table`` and ``recops ledger`` (issue 17, items 5 and 7).

The layout follows ``recops status``: values are never cut (ids stay whole, as the commands that
take them need them whole). When the key columns fit the terminal, one line per row under a header;
when they do not, each row is its first value (the id) on a line of its own, then its other values
on the lines below (an empty one left out), wrapped between values, never inside one. The other columns come on demand
(``--wide``, ``--csv``, ``--json``), and at most ``limit`` rows are shown, followed by a
"N more rows" line naming how to see them all.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# Rows a table prints by default before its "N more rows" line: a screenful at 80x24 with the
# header and the lines around it. [recops's own choice]
DEFAULT_LIMIT = 20

INDENT = "  "
SEPARATOR = " · "


def terminal_width() -> int:
    """The terminal's width: COLUMNS when set (as rich and the tests read it), else the tty's."""
    return shutil.get_terminal_size((80, 24)).columns


def cell(value: Any) -> str:
    """A value as a short, whole string: missing values as "-", timestamps to the second in UTC."""
    import pandas as pd

    try:
        missing = value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # not a scalar
        missing = False
    if missing:
        return "-"
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M:%S"))
    return str(value)


def table_lines(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int | None) -> list[str]:
    """``rows`` under a header of ``columns``: one line each when that fits ``width`` (``None``: any
    width), else the narrow layout (see the module docstring)."""
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    if width is None or sum(widths) + 2 * (len(widths) - 1) <= width:
        def line(values: Sequence[str]) -> str:
            return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

        return [line(columns), *(line(r) for r in rows)]
    out: list[str] = []
    for r in rows:
        out.append(r[0])
        out.extend(_packed([f"{c} {v}" for c, v in zip(columns[1:], r[1:], strict=True) if v], width))
    return out


def _packed(parts: list[str], width: int) -> Iterator[str]:
    """``parts`` joined by " · " on indented lines of at most ``width``, breaking only between
    parts (a part wider than a line gets a line of its own, wrapped at its spaces)."""
    import textwrap

    line = ""
    for part in parts:
        candidate = f"{line}{SEPARATOR}{part}" if line else part
        if len(INDENT) + len(candidate) <= width:
            line = candidate
            continue
        if line:
            yield INDENT + line
        if len(INDENT) + len(part) <= width:
            line = part
        else:
            yield from textwrap.wrap(part, width, initial_indent=INDENT, subsequent_indent=INDENT * 2,
                                     break_long_words=False, break_on_hyphens=False)
            line = ""
    if line:
        yield INDENT + line


def more_rows_line(shown: int, total: int) -> str | None:
    """The line under a table cut at ``shown`` of ``total`` rows (None when nothing was cut)."""
    if total <= shown:
        return None
    return f"{total - shown} more rows (--limit {total} / --csv FILE for all)"


def frame_lines(frame: Any, key_columns: Sequence[str], *, limit: int, wide: bool,
                width: int | None = None) -> list[str]:
    """A DataFrame's first ``limit`` rows (0: all): its ``key_columns`` (those it has) fitted to the
    terminal, or with ``wide`` every column on one line each; then the "N more rows" line."""
    if not len(frame):
        return ["(no rows)"]
    columns = list(frame.columns) if wide else [c for c in key_columns if c in frame.columns]
    shown = frame if limit <= 0 else frame.head(limit)
    rows = [[cell(v) for v in record] for record in shown[columns].itertuples(index=False, name=None)]
    lines = table_lines(columns, rows, None if wide else (width or terminal_width()))
    more = more_rows_line(len(shown), len(frame))
    return [*lines, *([more] if more else [])]


@contextmanager
def history_progress(show: bool) -> Iterator[Callable[[Any], None] | None]:
    """A transient progress line on stderr over the days of a history read (``HistoryProgress``
    callbacks), gone when the read ends, so no bar stays on screen; ``None`` when not ``show``."""
    if not show:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .plumbing import console

    err = console(stderr=True)
    with Progress(TextColumn("history"), BarColumn(bar_width=20), MofNCompleteColumn(), TextColumn("days"),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("history", total=None)

        def on_progress(p: Any) -> None:
            progress.update(task, completed=p.done, total=p.total)

        yield on_progress
