"""Async conversation-detail jobs (POST/GET/DELETE …/details/jobs, …/results, …/availability)
through the unmodified SDK, and the sync query's documented limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .sdk_helpers import Raw, api_error, assert_success_headers, day_interval, interval, new_id, utc_midnight
from .test_sdk_analytics import seg, seg_filter

JOBS = "/api/v2/analytics/conversations/details/jobs"


@pytest.fixture
def analytics(sdk, supervisor):
    return sdk.AnalyticsApi(supervisor)


def job_query(sdk, when, segment_filters=None, order=None, order_by=None, limit=None):
    q = sdk.AsyncConversationQuery()
    q.interval = when
    q.segment_filters = segment_filters
    if order:
        q.order = order
    if order_by:
        q.order_by = order_by
    if limit is not None:
        q.limit = limit
    return q


def submit(analytics, q) -> str:
    reply = analytics.post_analytics_conversations_details_jobs(q)
    assert analytics.api_client.last_response.status == 202
    return reply.job_id


def fetch_all(analytics, job_id, page_size=None) -> tuple[list, list[int]]:
    """Every conversation of the job, following the cursor; and the page lengths."""
    convs, sizes, cursor = [], [], None
    while True:
        page = analytics.get_analytics_conversations_details_job_results(job_id, cursor=cursor, page_size=page_size)
        assert page.data_availability_date is not None
        sizes.append(len(page.conversations or []))
        convs += page.conversations or []
        cursor = page.cursor
        if not cursor:
            return convs, sizes


def no_delay(sb):
    """Jobs done at once, over a data lake without lag (the lag: test_analytics_corrections.py)."""
    sb.control.settings(analyticsJobDelaySeconds=0, analyticsJobDataLagSeconds=0)


# --- lifecycle ---------------------------------------------------------------------------------


def test_job_goes_queued_pending_fulfilled_on_the_sandbox_clock(sb, sdk, supervisor, analytics):
    sb.control.settings(analyticsJobDelaySeconds=60, analyticsJobExpirySeconds=3600)
    sb.control.seed(count=40, seed=5, interval=day_interval(12))
    job_id = submit(analytics, job_query(sdk, day_interval(12)))
    assert_success_headers(supervisor, 202)
    status = analytics.get_analytics_conversations_details_job(job_id)
    assert isinstance(status, sdk.AsyncQueryStatus)
    assert status.state == "QUEUED" and status.submission_date is not None
    assert status.completion_date is None and status.expiration_date is None
    # results before FULFILLED: 400 (assumption analyticsJobResultsNotReady)
    body = api_error(lambda: analytics.get_analytics_conversations_details_job_results(job_id), 400, "bad.request")
    assert "QUEUED" in body["message"]
    sb.control.advance_clock(31)
    assert analytics.get_analytics_conversations_details_job(job_id).state == "PENDING"
    sb.control.advance_clock(30)
    done = analytics.get_analytics_conversations_details_job(job_id)
    assert done.state == "FULFILLED"
    assert done.completion_date - done.submission_date == timedelta(seconds=60)
    assert done.expiration_date - done.completion_date == timedelta(seconds=3600)
    convs, _ = fetch_all(analytics, job_id)
    assert len(convs) == 40
    # past the expiry: EXPIRED, no results
    sb.control.advance_clock(3600)
    assert analytics.get_analytics_conversations_details_job(job_id).state == "EXPIRED"
    api_error(lambda: analytics.get_analytics_conversations_details_job_results(job_id), 400, "bad.request")


def test_results_not_ready_can_be_a_404(sb, sdk, analytics):
    sb.control.settings(analyticsJobDelaySeconds=60, assumptions={"analyticsJobResultsNotReady": "notFound404"})
    job_id = submit(analytics, job_query(sdk, day_interval(12)))
    api_error(lambda: analytics.get_analytics_conversations_details_job_results(job_id), 404, "not.found")


def test_cursor_pages_to_the_last_page_which_has_no_cursor(sb, sdk, supervisor, analytics):
    no_delay(sb)
    when = day_interval(10, days=3)
    sb.control.seed(count=250, seed=6, interval=when)
    job_id = submit(analytics, job_query(sdk, when))
    convs, sizes = fetch_all(analytics, job_id, page_size=100)
    assert sizes == [100, 100, 50]
    assert '"cursor"' not in supervisor.last_response.data  # the last page has none
    ids = [c.conversation_id for c in convs]
    assert len(set(ids)) == 250
    starts = [c.conversation_start for c in convs]
    assert starts == sorted(starts)  # default: conversationStart ascending
    # the default page size (analyticsJobDefaultPageSize, 100)
    _, default_sizes = fetch_all(analytics, job_id)
    assert default_sizes == [100, 100, 50]
    # an exact multiple: the last full page carries no cursor
    _, exact = fetch_all(analytics, job_id, page_size=125)
    assert exact == [125, 125]


def test_results_are_the_sync_query_records_plus_attributes(sb, sdk, analytics):
    no_delay(sb)
    when = day_interval(14)
    sb.control.seed(count=20, seed=8, interval=when)
    sync = analytics.post_analytics_conversations_details_query(_sync_query(sdk, when))
    job_id = submit(analytics, job_query(sdk, when))
    convs, _ = fetch_all(analytics, job_id)
    assert all(isinstance(c, sdk.AnalyticsConversation) for c in convs)
    by_id = {c.conversation_id: c.to_dict() for c in sync.conversations}
    assert {c.conversation_id for c in convs} == set(by_id)
    for c in convs:
        d = c.to_dict()
        for p in d["participants"]:
            p.pop("attributes")  # the sync query's records have no participant attributes
        assert d == by_id[c.conversation_id]


def _sync_query(sdk, when):
    q = sdk.ConversationQuery()
    q.interval = when
    paging = sdk.PagingSpec()
    paging.page_size = 100
    paging.page_number = 1
    q.paging = paging
    return q


def test_job_interval_takes_every_conversation_active_in_it(sb, sdk, analytics, demo):
    """"All conversations that had activity during the interval": a conversation that started
    before the interval and is still going is in; the sync query's start-day rule is not used."""
    no_delay(sb)
    now = utc_midnight(0) + timedelta(days=1)
    ids = {c.conversation_id for c in fetch_all(analytics, submit(analytics, job_query(
        sdk, interval(now - timedelta(hours=30), now + timedelta(hours=1)))))[0]}
    assert {demo.ACTIVE, demo.ENDED, demo.EMAIL} <= ids
    # a one-minute window in the future still holds the active conversations, not the ended one
    soon = utc_midnight(0) + timedelta(days=2)
    later = {c.conversation_id for c in fetch_all(analytics, submit(analytics, job_query(
        sdk, interval(soon, soon + timedelta(minutes=1)))))[0]}
    assert demo.ACTIVE in later and demo.ENDED not in later


