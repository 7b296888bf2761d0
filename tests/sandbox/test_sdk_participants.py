"""User-context endpoints: the participant's own secure pause (PATCH /conversations/calls/{id}),
ad-hoc recording start/stop (participant PATCHes) and the user's conversation listings."""

from __future__ import annotations

import pytest

from .sdk_helpers import (
    api_error,
    assert_success_headers,
    calls_of,
    new_id,
    participant_by_id,
    participant_request,
)


def _conversation_body(sdk, **fields):
    body = sdk.Conversation()
    for key, value in fields.items():
        setattr(body, key, value)
    return body


def _sent(sdk, body) -> dict:
    return sdk.ApiClient().sanitize_for_serialization(body)


# --- D: PATCH /conversations/calls/{id} --------------------------------------------------------


@pytest.mark.parametrize("value", ["PAUSED", "paused"])
def test_participant_pauses_own_call(sb, sdk, as_user, supervisor, demo, value):
    ava = as_user(demo.AVA)
    body = _conversation_body(sdk, recording_state=value)
    assert _sent(sdk, body) == {"recordingState": value}  # only the field that was set
    conv = sdk.ConversationsApi(ava).patch_conversations_call(demo.ACTIVE, body)
    # 202 "Accepted - when pausing or resuming recordings (Secure Pause)", with the Conversation [2018 spec]
    assert_success_headers(ava, 202)
    assert isinstance(conv, sdk.Conversation)
    assert conv.id == demo.ACTIVE
    assert conv.recording_state == "PAUSED"
    assert conv.secure_pause is True
    assert conv.state is None  # never present on read
    assert {p.id for p in conv.participants} >= {demo.ACTIVE_AGENT, demo.ACTIVE_CUSTOMER}
    assert all(c.secure_pause is True and c.recording_state == "paused" for c in calls_of(conv))
    # a supervisor sees the same state
    seen = sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE)
    assert (seen.recording_state, seen.secure_pause) == ("PAUSED", True)


def test_participant_resumes_and_repeats_are_idempotent(sdk, as_user, demo):
    ben = sdk.ConversationsApi(as_user(demo.BEN))
    for _ in range(2):
        conv = ben.patch_conversations_call(demo.PAUSED, _conversation_body(sdk, recording_state="ACTIVE"))
        assert (conv.recording_state, conv.secure_pause) == ("ACTIVE", False)


def test_client_credentials_get_not_a_user(sdk, login, supervisor, demo):
    integration = sdk.ConversationsApi(login(*demo.INTEGRATION))  # holds every permission
    body = api_error(lambda: integration.patch_conversations_call(
        demo.ACTIVE, _conversation_body(sdk, recording_state="PAUSED")), 400, "not.a.user")
    assert body["message"] == ("This request requires a user context. Client credentials cannot be used for "
                               "requests to this resource.")
    assert sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE).secure_pause is False


def test_non_participant_user_is_forbidden(sdk, as_user, supervisor, demo):
    # Ava holds the agent permissions but is not on the PAUSED conversation (customer + Ben)
    ava = sdk.ConversationsApi(as_user(demo.AVA))
    body = api_error(lambda: ava.patch_conversations_call(
        demo.PAUSED, _conversation_body(sdk, recording_state="ACTIVE")),
        403, "conversation.error.forbidden.not.active.participant")
    assert body["message"] == "User is not active on call and cannot alter recordingState"
    assert sdk.ConversationsApi(supervisor).get_conversation(demo.PAUSED).secure_pause is True


def test_supervisor_user_in_no_conversation_is_refused(sdk, as_user, demo):
    # Sam (demo) is in no conversation, and also lacks the operation's listed permission
    # (conversation:communication:disconnect): with the default permissionCheckOrder
    # ("permissionsFirst") the permission check answers first.
    sam = sdk.ConversationsApi(as_user(demo.SAM))
    body = api_error(lambda: sam.patch_conversations_call(
        demo.ACTIVE, _conversation_body(sdk, recording_state="PAUSED")), 403, "missing.any.permissions")
    assert "conversation:communication:disconnect" in body["message"]


def test_non_participant_with_the_permission_is_not_active_participant(sb, sdk, as_user, demo):
    user = sb.control.call("POST", "users", {"name": "Sam Two", "permissions": [
        "conversation:communication:disconnect", "conversation:recording:pause"]})
    api = sdk.ConversationsApi(as_user(user["userId"]))
    api_error(lambda: api.patch_conversations_call(demo.ACTIVE, _conversation_body(sdk, recording_state="PAUSED")),
              403, "conversation.error.forbidden.not.active.participant")


