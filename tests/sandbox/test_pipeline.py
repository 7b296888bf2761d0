"""Each pipeline step on its own: feed one ``Exchange`` to one step and look at its effect.
(End to end, through the SDK and raw HTTP, the same behaviour is covered by the other files.)"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections import deque

import pytest
import uvicorn

from recops.sandbox import SandboxApp, SandboxState
from recops.sandbox.control.auth import ControlAuth
from recops.sandbox.control.fairness import FairShare
from recops.sandbox.http import pipeline as pl
from recops.sandbox.http.faults import FaultBook
from recops.sandbox.http.ratelimit import RateLimiter
from recops.sandbox.http.routes import API, CONTROL, OAUTH, OTHER, Route, RouteTable, plane_of
from recops.sandbox.http.wire import Reply, Request, empty_reply, json_reply
from recops.sandbox.model.errors import ApiError


def _req(method: str = "GET", path: str = "/api/v2/conversations/c1", headers: dict[str, str] | None = None,
         early_error: ApiError | None = None) -> Request:
    segments = tuple(path.strip("/").split("/"))
    return Request(method=method, path=path, segments=segments, query={}, headers=dict(headers or {}),
                   body=b"", context_id="", base_url="http://sandbox", early_error=early_error)


def _ex(method: str = "GET", path: str = "/api/v2/conversations/c1", **kw) -> pl.Exchange:
    req = _req(method, path, **kw)
    return pl.Exchange(req, plane_of(req.segments))


def run(step, ex: pl.Exchange) -> pl.Exchange:
    asyncio.run(step(ex))
    return ex


@pytest.fixture
def state() -> SandboxState:
    s = SandboxState()
    s.add_client(["conversation:communication:view"], client_id="c", secret="s")
    return s


def _token(state: SandboxState) -> str:
    return state.issue_client_token(state.clients["c"]).value


# --- correlation id -------------------------------------------------------------------------------


def test_correlation_id_is_a_fresh_uuid_on_the_request_and_its_headers():
    a = run(pl.CorrelationId(), _ex())
    b = run(pl.CorrelationId(), _ex())
    assert uuid.UUID(a.context_id) and a.context_id != b.context_id
    assert a.req.context_id == a.context_id == a.headers["inin-correlation-id"]


# --- faults ---------------------------------------------------------------------------------------


def _book(*specs) -> FaultBook:
    book = FaultBook()
    book.add_many(list(specs))
    return book


def test_a_respond_fault_raises_its_injected_error_and_is_consumed(state):
    book = _book({"path": "/api/v2/conversations/*", "status": 503})
    step = pl.Faults(book, state)
    ex = _ex()
    with pytest.raises(ApiError) as err:
        run(step, ex)
    assert err.value.status == 503 and "injected by the sandbox" in err.value.message
    assert ex.fault is not None and ex.injected
    assert run(step, _ex()).fault is None  # count 1: used up


def test_drop_body_and_delay_faults(state, monkeypatch):
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(pl.asyncio, "sleep", fake_sleep)
    step = pl.Faults(_book({"path": "*", "action": "drop"}), state)
    assert run(step, _ex()).reply.drop
    step = pl.Faults(_book({"path": "*", "status": 418, "body": {"x": 1}, "retryAfter": 2}), state)
    reply = run(step, _ex()).reply
    assert (reply.status, json.loads(reply.body), reply.headers["Retry-After"]) == (418, {"x": 1}, "2")
    step = pl.Faults(_book({"path": "*", "action": "delay", "latencyMs": 250}), state)
    ex = run(step, _ex())
    assert ex.reply is None and ex.error is None and ex.fault is not None and not ex.injected
    assert slept == [0.25]


def test_faults_never_touch_the_control_plane_and_match_method_and_path(state):
    book = _book({"path": "*", "status": 500, "count": 5}, )
    step = pl.Faults(book, state)
    assert run(step, _ex("GET", "/_sandbox/health")).fault is None
    book = _book({"method": "PUT", "path": "/api/v2/*/recordingstate", "status": 500})
    assert run(pl.Faults(book, state), _ex("GET", "/api/v2/x/recordingstate")).fault is None
    assert len(book.list()) == 1


# --- latency --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "expected"), [("/api/v2/x", [0.04]), ("/oauth/token", [0.04]),
                                                 ("/_sandbox/health", [])])
def test_latency_setting_applies_to_the_emulated_api_only(state, monkeypatch, path, expected):
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(pl.asyncio, "sleep", fake_sleep)
    state.settings.latency_ms = 40
    run(pl.Latency(state), _ex("GET", path))
    assert slept == expected


# --- authentication -------------------------------------------------------------------------------


def test_authentication_names_the_caller_or_notes_a_401(state):
    step = pl.Authenticate(state)
    value = _token(state)
    ex = run(step, _ex(headers={"authorization": f"Bearer {value}"}))
    assert ex.req.token is not None and ex.req.token.value == value and ex.refusal is None
    for header, code in [(None, "authentication.required"), ("Bearer ", "authentication.required"),
                         ("Bearer nope", "bad.credentials"), ("Basic abc", "bad.credentials")]:
        ex = run(step, _ex(headers={"authorization": header} if header else {}))
        assert ex.req.token is None and ex.refusal.status == 401 and ex.refusal.code == code, header
        assert ex.error is None  # noted, not raised: routing errors come first


def test_expired_tokens_are_bad_credentials(state):
    value = _token(state)
    state.clock.advance(state.settings.token_lifetime_seconds + 1)
    ex = run(pl.Authenticate(state), _ex(headers={"authorization": f"Bearer {value}"}))
    assert ex.refusal.code == "bad.credentials"


@pytest.mark.parametrize("path", ["/oauth/token", "/_sandbox/health", "/elsewhere"])
def test_no_authentication_outside_api_v2(state, path):
    ex = run(pl.Authenticate(state), _ex("GET", path))
    assert ex.refusal is None and ex.req.token is None


# --- rate limit -----------------------------------------------------------------------------------


def test_rate_limit_counts_per_token_and_notes_429_past_the_budget(state):
    state.settings.rate_limit_per_minute = 2
    limiter = RateLimiter()
    auth, limit = pl.Authenticate(state), pl.RateLimit(state, limiter)
    header = {"authorization": f"Bearer {_token(state)}"}
    counts = []
    for _ in range(3):
        ex = run(limit, run(auth, _ex(headers=header)))
        counts.append((ex.headers["inin-ratelimit-count"], ex.headers["inin-ratelimit-allowed"],
                       ex.refusal and ex.refusal.code))
    assert counts == [("1", "2", None), ("2", "2", None), ("2", "2", "too.many.requests.retry.after")]


def test_anonymous_requests_share_a_budget_never_enforced_and_keep_their_401(state):
    state.settings.rate_limit_per_minute = 1
    auth, limit = pl.Authenticate(state), pl.RateLimit(state, RateLimiter())
    for n in (1, 2, 3):
        ex = run(limit, run(auth, _ex()))
        assert ex.headers["inin-ratelimit-count"] == str(n)
        assert ex.refusal.code == "authentication.required"


def test_no_rate_limit_outside_api_v2(state):
    ex = run(pl.RateLimit(state, RateLimiter()), _ex("POST", "/oauth/token"))
    assert ex.budget is None and not ex.headers


# --- handler --------------------------------------------------------------------------------------


def _table(*routes: Route) -> RouteTable:
    return RouteTable(list(routes))


def test_handle_answers_unreadable_then_unknown_route_then_refusal_then_handler():
    seen = []

    def handler(req):
        seen.append(req.params)
        return json_reply(200, {"ok": True})

    step = pl.Handle(_table(Route("GET", ("api", "v2", "conversations", "{cid}"), handler)))
    refusal = ApiError(401, "bad.credentials", "x")
    too_large = ApiError(413, "request.entity.too.large", "x")
    cases = [
        (dict(path="/api/v2/conversations/c1", early_error=too_large), refusal, 413),
        (dict(path="/api/v2/nothing"), refusal, 404),
        (dict(path="/api/v2/conversations/c1"), refusal, 401),
    ]
    for kw, noted, status in cases:
        ex = _ex(**kw)
        ex.refusal = noted
        with pytest.raises(ApiError) as err:
            run(step, ex)
        assert err.value.status == status
    assert not seen
    ex = run(step, _ex())
    assert ex.reply.status == 200 and seen == [{"cid": "c1"}] and ex.route is not None


def test_handle_awaits_async_handlers_and_uses_the_planes_not_found():
    async def handler(req):
        return empty_reply(202)

    def control_missing(req, routes):
        return ApiError(404, "sandbox.not.found", f"no {req.path}")

    step = pl.Handle(_table(Route("PATCH", ("api", "v2", "x"), handler)), not_found={"control": control_missing})
    assert run(step, _ex("PATCH", "/api/v2/x")).reply.status == 202
    with pytest.raises(ApiError) as err:
        run(step, _ex("GET", "/_sandbox/nothing"))
    assert err.value.code == "sandbox.not.found"
    with pytest.raises(ApiError) as err:
        run(step, _ex("GET", "/api/v2/nothing"))
    assert err.value.code == "not.found"


# --- request log ----------------------------------------------------------------------------------


def test_request_log_records_the_outcome_of_emulated_api_requests(state):
    sink: deque = deque(maxlen=10)
    step = pl.RequestLog(lambda: sink)
    ex = run(pl.Authenticate(state), _ex(headers={"authorization": f"Bearer {_token(state)}"}))
    ex.context_id = "ctx"
    ex.error = ApiError(403, "missing.any.permissions", "x")
    run(step, ex)
    entry = sink[-1]
    assert {k: entry[k] for k in ("method", "path", "contextId", "status", "injected", "tokenKind", "principal")} \
        == {"method": "GET", "path": "/api/v2/conversations/c1", "contextId": "ctx", "status": 403,
            "injected": False, "tokenKind": "client_credentials", "principal": "c"}
    assert entry["durationMs"] >= 0 and "faultId" not in entry
    ex = _ex("POST", "/oauth/token")
    ex.reply = Reply(0, drop=True)
    assert run(step, ex).log_entry["status"] == 0
    ex = _ex()
    ex.error = RuntimeError("bug")
    assert run(step, ex).log_entry["status"] == 500
    n = len(sink)
    run(step, _ex("GET", "/_sandbox/health"))
    run(step, _ex("GET", "/elsewhere"))
    assert len(sink) == n  # neither the control plane nor unknown prefixes are logged


# --- error mapping --------------------------------------------------------------------------------


def test_error_mapping_renders_api_errors_with_the_collected_headers():
    ex = _ex()
    ex.context_id = "ctx"
    ex.headers = {"inin-correlation-id": "ctx", "inin-ratelimit-count": "1"}
    ex.error = ApiError(429, "too.many.requests.retry.after", "slow down", headers={"Retry-After": "3"})
    reply = run(pl.ErrorMapping(), ex).reply
    body = json.loads(reply.body)
    assert (reply.status, body["code"], body["contextId"]) == (429, "too.many.requests.retry.after", "ctx")
    assert reply.headers == {"Retry-After": "3", "inin-correlation-id": "ctx", "inin-ratelimit-count": "1"}


def test_error_mapping_value_errors_are_sandbox_400s_on_the_control_plane_only(caplog):
    ex = _ex("POST", "/_sandbox/faults")
    ex.error = ValueError("'path' must be a glob")
    body = json.loads(run(pl.ErrorMapping(), ex).reply.body)
    assert (body["status"], body["code"], body["message"]) == (400, "sandbox.bad.request", "'path' must be a glob")
    ex = _ex()
    ex.error = ValueError("a bug")
    body = json.loads(run(pl.ErrorMapping(), ex).reply.body)
    assert (body["status"], body["code"]) == (500, "internal.server.error")
    assert "a bug" not in json.dumps(body)  # never a traceback or the bug's text


def test_error_mapping_keeps_a_replys_own_headers_and_marks_faults():
    book = _book({"path": "*", "action": "delay", "latencyMs": 1})
    ex = _ex()
    ex.fault = book.take("GET", "/x")
    ex.reply = json_reply(200, {}, headers={"inin-correlation-id": "own"})
    ex.headers = {"inin-correlation-id": "ctx"}
    reply = run(pl.ErrorMapping(), ex).reply
    assert reply.headers["inin-correlation-id"] == "own"
    assert reply.headers["X-Sandbox-Fault"] == "delayed" and reply.headers["X-Sandbox-Fault-Id"] == ex.fault.id
    assert not reply.injected


# --- the pipeline ---------------------------------------------------------------------------------


class _Record:
    def __init__(self, name, calls, effect=None):
        self.name, self.calls, self.effect = name, calls, effect

    async def __call__(self, ex):
        self.calls.append(self.name)
        if self.effect:
            self.effect(ex)


def test_a_truncate_fault_lets_the_handler_answer_and_cuts_its_body(state):
    book = _book({"path": "/media/*", "action": "truncate", "afterBytes": 3})
    ex = run(pl.Faults(book, state), _ex("GET", "/media/batch/j/c/r.wav"))
    assert ex.reply is None and ex.truncating and ex.injected  # the handler still runs
    ex.reply = Reply(200, b"0123456789", content_type="audio/wav")
    run(pl.ErrorMapping(), ex)
    assert ex.reply.truncate_at == 3 and ex.reply.sent_bytes == 3
    assert ex.reply.headers[pl.INJECTED_HEADER] == "injected"
    # default: half; never the whole body
    half = _book({"path": "*", "action": "truncate"}).take("GET", "/x")
    assert FaultBook.truncate_at(half, 10) == 5 and FaultBook.truncate_at(half, 1) == 0
    big = _book({"path": "*", "action": "truncate", "afterBytes": 99}).take("GET", "/x")
    assert FaultBook.truncate_at(big, 10) == 9


def test_media_plane_errors_are_xml_and_its_log_entries_say_bytes_and_complete():
    log: deque = deque()
    ex = _ex("GET", "/media/batch/j1/c1/r1.wav")
    ex.req.params = {"jobId": "j1", "cid": "c1", "file": "r1.wav"}
    ex.error = ApiError(403, "AccessDenied", "Request has expired")
    for step in (pl.RequestLog(lambda: log), pl.ErrorMapping(), pl.DownloadLog()):
        run(step, ex)
    assert ex.reply.content_type == "application/xml" and b"<Code>AccessDenied</Code>" in ex.reply.body
    entry = log[0]
    assert (entry["jobId"], entry["conversationId"], entry["recordingId"]) == ("j1", "c1", "r1")
    assert entry["status"] == 403 and entry["complete"] is False and entry["bytes"] == len(ex.reply.body)
    ok = _ex("GET", "/media/batch/j1/c1/r1.wav")
    ok.reply = Reply(200, b"RIFF....", content_type="audio/wav")
    for step in (pl.RequestLog(lambda: log), pl.ErrorMapping(), pl.DownloadLog()):
        run(step, ok)
    assert (log[1]["bytes"], log[1]["complete"]) == (8, True)
    api = _ex()  # other planes: no download fields
    api.reply = Reply(200, b"{}")
    for step in (pl.RequestLog(lambda: log), pl.ErrorMapping(), pl.DownloadLog()):
        run(step, api)
    assert "bytes" not in log[2] and "complete" not in log[2]


def test_pipeline_stops_at_the_first_answer_and_always_runs_the_final_steps():
    calls: list[str] = []

    def answer(ex):
        ex.reply = empty_reply(204)

    def fail(ex):
        raise ApiError(400, "bad.request", "x")

    p = pl.Pipeline([_Record("a", calls), _Record("b", calls, answer), _Record("c", calls)],
                    [_Record("log", calls), pl.ErrorMapping()])
    assert asyncio.run(p.run(_ex())).status == 204 and calls == ["a", "b", "log"]
    calls.clear()
    p = pl.Pipeline([_Record("a", calls, fail), _Record("b", calls)], [_Record("log", calls), pl.ErrorMapping()])
    assert asyncio.run(p.run(_ex())).status == 400 and calls == ["a", "log"]


def test_a_failing_final_step_still_answers():
    def broken(ex):
        raise RuntimeError("log broke")

    p = pl.Pipeline([_Record("a", [], lambda ex: setattr(ex, "reply", empty_reply(202)))],
                    [_Record("log", [], broken), pl.ErrorMapping()])
    assert asyncio.run(p.run(_ex())).status == 202
    p = pl.Pipeline([], [_Record("mapping", [], broken)])
    assert asyncio.run(p.run(_ex())).status == 500


def test_app_composes_the_steps_in_the_documented_order():
    app = SandboxApp()
    assert [type(s) for s in app.pipeline.steps] == [pl.CorrelationId, pl.Faults, pl.Latency, pl.Authenticate,
                                                      pl.RateLimit, ControlAuth, FairShare, pl.Handle]
    assert [type(s) for s in app.pipeline.final] == [pl.RequestLog, pl.ErrorMapping, pl.DownloadLog]
    assert {API.name, OAUTH.name, CONTROL.name, OTHER.name} == {"api", "oauth", "control", "other"}


# --- lifespan -------------------------------------------------------------------------------------


def test_a_lifespan_scope_returns_at_once_without_messages():
    sent = []

    async def receive():
        raise AssertionError("the app must not wait for lifespan messages")

    async def send(message):
        sent.append(message)

    asyncio.run(SandboxApp()({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert sent == []


def test_uvicorn_with_lifespan_on_still_starts_and_serves():
    import socket

    import urllib3

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(SandboxApp(), lifespan="on", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        assert server.started
        r = urllib3.request("GET", f"http://127.0.0.1:{port}/_sandbox/health", retries=False, timeout=10)
        assert r.status == 200 and r.json()["status"] == "ok"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
