"""Retention in bulk through ``rc.set_retention`` against the real sandbox: every recording of the
conversations (or given recordings) gets the dates, a date is cleared with an explicit JSON null,
a dry run shows before -> after and sends nothing, a conversation under legal hold is refused per
recording, and each PUT is journaled (intent, then outcome)."""

from __future__ import annotations

import json

import pytest

from recops import ConfirmationRequired
from recops.genesys.errors import ConfigError

from ..conftest import Demo
from .helpers import clear_log, lifecycle_session, sent

ARCHIVE = "2031-01-01T00:00:00.000Z"
DELETE = "2032-06-30T12:00:00.000Z"


@pytest.fixture
def rc(sb, tmp_path):
    return lifecycle_session(sb, tmp_path / "journal.sqlite")


def _metadata(rc, cid):
    return {m.id: m for m in rc.client.recording_api.get_conversation_recordingmetadata(cid)}


def test_set_then_clear_with_null(sb, rc):
    rec_ids = sorted(_metadata(rc, Demo.ENDED))
    assert rec_ids
    clear_log(sb)
    result = rc.set_retention([Demo.ENDED, Demo.EMAIL], archive_date=ARCHIVE, delete_date=DELETE)
    assert set(result.frame["result"]) == {"changed"}
    assert {r["recording_id"] for r in result.rows if r["conversation_id"] == Demo.ENDED} == set(rec_ids)
    puts = sent(sb, "PUT", "/api/v2/conversations/")
    assert len(puts) == len(result.rows)
    for m in _metadata(rc, Demo.ENDED).values():
        assert m.archive_date.isoformat().startswith("2031-01-01")
        assert m.delete_date.isoformat().startswith("2032-06-30")
    row = result.rows[0]
    assert (row["archive_after"], row["delete_after"]) == (ARCHIVE, DELETE)

    clear_log(sb)
    cleared = rc.set_retention([Demo.ENDED], clear=("deleteDate",))
    assert set(cleared.frame["result"]) == {"changed"}
    assert all(r["delete_before"] == DELETE and r["delete_after"] is None and r["archive_after"] == ARCHIVE
               for r in cleared.rows)
    for m in _metadata(rc, Demo.ENDED).values():
        assert m.delete_date is None and m.archive_date is not None
    assert len(sent(sb, "PUT", "/api/v2/conversations/")) == len(cleared.rows)  # the null reached the sandbox

    # the same again: nothing to change, nothing sent
    clear_log(sb)
    again = rc.set_retention([Demo.ENDED], clear=("deleteDate",))
    assert set(again.frame["result"]) == {"unchanged"} and sent(sb, "PUT", "/api") == []

    journal = rc.lifecycle_journal.changes(kind="retention")
    assert len(journal) == len(result.rows) + len(cleared.rows)
    assert {r["status"] for r in journal} == {"applied"}
    assert all(r["endpoint"].startswith("PUT /api/v2/conversations/") and r["recording_id"] for r in journal)
    assert json.loads(journal[-1]["request"]) == {"deleteDate": None}


def test_dry_run_shows_before_and_after_and_sends_nothing(sb, rc):
    clear_log(sb)
    result = rc.set_retention([Demo.ENDED], delete_date=DELETE, dry_run=True)
    assert set(result.frame["result"]) == {"dry run"}
    assert all(r["delete_before"] is None and r["delete_after"] == DELETE for r in result.rows)
    assert sent(sb, "PUT", "/api") == [] and rc.lifecycle_journal.changes() == []


def test_protected_conversation_is_refused_per_recording(sb, rc):
    rc.protect([Demo.ENDED])
    clear_log(sb)
    result = rc.set_retention([Demo.ENDED, Demo.EMAIL], delete_date=DELETE)
    rows = result.rows
    assert {r["result"] for r in rows if r["conversation_id"] == Demo.ENDED} == {"refused"}
    assert all("legal hold" in r["message"] for r in rows if r["conversation_id"] == Demo.ENDED)
    assert {r["result"] for r in rows if r["conversation_id"] == Demo.EMAIL} == {"changed"}
    assert not [r for r in sent(sb, "PUT", "/api") if Demo.ENDED in r["path"]]
    refused = [r for r in rc.lifecycle_journal.changes(kind="retention") if r["status"] == "refused"]
    assert {r["conversation_id"] for r in refused} == {Demo.ENDED}
    # clearing the delete date of a protected conversation is allowed
    assert set(rc.set_retention([Demo.ENDED], archive_date=ARCHIVE).frame["result"]) == {"changed"}


def test_given_recordings_only_and_bad_input(sb, rc):
    import pandas as pd

    rec_ids = sorted(_metadata(rc, Demo.ENDED))
    frame = pd.DataFrame({"conversation_id": [Demo.ENDED], "recording_id": [rec_ids[0]]})
    result = rc.set_retention(frame, archive_date=ARCHIVE)
    assert [(r["recording_id"], r["result"]) for r in result.rows] == [(rec_ids[0], "changed")]
    with pytest.raises(ConfigError, match="nothing to change"):
        rc.set_retention([Demo.ENDED])
    with pytest.raises(ConfigError, match="both given and cleared"):
        rc.set_retention([Demo.ENDED], delete_date=DELETE, clear=("deleteDate",))
    with pytest.raises(ConfigError, match="not an ISO-8601 date"):
        rc.set_retention([Demo.ENDED], delete_date="next tuesday")


def test_real_org_refuses_without_confirm(tmp_path):
    import recops

    rc = recops.connect(client_id="id", client_secret="secret", region="eu-west-1",
                        journal=tmp_path / "journal.sqlite")
    with pytest.raises(ConfirmationRequired):
        rc.set_retention([Demo.ENDED], delete_date=DELETE)


def test_changes_left_in_doubt_are_settled_by_reading(sb, rc, sdk):
    """A process that died between a PUT and its answer leaves ``intent`` rows: reconcile reads the
    protection (the POST check) and the recordings' dates, and settles each."""
    rc.client.api_client  # noqa: B018 - the target's description once connected (as the journal names it)
    journal, target, who = rc.lifecycle_journal, rc.target, rc.client.principal
    [protected, not_protected] = journal.intents([{"conversation_id": Demo.ENDED}, {"conversation_id": Demo.EMAIL}],
                                                 target=target, principal=who, kind="protect")
    query = sdk.ConversationDeletionProtectionQuery()
    query.conversation_ids = [Demo.ENDED]
    rc.client.recording_api.put_recordings_deletionprotection(protect=True, body=query)  # it reached Genesys
    rid = next(iter(_metadata(rc, Demo.EMAIL)))
    [dated] = journal.intents([{"conversation_id": Demo.EMAIL, "recording_id": rid,
                                "request": {"deleteDate": DELETE}}], target=target, principal=who, kind="retention")
    body = sdk.Recording()
    body.delete_date = DELETE
    rc.client.recording_api.put_conversation_recording(Demo.EMAIL, rid, body)
    assert set(rc.reconcile_lifecycle_changes()["status"]) == {"intent"}  # too young: may be in flight
    frame = rc.reconcile_lifecycle_changes(settle_after=0)
    assert dict(zip(frame["id"], frame["status"], strict=True)) == {
        protected: "resolved-applied", not_protected: "resolved-not-applied", dated: "resolved-applied"}
    assert {r["status"] for r in journal.changes()} == {"resolved-applied", "resolved-not-applied"}
    assert rc.reconcile_lifecycle_changes(settle_after=0).empty
