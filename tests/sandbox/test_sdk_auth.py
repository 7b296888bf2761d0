"""OAuth client credentials, bearer checks and org isolation, through the unmodified SDK."""

from __future__ import annotations

import base64
import json

import pytest

from .sdk_helpers import Raw, api_error, around_now, assert_success_headers, oauth_error, recording_state


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_client_credentials_token_is_usable(sb, sdk, demo):
    api = sdk.ApiClient(host=sb.url)
    returned = api.get_client_credentials_token(*demo.SUPERVISOR)
    assert returned is api  # the SDK returns the same client, token stored on it
    assert isinstance(api.access_token, str) and len(api.access_token) >= 20
    conv = sdk.ConversationsApi(api).get_conversation(demo.ACTIVE)
    assert conv.id == demo.ACTIVE
    assert_success_headers(api)


def test_each_token_request_issues_a_new_token(sb, sdk, demo):
    a = sdk.ApiClient(host=sb.url).get_client_credentials_token(*demo.SUPERVISOR)
    b = sdk.ApiClient(host=sb.url).get_client_credentials_token(*demo.SUPERVISOR)
    assert a.access_token != b.access_token
    for api in (a, b):
        assert sdk.ConversationsApi(api).get_conversation(demo.ACTIVE).id == demo.ACTIVE


