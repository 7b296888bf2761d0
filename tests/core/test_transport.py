"""recops's transport, driven through ``recops.api.client.Client`` and the real SDK against the
sandbox: real timeouts, no hidden urllib3 retries, the explicit retry policy, token renewal,
pacing, the lazy SDK import, and the SDK config file that cannot redirect a client."""

from __future__ import annotations

import heapq
import itertools
import json
import os
import random
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from recops.api.transport import Pacer, Wait, read_timeout
from recops.genesys import errors

from .helpers import log, make_client, recording_state
from .ops_helpers import wait_for

PAUSERS = ["conversation:communication:view", "conversation:recording:pauseOthers", "recording:recording:view"]


def conv_path(cid: str) -> str:
    return f"/api/v2/conversations/{cid}"


def state_path(cid: str) -> str:
    return f"/api/v2/conversations/{cid}/recordingstate"


def get(client, cid):
    return client.call("GET", conv_path(cid), client.conversations_api.get_conversation, cid)


def patch_state(client, cid, value):
    """PATCH /api/v2/conversations/{id}/recordingstate: not idempotent by HTTP method."""
    return client.call("PATCH", state_path(cid), client.conversations_api.patch_conversation_recordingstate, cid,
                       recording_state(client.sdk(), value))


def put_state(client, cid, value):
    path = f"/api/v2/conversations/calls/{cid}/recordingstate"
    return client.call("PUT", path, client.conversations_api.put_conversations_call_recordingstate, cid,
                       recording_state(client.sdk(), value))


def fault_hits(sb, fault_id):
    """Uses of a fault so far (taken the moment a request arrives, before any injected delay)."""
    for fault in sb.control.call("GET", "faults"):
        if fault["id"] == fault_id:
            return fault["hits"]
    return None  # used up, so removed


def sandbox_state(sb, cid):
    return sb.control.conversation(cid)["recordingState"]


def logged_in(sb, creds, **settings):
    c, waits = make_client(sb, creds, **settings)
    c.api_client  # noqa: B018 - log in now, so the token request is not part of what a test counts
    c.waits = waits
    return c


@pytest.fixture
def client(sb, demo):
    """The supervisor on the sandbox, logged in, with quick retries (max 3 attempts)."""
    return logged_in(sb, demo.SUPERVISOR, read_timeout=5, max_attempts=3)


@pytest.fixture
def impatient(sb, demo):
    """The same with a 0.4 s read timeout (only for requests the sandbox is told to delay)."""
    return logged_in(sb, demo.SUPERVISOR, read_timeout=0.4, max_attempts=3)


# --- timeouts ------------------------------------------------------------------------------------


def test_read_timeout_on_a_patch_is_raised_after_one_request(sb, impatient, demo):
    fault = sb.control.fault(method="PATCH", path=state_path(demo.ACTIVE), action="delay", latencyMs=1500, count=3)
    started = time.monotonic()
    with pytest.raises(errors.Timeout) as info:
        patch_state(impatient, demo.ACTIVE, "PAUSED")
    assert time.monotonic() - started >= 0.35  # a real read timeout, not an instant failure
    assert info.value.method == "PATCH" and info.value.path == state_path(demo.ACTIVE)
    assert "may have been applied" in info.value.remedy
    assert fault_hits(sb, fault["id"]) == 1  # no hidden retry reached the server
    assert impatient.waits == []
    # the server finishes the change after the client gave up: exactly why the remedy says to read first
    wait_for("the delayed PATCH in the log", lambda: log(sb, "PATCH", state_path(demo.ACTIVE)))
    assert len(log(sb, "PATCH", state_path(demo.ACTIVE))) == 1
    assert sandbox_state(sb, demo.ACTIVE) == "PAUSED"


