"""The shared look of recops's objects: colours and styles, verdict badges, boxes, escaped HTML
and the table builders. Each object renders itself where it is defined — ``__rich__`` (or
``__rich_console__``) for the terminal, ``_repr_html_`` for notebooks — with these; nothing here
knows a result type, and nothing here imports one.

Every value goes into HTML through ``html.escape``. rich is imported only when something is
rendered for a terminal, so ``import recops`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

STATE_STYLES = {"ACTIVE": "green", "PAUSED": "yellow", "NONE": "dim"}  # recordingState, in the terminal
STATE_COLORS = {"ACTIVE": "#137333", "PAUSED": "#b06000", "NONE": "#5f6368"}  # and in HTML
RED, GREEN, AMBER, BLUE, GREY = "#a50e0e", "#137333", "#b06000", "#1a73e8", "#5f6368"
CELL = 'style="text-align:left;padding:1px 8px 1px 0;vertical-align:top"'
TABLE = 'style="border-collapse:collapse;margin:2px 0"'

# --- the terminal (rich) --------------------------------------------------------------------------


def rich_text(*parts: str | tuple[str, str]) -> Text:
    """One line of text, each part plain or ``(text, style)``; the text is never read as markup."""
    from rich.text import Text

    return Text.assemble(*parts)


def rich_lines(rows: Iterable[Any]) -> Any:
    """Renderables one below the other."""
    from rich.console import Group

    return Group(*rows)


def rich_table(columns: Sequence[str], rows: Iterable[Sequence[str | Text]], *, title: str | None = None,
               no_wrap: Collection[str] = (), right: Collection[str] = ()) -> Table:
    """A table with a header row; its title (if any) on the left; the ``no_wrap`` columns (ids)
    never wrapped, the ``right`` ones (numbers) right-justified."""
    from rich.table import Column, Table

    table = Table(*(Column(name, no_wrap=name in no_wrap, justify="right" if name in right else "left")
                    for name in columns), title=title, title_justify="left")
    for row in rows:
        table.add_row(*row)
    return table


# --- notebooks (HTML) -----------------------------------------------------------------------------


def html_rows(rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of label → value, both escaped; rows with an empty value are left out."""
    body = "".join(f"<tr><th {CELL}>{escape(label)}</th><td {CELL}>{escape(str(value))}</td></tr>"
                   for label, value in rows if value not in (None, "", [], ()))
    return f"<table {TABLE}>{body}</table>"


def html_table(columns: Sequence[str], rows: Iterable[Mapping[str, str]], *, css_class: str = "",
               caption: str = "", cell: Callable[[str, str], str] | None = None) -> str:
    """A table with a header row and one row per mapping (column → value). ``cell(column, value)``
    gives a cell's inner HTML (it must escape the value); by default the value, escaped."""
    inner = cell or (lambda _column, value: escape(value))
    head = "".join(f"<th {CELL}>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td {CELL}>{inner(c, r[c])}</td>" for c in columns) + "</tr>" for r in rows)
    attrs = f'class="{css_class}" {TABLE}' if css_class else TABLE
    title = f'<caption style="text-align:left">{escape(caption)}</caption>' if caption else ""
    return f"<table {attrs}>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def code(value: str) -> str:
    """An id, escaped, in monospace."""
    return f"<code>{escape(value)}</code>"


def box(css_class: str, color: str, inner: str) -> str:
    """A block with a coloured bar on its left (the colour of its verdict or kind)."""
    return (f'<div class="{css_class}" style="border-left:4px solid {color};padding:2px 8px;margin:2px 0">'
            f"{inner}</div>")


def badge(word: str, color: str, css_class: str = "recops-verdict") -> str:
    """A verdict as a bold coloured word: the word carries the meaning, the colour only helps."""
    return f'<span class="{css_class}" style="font-weight:700;color:{color}">{escape(word)}</span>'


def state_badge_html(state: str) -> str:
    """The recording state as a coloured word (class ``recops-state``: the control panel's too)."""
    return badge(state, STATE_COLORS.get(state, "#000"), "recops-state")
