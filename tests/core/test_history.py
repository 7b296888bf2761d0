"""The analyst's history path: ``rc.interval`` day by day into the Parquet cache, resumable, with
the store queried through DuckDB. The real SDK against the sandbox; the truth is the sandbox's
own conversations (control plane) and its request log, never a hard-coded count."""

from __future__ import annotations

import threading
from datetime import timedelta

import pandas as pd
import pytest

import recops
from recops import CancelToken, ConfigError
from recops.history.reader import SETTLE
from recops.history.tables import INTERVAL_COLUMNS

from .ops_helpers import all_conversations, clear_log, connect, iso, sandbox_now, started_in, utc_midnight

QUERY = "/api/v2/analytics/conversations/details/query"
JOBS = "/api/v2/analytics/conversations/details/jobs"
ANALYTICS = ["analytics:conversationDetail:view"]


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {c: str(t) for c, t in frame.dtypes.items()}


def posts(sb, path: str = QUERY) -> list[dict]:
    return [r for r in sb.control.requests(path=path) if r["method"] == "POST" and r["path"] == path]


def history_org(sb, tmp_path, org: str, days: int, per_day: int, ago: int):
    """An org with about ``per_day`` conversations on each of ``days`` whole UTC days ending
    ``ago`` days before today, a session on it, and the interval of those days."""
    client = sb.control.add_client(ANALYTICS, org=org)
    first = utc_midnight(sandbox_now(sb)) - timedelta(days=ago + days)
    interval = f"{iso(first)}/{iso(first + timedelta(days=days))}"
    seeded = sb.control.seed(org=org, count=days * per_day, seed=5, interval=interval)
    assert seeded["created"] == days * per_day
    rc = connect(sb, (client["clientId"], client["clientSecret"]), tmp_path / "j.sqlite")
    return rc, first, interval


def truth_ids(sb, org: str, start, end) -> set[str]:
    return {c["id"] for c in started_in(all_conversations(sb, org=org), start, end)}


# --- bad input: a clear error before any request -----------------------------------------------------


@pytest.mark.parametrize("bad", [
    "2026-03-01",  # not an interval
    "yesterday/today",  # not ISO-8601
    "2026-03-02T00:00:00Z/2026-03-01T00:00:00Z",  # reversed
])
def test_bad_intervals_fail_before_any_request(sb, tmp_path, bad):
    rc = connect(sb, None, tmp_path / "j.sqlite")
    clear_log(sb)
    with pytest.raises(ConfigError) as info:
        rc.interval(bad)
    assert info.value.remedy
    assert sb.control.requests() == []


def test_an_interval_in_the_future_or_a_bad_via_fails_before_any_request(sb, tmp_path):
    rc = connect(sb, None, tmp_path / "j.sqlite")
    now = sandbox_now(sb)
    clear_log(sb)
    with pytest.raises(ConfigError, match="future"):
        rc.interval(f"{iso(now + timedelta(hours=1))}/{iso(now + timedelta(days=1))}")
    with pytest.raises(ConfigError, match="via"):
        rc.interval(f"{iso(now - timedelta(days=1))}/{iso(now)}", via="fast")
    with pytest.raises(ConfigError, match="35 days") as info:
        rc.interval(f"{iso(now - timedelta(days=40))}/{iso(now - timedelta(days=39))}", via="query")
    assert "jobs" in info.value.remedy
    assert [r for r in sb.control.requests() if r["path"].startswith("/api/")] == []


@pytest.mark.parametrize(("option", "value"), [
    ("via", "fast"), ("via", None), ("page_size", 0), ("page_size", -5), ("page_size", 2.5), ("page_size", "10"),
    ("concurrency", 0), ("concurrency", True),
])
def test_each_option_is_checked_before_any_request_with_one_message(sb, tmp_path, option, value):
    rc = connect(sb, None, tmp_path / "j.sqlite")
    now = sandbox_now(sb)
    interval = f"{iso(now - timedelta(days=1))}/{iso(now)}"
    clear_log(sb)
    # the same check and message whichever entry point reads the history
    messages = set()
    for read in (rc.interval, rc.fetch):
        with pytest.raises(ConfigError) as info:
            read(interval, progress=False, **{option: value})
        assert str(info.value).startswith(f"{option} must be")
        messages.add(str(info.value))
    assert len(messages) == 1
    assert [r for r in sb.control.requests() if r["path"].startswith("/api/")] == []


# --- the cache --------------------------------------------------------------------------------------


def test_a_cached_interval_is_read_again_without_a_request(sb, tmp_path):
    rc, first, interval = history_org(sb, tmp_path, "hist-cache", days=3, per_day=40, ago=5)
    clear_log(sb)
    frame = rc.interval(interval, progress=False)
    assert len(posts(sb)) == 3  # one query per day (each day holds fewer than a page)
    assert dtypes(frame) == INTERVAL_COLUMNS
    assert set(frame["conversation_id"]) == truth_ids(sb, "hist-cache", first, first + timedelta(days=3))
    assert [d.isoformat() for d in rc.store.days()] == [(first + timedelta(days=i)).date().isoformat()
                                                       for i in range(3)]
    clear_log(sb)
    again = rc.interval(interval, progress=False)
    assert posts(sb) == []
    pd.testing.assert_frame_equal(frame, again)
    # an interval inside the cached days is cut from them, still without a request
    part = rc.interval(f"{iso(first + timedelta(hours=30))}/{iso(first + timedelta(hours=50))}", progress=False)
    assert posts(sb) == []
    assert set(part["conversation_id"]) == truth_ids(sb, "hist-cache", first + timedelta(hours=30),
                                                     first + timedelta(hours=50))
    assert part["conversation_start"].is_monotonic_increasing