def test_participant_without_pause_permission_is_missing_permissions(sdk, as_user, supervisor, demo):
    cleo = sdk.ConversationsApi(as_user(demo.CLEO))
    body = api_error(lambda: cleo.patch_conversations_call(
        demo.HELD, _conversation_body(sdk, recording_state="PAUSED")), 403, "missing.permissions")
    assert "conversation:recording:pause" in body["message"]
    assert body["message"].startswith("Unable to perform the requested action. You are missing the following")
    assert sdk.ConversationsApi(supervisor).get_conversation(demo.HELD).secure_pause is False


def test_patch_call_on_unknown_and_ended_conversations(sdk, as_user, demo):
    ava = sdk.ConversationsApi(as_user(demo.AVA))
    api_error(lambda: ava.patch_conversations_call(new_id(), _conversation_body(sdk, recording_state="PAUSED")),
              404, "conversation.error.conversation.not.found")
    api_error(lambda: ava.patch_conversations_call(demo.ENDED, _conversation_body(sdk, recording_state="PAUSED")),
              400, "conversation.error.call.disconnected")


def test_patch_call_writing_none_is_invalid_value(sdk, as_user, demo):
    ava = sdk.ConversationsApi(as_user(demo.AVA))
    api_error(lambda: ava.patch_conversations_call(demo.ACTIVE, _conversation_body(sdk, recording_state="NONE")),
              400, "invalid.value")


def test_participant_disconnects_the_call(sdk, as_user, supervisor, demo):
    ava = sdk.ConversationsApi(as_user(demo.AVA))
    conv = ava.patch_conversations_call(demo.ACTIVE, _conversation_body(sdk, state="disconnected"))
    assert conv.end_time is not None
    assert all(c.state == "disconnected" for c in calls_of(conv))
    # now ended: no longer in Ava's active list, and writes are refused
    assert demo.ACTIVE not in {c.id for c in ava.get_conversations().entities}
    api_error(lambda: sdk.ConversationsApi(supervisor).put_conversations_call_recordingstate(
        demo.ACTIVE, _set_state(sdk, "PAUSED")), 400, "conversation.error.call.disconnected")


def _set_state(sdk, value):
    body = sdk.SetRecordingState()
    body.recording_state = value
    return body


# --- E: ad-hoc recording start/stop ------------------------------------------------------------


def _call_participant(sdk, api, cid, pid):
    return participant_by_id(sdk.ConversationsApi(api).get_conversations_call(cid).participants, pid)


def _call_of(sdk, api, cid, pid):
    conv = sdk.ConversationsApi(api).get_conversation(cid)
    return participant_by_id(conv.participants, pid).calls[0]


def test_adhoc_start_and_stop(sb, sdk, as_user, supervisor, demo):
    ava = as_user(demo.AVA)
    conversations = sdk.ConversationsApi(ava)
    cid, pid = demo.UNRECORDED, demo.UNRECORDED_AGENT
    before = _call_participant(sdk, supervisor, cid, pid)
    assert before.recording is False
    assert before.recorders_state.adhoc_state == "NONE"

    # start: the calls route
    assert conversations.patch_conversations_call_participant(cid, pid, participant_request(sdk, True)) is None
    assert_success_headers(ava, 202)
    assert ava.last_response.data == ""
    part = _call_participant(sdk, supervisor, cid, pid)
    assert part.recording is True
    assert part.recorders_state.adhoc_state == "ACTIVE"
    assert part.recorders_state.customer_experience_state == "NONE"
    call = _call_of(sdk, supervisor, cid, pid)
    assert call.recording is True
    assert call.recorders_state.adhoc_state == "ACTIVE"
    assert sdk.ConversationsApi(supervisor).get_conversation(cid).recording_state == "ACTIVE"
    # a new ADHOC recording, still uploading while the call goes on
    recordings = sdk.RecordingApi(supervisor)
    rec = recordings.get_conversation_recording(cid, call.recording_id)
    assert supervisor.last_response.status == 202
    assert rec.recording_file_role == "ADHOC"
    assert rec.file_state == "UPLOADING"
    assert rec.media_uris is None
    assert [m.id for m in recordings.get_conversation_recordingmetadata(cid)] == [call.recording_id]

    # stop: the generic route
    assert conversations.patch_conversation_participant(cid, pid, participant_request(sdk, False)) is None
    assert ava.last_response.status == 202
    part = _call_participant(sdk, supervisor, cid, pid)
    assert part.recording is False
    assert part.recorders_state.adhoc_state == "NONE"
    assert _call_of(sdk, supervisor, cid, pid).recording is False
    assert sdk.ConversationsApi(supervisor).get_conversation(cid).recording_state == "NONE"

    # after the call: the ad-hoc file is there, finished and AVAILABLE
    sb.control.disconnect(cid)
    sb.control.advance_clock(60)
    listed = recordings.get_conversation_recordings(cid)
    assert [(r.id, r.recording_file_role, r.file_state) for r in listed] == [
        (call.recording_id, "ADHOC", "AVAILABLE")]
    assert listed[0].end_time is not None


