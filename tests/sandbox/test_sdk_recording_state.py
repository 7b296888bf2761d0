"""Secure pause / resume: PUT …/{media}/{id}/recordingstate (A, B) and PATCH …/{id}/recordingstate
(C), driven through the unmodified SDK."""

from __future__ import annotations

import pytest
from dateutil.parser import isoparse

from .sdk_helpers import api_error, assert_success_headers, calls_of, new_id, recording_state


def _views(sdk, api, cid):
    c = sdk.ConversationsApi(api)
    return c.get_conversation(cid), c.get_conversations_call(cid)


def assert_everywhere(sdk, api, cid, state: str, secure: bool) -> None:
    """One state, every view: Conversation (upper case), CallConversation, each Call and each
    CallMediaParticipant (lower case), with securePause mirrored."""
    conv, call = _views(sdk, api, cid)
    assert conv.recording_state == state.upper()
    assert conv.secure_pause is secure
    assert call.recording_state == state.lower()
    assert call.secure_pause is secure
    calls = calls_of(conv)
    assert len(calls) == len(conv.participants) == 2
    for c in calls:
        assert c.recording_state == state.lower()
        assert c.secure_pause is secure
    for p in call.participants:
        assert p.recording_state == state.lower()
        assert p.secure_pause is secure


# --- A: PUT /conversations/calls/{id}/recordingstate -------------------------------------------


def test_put_pause_returns_bare_string_and_mirrors_everywhere(sb, sdk, supervisor, conversations, demo):
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "ACTIVE", False)
    result = conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED"))
    assert result == "PAUSED"
    assert isinstance(result, str)
    assert_success_headers(supervisor, 200)
    assert supervisor.last_response.data == '"PAUSED"'  # a bare JSON string on the wire
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "PAUSED", True)


def test_put_resume_returns_active(sdk, supervisor, conversations, demo):
    assert_everywhere(sdk, supervisor, demo.PAUSED, "PAUSED", True)
    assert conversations.put_conversations_call_recordingstate(demo.PAUSED, recording_state(sdk, "ACTIVE")) == "ACTIVE"
    assert_everywhere(sdk, supervisor, demo.PAUSED, "ACTIVE", False)


@pytest.mark.parametrize("value", ["paused", "Paused"])
def test_put_accepts_any_case(sdk, supervisor, conversations, demo, value):
    body = recording_state(sdk, value)
    assert body.recording_state == value  # the SDK sends it as given
    assert conversations.put_conversations_call_recordingstate(demo.ACTIVE, body) == "PAUSED"
    assert conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "active")) \
        == "ACTIVE"
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "ACTIVE", False)


def test_put_repeats_are_idempotent(sdk, supervisor, conversations, demo):
    first = conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED"))
    first_status = supervisor.last_response.status
    second = conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED"))
    assert (first, first_status) == (second, supervisor.last_response.status) == ("PAUSED", 200)
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "PAUSED", True)
    # resume twice, too
    for _ in range(2):
        assert conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "ACTIVE")) \
            == "ACTIVE"
        assert supervisor.last_response.status == 200
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "ACTIVE", False)


@pytest.mark.parametrize("value", ["PAUSED", "ACTIVE"])
def test_put_on_unrecorded_conversation_answers_none_and_changes_nothing(sdk, supervisor, conversations, demo,
                                                                         value):
    assert conversations.put_conversations_call_recordingstate(demo.UNRECORDED, recording_state(sdk, value)) \
        == "NONE"
    assert_everywhere(sdk, supervisor, demo.UNRECORDED, "NONE", False)


def test_writing_none_is_invalid_value(sdk, supervisor, conversations, demo):
    body = api_error(lambda: conversations.put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "NONE")), 400, "invalid.value")
    assert "NONE" in body["message"]
    api_error(lambda: conversations.patch_conversation_recordingstate(
        demo.ACTIVE, recording_state(sdk, "NONE")), 400, "invalid.value")
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "ACTIVE", False)


def test_unknown_value_becomes_outdated_sdk_version_and_is_invalid_value(sdk, supervisor, conversations, demo):
    body = recording_state(sdk, "STOPPED")
    assert body.recording_state == "outdated_sdk_version"  # the SDK's enum policy
    err = api_error(lambda: conversations.put_conversations_call_recordingstate(demo.ACTIVE, body),
                    400, "invalid.value")
    assert "outdated_sdk_version" in err["message"]
    assert err["messageParams"]["value"] == "outdated_sdk_version"
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "ACTIVE", False)


def test_put_on_disconnected_conversation(sdk, conversations, demo):
    body = api_error(lambda: conversations.put_conversations_call_recordingstate(
        demo.ENDED, recording_state(sdk, "PAUSED")), 400, "conversation.error.call.disconnected")
    assert body["message"] == "The call is already disconnected."


