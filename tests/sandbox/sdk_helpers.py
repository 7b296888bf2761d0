"""Helpers for the SDK-against-sandbox tests (tests/sandbox/test_sdk_*.py).

The tests drive the unmodified ``PureCloudPlatformClientV2`` over loopback. These helpers
only parse and check what came back; they never fake a reply.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import urllib3

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
RATE_LIMIT_HEADERS = ("inin-ratelimit-count", "inin-ratelimit-allowed", "inin-ratelimit-reset")


def api_error(call, status: int, code: str) -> dict[str, Any]:
    """Run ``call()``, expect an ``ApiException`` with this status and Genesys ``code``, check the
    ``ErrorBody`` envelope and the correlation header, and return the parsed body."""
    from PureCloudPlatformClientV2.rest import ApiException

    try:
        result = call()
    except ApiException as e:
        body = json.loads(e.body)
        assert e.status == status, (e.status, body)
        assert body["code"] == code, body
        assert body["status"] == status
        assert isinstance(body["message"], str) and body["message"]
        assert body["details"] == [] and body["errors"] == []
        assert UUID_RE.match(body["contextId"])
        assert e.headers.get("inin-correlation-id") == body["contextId"]
        assert e.headers.get("Content-Type", "").startswith("application/json")
        return body
    raise AssertionError(f"expected {status} {code}, the call returned {result!r}")


def oauth_error(call, error: str) -> dict[str, Any]:
    """Run a token call, expect the OAuth-style 400 body with this ``error``; return the body."""
    from PureCloudPlatformClientV2.rest import ApiException

    try:
        call()
    except ApiException as e:
        body = json.loads(e.body)
        assert e.status == 400, (e.status, body)
        assert body["error"] == error, body
        assert body["error_description"] == body["description"]
        assert "code" not in body  # not an ErrorBody
        return body
    raise AssertionError(f"expected 400 {error}")


def assert_success_headers(api_client, status: int = 200) -> None:
    """The last response of ``api_client``: status, correlation id and rate-limit headers."""
    resp = api_client.last_response
    assert resp.status == status
    assert UUID_RE.match(resp.getheader("inin-correlation-id") or "")
    for name in RATE_LIMIT_HEADERS:
        assert (resp.getheader(name) or "").isdigit(), name
    assert resp.getheader("inin-ratelimit-allowed") == "300"


def recording_state(sdk, value: str):
    body = sdk.SetRecordingState()
    body.recording_state = value
    return body


def participant_request(sdk, recording: bool):
    body = sdk.MediaParticipantRequest()
    body.recording = recording
    return body


def calls_of(conversation) -> list[Any]:
    """Every ``Call`` of every participant of an SDK ``Conversation``."""
    return [c for p in conversation.participants for c in (p.calls or [])]


def participant_by_id(participants, participant_id: str):
    return next(p for p in participants if p.id == participant_id)


class Raw:
    """Plain urllib3 (no retries) for the few requests the typed SDK cannot send."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=30))

    def request(self, method: str, path: str, token: str | None = None, body: Any = None,
                headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        return self.http.request(method, self.base_url + path, body=data, headers=hdrs)

    @staticmethod
    def json(resp: urllib3.BaseHTTPResponse) -> Any:
        return json.loads(resp.data)


def utc_midnight(days_ago: int) -> datetime:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def interval(start: datetime, end: datetime) -> str:
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    return f"{start.strftime(fmt)}/{end.strftime(fmt)}"


def day_interval(days_ago: int, days: int = 1) -> str:
    """Whole UTC days, ``days_ago`` days before today, far from the demo's live traffic."""
    start = utc_midnight(days_ago)
    return interval(start, start + timedelta(days=days))


def around_now(hours_before: float = 2.0) -> str:
    now = datetime.now(timezone.utc)
    return interval(now - timedelta(hours=hours_before), now + timedelta(hours=1))


def new_id() -> str:
    return str(uuid.uuid4())
