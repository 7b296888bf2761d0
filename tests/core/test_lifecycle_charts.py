"""Notebook 08's retention overview and gaps chart (recops/lifecycle/charts.py), read from a real
coverage of the demo through the SDK: a bar per reason with its count, the months when the demo's
archived and deleted recordings were due, and the legal hold counted in its month."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from recops.lifecycle.charts import gaps_by_reason, retention_overview

from .ops_helpers import connect

DELETED = "c0a80001-0000-4000-8000-000000000014"


@pytest.fixture
def rc(sb, tmp_path):
    return connect(sb, None, tmp_path / "j.sqlite")


def recent() -> tuple[datetime, datetime]:
    now = datetime.now(timezone.utc)
    return now - timedelta(hours=6), now + timedelta(minutes=1)


def test_the_gaps_chart_has_a_bar_per_reason_labelled_with_its_count(rc):
    import matplotlib

    matplotlib.use("Agg")
    cov = rc.coverage(recent(), progress=False)
    expected = cov.gaps["reason"].value_counts()
    fig = gaps_by_reason(cov)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == sorted(expected.index) and {"orphaned", "archived", "deleted"} <= set(labels)
    widths = {label: int(bar.get_width()) for label, bar in zip(labels, ax.patches, strict=True)}
    assert widths == {k: int(v) for k, v in expected.items()}
    shown = [t.get_text() for c in ax.containers for t in ax.bar_label(c)]
    assert shown, "no count at the bars' ends"


def test_an_interval_without_gaps_says_so(rc):
    import matplotlib

    matplotlib.use("Agg")
    cov = rc.coverage(recent(), progress=False)
    cov.frame = cov.frame[cov.frame["reason"].isna()]  # only the usable conversations
    ax = gaps_by_reason(cov).axes[0]
    assert not ax.patches and "no gap" in ax.texts[0].get_text()


def test_the_retention_overview_counts_due_dates_by_month_and_the_hold(rc, sb):
    cov = rc.coverage(recent(), progress=False)
    overview = retention_overview(cov)
    f = cov.frame
    assert list(overview.columns) == ["month", "to archive", "to delete", "protected"]
    assert overview["to archive"].sum() == f["archive_date"].notna().sum() >= 1
    assert overview["to delete"].sum() == f["deletion_date"].notna().sum() >= 1
    deleted_month = f.set_index("conversation_id").loc[DELETED, "deletion_date"].strftime("%Y-%m")
    assert deleted_month in set(overview["month"])
    assert list(overview["month"]) == sorted(overview["month"])
    # a conversation due for deletion and under legal hold is counted in its month's "protected"
    due = f[f["deletion_date"].notna()].iloc[0]
    held = cov.frame.copy()
    held.loc[held["conversation_id"] == due["conversation_id"], "protected"] = True
    cov.frame = held
    month = f"{due['deletion_date']:%Y-%m}"
    assert retention_overview(cov).set_index("month").loc[month, "protected"] == 1