def test_filters_order_and_limit(sb, sdk, analytics):
    no_delay(sb)
    when = day_interval(16, days=2)
    seeded = sb.control.seed(count=200, seed=9, interval=when, queues=3)
    queue = seeded["queueIds"][1]
    job_id = submit(analytics, job_query(sdk, when, order="desc", segment_filters=[
        seg_filter(sdk, "and", [seg(sdk, "queueId", queue)])]))
    convs, _ = fetch_all(analytics, job_id, page_size=50)
    assert 0 < len(convs) < 200
    for c in convs:
        assert any(s.segments[0].queue_id == queue for p in c.participants for s in p.sessions)
    starts = [c.conversation_start for c in convs]
    assert starts == sorted(starts, reverse=True)
    # orderBy conversationEnd and a limit
    by_end, _ = fetch_all(analytics, submit(analytics, job_query(sdk, when, order_by="conversationEnd", limit=30)))
    ends = [c.conversation_end for c in by_end]
    assert len(ends) == 30 and ends == sorted(ends)


# --- failed, expired, deleted --------------------------------------------------------------------


def test_failed_and_expired_on_demand_through_the_control_plane(sb, sdk, analytics):
    no_delay(sb)
    failed = submit(analytics, job_query(sdk, day_interval(12)))
    expired = submit(analytics, job_query(sdk, day_interval(12)))
    sb.control.call("PATCH", f"analytics/jobs/{failed}", {"state": "FAILED", "errorMessage": "boom"})
    sb.control.call("PATCH", f"analytics/jobs/{expired}", {"state": "EXPIRED"})
    status = analytics.get_analytics_conversations_details_job(failed)
    assert status.state == "FAILED" and status.error_message == "boom"
    assert analytics.get_analytics_conversations_details_job(expired).state == "EXPIRED"
    for job_id in (failed, expired):
        api_error(lambda j=job_id: analytics.get_analytics_conversations_details_job_results(j), 400, "bad.request")
    listed = {j["jobId"]: j["state"] for j in sb.control.call("GET", "analytics/jobs")}
    assert listed == {failed: "FAILED", expired: "EXPIRED"}
    from recops.sandbox.control_client import SandboxControlError
    with pytest.raises(SandboxControlError) as e:
        sb.control.call("PATCH", f"analytics/jobs/{failed}", {"state": "FULFILLED"})
    assert e.value.status == 400
    with pytest.raises(SandboxControlError) as e:
        sb.control.call("PATCH", f"analytics/jobs/{new_id()}", {"state": "FAILED"})
    assert e.value.status == 404


