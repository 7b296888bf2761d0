"""``/_room``: a training room's endpoints (the admin token; control/auth.py).

- ``GET /_room``: the room id, the number of seats, per seat its org and client ids (never a
  secret).
- ``GET /_room/seats/{n}``: one seat, the same fields and ``liveTokens`` (how many unexpired
  tokens its org holds: a count, never a token).
- ``POST /_room/seats/{n}/reset``: that seat's org back to the room's copy of the demo.

A seat number out of range is 404 ``sandbox.not.found`` naming the valid range; on a sandbox
that is no room, every ``/_room`` endpoint is 404 saying how to start one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors

if TYPE_CHECKING:
    from ..control.plane import Control
    from .seats import Room


class RoomApi:
    def __init__(self, control: Control) -> None:
        self.control = control

    def _room(self) -> Room:
        room = self.control.room
        if room is None:
            raise errors.sandbox_not_found("this sandbox is not a training room: start one with "
                                           "`recops room serve --seats N` (docs/sandbox.md, the room)")
        return room

    def info(self, req: Request) -> Reply:
        return json_reply(200, self._room().public())

    def seat(self, req: Request) -> Reply:
        seat = self._room().seat(req.params["n"])
        return json_reply(200, {**seat.public(), "liveTokens": self.control.state.live_tokens(seat.org)})

    async def reset_seat(self, req: Request) -> Reply:
        room = self._room()
        seat = room.seat(req.params["n"])
        return json_reply(200, await self.control.reset_org(seat.org))  # built off the event loop

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", "_room", info),
        Row("GET", "_room/seats/{n}", seat),
        Row("POST", "_room/seats/{n}/reset", reset_seat),
    )
