"""A lifecycle result as rows: one dict per conversation or recording, a summary line, a typed
DataFrame, and its own rendering (``__rich__`` in a terminal, ``_repr_html_`` in a notebook).
The hold, retention and job results are built on it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any, ClassVar

from recops.base.display import AMBER, BLUE, GREEN, GREY, RED, badge, code, html_table, rich_table, rich_text

if TYPE_CHECKING:
    import pandas as pd

# result word -> (rich style, HTML colour)
STYLES = {"changed": ("green", GREEN), "protected": ("green", GREEN), "revoked": ("green", GREEN),
          "dry run": ("cyan", BLUE), "unchanged": ("dim", GREY), "already": ("dim", GREY),
          "refused": ("yellow", AMBER), "failed": ("red", RED), "invalid": ("red", RED),
          "in doubt": ("yellow", AMBER), "not sent": ("yellow", AMBER)}


@dataclass
class RowsResult:
    """``rows``: dicts with at least the ``COLUMNS`` keys; ``title``: what was done, where."""

    COLUMNS: ClassVar[dict[str, str]] = {}  # column -> pandas dtype
    SHOWN: ClassVar[tuple[str, ...]] = ()  # the columns a table shows
    rows: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(str(r["result"]) for r in self.rows))

    def summary(self) -> str:
        counts = ", ".join(f"{n} {word}" for word, n in sorted(self.counts.items())) or "nothing to do"
        return f"{self.title}: {counts}"

    @property
    def frame(self) -> pd.DataFrame:
        from recops.base.frames import typed_frame

        return typed_frame(self.rows, self.COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "counts": self.counts, "notes": self.notes, "rows": self.rows}

    def _cells(self, r: dict[str, Any]) -> list[str]:
        return ["" if r.get(c) is None else str(r.get(c)) for c in self.SHOWN]

    def detail(self, r: dict[str, Any]) -> str:
        """What a row says beyond its ids and result (the terminal's narrow form)."""
        return " ".join(str(r[c]) for c in self.SHOWN if c not in ("conversation_id", "recording_id", "result")
                        and r.get(c) not in (None, ""))

    def __rich_console__(self, console: Any, options: Any) -> Any:
        """A table when the terminal is wide enough for every column; else one line per row, its ids
        whole, its result, then what it says (wrapped at word boundaries)."""
        width = sum(max([len(c), *(len(v) for v in (self._cells(r)[i] for r in self.rows))]) + 3
                    for i, c in enumerate(self.SHOWN))
        if options.max_width >= width + 1:
            yield rich_table(self.SHOWN, ([*(rich_text((v, STYLES.get(v, ("", ""))[0])) if c == "result" else v
                                             for c, v in zip(self.SHOWN, self._cells(r), strict=True))]
                                          for r in self.rows), title=self.summary(),
                             no_wrap={"conversation_id", "recording_id"})
        else:
            yield rich_text((self.summary(), "bold"))
            for r in self.rows:
                ids = " ".join(str(r[c]) for c in ("conversation_id", "recording_id") if r.get(c))
                word = str(r["result"])
                detail = self.detail(r)
                yield rich_text(f"- {ids}: ", (word, STYLES.get(word, ("", ""))[0]), f" — {detail}" if detail else "")
        for n in self.notes:
            yield rich_text((n, "dim"))

    def _repr_html_(self) -> str:
        def cell(column: str, value: str) -> str:
            if column in ("conversation_id", "recording_id"):
                return code(value)
            if column == "result":
                return badge(value, STYLES.get(value, ("", GREY))[1])
            return escape(value)

        rows = [dict(zip(self.SHOWN, self._cells(r), strict=True)) for r in self.rows]
        notes = "".join(f"<div><i>{escape(n)}</i></div>" for n in self.notes)
        return html_table(self.SHOWN, rows, css_class="recops-lifecycle", caption=self.summary(), cell=cell) + notes
