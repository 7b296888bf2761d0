"""What notebook 08 shows of a coverage run, kept here so the notebook stays a few lines and a
test reads the very table and figure it shows: the retention overview (how many recordings of
the interval will be archived or deleted in each coming month, and how many are under legal
hold) and the gaps by reason (matplotlib, imported when a chart is drawn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from .coverage import Coverage

OVERVIEW_COLUMNS = ("month", "to archive", "to delete", "protected")


def retention_overview(coverage: Coverage) -> pd.DataFrame:
    """One row per calendar month (UTC) in which a conversation's recordings of the interval are
    due to be archived or deleted (the earliest date of its recordings, as the coverage frame
    holds it), with how many of those conversations are under legal hold; months in order, no
    row for a month with neither."""
    import pandas as pd

    f = coverage.frame
    months: dict[str, dict[str, int]] = {}

    def add(column: str, label: str) -> None:
        dates = pd.to_datetime(f[column], utc=True)
        for when, held in zip(dates, f["protected"], strict=True):
            if pd.isna(when):
                continue
            row = months.setdefault(f"{when:%Y-%m}", {"to archive": 0, "to delete": 0, "protected": 0})
            row[label] += 1
            if label == "to delete" and not pd.isna(held) and bool(held):  # <NA>: not checked
                row["protected"] += 1

    add("archive_date", "to archive")
    add("deletion_date", "to delete")
    rows = [{"month": m, **counts} for m, counts in sorted(months.items())]
    return pd.DataFrame(rows, columns=list(OVERVIEW_COLUMNS)).astype(
        {"month": "string", "to archive": "int64", "to delete": "int64", "protected": "int64"})


def gaps_by_reason(coverage: Coverage, title: str | None = None) -> Figure:
    """A horizontal bar per reason a conversation has no usable recording (``coverage.gaps``),
    its count at the bar's end; an empty chart says there is no gap."""
    import matplotlib.pyplot as plt

    counts = coverage.gaps["reason"].value_counts().sort_values()
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * max(1, len(counts))))
    if counts.empty:
        ax.text(0.5, 0.5, "no gap: every ended conversation has a usable recording", ha="center", va="center")
        ax.set_axis_off()
    else:
        bars = ax.barh([str(r) for r in counts.index], counts.to_numpy(), color="#c0504d")
        ax.bar_label(bars, padding=3)
        ax.set_xlabel("conversations without a usable recording")
        ax.margins(x=0.15)
    ax.set_title(title or f"gaps by reason, {coverage.interval}")
    fig.tight_layout()
    return fig
