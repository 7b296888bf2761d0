"""The sandbox's one route table: ``/oauth``, ``/api/v2``, ``/_sandbox`` and the media host ``/media``.

A route is a method, a pattern of path segments (``{name}`` captures one segment) and a
handler ``handler(req) -> Reply | Awaitable[Reply]``. Adding an endpoint is one row in
``route_table`` plus one handler method.

Routing works on the raw path split into segments, each percent-decoded on its own
(``wire.split_path``): a decoded ``/`` can never cross a segment boundary, and an unsafe
path is never routed. Rows are tried in table order within one method and length, so a
literal row (``conversations/calls``) listed before a captured one (``conversations/{cid}``)
wins. A known path with another method is simply unmatched (404) [inferred].

The *plane* of a request (which prefix it falls under) decides which pipeline steps apply:
faults, latency, authentication, the rate limit and the request log belong to the emulated
API (``/oauth``, ``/api/v2``); the control plane (``/_sandbox``) has none of them; the media host
(``/media``, batch-download result URLs) has faults, latency and the log, no token and no rate limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..room.api import RoomApi
from ..room.board import BoardApi
from ..services.batch_downloads import BatchDownloadApi
from ..services.directory import DirectoryApi
from ..services.media import MediaHost
from .wire import Reply, Request

if TYPE_CHECKING:
    from ..control.plane import Control
    from ..services.conversations import GenesysApi
    from ..services.recordings import RecordingsApi

Handler = Callable[[Request], "Reply | Awaitable[Reply]"]


@dataclass(frozen=True)
class Plane:
    """Which pipeline steps a request under ``prefix`` goes through."""

    name: str
    prefix: tuple[str, ...]
    faults: bool = False  # fault injection and the latency setting
    authenticated: bool = False  # bearer token + per-token rate limit (inin-ratelimit-*)
    logged: bool = False  # an entry in the request log
    sandbox_errors: bool = False  # its own errors use sandbox.* codes
    media: bool = False  # the media host: S3-style XML errors, download fields in the request log


OAUTH = Plane("oauth", ("oauth",), faults=True, logged=True)
API = Plane("api", ("api", "v2"), faults=True, authenticated=True, logged=True)
CONTROL = Plane("control", ("_sandbox",), sandbox_errors=True)
ROOM = Plane("room", ("_room",), sandbox_errors=True)  # a training room's endpoints (room_api.py)
# Signed result URLs carry no bearer token [inferred], so no authentication and no per-token rate limit.
MEDIA = Plane("media", ("media",), faults=True, logged=True, media=True)
OTHER = Plane("other", ())
PLANES = (API, OAUTH, CONTROL, ROOM, MEDIA)


def plane_of(segments: tuple[str, ...]) -> Plane:
    for plane in PLANES:
        if segments[: len(plane.prefix)] == plane.prefix:
            return plane
    return OTHER


@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str, ...]
    handler: Handler

    @property
    def plane(self) -> Plane:
        return plane_of(self.pattern)

    @property
    def path(self) -> str:
        return "/" + "/".join(self.pattern)

    def match(self, segments: tuple[str, ...]) -> dict[str, str] | None:
        if len(segments) != len(self.pattern):
            return None
        params: dict[str, str] = {}
        for want, got in zip(self.pattern, segments, strict=True):
            if want[:1] == "{":
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params


class RouteTable:
    """Routes indexed by (method, number of segments); first match in table order wins."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = tuple(routes)
        self._index: dict[tuple[str, int], list[Route]] = {}
        for r in routes:
            self._index.setdefault((r.method, len(r.pattern)), []).append(r)

    def find(self, method: str, segments: tuple[str, ...]) -> tuple[Route, dict[str, str]] | None:
        for r in self._index.get((method, len(segments)), ()):
            params = r.match(segments)
            if params is not None:
                return r, params
        return None

    def under(self, prefix: tuple[str, ...]) -> list[Route]:
        """The routes whose pattern starts with ``prefix`` (for help messages)."""
        return [r for r in self.routes if r.pattern[: len(prefix)] == prefix]


def _p(path: str) -> tuple[str, ...]:
    return tuple(path.strip("/").split("/"))


