"""pandas tables: live states for a list of ids, and recording flags over an interval through
the analytics details query (7-day chunks, every page, dedup by conversationId, the
10,000-result cap). The truth is the sandbox's own list of conversations, read through its
control plane, never a hard-coded count."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from recops import BadRequest, ConfigError, RecopsError
from recops.genesys.intervals import chunks, parse_interval
from recops.history.query import MAX_DAYS
from recops.history.tables import INTERVAL_COLUMNS, STATE_COLUMNS

from ..conftest import Demo
from .ops_helpers import (
    all_conversations,
    clear_log,
    connect,
    iso,
    sandbox_now,
    started_in,
    summary,
    utc_midnight,
)

QUERY = "/api/v2/analytics/conversations/details/query"
ANALYTICS = ["analytics:conversationDetail:view"]


@pytest.fixture
def rc(sb, tmp_path):
    return connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {c: str(t) for c, t in frame.dtypes.items()}


def queries(sb) -> list[dict]:
    return [r for r in sb.control.requests(path=QUERY) if r["method"] == "POST"]


def recorded(conv: dict) -> bool:
    """The analytics `recording` flag's meaning: an audio recording was started in the call."""
    return conv["mediaType"] == "call" and bool(conv["recordingIds"])


# --- states ----------------------------------------------------------------------------------------


def test_states_frame_rows_in_order_with_errors_as_rows(sb, rc):
    ids = [Demo.ACTIVE, Demo.PAUSED, "c0a80001-0000-4000-8000-00000000dead", Demo.ENDED, Demo.ADHOC,
           Demo.ACTIVE, "  ", Demo.EMAIL]
    frame = rc.states(ids)
    assert dtypes(frame) == STATE_COLUMNS
    assert list(frame["conversation_id"]) == [Demo.ACTIVE, Demo.PAUSED, "c0a80001-0000-4000-8000-00000000dead",
                                              Demo.ENDED, Demo.ADHOC, Demo.EMAIL]
    rows = {r["conversation_id"]: r for r in frame.to_dict("records")}
    bogus = rows["c0a80001-0000-4000-8000-00000000dead"]
    assert bogus["error"] == "not.found" and isinstance(bogus["context_id"], str)
    assert all(pd.isna(bogus[c]) for c in ("recording_state", "secure_pause", "ended", "participants"))
    for cid in (Demo.ACTIVE, Demo.PAUSED, Demo.ENDED, Demo.ADHOC, Demo.EMAIL):
        truth, row = summary(sb, cid), rows[cid]
        assert pd.isna(row["error"])
        assert (row["recording_state"], row["secure_pause"], row["ended"], row["media_type"]) == (
            truth["recordingState"], truth["securePause"], truth["ended"], truth["mediaType"])
        assert row["participants"] == len(truth["participants"])
        assert row["adhoc_participants"] == sum(p["adhoc"] for p in truth["participants"])
        assert row["recording_files"] == len(truth["recordingIds"])
        if truth["mediaType"] == "call":
            assert row["recorded_participants"] == sum(p["recording"] for p in truth["participants"])
        else:  # no per-participant recording flag on the wire for other media: unknown, not 0
            assert pd.isna(row["recorded_participants"])
    assert rows[Demo.ADHOC]["adhoc_participants"] == 1


def test_states_frame_dtypes_hold_for_empty_and_all_failing_lists(rc):
    assert dtypes(rc.states([])) == STATE_COLUMNS
    failing = rc.states(["nope-1", "nope-2"])
    assert dtypes(failing) == STATE_COLUMNS
    assert list(failing["error"]) == ["not.found", "not.found"]


def test_states_frame_under_a_client_that_cannot_read_recordings(sb, tmp_path):
    client = sb.control.add_client(["conversation:communication:view"])
    rc = connect(sb, (client["clientId"], client["clientSecret"]), tmp_path / "j.sqlite")
    frame = rc.states([Demo.ACTIVE, Demo.ENDED])
    assert dtypes(frame) == STATE_COLUMNS
    assert frame["error"].isna().all()
    assert frame["recording_files"].isna().all()  # unknown, not zero
    assert list(frame["recording_state"]) == ["ACTIVE", summary(sb, Demo.ENDED)["recordingState"]]


# --- intervals -------------------------------------------------------------------------------------


def test_chunks_are_at_most_seven_days_and_cover_the_interval():
    start, end = parse_interval("2026-03-01T05:00:00Z/2026-03-18T07:30:00Z")
    parts = chunks(start, end, MAX_DAYS)
    assert parts[0][0] == start and parts[-1][1] == end
    assert all(b - a <= timedelta(days=7) for a, b in parts)
    assert all(parts[i][1] == parts[i + 1][0] for i in range(len(parts) - 1))


@pytest.mark.parametrize("bad", ["2026-03-01", "2026-03-02T00:00:00Z/2026-03-01T00:00:00Z", "x/y", 42])
def test_bad_intervals_are_config_errors(rc, bad):
    with pytest.raises(ConfigError):
        rc.interval(bad)


