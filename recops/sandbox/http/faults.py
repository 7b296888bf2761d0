"""Fault injection: the next N requests matching a method and path pattern get a chosen
status/code/body, extra latency, a dropped connection, or a truncated body (``truncate``: the
full ``Content-Length`` announced, the first ``afterBytes`` bytes (default half) sent, then the
connection closed, so the client sees an incomplete read).

Injected responses carry ``X-Sandbox-Fault: injected`` and ``X-Sandbox-Fault-Id`` and
their message says they were injected, so nobody mistakes them for real behaviour. In
particular a 409 on conversation or recording endpoints exists here only by injection:
[inferred] - not observed on real conversation/recording endpoints.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from ..model import errors
from ..model.specs import reject_unknown

ACTIONS = ("respond", "delay", "drop", "truncate")
MAX_LATENCY_MS = 600_000


@dataclass
class Fault:
    id: str
    method: str
    path: str
    remaining: int
    action: str
    status: int | None = None
    code: str | None = None
    message: str | None = None
    retry_after: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    latency_ms: int = 0
    after_bytes: int | None = None  # truncate: body bytes sent before the connection closes (None: half)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "method": self.method, "path": self.path, "action": self.action,
            "remaining": self.remaining, "hits": self.hits, "latencyMs": self.latency_ms,
        }
        for key, value in (("status", self.status), ("code", self.code), ("message", self.message),
                           ("retryAfter", self.retry_after), ("body", self.body),
                           ("afterBytes", self.after_bytes)):
            if value is not None:
                out[key] = value
        if self.headers:
            out["headers"] = self.headers
        return out

    def error(self, allowed: int = 300) -> errors.ApiError:
        """The injected error (for ``respond``), in the Genesys envelope."""
        assert self.status is not None
        code = self.code or errors.DEFAULT_CODE_FOR_STATUS.get(self.status, "bad.request")
        if self.status == 429 and not self.code:
            code = "too.many.requests.retry.after" if self.retry_after is not None else "too.many.requests"
        if self.message:
            message = self.message
        elif code == "too.many.requests.retry.after":
            message = f"Rate limit exceeded the maximum. Retry the request in [{self.retry_after or 0}] seconds"
        elif code == "too.many.requests":
            message = f"Rate limit exceeded the maximum [{allowed}] requests within [60] seconds"
        else:
            message = errors.CATALOGUE.get(code, (self.status, "The request failed."))[1]
        message = f"{message} (injected by the sandbox)"
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return errors.ApiError(self.status, code, message, headers=headers)


def _int(spec: dict[str, Any], key: str, default: int | None, lo: int, hi: int) -> int | None:
    value = spec.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"'{key}' must be a whole number from {lo} to {hi}")
    return value


class FaultBook:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add_many(self, specs: list[Any]) -> list[Fault]:
        """Validate ``POST /_sandbox/faults`` specs first, then add them all: one bad spec adds
        none (``ValueError`` says what is wrong)."""
        parsed = [self._parse(spec) for spec in specs]
        with self._lock:
            for fault in parsed:
                fault.id = f"fault-{next(self._ids)}"
                self._faults.append(fault)
        return parsed

    def _parse(self, spec: Any) -> Fault:
        if not isinstance(spec, dict):
            raise ValueError("a fault must be a JSON object")
        known = {"method", "path", "count", "action", "status", "code", "message", "retryAfter",
                 "body", "headers", "latencyMs", "afterBytes"}
        reject_unknown(spec, known, "fault")
        path = spec.get("path", "*")
        if not isinstance(path, str) or not path:
            raise ValueError("'path' must be a glob such as /api/v2/conversations/*/recordingstate")
        method = str(spec.get("method", "*")).upper()
        if method not in ("*", "GET", "POST", "PUT", "PATCH", "DELETE"):
            raise ValueError("'method' must be GET, POST, PUT, PATCH, DELETE or *")
        action = spec.get("action") or ("respond" if "status" in spec else None)
        if action not in ACTIONS:
            raise ValueError(f"'action' must be one of {', '.join(ACTIONS)} (or give 'status' to respond)")
        status = _int(spec, "status", None, 400, 599)
        if action == "respond" and status is None:
            raise ValueError("a 'respond' fault needs 'status' (400-599)")
        code = spec.get("code")
        if code is not None and (not isinstance(code, str) or not code):
            raise ValueError("'code' must be a non-empty string such as general.conflict")
        message = spec.get("message")
        if message is not None and not isinstance(message, str):
            raise ValueError("'message' must be a string")
        headers = spec.get("headers") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ValueError("'headers' must be an object of string -> string")
        fault = Fault(
            id="",
            method=method,
            path=path,
            remaining=_int(spec, "count", 1, 1, 1_000_000) or 1,
            action=action,
            status=status,
            code=code,
            message=message,
            retry_after=_int(spec, "retryAfter", None, 0, 86_400),
            body=spec.get("body"),
            headers=headers,
            latency_ms=_int(spec, "latencyMs", 0, 0, MAX_LATENCY_MS) or 0,
        )
        if action == "delay" and not fault.latency_ms:
            raise ValueError("a 'delay' fault needs 'latencyMs' > 0")
        if "afterBytes" in spec:
            if action != "truncate":
                raise ValueError("'afterBytes' belongs to a 'truncate' fault")
            fault.after_bytes = _int(spec, "afterBytes", None, 0, 1 << 40)
        return fault

    @staticmethod
    def truncate_at(fault: Fault, body_length: int) -> int:
        """How much of a ``body_length``-byte body a ``truncate`` fault lets through: ``afterBytes``
        (default half), always at least one byte short of the whole body when it has any."""
        wanted = body_length // 2 if fault.after_bytes is None else fault.after_bytes
        return max(0, min(wanted, body_length - 1))

    def take(self, method: str, path: str) -> Fault | None:
        """The first live fault matching this request, consuming one of its uses."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    fault.hits += 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> int:
        with self._lock:
            n = len(self._faults)
            self._faults.clear()
            return n