def test_delete_removes_the_job(sb, sdk, supervisor, analytics):
    no_delay(sb)
    job_id = submit(analytics, job_query(sdk, day_interval(12)))
    assert analytics.delete_analytics_conversations_details_job(job_id) is None
    assert_success_headers(supervisor, 204)
    api_error(lambda: analytics.get_analytics_conversations_details_job(job_id), 404, "not.found")
    api_error(lambda: analytics.delete_analytics_conversations_details_job(job_id), 404, "not.found")


def test_delete_can_cancel_instead(sb, sdk, analytics):
    sb.control.settings(analyticsJobDelaySeconds=60, assumptions={"analyticsJobDelete": "cancel"})
    job_id = submit(analytics, job_query(sdk, day_interval(12)))
    analytics.delete_analytics_conversations_details_job(job_id)
    assert analytics.get_analytics_conversations_details_job(job_id).state == "CANCELLED"
    api_error(lambda: analytics.get_analytics_conversations_details_job_results(job_id), 400, "bad.request")


def test_concurrency_cap_is_a_setting(sb, sdk, analytics):
    sb.control.settings(analyticsJobDelaySeconds=60, analyticsJobMaxConcurrent=2)
    submit(analytics, job_query(sdk, day_interval(12)))
    submit(analytics, job_query(sdk, day_interval(12)))
    api_error(lambda: analytics.post_analytics_conversations_details_jobs(job_query(sdk, day_interval(12))),
              429, "too.many.requests")
    sb.control.advance_clock(61)
    submit(analytics, job_query(sdk, day_interval(12)))


# --- permissions, orgs, bad input -----------------------------------------------------------------


