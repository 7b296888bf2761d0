"""Pause annotations on recordings, after real pause/resume calls through the unmodified SDK
(PUT …/calls/{id}/recordingstate) with the sandbox clock advanced between them."""

from __future__ import annotations

from dateutil.parser import isoparse

from .sdk_helpers import Raw, recording_state

TRANSCODED = 60  # seconds past the end: well over the transcoding delay


def _call(sb, **spec) -> tuple[str, str]:
    """A fresh recorded call that started 10 s ago; returns (conversation id, customer id)."""
    conv = sb.control.add_conversation(recording=True, startedSecondsAgo=10, **spec)
    customer = next(p["id"] for p in conv["participants"] if p["purpose"] == "customer")
    return conv["id"], customer


def _set(sdk, conversations, cid: str, value: str) -> None:
    assert conversations.put_conversations_call_recordingstate(cid, recording_state(sdk, value)) in (value, "PAUSED")


def _s(ms: int) -> int:
    """Milliseconds to whole seconds (the real clock also ticks a few ms between calls)."""
    return round(ms / 1000)


def _wall_s(rec) -> int:
    return round((isoparse(rec.end_time) - isoparse(rec.start_time)).total_seconds())


def _reasons(rec) -> list[str]:
    return [a.reason for a in rec.annotations]


def _two_pauses(sb, sdk, conversations) -> str:
    """Paused at 30 s for 45 s, again at 135 s for 30 s, ended at 180 s, transcoded."""
    cid, _ = _call(sb)
    sb.control.advance_clock(20)
    _set(sdk, conversations, cid, "PAUSED")
    sb.control.advance_clock(45)
    _set(sdk, conversations, cid, "ACTIVE")
    sb.control.advance_clock(60)
    _set(sdk, conversations, cid, "PAUSED")
    sb.control.advance_clock(30)
    _set(sdk, conversations, cid, "ACTIVE")
    sb.control.advance_clock(15)
    sb.control.disconnect(cid)
    sb.control.advance_clock(TRANSCODED)
    return cid


def test_two_secure_pauses_match_the_calls_to_the_second(sb, sdk, supervisor, conversations, recordings):
    cid = _two_pauses(sb, sdk, conversations)
    [rec] = recordings.get_conversation_recordings(cid)
    assert rec.file_state == "AVAILABLE" and _wall_s(rec) == 180
    first, second = rec.annotations
    assert _reasons(rec) == ["SecurePause", "SecurePause"]
    assert [_s(a.realtime_location) for a in rec.annotations] == [30, 135]
    assert [_s(a.duration_ms) for a in rec.annotations] == [45, 30]
    assert [_s(a.absolute_duration_ms) for a in rec.annotations] == [45, 30]
    # absoluteLocation = realtimeLocation - the paused time before it
    assert [_s(a.absolute_location) for a in rec.annotations] == [30, 90]
    assert second.absolute_location == second.realtime_location - first.duration_ms
    # location is realtimeLocation (annotationLocation assumption, default)
    assert [a.location for a in rec.annotations] == [a.realtime_location for a in rec.annotations]
    # one shared id for every pause annotation of the recording, stable across reads
    assert first.id == second.id
    again = recordings.get_conversation_recording(cid, rec.id)
    assert {a.id for a in again.annotations} == {first.id}
    assert again.annotations[1].realtime_location == second.realtime_location
    # the paused 75 s are cut out of the media
    assert _s(rec.output_duration_ms) == 105
    assert rec.output_size_in_bytes == 44 + rec.output_duration_ms * 8
    uri = next(iter(rec.media_uris.values())).media_uri
    wav = Raw(sb.url).http.request("GET", uri)
    assert wav.status == 200 and len(wav.data) == rec.output_size_in_bytes


