"""The sandbox's request pipeline: small steps run in order over one ``Exchange``.

    correlation id -> faults -> latency -> authentication -> rate limit
    -> control-plane authentication (control/auth.py) -> a seat's share of the control
    plane (control/fairness.py) -> handler
    -> request log -> (in a room) a seat's progress (room/progress.py)
    -> error mapping -> download log (media plane)

Each step is an object whose ``async __call__(ex)`` reads and writes the ``Exchange``; the
``Plane`` of the request (routes.py) says whether a step applies (faults, latency,
authentication, rate limit and log belong to ``/oauth`` and ``/api/v2``, not to
``/_sandbox``). A request step ends the request phase by setting ``ex.reply`` (an injected
fault) or raising (an ``ApiError`` or a bug, kept in ``ex.error``). The final steps always
run: the request log records the outcome, a room adds it to the seat's progress (the trainer
board's facts, kept as they happen rather than read back from the bounded log), and error
mapping turns ``ex.error`` into a reply
(a Genesys ``ErrorBody``, ``sandbox.*`` on the control plane, a Genesys 500 for anything
unexpected) and adds the headers earlier steps collected (``inin-correlation-id``,
``inin-ratelimit-*``, ``X-Sandbox-Fault``).

Refusals are deferred so every ``/api/v2`` reply carries the rate-limit headers: the
authentication step names the caller and, for a missing or unknown bearer token, notes a
401; the rate-limit step spends the caller's budget (a shared, never enforced "anonymous"
budget without a valid token) and notes a 429. The handler step answers in this order:
unreadable request (404 unsafe path, 413 body too large), unknown route (404; 501 for a real
route not emulated), the noted refusal (401, then 429), then the handler itself.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..model import errors
from ..model.errors import ApiError
from ..model.state import SandboxState
from .faults import Fault, FaultBook
from .ratelimit import Budget, RateLimiter
from .real_routes import RealRoutes
from .real_routes import not_emulated as real_not_emulated
from .routes import API, Plane, Route, RouteTable
from .wire import Reply, Request, error_reply, json_reply, xml_error_reply

log = logging.getLogger("recops.sandbox")

INJECTED_HEADER = "X-Sandbox-Fault"
CORRELATION_HEADER = "inin-correlation-id"


@dataclass
class Exchange:
    """One request on its way through the pipeline."""

    req: Request
    plane: Plane
    started: float = field(default_factory=time.perf_counter)
    wall_time: float = field(default_factory=time.time)
    context_id: str = ""
    fault: Fault | None = None
    budget: Budget | None = None
    refusal: ApiError | None = None  # a noted 401/429, answered by the handler step
    route: Route | None = None
    reply: Reply | None = None
    error: BaseException | None = None
    headers: dict[str, str] = field(default_factory=dict)  # added to the reply unless it sets them
    log_entry: dict[str, Any] | None = None

    @property
    def status(self) -> int:
        """The status the client sees (0: connection dropped), as far as it is known yet."""
        if self.reply is not None:
            return 0 if self.reply.drop else self.reply.status
        if isinstance(self.error, ApiError):
            return self.error.status
        if isinstance(self.error, ValueError) and self.plane.sandbox_errors:
            return 400
        return 500

    @property
    def injected(self) -> bool:
        return self.fault is not None and self.fault.action != "delay"

    @property
    def truncating(self) -> bool:
        return self.fault is not None and self.fault.action == "truncate"


class Step(Protocol):
    async def __call__(self, ex: Exchange) -> None: ...


# --- request steps ------------------------------------------------------------------------------


class CorrelationId:
    """A fresh id per request: the ``inin-correlation-id`` header and any error's ``contextId``."""

    async def __call__(self, ex: Exchange) -> None:
        ex.context_id = ex.req.context_id = str(uuid.uuid4())
        ex.headers[CORRELATION_HEADER] = ex.context_id


class Faults:
    """The first matching injected fault, consumed: extra latency, then a dropped connection,
    an injected reply, or (``delay``) nothing more."""

    def __init__(self, book: FaultBook, state: SandboxState) -> None:
        self.book = book
        self.state = state

    async def __call__(self, ex: Exchange) -> None:
        if not ex.plane.faults:
            return
        fault = self.book.take(ex.req.method, ex.req.path)
        if fault is None:
            return
        ex.fault = fault
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000.0)
        if fault.action in ("delay", "truncate"):  # truncate: the handler answers, ErrorMapping cuts the body
            return
        if fault.action == "drop":
            ex.reply = Reply(0, drop=True, injected=True)
        elif fault.body is not None:
            ex.reply = json_reply(fault.status or 500, fault.body, headers=fault.headers)
            if fault.retry_after is not None:
                ex.reply.headers["Retry-After"] = str(fault.retry_after)
        else:
            raise fault.error(self.state.settings.rate_limit_per_minute)