def test_adhoc_start_is_idempotent(sdk, as_user, supervisor, demo):
    ava = sdk.ConversationsApi(as_user(demo.AVA))
    for _ in range(2):
        ava.patch_conversation_participant(demo.UNRECORDED, demo.UNRECORDED_AGENT, participant_request(sdk, True))
    assert len(sdk.RecordingApi(supervisor).get_conversation_recordingmetadata(demo.UNRECORDED)) == 1


def test_adhoc_stop_of_a_running_adhoc_recording(sdk, as_user, supervisor, demo):
    ben = as_user(demo.BEN)
    assert _call_participant(sdk, supervisor, demo.ADHOC, demo.ADHOC_AGENT).recorders_state.adhoc_state == "ACTIVE"
    sdk.ConversationsApi(ben).patch_conversations_call_participant(demo.ADHOC, demo.ADHOC_AGENT,
                                                                  participant_request(sdk, False))
    assert ben.last_response.status == 202
    part = _call_participant(sdk, supervisor, demo.ADHOC, demo.ADHOC_AGENT)
    assert part.recording is False and part.recorders_state.adhoc_state == "NONE"


def test_adhoc_alongside_policy_recording_shows_both_recorders(sdk, as_user, supervisor, demo):
    ava = sdk.ConversationsApi(as_user(demo.AVA))
    ava.patch_conversations_call_participant(demo.ACTIVE, demo.ACTIVE_AGENT, participant_request(sdk, True))
    part = _call_participant(sdk, supervisor, demo.ACTIVE, demo.ACTIVE_AGENT)
    assert part.recorders_state.adhoc_state == "ACTIVE"
    assert part.recorders_state.customer_experience_state == "ACTIVE"
    ids = {m.id for m in sdk.RecordingApi(supervisor).get_conversation_recordingmetadata(demo.ACTIVE)}
    assert len(ids) == 2
    assert _call_of(sdk, supervisor, demo.ACTIVE, demo.ACTIVE_AGENT).recording_id in ids


def test_adhoc_with_client_credentials_is_not_a_user_on_the_calls_route(sdk, login, demo):
    api = sdk.ConversationsApi(login(*demo.INTEGRATION))
    api_error(lambda: api.patch_conversations_call_participant(demo.UNRECORDED, demo.UNRECORDED_AGENT,
                                                                participant_request(sdk, True)),
              400, "not.a.user")


def test_generic_participant_patch_accepts_client_credentials(sdk, login, supervisor, demo):
    """The 2018 spec lists no not.a.user for the generic route [documented-2018]; that client
    credentials are then accepted is the sandbox's reading [inferred]."""
    integration = login(*demo.INTEGRATION)
    api = sdk.ConversationsApi(integration)
    assert api.patch_conversation_participant(demo.UNRECORDED, demo.UNRECORDED_AGENT,
                                              participant_request(sdk, True)) is None
    assert integration.last_response.status == 202
    part = _call_participant(sdk, supervisor, demo.UNRECORDED, demo.UNRECORDED_AGENT)
    assert part.recorders_state.adhoc_state == "ACTIVE"
    # without any of the operation's permissions: 403, not 400 not.a.user
    nothing = sdk.ConversationsApi(login(*demo.NOTHING))
    api_error(lambda: nothing.patch_conversation_participant(demo.UNRECORDED, demo.UNRECORDED_AGENT,
                                                             participant_request(sdk, False)),
              403, "missing.any.permissions")


def test_generic_participant_patch_user_context_is_a_switchable_assumption(sb, sdk, login, demo):
    """Whether the generic route needs a user is [unknown]: switched to ``required`` it answers
    client credentials as the calls route does, and switched back it accepts them again."""
    api = sdk.ConversationsApi(login(*demo.INTEGRATION))
    sb.control.settings(assumptions={"genericParticipantPatchUserContext": "required"})
    try:
        api_error(lambda: api.patch_conversation_participant(demo.UNRECORDED, demo.UNRECORDED_AGENT,
                                                             participant_request(sdk, True)),
                  400, "not.a.user")
    finally:
        sb.control.settings(assumptions={"genericParticipantPatchUserContext": "notRequired"})
    assert api.patch_conversation_participant(demo.UNRECORDED, demo.UNRECORDED_AGENT,
                                              participant_request(sdk, True)) is None


