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
- Wrong credentials or token: 401 ``sandbox.unauthorized``, saying what to send; a header that
  is neither ``Bearer`` nor ``Basic`` is named by its shape only (``http/credentials.py``).

The step below (``ControlAuth``) runs in the pipeline before the handler and sets
``Request.scope_org``; the control handlers narrow what they read and change to it
(``scoped_org``). A request that was never read (a body over the limit: 413; an unsafe path:
404) is passed on unasked, so that error is the answer, whoever sent it. No secret is ever
echoed: error messages name the client id at most, and the control plane is not in the request
log. Secrets are compared in constant time (``same_secret``).

A sandbox bound to anything but loopback refuses to start without an admin token
(``check_bind``): the control plane can read every secret and change every conversation. The
CLI takes admin tokens of ``MIN_ADMIN_TOKEN_CHARS`` or more only (``check_admin_token``).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress

from ..http.credentials import Authorization, malformed, parse_authorization, same_secret
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


# The shortest admin token the CLI accepts [room's own choice; Genesys has no admin token]:
# 24 characters of a random URL-safe token (64 symbols) are 144 bits, beyond any guessing over
# HTTP; `recops room serve` generates 43 (secrets.token_urlsafe(32)).
MIN_ADMIN_TOKEN_CHARS = 24


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


def check_admin_token(token: str) -> None:
    """``ValueError`` (holding nothing of the token) unless it is long enough to be one: what
    ``recops room serve`` and ``recops sandbox serve`` accept, from any source."""
    if len(token) < MIN_ADMIN_TOKEN_CHARS:
        raise ValueError(
            f"the admin token must have at least {MIN_ADMIN_TOKEN_CHARS} characters (this one has {len(token)}): "
            "leave it out to have one generated (recops room serve), or make one with "
            "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"`")


def check_bind(host: str, admin_token: str | None) -> None:
    """``ValueError`` saying what to do when a sandbox would serve an open control plane beyond
    this machine."""
    if admin_token is None and not is_loopback(host):
        raise ValueError(
            f"refusing to serve on {host} without an admin token: anyone who reaches the control plane "
            "could read every client secret and change every conversation. Set RECOPS_ADMIN_TOKEN or pass "
            f"--admin-token-file PATH (a token of at least {MIN_ADMIN_TOKEN_CHARS} characters; --admin-token "
            "TOKEN works too, but a token on the command line shows in ps), or run a training room with "
            "`recops room serve`, or keep --host 127.0.0.1")
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
        auth = parse_authorization(req.headers.get("authorization"))
        query_token = req.q("token") if req.segments[:1] == ROOM.prefix else None
        if not auth.present and query_token is not None:
            auth = Authorization("bearer", query_token)
        if not auth.present:
            if (req.method, pattern) in OPEN_ROUTES:
                return None
            raise unauthorized(f"this sandbox's control plane needs credentials: {HOW_TO_AUTHENTICATE}")
        if auth.bearer:
            if auth.value and same_secret(auth.value, self._admin_token):
                return None
            raise unauthorized("wrong admin token: use the token `recops room serve` printed (also in the "
                               "cards folder, file admin-token); a seat uses its card's Basic credentials instead")
        if auth.basic:
            org = self._client_org(auth.value)
            if org is None:
                raise unauthorized("wrong client id or secret: use the clientId and clientSecret of your seat "
                                   "card (RECOPS_SEAT_CARD), or ask the trainer for your card")
            if (req.method, pattern) not in SEAT_ROUTES:
                what = f"{req.method} {pattern or req.path}"
                raise forbidden(f"{org} may not call {what}: {SEAT_MAY}")
            return org
        raise unauthorized(f"{malformed(auth)}: {HOW_TO_AUTHENTICATE}")  # its shape, never its text

    def _client_org(self, value: str) -> str | None:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            return None
        client = self.state.clients.get(client_id)
        if client is None or not same_secret(secret, client.secret):
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
        if ex.req.early_error is not None:  # an unsafe path (404) or a body over the limit (413): the
            return  # request was never read, so it is answered as such before anyone is asked who they are
        found = self.routes.find(ex.req.method, ex.req.segments)
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