def route_table(api: GenesysApi, recordings: RecordingsApi, control: Control) -> RouteTable:
    j = "api/v2/analytics/conversations/details/jobs"
    c = "api/v2/conversations"
    s = "_sandbox"
    directory = DirectoryApi(api.state)  # queue and user names
    batch = BatchDownloadApi(api.state)  # recording batch downloads (batch_download.py)
    media = MediaHost(api.state)  # their signed result URLs (media.py)
    room = RoomApi(control)  # /_room: a training room's seats
    board = BoardApi(control)  # /_room/board: the trainer's view of the seats (board.py)
    rows = [
        # --- token endpoint ---
        ("POST", "oauth/token", api.oauth_token),
        # --- emulated Genesys API (literal segments before captures: /conversations/calls is no id) ---
        ("GET", c, api.list_conversations),
        ("GET", f"{c}/calls", api.list_calls),
        ("GET", f"{c}/calls/{{cid}}", api.get_call),
        ("PATCH", f"{c}/calls/{{cid}}", api.patch_call),
        ("PATCH", f"{c}/calls/{{cid}}/participants/{{pid}}", api.patch_call_participant),
        ("PUT", f"{c}/{{media}}/{{cid}}/recordingstate", api.put_recordingstate),
        ("GET", f"{c}/{{cid}}", api.get_conversation),
        ("PATCH", f"{c}/{{cid}}/recordingstate", api.patch_recordingstate),
        ("PATCH", f"{c}/{{cid}}/participants/{{pid}}", api.patch_participant),
        ("GET", f"{c}/{{cid}}/recordings", recordings.list_recordings),
        ("GET", f"{c}/{{cid}}/recordings/{{rid}}", recordings.get_recording),
        ("PUT", f"{c}/{{cid}}/recordings/{{rid}}", recordings.put_recording),
        ("GET", f"{c}/{{cid}}/recordingmetadata", recordings.list_metadata),
        ("GET", f"{c}/{{cid}}/recordingmetadata/{{rid}}", recordings.get_metadata),
        ("POST", "api/v2/analytics/conversations/details/query", api.details_query),
        ("GET", "api/v2/analytics/conversations/{cid}/details", api.analytics_details),
        ("POST", j, api.jobs_submit),
        ("GET", f"{j}/availability", api.jobs_availability),
        ("GET", f"{j}/{{jobId}}", api.jobs_status),
        ("DELETE", f"{j}/{{jobId}}", api.jobs_delete),
        ("GET", f"{j}/{{jobId}}/results", api.jobs_results),
        ("GET", "api/v2/users/me", api.users_me),
        # names: queues and users (directory_api.py); users/me above wins over users/{userId}
        ("GET", "api/v2/routing/queues", directory.list_queues),
        ("GET", "api/v2/routing/queues/{queueId}", directory.get_queue),
        ("GET", "api/v2/users", directory.list_users),
        ("GET", "api/v2/users/{userId}", directory.get_user),
        ("POST", "api/v2/recording/batchrequests", batch.batch_submit),
        ("GET", "api/v2/recording/batchrequests/{jobId}", batch.batch_status),
        # --- media host: batch-download result URLs (signed, no bearer token) ---
        ("GET", "media/batch/{jobId}/{cid}/{file}", media.download),
        # --- control plane (docs/sandbox.md) ---
        ("GET", f"{s}/health", control.health),
        ("GET", f"{s}/settings", control.get_settings),
        ("PUT", f"{s}/settings", control.put_settings),
        ("GET", f"{s}/assumptions", control.assumptions),
        ("GET", f"{s}/scenarios", control.list_scenarios),
        ("POST", f"{s}/scenarios/{{name}}", control.load_scenario),
        ("POST", f"{s}/reset", control.post_reset),
        ("POST", f"{s}/clients", control.create_client),
        ("GET", f"{s}/clients", control.list_clients),
        ("GET", f"{s}/clients/{{clientId}}", control.get_client),
        ("PATCH", f"{s}/clients/{{clientId}}", control.patch_client),
        ("POST", f"{s}/users", control.create_user),
        ("POST", f"{s}/queues", control.create_queue),
        ("POST", f"{s}/tokens", control.user_token),
        ("POST", f"{s}/conversations", control.create_conversation),
        ("GET", f"{s}/conversations", control.list_conversations),
        ("GET", f"{s}/conversations/{{cid}}", control.get_conversation),
        ("POST", f"{s}/conversations/{{cid}}/disconnect", control.disconnect),
        ("POST", f"{s}/conversations/{{cid}}/hold", control.hold),
        ("PATCH", f"{s}/conversations/{{cid}}/recordings/{{rid}}", control.patch_recording),
        ("POST", f"{s}/seed", control.seed),
        ("POST", f"{s}/faults", control.add_faults),
        ("GET", f"{s}/faults", control.list_faults),
        ("DELETE", f"{s}/faults", control.clear_faults),
        ("POST", f"{s}/clock", control.advance_clock),
        ("GET", f"{s}/clock", control.get_clock),
        ("GET", f"{s}/requests", control.list_requests),
        ("DELETE", f"{s}/requests", control.clear_requests),
        ("GET", f"{s}/media/{{cid}}/{{file}}", control.media),
        ("GET", f"{s}/analytics/jobs", control.analytics_jobs),
        ("PATCH", f"{s}/analytics/jobs/{{jobId}}", control.analytics_job_patch),
        # --- a training room (room_api.py; the admin token) ---
        ("GET", "_room", room.info),
        ("GET", "_room/seats/{n}", room.seat),
        ("POST", "_room/seats/{n}/reset", room.reset_seat),
        ("GET", "_room/board", board.board_json),
        ("GET", "_room/board.html", board.board_html),  # answers 401 itself without the token
        ("GET", "_room/results.csv", board.results_csv),
    ]
    return RouteTable([Route(method, _p(path), handler) for method, path, handler in rows])
