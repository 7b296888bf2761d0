"""GET /api/v2/recordings/retention/query through the unmodified SDK: the required threshold, paging
(pageSize default 25, max 500, the cursor in nextUri), the RecordingRetention model, the
retentionThresholdMeasure assumption and protection counting as kept indefinitely."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from .sdk_helpers import api_error


@pytest.fixture
def recordings(sdk, login, demo):
    return sdk.RecordingApi(login(*demo.INTEGRATION))


def _all(recordings, days: int, page_size: int | None = None) -> tuple[list, int]:
    rows, pages, cursor = [], 0, None
    while True:
        kwargs = {"page_size": page_size} if page_size else {}
        page = recordings.get_recordings_retention_query(days, cursor=cursor, **kwargs) if cursor \
            else recordings.get_recordings_retention_query(days, **kwargs)
        pages += 1
        rows += page.entities
        if not page.next_uri:
            return rows, pages
        cursor = parse_qs(urlparse(page.next_uri).query)["cursor"][0]


def _with_delete_date(sdk, recordings, cid: str, days_after_creation: float) -> str:
    rec = recordings.get_conversation_recordings(cid)[0]
    body = sdk.Recording()
    created = rec.creation_time  # a datetime in the SDK model
    body.delete_date = created + timedelta(days=days_after_creation)
    recordings.put_conversation_recording(cid, rec.id, body)
    return rec.id


def test_model_and_threshold(sdk, recordings, demo):
    rid = _with_delete_date(sdk, recordings, demo.ENDED, 30)
    page = recordings.get_recordings_retention_query(10)
    assert isinstance(page, sdk.RecordingRetentionCursorEntityListing)
    rows, _ = _all(recordings, 10, 500)
    mine = [r for r in rows if r.recording_id == rid]
    assert len(mine) == 1
    row = mine[0]
    assert isinstance(row, sdk.RecordingRetention)
    assert row.conversation_id == demo.ENDED and row.delete_date and row.creation_time
    assert rid not in {r.recording_id for r in _all(recordings, 31, 500)[0]}  # kept 30 days, not > 31
    # recordings without a deleteDate are kept indefinitely: listed at any threshold
    assert len(_all(recordings, 31, 500)[0]) == len(rows) - 1


def test_protection_keeps_it_indefinitely(sdk, recordings, demo):
    rid = _with_delete_date(sdk, recordings, demo.ENDED, 30)
    query = sdk.ConversationDeletionProtectionQuery()
    query.conversation_ids = [demo.ENDED]
    recordings.put_recordings_deletionprotection(protect=True, body=query)
    assert rid in {r.recording_id for r in _all(recordings, 31, 500)[0]}


def test_paging_with_the_cursor(sb, recordings):
    for _ in range(30):
        sb.control.add_conversation(recording=True, startedSecondsAgo=600)
    everything, _ = _all(recordings, 1, 500)
    assert len(everything) > 25
    first = recordings.get_recordings_retention_query(1)
    assert len(first.entities) == 25 and first.next_uri  # pageSize default 25
    paged, pages = _all(recordings, 1, 10)
    assert pages == -(-len(everything) // 10)
    assert [r.recording_id for r in paged] == [r.recording_id for r in everything]
    assert len({r.recording_id for r in paged}) == len(paged)


def test_bad_parameters(recordings, sb, demo, login, sdk):
    api_error(lambda: recordings.get_recordings_retention_query(1, page_size=501), 400, "invalid.value")
    api_error(lambda: recordings.get_recordings_retention_query(1, cursor="not-ours"), 400, "bad.request")
    nothing = sdk.RecordingApi(login(*demo.NOTHING))
    api_error(lambda: nothing.get_recordings_retention_query(1), 403, "missing.any.permissions")


def test_creation_to_now_measure(sb, sdk, recordings, demo):
    rid = _with_delete_date(sdk, recordings, demo.ENDED, 30)
    sb.control.settings(assumptions={"retentionThresholdMeasure": "creationToNow"})
    assert rid not in {r.recording_id for r in _all(recordings, 1, 500)[0]}  # created minutes ago
