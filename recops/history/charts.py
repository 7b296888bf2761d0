"""Charts of the history (matplotlib, imported when a chart is drawn): what notebook 02 plots,
kept here so the notebook stays a few lines and a test reads the very figure it shows."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

MAX_WEEK_LABELS = 8  # "Mon 23 Nov" labels that fit side by side on an 8-inch chart, with room between


def week_label(week: pd.Timestamp) -> str:
    """A week by its first day, e.g. ``Mon 23 Nov``."""
    return f"{week:%a} {week.day} {week:%b}"


def weekly_share(weekly: pd.DataFrame, week: str = "week", share: str = "recorded_share",
                 title: str = "recorded share by week") -> Figure:
    """A line of ``share`` (0..1) per week, from a table with one row per week (``week``: the
    week's first day, e.g. DuckDB's ``date_trunc('week', …)``). Each tick is a week, labelled
    by its first day (``Mon 23 Nov``), every week up to ``MAX_WEEK_LABELS`` ticks, every
    second (third…) week beyond, so labels never overlap; the years go in the axis title."""
    import matplotlib.pyplot as plt
    import pandas as pd

    weeks = pd.to_datetime(weekly[week])
    if weeks.dt.tz is not None:
        weeks = weeks.dt.tz_convert("UTC").dt.tz_localize(None)
    weeks = weeks.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 2.5))
    ax.plot(weeks, weekly[share].to_numpy(), marker="o")
    step = max(1, math.ceil(len(weeks) / MAX_WEEK_LABELS))
    ticks = weeks.iloc[::step]
    ax.set_xticks(list(ticks), [week_label(t) for t in ticks])
    years = sorted({t.year for t in weeks})
    ax.set_xlabel("week starting (UTC)" + (f", {years[0]}" if len(years) == 1 else
                                           f", {years[0]}–{years[-1]}" if years else ""))
    ax.set_ylim(0, 1)
    ax.set_title(title)
    if len(weeks) == 1:  # one point: some room either side of it
        ax.set_xlim(weeks.iloc[0] - pd.Timedelta(days=4), weeks.iloc[0] + pd.Timedelta(days=4))
    fig.tight_layout()
    return fig