def test_filters_have_their_own_cache(sb, tmp_path):
    rc, _, interval = history_org(sb, tmp_path, "hist-filters", days=2, per_day=30, ago=4)
    everything = rc.interval(interval, progress=False)
    clear_log(sb)
    voice = rc.interval(interval, media_type="voice", progress=False)
    assert len(posts(sb)) == 2  # a new filter set is a new query: not served by the unfiltered cache
    assert set(voice["conversation_id"]) <= set(everything["conversation_id"])
    assert (voice["media_type"] == "voice").all()
    assert rc.store_for(media_type="voice").path != rc.store.path


def test_recent_days_are_not_cached_as_final(sb, tmp_path):
    rc, _, _ = history_org(sb, tmp_path, "hist-recent", days=1, per_day=10, ago=0)
    now = sandbox_now(sb)
    start = utc_midnight(now) - timedelta(days=4)
    rc.interval(f"{iso(start)}/{iso(now)}", progress=False)
    settled = {d for d in (start + timedelta(days=i) for i in range(5)) if d + timedelta(days=1) <= now - SETTLE}
    assert {d.isoformat() for d in rc.store.days()} == {d.date().isoformat() for d in settled}
    clear_log(sb)
    rc.interval(f"{iso(start)}/{iso(now)}", progress=False)
    assert len(posts(sb)) == 5 - len(settled)  # the newer days are read again, the settled ones not


# --- crash and resume -------------------------------------------------------------------------------


class Crash(Exception):
    pass


def test_a_crash_mid_way_resumes_without_fetching_a_complete_day_twice(sb, tmp_path):
    rc, first, interval = history_org(sb, tmp_path, "hist-crash", days=6, per_day=40, ago=20)
    seen: list[recops.HistoryProgress] = []

    def crash_after_two(p: recops.HistoryProgress) -> None:
        seen.append(p)
        if p.done == 2:
            raise Crash

    clear_log(sb)
    with pytest.raises(Crash):
        rc.interval(interval, via="query", progress=False, on_progress=crash_after_two)
    assert [p.done for p in seen] == [1, 2] and all(p.via == "query" for p in seen)
    complete = rc.store.days()
    assert [d.isoformat() for d in complete] == [p.day for p in seen]
    assert len(posts(sb)) == 2
    assert not list((rc.store.path / ".tmp").glob("*"))  # nothing half-written left behind

    clear_log(sb)
    events: list[recops.HistoryProgress] = []
    frame = rc.interval(interval, via="query", progress=False, on_progress=events.append)
    assert len(posts(sb)) == 4  # only the four missing days were asked for
    assert [p.cached for p in events].count(True) == 2
    assert set(frame["conversation_id"]) == truth_ids(sb, "hist-crash", first, first + timedelta(days=6))
    assert frame["conversation_id"].is_unique
    assert len(rc.store.days()) == 6


def test_a_cancelled_read_keeps_the_complete_days(sb, tmp_path):
    rc, _, interval = history_org(sb, tmp_path, "hist-cancel", days=4, per_day=20, ago=20)
    token = CancelToken()

    def cancel_after_one(p: recops.HistoryProgress) -> None:
        token.cancel()

    with pytest.raises(recops.Cancelled) as info:
        rc.interval(interval, via="query", progress=False, cancel=token, on_progress=cancel_after_one)
    assert "re-run" in info.value.remedy
    assert len(rc.store.days()) == 1
    event = threading.Event()
    event.set()
    with pytest.raises(recops.Cancelled):
        rc.interval(interval, via="query", progress=False, cancel=event)
    assert len(rc.store.days()) == 1


# --- the store --------------------------------------------------------------------------------------


def test_the_store_answers_sql_over_the_cached_days(sb, tmp_path):
    rc, first, interval = history_org(sb, tmp_path, "hist-sql", days=3, per_day=50, ago=6)
    assert len(rc.store.sql("select * from conversations")) == 0  # an empty store has the table
    frame = rc.fetch(interval, progress=False).sql(
        "select queue_ids, count(*) as n from conversations group by 1 order by 1")
    convs = started_in(all_conversations(sb, org="hist-sql"), first, first + timedelta(days=3))
    want: dict[str, int] = {}
    for c in convs:
        want[c["queueId"]] = want.get(c["queueId"], 0) + 1
    assert dict(zip(frame["queue_ids"], frame["n"], strict=True)) == want
    by_day = rc.store.sql("select cast(conversation_start as date) as day, count(*) as n from conversations "
                          "group by 1 order by 1")
    assert [d.isoformat() for d in pd.to_datetime(by_day["day"]).dt.date] == \
        [d.isoformat() for d in rc.store.days()]
    assert by_day["n"].sum() == len(convs) == rc.store.rows()
    rc.store.clear()
    assert rc.store.days() == [] and len(rc.store.sql("select * from conversations")) == 0
