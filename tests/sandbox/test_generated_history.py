"""Generated histories (``POST /_sandbox/seed {"generated": true}``): computed per index, never
materialised, served by the details jobs, the sync query and the by-id reads alike."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest

from recops.sandbox.control_client import SandboxControlError
from recops.sandbox.model.analytics_wire import analytics_conversation
from recops.sandbox.seeds.history import build_history, parse_generated
from recops.sandbox.services.analytics import _conv_row, _rows_of

from .http_helpers import get_token, request
from .sdk_helpers import interval, utc_midnight
from .test_sdk_analytics import seg, seg_filter
from .test_sdk_jobs import JOBS, fetch_all, job_query, no_delay, submit

DAY = 86400.0


@pytest.fixture
def analytics(sdk, supervisor):
    return sdk.AnalyticsApi(supervisor)


def _history(count=5000, seed=3):
    return build_history(parse_generated(
        {"count": count, "seed": seed, "interval": "2026-10-01T00:00:00Z/2026-10-31T00:00:00Z"}, 0.0))


# --- the generator on its own ----------------------------------------------------------------------


def test_starts_grow_with_the_index_and_ranges_are_exact():
    h = _history()
    starts = [h.start_of(i) for i in range(h.count)]
    assert all(a < b for a, b in itertools.pairwise(starts))
    assert h.start <= starts[0] and starts[-1] < h.end
    rng = random.Random(1)
    for _ in range(200):
        lo = rng.uniform(h.start - DAY, h.end + DAY)
        hi = lo + rng.uniform(0, 5 * DAY)
        assert list(h.index_range(lo, hi)) == [i for i, s in enumerate(starts) if lo <= s < hi]


def test_ids_lead_back_to_their_index_and_facts_match_the_built_conversation():
    h = _history()
    other = _history(seed=4)
    for i in (0, 1, 777, h.count - 1):
        cid = h.conversation_id(i)
        assert h.index_of(cid) == i and other.index_of(cid) is None
        conv = h.conversation(i)
        f = h.facts(i)
        assert conv.id == cid and conv.start_time == f.start and conv.end_time == f.end
        assert conv.queue_id == h.queue_ids[f.queue]
        assert conv.direction == ("inbound" if f.inbound else "outbound")
        rows = _rows_of(conv)
        assert {r["purpose"] for r in rows} == {"customer", "acd", "agent"}
        assert any(r["userId"] == h.agents[f.agent][0] for r in rows)
        assert (rows[0]["recording"] == "true") == f.recorded
        assert h.conversation(i) == conv  # deterministic, apart from nothing
    assert h.index_of(h.conversation_id(0)[:-12] + f"{h.count:012x}") is None
    ratios = [h.facts(i) for i in range(h.count)]
    assert 0.75 < sum(f.recorded for f in ratios) / h.count < 0.85  # recordedRatio 0.8


def test_direct_rendering_and_filter_rows_equal_those_of_the_built_conversation():
    h = build_history(parse_generated({"count": 2000, "seed": 9, "recordedRatio": 0.5, "securePauseRatio": 0.5,
                                       "adhocRatio": 0.3, "interval": "2026-10-01T00:00:00Z/2026-10-02T00:00:00Z"}, 0))
    kinds = set()
    for i in range(0, h.count, 7):
        f = h.facts(i)
        kinds.add((f.recorded, f.paused, f.adhoc, f.inbound))
        built = h.conversation(i)
        assert h.render(i, attributes=False) == analytics_conversation(built)
        assert h.rows(i) == (_conv_row(built), _rows_of(built))
        with_attrs = h.render(i, attributes=True)
        assert with_attrs["participants"][0]["attributes"] == h.attributes(i)
        assert with_attrs == analytics_conversation(built, attributes=True)  # one renderer, with attributes too
    assert len(kinds) >= 6  # recorded or not, paused, ad-hoc, both directions were all seen


# --- seeding through the control plane --------------------------------------------------------------


def test_seed_generated_is_immediate_and_checked(sb):
    when = interval(utc_midnight(30), utc_midnight(0))
    out = sb.control.seed(count=300_000, seed=1, interval=when, generated=True)
    assert out["created"] == 300_000 and out["generated"] is True
    assert isinstance(out["seconds"], float)
    assert len(sb.control.conversations(limit=1_000_000)) < 1000  # nothing was materialised
    assert out["firstId"] != out["lastId"] and len(out["queueIds"]) == 4 and len(out["agentIds"]) == 12
    for spec, hint in (({"count": 10_000_001}, "'count'"), ({"queues": 0}, "'queues'"), ({"bogus": 1}, "bogus")):
        with pytest.raises(SandboxControlError) as e:
            sb.control.seed(generated=True, **spec)
        assert e.value.status == 400 and hint in e.value.body["message"]
    with pytest.raises(SandboxControlError) as e:
        sb.control.seed(count=300_000, seed=1, interval=when, generated=True)
    assert "already exists" in e.value.body["message"]
    with pytest.raises(SandboxControlError) as e:
        sb.control.seed(count=300_000)
    assert "generated" in e.value.body["message"]


# --- served like any conversation -------------------------------------------------------------------


def test_sync_windows_partition_the_generated_history(sb, sdk, analytics):
    when = interval(utc_midnight(30), utc_midnight(0))
    sb.control.seed(count=300_000, seed=1, interval=when, generated=True, org="sandbox-org")
    sb.control.settings(assumptions={"analyticsIntervalMatching": "startInstant"})
    total = 0
    for start in range(30, 0, -7):
        window = interval(utc_midnight(start), utc_midnight(start - 7 if start > 7 else -1))  # the last: to tomorrow
        q = sdk.ConversationQuery()
        q.interval = window
        reply = analytics.post_analytics_conversations_details_query(q)
        assert len(reply.conversations) == 25
        total += reply.total_hits
    # the 300,000 plus the demo's 500 seeded (7 days up to an hour ago) and its live conversations
    assert 300_500 <= total <= 300_520


def test_a_job_streams_a_generated_history_with_materialised_ones_merged(sb, sdk, analytics):
    no_delay(sb)
    when = interval(utc_midnight(20), utc_midnight(18))
    sb.control.seed(count=3000, seed=2, interval=when, generated=True)
    sb.control.seed(count=40, seed=2, interval=when)
    token = get_token(sb.url, "sandbox-supervisor", "sandbox-supervisor-secret")
    job = request("POST", sb.url + JOBS, token=token, json_body={"interval": when}).body["jobId"]
    ids, starts, cursor, pages = [], [], None, 0
    while True:
        r = request("GET", f"{sb.url}{JOBS}/{job}/results?pageSize=1000" + (f"&cursor={cursor}" if cursor else ""),
                    token=token)
        assert r.status == 200
        pages += 1
        ids += [c["conversationId"] for c in r.body["conversations"]]
        starts += [c["conversationStart"] for c in r.body["conversations"]]
        cursor = r.body.get("cursor")
        if not cursor:
            break
    assert pages == 4 and len(ids) == len(set(ids)) == 3040
    assert starts == sorted(starts)


def test_filters_on_a_generated_history_agree_with_the_sync_query(sb, sdk, analytics):
    no_delay(sb)
    seed_when = interval(utc_midnight(12) + timedelta(hours=1), utc_midnight(10))
    seeded = sb.control.seed(count=4000, seed=5, interval=seed_when, generated=True, queues=3)
    queue = seeded["queueIds"][2]
    flt = [seg_filter(sdk, "and", [seg(sdk, "queueId", queue), seg(sdk, "purpose", "agent")])]
    job_convs, _ = fetch_all(analytics, submit(analytics, job_query(
        sdk, interval(utc_midnight(12), utc_midnight(9)), segment_filters=flt)), page_size=1000)
    assert 1000 < len(job_convs) < 1700
    for c in job_convs:
        agent = next(p for p in c.participants if p.purpose == "agent")
        assert agent.sessions[0].segments[0].queue_id == queue
        customer = next(p for p in c.participants if p.purpose == "customer")
        assert set(customer.attributes) == {"customerTier", "caseRef"}
    q = sdk.ConversationQuery()
    q.interval = interval(utc_midnight(12), utc_midnight(9))
    q.segment_filters = flt
    assert analytics.post_analytics_conversations_details_query(q).total_hits == len(job_convs)
    # a generated conversation is readable by id, the same record as the job's (minus attributes)
    one = job_convs[17]
    by_id = analytics.get_analytics_conversation_details(one.conversation_id).to_dict()
    expected = one.to_dict()
    for p in expected["participants"]:
        p.pop("attributes")
    assert by_id == expected
    recordings = sdk.RecordingApi(analytics.api_client).get_conversation_recordingmetadata(one.conversation_id)
    recorded = any(s.recording for p in one.participants for s in p.sessions)
    assert bool(recordings) == recorded