def test_token_reply_shape_on_the_wire(sb, demo):
    raw = Raw(sb.url)
    resp = raw.request("POST", "/oauth/token", body=b"grant_type=client_credentials",
                       headers={"Authorization": _basic(*demo.SUPERVISOR),
                                "Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    body = raw.json(resp)
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert 86390 <= body["expires_in"] <= 86399
    assert "refresh_token" not in body


def test_token_lifetime_of_a_client_is_reported(sb):
    client = sb.control.add_client(["conversation:communication:view"], tokenLifetimeSeconds=300)
    raw = Raw(sb.url)
    resp = raw.request("POST", "/oauth/token", body=b"grant_type=client_credentials",
                       headers={"Authorization": _basic(client["clientId"], client["clientSecret"]),
                                "Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 200
    assert 295 <= raw.json(resp)["expires_in"] <= 300


def test_wrong_secret_is_invalid_client_authentication_failed(sb, sdk, demo):
    api = sdk.ApiClient(host=sb.url)
    body = oauth_error(lambda: api.get_client_credentials_token(demo.SUPERVISOR[0], "wrong-secret"),
                       "invalid_client")
    assert body["description"] == "authentication failed"
    assert not api.access_token


def test_unknown_client_is_invalid_client_not_found(sb, sdk):
    api = sdk.ApiClient(host=sb.url)
    body = oauth_error(lambda: api.get_client_credentials_token("no-such-client", "whatever"), "invalid_client")
    assert body["description"] == "client not found"


def test_client_without_the_grant_is_unauthorized_client(sb, sdk):
    client = sb.control.add_client(["conversation:communication:view"], grants=[])
    api = sdk.ApiClient(host=sb.url)
    body = oauth_error(lambda: api.get_client_credentials_token(client["clientId"], client["clientSecret"]),
                       "unauthorized_client")
    assert body["description"] == "client is not authorized to use the client_credential grant type"


def test_created_client_gets_a_token_and_only_its_permissions(sb, sdk, demo):
    client = sb.control.add_client(["conversation:communication:view"])
    api = sdk.ApiClient(host=sb.url).get_client_credentials_token(client["clientId"], client["clientSecret"])
    assert sdk.ConversationsApi(api).get_conversation(demo.ACTIVE).id == demo.ACTIVE
    body = api_error(lambda: sdk.RecordingApi(api).get_conversation_recordingmetadata(demo.ENDED),
                     403, "missing.any.permissions")
    assert "recording:recording:view" in body["message"]


def test_no_authorization_header_is_authentication_required(sb, demo):
    resp = Raw(sb.url).request("GET", f"/api/v2/conversations/{demo.ACTIVE}")
    assert resp.status == 401
    body = Raw.json(resp)
    assert body["code"] == "authentication.required"
    assert body["message"] == "No authentication bearer token specified in authorization header."
    assert resp.headers["inin-correlation-id"] == body["contextId"]


def test_sdk_without_a_token_gets_401(sb, sdk, demo):
    # The SDK still sends "Authorization: Bearer " (empty token) when it has none. The sandbox
    # currently reads that as bad.credentials; a missing header is authentication.required
    # (test above). Either code is a 401 the application must treat as "log in".
    from PureCloudPlatformClientV2.rest import ApiException

    api = sdk.ApiClient(host=sb.url)
    with pytest.raises(ApiException) as info:
        sdk.ConversationsApi(api).get_conversation(demo.ACTIVE)
    assert info.value.status == 401
    assert json.loads(info.value.body)["code"] in ("authentication.required", "bad.credentials")


def test_garbage_token_is_bad_credentials(sb, sdk, demo):
    api = sdk.ApiClient(host=sb.url)
    api.access_token = "not-a-token"
    body = api_error(lambda: sdk.ConversationsApi(api).get_conversation(demo.ACTIVE), 401, "bad.credentials")
    assert body["message"] == "Invalid login credentials."


def test_expired_token_of_short_lived_client_is_bad_credentials(sb, sdk, demo):
    client = sb.control.add_client(["conversation:communication:view"], tokenLifetimeSeconds=300)
    api = sdk.ApiClient(host=sb.url).get_client_credentials_token(client["clientId"], client["clientSecret"])
    conversations = sdk.ConversationsApi(api)
    assert conversations.get_conversation(demo.ACTIVE).id == demo.ACTIVE
    sb.control.advance_clock(120)
    assert conversations.get_conversation(demo.ACTIVE).id == demo.ACTIVE  # still valid
    sb.control.advance_clock(181)
    api_error(lambda: conversations.get_conversation(demo.ACTIVE), 401, "bad.credentials")
    # a fresh token works again: the client is fine, only the token expired
    api.get_client_credentials_token(client["clientId"], client["clientSecret"])
    assert conversations.get_conversation(demo.ACTIVE).id == demo.ACTIVE


def test_default_token_expires_after_a_day(sb, sdk, supervisor, demo):
    conversations = sdk.ConversationsApi(supervisor)
    assert conversations.get_conversation(demo.ACTIVE).id == demo.ACTIVE
    sb.control.advance_clock(86400)
    api_error(lambda: conversations.get_conversation(demo.ACTIVE), 401, "bad.credentials")


def test_expired_user_token_is_bad_credentials(sb, sdk, demo):
    api = sdk.ApiClient(host=sb.url)
    api.access_token = sb.control.user_token(demo.AVA, lifetimeSeconds=60)
    conversations = sdk.ConversationsApi(api)
    assert conversations.get_conversations().total == 2
    sb.control.advance_clock(61)
    api_error(lambda: conversations.get_conversations(), 401, "bad.credentials")


def test_a_reset_revokes_old_tokens(sb, sdk, supervisor, demo):
    conversations = sdk.ConversationsApi(supervisor)
    assert conversations.get_conversation(demo.ACTIVE).id == demo.ACTIVE
    sb.control.reset()
    api_error(lambda: conversations.get_conversation(demo.ACTIVE), 401, "bad.credentials")


# --- org isolation --------------------------------------------------------------------------


def test_other_org_cannot_see_or_change_a_sandbox_org_conversation(sb, sdk, login, demo):
    other = login(*demo.OTHER_ORG)
    conversations = sdk.ConversationsApi(other)
    api_error(lambda: conversations.get_conversation(demo.ACTIVE), 404, "not.found")
    api_error(lambda: conversations.get_conversations_call(demo.ACTIVE), 404,
              "conversation.error.conversation.not.found")
    api_error(lambda: conversations.put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")), 404, "conversation.error.conversation.not.found")
    api_error(lambda: conversations.patch_conversation_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")), 404, "not.found")
    api_error(lambda: sdk.RecordingApi(other).get_conversation_recordingmetadata(demo.ENDED), 404, "not.found")
    api_error(lambda: sdk.AnalyticsApi(other).get_analytics_conversation_details(demo.ENDED), 404, "not.found")
    # nothing changed in the sandbox org
    assert sb.control.conversation(demo.ACTIVE)["recordingState"] == "ACTIVE"


def test_sandbox_org_cannot_see_or_change_an_other_org_conversation(sb, sdk, supervisor, login, demo):
    conversations = sdk.ConversationsApi(supervisor)
    api_error(lambda: conversations.get_conversation(demo.OTHER_ORG_CONV), 404, "not.found")
    api_error(lambda: conversations.put_conversations_call_recordingstate(
        demo.OTHER_ORG_CONV, recording_state(sdk, "PAUSED")), 404, "conversation.error.conversation.not.found")
    assert sb.control.conversation(demo.OTHER_ORG_CONV)["securePause"] is False
    # the owner sees it
    own = sdk.ConversationsApi(login(*demo.OTHER_ORG)).get_conversation(demo.OTHER_ORG_CONV)
    assert own.id == demo.OTHER_ORG_CONV and own.recording_state == "ACTIVE"


def test_analytics_query_never_crosses_orgs(sb, sdk, supervisor, login, demo):
    def ids(api) -> set[str]:
        query = sdk.ConversationQuery()
        query.interval = around_now(hours_before=2)
        paging = sdk.PagingSpec()
        paging.page_size = 100
        paging.page_number = 1
        query.paging = paging
        reply = sdk.AnalyticsApi(api).post_analytics_conversations_details_query(query)
        found = {c.conversation_id for c in reply.conversations or []}
        assert reply.total_hits == len(found)  # one page holds them all
        return found

    other_ids = ids(login(*demo.OTHER_ORG))
    own_ids = ids(supervisor)
    assert other_ids == {demo.OTHER_ORG_CONV}
    assert demo.OTHER_ORG_CONV not in own_ids
    assert {demo.ACTIVE, demo.PAUSED, demo.ENDED, demo.EMAIL} <= own_ids


def test_user_token_of_another_org_sees_only_its_org(sb, sdk, as_user, demo):
    other_agent = "0f0f0000-0000-4000-8000-0000000000a1"
    api = as_user(other_agent, org="other-org")
    listing = sdk.ConversationsApi(api).get_conversations()
    assert [c.id for c in listing.entities] == [demo.OTHER_ORG_CONV]


def test_users_me_names_the_token_user_and_refuses_client_credentials(sb, sdk, demo, as_user, supervisor):
    import json

    from PureCloudPlatformClientV2.rest import ApiException

    me = sdk.UsersApi(as_user(demo.AVA)).get_users_me()
    assert (me.id, me.name) == (demo.AVA, "Ava Agent")
    try:
        sdk.UsersApi(supervisor).get_users_me()
        raise AssertionError("client credentials have no user")
    except ApiException as e:
        assert e.status == 400 and json.loads(e.body)["code"] == "not.a.user"
