"""recops's HTTP client for the SDK (``ApiClient.set_http_client``).

Why: the SDK's own client has no effective timeouts and hides up to 10 urllib3 retries
(also for POST/PUT/PATCH) behind every call. This one:

- sends with real connect/read timeouts and ``retries=False`` (no hidden retries);
- retries explicitly: a 429 after ``Retry-After`` (up to ``max_retry_after`` seconds; longer
  waits are raised to the caller), a 5xx or a dropped connection with exponential backoff for
  idempotent requests only (a connection that was never made is safe to retry for any method);
- renews an expired client-credentials token once (``renew(rejected_token)`` callback, which
  may hand back a token another thread already renewed) and repeats the call;
- paces requests from the ``inin-ratelimit-*`` headers so a sweep does not run into 429s;
- reports every wait (``on_wait``) and every exchange (``on_exchange``) so a UI can show them,
  and remembers the last exchange per thread (``last_exchange()``), which is thread-safe where
  ``ApiClient.last_response`` is not.

It is also the one HTTP stack of recordings' media (``recops.downloads``): ``media(url)`` opens
a signed ``resultUrl`` on the same connection pool (the media host's own connections in it),
with the media's own timeouts, and the downloader retries with the same ``RetryPolicy``
(``RetryPolicy.wait``: one ``Retry-After`` reading, one backoff) and reports its waits through
``wait_out``, as API waits are.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError
from urllib3.util import parse_url

from recops.genesys.errors import retry_after_seconds

from .sdk import submodule as _sdk_module
from .settings import DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_AFTER, DEFAULT_READ_TIMEOUT

AbstractHttpClient = _sdk_module("abstract_http_client").AbstractHttpClient  # this module is imported lazily

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SAFE_POST_PATHS = ("/oauth/token", "/api/v2/analytics/conversations/details/query")
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MEDIA_REDIRECTS = 5  # redirects a media GET follows, at most

_idempotent: contextvars.ContextVar[bool | None] = contextvars.ContextVar("recops_idempotent", default=None)
_read_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar("recops_read_timeout", default=None)


@contextlib.contextmanager
def treat_as_idempotent(value: bool = True) -> Iterator[None]:
    """Within the block, requests count as idempotent (e.g. PATCH .../recordingstate, which sets
    an absolute state) or not, whatever their method."""
    token = _idempotent.set(value)
    try:
        yield
    finally:
        _idempotent.reset(token)


@contextlib.contextmanager
def read_timeout(seconds: float) -> Iterator[None]:
    """Within the block, requests wait up to ``seconds`` for an answer (e.g. long maxWaitMs)."""
    token = _read_timeout.set(seconds)
    try:
        yield
    finally:
        _read_timeout.reset(token)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    backoff_base: float = 0.5
    backoff_max: float = 8.0

    def backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return delay * (0.5 + random.random() / 2)

    def wait(self, attempt: int, method: str, path: str, status: int | None = None,
             headers: Any = None) -> Wait | None:
        """The wait before trying again after ``attempt`` failed (``status`` None: no answer, or a
        cut body), or None when no try is left or the server asks for a longer wait than
        ``max_retry_after`` on a 429 (then the caller raises it). The server's ``Retry-After`` when
        it gives one within ``max_retry_after``, else exponential backoff. Which failures may be
        retried at all (idempotency) is the caller's call."""
        if attempt >= self.max_attempts:
            return None
        after = retry_after_seconds(headers.get("Retry-After")) if headers is not None else None
        if after is not None and after <= self.max_retry_after:
            return Wait("retry-after", after, attempt, method, path, status)
        if after is not None and status == 429:
            return None
        return Wait("backoff", self.backoff(attempt), attempt, method, path, status)


@dataclass(frozen=True)
class Wait:
    """One deliberate wait: ``reason`` is ``retry-after``, ``backoff`` or ``pacing``."""

    reason: str
    seconds: float
    attempt: int
    method: str
    path: str
    status: int | None = None

    def describe(self) -> str:
        why = {"retry-after": f"the server asked to retry after a {self.status}",
               "backoff": f"retrying after {self.status or 'a connection failure'}",
               "pacing": "pacing to stay under the rate limit"}[self.reason]
        return f"waiting {self.seconds:.1f} s: {why} ({self.method} {self.path}, attempt {self.attempt})"


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int  # 0: no HTTP answer
    context_id: str | None
    attempt: int
    elapsed_ms: float
    injected: bool = False
    error: str | None = None