def test_metadata_has_no_pause_annotations_unless_assumed(sb, sdk, conversations, recordings):
    cid = _two_pauses(sb, sdk, conversations)
    [meta] = recordings.get_conversation_recordingmetadata(cid)
    assert meta.annotations == []
    assert recordings.get_conversation_recordingmetadata_recording_id(cid, meta.id).annotations == []
    sb.control.settings(assumptions={"metadataSystemAnnotations": "included"})
    [meta] = recordings.get_conversation_recordingmetadata(cid)
    assert [_s(a.realtime_location) for a in meta.annotations] == [30, 135]


def test_switched_assumptions_location_and_kept_media(sb, sdk, conversations, recordings):
    cid = _two_pauses(sb, sdk, conversations)
    sb.control.settings(assumptions={"annotationLocation": "absolute", "pausedMediaRemoved": "kept"})
    [rec] = recordings.get_conversation_recordings(cid)
    assert [_s(a.location) for a in rec.annotations] == [30, 90]
    assert [a.location for a in rec.annotations] == [a.absolute_location for a in rec.annotations]
    assert _s(rec.output_duration_ms) == 180


def test_pause_still_open_at_the_end_closes_with_the_recording(sb, sdk, conversations, recordings):
    cid, _ = _call(sb)
    sb.control.advance_clock(50)
    _set(sdk, conversations, cid, "PAUSED")
    sb.control.advance_clock(40)
    sb.control.disconnect(cid)  # never resumed
    sb.control.advance_clock(TRANSCODED)
    [rec] = recordings.get_conversation_recordings(cid)
    [note] = rec.annotations
    assert note.reason == "SecurePause"
    assert (_s(note.realtime_location), _s(note.duration_ms)) == (60, 40)
    assert _s(note.realtime_location + note.duration_ms) == _wall_s(rec) == 100
    assert _s(rec.output_duration_ms) == 60


def test_hold_with_suppression_is_a_hold_annotation_with_a_new_id_each_read(sb, sdk, conversations, recordings):
    cid, customer = _call(sb, holdSuppression=True)
    sb.control.advance_clock(20)
    sb.control.hold(cid, customer, held=True)
    sb.control.advance_clock(25)
    sb.control.hold(cid, customer, held=False)
    sb.control.advance_clock(15)
    _set(sdk, conversations, cid, "PAUSED")
    sb.control.advance_clock(35)
    _set(sdk, conversations, cid, "ACTIVE")
    sb.control.advance_clock(5)
    sb.control.disconnect(cid)
    sb.control.advance_clock(TRANSCODED)
    [rec] = recordings.get_conversation_recordings(cid)
    assert _reasons(rec) == ["Hold", "SecurePause"]
    hold, pause = rec.annotations
    assert (_s(hold.realtime_location), _s(hold.duration_ms)) == (30, 25)
    assert (_s(pause.realtime_location), _s(pause.absolute_location), _s(pause.duration_ms)) == (70, 45, 35)
    assert _s(rec.output_duration_ms) == 110 - 25 - 35
    again = recordings.get_conversation_recording(cid, rec.id)
    hold2, pause2 = again.annotations
    assert hold2.id != hold.id and hold2.id != pause.id  # a fresh random id on every read
    assert pause2.id == pause.id
    assert (hold2.realtime_location, hold2.duration_ms) == (hold.realtime_location, hold.duration_ms)


def test_hold_without_suppression_leaves_no_annotation(sb, recordings):
    cid, customer = _call(sb)  # holdSuppression false: the recorder keeps running
    sb.control.advance_clock(20)
    sb.control.hold(cid, customer, held=True)
    sb.control.advance_clock(25)
    sb.control.hold(cid, customer, held=False)
    sb.control.disconnect(cid)
    sb.control.advance_clock(TRANSCODED)
    [rec] = recordings.get_conversation_recordings(cid)
    assert rec.annotations == []
    assert _s(rec.output_duration_ms) == _wall_s(rec) == 55


def test_no_pause_no_annotation(sb, recordings):
    cid, _ = _call(sb)
    sb.control.advance_clock(30)
    sb.control.disconnect(cid)
    sb.control.advance_clock(TRANSCODED)
    [rec] = recordings.get_conversation_recordings(cid)
    assert rec.annotations == [] and _s(rec.output_duration_ms) == 40