def test_put_after_the_call_was_disconnected_through_the_control_plane(sb, sdk, conversations, demo):
    sb.control.disconnect(demo.ACTIVE)
    api_error(lambda: conversations.put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")), 400, "conversation.error.call.disconnected")
    api_error(lambda: conversations.patch_conversation_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")), 400, "conversation.error.call.disconnected")
    # reads keep working
    assert conversations.get_conversation(demo.ACTIVE).end_time is not None


def test_put_on_unknown_conversation(sdk, conversations):
    body = api_error(lambda: conversations.put_conversations_call_recordingstate(
        new_id(), recording_state(sdk, "PAUSED")), 404, "conversation.error.conversation.not.found")
    assert body["message"] == "The conversation does not exist."


def test_put_without_pause_others_is_missing_any_permissions(sb, sdk, login, supervisor, demo):
    readonly = sdk.ConversationsApi(login(*demo.READONLY))
    body = api_error(lambda: readonly.put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")), 403, "missing.any.permissions")
    assert "conversation:recording:pauseOthers" in body["message"]
    assert body["message"].startswith("Unable to perform the requested action. You must have at least one of "
                                      "the following permissions assigned:")
    assert "conversation:recording:pauseOthers" in " ".join(body["messageParams"].values())
    assert "messageWithParams" in body
    api_error(lambda: readonly.patch_conversation_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")), 403, "missing.any.permissions")
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "ACTIVE", False)


def test_permission_is_checked_live_on_existing_tokens(sb, sdk, login, demo):
    conversations = sdk.ConversationsApi(login(*demo.READONLY))
    api_error(lambda: conversations.put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")), 403, "missing.any.permissions")
    sb.control.call("PATCH", f"clients/{demo.READONLY[0]}",
                    {"permissions": ["conversation:communication:view", "conversation:recording:pauseOthers"]})
    assert conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED")) \
        == "PAUSED"


# --- B: the other media routes ---------------------------------------------------------------


def test_email_route_pauses_an_email_conversation(sdk, supervisor, conversations, demo):
    assert conversations.put_conversations_email_recordingstate(demo.EMAIL, recording_state(sdk, "PAUSED")) \
        == "PAUSED"
    assert_success_headers(supervisor, 200)
    conv = conversations.get_conversation(demo.EMAIL)
    assert conv.recording_state == "PAUSED" and conv.secure_pause is True
    assert conversations.put_conversations_email_recordingstate(demo.EMAIL, recording_state(sdk, "ACTIVE")) \
        == "ACTIVE"
    assert conversations.get_conversation(demo.EMAIL).secure_pause is False


def test_call_conversation_through_the_email_route_is_404(sdk, supervisor, conversations, demo):
    api_error(lambda: conversations.put_conversations_email_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")), 404, "not.found")
    api_error(lambda: conversations.put_conversations_callback_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")), 404, "not.found")
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "ACTIVE", False)


def test_email_conversation_through_the_calls_route_is_404(sdk, conversations, demo):
    api_error(lambda: conversations.put_conversations_call_recordingstate(
        demo.EMAIL, recording_state(sdk, "PAUSED")), 404, "conversation.error.conversation.not.found")
    api_error(lambda: conversations.get_conversations_call(demo.EMAIL), 404,
              "conversation.error.conversation.not.found")


def test_other_media_routes_answer_not_found_for_unknown_ids(sdk, conversations):
    for put in (conversations.put_conversations_message_recordingstate,
                conversations.put_conversations_video_recordingstate,
                conversations.put_conversations_social_recordingstate):
        api_error(lambda put=put: put(new_id(), recording_state(sdk, "PAUSED")), 404, "not.found")


# --- C: PATCH /conversations/{id}/recordingstate -----------------------------------------------


def test_patch_pauses_and_resumes_with_202_and_no_body(sdk, supervisor, conversations, demo):
    assert conversations.patch_conversation_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED")) is None
    assert_success_headers(supervisor, 202)
    assert supervisor.last_response.data == ""
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "PAUSED", True)
    assert conversations.patch_conversation_recordingstate(demo.ACTIVE, recording_state(sdk, "active")) is None
    assert supervisor.last_response.status == 202
    assert_everywhere(sdk, supervisor, demo.ACTIVE, "ACTIVE", False)


def test_patch_repeats_and_none_conversation_are_202(sdk, supervisor, conversations, demo):
    for _ in range(2):
        assert conversations.patch_conversation_recordingstate(demo.PAUSED, recording_state(sdk, "PAUSED")) is None
        assert supervisor.last_response.status == 202
    assert_everywhere(sdk, supervisor, demo.PAUSED, "PAUSED", True)
    assert conversations.patch_conversation_recordingstate(demo.UNRECORDED, recording_state(sdk, "PAUSED")) is None
    assert supervisor.last_response.status == 202
    assert_everywhere(sdk, supervisor, demo.UNRECORDED, "NONE", False)


def test_patch_works_for_email_media(sdk, supervisor, conversations, demo):
    conversations.patch_conversation_recordingstate(demo.EMAIL, recording_state(sdk, "PAUSED"))
    assert supervisor.last_response.status == 202
    assert conversations.get_conversation(demo.EMAIL).recording_state == "PAUSED"


def test_patch_on_unknown_and_disconnected_conversations(sdk, conversations, demo):
    api_error(lambda: conversations.patch_conversation_recordingstate(
        new_id(), recording_state(sdk, "PAUSED")), 404, "not.found")
    api_error(lambda: conversations.patch_conversation_recordingstate(
        demo.ENDED, recording_state(sdk, "PAUSED")), 400, "conversation.error.call.disconnected")


def test_client_without_any_permission_gets_403_before_404(sdk, login, demo):
    nothing = sdk.ConversationsApi(login(*demo.NOTHING))
    body = api_error(lambda: nothing.patch_conversation_recordingstate(
        new_id(), recording_state(sdk, "PAUSED")), 403, "missing.any.permissions")
    assert "conversation:recording:pauseOthers" in body["message"]


# --- hold suppression and annotations --------------------------------------------------------


def test_hold_suppression_reads_paused_without_secure_pause(sdk, supervisor, conversations, demo):
    assert_everywhere(sdk, supervisor, demo.HELD, "PAUSED", False)
    held = [p for p in conversations.get_conversations_call(demo.HELD).participants if p.held]
    assert [p.id for p in held] == [demo.HELD_CUSTOMER]
    # a real secure pause on top of the hold sets securePause
    assert conversations.put_conversations_call_recordingstate(demo.HELD, recording_state(sdk, "PAUSED")) \
        == "PAUSED"
    assert_everywhere(sdk, supervisor, demo.HELD, "PAUSED", True)
    # resuming the secure pause leaves the hold suppression in place
    assert conversations.put_conversations_call_recordingstate(demo.HELD, recording_state(sdk, "ACTIVE")) \
        == "PAUSED"
    assert_everywhere(sdk, supervisor, demo.HELD, "PAUSED", False)


def test_taking_the_call_off_hold_reads_active(sb, sdk, supervisor, demo):
    sb.control.hold(demo.HELD, demo.HELD_CUSTOMER, held=False)
    assert_everywhere(sdk, supervisor, demo.HELD, "ACTIVE", False)


def test_secure_pause_annotation_on_recordings_after_the_call_ends(sb, sdk, supervisor, conversations, demo):
    recordings = sdk.RecordingApi(supervisor)
    conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED"))
    sb.control.advance_clock(30)
    conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "ACTIVE"))
    sb.control.advance_clock(10)
    sb.control.disconnect(demo.ACTIVE)
    sb.control.advance_clock(60)  # past the transcoding delay
    listed = recordings.get_conversation_recordings(demo.ACTIVE)
    assert supervisor.last_response.status == 200
    assert len(listed) == 1
    rec = listed[0]
    assert rec.file_state == "AVAILABLE"
    pauses = [a for a in rec.annotations if a.reason == "SecurePause"]
    assert len(pauses) == 1
    note = pauses[0]
    assert 30000 <= note.duration_ms < 31000
    assert note.location >= 240000  # the call had been going for four minutes
    # the paused 30 s are cut out of the media; realtimeLocation still counts them
    wall = round((isoparse(rec.end_time) - isoparse(rec.start_time)).total_seconds() * 1000)
    assert note.realtime_location + note.duration_ms <= wall + 1  # the wire's times are whole ms
    assert abs(rec.output_duration_ms - (wall - note.duration_ms)) <= 2
    # the metadata view carries no system annotations
    meta = recordings.get_conversation_recordingmetadata_recording_id(demo.ACTIVE, rec.id)
    assert meta.annotations == []


def test_no_annotation_without_a_pause(sb, sdk, supervisor, demo):
    sb.control.disconnect(demo.ACTIVE)
    sb.control.advance_clock(60)
    listed = sdk.RecordingApi(supervisor).get_conversation_recordings(demo.ACTIVE)
    assert [a.reason for a in listed[0].annotations] == []


def test_paused_conversation_that_ends_keeps_its_open_pause(sb, sdk, supervisor, demo):
    sb.control.disconnect(demo.PAUSED)
    sb.control.advance_clock(60)
    rec = sdk.RecordingApi(supervisor).get_conversation_recordings(demo.PAUSED)[0]
    pauses = [a for a in rec.annotations if a.reason == "SecurePause"]
    assert len(pauses) == 1
    # the demo conversation was paused from its start and the pause closed when it ended
    assert pauses[0].location == 0
    wall = round((isoparse(rec.end_time) - isoparse(rec.start_time)).total_seconds() * 1000)
    assert abs(pauses[0].duration_ms - wall) <= 1  # the wire's times are whole ms
    assert rec.output_duration_ms == 0  # all of it paused: nothing left in the media


def test_none_conversation_rejected_when_so_assumed(sb, sdk, supervisor, conversations, demo):
    sb.control.settings(assumptions={"recordingStateWriteWhenNone": "reject"})
    api_error(lambda: conversations.put_conversations_call_recordingstate(
        demo.UNRECORDED, recording_state(sdk, "PAUSED")), 400, "bad.request")
    api_error(lambda: conversations.patch_conversation_recordingstate(
        demo.UNRECORDED, recording_state(sdk, "PAUSED")), 400, "bad.request")
    # recorded conversations are unaffected
    assert conversations.put_conversations_call_recordingstate(demo.ACTIVE, recording_state(sdk, "PAUSED")) \
        == "PAUSED"
