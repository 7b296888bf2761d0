"""Helpers for tests/core/test_{errors_explain,transport}.py.

Everything here drives real parts: the unmodified SDK over loopback against the real sandbox
server, and ``recops.api.client.Client`` on recops's transport. Nothing fakes a reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recops.api.client import Client
from recops.api.settings import Settings


def sdk_exception(call: Callable[[], Any]) -> Any:
    """Run an SDK call that must fail; return the real ``ApiException`` it raised."""
    from PureCloudPlatformClientV2.rest import ApiException

    try:
        result = call()
    except ApiException as e:
        return e
    raise AssertionError(f"expected an ApiException, the call returned {result!r}")


def make_client(sb: Any, creds: tuple[str, str], **settings: Any) -> tuple[Client, list[Any]]:
    """A recops ``Client`` on the sandbox as ``creds``; the list collects every ``Wait`` it reports."""
    waits: list[Any] = []
    client = Client(
        Settings.load(env={}, sandbox_url=sb.url, client_id=creds[0], client_secret=creds[1], **settings),
        on_wait=waits.append,
    )
    return client, waits


def log(sb: Any, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
    """The sandbox's request log, optionally only one method and one exact path."""
    return [e for e in sb.control.requests()
            if (method is None or e["method"] == method) and (path is None or e["path"] == path)]


def recording_state(sdk: Any, value: str) -> Any:
    body = sdk.SetRecordingState()
    body.recording_state = value
    return body


def conversation_patch(sdk: Any, value: str) -> Any:
    body = sdk.Conversation()
    body.recording_state = value
    return body