def test_permissions(sb, sdk, login, analytics, demo):
    no_delay(sb)
    job_id = submit(analytics, job_query(sdk, day_interval(12)))
    nothing = sdk.AnalyticsApi(login(*demo.NOTHING))
    for call in (lambda: nothing.post_analytics_conversations_details_jobs(job_query(sdk, day_interval(12))),
                 lambda: nothing.get_analytics_conversations_details_job(job_id),
                 lambda: nothing.get_analytics_conversations_details_job_results(job_id),
                 lambda: nothing.delete_analytics_conversations_details_job(job_id)):
        body = api_error(call, 403, "missing.any.permissions")
        assert body["messageParams"]["permissions"] == \
            "analytics:conversationDetail:view, analytics:agentConversationDetail:view"
    # the agent-detail permission opens the jobs but not availability
    agent = sb.control.add_client(["analytics:agentConversationDetail:view"])
    agent_api = sdk.AnalyticsApi(login(agent["clientId"], agent["clientSecret"]))
    assert agent_api.get_analytics_conversations_details_job(job_id).state == "FULFILLED"
    body = api_error(agent_api.get_analytics_conversations_details_jobs_availability, 403, "missing.any.permissions")
    assert body["messageParams"]["permissions"] == "analytics:conversationDetail:view"
    available = analytics.get_analytics_conversations_details_jobs_availability()
    assert isinstance(available, sdk.DataAvailabilityResponse) and available.data_availability_date is not None


def test_another_orgs_job_is_unknown(sb, sdk, login, analytics, demo):
    no_delay(sb)
    job_id = submit(analytics, job_query(sdk, day_interval(12)))
    other = sdk.AnalyticsApi(login(*demo.OTHER_ORG))
    api_error(lambda: other.get_analytics_conversations_details_job(job_id), 404, "not.found")
    api_error(lambda: other.get_analytics_conversations_details_job_results(job_id), 404, "not.found")
    api_error(lambda: other.delete_analytics_conversations_details_job(job_id), 404, "not.found")
    assert analytics.get_analytics_conversations_details_job(job_id).state == "FULFILLED"
    # and the other org's job sees only its own conversations
    own = {c.conversation_id for c in fetch_all(other, submit(other, job_query(
        sdk, interval(utc_midnight(2), utc_midnight(-1)))))[0]}
    assert demo.OTHER_ORG_CONV in own and demo.ACTIVE not in own


def test_unknown_job_and_bad_paging(sb, sdk, analytics):
    no_delay(sb)
    api_error(lambda: analytics.get_analytics_conversations_details_job(new_id()), 404, "not.found")
    api_error(lambda: analytics.get_analytics_conversations_details_job_results(new_id()), 404, "not.found")
    job_id = submit(analytics, job_query(sdk, day_interval(12)))
    other_job = submit(analytics, job_query(sdk, day_interval(12)))
    api_error(lambda: analytics.get_analytics_conversations_details_job_results(job_id, cursor="nonsense"),
              400, "bad.request")
    from recops.sandbox.services.analytics_jobs import encode_cursor
    api_error(lambda: analytics.get_analytics_conversations_details_job_results(
        job_id, cursor=encode_cursor(other_job, 10)), 400, "bad.request")
    api_error(lambda: analytics.get_analytics_conversations_details_job_results(job_id, page_size=0),
              400, "invalid.value")
    body = api_error(lambda: analytics.get_analytics_conversations_details_job_results(job_id, page_size=1001),
                     400, "bad.request")
    assert "1000" in body["message"]


