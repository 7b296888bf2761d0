"""Issue 18, items 1, 2, 3 and 8: the details query and jobs, corrected where public evidence
disagreed with the sandbox. Each test drives the unmodified SDK (or raw HTTP for the wire shape)
against the sandbox over loopback."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from .http_helpers import get_token
from .sdk_helpers import Raw, api_error, day_interval, interval, utc_midnight
from .test_sdk_analytics import query
from .test_sdk_jobs import JOBS, fetch_all, job_query, submit


@pytest.fixture
def analytics(sdk, supervisor):
    return sdk.AnalyticsApi(supervisor)


def sync_ids(analytics, sdk, when: str, page_size: int = 100) -> list[str]:
    """Every conversation the details query returns for ``when``, paging until a short page."""
    out: list[str] = []
    number = 1
    while True:
        reply = analytics.post_analytics_conversations_details_query(query(sdk, when, page_size, number))
        page = [c.conversation_id for c in reply.conversations or []]
        out += page
        if len(page) < page_size:
            return out
        number += 1


def clock_now(sb) -> datetime:
    now = sb.control.call("GET", "clock")["now"]
    return datetime.fromisoformat(now.replace("Z", "+00:00"))


# --- item 1: startOfDayIntervalMatching gives the query's behaviour ------------------------------


def test_start_of_day_interval_matching_job_returns_what_the_query_returns(sb, sdk, analytics):
    """"If you want the same behavior as for queries, you should set the startOfDayIntervalMatching
    flag in the query to true" [documented]. One hour of a seeded day: the query returns every
    conversation that started on that day; the job with the flag the same ones; the job without
    it only those whose lifetime overlaps the hour."""
    sb.control.settings(analyticsJobDelaySeconds=0)
    day = utc_midnight(3)
    sb.control.seed(count=150, seed=18, interval=day_interval(3))
    hour = interval(day + timedelta(hours=10), day + timedelta(hours=11))
    from_query = sync_ids(analytics, sdk, hour)
    day_total = len(sync_ids(analytics, sdk, day_interval(3)))
    assert len(from_query) == day_total >= 150  # the whole day (the demo's history too): the hour touches it

    flagged = job_query(sdk, hour)
    flagged.start_of_day_interval_matching = True
    with_flag, _ = fetch_all(analytics, submit(analytics, flagged))
    assert [c.conversation_id for c in with_flag] == from_query

    without_flag, _ = fetch_all(analytics, submit(analytics, job_query(sdk, hour)))
    lo, hi = day + timedelta(hours=10), day + timedelta(hours=11)
    assert 0 < len(without_flag) < day_total
    for c in without_flag:  # "all conversations whose lifetime overlaps with the query interval"
        assert c.conversation_start < hi and c.conversation_end > lo


def test_start_of_day_flag_follows_the_interval_matching_assumption(sb, sdk, analytics):
    """Under analyticsIntervalMatching=startInstant the query takes starts inside the interval, and
    the flagged job still answers as the query does."""
    sb.control.settings(analyticsJobDelaySeconds=0, assumptions={"analyticsIntervalMatching": "startInstant"})
    day = utc_midnight(3)
    sb.control.seed(count=150, seed=18, interval=day_interval(3))
    hour = interval(day + timedelta(hours=10), day + timedelta(hours=11))
    from_query = sync_ids(analytics, sdk, hour)
    assert 0 < len(from_query) < len(sync_ids(analytics, sdk, day_interval(3)))
    flagged = job_query(sdk, hour)
    flagged.start_of_day_interval_matching = True
    assert [c.conversation_id for c in fetch_all(analytics, submit(analytics, flagged))[0]] == from_query


# --- item 2: the query's pageSize cap ------------------------------------------------------------


def test_page_size_200_is_served_and_300_is_clamped_not_rejected(sb, sdk, analytics):
    """Genesys's blog pages with 200 ("Maximum number of records per page"); its recordings
    downloader sends 300. Neither is a 400: 200 is served, 300 as pages of 200, numbered by 200,
    so paging with either reaches every conversation once."""
    when = day_interval(4)
    sb.control.seed(count=450, seed=21, interval=when)
    first = analytics.post_analytics_conversations_details_query(query(sdk, when, 200, 1))
    total = first.total_hits  # the seeded 450 and the demo's own history of that day
    assert len(first.conversations) == 200 and 450 <= total < 600
    assert len(set(sync_ids(analytics, sdk, when, page_size=200))) == total

    pages = [analytics.post_analytics_conversations_details_query(query(sdk, when, 300, n)) for n in (1, 2, 3)]
    assert [len(p.conversations or []) for p in pages] == [200, 200, total - 400]
    ids = [c.conversation_id for p in pages for c in p.conversations or []]
    assert len(set(ids)) == total
    assert ids[:200] == [c.conversation_id for c in first.conversations]


def test_page_size_over_the_cap_can_be_rejected_and_the_cap_moved(sb, sdk, analytics):
    when = day_interval(4)
    sb.control.seed(count=120, seed=22, interval=when)
    sb.control.settings(assumptions={"analyticsPageSizeOverMax": "reject"})
    body = api_error(lambda: analytics.post_analytics_conversations_details_query(query(sdk, when, 201, 1)),
                     400, "bad.request")
    assert "200" in body["message"] and "analyticsMaxPageSize" in body["message"]
    assert len(analytics.post_analytics_conversations_details_query(query(sdk, when, 200, 1)).conversations) >= 120
    sb.control.settings(analyticsMaxPageSize=100, assumptions={"analyticsPageSizeOverMax": "clamp"})
    assert len(analytics.post_analytics_conversations_details_query(query(sdk, when, 300, 1)).conversations) == 100


# --- item 3: the data lake's lag -----------------------------------------------------------------


def test_availability_is_the_clock_less_the_lag_and_jobs_miss_what_is_newer(sb, sdk, analytics):
    now = clock_now(sb)
    sb.control.seed(count=90, seed=23, interval=interval(now - timedelta(hours=3), now))
    everything = interval(now - timedelta(hours=4), now + timedelta(hours=1))
    # the reference: the same job with the lag switched off
    sb.control.settings(analyticsJobDelaySeconds=0, analyticsJobDataLagSeconds=0)
    ref, _ = fetch_all(analytics, submit(analytics, job_query(sdk, everything)))
    ended = {c.conversation_id for c in ref if c.conversation_end is not None}

    sb.control.settings(analyticsJobDataLagSeconds=3600)
    avail = analytics.get_analytics_conversations_details_jobs_availability().data_availability_date
    assert abs((now - timedelta(hours=1)) - avail) < timedelta(seconds=5)
    job_id = submit(analytics, job_query(sdk, everything))
    lake = analytics.get_analytics_conversations_details_job_results(job_id).data_availability_date
    assert abs(lake - avail) < timedelta(seconds=5)
    lagged, _ = fetch_all(analytics, job_id)
    assert {c.conversation_id for c in lagged} == {c.conversation_id for c in ref
                                                   if c.conversation_end is not None and c.conversation_end <= lake}
    assert 30 < len(lagged) < len(ended)  # the last hour's conversations are not in the lake yet
    # the sync query is not behind: it still has the newest ones
    assert ended - {c.conversation_id for c in lagged} <= set(sync_ids(analytics, sdk, everything))

    # an hour and a half later the lake holds every one that ended
    sb.control.advance_clock(5400)
    later, _ = fetch_all(analytics, submit(analytics, job_query(sdk, everything)))
    assert {c.conversation_id for c in later} == ended


def test_lag_zero_switches_the_lag_off(sb, sdk, analytics, demo):
    sb.control.settings(analyticsJobDelaySeconds=0, analyticsJobDataLagSeconds=0)
    now = clock_now(sb)
    avail = analytics.get_analytics_conversations_details_jobs_availability().data_availability_date
    assert abs(now - avail) < timedelta(seconds=5)
    ids = {c.conversation_id for c in fetch_all(analytics, submit(analytics, job_query(
        sdk, interval(now - timedelta(hours=30), now + timedelta(hours=1)))))[0]}
    assert demo.ACTIVE in ids  # a conversation still going is in at once


def test_the_demo_sets_an_observable_lag(sb, sdk, analytics, demo):
    """The demo's lag is short enough to watch: its live conversations are not in a job yet, and
    its availability date trails the clock by the demo's setting."""
    from recops.sandbox.model.settings import SandboxSettings

    lag = sb.control.call("GET", "settings")["analyticsJobDataLagSeconds"]
    assert 0 < lag < SandboxSettings().analytics_job_data_lag_seconds  # 15 minutes, not the default hour
    sb.control.settings(analyticsJobDelaySeconds=0)
    now = clock_now(sb)
    avail = analytics.get_analytics_conversations_details_jobs_availability().data_availability_date
    assert abs((now - timedelta(seconds=lag)) - avail) < timedelta(seconds=5)
    ids = {c.conversation_id for c in fetch_all(analytics, submit(analytics, job_query(
        sdk, interval(now - timedelta(hours=30), now + timedelta(hours=1)))))[0]}
    assert demo.ACTIVE not in ids