def test_interval_over_ten_days_is_split_deduped_and_complete(sb, rc):
    now = sandbox_now(sb)
    seeded_from = utc_midnight(now) - timedelta(days=30)
    seeded = sb.control.seed(count=3000, seed=3, interval=f"{iso(seeded_from)}/{iso(seeded_from + timedelta(days=11))}")
    assert seeded["created"] == 3000
    # ten days cutting through seeded days at both ends, so whole-day matching returns extra rows
    start = seeded_from + timedelta(hours=13)
    end = start + timedelta(days=10)
    truth = started_in(all_conversations(sb), start, end)
    assert 2000 < len(truth) < 3000

    # the sandbox refuses a query over more than 7 days, as Genesys does: every query recops
    # sends must therefore be answered 200 (the request log holds no bodies)
    sdk = rc.client.sdk()
    too_long = sdk.ConversationQuery()
    too_long.interval = f"{iso(start)}/{iso(start + timedelta(days=7, seconds=1))}"
    with pytest.raises(BadRequest):
        rc.client.call("POST", QUERY, rc.client.analytics_api.post_analytics_conversations_details_query, too_long)
    clear_log(sb)
    frame = rc.interval(f"{iso(start)}/{iso(end)}", via="query", progress=False)
    posts = queries(sb)
    assert len(posts) >= 2 and all(r["status"] == 200 for r in posts)

    assert dtypes(frame) == INTERVAL_COLUMNS
    assert frame["conversation_id"].is_unique
    assert set(frame["conversation_id"]) == {c["id"] for c in truth}
    assert len(frame) == len(truth)
    assert frame["conversation_start"].between(start, end, inclusive="left").all()
    assert frame["conversation_start"].is_monotonic_increasing
    by_id = {c["id"]: c for c in truth}
    assert all(frame["recorded"] == [recorded(by_id[c]) for c in frame["conversation_id"]])
    assert frame["ended"].all() and frame["conversation_end"].notna().all()
    assert set(frame["queue_ids"]) == {c["queueId"] for c in truth}


def test_interval_filters_over_the_demo_week(sb, rc):
    now = sandbox_now(sb)
    start, end = now - timedelta(days=8), now + timedelta(minutes=1)
    convs = started_in(all_conversations(sb, org="sandbox-org"), start, end)
    interval = f"{iso(start)}/{iso(end)}"
    everything = rc.interval(interval, via="query")
    assert set(everything["conversation_id"]) == {c["id"] for c in convs}

    queue = summary(sb, Demo.ACTIVE)["queueId"]
    assert queue
    by_queue = rc.interval(interval, via="query", queue_id=queue)
    want = {c["id"] for c in convs if c["queueId"] == queue
            and any(p["purpose"] in ("acd", "agent") for p in c["participants"])}
    assert want and set(by_queue["conversation_id"]) == want
    assert all(queue in q.split(",") for q in by_queue["queue_ids"])

    user = next(p["userId"] for c in convs for p in c["participants"] if p["userId"])
    by_user = rc.interval(interval, via="query", user_id=user)
    want = {c["id"] for c in convs if any(p["userId"] == user for p in c["participants"])}
    assert want and set(by_user["conversation_id"]) == want

    yes = rc.interval(interval, via="query", recorded=True)
    no = rc.interval(interval, via="query", recorded=False)
    assert set(yes["conversation_id"]) == {c["id"] for c in convs if recorded(c)}
    assert set(no["conversation_id"]) == {c["id"] for c in convs if not recorded(c)}
    assert yes["recorded"].all() and not no["recorded"].any()
    for frame in (by_queue, by_user, yes, no):
        assert dtypes(frame) == INTERVAL_COLUMNS


def test_an_interval_with_no_conversations_keeps_its_columns(sb, rc):
    now = sandbox_now(sb)
    frame = rc.interval(f"{iso(now - timedelta(days=33))}/{iso(now - timedelta(days=32))}")
    assert len(frame) == 0 and dtypes(frame) == INTERVAL_COLUMNS


def big_org(sb, tmp_path, org: str, count: int):
    """A fresh org holding ``count`` conversations on one UTC day, and a session on it."""
    client = sb.control.add_client(ANALYTICS, org=org)
    day = utc_midnight(sandbox_now(sb)) - timedelta(days=10)
    seeded = sb.control.seed(org=org, count=count, seed=11, interval=f"{iso(day)}/{iso(day + timedelta(days=1))}")
    assert seeded["created"] == count
    sb.control.settings(rateLimitPerMinute=100_000)  # this test is about the result cap, not pacing
    rc = connect(sb, (client["clientId"], client["clientSecret"]), tmp_path / "j.sqlite")
    return rc, day


@pytest.mark.parametrize("matching", ["startDay", "startInstant"])
def test_a_day_over_the_result_cap_comes_back_whole_and_once(sb, tmp_path, matching):
    """Genesys documents that the query matches conversations *started on a day the interval
    touches* (startDay): halving a day then narrows nothing, and recops reads the day in both
    orders. If it matched the instants (startInstant), halving narrows and recops halves."""
    sb.control.settings(assumptions={"analyticsIntervalMatching": matching})
    rc, day = big_org(sb, tmp_path, "big", 12_000)
    clear_log(sb)
    frame = rc.interval(f"{iso(day)}/{iso(day + timedelta(days=1))}")
    ids = {c["id"] for c in sb.control.call("GET", "conversations", org="big", limit=100_000)}
    assert len(ids) == 12_000
    assert len(frame) == 12_000 and frame["conversation_id"].is_unique
    assert set(frame["conversation_id"]) == ids
    assert dtypes(frame) == INTERVAL_COLUMNS
    posts = queries(sb)
    assert all(r["status"] == 200 for r in posts)
    # 120 pages of 100 hold 12,000 rows; a few more requests probe the cap, none page in vain
    assert 120 <= len(posts) <= 130


def test_a_day_beyond_what_the_query_can_return_is_an_error_not_a_short_table(sb, tmp_path):
    rc, day = big_org(sb, tmp_path, "huge", 20_300)
    clear_log(sb)
    with pytest.raises(RecopsError) as info:
        rc.interval(f"{iso(day)}/{iso(day + timedelta(days=1))}")
    assert "20300" in info.value.message and "jobs" in info.value.remedy
    assert len(queries(sb)) <= 3  # it finds out from the first pages, not after reading 20,000 rows