# --- seeded history ------------------------------------------------------------------------------


def _seeded(sb, sdk, login, org: str, **spec):
    sb.control.seed(count=40, seed=21, org=org, recordedRatio=1.0, adhocRatio=0.0, **spec)
    client = sb.control.add_client(["recording:recording:view"], org=org)
    api = sdk.RecordingApi(login(client["clientId"], client["clientSecret"]))
    ids = [c["id"] for c in sb.control.conversations(org=org)]
    return {cid: api.get_conversation_recordings(cid)[0] for cid in ids}


def test_seeded_pauses_follow_the_rules(sb, sdk, login):
    recs = _seeded(sb, sdk, login, "seed-pauses", securePauseRatio=0.6, holdRatio=0.6, holdSuppressionRatio=1.0,
                   unresumedPauseRatio=0.3)
    unresumed = resumed = holds = 0
    for rec in recs.values():
        wall = (isoparse(rec.end_time) - isoparse(rec.start_time)).total_seconds() * 1000
        pauses = [a for a in rec.annotations if a.reason == "SecurePause"]
        assert len({a.id for a in pauses}) <= 1
        paused = 0
        for a in sorted(rec.annotations, key=lambda a: a.realtime_location):
            assert a.absolute_location == a.realtime_location - paused
            paused += a.duration_ms
            if a.reason == "Hold":
                holds += 1
            elif abs(a.realtime_location + a.duration_ms - wall) <= 1:
                unresumed += 1
                assert 4_000 <= a.duration_ms <= 120_001
            else:
                resumed += 1
                assert 20_000 <= a.duration_ms <= 120_001  # a card payment
        assert abs(rec.output_duration_ms - (wall - paused)) <= 2
    assert unresumed and resumed and holds
    assert any(not r.annotations for r in recs.values())


def test_seeded_holds_without_suppression_pause_nothing(sb, sdk, login):
    recs = _seeded(sb, sdk, login, "seed-holds", securePauseRatio=0.0, holdRatio=1.0, holdSuppressionRatio=0.0)
    assert all(rec.annotations == [] for rec in recs.values())
    recs = _seeded(sb, sdk, login, "seed-holds-2", securePauseRatio=0.0, holdRatio=1.0, holdSuppressionRatio=1.0)
    assert sum(_reasons(r) == ["Hold"] for r in recs.values()) >= 30  # a few calls are too short


def test_seeded_pauses_are_deterministic(sb, sdk, login):
    def plan(org):
        recs = _seeded(sb, sdk, login, org, securePauseRatio=0.5)
        return sorted((cid, a.reason, a.realtime_location, a.duration_ms) for cid, r in recs.items()
                      for a in r.annotations)

    first = plan("seed-a")
    assert first and plan("seed-b") == first


def test_screen_recordings_carry_secure_pauses_only_when_asked(sb, sdk, conversations, recordings):
    conv = sb.control.add_conversation(recording=True, startedSecondsAgo=10, mediaType="screenshare")
    cid = conv["id"]
    sb.control.advance_clock(20)
    conversations.patch_conversation_recordingstate(cid, recording_state(sdk, "PAUSED"))  # 202, no body
    sb.control.advance_clock(30)
    conversations.patch_conversation_recordingstate(cid, recording_state(sdk, "ACTIVE"))
    sb.control.disconnect(cid)
    sb.control.advance_clock(TRANSCODED)
    [rec] = recordings.get_conversation_recordings(cid)
    assert rec.media == "screen" and rec.annotations == []
    [rec] = recordings.get_conversation_recordings(cid, include_pause_annotations_for_screen_recordings=True)
    assert _reasons(rec) == ["SecurePause"]
    assert (_s(rec.annotations[0].realtime_location), _s(rec.annotations[0].duration_ms)) == (30, 30)
