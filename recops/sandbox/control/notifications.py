"""The control plane's notification faults (issue 20): ``POST /_sandbox/notifications/faults``
``{"kind": "drop"|"delay"|"socketClosing"|"expire", "channelId"?: ..., "seconds"?: ...}`` on one
channel or (no ``channelId``) every channel, acted out by the notification service
(services/notifications.py ``apply_fault``):

- ``drop``: the socket is closed at once (code 1011), with no ``socket_closing`` first;
- ``delay``: each event waits ``seconds`` before it is sent (0 ends the delay; without a
  ``channelId`` it also applies to channels made later);
- ``socketClosing``: ``v2.system.socket_closing`` now, the socket closed ``seconds`` later
  (default: the ``notificationSocketClosingSeconds`` setting); the channel lives on;
- ``expire``: the channel expires now (its socket closes, HEAD answers 404).
"""

from __future__ import annotations

from typing import ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors
from ..model.state import SandboxState
from ..services.notifications import NotificationsApi


class NotificationsControl:
    def __init__(self, state: SandboxState, service: NotificationsApi) -> None:
        self.state = state
        self.service = service

    def faults(self, req: Request) -> Reply:
        try:
            body = req.json()
        except errors.ApiError as e:
            raise errors.sandbox_bad_request(f"the body must be JSON ({e.code})") from None
        kinds = NotificationsApi.FAULTS
        usage = f'{{"kind": one of {", ".join(kinds)}, "channelId"?: "<id>", "seconds"?: <number>}}'
        if not isinstance(body, dict) or body.get("kind") not in kinds or set(body) - {"kind", "channelId", "seconds"}:
            raise errors.sandbox_bad_request(f"the body must be {usage}")
        seconds, cid = body.get("seconds"), body.get("channelId")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0):
            raise errors.sandbox_bad_request("'seconds' must be a number >= 0")
        if cid is not None and not isinstance(cid, str):
            raise errors.sandbox_bad_request("'channelId' must be a string")
        try:
            touched = self.service.apply_fault(body["kind"], cid, seconds, req.scope_org)
        except LookupError:
            raise errors.sandbox_not_found(
                "no such channel: it expired, was evicted, or is another org's (GET /api/v2/notifications/channels "
                "lists a token's channels)") from None
        return json_reply(200, {"kind": body["kind"], "channels": touched})

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("POST", "_sandbox/notifications/faults", faults),
    )