class Pacer:
    """Keeps requests under the rate limit the ``inin-ratelimit-*`` headers announce, at its full rate.

    Requests go as fast as the caller sends them while the window's budget lasts; when only the
    reserve is left, the next requests wait for the window to reset and count against the next
    one. (Spacing requests over the window, as an earlier version did below half the budget,
    only slows a sweep down: the last window of a sweep ends long before its reset.)

    - The window's end is the earliest of the replies' ``now + inin-ratelimit-reset``: each is
      an upper bound (the reset is rounded up to whole seconds and the reply took time to come
      back), so the earliest is the closest one that is still safe; ``margin`` is added to it.
    - What is left is counted down by ``acquire`` and corrected by every reply, less the
      requests still in flight that the reply may not have counted, so replies that arrive out
      of order, or a budget another client spends, never make it look larger than it is.
    - Replies from a window that has already ended are told from those of the current one by
      their reset time (windows are ``window`` seconds long, a minute by default).

    ``acquire`` gives the seconds to wait before sending (and counts the request in the window
    it will be sent in); ``update`` takes each reply's headers (``{}`` for a request that got
    no reply), so every acquired request is matched by one update.
    """

    def __init__(self, reserve_fraction: float = 0.02, clock: Callable[[], float] = time.monotonic,
                 margin: float = 0.25, window: float = 60.0) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._reserve_fraction = reserve_fraction
        self.margin = margin
        self.window = window
        self.allowed: int | None = None
        self.remaining: int | None = None  # left in the current window, after the requests let through
        self.reset_at: float | None = None  # the current window's end (None: no reply from it yet)
        self.window_start = -math.inf  # no request is let through before it
        self.in_flight = 0

    def reserve(self) -> int:
        """Requests kept back in each window (at least 1: a count that excludes the request
        itself would otherwise overrun the budget by one)."""
        return max(1, int((self.allowed or 0) * self._reserve_fraction))

    def update(self, headers: Any) -> None:
        now = self._clock()
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)
            try:
                count = int(headers.get("inin-ratelimit-count"))
                allowed = int(headers.get("inin-ratelimit-allowed"))
                reset = float(headers.get("inin-ratelimit-reset"))
            except (AttributeError, TypeError, ValueError):
                return
            self.window = max(self.window, reset)
            ends = now + reset
            if ends < self.window_start + self.window / 2:
                return  # a reply from a window that has ended since
            self.allowed = allowed
            left = max(0, allowed - count) - self.in_flight  # those in flight may not be counted yet
            if self.reset_at is not None and ends >= self.reset_at + self.window / 2:
                # a later window than the one counted in: the server's began before we moved on
                self.window_start = max(self.window_start, ends - self.window)
                self.reset_at, self.remaining = ends, left
            elif self.reset_at is None:  # the first reply from this window
                self.reset_at = ends
                self.remaining = left if self.remaining is None else min(self.remaining, left)
            else:
                self.reset_at = min(self.reset_at, ends)
                self.remaining = left if self.remaining is None else min(self.remaining, left)

    def acquire(self) -> float:
        """Seconds to wait before the next request (and count it in the window it goes in)."""
        now = self._clock()
        with self._lock:
            self.in_flight += 1
            if self.allowed is None or self.remaining is None:
                return 0.0  # no reply has said anything yet
            if self.reset_at is not None and now >= self.reset_at + self.margin:
                self._next_window(self.reset_at + self.margin)  # the window has ended: a full budget
            if self.remaining <= self.reserve():
                if self.reset_at is not None:
                    self._next_window(self.reset_at + self.margin)
                else:  # the next window's budget is promised before any reply from it: the one after
                    self._next_window(max(now, self.window_start) + self.window + self.margin)
            self.remaining -= 1
            return max(0.0, self.window_start - now)

    def _next_window(self, start: float) -> None:
        self.window_start = start
        self.reset_at = None
        self.remaining = self.allowed