# --- item 8: results pages and results before FULFILLED -------------------------------------------


def test_an_empty_results_page_carries_an_empty_conversations_list(sb, sdk, analytics, demo):
    sb.control.settings(analyticsJobDelaySeconds=0)
    job_id = submit(analytics, job_query(sdk, day_interval(30)))  # nothing happened that day
    page = analytics.get_analytics_conversations_details_job_results(job_id)
    assert page.conversations == [] and page.cursor is None
    token = get_token(sb.url, *demo.SUPERVISOR)
    r = Raw(sb.url).request("GET", f"{JOBS}/{job_id}/results", token)
    assert r.status == 200
    assert json.loads(r.data)["conversations"] == []


def test_results_before_fulfilled_are_a_400_naming_the_state(sb, sdk, analytics):
    sb.control.settings(analyticsJobDelaySeconds=60)
    job_id = submit(analytics, job_query(sdk, day_interval(12)))
    body = api_error(lambda: analytics.get_analytics_conversations_details_job_results(job_id), 400, "bad.request")
    assert "QUEUED" in body["message"] and "FULFILLED" in body["message"]
    sb.control.settings(assumptions={"analyticsJobResultsNotReady": "notFound404"})
    api_error(lambda: analytics.get_analytics_conversations_details_job_results(job_id), 404, "not.found")


def test_the_assumptions_are_listed_with_their_evidence(sb):
    listed = {a["key"]: a for a in sb.control.call("GET", "assumptions")}
    assert listed["analyticsPageSizeOverMax"]["value"] == "clamp"
    assert listed["analyticsJobResultsNotReady"]["value"] == "badRequest400"
    assert "third-party" not in listed["analyticsJobResultsNotReady"]["text"]
