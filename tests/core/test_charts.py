"""Notebook 02's weekly chart (issue 17, item 17): one clear label per tick ("Mon 23 Nov"),
none overlapping, read from the figure ``recops.history.charts.weekly_share`` builds (the one
the notebook shows) over the real store's DuckDB answer after a read from the sandbox."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import matplotlib
import pandas as pd
import pytest

from recops.history.charts import weekly_share

from .ops_helpers import connect, iso, sandbox_now, utc_midnight

matplotlib.use("Agg")

ANALYTICS = ["analytics:conversationDetail:view"]
WEEKLY = """
    select date_trunc('week', conversation_start) as week, count(*) as conversations,
           round(avg(recorded::int), 3) as recorded_share
    from conversations group by 1 order by 1
"""
LABEL = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$")


def _labels_and_extents(fig):
    fig.canvas.draw()
    ax = fig.axes[0]
    shown = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    return [t.get_text() for t in shown], [t.get_window_extent() for t in shown]


def _no_overlap(extents) -> bool:
    spans = sorted((e.x0, e.x1) for e in extents)
    return all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_weekly_chart_labels_each_week_by_its_monday(sb, tmp_path):
    client = sb.control.add_client(ANALYTICS, org="charts")
    first = utc_midnight(sandbox_now(sb)) - timedelta(days=30)
    interval = f"{iso(first)}/{iso(first + timedelta(days=23))}"
    sb.control.seed(org="charts", count=230, seed=3, interval=interval)
    rc = connect(sb, (client["clientId"], client["clientSecret"]), tmp_path / "j.sqlite")
    rc.interval(interval, progress=False)
    weekly = rc.store.sql(WEEKLY)
    assert 4 <= len(weekly) <= 5

    fig = weekly_share(weekly)
    labels, extents = _labels_and_extents(fig)
    mondays = [pd.Timestamp(w).tz_convert("UTC") if pd.Timestamp(w).tzinfo else pd.Timestamp(w)
               for w in weekly["week"]]
    assert labels == [f"Mon {m.day} {m:%b}" for m in mondays], labels  # one per week, in order
    assert all(LABEL.match(t) for t in labels), labels
    assert _no_overlap(extents), labels
    assert str(mondays[0].year) in fig.axes[0].get_xlabel()


@pytest.mark.parametrize("weeks", [1, 8, 9, 12, 60])
def test_weekly_chart_labels_never_overlap_however_many_weeks(weeks):
    mondays = pd.date_range("2026-01-05", periods=weeks, freq="7D", tz="UTC")
    fig = weekly_share(pd.DataFrame({"week": mondays, "recorded_share": [0.5] * weeks}))
    labels, extents = _labels_and_extents(fig)
    assert 1 <= len(labels) <= 8 and all(LABEL.match(t) for t in labels), labels
    assert labels[0] == "Mon 5 Jan"
    assert _no_overlap(extents), labels