class RecopsHttpClient(AbstractHttpClient):
    def __init__(
        self,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        policy: RetryPolicy | None = None,
        on_wait: Callable[[Wait], None] | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        renew: Callable[[str], str] | None = None,
        pace: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 8,
    ) -> None:
        super().__init__()
        self.connect_timeout = connect_timeout
        self.read_timeout_s = read_timeout
        self.policy = policy or RetryPolicy()
        self.on_wait = on_wait
        self.on_exchange = on_exchange
        self.renew = renew
        self.pacer = Pacer() if pace else None
        self._sleep = sleep
        self._local = threading.local()
        self.pool = urllib3.PoolManager(num_pools=4, maxsize=pool_size, block=True, retries=False)

    # --- public helpers -------------------------------------------------------------------------

    def last_exchange(self) -> Exchange | None:
        """The last exchange made by the calling thread."""
        return getattr(self._local, "last", None)

    def close(self) -> None:
        self.pool.clear()

    def wait_out(self, wait: Wait, sleep: Callable[[float], None] | None = None) -> None:
        """Report ``wait`` (``on_wait``), then sleep it: with ``sleep`` when given (e.g. one a
        cancel interrupts), else this client's own."""
        if self.on_wait is not None:
            self.on_wait(wait)
        (sleep or self._sleep)(wait.seconds)

    def media(self, url: str, *, timeout: urllib3.Timeout, connections: int) -> urllib3.BaseHTTPResponse:
        """``GET`` a signed media URL (a batch's ``resultUrl``) on this client's pool, body unread:
        stream it, then ``release_conn()`` (read to its end) or ``close()`` (cut short).

        No ``Authorization`` (the URL is signed), no pacing (not the API's rate limit), no retry
        (the caller retries with ``policy``: a retry rewrites its file), redirects followed (up to
        :data:`MEDIA_REDIRECTS`), ``timeout`` its own (media is not an API call). The media host
        gets a pool of ``connections`` kept connections of its own in the pool manager (one more
        thread opens one more, never waits), so downloads never wait for a connection behind API
        calls nor API calls behind downloads."""
        for _ in range(MEDIA_REDIRECTS + 1):
            u = parse_url(url)
            pool = self.pool.connection_from_host(u.host, port=u.port, scheme=u.scheme or "http",
                                                  pool_kwargs={"maxsize": max(1, connections), "block": False})
            resp = pool.urlopen("GET", u.request_uri, headers={"Accept": "*/*"}, timeout=timeout, retries=False,
                                redirect=False, assert_same_host=False, preload_content=False, release_conn=False)
            location = resp.get_redirect_location()
            if not location:
                return resp
            resp.drain_conn()
            resp.release_conn()
            url = urljoin(url, location)
        return resp  # still a redirect: the caller sees its status

    # --- the SDK entry point --------------------------------------------------------------------

    def request(self, http_request_options: Any) -> Any:
        rest = _sdk_module("rest")
        ApiException, RESTResponse = rest.ApiException, rest.RESTResponse

        options = self.pre_hook(http_request_options) if callable(self.pre_hook) else http_request_options
        method = options.method.upper()
        headers = {k: str(v) for k, v in (options.headers or {}).items()}
        url, data = self._encode(method, options.url, options.query_params, options.post_params,
                                 options.body, headers)
        path = urlsplit(url).path
        override = _idempotent.get()
        idempotent = override if override is not None else (method in IDEMPOTENT_METHODS or path in SAFE_POST_PATHS)
        timeout = urllib3.Timeout(connect=self.connect_timeout, read=_read_timeout.get() or self.read_timeout_s)
        is_api = "/api/v2/" in path
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            if self.pacer is not None and is_api:
                delay = self.pacer.acquire()
                if delay > 0.01:
                    self.wait_out(Wait("pacing", delay, attempt, method, path))
            started = time.perf_counter()
            try:
                raw = self.pool.request(method, url, body=data, headers=headers, timeout=timeout,
                                        retries=False, redirect=False, preload_content=True)
            except HTTPError as exc:
                if self.pacer is not None and is_api:
                    self.pacer.update({})  # no reply: the request is no longer in flight
                self._record(Exchange(method, path, 0, None, attempt, _ms(started), error=type(exc).__name__))
                never_sent = isinstance(exc, (NewConnectionError, ConnectTimeoutError))
                wait = self.policy.wait(attempt, method, path) if idempotent or never_sent else None
                if wait is not None:
                    self.wait_out(wait)
                    continue
                raise
            status = raw.status
            self._record(Exchange(method, path, status, raw.headers.get("inin-correlation-id"), attempt,
                                  _ms(started), injected=raw.headers.get("X-Sandbox-Fault") == "injected"))
            if self.pacer is not None and is_api:
                self.pacer.update(raw.headers)
            if status == 401 and is_api and self.renew is not None and not renewed:
                renewed = True
                attempt -= 1
                rejected = headers.get("Authorization", "").removeprefix("Bearer ").strip()
                headers["Authorization"] = f"Bearer {self.renew(rejected)}"
                continue
            if status == 429 or (status in RETRY_STATUSES and idempotent):
                wait = self.policy.wait(attempt, method, path, status, raw.headers)
                if wait is not None:
                    self.wait_out(wait)
                    continue
            response = RESTResponse(raw)
            response.data = raw.data.decode("utf-8", "replace")
            if callable(self.post_hook):
                response = self.post_hook(response)
            if not 200 <= status < 206:
                raise ApiException(http_resp=response)
            return response

    # --- internals ------------------------------------------------------------------------------

    @staticmethod
    def _encode(method: str, url: str, query: dict[str, Any] | None, post: dict[str, Any] | None,
                body: Any, headers: dict[str, str]) -> tuple[str, bytes | None]:
        if query:
            url = f"{url}?{urlencode(query)}"
        ctype = headers.get("Content-Type", "application/json")
        headers.setdefault("Content-Type", ctype)
        if method in ("GET", "HEAD", "DELETE") and body is None:
            return url, None
        if ctype == "application/x-www-form-urlencoded":
            return url, urlencode(post or {}).encode()
        if body is None:
            return url, None
        return url, json.dumps(body).encode()

    def _record(self, exchange: Exchange) -> None:
        self._local.last = exchange
        if self.on_exchange is not None:
            self.on_exchange(exchange)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
