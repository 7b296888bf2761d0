"""Raw exchanges for support work: send one request as the session's principal (or with a
given/absent token) and keep everything a support engineer needs to see — method, path,
status, the ``inin-*`` and ``Retry-After`` headers, the body, the contextId — with the
Authorization header never shown.

Used by the error-reproduction notebook; the same request through the SDK would hide the
202 bodies, the headers and the 429 retries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

import urllib3

from recops.base.display import GREEN, RED, box, rich_lines, rich_text
from recops.genesys.explain import Explanation, explain

if TYPE_CHECKING:
    from recops.session import Session

SHOWN_HEADERS = ("inin-correlation-id", "inin-ratelimit-count", "inin-ratelimit-allowed", "inin-ratelimit-reset",
                 "retry-after", "content-type", "x-sandbox-fault", "x-sandbox-fault-id")
USE_SESSION = object()


@dataclass
class RawExchange:
    method: str
    path: str
    request_body: Any
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    token: str = "session token"

    @property
    def context_id(self) -> str | None:
        return self.headers.get("inin-correlation-id")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def explain(self) -> Explanation | None:
        if self.ok:
            return None
        text = json.dumps(self.body) if isinstance(self.body, (dict, list)) else str(self.status)
        return explain(text if isinstance(self.body, dict) else str(self.status))

    def lines(self) -> list[str]:
        """``> METHOD path (Authorization: kind)``, the request body, ``< status``, the kept headers, the body."""
        lines = [f"> {self.method} {self.path}   (Authorization: {self.token})"]
        if self.request_body is not None:
            lines.append(f"> {json.dumps(self.request_body)}")
        lines.append(f"< {self.status}")
        lines += [f"< {k}: {v}" for k, v in self.headers.items()]
        if self.body not in (None, ""):
            lines.append(f"< {json.dumps(self.body) if not isinstance(self.body, str) else self.body}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython's plain text
        p.text(str(self))

    def __rich__(self) -> Any:
        status = f"< {self.status}"
        status_style = "bold green" if self.ok else "bold red"
        return rich_lines(rich_text((line, status_style if line == status else "cyan" if line.startswith(">") else ""))
                          for line in self.lines())

    def _repr_html_(self) -> str:
        color = GREEN if self.ok else RED
        status = f"< {self.status}"
        body = "\n".join(f'<b style="color:{color}">{escape(line)}</b>' if line == status else escape(line)
                         for line in self.lines())
        return box("recops-exchange", color, f'<pre style="margin:0;white-space:pre-wrap">{body}</pre>')


def raw(session: Session, method: str, path: str, body: Any = None, token: Any = USE_SESSION,
        query: dict[str, str] | None = None) -> RawExchange:
    """One request, no retries. ``token``: the session's (default), a string, or ``None`` for none."""
    client = session.client
    api = client.api_client
    base = client.base_url
    headers = {"Accept": "application/json"}
    shown = "none"
    if token is USE_SESSION:
        headers["Authorization"] = f"Bearer {api.access_token}"
        shown = "Bearer <the session's token>"
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
        shown = "Bearer <a given token>"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    url = f"{base}{path}"
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=30))
    resp = http.request(method, url, body=data, headers=headers)
    text = resp.data.decode("utf-8", "replace")
    try:
        parsed: Any = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = text
    kept = {k: resp.headers[k] for k in SHOWN_HEADERS if k in resp.headers}
    return RawExchange(method, path, body, resp.status, kept, parsed, shown)
