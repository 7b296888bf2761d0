"""A small client for the ``/_sandbox`` control plane (used by tests, notebooks and recops).

It speaks plain urllib3 JSON, so it costs nothing to import, and raises
``SandboxControlError`` with the server's message on any non-2xx reply.

A training room limits each seat's control calls (control/fairness.py): past its share a call
is 429 with ``Retry-After``. The client waits that long and tries again while its waits for one
call stay within ``max_wait`` seconds (``DEFAULT_MAX_WAIT``: a trainee re-running the
walkthrough's reset a few times just waits for it); past that it raises the 429 as a
``SandboxControlError`` whose ``retry_after`` says when to try again.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlencode

import urllib3

# Seconds one call may spend waiting out 429s before it raises: more than the room's wait for a
# seat's next reset (10 s, control/fairness.py), so a walkthrough's "start over" clicked a few
# times in a row waits instead of failing [recops's own choice].
DEFAULT_MAX_WAIT = 30.0


class SandboxControlError(RuntimeError):
    def __init__(self, status: int, body: Any, retry_after: float | None = None) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after  # a 429's Retry-After, seconds
        message = body.get("message") if isinstance(body, dict) else body
        later = f" (retry after {retry_after:g} s)" if retry_after is not None else ""
        super().__init__(f"sandbox control plane answered {status}: {message}{later}")


class SandboxClient:
    """The control plane at ``url``. On a protected one (a training room, or ``recops sandbox
    serve --admin-token``) say who you are: ``admin_token=`` (the trainer: everything) or
    ``client_id=`` + ``client_secret=`` of a seat's client (that seat's org only, sent as
    HTTP Basic). Credentials are never shown (``repr``, errors). ``max_wait``: the seconds one
    call may wait out a seat's 429s (``Retry-After``) before raising it; 0 raises at once."""

    def __init__(self, url: str, timeout: float = 30.0, *, admin_token: str | None = None,
                 client_id: str | None = None, client_secret: str | None = None,
                 max_wait: float = DEFAULT_MAX_WAIT) -> None:
        self.url = url.rstrip("/")
        self.max_wait = max_wait
        self._http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=timeout))
        if admin_token is not None and client_id is not None:
            raise ValueError("pass admin_token or client_id + client_secret, not both")
        if (client_id is None) != (client_secret is None):
            raise ValueError("client_id and client_secret go together")
        self._auth: dict[str, str] = {}
        if admin_token is not None:
            self._auth["Authorization"] = f"Bearer {admin_token}"
        elif client_id is not None and client_secret is not None:
            pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
            self._auth["Authorization"] = f"Basic {pair}"
        self.client_id = client_id

    def __repr__(self) -> str:
        who = "admin" if self._auth and self.client_id is None else self.client_id or "open"
        return f"SandboxClient({self.url!r}, as {who})"

    def call(self, method: str, endpoint: str, body: Any = None, **query: Any) -> Any:
        """``/_sandbox/<endpoint>``."""
        return self._request(method, f"/_sandbox/{endpoint.lstrip('/')}", body, **query)

    def _request(self, method: str, url_path: str, body: Any = None, /, **query: Any) -> Any:
        fields = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in query.items() if v is not None}
        url = f"{self.url}{url_path}"
        if fields:
            url += "?" + urlencode(fields)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        resp = self._send(method, url, data, headers)
        payload: Any = None
        if resp.data:
            try:
                payload = json.loads(resp.data)
            except ValueError:
                payload = resp.data.decode("utf-8", "replace")
        if not 200 <= resp.status < 300:
            raise SandboxControlError(resp.status, payload, _retry_after(resp))
        return payload

    def _send(self, method: str, url: str, data: bytes | None = None,
              headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
        """The request; a 429 with ``Retry-After`` is tried again after it while the waits stay
        within ``max_wait`` (then the 429 is the caller's to raise)."""
        waited = 0.0
        while True:
            resp = self._http.request(method, url, body=data, headers={**(headers or {}), **self._auth})
            wait = _retry_after(resp) if resp.status == 429 else None
            if wait is None or waited + wait > self.max_wait:
                return resp
            time.sleep(wait)
            waited += wait

    # convenience verbs -----------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.call("GET", "health")

    def reset(self, scenario: str | None = None, keep_default: bool = True) -> dict[str, Any]:
        return self.call("POST", "reset", {} if keep_default and scenario is None else {"scenario": scenario})

    def settings(self, **changes: Any) -> dict[str, Any]:
        return self.call("PUT", "settings", changes) if changes else self.call("GET", "settings")

    def add_client(self, permissions: list[str], org: str | None = None, **extra: Any) -> dict[str, Any]:
        return self.call("POST", "clients", {"permissions": permissions, **({"org": org} if org else {}), **extra})

    def add_queue(self, name: str, org: str | None = None, **extra: Any) -> dict[str, Any]:
        return self.call("POST", "queues", {"name": name, **({"org": org} if org else {}), **extra})

    def clients(self, org: str | None = None) -> list[dict[str, Any]]:
        return self.call("GET", "clients", org=org)

    def user_token(self, user_id: str, org: str | None = None, **extra: Any) -> str:
        return self.call("POST", "tokens", {"userId": user_id, **({"org": org} if org else {}), **extra})["accessToken"]

    def add_conversation(self, **spec: Any) -> dict[str, Any]:
        return self.call("POST", "conversations", spec)

    def conversation(self, conversation_id: str, org: str | None = None) -> dict[str, Any]:
        """``org``: which org's copy (in a room every seat has the demo's ids; a seat needs none)."""
        return self.call("GET", f"conversations/{conversation_id}", org=org)

    def conversations(self, org: str | None = None, active: bool | None = None,
                      limit: int | None = None) -> list[dict[str, Any]]:
        """Summaries of the conversations (the server returns at most ``limit``, default 1000)."""
        return self.call("GET", "conversations", org=org, active=active, limit=limit)

    def disconnect(self, conversation_id: str, participant_id: str | None = None,
                   org: str | None = None) -> dict[str, Any]:
        body = {"participantId": participant_id} if participant_id else {}
        return self.call("POST", f"conversations/{conversation_id}/disconnect", body, org=org)

    def hold(self, conversation_id: str, participant_id: str, held: bool = True,
             org: str | None = None) -> dict[str, Any]:
        body = {"participantId": participant_id, "held": held}
        return self.call("POST", f"conversations/{conversation_id}/hold", body, org=org)

    def seed(self, **spec: Any) -> dict[str, Any]:
        return self.call("POST", "seed", spec)

    def fault(self, **spec: Any) -> dict[str, Any]:
        return self.call("POST", "faults", spec)

    def clear_faults(self) -> dict[str, Any]:
        return self.call("DELETE", "faults")

    def requests(self, path: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        return self.call("GET", "requests", path=path, limit=limit)

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.call("POST", "clock", {"advanceSeconds": seconds})

    def media(self, conversation_id: str, recording_id: str) -> bytes:
        """The recording's WAV bytes (the truth a batch download's resultUrl must serve)."""
        resp = self._send("GET", f"{self.url}/_sandbox/media/{conversation_id}/{recording_id}.wav")
        if resp.status != 200:
            raise SandboxControlError(resp.status, resp.data.decode("utf-8", "replace"), _retry_after(resp))
        return resp.data

    def set_file_state(self, conversation_id: str, recording_id: str, file_state: str) -> dict[str, Any]:
        """Mark a recording ARCHIVED or DELETED (AVAILABLE undoes it)."""
        return self.call("PATCH", f"conversations/{conversation_id}/recordings/{recording_id}",
                         {"fileState": file_state})

    # a training room (the admin token) ----------------------------------------------------------
    def room(self) -> dict[str, Any]:
        """``GET /_room``: the room id, its seats, per seat the org and client ids (no secret)."""
        return self._request("GET", "/_room")

    def seat(self, number: int) -> dict[str, Any]:
        return self._request("GET", f"/_room/seats/{number}")

    def reset_seat(self, number: int) -> dict[str, Any]:
        """That seat's org back to the room's copy of the demo; the other seats are untouched."""
        return self._request("POST", f"/_room/seats/{number}/reset")


def _retry_after(resp: urllib3.BaseHTTPResponse) -> float | None:
    """A 429's ``Retry-After`` seconds (the room sends whole seconds >= 1), else None."""
    value = resp.headers.get("Retry-After") if resp.status == 429 else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
