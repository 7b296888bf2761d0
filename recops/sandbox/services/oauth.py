"""The token endpoint: ``POST /oauth/token`` (client credentials only; a user token comes
from the control plane, ``POST /_sandbox/tokens``).

Minting is limited per org by the ``tokenMintsPerMinute`` setting (0, a plain sandbox's default:
no limit; a training room: 60), one budget with ``POST /_sandbox/tokens``, spent only once the
client's credentials are right (a stranger cannot spend a seat's budget). Past it: 429 with
``Retry-After`` and the OAuth-style body ``{"error": "too_many_requests", "description": ...}``
[inferred: Genesys's token endpoint has a limit, ``token.rate.per.minute``, whose value and
answer are not documented].
"""

from __future__ import annotations

import base64
import binascii
from typing import ClassVar
from urllib.parse import parse_qs

from ..http.credentials import same_secret
from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model.errors import OAuthError
from ..model.models import Token
from ..model.state import SandboxState

# Grant types a client may send by mistake, named back in the error (RFC 6749, RFC 7523, Genesys's SAML2 bearer)
OTHER_GRANTS = frozenset({"", "authorization_code", "password", "refresh_token", "implicit", "token", "code",
                          "urn:ietf:params:oauth:grant-type:jwt-bearer",
                          "urn:ietf:params:oauth:grant-type:saml2-bearer"})


class _MintLimited(Exception):
    def __init__(self, org: str, limit: int, wait: int) -> None:
        super().__init__(org)
        self.org, self.limit, self.wait = org, limit, wait


class OAuthApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def oauth_token(self, req: Request) -> Reply:
        try:
            token = self._grant(req)
        except OAuthError as e:
            return json_reply(e.status, e.body())
        except _MintLimited as e:
            body = OAuthError("too_many_requests", f"{e.org} minted {e.limit} tokens this minute, its most; "
                              f"retry in {e.wait} seconds", status=429).body()
            return json_reply(429, body, headers={"Retry-After": str(e.wait)})
        return json_reply(200, {
            "access_token": token.value,
            "token_type": "bearer",
            "expires_in": max(0, round(token.expires_at - self.state.clock.now())),
        })

    def _grant(self, req: Request) -> Token:
        if req.content_type != "application/x-www-form-urlencoded":
            # [inferred] shape: the OAuth error body, as the documented invalid_client ones
            raise OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        try:
            form = parse_qs(req.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise OAuthError("invalid_request", "the form body is not valid UTF-8") from None
        grant = (form.get("grant_type") or [""])[-1]
        if grant != "client_credentials":
            # named only when it is a standard grant: any other text may be a secret pasted there
            named = repr(grant) if grant in OTHER_GRANTS else f"of {len(grant)} characters"
            raise OAuthError("unsupported_grant_type", f"grant type {named} is not supported by the sandbox; "
                             "use client_credentials, or POST /_sandbox/tokens for a user token")
        client_id, secret = _basic_auth(req.headers.get("authorization", ""))
        if client_id is None:  # form fields work too (reported, undocumented)
            client_id = (form.get("client_id") or [None])[-1]
            secret = (form.get("client_secret") or [None])[-1]
        with self.state.lock:
            client = self.state.clients.get(client_id or "")
            if client is None:
                raise OAuthError("invalid_client", "client not found")
            if not same_secret(secret, client.secret):  # constant time, on bytes (http/credentials.py)
                raise OAuthError("invalid_client", "authentication failed")
            if "client_credentials" not in client.grants:
                raise OAuthError("unauthorized_client",
                                 "client is not authorized to use the client_credential grant type")
            wait = self.state.mint_wait(client.org)
            if wait:
                raise _MintLimited(client.org, self.state.settings.token_mints_per_minute, wait)
            return self.state.issue_client_token(client)

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("POST", "oauth/token", oauth_token),
    )


def _basic_auth(header: str) -> tuple[str | None, str | None]:
    if not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    if ":" not in decoded:
        return None, None
    cid, _, secret = decoded.partition(":")
    return cid, secret

