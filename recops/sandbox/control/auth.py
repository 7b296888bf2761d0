"""Who may use the control plane (``/_sandbox/*``, ``/_room/*``), and on which org.

A sandbox started without an admin token (``recops sandbox serve`` on loopback, the embedded
one) keeps its control plane open, as it always was. With an admin token (every room;
``recops sandbox serve --admin-token``) each control request says who it is:

- ``Authorization: Bearer <admin token>``: the trainer; everything.
- ``Authorization: Basic base64(clientId:clientSecret)`` of an OAuth client of the sandbox (a
  seat's ``seat-NN-supervisor``, from its card): acts as that client's org only (its *scope*).
  It may reset its own org, mint its own users' tokens, read, disconnect and hold its own
  conversations, read its own org's clients and recordings, and read the health (``SEAT_ROUTES``);
  anything else is 403 ``sandbox.forbidden``.
- ``?token=<admin token>`` on a ``/_room`` URL: the trainer too (a page a browser opens, such
  as the trainer's board, cannot send a header on navigation); a wrong one is 401.
- Nothing: only ``OPEN_ROUTES`` answer (``GET /_sandbox/health``: the room id, no secret).
- Wrong credentials or token: 401 ``sandbox.unauthorized``, saying what to send.

The step below (``ControlAuth``) runs in the pipeline before the handler and sets
``Request.scope_org``; the control handlers narrow what they read and change to it
(``scoped_org``). No secret is ever echoed: error messages name the client id at most, and
the control plane is not in the request log.

A sandbox bound to anything but loopback refuses to start without an admin token
(``check_bind``): the control plane can read every secret and change every conversation.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress

from ..http.pipeline import Exchange
from ..http.routes import CONTROL, ROOM, RouteTable
from ..http.wire import Request
from ..model.errors import ApiError
from ..model.state import SandboxState

# (method, path pattern) of the control routes a seat's credentials may call; each handler
# narrows itself to the seat's org.
SEAT_ROUTES = frozenset({
    ("GET", "/_sandbox/health"),
    ("POST", "/_sandbox/reset"),
    ("GET", "/_sandbox/clients"),
    ("GET", "/_sandbox/clients/{clientId}"),
    ("POST", "/_sandbox/tokens"),
    ("GET", "/_sandbox/conversations"),
    ("GET", "/_sandbox/conversations/{cid}"),
    ("POST", "/_sandbox/conversations/{cid}/disconnect"),
    ("POST", "/_sandbox/conversations/{cid}/hold"),
    ("GET", "/_sandbox/media/{cid}/{file}"),
})
# the trainer board's page answers without credentials itself: 401 with a page that asks for
# the admin token, holding neither token nor data (room/board.py)
OPEN_ROUTES = frozenset({("GET", "/_sandbox/health"), ("GET", "/_room/board.html")})

HOW_TO_AUTHENTICATE = ("send 'Authorization: Bearer <admin token>' (the trainer's token, printed by "
                       "`recops room serve` and kept in its cards folder as admin-token) or 'Authorization: "
                       "Basic base64(clientId:clientSecret)' with the clientId and clientSecret of your seat "
                       "card (recops does this for you when RECOPS_SEAT_CARD is set)")
SEAT_MAY = ("a seat may reset its own org, mint its own agents' tokens, read, disconnect and hold its own "
            "conversations and read the health; ask the trainer (admin token) for anything else")


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "sandbox.unauthorized", message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "sandbox.forbidden", message)


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_bind(host: str, admin_token: str | None) -> None:
    """``ValueError`` saying what to do when a sandbox would serve an open control plane beyond
    this machine."""
    if admin_token is None and not is_loopback(host):
        raise ValueError(
            f"refusing to serve on {host} without an admin token: anyone who reaches the control plane "
            "could read every client secret and change every conversation. Pass --admin-token TOKEN "
            "(or set RECOPS_ADMIN_TOKEN), or run a training room with `recops room serve`, or keep "
            "--host 127.0.0.1")
    if admin_token is not None and not admin_token.strip():
        raise ValueError("the admin token is empty: pass a non-empty --admin-token, or leave it out "
                         "to have one generated (recops room serve)")


class ControlGuard:
    """The admin token and the clients' secrets decide who a control request is."""

    def __init__(self, state: SandboxState, admin_token: str | None) -> None:
        self.state = state
        self._admin_token = admin_token

    def __repr__(self) -> str:
        return f"ControlGuard(protected={self.protected})"

    @property
    def admin_token(self) -> str | None:
        """For the process's own control client (``SandboxServer.control``); never shown."""
        return self._admin_token

    @property
    def protected(self) -> bool:
        return self._admin_token is not None

    def caller_org(self, req: Request, pattern: str | None) -> str | None:
        """The org the request is limited to (None: the admin, or an open control plane);
        raises 401/403 ``sandbox.*``."""
        if self._admin_token is None:
            return None
        auth = req.headers.get("authorization", "").strip()
        scheme, _, value = auth.partition(" ")
        scheme, value = scheme.lower(), value.strip()
        query_token = req.q("token") if req.segments[:1] == ROOM.prefix else None
        if not auth and query_token is not None:
            scheme, value, auth = "bearer", query_token, "query"
        if not auth:
            if (req.method, pattern) in OPEN_ROUTES:
                return None
            raise unauthorized(f"this sandbox's control plane needs credentials: {HOW_TO_AUTHENTICATE}")
        if scheme == "bearer":
            if value and hmac.compare_digest(value.encode(), self._admin_token.encode()):
                return None
            raise unauthorized("wrong admin token: use the token `recops room serve` printed (also in the "
                               "cards folder, file admin-token); a seat uses its card's Basic credentials instead")
        if scheme == "basic":
            org = self._client_org(value)
            if org is None:
                raise unauthorized("wrong client id or secret: use the clientId and clientSecret of your seat "
                                   "card (RECOPS_SEAT_CARD), or ask the trainer for your card")
            if (req.method, pattern) not in SEAT_ROUTES:
                what = f"{req.method} {pattern or req.path}"
                raise forbidden(f"{org} may not call {what}: {SEAT_MAY}")
            return org
        raise unauthorized(f"unsupported Authorization scheme {scheme!r}: {HOW_TO_AUTHENTICATE}")

    def _client_org(self, value: str) -> str | None:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            return None
        client = self.state.clients.get(client_id)
        if client is None or not hmac.compare_digest(secret.encode(), client.secret.encode()):
            return None
        return client.org


class ControlAuth:
    """Pipeline step: on the control and room planes, who is calling (``req.scope_org``)."""

    def __init__(self, guard: ControlGuard, routes: RouteTable) -> None:
        self.guard = guard
        self.routes = routes

    async def __call__(self, ex: Exchange) -> None:
        if ex.plane not in (CONTROL, ROOM) or not self.guard.protected:
            return
        found = self.routes.find(ex.req.method, ex.req.segments) if ex.req.early_error is None else None
        pattern = found[0].path if found else None
        ex.req.scope_org = self.guard.caller_org(ex.req, pattern)


def scoped_org(req: Request, asked: str | None = None) -> str | None:
    """The org a control handler reads or changes: a seat's own org (asking for another is
    403), else the one asked for (None: every org)."""
    own = req.scope_org
    if own is None:
        return asked
    if asked not in (None, own):
        raise forbidden(f"{own} may not act on org {asked!r}: {SEAT_MAY}")
    return own
