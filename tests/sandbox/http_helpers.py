"""Raw-HTTP helpers for the sandbox tests: what the SDK hides (headers, bare bodies, retries).

Everything here is plain urllib3 with ``retries=False``, so every response the sandbox sends
is seen exactly once, and a dropped connection surfaces as an exception instead of a retry.
"""

from __future__ import annotations

import base64
import http.client
import json
from dataclasses import dataclass
from typing import Any

import urllib3

# Keys of the Genesys ErrorBody (§5.1). The six in REQUIRED_ERROR_KEYS are always present.
REQUIRED_ERROR_KEYS = {"message", "code", "status", "contextId", "details", "errors"}
OPTIONAL_ERROR_KEYS = {"entityId", "entityName", "messageWithParams", "messageParams", "limit"}
RATELIMIT_HEADERS = ("inin-ratelimit-count", "inin-ratelimit-allowed", "inin-ratelimit-reset")

JSON = {"Content-Type": "application/json"}
_NO_BODY = object()

HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5.0, read=30.0))


@dataclass
class Resp:
    status: int
    headers: urllib3.HTTPHeaderDict
    body: Any  # parsed JSON; None for an empty body; the text when it is not JSON
    raw: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def _resp(status: int, headers: urllib3.HTTPHeaderDict, raw: bytes) -> Resp:
    body: Any = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
    return Resp(status, headers, body, raw)


def request(method: str, url: str, *, token: str | None = None, json_body: Any = _NO_BODY,
            body: bytes | str | None = None, headers: dict[str, str] | None = None,
            http: urllib3.PoolManager = HTTP, **kwargs: Any) -> Resp:
    """One HTTP request, no retries. ``json_body`` is serialised with Content-Type JSON;
    ``body`` is sent as is with whatever ``headers`` say."""
    hdrs: dict[str, str] = {}
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    if json_body is not _NO_BODY:
        body = json.dumps(json_body)
        hdrs.update(JSON)
    hdrs.update(headers or {})
    r = http.request(method, url, body=body, headers=hdrs, retries=False, **kwargs)
    return _resp(r.status, r.headers, r.data)


def raw_request(base_url: str, method: str, target: str, *, token: str | None = None,
                headers: dict[str, str] | None = None, body: bytes | None = None) -> Resp:
    """Send ``target`` byte for byte (no URL normalisation by the client), over http.client."""
    host, port = base_url.split("://", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=30)
    try:
        conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        if body is not None:
            hdrs.setdefault("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(body)
        r = conn.getresponse()
        raw = r.read()
        headers_out = urllib3.HTTPHeaderDict(r.getheaders())
        return _resp(r.status, headers_out, raw)
    finally:
        conn.close()


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(base_url: str, client_id: str | None = None, secret: str | None = None, *,
                  form: str | bytes = "grant_type=client_credentials",
                  content_type: str | None = "application/x-www-form-urlencoded",
                  headers: dict[str, str] | None = None) -> Resp:
    """POST /oauth/token as the SDK does: Basic auth and a form body."""
    hdrs: dict[str, str] = {}
    if client_id is not None:
        hdrs["Authorization"] = basic(client_id, secret or "")
    if content_type is not None:
        hdrs["Content-Type"] = content_type
    hdrs.update(headers or {})
    return request("POST", f"{base_url}/oauth/token", body=form, headers=hdrs)


def get_token(base_url: str, client_id: str, secret: str) -> str:
    """A client-credentials access token (asserts the grant succeeded)."""
    r = token_request(base_url, client_id, secret)
    assert r.status == 200, (r.status, r.body)
    return r.body["access_token"]


def assert_error(r: Resp, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is a Genesys ErrorBody with this status (and code): the six required keys,
    nothing outside the ErrorBody model, contextId == inin-correlation-id."""
    assert r.status == status, (r.status, r.body)
    assert (r.header("content-type") or "").startswith("application/json"), r.headers
    body = r.body
    assert isinstance(body, dict), body
    assert set(body) >= REQUIRED_ERROR_KEYS, body
    assert set(body) <= REQUIRED_ERROR_KEYS | OPTIONAL_ERROR_KEYS, body
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert body["details"] == [] and body["errors"] == []
    assert body["contextId"] == r.header("inin-correlation-id"), (body, r.headers)
    if code is not None:
        assert body["code"] == code, body
    return body


def find_nulls(value: Any, path: str = "$") -> list[str]:
    """JSON paths of every ``null`` in a parsed JSON document."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in find_nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in find_nulls(v, f"{path}[{i}]")]
    return []
