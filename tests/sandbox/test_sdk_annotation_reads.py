"""Issue 18, items 4, 5 and 9, through the unmodified SDK: a recording's annotations read on their
own routes (``get_conversation_recording_annotations`` / ``…_annotation``, each annotation's
``selfUri``), ``startTime``/``endTime`` only on recordings with playable media, and the
``pauseAnnotationUser`` assumption (on in the demo) with the ledger's "paused by" column."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ..conftest import Demo
from ..core.ops_helpers import connect, iso
from .sdk_helpers import api_error, recording_state

TRANSCODED = 60  # seconds past the end: well over the transcoding delay


def _paused_call(sb, sdk, supervisor, start: datetime | None = None, hold: bool = False) -> tuple[str, dict]:
    """A recorded call: secure-paused 20 s in for 30 s (and, with ``hold``, held 10 s under hold
    suppression), ended, transcoded. Returns (conversation id, its agent participant)."""
    spec = {"startTime": iso(start)} if start else {"startedSecondsAgo": 10}
    conv = sb.control.add_conversation(recording=True, holdSuppression=hold, **spec)
    agent = next(p for p in conv["participants"] if p["purpose"] == "agent")
    calls = sdk.ConversationsApi(supervisor)
    sb.control.advance_clock(20)
    calls.put_conversations_call_recordingstate(conv["id"], recording_state(sdk, "PAUSED"))
    sb.control.advance_clock(30)
    calls.put_conversations_call_recordingstate(conv["id"], recording_state(sdk, "ACTIVE"))
    if hold:
        sb.control.hold(conv["id"], agent["id"], True)
        sb.control.advance_clock(10)
        sb.control.hold(conv["id"], agent["id"], False)
    sb.control.advance_clock(5)
    sb.control.disconnect(conv["id"])
    sb.control.advance_clock(TRANSCODED)
    return conv["id"], agent


# --- item 4: the annotations routes ---------------------------------------------------------------


def test_annotations_are_listed_and_read_one_by_one_on_their_own_routes(sb, sdk, supervisor, recordings):
    cid, _ = _paused_call(sb, sdk, supervisor, hold=True)
    [rec] = recordings.get_conversation_recordings(cid)
    listed = recordings.get_conversation_recording_annotations(cid, rec.id)
    assert [a.reason for a in listed] == [a.reason for a in rec.annotations] == ["SecurePause", "Hold"]
    pause, hold = listed
    assert pause.id == rec.annotations[0].id  # pause annotations keep their shared id
    assert (pause.realtime_location, pause.duration_ms) == (rec.annotations[0].realtime_location,
                                                            rec.annotations[0].duration_ms)
    one = recordings.get_conversation_recording_annotation(cid, rec.id, pause.id)
    assert (one.id, one.reason, one.duration_ms) == (pause.id, "SecurePause", pause.duration_ms)
    # the selfUri of a pause annotation answers; a hold's id is new on every read [documented]
    body = supervisor.call_api(pause.self_uri, "GET", response_type="Annotation", auth_settings=["PureCloud OAuth"])
    assert body.id == pause.id and body.reason == "SecurePause"
    api_error(lambda: recordings.get_conversation_recording_annotation(cid, rec.id, hold.id), 404, "not.found")
    # an unknown recording is a 404 of the entity
    api_error(lambda: recordings.get_conversation_recording_annotations(cid, Demo.ACTIVE), 404, "not.found")


def test_bookmarks_only_assumption_lists_no_pause_annotations(sb, sdk, supervisor, recordings):
    cid, _ = _paused_call(sb, sdk, supervisor)
    [rec] = recordings.get_conversation_recordings(cid)
    sb.control.settings(assumptions={"annotationsEndpointPauses": "bookmarksOnly"})
    assert recordings.get_conversation_recording_annotations(cid, rec.id) == []
    api_error(lambda: recordings.get_conversation_recording_annotation(cid, rec.id, rec.annotations[0].id),
              404, "not.found")


def test_annotations_need_a_recording_view_or_annotation_view_permission(sb, sdk, supervisor, login):
    cid, _ = _paused_call(sb, sdk, supervisor)
    [rec] = sdk.RecordingApi(supervisor).get_conversation_recordings(cid)
    nothing = sdk.RecordingApi(login(*Demo.NOTHING))
    api_error(lambda: nothing.get_conversation_recording_annotations(cid, rec.id), 403, "missing.any.permissions")
    viewer = sb.control.add_client(["recording:annotation:view"])
    listed = sdk.RecordingApi(login(viewer["clientId"], viewer["clientSecret"])) \
        .get_conversation_recording_annotations(cid, rec.id)
    assert [a.reason for a in listed] == ["SecurePause"]


# --- item 5: no times without playable media ------------------------------------------------------


def test_start_and_end_time_only_with_playable_media(sb, sdk, supervisor, recordings):
    cid, _ = _paused_call(sb, sdk, supervisor)
    [rec] = recordings.get_conversation_recordings(cid)
    assert rec.file_state == "AVAILABLE" and rec.start_time and rec.end_time
    for state in ("ARCHIVED", "DELETED"):
        sb.control.set_file_state(cid, rec.id, state)
        [marked] = recordings.get_conversation_recordings(cid)
        one = recordings.get_conversation_recording(cid, rec.id)
        for r in (marked, one):
            assert r.file_state == state
            assert r.start_time is None and r.end_time is None  # "Null when there is no playable media"
            assert r.creation_time is not None
    # a recording still uploading (the call is live): the SDK's 202 body carries no times either
    live = sb.control.add_conversation(recording=True, startedSecondsAgo=10)
    rid = sdk.ConversationsApi(supervisor).get_conversation(live["id"]).participants
    rid = next(c.recording_id for p in rid for c in (p.calls or []) if c.recording_id)
    uploading = recordings.get_conversation_recording(live["id"], rid)
    assert uploading.file_state == "UPLOADING"
    assert uploading.start_time is None and uploading.end_time is None


# --- item 9: who paused ---------------------------------------------------------------------------


def test_the_demo_names_the_agent_on_pause_annotations_and_the_other_setting_names_nobody(
        sb, sdk, supervisor, recordings):
    cid, agent = _paused_call(sb, sdk, supervisor, hold=True)
    [rec] = recordings.get_conversation_recordings(cid)
    assert [a.reason for a in rec.annotations] == ["SecurePause", "Hold"]
    for a in rec.annotations:
        assert a.user is not None and a.user.id == agent["userId"] and a.user.name == agent["name"]
        assert a.user.self_uri == f"/api/v2/users/{agent['userId']}"
    assert sdk.UsersApi(supervisor).get_user(agent["userId"]).name == agent["name"]  # a real user of the org
    sb.control.settings(assumptions={"pauseAnnotationUser": "absent"})
    [rec] = recordings.get_conversation_recordings(cid)
    assert [a.user for a in rec.annotations] == [None, None]


@pytest.mark.parametrize("setting", ["agent", "absent"])
def test_the_ledger_paused_by_column_follows_the_setting(sb, sdk, supervisor, tmp_path, setting):
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    sb.control.settings(assumptions={"pauseAnnotationUser": setting})
    cid, agent = _paused_call(sb, sdk, supervisor, start=start)
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    led = rc.ledger(f"{iso(start - timedelta(minutes=1))}/{iso(start + timedelta(minutes=1))}")
    [row] = led.table[led.table["conversation_id"] == cid].to_dict("records")
    [shown] = [r for r in led.top_rows() if r["conversation"] == cid]
    if setting == "agent":
        assert row["paused_by"] == agent["userId"]
        assert row["paused_by_names"] == agent["name"]
        assert shown["paused by"] == agent["name"]
    else:
        assert row["paused_by"] is None or str(row["paused_by"]) == "<NA>"
        assert "paused by" not in shown  # no empty column, no error


def test_the_demo_history_ledger_shows_who_paused(sb, tmp_path):
    """Read-only on the demo's seeded history: every securely paused row names who paused. The
    history is 500 calls over the 7 days up to now, so a fixed 3-hour window held none at some
    hours of the day (about 9 calls, a few of them paused): the whole of yesterday (about 70) does."""
    day = (datetime.now(timezone.utc) - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    led = rc.ledger(f"{iso(day)}/{iso(day + timedelta(days=1))}")
    paused = led.table[led.table["pause_count"].fillna(0) > 0].to_dict("records")
    assert paused, "the demo history has paused calls yesterday"
    for row in paused:
        assert isinstance(row["paused_by_names"], str) and row["paused_by_names"], row
    assert all(r["paused by"] for r in led.top_rows())