def test_read_timeout_on_a_get_is_retried_up_to_max_attempts(sb, impatient, demo):
    fault = sb.control.fault(method="GET", path=conv_path(demo.ACTIVE), action="delay", latencyMs=1500, count=5)
    with pytest.raises(errors.Timeout):
        get(impatient, demo.ACTIVE)
    assert fault_hits(sb, fault["id"]) == 3  # max_attempts, then raised
    assert [(w.reason, w.attempt, w.method) for w in impatient.waits] == [("backoff", 1, "GET"), ("backoff", 2, "GET")]
    wait_for("the three delayed GETs in the log", lambda: len(log(sb, "GET", conv_path(demo.ACTIVE))) == 3)


def test_a_slow_answer_within_the_timeout_is_fine(sb, client, demo):
    sb.control.fault(method="GET", path=conv_path(demo.ACTIVE), action="delay", latencyMs=100)
    assert get(client, demo.ACTIVE).id == demo.ACTIVE
    assert client.waits == []
    last = client.http.last_exchange()
    assert (last.status, last.injected) == (200, False)  # delayed, but a real answer
    assert last.elapsed_ms >= 90


def test_read_timeout_can_be_raised_for_a_block(sb, impatient, demo):
    sb.control.fault(method="GET", path=conv_path(demo.ACTIVE), action="delay", latencyMs=800)
    with read_timeout(5):
        assert get(impatient, demo.ACTIVE).id == demo.ACTIVE
    assert len(log(sb, "GET", conv_path(demo.ACTIVE))) == 1


def test_connection_refused_is_connection_failed_not_timeout(demo):
    from recops.api.client import Client
    from recops.api.settings import Settings

    c = Client(Settings.load(env={}, sandbox_url="http://127.0.0.1:9", client_id="x", client_secret="y",
                             max_attempts=2))
    with pytest.raises(errors.ConnectionFailed) as info:
        c.api_client  # noqa: B018 - logs in
    assert not isinstance(info.value, errors.Timeout)


# --- 5xx: retried for idempotent requests only, never by urllib3 ---------------------------------


def test_503_on_a_patch_is_not_retried(sb, client, demo):
    fault = sb.control.fault(method="PATCH", path=state_path(demo.ACTIVE), status=503, count=3)
    with pytest.raises(errors.ServerError) as info:
        patch_state(client, demo.ACTIVE, "PAUSED")
    assert info.value.status == 503 and info.value.injected
    assert len(log(sb, "PATCH", state_path(demo.ACTIVE))) == 1
    assert fault_hits(sb, fault["id"]) == 1
    assert client.waits == []
    assert sandbox_state(sb, demo.ACTIVE) == "ACTIVE"
    last = client.http.last_exchange()
    assert (last.method, last.status, last.injected, last.attempt) == ("PATCH", 503, True, 1)
    assert last.context_id == info.value.context_id


def test_503_on_a_get_is_retried_with_backoff(sb, client, demo):
    sb.control.fault(method="GET", path=conv_path(demo.ACTIVE), status=503, count=2)
    assert get(client, demo.ACTIVE).id == demo.ACTIVE
    assert [e["status"] for e in log(sb, "GET", conv_path(demo.ACTIVE))] == [503, 503, 200]
    assert [(w.reason, w.status) for w in client.waits] == [("backoff", 503), ("backoff", 503)]
    assert all(w.seconds > 0 for w in client.waits)
    assert client.last_status() == 200


def test_put_recordingstate_is_idempotent_so_a_503_is_retried(sb, client, demo):
    sb.control.fault(method="PUT", path="/api/v2/conversations/*/recordingstate", status=503, count=2)
    assert put_state(client, demo.ACTIVE, "PAUSED") == "PAUSED"
    path = f"/api/v2/conversations/calls/{demo.ACTIVE}/recordingstate"
    assert [e["status"] for e in log(sb, "PUT", path)] == [503, 503, 200]
    assert sandbox_state(sb, demo.ACTIVE) == "PAUSED"


