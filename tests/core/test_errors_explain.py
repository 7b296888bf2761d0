"""errors.api_error / from_exception on real SDK ApiExceptions from the sandbox, explain(), and
``recops explain``."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from recops.cli.commands import app
from recops.genesys import errors
from recops.genesys.explain import explain

from .helpers import conversation_patch, make_client, recording_state, sdk_exception

CONFLICT_FAULT = {"method": "PUT", "path": "/api/v2/conversations/*/recordingstate", "status": 409,
                  "code": "general.conflict"}


def classify(exc, method="", path=""):
    """Both entry points must agree."""
    by_exception = errors.from_exception(exc, method, path)
    by_parts = errors.api_error(exc.status, exc.body, exc.headers, method, path)
    assert type(by_exception) is type(by_parts)
    assert by_exception.code == by_parts.code and by_exception.context_id == by_parts.context_id
    return by_exception


def assert_context(error, exc):
    assert error.context_id
    assert error.context_id == exc.headers.get("inin-correlation-id")
    assert error.context_id in str(error)


# --- classification of real SDK exceptions -------------------------------------------------------


def test_400_not_a_user(sdk, login, demo):
    api = login(*demo.INTEGRATION)  # every conversation permission, still no user
    exc = sdk_exception(lambda: sdk.ConversationsApi(api).patch_conversations_call(
        demo.ACTIVE, conversation_patch(sdk, "PAUSED")))
    error = classify(exc, "PATCH", f"/api/v2/conversations/calls/{demo.ACTIVE}")
    assert isinstance(error, errors.NotAUser)
    assert isinstance(error, errors.BadRequest) and isinstance(error, errors.ApiError)
    assert (error.status, error.code) == (400, "not.a.user")
    assert "/recordingstate" in error.remedy
    assert "conversation:recording:pauseOthers" in error.remedy
    assert "user context" in error.genesys_message
    assert f"PATCH /api/v2/conversations/calls/{demo.ACTIVE}" in str(error)
    assert_context(error, exc)
    assert not error.injected


def test_401_bad_token(sb, sdk, demo):
    api = sdk.ApiClient(host=sb.url)
    api.access_token = "not-a-token-we-issued"
    exc = sdk_exception(lambda: sdk.ConversationsApi(api).get_conversation(demo.ACTIVE))
    error = classify(exc)
    assert isinstance(error, errors.AuthError)
    assert (error.status, error.code) == (401, "bad.credentials")
    assert "renews" in error.remedy
    assert_context(error, exc)
    assert "not-a-token-we-issued" not in str(error)


def test_401_no_token(sb, sdk, demo):
    exc = sdk_exception(lambda: sdk.ConversationsApi(sdk.ApiClient(host=sb.url)).get_conversation(demo.ACTIVE))
    error = classify(exc)
    assert isinstance(error, errors.AuthError)
    assert error.status == 401
    assert_context(error, exc)


def test_token_endpoint_invalid_client_is_an_auth_error(sb, sdk, demo):
    wrong = "definitely-the-wrong-secret"
    exc = sdk_exception(lambda: sdk.ApiClient(host=sb.url).get_client_credentials_token(demo.SUPERVISOR[0], wrong))
    error = classify(exc, "POST", "/oauth/token")
    assert isinstance(error, errors.AuthError)
    assert (error.status, error.code) == (400, "invalid_client")
    assert error.genesys_message == "authentication failed"
    assert "GENESYSCLOUD_REGION" in error.remedy
    assert error.context_id == exc.headers.get("inin-correlation-id")  # no contextId in the OAuth body
    assert wrong not in str(error)


def test_403_permissions_are_parsed(sdk, login, demo):
    api = login(*demo.NOTHING)
    exc = sdk_exception(lambda: sdk.ConversationsApi(api).put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")))
    error = classify(exc)
    assert isinstance(error, errors.PermissionDenied)
    assert (error.status, error.code) == (403, "missing.any.permissions")
    assert error.permissions == ["conversation:recording:pauseOthers"]
    assert "conversation:recording:pauseOthers" in error.remedy
    assert_context(error, exc)


def test_403_permissions_from_the_message_alone(sdk, login, demo):
    """Without messageParams the list is read from the message's [...]."""
    exc = sdk_exception(lambda: sdk.ConversationsApi(login(*demo.NOTHING)).get_conversation(demo.ACTIVE))
    body = json.loads(exc.body)
    body.pop("messageParams", None)
    error = errors.api_error(exc.status, json.dumps(body), exc.headers)
    assert isinstance(error, errors.PermissionDenied)
    assert error.permissions and all(re.fullmatch(r"[\w*]+:[\w*]+:[\w*]+", p) for p in error.permissions)


