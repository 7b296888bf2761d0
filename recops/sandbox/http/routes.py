"""The route-table machinery: ``/oauth``, ``/api/v2``, ``/_sandbox``, ``/_room`` and the media host ``/media``.

A route is a method, a pattern of path segments (``{name}`` captures one segment) and a
handler ``handler(req) -> Reply | Awaitable[Reply]``. Each handler class carries its own rows
(``ROUTES``, a tuple of ``Row``: method, path, its own method); ``route_table`` binds the rows
of the handler objects ``sandbox.app`` builds (once) into the one table. Adding an endpoint
is one row plus one handler method, in the service's module.

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

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar, NamedTuple, Protocol

from .wire import Reply, Request

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
ROOM = Plane("room", ("_room",), sandbox_errors=True)  # a training room's endpoints (room/api.py, room/board.py)
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


class Row(NamedTuple):
    """One route as its handler class declares it in its ``ROUTES``: the method, the path
    (``{name}`` captures one segment) and the class's own method that answers it."""

    method: str
    path: str
    handler: Callable[..., Reply | Awaitable[Reply]]


class Endpoints(Protocol):
    """A handler class's object: it carries its own route rows."""

    ROUTES: ClassVar[tuple[Row, ...]]


def routes_of(owner: Endpoints) -> list[Route]:
    """``owner``'s rows, each handler bound to ``owner``."""
    return [Route(r.method, _p(r.path), r.handler.__get__(owner, type(owner))) for r in owner.ROUTES]


def route_table(owners: Iterable[Endpoints]) -> RouteTable:
    """The one table: the owners' rows in the owners' order, each owner's in its own order."""
    return RouteTable([route for owner in owners for route in routes_of(owner)])