def test_a_get_gives_up_after_max_attempts(sb, client, demo):
    sb.control.fault(method="GET", path=conv_path(demo.ACTIVE), status=500, count=10)
    with pytest.raises(errors.ServerError) as info:
        get(client, demo.ACTIVE)
    assert info.value.status == 500
    assert len(log(sb, "GET", conv_path(demo.ACTIVE))) == 3
    assert info.value.context_id == log(sb, "GET", conv_path(demo.ACTIVE))[-1]["contextId"]


def test_503_with_retry_after_on_a_patch_is_still_not_retried(sb, client, demo):
    """The SDK's own urllib3 Retry would sleep and re-send this PATCH; ours does not."""
    sb.control.fault(method="PATCH", path=state_path(demo.ACTIVE), status=503, retryAfter=1, count=3)
    with pytest.raises(errors.ServerError) as info:
        patch_state(client, demo.ACTIVE, "PAUSED")
    assert info.value.retry_after == 1
    assert len(log(sb, "PATCH", state_path(demo.ACTIVE))) == 1


def test_the_sdk_client_is_ours(client):
    from recops.api.transport import RecopsHttpClient

    assert isinstance(client.api_client.get_http_client(), RecopsHttpClient)
    assert client.api_client.gateway_configuration is None


# --- 429 -----------------------------------------------------------------------------------------


def test_429_with_retry_after_is_retried_after_that_long(sb, client, demo):
    """Also for a PATCH: a 429 means the request was not processed."""
    sb.control.fault(method="PATCH", path=state_path(demo.ACTIVE), status=429, retryAfter=1)
    started = time.monotonic()
    patch_state(client, demo.ACTIVE, "PAUSED")
    assert time.monotonic() - started >= 0.95
    assert len(client.waits) == 1
    wait = client.waits[0]
    assert isinstance(wait, Wait)
    assert (wait.reason, wait.seconds, wait.status, wait.method, wait.path) == (
        "retry-after", 1, 429, "PATCH", state_path(demo.ACTIVE))
    assert "429" in wait.describe()
    assert [e["status"] for e in log(sb, "PATCH", state_path(demo.ACTIVE))] == [429, 202]
    assert sandbox_state(sb, demo.ACTIVE) == "PAUSED"


def test_429_with_retry_after_above_the_cap_is_raised(sb, demo):
    c, waits = make_client(sb, demo.SUPERVISOR, max_retry_after=2)
    c.api_client  # noqa: B018
    sb.control.fault(method="GET", path=conv_path(demo.ACTIVE), status=429, retryAfter=30)
    with pytest.raises(errors.RateLimited) as info:
        get(c, demo.ACTIVE)
    assert info.value.retry_after == 30
    assert info.value.code == "too.many.requests.retry.after"
    assert "Retry the request in [30] seconds" in info.value.genesys_message
    assert waits == []
    assert len(log(sb, "GET", conv_path(demo.ACTIVE))) == 1


def test_429_without_retry_after_backs_off_then_succeeds(sb, client, demo):
    sb.control.fault(method="GET", path=conv_path(demo.ACTIVE), status=429)
    assert get(client, demo.ACTIVE).id == demo.ACTIVE
    assert [(w.reason, w.status) for w in client.waits] == [("backoff", 429)]
    assert [e["status"] for e in log(sb, "GET", conv_path(demo.ACTIVE))] == [429, 200]


def test_a_real_429_from_the_sandbox_limiter_is_waited_out(sb, client, demo):
    """Not injected: the sandbox's own per-token limiter, its Retry-After the rest of the window."""
    sb.control.settings(rateLimitPerMinute=2)
    client.http.pacer = None  # let the budget run out (pacing is tested below)
    get(client, demo.ACTIVE)
    get(client, demo.ACTIVE)
    sb.control.advance_clock(58)  # two seconds of the window left
    started = time.monotonic()
    assert get(client, demo.ACTIVE).id == demo.ACTIVE
    assert [e["status"] for e in log(sb, "GET", conv_path(demo.ACTIVE))] == [200, 200, 429, 200]
    assert [(w.reason, w.status) for w in client.waits] == [("retry-after", 429)]
    assert 1 <= client.waits[0].seconds <= 3
    assert time.monotonic() - started >= client.waits[0].seconds - 0.05