def test_404_not_found(sdk, supervisor):
    exc = sdk_exception(lambda: sdk.ConversationsApi(supervisor).get_conversation(
        "00000000-0000-4000-8000-00000000dead"))
    error = classify(exc)
    assert isinstance(error, errors.NotFound)
    assert error.status == 404
    assert error.code in ("not.found", "conversation.error.conversation.not.found", "conversation.not.found")
    assert_context(error, exc)


def test_injected_409_is_a_conflict_that_does_not_claim_already_paused(sb, sdk, supervisor, demo):
    sb.control.fault(**CONFLICT_FAULT)
    exc = sdk_exception(lambda: sdk.ConversationsApi(supervisor).put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")))
    error = classify(exc)
    assert isinstance(error, errors.Conflict)
    assert (error.status, error.code) == (409, "general.conflict")
    assert error.injected is True
    remedy = error.remedy.lower()
    assert "does not mean 'already paused'" in remedy
    assert not re.search(r"(is|was) already paused", remedy)
    assert "status" in remedy  # read the state instead
    assert_context(error, exc)


def test_real_errors_are_not_marked_injected(sdk, supervisor):
    exc = sdk_exception(lambda: sdk.ConversationsApi(supervisor).get_conversation("nope"))
    assert classify(exc).injected is False


def test_a_delayed_real_error_is_not_marked_injected(sb, sdk, supervisor):
    """A "delay" fault only slows a real answer (X-Sandbox-Fault: delayed)."""
    sb.control.fault(method="GET", path="/api/v2/conversations/*", action="delay", latencyMs=50)
    exc = sdk_exception(lambda: sdk.ConversationsApi(supervisor).get_conversation("nope"))
    assert exc.headers.get("X-Sandbox-Fault") == "delayed"
    error = classify(exc)
    assert isinstance(error, errors.NotFound)
    assert error.injected is False


@pytest.mark.parametrize(("status", "code"), [(500, "internal.server.error"), (503, "service.unavailable"),
                                              (504, "request.timeout"), (502, None)])
def test_5xx_is_a_server_error(sb, sdk, supervisor, demo, status, code):
    sb.control.fault(method="GET", path=f"/api/v2/conversations/{demo.ACTIVE}", status=status)
    exc = sdk_exception(lambda: sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE))
    error = classify(exc)
    assert isinstance(error, errors.ServerError)
    assert error.status == status
    if code:
        assert error.code == code
    assert error.injected
    assert "read the state" in error.remedy
    assert_context(error, exc)


def test_429_without_retry_after_is_rate_limited(sb, sdk, supervisor, demo):
    sb.control.fault(method="GET", path=f"/api/v2/conversations/{demo.ACTIVE}", status=429)
    exc = sdk_exception(lambda: sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE))
    error = classify(exc)
    assert isinstance(error, errors.RateLimited)
    assert error.code == "too.many.requests"
    assert error.retry_after is None


def test_connection_refused_from_the_sdk_is_connection_failed(sdk):
    api = sdk.ApiClient(host="http://127.0.0.1:9")
    try:
        api.get_client_credentials_token("x", "y")
    except Exception as e:  # the SDK does not wrap it: urllib3's MaxRetryError
        error = errors.from_exception(e, "POST", "/oauth/token")
    else:
        raise AssertionError("port 9 answered")
    assert isinstance(error, errors.ConnectionFailed)  # refused, not a timeout
    assert not isinstance(error, errors.Timeout)
    assert isinstance(error, errors.TransportError)
    assert "POST /oauth/token" in str(error)
    assert "read the state" in error.remedy


def test_from_exception_passes_recops_errors_through_and_wraps_the_rest():
    original = errors.NotFound(404, "not.found", "gone")
    assert errors.from_exception(original) is original
    assert type(errors.from_exception(ValueError("odd"))) is errors.RecopsError
    assert isinstance(errors.from_exception(ConnectionResetError()), errors.ConnectionFailed)
    assert isinstance(errors.from_exception(TimeoutError()), errors.Timeout)
    assert str(errors.from_exception(ConnectionResetError())).startswith("connection failed: ConnectionResetError")


# --- secrets never in messages -------------------------------------------------------------------


