"""docs/sandbox.md §9 cannot drift from the sandbox (issue 18, item 7): every ``/api/v2`` route §9
names as not emulated answers 501 ``sandbox.not.emulated`` naming it, and every route its
"Served" bullet names is answered by an emulated route (the request log's ``route``)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from recops.sandbox.http import sdk_routes

from .http_helpers import request

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/api/v2/[^`\s]+)`")
PLACEHOLDER = "0a0a0a0a-0000-4000-8000-00000000beef"
REAL = {" ".join(line.split(" ")[:2]) for line in sdk_routes.ROUTES}


def _section_9() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("\n## 9. What the sandbox does not emulate")
    return text[start:text.index("\n## 10.", start)]


def _expand(path: str) -> list[str]:
    """``/x/{a|b}/{id}`` -> ``/x/a/{id}``, ``/x/b/{id}``: alternatives written in one route."""
    parts = [seg[1:-1].split("|") if seg.startswith("{") and "|" in seg else [seg] for seg in path.split("/")]
    return ["/".join(p) for p in itertools.product(*parts)]


def _routes(text: str) -> list[tuple[str, str]]:
    return [(m, p) for m, raw in ROUTE.findall(text) for p in _expand(raw)]


def _bullets() -> tuple[str, str]:
    """(§9 without its "Served" bullet, that bullet)."""
    section = _section_9()
    start = section.index("\n- **Served**")
    end = section.index("\n- ", start + 1)
    return section[:start] + section[end:], section[start:end]


def _url(sb, path: str) -> str:
    return sb.url + re.sub(r"\{[^/]+\}", PLACEHOLDER, path)


def test_every_route_section_9_says_is_not_emulated_answers_501(sb, supervisor):
    not_emulated, _ = _bullets()
    routes = _routes(not_emulated)
    assert len(routes) >= 15, routes  # the list is there to be checked
    for method, path in routes:
        shape = re.sub(r"\{[^/]+\}", "{}", path)
        assert any(re.sub(r"\{[^/]+\}", "{}", r) == f"{method} {shape}" for r in REAL), \
            f"§9 names {method} {path}, which no SDK operation has"
        r = request(method, _url(sb, path), token=supervisor.access_token,
                    json_body={} if method in ("POST", "PUT", "PATCH") else None)
        assert r.status == 501 and r.body["code"] == "sandbox.not.emulated", (method, path, r.status, r.body)
        assert r.body["message"].startswith(f"{method} /api/v2/"), r.body


def test_every_route_section_9_says_is_served_is_answered_by_an_emulated_route(sb, supervisor):
    _, served = _bullets()
    routes = _routes(served)
    assert ("GET", "/api/v2/users/me") in routes and ("GET", "/api/v2/routing/queues") in routes
    sb.control.call("DELETE", "requests")
    for method, path in routes:
        r = request(method, _url(sb, path), token=supervisor.access_token)
        assert r.status != 501, (method, path, r.body)
    log = sb.control.requests()
    for (method, path), entry in zip(routes, log, strict=True):
        assert entry["method"] == method and "route" in entry, entry
        assert re.sub(r"\{[^/]+\}", "{}", entry["route"]) == re.sub(r"\{[^/]+\}", "{}", path)
    # /users/me with client credentials: 400 not.a.user, as §9 says
    assert log[routes.index(("GET", "/api/v2/users/me"))]["code"] == "not.a.user"