def test_a_real_429_beyond_the_cap_is_raised(sb, demo):
    c, waits = make_client(sb, demo.SUPERVISOR, max_retry_after=5)
    c.http.pacer = None
    sb.control.settings(rateLimitPerMinute=2)
    get(c, demo.ACTIVE)
    get(c, demo.ACTIVE)
    with pytest.raises(errors.RateLimited) as info:
        get(c, demo.ACTIVE)
    assert info.value.injected is False
    assert info.value.retry_after is not None and info.value.retry_after > 5
    assert info.value.code == "too.many.requests.retry.after"
    assert waits == []


# --- dropped connections -------------------------------------------------------------------------


def test_a_dropped_connection_on_a_get_is_retried(sb, client, demo):
    sb.control.fault(method="GET", path=conv_path(demo.ACTIVE), action="drop")
    assert get(client, demo.ACTIVE).id == demo.ACTIVE
    assert [e["status"] for e in log(sb, "GET", conv_path(demo.ACTIVE))] == [0, 200]  # 0: dropped
    assert [w.reason for w in client.waits] == ["backoff"]


def test_a_dropped_connection_on_a_patch_is_raised(sb, client, demo):
    sb.control.fault(method="PATCH", path=state_path(demo.ACTIVE), action="drop", count=3)
    with pytest.raises(errors.ConnectionFailed) as info:
        patch_state(client, demo.ACTIVE, "PAUSED")
    assert info.value.method == "PATCH"
    assert "may have been applied" in info.value.remedy
    assert [e["status"] for e in log(sb, "PATCH", state_path(demo.ACTIVE))] == [0]
    assert client.waits == []


# --- token renewal -------------------------------------------------------------------------------


def test_an_expired_token_is_renewed_once_mid_run(sb, demo):
    created = sb.control.add_client(PAUSERS, tokenLifetimeSeconds=60)
    c, waits = make_client(sb, (created["clientId"], created["clientSecret"]))
    assert get(c, demo.ACTIVE).id == demo.ACTIVE
    first_token = c.api_client.access_token
    sb.control.advance_clock(120)
    assert get(c, demo.ACTIVE).id == demo.ACTIVE
    assert patch_state(c, demo.ACTIVE, "PAUSED") is None
    assert c.api_client.access_token != first_token
    assert len(log(sb, "POST", "/oauth/token")) == 2  # the login and exactly one renewal
    assert [e["status"] for e in log(sb, "GET", conv_path(demo.ACTIVE))] == [200, 401, 200]
    assert [e["status"] for e in log(sb, "PATCH", state_path(demo.ACTIVE))] == [202]
    assert waits == []


def test_a_day_later_the_demo_client_renews_too(sb, client, demo):
    sb.control.advance_clock(86400)
    patch_state(client, demo.ACTIVE, "PAUSED")  # not idempotent, yet repeated after the 401: nothing was done
    assert [e["status"] for e in log(sb, "PATCH", state_path(demo.ACTIVE))] == [401, 202]
    assert len(log(sb, "POST", "/oauth/token")) == 2
    assert sandbox_state(sb, demo.ACTIVE) == "PAUSED"


def test_threads_hitting_the_expiry_together_share_one_renewal(sb, client, demo):
    get(client, demo.ACTIVE)
    sb.control.advance_clock(86400)
    barrier = threading.Barrier(6)

    def one(_):
        barrier.wait()
        return get(client, demo.ACTIVE).id

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(one, range(6))) == [demo.ACTIVE] * 6
    assert len(log(sb, "POST", "/oauth/token")) == 2  # the login and one renewal, not one per thread
    assert [e["status"] for e in log(sb, "GET", conv_path(demo.ACTIVE))].count(200) == 7