def test_errors_through_the_client_never_show_the_secret_or_the_token(sb, demo):
    nothing, _ = make_client(sb, demo.NOTHING)
    integration, _ = make_client(sb, demo.INTEGRATION)
    tokens = [nothing.api_client.access_token, integration.api_client.access_token]
    assert all(tokens)
    secrets = [demo.NOTHING[1], demo.INTEGRATION[1], demo.SUPERVISOR[1]]
    calls = [
        lambda: nothing.call("GET", "/api/v2/conversations/x", nothing.conversations_api.get_conversation,
                             demo.ACTIVE),
        lambda: nothing.call("PUT", "/api/v2/conversations/calls/x/recordingstate",
                             nothing.conversations_api.put_conversations_call_recordingstate,
                             demo.ACTIVE, recording_state(nothing.sdk(), "PAUSED")),
        lambda: integration.call("GET", "/api/v2/conversations/nope", integration.conversations_api.get_conversation,
                                "nope"),
        lambda: integration.call("PATCH", "/api/v2/conversations/calls/x", integration.conversations_api.
                                patch_conversations_call, demo.ACTIVE, conversation_patch(integration.sdk(), "PAUSED")),
    ]
    found = []
    for call in calls:
        with pytest.raises(errors.ApiError) as info:
            call()
        found.append(info.value)
    bad, _ = make_client(sb, (demo.SUPERVISOR[0], "wrong-" + demo.SUPERVISOR[1]))
    with pytest.raises(errors.AuthError) as info:
        bad.api_client  # noqa: B018 - logs in
    found.append(info.value)
    assert [type(e) for e in found] == [errors.PermissionDenied, errors.PermissionDenied, errors.NotFound,
                                        errors.NotAUser, errors.AuthError]
    for error in found:
        for text in (str(error), repr(error), error.message, error.remedy, json.dumps(error.body)):
            for secret in [*secrets, *tokens]:
                assert secret not in text


# --- explain -------------------------------------------------------------------------------------


def test_explain_a_status():
    e = explain("404")
    assert (e.status, e.code) == (404, "not.found")
    assert "does not exist" in e.meaning
    assert explain(404) == e
    assert explain("(403)").code == "missing.any.permissions"
    assert explain("404 Not Found").code == "not.found"


def test_explain_not_a_user():
    e = explain("not.a.user")
    assert e.code == "not.a.user" and e.status is None
    assert "client-credentials token has no user" in e.meaning
    assert "/recordingstate" in e.remedy and "pauseOthers" in e.remedy


def test_explain_status_and_code():
    e = explain("403 missing.any.permissions")
    assert (e.status, e.code) == (403, "missing.any.permissions")
    assert "permissions" in e.remedy
    assert e.evidence.startswith("[documented]")


def test_explain_409_does_not_say_already_paused():
    e = explain("409")
    assert e.code == "general.conflict"
    assert "does not mean 'already paused'" in e.remedy