def test_generic_participant_patch_on_an_ended_call_has_no_active_conversations(sdk, as_user, login, demo):
    for api_client in (as_user(demo.AVA), login(*demo.INTEGRATION)):
        api = sdk.ConversationsApi(api_client)
        body = api_error(lambda api=api: api.patch_conversation_participant(
            demo.ENDED, "c0a80001-0000-4000-8000-0000000006a1", participant_request(sdk, True)),
            400, "conversation.error.participant.no.active.conversations")
        assert body["message"] == "Participant has no active conversations"


@pytest.mark.parametrize("route", ["calls", "generic"])
def test_adhoc_unknown_participant_is_not_found(sdk, as_user, demo, route):
    api = sdk.ConversationsApi(as_user(demo.AVA))
    patch = api.patch_conversations_call_participant if route == "calls" else api.patch_conversation_participant
    api_error(lambda: patch(demo.UNRECORDED, new_id(), participant_request(sdk, True)), 404, "not.found")


@pytest.mark.parametrize("route", ["calls", "generic"])
def test_adhoc_by_non_participant_is_not_conversation_participant(sdk, as_user, supervisor, demo, route):
    api = sdk.ConversationsApi(as_user(demo.AVA))  # Ava is not on the PAUSED conversation
    patch = api.patch_conversations_call_participant if route == "calls" else api.patch_conversation_participant
    body = api_error(lambda: patch(demo.PAUSED, demo.PAUSED_AGENT, participant_request(sdk, True)),
                     404, "conversation.error.not.conversation.participant")
    assert body["message"] == "User is not a participant in the conversation."
    assert _call_participant(sdk, supervisor, demo.PAUSED, demo.PAUSED_AGENT).recorders_state.adhoc_state == "NONE"


def test_adhoc_on_unknown_conversation(sdk, as_user, demo):
    api = sdk.ConversationsApi(as_user(demo.AVA))
    api_error(lambda: api.patch_conversations_call_participant(new_id(), demo.ACTIVE_AGENT,
                                                                participant_request(sdk, True)),
              404, "conversation.error.conversation.not.found")
    api_error(lambda: api.patch_conversation_participant(new_id(), demo.ACTIVE_AGENT, participant_request(sdk, True)),
              404, "not.found")


def test_adhoc_on_ended_conversation_is_call_disconnected(sdk, as_user, demo):
    api = sdk.ConversationsApi(as_user(demo.AVA))
    api_error(lambda: api.patch_conversations_call_participant(
        demo.ENDED, "c0a80001-0000-4000-8000-0000000006a1", participant_request(sdk, True)),
        400, "conversation.error.call.disconnected")


def test_adhoc_on_an_email_participant_is_bad_request(sdk, as_user, demo):
    ben = sdk.ConversationsApi(as_user(demo.BEN))
    api_error(lambda: ben.patch_conversation_participant(demo.EMAIL, "c0a80001-0000-4000-8000-0000000007a1",
                                                         participant_request(sdk, True)), 400, "bad.request")
    # and the calls route does not know an email conversation
    api_error(lambda: ben.patch_conversations_call_participant(demo.EMAIL, "c0a80001-0000-4000-8000-0000000007a1",
                                                               participant_request(sdk, True)),
              404, "conversation.error.conversation.not.found")


def test_secure_pause_of_an_adhoc_only_recording(sdk, as_user, supervisor, demo):
    ben = sdk.ConversationsApi(as_user(demo.BEN))
    sup = sdk.ConversationsApi(supervisor)
    assert sup.put_conversations_call_recordingstate(demo.ADHOC, _set_state(sdk, "PAUSED")) == "PAUSED"
    part = _call_participant(sdk, supervisor, demo.ADHOC, demo.ADHOC_AGENT)
    assert part.recorders_state.adhoc_state == "PAUSED"
    assert part.recorders_state.customer_experience_state == "NONE"
    assert part.secure_pause is True
    # stopping the only recorder leaves nothing to pause
    ben.patch_conversation_participant(demo.ADHOC, demo.ADHOC_AGENT, participant_request(sdk, False))
    conv = sup.get_conversation(demo.ADHOC)
    assert (conv.recording_state, conv.secure_pause) == ("NONE", False)


