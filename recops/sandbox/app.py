"""The sandbox as one ASGI app: ``/oauth/token`` and ``/api/v2`` on one origin (so an
unmodified ``ApiClient(host=url)`` reaches both), plus the ``/_sandbox`` control plane.

Per request: a correlation id (``inin-correlation-id`` header == ``contextId`` of any error),
fault injection, latency, route, bearer check, per-token rate limit with the
``inin-ratelimit-*`` headers, the handler, the request log. Anything unexpected becomes a
Genesys 500 envelope, never a bare traceback or a hang.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from . import errors
from .api import GenesysApi
from .control import Control
from .errors import ApiError
from .faults import Fault, FaultBook
from .models import SandboxState
from .ratelimit import RateLimiter
from .routes import route_table
from .wire import BadPath, Receive, Reply, Request, Send, error_reply, json_reply, read_body, send_reply, split_path

log = logging.getLogger("recops.sandbox")

INJECTED_HEADER = "X-Sandbox-Fault"


class SandboxApp:
    def __init__(self, state: SandboxState | None = None, scenario: str | None = None) -> None:
        self.state = state or SandboxState()
        self.api = GenesysApi(self.state)
        self.faults = FaultBook()
        self.limiter = RateLimiter()
        log_: deque[dict[str, Any]] = deque(maxlen=self.state.settings.request_log_size)
        self.control = Control(self.state, self.faults, self.limiter, log_, scenario)
        self.routes = route_table(self.api, self.control)
        if scenario:
            self.control.reset(scenario)

    @property
    def request_log(self) -> deque[dict[str, Any]]:
        """The log lives on the control plane, which replaces it when ``requestLogSize`` changes."""
        return self.control.request_log

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        context_id = str(uuid.uuid4())
        started = time.perf_counter()
        req: Request | None = None
        try:
            req = await self._request(scope, receive, context_id)
            reply = await self._handle(req)
        except ApiError as e:
            reply = error_reply(e, context_id)
        except Exception:  # never leak a traceback or hang: a Genesys 500
            log.exception("sandbox handler failed (contextId %s)", context_id)
            reply = error_reply(errors.internal_server_error(), context_id)
        reply.headers.setdefault("inin-correlation-id", context_id)
        entry = req.log_entry if req is not None else None  # logged even when the handler failed
        if entry is not None:
            entry.update(status=0 if reply.drop else reply.status, injected=reply.injected,
                         durationMs=round((time.perf_counter() - started) * 1000, 1))
            self.request_log.append(entry)
        await send_reply(send, reply)

    async def _request(self, scope: dict[str, Any], receive: Receive, context_id: str) -> Request:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        limit = self.state.settings.max_body_bytes
        early: ApiError | None = None
        raw_path = scope.get("raw_path") or scope["path"].encode()
        raw_path = raw_path.split(b"?", 1)[0]
        try:
            segments = split_path(raw_path)
            path = "/" + "/".join(segments)
        except BadPath:
            # Unsafe path: 404 whatever it says. The undecoded segments only tell /api/v2 (which
            # gets the inin-ratelimit-* headers and a log entry) from the rest; never routed.
            early = errors.not_found()
            path = raw_path.decode("latin-1")
            segments = tuple(path.lstrip("/").split("/"))
        declared = headers.get("content-length")
        if early is None and declared is not None and declared.isdigit() and int(declared) > limit:
            early = errors.request_entity_too_large(limit)
        body = b""
        if early is None:
            try:
                body = await read_body(receive, limit)
            except ApiError as e:
                early = e
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        host = headers.get("host") or "127.0.0.1"
        return Request(
            method=scope["method"].upper(),
            path=path,
            segments=segments,
            query=query,
            headers=headers,
            body=body,
            context_id=context_id,
            base_url=f"{scope.get('scheme', 'http')}://{host}",
            early_error=early,
        )

    async def _handle(self, req: Request) -> Reply:
        segs = req.segments
        is_token = segs == ("oauth", "token")
        is_api = len(segs) >= 2 and segs[:2] == ("api", "v2")
        if not (is_token or is_api):
            if req.early_error is not None:
                raise req.early_error
            if segs and segs[0] == "_sandbox":
                return await self._control(req)
            raise errors.not_found()
        entry: dict[str, Any] = {"time": time.time(), "method": req.method, "path": req.path,
                                 "contextId": req.context_id}
        req.log_entry = entry
        fault = self.faults.take(req.method, req.path)
        if fault is not None:
            entry["faultId"] = fault.id
        reply = await self._faulted(fault, req) if fault else None
        if reply is None:
            latency = self.state.settings.latency_ms
            if latency:
                await asyncio.sleep(latency / 1000.0)
            if is_token:
                if req.early_error is not None:
                    raise req.early_error
                found = self.routes.find(req.method, segs)
                if found is None:
                    raise errors.not_found()
                reply = found[0].handler(req)
            else:
                reply = await self._api(req, entry)
        if fault is not None:
            reply.headers[INJECTED_HEADER] = "injected" if fault.action != "delay" else "delayed"
            reply.headers[f"{INJECTED_HEADER}-Id"] = fault.id
            reply.injected = fault.action != "delay"
        return reply

    async def _control(self, req: Request) -> Reply:
        found = self.routes.find(req.method, req.segments)
        if found is None:
            raise self.control.not_found(req, self.routes.under(req.segments[:2]))
        route, req.params = found
        try:
            result = route.handler(req)
            if inspect.isawaitable(result):
                result = await result
            return result
        except ValueError as e:
            raise self.control.bad_request(e) from None

    async def _faulted(self, fault: Fault, req: Request) -> Reply | None:
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000.0)
        if fault.action == "delay":
            return None
        if fault.action == "drop":
            return Reply(0, drop=True, injected=True)
        if fault.body is not None:
            reply = json_reply(fault.status or 500, fault.body, headers=fault.headers)
            if fault.retry_after is not None:
                reply.headers["Retry-After"] = str(fault.retry_after)
            return reply
        return error_reply(fault.error(self.state.settings.rate_limit_per_minute), req.context_id)

    async def _api(self, req: Request, entry: dict[str, Any]) -> Reply:
        state = self.state
        found = self.routes.find(req.method, req.segments) if req.early_error is None else None
        auth = req.headers.get("authorization", "")
        token = None
        if auth[:7].lower() == "bearer ":
            token = state.authenticate(auth[7:].strip())
        budget_key = f"token:{token.value}" if token else "anonymous"
        budget = self.limiter.spend(budget_key, state.clock.now(), state.settings.rate_limit_per_minute,
                                    enforce=token is not None)
        headers = budget.headers()
        if token is not None:
            entry["tokenKind"] = token.kind
            entry["org"] = token.org
            entry["principal"] = token.client_id or token.user_id
        try:
            if req.early_error is not None:
                raise req.early_error
            if found is None:
                raise errors.not_found()
            if not auth.strip() or auth.strip().lower() == "bearer":  # no header, or "Bearer " with no token
                raise errors.authentication_required()
            if token is None:
                raise errors.bad_credentials()
            if budget.exceeded:
                raise errors.too_many_requests(budget.reset_seconds, budget.allowed)
            route, params = found
            req.params = params
            req.token = token
            result = route.handler(req)
            if inspect.isawaitable(result):
                result = await result
            reply = result
        except ApiError as e:
            reply = error_reply(e, req.context_id)
        except Exception:  # a handler bug: still a Genesys 500 with every /api/v2 header
            log.exception("sandbox handler failed (contextId %s)", req.context_id)
            reply = error_reply(errors.internal_server_error(), req.context_id)
        reply.headers.update({k: v for k, v in headers.items() if k not in reply.headers})
        return reply
