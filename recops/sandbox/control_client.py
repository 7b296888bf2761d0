"""A small client for the ``/_sandbox`` control plane (used by tests, notebooks and recops).

It speaks plain urllib3 JSON, so it costs nothing to import, and raises
``SandboxControlError`` with the server's message on any non-2xx reply.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import urllib3


class SandboxControlError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else body
        super().__init__(f"sandbox control plane answered {status}: {message}")


class SandboxClient:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=timeout))

    def call(self, method: str, endpoint: str, body: Any = None, **query: Any) -> Any:
        fields = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in query.items() if v is not None}
        url = f"{self.url}/_sandbox/{endpoint.lstrip('/')}"
        if fields:
            url += "?" + urlencode(fields)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        resp = self._http.request(method, url, body=data, headers=headers)
        payload: Any = None
        if resp.data:
            try:
                payload = json.loads(resp.data)
            except ValueError:
                payload = resp.data.decode("utf-8", "replace")
        if not 200 <= resp.status < 300:
            raise SandboxControlError(resp.status, payload)
        return payload

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

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        return self.call("GET", f"conversations/{conversation_id}")

    def conversations(self, org: str | None = None, active: bool | None = None,
                      limit: int | None = None) -> list[dict[str, Any]]:
        """Summaries of the conversations (the server returns at most ``limit``, default 1000)."""
        return self.call("GET", "conversations", org=org, active=active, limit=limit)

    def disconnect(self, conversation_id: str, participant_id: str | None = None) -> dict[str, Any]:
        body = {"participantId": participant_id} if participant_id else {}
        return self.call("POST", f"conversations/{conversation_id}/disconnect", body)

    def hold(self, conversation_id: str, participant_id: str, held: bool = True) -> dict[str, Any]:
        body = {"participantId": participant_id, "held": held}
        return self.call("POST", f"conversations/{conversation_id}/hold", body)

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
        resp = self._http.request("GET", f"{self.url}/_sandbox/media/{conversation_id}/{recording_id}.wav")
        if resp.status != 200:
            raise SandboxControlError(resp.status, resp.data.decode("utf-8", "replace"))
        return resp.data

    def set_file_state(self, conversation_id: str, recording_id: str, file_state: str) -> dict[str, Any]:
        """Mark a recording ARCHIVED or DELETED (AVAILABLE undoes it)."""
        return self.call("PATCH", f"conversations/{conversation_id}/recordings/{recording_id}",
                         {"fileState": file_state})