# --- GET /conversations and /conversations/calls ---------------------------------------------


def test_user_lists_only_own_active_conversations(sdk, as_user, demo):
    ava = as_user(demo.AVA)
    listing = sdk.ConversationsApi(ava).get_conversations()
    assert_success_headers(ava, 200)
    assert {c.id for c in listing.entities} == {demo.ACTIVE, demo.UNRECORDED}  # ENDED is over
    assert listing.total == len(listing.entities)
    assert all(c.end_time is None for c in listing.entities)
    ben = sdk.ConversationsApi(as_user(demo.BEN))
    assert {c.id for c in ben.get_conversations().entities} == {demo.PAUSED, demo.ADHOC, demo.EMAIL}
    assert {c.id for c in ben.get_conversations(communication_type="Call").entities} == {demo.PAUSED, demo.ADHOC}


def test_user_lists_only_own_active_calls(sdk, as_user, demo):
    ben = as_user(demo.BEN)
    listing = sdk.ConversationsApi(ben).get_conversations_calls()
    assert_success_headers(ben, 200)
    assert isinstance(listing, sdk.CallConversationEntityListing)
    assert {c.id for c in listing.entities} == {demo.PAUSED, demo.ADHOC}  # not the email
    by_id = {c.id: c for c in listing.entities}
    assert by_id[demo.PAUSED].recording_state == "paused"
    assert by_id[demo.PAUSED].secure_pause is True
    assert listing.total == 2


def test_user_in_no_conversation_lists_nothing(sdk, as_user, demo):
    sam = sdk.ConversationsApi(as_user(demo.SAM))
    assert sam.get_conversations().entities == []
    assert sam.get_conversations_calls().entities == []


def test_listing_follows_the_call_ending(sb, sdk, as_user, demo):
    ava = sdk.ConversationsApi(as_user(demo.AVA))
    sb.control.disconnect(demo.ACTIVE)
    assert {c.id for c in ava.get_conversations_calls().entities} == {demo.UNRECORDED}


def test_listings_with_client_credentials_are_not_a_user(sdk, login, demo):
    integration = sdk.ConversationsApi(login(*demo.INTEGRATION))
    api_error(lambda: integration.get_conversations(), 400, "not.a.user")
    api_error(lambda: integration.get_conversations_calls(), 400, "not.a.user")


def test_invalid_communication_type_is_invalid_value(sdk, as_user, demo):
    api = sdk.ConversationsApi(as_user(demo.AVA))
    api_error(lambda: api.get_conversations(communication_type="Fax"), 400, "invalid.value")


# --- the labelled assumptions, switched -------------------------------------------------------


def test_user_context_first_check_order(sb, sdk, login, demo):
    nothing = sdk.ConversationsApi(login(*demo.NOTHING))
    body = _conversation_body(sdk, recording_state="PAUSED")
    api_error(lambda: nothing.patch_conversations_call(demo.ACTIVE, body), 403, "missing.any.permissions")
    sb.control.settings(assumptions={"permissionCheckOrder": "userContextFirst"})
    api_error(lambda: nothing.patch_conversations_call(demo.ACTIVE, body), 400, "not.a.user")
    api_error(lambda: nothing.patch_conversations_call_participant(demo.ACTIVE, demo.ACTIVE_AGENT,
                                                                   participant_request(sdk, True)), 400, "not.a.user")
    # the generic participant route needs no user context at all
    api_error(lambda: nothing.patch_conversation_participant(demo.ACTIVE, demo.ACTIVE_AGENT,
                                                             participant_request(sdk, True)),
              403, "missing.any.permissions")


def test_non_participant_adhoc_forbidden_when_so_assumed(sb, sdk, as_user, demo):
    sb.control.settings(assumptions={"participantPatchNonParticipant": "forbidden403"})
    api = sdk.ConversationsApi(as_user(demo.AVA))
    api_error(lambda: api.patch_conversation_participant(demo.PAUSED, demo.PAUSED_AGENT,
                                                         participant_request(sdk, True)),
              403, "conversation.error.forbidden.not.active.participant")


def test_pause_permission_not_needed_when_so_assumed(sb, sdk, as_user, demo):
    sb.control.settings(assumptions={"callsPatchNeedsPausePermission": "false"})
    cleo = sdk.ConversationsApi(as_user(demo.CLEO))
    conv = cleo.patch_conversations_call(demo.HELD, _conversation_body(sdk, recording_state="PAUSED"))
    assert (conv.recording_state, conv.secure_pause) == ("PAUSED", True)
