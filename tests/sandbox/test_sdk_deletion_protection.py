"""Deletion protection (legal hold) through the unmodified SDK: PUT ?protect=true|false with its own
permission each way, the 100-ids and 1000-per-org caps, unknown conversations, the POST check (no
permission needed), and protection blocking a recording's deleteDate."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from .sdk_helpers import api_error

APPLY = "recording:deletionProtection:apply"
REVOKE = "recording:deletionProtection:revoke"


@pytest.fixture
def holder(sdk, login, demo):
    """A RecordingApi with both protection permissions and recording edit rights (recording:*:*)."""
    return sdk.RecordingApi(login(*demo.INTEGRATION))


def _query(sdk, ids):
    query = sdk.ConversationDeletionProtectionQuery()
    query.conversation_ids = list(ids)
    return query


def _api_with(sb, sdk, login, permissions):
    client = sb.control.add_client(permissions)
    return sdk.RecordingApi(login(client["clientId"], client["clientSecret"]))


def _recorded_ids(sb, org, n):
    ids = [c["id"] for c in sb.control.conversations(org=org, limit=100000) if c["recordingIds"]]
    while len(ids) < n:
        ids.append(sb.control.add_conversation(recording=True, startedSecondsAgo=600)["id"])
    return ids[:n]


def test_protect_check_and_revoke(sdk, holder, demo):
    result = holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, [demo.ENDED, demo.EMAIL]))
    assert isinstance(result, sdk.ManageDeleteProtectionResult)
    assert result.failed_updates == []
    checked = holder.post_recordings_deletionprotection(_query(sdk, [demo.ENDED, demo.EMAIL, demo.ACTIVE]))
    assert all(isinstance(r, sdk.AddressableEntityRef) for r in checked)
    assert sorted(r.id for r in checked) == sorted([demo.ENDED, demo.EMAIL])
    assert {r.self_uri for r in checked} == {f"/api/v2/conversations/{c}" for c in (demo.ENDED, demo.EMAIL)}
    holder.put_recordings_deletionprotection(protect=False, body=_query(sdk, [demo.EMAIL]))
    checked = holder.post_recordings_deletionprotection(_query(sdk, [demo.ENDED, demo.EMAIL]))
    assert [r.id for r in checked] == [demo.ENDED]


def test_check_needs_no_permission(sdk, login, holder, demo):
    holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, [demo.ENDED]))
    nothing = sdk.RecordingApi(login(*demo.NOTHING))
    assert [r.id for r in nothing.post_recordings_deletionprotection(_query(sdk, [demo.ENDED]))] == [demo.ENDED]


def test_each_direction_needs_its_own_permission(sb, sdk, login, holder, demo):
    apply_only = _api_with(sb, sdk, login, [APPLY])
    revoke_only = _api_with(sb, sdk, login, [REVOKE])
    err = api_error(lambda: revoke_only.put_recordings_deletionprotection(protect=True, body=_query(sdk, [demo.ENDED])),
                    403, "missing.any.permissions")
    assert APPLY in err["message"]
    assert holder.post_recordings_deletionprotection(_query(sdk, [demo.ENDED])) == []
    apply_only.put_recordings_deletionprotection(protect=True, body=_query(sdk, [demo.ENDED]))
    err = api_error(lambda: apply_only.put_recordings_deletionprotection(protect=False, body=_query(sdk, [demo.ENDED])),
                    403, "missing.any.permissions")
    assert REVOKE in err["message"]
    assert [r.id for r in holder.post_recordings_deletionprotection(_query(sdk, [demo.ENDED]))] == [demo.ENDED]
    revoke_only.put_recordings_deletionprotection(protect=False, body=_query(sdk, [demo.ENDED]))
    assert holder.post_recordings_deletionprotection(_query(sdk, [demo.ENDED])) == []


def test_more_than_100_ids_is_400(sdk, holder, demo):
    ids = [demo.ENDED] + [f"c0a80001-0000-4000-8000-{i:012d}" for i in range(100, 200)]
    err = api_error(lambda: holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, ids)),
                    400, "bad.request")
    assert "at most 100" in err["message"]
    api_error(lambda: holder.post_recordings_deletionprotection(_query(sdk, ids)), 400, "bad.request")
    assert holder.post_recordings_deletionprotection(_query(sdk, [demo.ENDED])) == []  # nothing applied


def test_unknown_and_unrecorded_conversations_are_failed_updates(sb, sdk, holder, demo):
    unknown = "c0a80001-0000-4000-8000-00000000dead"
    bare = sb.control.add_conversation(recording=False, startedSecondsAgo=60)["id"]
    assert not sb.control.conversation(bare)["recordingIds"]
    result = holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, [demo.ENDED, unknown, bare]))
    failed = {f.conversation.id: f.error_code for f in result.failed_updates}
    assert failed == {unknown: "not.found", bare: "recording.not.found"}
    assert [r.id for r in holder.post_recordings_deletionprotection(_query(sdk, [demo.ENDED, unknown, bare]))] \
        == [demo.ENDED]
    sb.control.settings(assumptions={"protectionUnknownConversation": "notFound"})
    api_error(lambda: holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, [unknown])),
              404, "not.found")


def test_org_cap_of_1000(sb, sdk, holder, demo):
    org = sb.control.conversation(demo.ENDED)["org"]
    ids = _recorded_ids(sb, org, 1001)
    for start in range(0, 1000, 100):
        assert holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, ids[start:start + 100])) \
            .failed_updates == []
    err = api_error(lambda: holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, ids[1000:])),
                    400, "bad.request")
    assert "1000" in err["message"] and "(1000 are protected now)" in err["message"]
    assert holder.post_recordings_deletionprotection(_query(sdk, ids[1000:])) == []
    # re-protecting an already protected one does not count twice
    assert holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, ids[:1])).failed_updates == []
    sb.control.settings(assumptions={"protectionCapAnswer": "failedUpdates"})
    result = holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, ids[999:]))
    assert [(f.conversation.id, f.error_code) for f in result.failed_updates] \
        == [(ids[1000], "recording.protection.limit.exceeded")]
    holder.put_recordings_deletionprotection(protect=False, body=_query(sdk, ids[:1]))
    assert holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, ids[1000:])).failed_updates == []


def test_protection_blocks_a_delete_date(sb, sdk, holder, demo):
    rid = holder.get_conversation_recordings(demo.ENDED)[0].id
    holder.put_recordings_deletionprotection(protect=True, body=_query(sdk, [demo.ENDED]))
    body = sdk.Recording()
    body.delete_date = datetime(2031, 1, 1, tzinfo=timezone.utc)
    err = api_error(lambda: holder.put_conversation_recording(demo.ENDED, rid, body), 400, "bad.request")
    assert "protected" in err["message"]
    assert holder.get_conversation_recording(demo.ENDED, rid).delete_date is None
    archive = sdk.Recording()
    archive.archive_date = datetime(2030, 1, 1, tzinfo=timezone.utc)  # other dates still change
    assert holder.put_conversation_recording(demo.ENDED, rid, archive).archive_date is not None
    holder.put_recordings_deletionprotection(protect=False, body=_query(sdk, [demo.ENDED]))
    assert holder.put_conversation_recording(demo.ENDED, rid, body).delete_date is not None
