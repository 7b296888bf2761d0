"""The sandbox as one ASGI app: ``/oauth/token`` and ``/api/v2`` on one origin (so an
unmodified ``ApiClient(host=url)`` reaches both), plus the ``/_sandbox`` control plane, the
``/_room`` endpoints and the media host.

The one place that builds handler objects: each service of ``services.SERVICES`` once over
the state, the control plane, its analytics-jobs view and the room's endpoints; the route
table is assembled from their own rows (``http.routes.route_table``). ``SandboxApp`` reads
the request (raw path split into segments, body within the size limit), runs it through the
``http.pipeline.Pipeline`` of steps and sends the reply. Anything unexpected becomes a
Genesys 500 envelope, never a bare traceback or a hang.

``http`` scopes are served (a ``LiveReply``, the trainer board's server-sent events, is handed the
connection until it ends: room/board_stream.py), and ``websocket`` scopes at ``/channels/{channelId}``: a notification
channel's socket (services/notifications.py; its ``connectUri`` names this host, where the real
one names ``streaming.{region}``); any other WebSocket path is refused. uvicorn runs it with
``lifespan="off"``; a server that sends a ``lifespan`` scope anyway gets a plain return, which ASGI servers take as "no
lifespan support" and carry on.
"""

from __future__ import annotations

from collections import deque
from typing import Any
from urllib.parse import parse_qs

from .control.auth import ControlAuth, ControlGuard
from .control.fairness import FairShare
from .control.jobs import AnalyticsJobsControl
from .control.notifications import NotificationsControl
from .control.plane import Control
from .http.faults import FaultBook
from .http.pipeline import (
    Authenticate,
    CorrelationId,
    DownloadLog,
    ErrorMapping,
    Exchange,
    Faults,
    Handle,
    Latency,
    Pipeline,
    RateLimit,
    RequestLog,
)
from .http.ratelimit import RateLimiter
from .http.real_routes import real_routes
from .http.routes import CONTROL, MEDIA, ROOM, plane_of, route_table
from .http.wire import BadPath, Receive, Request, Send, read_body, send_reply, split_path
from .model import errors
from .model.errors import ApiError
from .model.state import SandboxState
from .room import Room
from .room.api import RoomApi
from .room.board import BoardApi
from .room.board_stream import LiveReply
from .services import SERVICES
from .services.media import no_such_key
from .services.notifications import NotificationsApi


class SandboxApp:
    def __init__(self, state: SandboxState | None = None, scenario: str | None = None, *,
                 room: Room | None = None, admin_token: str | None = None) -> None:
        """``room``: a training room (its seats are the orgs; its admin token protects the
        control plane). ``admin_token`` without a room: the control plane needs it (or a
        client's Basic credentials, for that client's org); without either it is open."""
        self.state = state or SandboxState()
        self.room = room
        if room is not None:
            scenario, admin_token = room.scenario, room.admin_token
        self.services = {cls: cls(self.state) for cls in SERVICES}  # each service's handlers, once
        self.faults = FaultBook()
        self.limiter = RateLimiter()
        log_: deque[dict[str, Any]] = deque(maxlen=self.state.settings.request_log_size)
        self.control = Control(self.state, self.faults, self.limiter, log_, scenario, room)
        self.room_api = RoomApi(self.control)  # /_room: a training room's seats
        self.board = BoardApi(self.control)  # /_room/board: the trainer's view of the seats
        self.routes = route_table([*self.services.values(), self.control, AnalyticsJobsControl(self.state),
                                   NotificationsControl(self.state, self.services[NotificationsApi]),
                                   self.room_api, self.board])
        self.guard = ControlGuard(self.state, admin_token)
        self.pipeline = Pipeline(
            steps=[
                CorrelationId(),
                Faults(self.faults, self.state),
                Latency(self.state),
                Authenticate(self.state),
                RateLimit(self.state, self.limiter),
                ControlAuth(self.guard, self.routes),
                FairShare(self.control.fair),  # a seat's share of the control plane (429 past it)
                Handle(self.routes, not_found={CONTROL.name: self.control.not_found, ROOM.name: self.control.not_found,
                                               MEDIA.name: no_such_key}, real=real_routes),
            ],
            # in a room, each request's facts for the board, as it is logged (room/progress.py)
            final=[RequestLog(lambda: self.control.request_log), *([self.board.progress] if room is not None else []),
                   ErrorMapping(), DownloadLog()],
        )
        if scenario:
            self.control.reset(scenario)

    @property
    def request_log(self) -> deque[dict[str, Any]]:
        """The log lives on the control plane, which replaces it when ``requestLogSize`` changes."""
        return self.control.request_log

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        req = await self.read_request(scope, receive)
        ex = Exchange(req, plane_of(req.segments))
        try:
            reply = await self.pipeline.run(ex)
            if isinstance(reply, LiveReply):  # a live body (the trainer board's events): until it ends
                await reply.serve(send, receive)
                return
            sent, whole = await send_reply(send, reply)
        finally:  # a streamed body is released (its download slot) even if cancelled before it was sent
            if ex.reply is not None:
                ex.reply.close()
        entry = ex.log_entry
        if ex.plane.media and entry is not None and (entry.get("bytes") != sent or not whole):
            entry["bytes"] = sent  # the client went away before the body was written
            entry["complete"] = bool(entry.get("complete")) and whole

    async def websocket(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        """A notification channel's socket; any other path: the upgrade refused (404 or a close)."""
        try:
            segments = split_path((scope.get("raw_path") or scope["path"].encode()).split(b"?", 1)[0])
        except BadPath:
            segments = ()
        notifications = self.services[NotificationsApi]
        if len(segments) == 2 and segments[0] == "channels":
            await notifications.serve_socket(scope, receive, send, segments[1])
            return
        if (await receive()).get("type") == "websocket.connect":
            await send({"type": "websocket.close", "code": 1000})

    async def read_request(self, scope: dict[str, Any], receive: Receive) -> Request:
        """The request, never an exception: an unsafe path (404) or an over-long body (413)
        is kept as ``early_error`` and answered by the pipeline with all its headers."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        limit = self.state.settings.max_body_bytes
        early: ApiError | None = None
        raw_path = scope.get("raw_path") or scope["path"].encode()
        raw_path = raw_path.split(b"?", 1)[0]
        try:
            segments = split_path(raw_path)
            path = "/" + "/".join(segments)
        except BadPath:
            # Unsafe path: 404 whatever it says. The undecoded segments only tell /api/v2 (which
            # gets the inin-ratelimit-* headers and a log entry) from the rest; never routed.
            early = errors.not_found()
            path = raw_path.decode("latin-1")
            segments = tuple(path.lstrip("/").split("/"))
        declared = headers.get("content-length")
        if early is None and declared is not None and declared.isdigit() and int(declared) > limit:
            early = errors.request_entity_too_large(limit)
        body = b""
        if early is None:
            try:
                body = await read_body(receive, limit)
            except ApiError as e:
                early = e
        raw_query = scope.get("query_string", b"")
        query = parse_qs(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else {}
        host = headers.get("host") or "127.0.0.1"
        return Request(
            method=scope["method"].upper(),
            path=path,
            segments=segments,
            query=query,
            headers=headers,
            body=body,
            context_id="",
            base_url=f"{scope.get('scheme', 'http')}://{host}",
            early_error=early,
        )
