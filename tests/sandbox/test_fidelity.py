"""Fidelity corrections against the SDK docs and the 2018 spec (evidence: docs/genesys-api.md
"Sandbox fidelity corrections"), through the unmodified SDK or raw HTTP."""

from __future__ import annotations

import inspect
import re

import pytest

from recops.sandbox.services import analytics, recordings

from .http_helpers import assert_error, get_token, request
from .sdk_helpers import api_error, day_interval, new_id


def _api(sb, path: str) -> str:
    return f"{sb.url}/api/v2/{path}"


def _recording_id(sdk, supervisor, cid: str) -> str:
    return sdk.RecordingApi(supervisor).get_conversation_recordingmetadata(cid)[0].id


# --- PUT …/recordings/{rid}: view is always required ---------------------------------------------


@pytest.mark.parametrize("view", [None, "recording:recording:view", "recording:screenRecording:view"])
def test_retention_edit_needs_a_view_permission(sb, sdk, login, supervisor, demo, view):
    perms = ["recording:recording:editRetention"] + ([view] if view else [])
    client = sb.control.add_client(perms)
    rec_api = sdk.RecordingApi(login(client["clientId"], client["clientSecret"]))
    rid = _recording_id(sdk, supervisor, demo.ENDED)
    body = sdk.Recording()
    body.delete_date = "2030-01-01T00:00:00.000Z"
    if view is None:
        err = api_error(lambda: rec_api.put_conversation_recording(demo.ENDED, rid, body), 403,
                        "missing.any.permissions")
        assert "recording:recording:view" in err["message"]
        assert sdk.RecordingApi(supervisor).get_conversation_recording(demo.ENDED, rid).delete_date is None
    else:
        rec = rec_api.put_conversation_recording(demo.ENDED, rid, body)
        assert rec.delete_date is not None


# --- PATCH /conversations/calls/{id}: 202 for secure pause -----------------------------------------


def test_calls_patch_answers_202_with_the_conversation_for_pause_and_200_for_disconnect(sb, sdk, as_user, demo):
    ava = as_user(demo.AVA)
    api_ = sdk.ConversationsApi(ava)
    body = sdk.Conversation()
    body.recording_state = "PAUSED"
    conv = api_.patch_conversations_call(demo.ACTIVE, body)
    assert ava.last_response.status == 202
    assert isinstance(conv, sdk.Conversation) and conv.recording_state == "PAUSED"
    body = sdk.Conversation()
    body.recording_state = "ACTIVE"
    assert api_.patch_conversations_call(demo.ACTIVE, body).recording_state == "ACTIVE"
    assert ava.last_response.status == 202
    tok = sb.control.user_token(demo.AVA)
    r = request("PATCH", _api(sb, f"conversations/calls/{demo.ACTIVE}"), token=tok,
                json_body={"state": "disconnected"})
    assert r.status == 200 and r.body["id"] == demo.ACTIVE and r.body["endTime"]


# --- GET …/recordings: its own 404 ---------------------------------------------------------------


def test_recordings_of_an_unknown_conversation_is_conversation_not_found(sdk, supervisor):
    body = api_error(lambda: sdk.RecordingApi(supervisor).get_conversation_recordings(new_id()), 404,
                     "conversation.not.found")
    assert body["message"] == "A conversation for the provided conversationId was not found."


# --- mediaFormats has no NONE --------------------------------------------------------------------


def test_media_formats_none_is_invalid_but_format_id_none_is_fine(sb, sdk, supervisor, demo):
    rec_api = sdk.RecordingApi(supervisor)
    body = api_error(lambda: rec_api.get_conversation_recordings(demo.ENDED, media_formats=["NONE"]), 400,
                     "invalid.value")
    assert body["messageParams"]["allowedValues"] == "WAV, WEBM, WAV_ULAW, OGG_VORBIS, OGG_OPUS, MP3"
    listed = rec_api.get_conversation_recordings(demo.ENDED, format_id="NONE")
    assert listed and all(r.media_uris is None for r in listed)
    assert rec_api.get_conversation_recordings(demo.ENDED, media_formats=["MP3", "WAV"])[0].media_uris


# --- sandbox.not.emulated ------------------------------------------------------------------------


def _query(**extra):
    return {"interval": day_interval(3), **extra}


def _seg(dimension, value="x", **extra):
    return {"segmentFilters": [{"type": "and", "predicates": [{"dimension": dimension, "value": value, **extra}]}]}


NOT_EMULATED = [
    ("orderBy segmentStart", _query(orderBy="segmentStart")),
    ("a real segment dimension", _query(**_seg("wrapUpCode"))),
    ("a real conversation dimension", _query(conversationFilters=[
        {"type": "and", "predicates": [{"dimension": "customerParticipation", "value": "true"}]}])),
    ("a metric predicate", _query(**_seg("tTalk", type="metric"))),
    ("a range predicate", _query(**_seg("mediaType", range={"gt": 1}))),
    ("aggregations", _query(aggregations=[{"type": "termFrequency", "dimension": "queueId"}])),
]


