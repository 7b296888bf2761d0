"""Every real route answers as emulated or 501 ``sandbox.not.emulated``, never 404 for the route
(issue 18, item 10). The real routes are the installed SDK's: each ``*_api.py`` operation's path
and method (recops/sandbox/http/real_routes.py parses them; ``sdk_routes.py`` is the committed
list the server reads)."""

from __future__ import annotations

import json
import re

import urllib3

from recops.sandbox.http import sdk_routes
from recops.sandbox.http.real_routes import parse_sdk, sdk_version

from .http_helpers import request

PLACEHOLDER = "0a0a0a0a-0000-4000-8000-00000000beef"  # no entity of the demo has this id
CAPTURE = re.compile(r"\{[^/]+\}")


def _shape(path: str) -> str:
    return CAPTURE.sub("{}", path)


def test_the_committed_route_list_is_the_installed_sdks():
    parsed = parse_sdk()
    assert [r.line() for r in parsed] == list(sdk_routes.ROUTES), \
        "sdk_routes.py is stale: run python -m recops.sandbox.http.real_routes --write"
    assert sdk_version() == sdk_routes.SDK_VERSION
    assert len(parsed) > 3000  # every api module was read, not a handful
    lines = set(sdk_routes.ROUTES)
    assert "POST /api/v2/recording/jobs RecordingApi.post_recording_jobs" in lines
    assert "GET /api/v2/orphanrecordings RecordingApi.get_orphanrecordings" in lines


def test_a_real_route_not_emulated_is_501_naming_it_and_a_made_up_one_is_404(sb, supervisor):
    token = supervisor.access_token
    for method, path, operation in (("POST", "/api/v2/recording/keyconfigurations",
                                     "RecordingApi.post_recording_keyconfigurations"),
                                    ("GET", "/api/v2/recording/crossplatform/mediaretentionpolicies",
                                     "RecordingApi.get_recording_crossplatform_mediaretentionpolicies"),
                                    ("GET", "/api/v2/routing/queues/divisionviews",
                                     "RoutingApi.get_routing_queues_divisionviews")):
        r = request(method, sb.url + path, token=token, json_body={} if method == "POST" else None)
        assert r.status == 501, (path, r.body)
        assert r.body["code"] == "sandbox.not.emulated"
        assert f"{method} {path}" in r.body["message"] and operation in r.body["message"]
    # a queue id is still a queue id: the capture row answers it (404 of the queue, not of the route)
    r = request("GET", f"{sb.url}/api/v2/routing/queues/{PLACEHOLDER}", token=token)
    assert (r.status, r.body["code"]) == (404, "resource.not.found")
    # another method on an emulated path: 501 when that method is real too, else 404
    r = request("DELETE", f"{sb.url}/api/v2/conversations/{PLACEHOLDER}", token=token)
    assert r.status == 501 and "DELETE /api/v2/conversations/{conversationId}" in r.body["message"]
    for method, path in (("GET", "/api/v2/no/such/route"), ("PATCH", "/api/v2/orphanrecordings"),
                         ("POST", f"/api/v2/conversations/{PLACEHOLDER}")):
        r = request(method, sb.url + path, token=token)
        assert (r.status, r.body["code"]) == (404, "not.found"), (path, r.body)


def test_every_route_of_the_installed_sdk_is_emulated_or_501(sb, supervisor):
    """One request per SDK route (placeholder ids, an empty JSON object as any body), raw HTTP over
    one pooled connection; the request log says which emulated route (if any) answered each."""
    sb.control.settings(rateLimitPerMinute=1_000_000, requestLogSize=20_000)
    token = supervisor.access_token
    http = urllib3.HTTPConnectionPool(sb.url.split("://")[1].rsplit(":", 1)[0],
                                      int(sb.url.rsplit(":", 1)[1]), maxsize=1, retries=False,
                                      timeout=urllib3.Timeout(connect=5.0, read=30.0))
    sent: dict[str, tuple[str, str, str, int, bytes]] = {}
    for line in sdk_routes.ROUTES:
        method, path, operation = line.split(" ")
        headers = {"Authorization": f"Bearer {token}"}
        body = None
        if method in ("POST", "PUT", "PATCH"):
            body, headers["Content-Type"] = b"{}", "application/json"
        r = http.urlopen(method, CAPTURE.sub(PLACEHOLDER, path), body=body, headers=headers)
        sent[r.headers["inin-correlation-id"]] = (method, path, operation, r.status, r.data)
    log = {e["contextId"]: e for e in sb.control.requests(limit=20_000)}
    emulated, not_emulated, wrong = 0, 0, []
    for context, (method, path, operation, status, raw) in sent.items():
        entry = log[context]
        assert entry["status"] == status
        if "route" in entry:  # an emulated route answered: any status (a 404 of an unknown id too)
            if _shape(entry["route"]) != _shape(path):
                wrong.append(f"{method} {path} answered by the emulated {entry['route']}")
            emulated += 1
        elif status == 501 and entry.get("code") == "sandbox.not.emulated":
            if method != "HEAD":  # HEAD: no body to read the message from
                message = json.loads(raw)["message"]
                if f"{method} {path} " not in message or operation not in message:
                    wrong.append(f"{method} {path}: 501 names another route: {message}")
            not_emulated += 1
        else:
            wrong.append(f"{method} {path}: {status} {entry.get('code')}")
    assert not wrong, f"{len(wrong)} real routes answered wrongly, e.g.:\n" + "\n".join(wrong[:25])
    assert emulated >= 25 and not_emulated > 3000, (emulated, not_emulated)


def test_recops_reads_the_501_of_a_route_not_emulated_as_the_sandbox_s_own_and_says_what_to_do(sb, supervisor):
    """The client side of the rule: the 501 is not a server failure to retry (recops retries 5xx
    reads) but the sandbox's own ``sandbox.not.emulated``, with a remedy naming the way out."""
    from recops.genesys.errors import BadRequest, api_error

    path = "/api/v2/recording/crossplatform/mediaretentionpolicies"
    r = request("GET", sb.url + path, token=supervisor.access_token)
    error = api_error(r.status, r.body, method="GET", path=path)
    assert isinstance(error, BadRequest) and error.code == "sandbox.not.emulated" and error.status == 501
    assert "real org" in error.remedy and "§9" in error.remedy