@pytest.mark.parametrize(("body", "status", "code"), [
    ({}, 400, "bad.request"),
    ([], 400, "bad.request"),
    ({"interval": "yesterday"}, 400, "invalid.date"),
    ({"interval": "2026-01-02T00:00:00Z/2026-01-01T00:00:00Z"}, 400, "bad.request"),
    ({"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "orderBy": "bogus"}, 400, "invalid.value"),
    ({"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "order": "sideways"}, 400, "invalid.value"),
    ({"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "limit": 0}, 400, "invalid.value"),
    ({"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "startOfDayIntervalMatching": "yes"},
     400, "invalid.value"),
    ({"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "segmentFilters": [{"type": "xor"}]},
     400, "invalid.value"),
    ({"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "orderBy": "segmentStart"},
     501, "sandbox.not.emulated"),
    ({"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "evaluationFilters": [{"type": "and"}]},
     501, "sandbox.not.emulated"),
])
def test_bad_job_bodies_are_4xx_never_5xx(sb, demo, body, status, code):
    from .http_helpers import assert_error, get_token, request

    token = get_token(sb.url, *demo.SUPERVISOR)
    assert_error(request("POST", sb.url + JOBS, token=token, json_body=body), status, code)


def test_not_json_is_400(sb, demo):
    raw = Raw(sb.url)
    from .http_helpers import get_token

    token = get_token(sb.url, *demo.SUPERVISOR)
    r = raw.request("POST", JOBS, token, b"{not json", {"Content-Type": "application/json"})
    assert r.status == 400 and raw.json(r)["code"] == "bad.request"


def test_a_job_interval_longer_than_the_sync_limits_is_fine(sb, sdk, analytics):
    """No 7-day or 35-day rule on jobs (none is documented); a cap is a setting."""
    no_delay(sb)
    old = interval(utc_midnight(80), utc_midnight(40))
    sb.control.seed(count=100, seed=2, interval=old)
    assert len(fetch_all(analytics, submit(analytics, job_query(sdk, old)))[0]) == 100
    sb.control.settings(analyticsJobMaxIntervalDays=31)
    body = api_error(lambda: analytics.post_analytics_conversations_details_jobs(job_query(sdk, old)),
                     400, "bad.request")
    assert "31" in body["message"]


# --- the sync query's documented limits ----------------------------------------------------------


def test_sync_query_start_at_most_35_days_back_including_today(sb, sdk, login, demo, analytics):
    ok = interval(utc_midnight(34), utc_midnight(33))
    assert analytics.post_analytics_conversations_details_query(_sync_query(sdk, ok)).total_hits == 0
    too_old = interval(utc_midnight(34) - timedelta(seconds=1), utc_midnight(33))
    body = api_error(lambda: analytics.post_analytics_conversations_details_query(_sync_query(sdk, too_old)),
                     400, "bad.request")
    assert "35 days" in body["message"] and "details/jobs" in body["message"]
    # the rule follows the sandbox clock: tomorrow the first day drops out
    sb.control.advance_clock(86400)
    analytics = sdk.AnalyticsApi(login(*demo.SUPERVISOR))  # the old token expired meanwhile
    api_error(lambda: analytics.post_analytics_conversations_details_query(_sync_query(sdk, ok)), 400, "bad.request")
    sb.control.settings(analyticsMaxPastDays=0)  # 0: no limit
    assert analytics.post_analytics_conversations_details_query(_sync_query(sdk, too_old)).total_hits == 0


def test_sync_query_interval_at_most_7_days(sdk, analytics):
    seven = interval(utc_midnight(10), utc_midnight(3))
    assert analytics.post_analytics_conversations_details_query(_sync_query(sdk, seven)).total_hits >= 0
    eight = interval(utc_midnight(10), utc_midnight(3) + timedelta(seconds=1))
    body = api_error(lambda: analytics.post_analytics_conversations_details_query(_sync_query(sdk, eight)),
                     400, "bad.request")
    assert "7 days" in body["message"]


def test_start_of_day_interval_matching_drops_conversations_started_the_day_before(sb, sdk, analytics):
    no_delay(sb)
    day = utc_midnight(12)
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    before = sb.control.add_conversation(startTime=(day - timedelta(minutes=10)).strftime(fmt), ended=True,
                                         durationSeconds=1800)["id"]
    inside = sb.control.add_conversation(startTime=(day + timedelta(minutes=5)).strftime(fmt), ended=True,
                                         durationSeconds=60)["id"]
    when = interval(day + timedelta(minutes=1), day + timedelta(hours=1))
    plain = {c.conversation_id for c in fetch_all(analytics, submit(analytics, job_query(sdk, when)))[0]}
    assert plain == {before, inside}  # activity during the interval, whatever the start
    q = job_query(sdk, when)
    q.start_of_day_interval_matching = True
    assert {c.conversation_id for c in fetch_all(analytics, submit(analytics, q))[0]} == {inside}