class Latency:
    """The ``latencyMs`` setting, on every emulated-API request."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    async def __call__(self, ex: Exchange) -> None:
        latency = self.state.settings.latency_ms
        if latency and ex.plane.faults:
            await asyncio.sleep(latency / 1000.0)


class Authenticate:
    """``Authorization: Bearer <token>`` -> ``req.token``; without a valid one, a noted 401."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    async def __call__(self, ex: Exchange) -> None:
        if not ex.plane.authenticated:
            return
        auth = ex.req.headers.get("authorization", "").strip()
        if not auth or auth.lower() == "bearer":  # no header, or "Bearer " with no token
            ex.refusal = errors.authentication_required()
            return
        token = self.state.authenticate(auth[7:].strip()) if auth[:7].lower() == "bearer " else None
        ex.req.token = token
        if token is None:
            ex.refusal = errors.bad_credentials()


class RateLimit:
    """Spend the caller's per-minute budget; ``inin-ratelimit-*`` headers; a noted 429 past it.
    Without a valid token the request counts against one shared "anonymous" budget that is
    never enforced (it still gets the headers)."""

    def __init__(self, state: SandboxState, limiter: RateLimiter) -> None:
        self.state = state
        self.limiter = limiter

    async def __call__(self, ex: Exchange) -> None:
        if not ex.plane.authenticated:
            return
        token = ex.req.token
        key = f"token:{token.value}" if token is not None else "anonymous"
        budget = self.limiter.spend(key, self.state.clock.now(), self.state.settings.rate_limit_per_minute,
                                    enforce=token is not None)
        ex.budget = budget
        ex.headers.update(budget.headers())
        if budget.exceeded and ex.refusal is None:
            ex.refusal = errors.too_many_requests(budget.reset_seconds, budget.allowed)


NotFound = Callable[[Request, RouteTable], ApiError]


def genesys_not_found(req: Request, routes: RouteTable) -> ApiError:
    return errors.not_found()


class Handle:
    """Route and answer: unreadable request, unknown route, noted refusal, then the handler.

    On ``/api/v2`` an unknown route that the SDK names (``real``: http/real_routes.py) is a real
    route the sandbox does not emulate: 501 ``sandbox.not.emulated`` naming it, never 404; so is
    a request an emulated capture row took and answered 404 although a real route names it with a
    literal (``routing/queues/divisionviews`` is no queue id)."""

    def __init__(self, routes: RouteTable, not_found: dict[str, NotFound] | None = None,
                 real: Callable[[], RealRoutes] | None = None) -> None:
        self.routes = routes
        self.not_found = not_found or {}
        self.real = real

    async def __call__(self, ex: Exchange) -> None:
        req = ex.req
        if req.early_error is not None:
            raise req.early_error
        found = self.routes.find(req.method, req.segments)
        if found is None:
            real = self.real().find(req.method, req.segments) if ex.plane is API and self.real else None
            if real is not None:
                raise real_not_emulated(real)
            raise self.not_found.get(ex.plane.name, genesys_not_found)(req, self.routes)
        if ex.refusal is not None:
            raise ex.refusal
        ex.route, req.params = found
        try:
            result = ex.route.handler(req)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as e:
            # an emulated capture row took a literal segment of a real route it does not serve
            real = (self.real().shadowed(req.method, req.segments, ex.route.pattern)
                    if e.status == 404 and ex.plane is API and self.real else None)
            if real is None:
                raise
            ex.route = None
            raise real_not_emulated(real) from None
        ex.reply = result


# --- steps that always run ------------------------------------------------------------------------