def test_a_401_after_renewal_is_raised_not_looped(sb, client, demo):
    sb.control.fault(method="GET", path=conv_path(demo.ACTIVE), status=401, code="bad.credentials", count=5)
    with pytest.raises(errors.AuthError) as info:
        get(client, demo.ACTIVE)
    assert info.value.status == 401
    assert len(log(sb, "POST", "/oauth/token")) == 2
    assert len(log(sb, "GET", conv_path(demo.ACTIVE))) == 2


def test_a_failed_renewal_is_raised_as_the_token_error(sb, demo):
    created = sb.control.add_client(PAUSERS, tokenLifetimeSeconds=60)
    c, _ = make_client(sb, (created["clientId"], created["clientSecret"]))
    get(c, demo.ACTIVE)
    sb.control.call("PATCH", f"clients/{created['clientId']}", {"grants": []})
    sb.control.advance_clock(120)
    with pytest.raises(errors.AuthError) as info:
        get(c, demo.ACTIVE)
    assert info.value.code == "unauthorized_client"
    assert created["clientSecret"] not in str(info.value)
    assert len(log(sb, "POST", "/oauth/token")) == 2


def test_a_user_token_is_not_renewed(sb, demo):
    from recops.api.client import Client
    from recops.api.settings import Settings

    token = sb.control.user_token(demo.AVA)
    c = Client(Settings.load(env={}, sandbox_url=sb.url, access_token=token))
    assert get(c, demo.ACTIVE).id == demo.ACTIVE
    sb.control.advance_clock(86400 * 3)
    with pytest.raises(errors.AuthError):
        get(c, demo.ACTIVE)
    assert log(sb, "POST", "/oauth/token") == []


# --- pacing --------------------------------------------------------------------------------------


def test_pacing_waits_before_the_budget_is_spent(sb, demo):
    """Live, kept short: 20 requests/minute, with the window's first 56 s skipped on the sandbox
    clock, so the rest of the budget must be spread over ~4 s of real time."""
    sb.control.settings(rateLimitPerMinute=20)
    events: list[tuple[str, object]] = []
    from recops.api.client import Client
    from recops.api.settings import Settings

    c = Client(Settings.load(env={}, sandbox_url=sb.url, client_id=demo.SUPERVISOR[0],
                             client_secret=demo.SUPERVISOR[1]),
               on_wait=lambda w: events.append(("wait", w)), on_exchange=lambda e: events.append(("exchange", e)))
    get(c, demo.ACTIVE)  # opens the window
    sb.control.advance_clock(56)
    started = time.monotonic()
    for _ in range(24):
        get(c, demo.ACTIVE)
    elapsed = time.monotonic() - started
    statuses = [e["status"] for e in log(sb, "GET", conv_path(demo.ACTIVE))]
    assert statuses == [200] * 25  # no 429 ever reached the user, nor was sent
    waits = [w for kind, w in events if kind == "wait"]
    assert waits and {w.reason for w in waits} == {"pacing"}
    first = next(i for i, (kind, _) in enumerate(events) if kind == "wait")
    answered_before = sum(1 for kind, e in events[:first] if kind == "exchange" and e.path.startswith("/api/v2/"))
    assert answered_before < 20  # pacing started while budget was left
    assert elapsed >= 3  # the window's rest was waited out instead of running into 429s


def _headers(count: int, allowed: int, reset: float) -> dict[str, str]:
    return {"inin-ratelimit-count": str(count), "inin-ratelimit-allowed": str(allowed),
            "inin-ratelimit-reset": str(reset)}