def test_explain_a_pasted_error_body(sdk, login, demo):
    exc = sdk_exception(lambda: sdk.ConversationsApi(login(*demo.NOTHING)).put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")))
    e = explain(exc.body)
    assert (e.status, e.code) == (403, "missing.any.permissions")
    assert e.permissions == ("conversation:recording:pauseOthers",)
    assert e.context_id == exc.headers.get("inin-correlation-id")
    assert "conversation:recording:pauseOthers" in str(e)
    assert e.context_id in str(e)


def test_explain_a_pasted_api_exception_printout(sdk, login, demo):
    """str(ApiException) prints status, reason, the headers as HTTPHeaderDict({...}), then the body."""
    exc = sdk_exception(lambda: sdk.ConversationsApi(login(*demo.NOTHING)).put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")))
    printout = str(exc)
    assert "HTTPHeaderDict({" in printout and "HTTP response body:" in printout
    e = explain(printout)
    assert (e.status, e.code) == (403, "missing.any.permissions")
    assert e.permissions == ("conversation:recording:pauseOthers",)
    assert e.context_id == exc.headers.get("inin-correlation-id")

    exc = sdk_exception(lambda: sdk.ConversationsApi(login(*demo.INTEGRATION)).patch_conversations_call(
        demo.ACTIVE, conversation_patch(sdk, "PAUSED")))
    e = explain(str(exc))
    assert (e.status, e.code) == (400, "not.a.user")
    assert "pauseOthers" in e.remedy


def test_explain_a_pasted_token_endpoint_printout(sb, sdk, demo):
    exc = sdk_exception(lambda: sdk.ApiClient(host=sb.url).get_client_credentials_token(demo.SUPERVISOR[0], "x"))
    e = explain(str(exc))
    assert (e.status, e.code) == (400, "invalid_client")  # the OAuth body has no status: taken from "(400)"
    assert "client id or secret" in e.remedy


def test_explain_the_tutorial_pause_call():
    e = explain("PUT /api/v2/recordings/{id}")
    assert (e.status, e.code) == (404, "not.found")
    assert "no such route" in e.meaning.lower()
    assert "PUT /api/v2/conversations/calls/{conversationId}/recordingstate" in e.remedy
    assert "pauseOthers" in e.remedy
    assert explain("PATCH /api/v2/recordings/abc-123/control").code == "not.found"


def sdk_recordings_routes() -> list[str]:
    """Every ``/api/v2/recordings/...`` route of the installed SDK's RecordingApi, as "METHOD path"."""
    import inspect

    from PureCloudPlatformClientV2.apis import recording_api

    source = inspect.getsource(recording_api)
    found = re.findall(r"resource_path = '(/api/v2/recordings/[^']+)'.*?api_client\.call_api\(resource_path, '(\w+)'",
                       source, re.S)
    return sorted({f"{method} {path}" for path, method in found})


def test_explain_does_not_call_real_recordings_routes_invented():
    """The SDK's real /api/v2/recordings/... routes are not the tutorial's invented one: explain()
    refuses them (it has nothing to say) instead of calling them a 404, while the invented
    route right next to them is caught."""
    routes = sdk_recordings_routes()
    assert {"PUT /api/v2/recordings/deletionprotection", "GET /api/v2/recordings/retention/query"} <= set(routes)
    for route in routes:
        with pytest.raises(ValueError, match="cannot explain"):
            explain(route)
    for invented in ("PUT /api/v2/recordings/deletionprotectionx", "PUT /api/v2/recordings/abc-123"):
        assert "no such route" in explain(invented).meaning.lower(), invented


def test_explain_platform_client():
    e = explain("PlatformClient")
    assert "PureCloudPlatformClientV2" in e.meaning
    assert "get_client_credentials_token" in e.remedy
    assert e.status is None


def test_explain_an_invented_host():
    e = explain("euw1.pure.cloud")
    assert "mypurecloud.ie" in e.meaning
    assert "eu-west-1" in e.remedy
    assert "mypurecloud.com.au" in explain("https://api.auw2.pure.cloud").meaning


@pytest.mark.parametrize("text", ["", "   ", "what is this?"])
def test_explain_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError):
        explain(text)


def test_explanation_to_dict_is_json():
    data = json.loads(json.dumps(explain("403 missing.any.permissions").to_dict()))
    assert data["status"] == 403 and data["code"] == "missing.any.permissions"
    assert set(data) >= {"topic", "meaning", "remedy", "evidence", "context_id", "permissions"}


# --- the CLI -------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_explain_human():
    result = runner.invoke(app, ["explain", "not.a.user"])
    assert result.exit_code == 0, result.output
    assert "not.a.user" in result.stdout
    assert "pauseOthers" in result.stdout


def test_cli_explain_joins_words():
    result = runner.invoke(app, ["explain", "403", "missing.any.permissions"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("403 missing.any.permissions")


def test_cli_explain_json():
    result = runner.invoke(app, ["explain", "PUT /api/v2/recordings/{id}", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["status"], data["code"]) == (404, "not.found")
    assert "recordingstate" in data["remedy"]


def test_cli_explain_a_pasted_body_as_json(sdk, login, demo):
    exc = sdk_exception(lambda: sdk.ConversationsApi(login(*demo.NOTHING)).put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")))
    result = runner.invoke(app, ["explain", "--json", str(exc)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["permissions"] == ["conversation:recording:pauseOthers"]
    assert data["context_id"] == exc.headers.get("inin-correlation-id")


@pytest.mark.parametrize("args", [["explain", ""], ["explain", "  "], ["explain"], ["explain", "what is this?"]])
def test_cli_explain_without_something_to_explain_exits_2(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_cli_explain_as_a_process():
    proc = subprocess.run([sys.executable, "-m", "recops.cli", "explain", "euw1.pure.cloud", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "mypurecloud.ie" in json.loads(proc.stdout)["meaning"]
    empty = subprocess.run([sys.executable, "-m", "recops.cli", "explain", ""], capture_output=True, text=True,
                           timeout=60)
    assert empty.returncode == 2
    assert "nothing to explain" in empty.stderr


def test_cli_explain_prints_pasted_markup_as_text():
    """The explanation renders itself through rich: a message's brackets are text, not markup."""
    body = '{"status": 400, "code": "x.unlisted", "message": "[bold]no[/bold] <b>tags</b>"}'
    result = runner.invoke(app, ["explain", body])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("400 x.unlisted\n")
    assert "Genesys said: [bold]no[/bold] <b>tags</b>" in " ".join(result.stdout.split())
    assert "evidence: [unknown]" in result.stdout