class RequestLog:
    """One entry per emulated-API request (faulted and failed ones too) in the control plane's
    log (``GET /_sandbox/requests``)."""

    def __init__(self, sink: Callable[[], deque[dict[str, Any]]]) -> None:
        self.sink = sink  # the log deque is replaced when requestLogSize changes

    async def __call__(self, ex: Exchange) -> None:
        if not ex.plane.logged:
            return
        req = ex.req
        path = req.path
        if ex.route is not None and "{channelId}" in ex.route.path:  # a channel id admits to its socket
            path = "/".join(p if p != req.params.get("channelId") else p[:16] + "…" for p in path.split("/"))
        entry: dict[str, Any] = {"time": ex.wall_time, "method": req.method, "path": path,
                                 "contextId": ex.context_id}
        if ex.fault is not None:
            entry["faultId"] = ex.fault.id
        token = req.token
        if token is not None:
            entry["tokenKind"] = token.kind
            entry["org"] = token.org
            entry["principal"] = token.client_id or token.user_id
        if ex.route is not None:  # the emulated route that answered (its pattern)
            entry["route"] = ex.route.path
        entry["status"] = ex.status
        if isinstance(ex.error, ApiError):  # the Genesys code (the trainer board explains it)
            entry["code"] = ex.error.code
        entry["injected"] = ex.injected
        entry["durationMs"] = round((time.perf_counter() - ex.started) * 1000, 1)
        if ex.plane.media:  # a download: which recording; DownloadLog adds bytes and complete
            for key, param in (("jobId", "jobId"), ("conversationId", "cid")):
                if param in req.params:
                    entry[key] = req.params[param]
            if "file" in req.params:
                entry["recordingId"] = req.params["file"].removesuffix(".wav")
        ex.log_entry = entry
        self.sink().append(entry)


class ErrorMapping:
    """``ex.error`` -> a reply: an ``ApiError`` as its envelope, a control-plane ``ValueError``
    as 400 ``sandbox.bad.request``, anything else as a Genesys 500 (logged, never a traceback).
    Then the collected headers, and the fault markers of an injected reply."""

    async def __call__(self, ex: Exchange) -> None:
        if ex.reply is None:
            error = self.as_api_error(ex)
            if ex.plane.media:
                ex.reply = xml_error_reply(error, ex.context_id)
            else:
                ex.reply = error_reply(error, ex.context_id)
        reply = ex.reply
        if ex.truncating and ex.fault is not None:
            reply.truncate_at = FaultBook.truncate_at(ex.fault, reply.length)
        for name, value in ex.headers.items():
            reply.headers.setdefault(name, value)
        if ex.fault is not None:
            reply.headers[INJECTED_HEADER] = "injected" if ex.injected else "delayed"
            reply.headers[f"{INJECTED_HEADER}-Id"] = ex.fault.id
            reply.injected = ex.injected

    @staticmethod
    def as_api_error(ex: Exchange) -> ApiError:
        error = ex.error
        if isinstance(error, ApiError):
            return error
        if isinstance(error, ValueError) and ex.plane.sandbox_errors:
            return errors.sandbox_bad_request(str(error))
        log.error("sandbox request failed (contextId %s)", ex.context_id, exc_info=error)
        return errors.internal_server_error()


class DownloadLog:
    """On the media plane, after the reply is final: the body ``bytes`` the client will get and
    whether that is the whole body of a 200 (``complete``). Set before anything is sent, so a
    client that has its file can never read a log without the entry; ``SandboxApp`` turns
    ``complete`` false if the connection turns out closed once the body is written."""

    async def __call__(self, ex: Exchange) -> None:
        entry, reply = ex.log_entry, ex.reply
        if not ex.plane.media or entry is None or reply is None:
            return
        entry["bytes"] = reply.sent_bytes
        entry["complete"] = reply.status == 200 and not reply.drop and reply.sent_bytes == reply.length


class Pipeline:
    """Request steps in order until one answers or fails, then the final steps, always."""

    def __init__(self, steps: Sequence[Step], final: Sequence[Step]) -> None:
        self.steps = tuple(steps)
        self.final = tuple(final)

    async def run(self, ex: Exchange) -> Reply:
        for step in self.steps:
            try:
                await step(ex)
            except Exception as e:
                ex.error = e
                break
            if ex.reply is not None:
                break
        for step in self.final:
            try:
                await step(ex)
            except Exception:  # a bug in a final step: still answer
                log.exception("sandbox pipeline step %s failed (contextId %s)", type(step).__name__, ex.context_id)
        if ex.reply is None:
            ex.reply = error_reply(errors.internal_server_error(), ex.context_id)
            ex.reply.headers[CORRELATION_HEADER] = ex.context_id
        return ex.reply