def _simulate(pacer_clock: list[float], pacer: Pacer, requests: int, allowed: int, threads: int,
              latency: Callable[[], tuple[float, float]]) -> tuple[float, int, list[int]]:
    """``threads`` closed-loop clients send ``requests`` through ``pacer`` to the sandbox's own
    limiter, on a fake clock (events in time order: acquire, arrival at the server, reply).
    Returns the time the last reply came back, the 429s the limiter sent, and how many
    requests each window of the limiter admitted."""
    from recops.sandbox.http.ratelimit import RateLimiter

    limiter = RateLimiter()
    events: list[tuple[float, int, str, int, object]] = []
    seq = itertools.count()
    sent = 0
    for thread in range(min(threads, requests)):
        heapq.heappush(events, (0.0, next(seq), "acquire", thread, None))
        sent += 1
    rejected, last, per_window, window_start = 0, 0.0, [], None
    while events:
        at, _, kind, thread, payload = heapq.heappop(events)
        pacer_clock[0] = at
        if kind == "acquire":
            there, back = latency()
            heapq.heappush(events, (at + pacer.acquire() + there, next(seq), "arrive", thread, back))
        elif kind == "arrive":
            budget = limiter.spend("token", at, allowed=allowed)
            rejected += budget.exceeded
            if not budget.exceeded:
                if budget.count == 1:
                    per_window.append(0)
                per_window[-1] += 1
                window_start = at if budget.count == 1 else window_start
            assert isinstance(payload, float)
            heapq.heappush(events, (at + payload, next(seq), "reply", thread, budget.headers()))
        else:
            pacer.update(payload)
            last = at
            if sent < requests:
                sent += 1
                heapq.heappush(events, (at, next(seq), "acquire", thread, None))
    return last, rejected, per_window


