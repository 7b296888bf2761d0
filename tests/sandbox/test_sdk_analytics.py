"""Analytics: POST /analytics/conversations/details/query and GET …/{id}/details, through the
unmodified SDK (ConversationQuery, PagingSpec, *DetailQueryFilter/Clause/Predicate)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.parser import isoparse

from .sdk_helpers import (
    Raw,
    api_error,
    around_now,
    assert_success_headers,
    day_interval,
    interval,
    new_id,
    utc_midnight,
)

QUEUE_1 = "5a1e0000-0000-4000-8000-0000000000a1"
QUEUE_2 = "5a1e0000-0000-4000-8000-0000000000a2"
QUEUE_3 = "5a1e0000-0000-4000-8000-0000000000a3"


# --- builders over the SDK models --------------------------------------------------------------


def _pred(sdk, cls, dimension, value=None, operator=None):
    p = getattr(sdk, cls)()
    p.type = "dimension"
    p.dimension = dimension
    if operator:
        p.operator = operator
    if value is not None:
        p.value = value
    return p


def seg(sdk, dimension, value=None, operator=None):
    return _pred(sdk, "SegmentDetailQueryPredicate", dimension, value, operator)


def cpred(sdk, dimension, value=None, operator=None):
    return _pred(sdk, "ConversationDetailQueryPredicate", dimension, value, operator)


def _grouping(sdk, model, kind, predicates=None, clauses=None):
    """A filter or clause model (``type`` + ``predicates`` [+ ``clauses``]) of the SDK."""
    g = getattr(sdk, model)()
    g.type = kind
    g.predicates = predicates
    if clauses is not None:
        g.clauses = clauses
    return g


def seg_filter(sdk, kind, predicates=None, clauses=None):
    return _grouping(sdk, "SegmentDetailQueryFilter", kind, predicates, clauses)


def seg_clause(sdk, kind, predicates):
    return _grouping(sdk, "SegmentDetailQueryClause", kind, predicates)


def conv_filter(sdk, kind, predicates=None, clauses=None):
    return _grouping(sdk, "ConversationDetailQueryFilter", kind, predicates, clauses)


def conv_clause(sdk, kind, predicates):
    return _grouping(sdk, "ConversationDetailQueryClause", kind, predicates)


def query(sdk, when, page_size=None, page_number=None, segment_filters=None, conversation_filters=None,
          order=None):
    q = sdk.ConversationQuery()
    q.interval = when
    if page_size is not None or page_number is not None:
        paging = sdk.PagingSpec()
        paging.page_size = page_size
        paging.page_number = page_number
        q.paging = paging
    q.segment_filters = segment_filters
    q.conversation_filters = conversation_filters
    if order:
        q.order = order
    return q


@pytest.fixture
def analytics(sdk, supervisor):
    return sdk.AnalyticsApi(supervisor)


def ids_of(reply) -> list[str]:
    return [c.conversation_id for c in reply.conversations or []]


def run(analytics, q) -> set[str]:
    reply = analytics.post_analytics_conversations_details_query(q)
    found = ids_of(reply)
    assert len(found) == len(set(found)) == reply.total_hits  # small results fit one page
    return set(found)


# --- basics ------------------------------------------------------------------------------------


def test_query_returns_conversations_with_sessions_and_recording_flags(sdk, supervisor, analytics, demo):
    q = query(sdk, around_now(), page_size=100, page_number=1, conversation_filters=[
        conv_filter(sdk, "or", [cpred(sdk, "conversationId", demo.ENDED), cpred(sdk, "conversationId", demo.ADHOC)])])
    reply = analytics.post_analytics_conversations_details_query(q)
    assert_success_headers(supervisor, 200)
    assert isinstance(reply, sdk.AnalyticsConversationQueryResponse)
    by_id = {c.conversation_id: c for c in reply.conversations}
    assert set(by_id) == {demo.ENDED, demo.ADHOC}
    ended = by_id[demo.ENDED]
    assert ended.conversation_end is not None
    assert ended.conversation_end - ended.conversation_start == timedelta(seconds=300)
    assert ended.originating_direction == "inbound"
    assert ended.conversation_initiator == "customer"
    for p in ended.participants:
        assert p.purpose in ("customer", "agent")
        for s in p.sessions:
            assert s.media_type == "voice"
            assert s.recording is True  # policy recording
            assert s.segments and all(sg.segment_type == "interact" for sg in s.segments)
    # the ad-hoc conversation: only Ben's session is recorded
    adhoc = by_id[demo.ADHOC]
    recorded = {p.purpose: p.sessions[0].recording for p in adhoc.participants}
    assert recorded == {"customer": None, "agent": True}
    assert adhoc.conversation_end is None  # still active


def test_active_conversations_have_no_conversation_end(sdk, supervisor, analytics, demo):
    active = {demo.ACTIVE, demo.PAUSED, demo.UNRECORDED, demo.ADHOC, demo.HELD, demo.EMAIL}
    found = run(analytics, query(sdk, around_now(), page_size=100, page_number=1, conversation_filters=[
        conv_filter(sdk, "and", [cpred(sdk, "conversationEnd", operator="notExists")])]))
    assert found == active
    assert '"conversationEnd"' not in supervisor.last_response.data
    ended = run(analytics, query(sdk, around_now(), page_size=100, page_number=1, conversation_filters=[
        conv_filter(sdk, "and", [cpred(sdk, "conversationEnd", operator="exists")])]))
    assert demo.ENDED in ended and not (ended & active)


def test_single_conversation_details(sdk, supervisor, analytics, demo):
    one = analytics.get_analytics_conversation_details(demo.ACTIVE)
    assert_success_headers(supervisor, 200)
    assert isinstance(one, sdk.AnalyticsConversationWithoutAttributes)
    assert one.conversation_id == demo.ACTIVE
    assert one.conversation_end is None
    agent = next(p for p in one.participants if p.purpose == "agent")
    assert agent.user_id == demo.AVA
    assert agent.sessions[0].segments[0].queue_id == QUEUE_1
    # the same conversation as the query shows it
    listed = analytics.post_analytics_conversations_details_query(query(sdk, around_now(), conversation_filters=[
        conv_filter(sdk, "and", [cpred(sdk, "conversationId", demo.ACTIVE)])]))
    assert listed.conversations[0].to_dict() == one.to_dict()


def test_single_conversation_details_errors(sdk, login, analytics, demo):
    api_error(lambda: analytics.get_analytics_conversation_details(new_id()), 404, "not.found")
    nothing = sdk.AnalyticsApi(login(*demo.NOTHING))
    body = api_error(lambda: nothing.get_analytics_conversation_details(demo.ACTIVE), 403, "missing.any.permissions")
    assert "analytics:conversationDetail:view" in body["messageParams"]["permissions"]
    api_error(lambda: nothing.post_analytics_conversations_details_query(query(sdk, around_now())),
              403, "missing.any.permissions")


# --- filters -----------------------------------------------------------------------------------


def test_filter_media_type(sdk, analytics, demo):
    assert run(analytics, query(sdk, around_now(), segment_filters=[
        seg_filter(sdk, "and", [seg(sdk, "mediaType", "email")])])) == {demo.EMAIL}
    voice = run(analytics, query(sdk, around_now(), page_size=100, page_number=1, segment_filters=[
        seg_filter(sdk, "and", [seg(sdk, "mediaType", "voice")])]))
    assert demo.EMAIL not in voice and {demo.ACTIVE, demo.ENDED} <= voice


def test_filter_user_and_purpose(sdk, analytics, demo):
    assert run(analytics, query(sdk, around_now(), segment_filters=[
        seg_filter(sdk, "and", [seg(sdk, "userId", demo.AVA)])])) == {demo.ACTIVE, demo.UNRECORDED, demo.ENDED}
    # the same user, but as a customer: no segment is both
    assert run(analytics, query(sdk, around_now(), segment_filters=[
        seg_filter(sdk, "and", [seg(sdk, "userId", demo.AVA), seg(sdk, "purpose", "customer")])])) == set()
    assert run(analytics, query(sdk, around_now(), segment_filters=[
        seg_filter(sdk, "and", [seg(sdk, "userId", demo.AVA), seg(sdk, "purpose", "agent")])])) \
        == {demo.ACTIVE, demo.UNRECORDED, demo.ENDED}


def test_filter_queue(sdk, analytics, demo):
    assert run(analytics, query(sdk, around_now(), segment_filters=[
        seg_filter(sdk, "and", [seg(sdk, "queueId", QUEUE_2)])])) == {demo.UNRECORDED, demo.ADHOC}
    assert run(analytics, query(sdk, around_now(), segment_filters=[
        seg_filter(sdk, "or", [seg(sdk, "queueId", QUEUE_2), seg(sdk, "queueId", QUEUE_3)])])) \
        == {demo.UNRECORDED, demo.ADHOC, demo.EMAIL}


def test_filter_recording_exists_and_not_exists(sdk, analytics, demo):
    def on_queue_2(*preds):
        return run(analytics, query(sdk, around_now(), segment_filters=[
            seg_filter(sdk, "and", [seg(sdk, "queueId", QUEUE_2)]), seg_filter(sdk, "and", list(preds))]))

    assert on_queue_2(seg(sdk, "recording", operator="exists")) == {demo.ADHOC}
    # a segment filter matches one segment: the ADHOC customer's session is not recorded
    assert on_queue_2(seg(sdk, "recording", operator="notExists")) == {demo.UNRECORDED, demo.ADHOC}
    assert on_queue_2(seg(sdk, "purpose", "agent"), seg(sdk, "recording", operator="notExists")) \
        == {demo.UNRECORDED}


def test_recording_filter_finds_sessions_recording_flags(sdk, analytics):
    reply = analytics.post_analytics_conversations_details_query(query(sdk, around_now(24), page_size=100,
                                                                       page_number=1, segment_filters=[
        seg_filter(sdk, "and", [seg(sdk, "recording", operator="exists")])]))
    assert reply.conversations
    for conv in reply.conversations:
        assert any(s.recording for p in conv.participants for s in p.sessions)


def test_conversation_filter_clauses(sdk, analytics, demo):
    def ids(*values):
        return [cpred(sdk, "conversationId", v) for v in values]

    flt = conv_filter(sdk, "and", clauses=[
        conv_clause(sdk, "or", ids(demo.ACTIVE, demo.PAUSED)),
        conv_clause(sdk, "or", ids(demo.PAUSED, demo.HELD)),
    ])
    assert run(analytics, query(sdk, around_now(), conversation_filters=[flt])) == {demo.PAUSED}
    flt = conv_filter(sdk, "or", clauses=[conv_clause(sdk, "and", ids(demo.ACTIVE))], predicates=ids(demo.HELD))
    assert run(analytics, query(sdk, around_now(), conversation_filters=[flt])) == {demo.ACTIVE, demo.HELD}


def test_segment_filter_clauses(sdk, analytics, demo):
    flt = seg_filter(sdk, "or", clauses=[
        seg_clause(sdk, "and", [seg(sdk, "userId", demo.BEN), seg(sdk, "mediaType", "email")]),
        seg_clause(sdk, "and", [seg(sdk, "userId", demo.CLEO)]),
    ])
    assert run(analytics, query(sdk, around_now(), segment_filters=[flt])) == {demo.EMAIL, demo.HELD}


def test_unknown_conversation_id_matches_nothing(sdk, analytics):
    reply = analytics.post_analytics_conversations_details_query(query(sdk, around_now(), conversation_filters=[
        conv_filter(sdk, "and", [cpred(sdk, "conversationId", new_id())])]))
    assert reply.total_hits == 0
    assert reply.conversations is None


# --- paging ------------------------------------------------------------------------------------


def test_paging_sums_to_total_hits_with_default_page_size(sb, sdk, analytics):
    when = day_interval(20)
    seeded = sb.control.seed(count=60, seed=3, interval=when)
    assert seeded["created"] == 60
    first = analytics.post_analytics_conversations_details_query(query(sdk, when))  # no paging: defaults
    assert first.total_hits == 60
    assert len(first.conversations) == 25
    pages = [ids_of(first)]
    for number in (2, 3, 4):
        reply = analytics.post_analytics_conversations_details_query(query(sdk, when, page_size=25,
                                                                           page_number=number))
        assert reply.total_hits == 60
        pages.append(ids_of(reply))
    assert [len(p) for p in pages] == [25, 25, 10, 0]
    every = [i for p in pages for i in p]
    assert len(every) == len(set(every)) == 60
    # ordered by conversationStart ascending by default; desc reverses
    starts = []
    for number in (1, 2, 3):
        reply = analytics.post_analytics_conversations_details_query(query(sdk, when, page_size=25,
                                                                           page_number=number))
        starts += [c.conversation_start for c in reply.conversations]
    assert starts == sorted(starts)
    desc = analytics.post_analytics_conversations_details_query(query(sdk, when, page_size=100, page_number=1,
                                                                      order="desc"))
    assert ids_of(desc) == list(reversed(every))


def test_interval_matches_conversations_started_on_a_touched_day(sb, sdk, analytics):
    day = utc_midnight(20)
    sb.control.seed(count=30, seed=4, interval=day_interval(20))
    # an hour of that day still returns every conversation that started on it
    hour = interval(day + timedelta(hours=5), day + timedelta(hours=6))
    assert analytics.post_analytics_conversations_details_query(query(sdk, hour)).total_hits == 30
    # the next day does not
    assert analytics.post_analytics_conversations_details_query(query(sdk, day_interval(19))).total_hits == 0


def test_page_size_above_the_maximum_is_served_as_the_maximum(sb, sdk, analytics):
    """analyticsMaxPageSize (200) and the analyticsPageSizeOverMax assumption (clamp); more in
    test_analytics_corrections.py."""
    sb.control.seed(count=250, seed=3, interval=around_now())
    assert len(analytics.post_analytics_conversations_details_query(
        query(sdk, around_now(), page_size=201, page_number=1)).conversations) == 200
    sb.control.settings(assumptions={"analyticsPageSizeOverMax": "reject"})
    body = api_error(lambda: analytics.post_analytics_conversations_details_query(
        query(sdk, around_now(), page_size=201, page_number=1)), 400, "bad.request")
    assert "200" in body["message"]


def test_page_number_zero_is_invalid(sdk, analytics):
    api_error(lambda: analytics.post_analytics_conversations_details_query(
        query(sdk, around_now(), page_size=10, page_number=0)), 400, "invalid.value")


def test_interval_longer_than_seven_days_is_bad_request(sdk, analytics):
    start = utc_midnight(10)
    api_error(lambda: analytics.post_analytics_conversations_details_query(
        query(sdk, interval(start, start + timedelta(days=7, seconds=1)))), 400, "bad.request")
    reply = analytics.post_analytics_conversations_details_query(query(sdk, interval(start, start + timedelta(days=7))))
    assert reply.total_hits >= 0


def test_missing_or_malformed_interval(sdk, analytics):
    no_interval = sdk.ConversationQuery()
    api_error(lambda: analytics.post_analytics_conversations_details_query(no_interval), 400, "bad.request")
    api_error(lambda: analytics.post_analytics_conversations_details_query(query(sdk, "last week")),
              400, "invalid.date")


# --- a large, seeded history -------------------------------------------------------------------


def test_ten_thousand_seeded_conversations_and_the_result_cap(sb, sdk, analytics):
    start = utc_midnight(28)
    week = interval(start, start + timedelta(days=7))
    seeded = sb.control.seed(count=10000, seed=1, interval=week)
    assert seeded["created"] == 10000
    first = analytics.post_analytics_conversations_details_query(query(sdk, week, page_size=100, page_number=1))
    assert first.total_hits == 10000
    assert len(first.conversations) == 100
    both = analytics.post_analytics_conversations_details_query(query(sdk, week, conversation_filters=[
        conv_filter(sdk, "or", [cpred(sdk, "conversationId", seeded["firstId"]),
                                cpred(sdk, "conversationId", seeded["lastId"])])]))
    assert set(ids_of(both)) == {seeded["firstId"], seeded["lastId"]}
    last = analytics.post_analytics_conversations_details_query(query(sdk, week, page_size=100, page_number=100))
    assert len(last.conversations) == 100
    past = analytics.post_analytics_conversations_details_query(query(sdk, week, page_size=100, page_number=101))
    assert past.total_hits == 10000 and past.conversations is None
    # more than 10,000 matches: totalHits counts them all, paging stops at 10,000 ("emptyPage")
    sb.control.seed(count=50, seed=2, interval=week)
    capped = analytics.post_analytics_conversations_details_query(query(sdk, week, page_size=100, page_number=101))
    assert capped.total_hits == 10050
    assert capped.conversations is None
    edge = analytics.post_analytics_conversations_details_query(query(sdk, week, page_size=100, page_number=100))
    assert len(edge.conversations) == 100


def test_seeding_is_deterministic(sb, sdk, login, demo):
    start = utc_midnight(28)
    week = interval(start, start + timedelta(days=7))

    def seed_and_page() -> tuple[dict, list[str]]:
        seeded = sb.control.seed(count=10000, seed=1, interval=week)
        api = sdk.AnalyticsApi(login(*demo.SUPERVISOR))
        reply = api.post_analytics_conversations_details_query(query(sdk, week, page_size=100, page_number=37))
        return seeded, ids_of(reply)

    first, page_a = seed_and_page()
    sb.control.reset()
    second, page_b = seed_and_page()
    assert (first["firstId"], first["lastId"], first["queueIds"], first["agentIds"]) == \
        (second["firstId"], second["lastId"], second["queueIds"], second["agentIds"])
    assert page_a == page_b and len(page_a) == 100
    # another seed gives other ids
    sb.control.reset()
    other = sb.control.seed(count=10, seed=2, interval=week)
    assert other["firstId"] != first["firstId"]


def test_seeding_the_same_ids_twice_is_refused(sb):
    from recops.sandbox.control_client import SandboxControlError

    sb.control.seed(count=5, seed=9, interval=day_interval(25))
    with pytest.raises(SandboxControlError) as info:
        sb.control.seed(count=5, seed=9, interval=day_interval(25))
    assert info.value.status == 400


def test_seeded_conversations_can_be_filtered_by_their_queue_and_agent(sb, sdk, analytics):
    when = day_interval(22)
    seeded = sb.control.seed(count=200, seed=5, interval=when, queues=2, agents=3, recordedRatio=0.5)
    total = 0
    for queue in seeded["queueIds"]:
        total += analytics.post_analytics_conversations_details_query(query(sdk, when, segment_filters=[
            seg_filter(sdk, "and", [seg(sdk, "queueId", queue)])])).total_hits
    assert total == 200
    by_agent = sum(
        analytics.post_analytics_conversations_details_query(query(sdk, when, segment_filters=[
            seg_filter(sdk, "and", [seg(sdk, "userId", agent), seg(sdk, "purpose", "agent")])])).total_hits
        for agent in seeded["agentIds"])
    assert by_agent == 200
    recorded = analytics.post_analytics_conversations_details_query(query(sdk, when, segment_filters=[
        seg_filter(sdk, "and", [seg(sdk, "recording", operator="exists")])])).total_hits
    assert 0 < recorded < 200


def test_seeded_timelines_are_consistent(sb, sdk, supervisor, analytics):
    when = day_interval(24)
    sb.control.seed(count=300, seed=11, interval=when, recordedRatio=1, securePauseRatio=1, adhocRatio=1)
    conversations = []
    for number in (1, 2, 3):
        reply = analytics.post_analytics_conversations_details_query(query(sdk, when, page_size=100,
                                                                           page_number=number))
        conversations += reply.conversations
    assert len(conversations) == 300
    for conv in conversations:
        assert conv.conversation_start <= conv.conversation_end
        for p in conv.participants:
            for sg in p.sessions[0].segments:
                assert conv.conversation_start <= sg.segment_start <= sg.segment_end <= conv.conversation_end, \
                    (conv.conversation_id, p.purpose)
        acd = next(p for p in conv.participants if p.purpose == "acd")
        assert acd.sessions[0].segments[0].disconnect_type == "transfer"  # the queue leg ends in a transfer
    # the recordings of the shortest calls: every file ends after it starts, pauses lie inside
    recordings = sdk.RecordingApi(supervisor)
    shortest = sorted(conversations, key=lambda c: c.conversation_end - c.conversation_start)[:8]
    for conv in shortest:
        listed = recordings.get_conversation_recordings(conv.conversation_id)
        assert {r.recording_file_role for r in listed} == {"CUSTOMER_EXPERIENCE", "ADHOC"}
        for rec in listed:
            assert rec.output_duration_ms >= 0, (conv.conversation_id, rec.recording_file_role)
            assert rec.start_time <= rec.end_time
            wall = (isoparse(rec.end_time) - isoparse(rec.start_time)).total_seconds() * 1000
            assert rec.output_duration_ms <= wall + 1  # paused time is cut out of the media (whole ms)
            for note in rec.annotations:
                assert note.realtime_location >= 0 and note.realtime_location + note.duration_ms <= wall + 1
        adhoc = next(r for r in listed if r.recording_file_role == "ADHOC")
        resp = Raw(sb.url).http.request("GET", next(iter(adhoc.media_uris.values())).media_uri)
        assert resp.status == 200 and resp.data.startswith(b"RIFF")


# --- the labelled assumptions, switched -------------------------------------------------------


def test_interval_matching_start_instant(sb, sdk, analytics):
    day = utc_midnight(20)
    sb.control.seed(count=30, seed=4, interval=day_interval(20))
    hour = query(sdk, interval(day + timedelta(hours=5), day + timedelta(hours=6)))
    assert analytics.post_analytics_conversations_details_query(hour).total_hits == 30  # startDay (default)
    sb.control.settings(assumptions={"analyticsIntervalMatching": "startInstant"})
    inside = analytics.post_analytics_conversations_details_query(hour)
    assert inside.total_hits < 30
    for conv in inside.conversations or []:
        assert day + timedelta(hours=5) <= conv.conversation_start < day + timedelta(hours=6)
    whole_day = analytics.post_analytics_conversations_details_query(query(sdk, day_interval(20)))
    assert whole_day.total_hits == 30


def test_page_past_the_cap_rejected_when_so_assumed(sb, sdk, analytics):
    sb.control.settings(analyticsResultCap=50, assumptions={"analyticsPastResultCap": "reject"})
    when = day_interval(20)
    sb.control.seed(count=60, seed=3, interval=when)
    assert len(analytics.post_analytics_conversations_details_query(
        query(sdk, when, page_size=25, page_number=2)).conversations) == 25
    api_error(lambda: analytics.post_analytics_conversations_details_query(
        query(sdk, when, page_size=25, page_number=3)), 400, "bad.request")


def test_result_cap_setting_cuts_paging_but_not_total_hits(sb, sdk, analytics):
    sb.control.settings(analyticsResultCap=50)
    when = day_interval(20)
    sb.control.seed(count=60, seed=3, interval=when)
    pages = [analytics.post_analytics_conversations_details_query(query(sdk, when, page_size=20, page_number=n))
             for n in (1, 2, 3, 4)]
    assert [p.total_hits for p in pages] == [60] * 4
    assert [len(p.conversations or []) for p in pages] == [20, 20, 10, 0]