@pytest.mark.parametrize("case", range(len(NOT_EMULATED)))
def test_what_genesys_accepts_but_the_sandbox_does_not_emulate_is_501_sandbox_not_emulated(sb, demo, case):
    name, body = NOT_EMULATED[case]
    token = get_token(sb.url, *demo.SUPERVISOR)
    r = request("POST", _api(sb, "analytics/conversations/details/query"), token=token, json_body=body)
    err = assert_error(r, 501, "sandbox.not.emulated")
    assert "not emulated by the sandbox" in err["message"], name
    assert "messageParams" not in err  # no "allowable values" to mislead


def test_the_sdk_sees_not_emulated_as_an_api_exception(sdk, supervisor):
    q = sdk.ConversationQuery()
    q.interval = day_interval(3)
    q.order_by = "segmentEnd"
    body = api_error(lambda: sdk.AnalyticsApi(supervisor).post_analytics_conversations_details_query(q), 501,
                     "sandbox.not.emulated")
    assert "segmentEnd" in body["message"]


@pytest.mark.parametrize(("body", "field", "real_value"), [
    (_query(orderBy="bogus"), "orderBy", "segmentEnd"),
    (_query(**_seg("outdated_sdk_version")), "dimension", "wrapUpCode"),  # an unknown enum, as the SDK sends it
    (_query(**_seg("participantId")), "dimension", "wrapUpCode"),  # not a Genesys segment dimension
    (_query(**_seg("mediaType", type="nonsense")), "type", "metric"),
])
def test_what_genesys_rejects_lists_genesys_allowable_values(sb, demo, body, field, real_value):
    token = get_token(sb.url, *demo.SUPERVISOR)
    r = request("POST", _api(sb, "analytics/conversations/details/query"), token=token, json_body=body)
    err = assert_error(r, 400, "invalid.value")
    assert err["messageParams"]["fieldType"] == field
    assert real_value in err["messageParams"]["allowedValues"].split(", ")


def test_conference_merge_and_other_participant_states_are_not_emulated(sb, demo):
    tok = sb.control.user_token(demo.AVA)
    r = request("PATCH", _api(sb, f"conversations/calls/{demo.ACTIVE}"), token=tok,
                json_body={"conversationIds": [new_id()]})
    assert_error(r, 501, "sandbox.not.emulated")
    r = request("PATCH", _api(sb, f"conversations/{demo.ACTIVE}/participants/{demo.ACTIVE_AGENT}"), token=tok,
                json_body={"state": "parked"})
    assert_error(r, 501, "sandbox.not.emulated")
    r = request("PATCH", _api(sb, f"conversations/{demo.ACTIVE}/participants/{demo.ACTIVE_AGENT}"), token=tok,
                json_body={"state": "sleeping"})
    assert_error(r, 400, "invalid.value")


# --- the sandbox's copies of Genesys enums match the SDK ------------------------------------------


def _sdk_allowed(sdk, model: str, attribute: str) -> list[str]:
    setter = getattr(getattr(sdk, model), attribute).fset
    return re.findall(r'"([^"]+)"', re.search(r"allowed_values = \[(.*?)\]", inspect.getsource(setter)).group(1))


def test_genesys_enum_copies_match_the_installed_sdk(sdk):
    assert list(analytics.GENESYS_SEGMENT_DIMENSIONS) == _sdk_allowed(sdk, "SegmentDetailQueryPredicate", "dimension")
    assert list(analytics.GENESYS_CONVERSATION_DIMENSIONS) == _sdk_allowed(
        sdk, "ConversationDetailQueryPredicate", "dimension")
    assert list(analytics.GENESYS_PREDICATE_TYPES) == _sdk_allowed(sdk, "SegmentDetailQueryPredicate", "type")
    assert list(analytics.GENESYS_ORDER_BY) == _sdk_allowed(sdk, "ConversationQuery", "order_by")
    assert set(analytics.GENESYS_SEGMENT_DIMENSIONS) >= analytics.SEGMENT_DIMENSIONS
    assert set(analytics.GENESYS_CONVERSATION_DIMENSIONS) >= analytics.CONVERSATION_DIMENSIONS
    for method in (sdk.RecordingApi.get_conversation_recordings, sdk.RecordingApi.get_conversation_recording):
        doc = inspect.getsource(method)
        formats = re.search(r"media_formats: .*?Valid values:([A-Z0-9_,]+)", doc).group(1).split(",")
        assert formats == recordings.MEDIA_FORMATS, method
        format_ids = re.search(r"format_id: .*?Valid values:([A-Z0-9_,]+)", doc).group(1).split(",")
        assert format_ids == recordings.FORMAT_IDS
