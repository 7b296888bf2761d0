"""The ``Authorization`` header, read once, and described by its shape only: never echoed.

A header is ``<scheme><whitespace><value>``: the scheme is everything up to the first whitespace
of any kind (space, tab, a no-break space ...), lower-cased; the value is the rest, stripped. A
header that is not ``Bearer <token>`` or ``Basic <base64>`` may well *be* a secret (a token
pasted without its scheme, ``Basic:<base64>``), so an error names its shape (``shape()``: no
scheme, an unknown scheme of N characters, a known scheme name from a fixed list) and never
repeats any of it.

Where the sandbox compares secrets (each in constant time, on bytes, so a non-ASCII secret is a
wrong secret rather than a ``TypeError``): the admin token (``control/auth.py`` and the trainer
board's page, ``room/board.py``), a client's secret on the control plane (``control/auth.py``)
and at ``/oauth/token`` (``services/oauth.py``), a media link's signature
(``services/media.py``). A bearer token on ``/api/v2`` is found by a dict lookup
(``SandboxState.authenticate``): the dict hashes the presented value with the interpreter's
keyed, per-process hash and compares only values whose hashes are equal, so how long it takes
says nothing about how many leading characters of a real token were right.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

EXPECTED = "'Bearer <token>' or 'Basic <base64>'"
# Schemes named back by their (fixed, public) name, so a caller learns which it sent; any other
# scheme is only counted, since it may be a secret pasted without one.
NAMED_SCHEMES = {"bearer": "Bearer", "basic": "Basic", "digest": "Digest", "negotiate": "Negotiate",
                 "ntlm": "NTLM", "token": "Token", "hoba": "HOBA", "mutual": "Mutual",
                 "aws4-hmac-sha256": "AWS4-HMAC-SHA256", "dpop": "DPoP", "oauth": "OAuth"}


@dataclass(frozen=True)
class Authorization:
    """One ``Authorization`` header, split. ``repr`` shows neither the value nor the scheme."""

    scheme: str = field(repr=False)  # lower-cased; "" without any whitespace (no scheme) or no header
    value: str = field(repr=False)  # after the first whitespace, stripped
    present: bool = True

    @property
    def bearer(self) -> bool:
        return self.scheme == "bearer"

    @property
    def basic(self) -> bool:
        return self.scheme == "basic"

    def shape(self) -> str:
        """What the header looks like, holding none of it: for an error message."""
        if not self.present:
            return "there is no Authorization header"
        if not self.scheme:
            return "it has no scheme: no space between a scheme and a value"
        named = NAMED_SCHEMES.get(self.scheme)
        if named is not None:
            return f"its scheme is {named}" + ("" if self.value else ", with nothing after it")
        return f"it has an unknown scheme of {len(self.scheme)} characters"


def parse_authorization(header: str | None) -> Authorization:
    text = (header or "").strip()
    if not text:
        return Authorization("", "", present=False)
    parts = text.split(None, 1)  # str.split(None): any whitespace, unicode included
    if len(parts) == 1:  # "Bearer" alone is that scheme without a value; anything else has no scheme
        return Authorization(text.lower(), "") if text.lower() in NAMED_SCHEMES else Authorization("", text)
    return Authorization(parts[0].lower(), parts[1].strip())


def malformed(auth: Authorization) -> str:
    """The message part for a header that is neither ``Bearer`` nor ``Basic``."""
    return f"the Authorization header is not {EXPECTED} ({auth.shape()})"


def same_secret(given: str | None, expected: str) -> bool:
    """``given == expected`` in constant time (for a given length), on UTF-8 bytes: a non-ASCII
    ``given`` is simply unequal (``hmac.compare_digest`` raises ``TypeError`` on such a str)."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


__all__ = ["EXPECTED", "Authorization", "malformed", "parse_authorization", "same_secret"]
