"""Orphan recordings through the unmodified SDK (issue 19): list (paging, the 500 cap without
hasConversation=true, filters), get, media (202 while transcoding, then 200 with a media URI the
sandbox serves), PUT (the 2018 errors verbatim; the orphan becomes the conversation's recording),
DELETE (returns the orphan), 404 after either, and the permission of each operation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import urllib3

from .sdk_helpers import api_error

ORPHANED = "0a7f0000-0000-4000-8000-000000000001"  # the demo's: the recording of conversation ...011
NO_CONV = "0a7f0000-0000-4000-8000-000000000002"
UNKNOWN_CONV = "0a7f0000-0000-4000-8000-000000000003"
ORPHANED_CONV = "c0a80001-0000-4000-8000-000000000011"
VIEW, EDIT, DELETE = "recording:orphan:view", "recording:orphan:edit", "recording:orphan:delete"


@pytest.fixture
def orphans(sdk, login, demo):
    """A RecordingApi with recording:*:* (every orphan permission)."""
    return sdk.RecordingApi(login(*demo.INTEGRATION))


def _api_with(sb, sdk, login, permissions):
    client = sb.control.add_client(permissions)
    return sdk.RecordingApi(login(client["clientId"], client["clientSecret"]))


def _update(sdk, **fields):
    body = sdk.OrphanUpdateRequest()
    for key, value in fields.items():
        setattr(body, key, value)
    return body


def _all(api, **kwargs):
    out, number = [], 1
    while True:
        page = api.get_orphanrecordings(page_number=number, page_size=100, **kwargs)
        out += page.entities
        if not page.next_uri:
            return out, page
        number += 1


def test_the_demo_orphans_list_get_and_model(sdk, orphans):
    listing = orphans.get_orphanrecordings()
    assert isinstance(listing, sdk.OrphanRecordingListing)
    assert listing.total == 3 and listing.page_size == 25 and listing.page_number == 1 and listing.page_count == 1
    by_id = {o.id: o for o in listing.entities}
    assert set(by_id) == {ORPHANED, NO_CONV, UNKNOWN_CONV}
    assert [o.id for o in listing.entities] == [NO_CONV, UNKNOWN_CONV, ORPHANED]  # oldest first
    one = orphans.get_orphanrecording(ORPHANED)
    assert isinstance(one, sdk.OrphanRecording)
    assert one.orphan_status == "CONVERSATION_NOT_COMPLETE" and one.media_type == "CALL"
    assert one.recording.conversation_id == ORPHANED_CONV and one.file_state == "AVAILABLE"
    assert by_id[NO_CONV].orphan_status == "NO_CONVERSATION" and by_id[NO_CONV].recording.conversation_id is None
    # hasConversation=true: only the orphan whose conversation the org knows
    assert [o.id for o in orphans.get_orphanrecordings(has_conversation=True).entities] == [ORPHANED]
    assert orphans.get_orphanrecordings(media="Screen").total == 0
    api_error(lambda: orphans.get_orphanrecordings(media="Video"), 400, "invalid.value")
    api_error(lambda: orphans.get_orphanrecordings(page_size=101), 400, "invalid.value")
    api_error(lambda: orphans.get_orphanrecording("0a7f0000-0000-4000-8000-0000000000ee"), 404, "not.found")
    # the conversation it names has lost its recording to it
    conversation_recordings = sdk.RecordingApi(orphans.api_client).get_conversation_recordings(ORPHANED_CONV)
    assert conversation_recordings == []


def test_the_list_is_capped_at_500_without_has_conversation(sb, sdk, orphans):
    sb.control.seed(generated=True, count=20_000, seed=3, orphanedRatio=0.05, strayOrphanRatio=0.01)
    everything, last = _all(orphans)
    assert len(everything) == 500 and last.total == 500 and last.page_count == 5
    known, page = _all(orphans, has_conversation=True)
    assert len(known) > 500 and page.total == len(known)
    assert all(o.orphan_status == "CONVERSATION_NOT_COMPLETE" for o in known)
    assert len({o.id for o in known}) == len(known)
    # nextPage carries on where pageNumber would
    first = orphans.get_orphanrecordings(page_size=100, has_conversation=True)
    token = first.next_uri.split("nextPage=")[1]
    assert [o.id for o in orphans.get_orphanrecordings(page_size=100, has_conversation=True,
                                                      next_page=token).entities] == [o.id for o in known[100:200]]


def test_media_is_202_while_transcoding_then_200_with_a_served_uri(sb, sdk, orphans):
    media = orphans.get_orphanrecording_media(ORPHANED)
    assert orphans.api_client.last_response.status == 202
    assert media.file_state == "UPLOADING" and not media.media_uris
    sb.control.advance_clock(6)
    rec = orphans.get_orphanrecording_media(ORPHANED)
    assert orphans.api_client.last_response.status == 200
    assert isinstance(rec, sdk.Recording) and rec.file_state == "AVAILABLE"
    uri = rec.media_uris["S"].media_uri
    r = urllib3.PoolManager().request("GET", uri)
    assert r.status == 200 and r.data[:4] == b"RIFF" and len(r.data) > 44 * 100
    r = urllib3.PoolManager().request("GET", uri.replace("Signature=", "Signature=0"))
    assert r.status == 403


def test_put_turns_the_orphan_into_the_conversation_recording(sdk, orphans, demo):
    rid = orphans.get_orphanrecording(ORPHANED).recording.id
    later = datetime.now(timezone.utc) + timedelta(days=30)
    rec = orphans.put_orphanrecording(ORPHANED, body=_update(sdk, archive_date=later))
    assert isinstance(rec, sdk.Recording) and rec.id == rid and rec.conversation_id == ORPHANED_CONV
    assert rec.archive_date is not None
    listed = orphans.get_conversation_recordings(ORPHANED_CONV)
    assert [r.id for r in listed] == [rid] and listed[0].file_state == "AVAILABLE"
    api_error(lambda: orphans.get_orphanrecording(ORPHANED), 404, "not.found")
    api_error(lambda: orphans.put_orphanrecording(ORPHANED, body=_update(sdk)), 404, "not.found")
    api_error(lambda: orphans.delete_orphanrecording(ORPHANED), 404, "not.found")
    assert ORPHANED not in {o.id for o in orphans.get_orphanrecordings().entities}
    # an orphan naming no conversation joins the one given
    rec = orphans.put_orphanrecording(NO_CONV, body=_update(sdk, conversation_id=demo.ENDED))
    assert rec.conversation_id == demo.ENDED
    assert rec.id in {r.id for r in orphans.get_conversation_recordings(demo.ENDED)}


def test_put_errors_are_the_documented_ones_verbatim(sb, sdk, login, orphans, demo):
    soon = datetime.now(timezone.utc) + timedelta(hours=12)
    later = datetime.now(timezone.utc) + timedelta(days=10)
    for body in (_update(sdk, archive_date=soon), _update(sdk, delete_date=soon),
                 _update(sdk, archive_date=later, delete_date=later - timedelta(days=1)),
                 _update(sdk, export_date=later)):  # exportDate without integrationId
        err = api_error(lambda b=body: orphans.put_orphanrecording(ORPHANED, body=b), 400,
                        "recording.orphan.retention.data.invalid")
        assert err["message"] == "The provided dates in the payload were invalid."
    for orphan_id, body in ((NO_CONV, _update(sdk)), (UNKNOWN_CONV, _update(sdk)),
                            (ORPHANED, _update(sdk, conversation_id="c0a80001-0000-4000-8000-0000000000ee"))):
        err = api_error(lambda o=orphan_id, b=body: orphans.put_orphanrecording(o, body=b), 400,
                        "recording.orphan.unknown.conversation")
        assert err["message"] == "The provided conversation in the payload doesn't exist."
    viewer = _api_with(sb, sdk, login, [VIEW, DELETE])
    err = api_error(lambda: viewer.put_orphanrecording(ORPHANED, body=_update(sdk)), 403,
                    "recording.orphan.edit.permission.check.failed")
    assert err["message"] == "Requesting user lacks permission to perform this api operation."
    assert orphans.get_orphanrecording(ORPHANED).id == ORPHANED  # every refusal left it in place


def test_delete_returns_the_orphan_and_it_is_gone(sdk, orphans):
    gone = orphans.delete_orphanrecording(UNKNOWN_CONV)
    assert isinstance(gone, sdk.OrphanRecording) and gone.id == UNKNOWN_CONV
    assert gone.orphan_status == "UNKNOWN_CONVERSATION"
    api_error(lambda: orphans.get_orphanrecording(UNKNOWN_CONV), 404, "not.found")
    api_error(lambda: orphans.get_orphanrecording_media(UNKNOWN_CONV), 404, "not.found")
    assert orphans.get_orphanrecordings().total == 2


def test_each_operation_needs_its_permission(sb, sdk, login, demo):
    nothing = _api_with(sb, sdk, login, ["recording:recording:view"])
    for call in (lambda: nothing.get_orphanrecordings(), lambda: nothing.get_orphanrecording(ORPHANED),
                 lambda: nothing.get_orphanrecording_media(ORPHANED)):
        err = api_error(call, 403, "missing.any.permissions")
        assert VIEW in err["message"]
    viewer = _api_with(sb, sdk, login, [VIEW])
    err = api_error(lambda: viewer.delete_orphanrecording(ORPHANED), 403, "missing.any.permissions")
    assert DELETE in err["message"]
    api_error(lambda: viewer.put_orphanrecording(ORPHANED, body=_update(sdk)), 403,
              "recording.orphan.edit.permission.check.failed")
    assert viewer.get_orphanrecording(ORPHANED).id == ORPHANED


def test_generated_orphans_attach_without_materialising_the_history(sb, sdk, orphans):
    seeded = sb.control.seed(generated=True, count=5000, seed=11, orphanedRatio=0.02, strayOrphanRatio=0.002)
    known, _ = _all(orphans, has_conversation=True)
    generated = [o for o in known if o.id not in (ORPHANED,)]
    assert 60 <= len(generated) <= 100  # one in 50 conversations, when recorded (80 %)
    target = generated[0]
    cid = target.recording.conversation_id
    assert orphans.get_conversation_recordings(cid) == []
    rec = orphans.put_orphanrecording(target.id, body=_update(sdk))
    assert rec.conversation_id == cid and [r.id for r in orphans.get_conversation_recordings(cid)] == [rec.id]
    api_error(lambda: orphans.get_orphanrecording(target.id), 404, "not.found")
    assert seeded["created"] == 5000
