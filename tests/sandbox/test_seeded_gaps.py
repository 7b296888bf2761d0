"""The gaps seeded with their causes (issue 19): a generated history's orphaned, stray-orphan and
stuck-transcoding shares are deterministic and computed from the index, the retention query pages
a generated history without building its conversations (300,000 in pages of 500, timed), and the
seed's new ratios are checked like the others."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest

from recops.sandbox.control_client import SandboxControlError

from .http_helpers import request

INTERVAL = "2026-10-01T00:00:00Z/2026-10-31T00:00:00Z"


def _retention(sb, token, size=500):
    rows, pages, cursor = [], 0, None
    while True:
        url = f"{sb.url}/api/v2/recordings/retention/query?retentionThresholdDays=1&pageSize={size}"
        r = request("GET", url + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert r.status == 200, r.body
        pages += 1
        rows += r.body["entities"]
        if not r.body.get("nextUri"):
            return rows, pages
        cursor = parse_qs(urlparse(r.body["nextUri"]).query)["cursor"][0]


def test_the_gap_ratios_are_checked(sb):
    for bad, says in (({"orphanedRatio": 1.5}, "'orphanedRatio' must be a number from 0 to 1"),
                      ({"strayOrphanRatio": -0.1}, "'strayOrphanRatio' must be a number from 0 to 1"),
                      ({"transcodingRatio": "x"}, "'transcodingRatio' must be a number from 0 to 1"),
                      ({"archivedRatio": 0.5, "deletedRatio": 0.3, "transcodingRatio": 0.3},
                       "'archivedRatio' + 'deletedRatio' + 'transcodingRatio' must be at most 1")):
        with pytest.raises(SandboxControlError) as e:
            sb.control.seed(generated=True, count=100, **bad)
        assert e.value.status == 400 and says in str(e.value), str(e.value)
    made = sb.control.seed(generated=True, count=100, orphanedRatio=0.1, strayOrphanRatio=0.05, transcodingRatio=0.1)
    assert made["created"] == 100


def test_a_generated_history_holds_its_gaps_in_their_ratios(sb, login):
    sb.control.reset("empty")
    client = sb.control.add_client(["recording:*:*"])
    token = login(client["clientId"], client["clientSecret"]).access_token
    sb.control.seed(generated=True, count=20_000, seed=5, interval=INTERVAL, recordedRatio=0.8, adhocRatio=0,
                    archivedRatio=0.05, deletedRatio=0.04, transcodingRatio=0.03,
                    orphanedRatio=0.02, strayOrphanRatio=0.001)
    rows, _ = _retention(sb, token)
    recordings = {r["recordingId"] for r in rows}
    assert len(recordings) == len(rows)
    archived = sum(1 for r in rows if r.get("archiveDate"))
    # recorded 80 %, minus one in 50 orphaned; then 4 % deleted and 3 % uploading are not listed
    expected = 20_000 * 0.8 * (1 - 0.02) * (1 - 0.04 - 0.03)
    assert abs(len(rows) - expected) < 0.03 * expected, (len(rows), expected)
    assert abs(archived - 0.05 * 20_000 * 0.8 * 0.98) < 120, archived
    listing = request("GET", f"{sb.url}/api/v2/orphanrecordings?hasConversation=true&pageSize=100", token=token).body
    assert abs(listing["total"] - 20_000 * 0.8 / 50) < 40, listing["total"]
    everything = request("GET", f"{sb.url}/api/v2/orphanrecordings?pageSize=100", token=token).body
    assert everything["total"] == listing["total"] + 20  # round(0.001 x 20,000) strays, under the 500 cap
    statuses = set()
    for number in range(1, everything["pageCount"] + 1):
        page = request("GET", f"{sb.url}/api/v2/orphanrecordings?pageSize=100&pageNumber={number}", token=token)
        statuses |= {o["orphanStatus"] for o in page.body["entities"]}
    assert statuses == {"NO_CONVERSATION", "UNKNOWN_CONVERSATION", "CONVERSATION_NOT_COMPLETE"}
    # deterministic: the same seed gives the same rows
    sb.control.reset("empty")
    client = sb.control.add_client(["recording:*:*"])
    token = login(client["clientId"], client["clientSecret"]).access_token
    sb.control.seed(generated=True, count=20_000, seed=5, interval=INTERVAL, recordedRatio=0.8, adhocRatio=0,
                    archivedRatio=0.05, deletedRatio=0.04, transcodingRatio=0.03,
                    orphanedRatio=0.02, strayOrphanRatio=0.001)
    assert [r["recordingId"] for r in _retention(sb, token)[0]] == [r["recordingId"] for r in rows]


def test_the_retention_query_pages_300000_generated_conversations_fast(sb, login):
    sb.control.reset("empty")
    sb.control.settings(rateLimitPerMinute=1_000_000)
    client = sb.control.add_client(["recording:*:*"])
    token = login(client["clientId"], client["clientSecret"]).access_token
    sb.control.seed(generated=True, count=300_000, seed=9, interval=INTERVAL, adhocRatio=0.05)
    t0 = time.perf_counter()
    rows, pages = _retention(sb, token)
    seconds = time.perf_counter() - t0
    assert pages == -(-len(rows) // 500) and len(rows) > 240_000
    assert len({r["recordingId"] for r in rows}) == len(rows)
    assert seconds < 60, f"{pages} pages took {seconds:.1f} s"
    assert len(sb.control.conversations(limit=100)) == 0  # nothing was materialised