def test_pacer_runs_a_sweep_at_the_full_allowed_rate_without_a_429():
    """1,000 requests at 300/minute, one at a time: every window is used up to its reserve and
    the sweep ends within 2% of the least time the limit allows (three full windows)."""
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    elapsed, rejected, per_window = _simulate(now, pacer, 1000, 300, 1, lambda: (0.005, 0.005))
    floor = 60.0 * ((1000 - 1) // 300)
    assert rejected == 0
    assert per_window[:3] == [300 - pacer.reserve()] * 3
    assert sum(per_window) == 1000
    assert floor <= elapsed <= 1.02 * floor


@pytest.mark.parametrize("threads", [4, 8])
def test_pacer_with_concurrent_out_of_order_replies_never_overruns_the_budget(threads):
    """Threads whose requests cross on the wire (random latencies, seeded): replies arrive out of
    order and while others are in flight; no request is ever refused, and the windows are still
    used to within a few requests."""
    rng = random.Random(7)
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    elapsed, rejected, per_window = _simulate(now, pacer, 1000, 300, threads,
                                              lambda: (rng.uniform(0.001, 0.03), rng.uniform(0.001, 0.03)))
    floor = 60.0 * ((1000 - 1) // 300)
    assert rejected == 0
    assert all(n >= 300 - pacer.reserve() - threads for n in per_window[:3]), per_window
    assert floor <= elapsed <= 1.02 * floor


def test_pacer_takes_the_earliest_reset_the_replies_allow():
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    pacer.update(_headers(10, 300, 30))  # the window ends by 30
    now[0] = 0.6
    pacer.update(_headers(11, 300, 30))  # ... by 30.6: no news
    now[0] = 0.9
    pacer.update(_headers(12, 300, 29))  # rounded up to whole seconds: by 29.9
    assert pacer.reset_at == pytest.approx(29.9)


def test_pacer_counts_requests_in_flight_against_the_budget():
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    for _ in range(4):
        assert pacer.acquire() == 0  # nothing known yet: no wait
    pacer.update(_headers(1, 300, 60))  # three others may not be counted by the server yet
    assert (pacer.in_flight, pacer.remaining) == (3, 296)
    pacer.update({})  # a request that got no answer is no longer in flight
    assert pacer.in_flight == 2


def test_pacer_waits_for_the_reset_at_the_reserve_and_not_after_it():
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    pacer.update(_headers(299, 300, 10))
    wait = pacer.acquire()
    assert wait == pytest.approx(10 + pacer.margin)
    assert pacer.acquire() == pytest.approx(wait)  # a second thread goes in the next window too
    now[0] += wait
    assert pacer.acquire() == 0
    assert pacer.remaining == 300 - 3  # the next window's budget, less the three let through


def test_pacer_ignores_late_replies_from_a_window_that_has_ended():
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    pacer.update(_headers(299, 300, 2))
    now[0] = pacer.acquire()  # waits out the window
    assert pacer.remaining == 299
    pacer.update(_headers(300, 300, 1))  # a reply from the old window, come in late
    assert (pacer.remaining, pacer.reset_at) == (299, None)
    pacer.update(_headers(1, 300, 60))  # the first reply from the new one
    assert pacer.remaining == 299 and pacer.reset_at == pytest.approx(now[0] + 60)


def test_pacer_follows_a_window_the_server_began_before_it_moved_on():
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    pacer.update(_headers(100, 300, 1))  # the window ends by 1 s
    now[0] = 0.5
    pacer.update(_headers(3, 300, 60))  # the server has already begun the next one
    assert pacer.remaining == 297 and pacer.reset_at == pytest.approx(60.5)


def test_pacer_whose_next_budget_is_promised_before_a_reply_waits_a_window_more():
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    pacer.update(_headers(2, 3, 5))  # one left: the reserve
    first = pacer.acquire()
    assert first == pytest.approx(5 + pacer.margin)
    assert pacer.acquire() == pytest.approx(first)  # the next window has room for two
    assert pacer.acquire() == pytest.approx(first + pacer.window + pacer.margin)


def test_pacer_without_headers_does_not_wait():
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    assert pacer.acquire() == 0
    pacer.update({})
    pacer.update({"inin-ratelimit-count": "x", "inin-ratelimit-allowed": "300", "inin-ratelimit-reset": "60"})
    assert pacer.acquire() == 0


def test_pacer_keeps_the_lowest_remaining_of_out_of_order_replies():
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    pacer.update(_headers(250, 300, 30))
    pacer.update(_headers(240, 300, 30))
    assert pacer.remaining == 50


# --- import cost and the SDK's config file -------------------------------------------------------


def _run(code: str, env_extra: dict[str, str] | None = None, home: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_", "XDG_"))}
    if home:
        env["HOME"] = home
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_import_recops_does_not_import_the_sdk(tmp_path):
    proc = _run("""
        import sys
        import recops
        s = recops.Settings.load(env={})
        recops.explain("404")
        recops.resolve_region("eu-west-1")
        print(sorted(m for m in sys.modules if m.startswith(("PureCloudPlatformClientV2", "pandas"))))
    """, home=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_the_sdk_config_file_cannot_redirect_a_client(sb, demo, tmp_path):
    config_dir = tmp_path / ".genesyscloudpython"
    config_dir.mkdir()
    (config_dir / "config").write_text(
        "[general]\nhost = http://127.0.0.1:9\nlive_reload_config = false\n\n"
        "[gateway]\nhost = 127.0.0.1\nprotocol = http\nport = 9\n"
    )
    proc = _run(f"""
        import json
        import recops
        rc = recops.connect()
        status = rc.status({demo.ACTIVE!r})
        import PureCloudPlatformClientV2 as sdk
        plain = sdk.ApiClient()  # what the config file does to a client that does not pin itself
        print(json.dumps({{"state": status.recording_state, "target": rc.target, "base": rc.client.base_url,
                          "sdk_host": plain.host, "sdk_gateway": plain.gateway_configuration.host}}))
    """, env_extra={"RECOPS_SANDBOX_URL": sb.url}, home=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["sdk_host"] == "http://127.0.0.1:9" and out["sdk_gateway"] == "127.0.0.1"  # the file was read
    assert out["state"] == "ACTIVE"
    assert out["base"] == sb.url
    assert out["target"].startswith("SANDBOX")
    assert len(log(sb, "GET", conv_path(demo.ACTIVE))) == 1  # it reached this sandbox
    assert len(log(sb, "POST", "/oauth/token")) == 1
