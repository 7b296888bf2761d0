"""Finding 5 of issue 16: one seat could grow the room's memory without bound.

- Tokens: 18,766 tokens minted in 50 s by one seat added about 10 MB (more than the 8 MB the
  room reserves per seat), and none was ever pruned. Now minting is limited per org
  (``tokenMintsPerMinute``, 429 with ``Retry-After``), each org holds at most
  ``liveTokensPerOrg`` live tokens (the oldest is dropped and answers 401), and expired tokens
  leave the room.
- Media: 150 parallel downloads of one 7 MB WAV through a seat's signed links peaked the room at
  1.13 GB (each download built the whole file). Now the body is streamed in chunks and a seat
  has at most ``mediaDownloadsPerOrg`` downloads at once (429 with ``Retry-After`` past it).

Each attack runs against a real ``recops room serve`` process over real HTTP; memory is read
from the room process's ``/proc/<pid>/status``. The memory bound asserted is the room's own:
``PER_SEAT_BYTES`` per seat (recops/sandbox/room/seats.py) over the RSS measured just before
the attack. A streamed download holds one 64 KiB chunk plus the server's write buffer, so the
real growth is a few MB; the bound is the margin.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import urllib3

from recops.sandbox.http.ratelimit import WINDOW_SECONDS, RateLimiter
from recops.sandbox.room.seats import PER_SEAT_BYTES
from recops.sandbox.services.media import size_for, wav_bytes

from .conftest import SEATS, RoomUnderTest
from .room_http import admin_json, call, mint, retry_after, token_of

DEMO_USER = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1001"  # Ava Agent, a user of every seat's copy of the demo
LONG_CALL_SECONDS = 900  # 8 kHz 8-bit mono: a 7.2 MB WAV, the "7 MB WAV"
DOWNLOADS = 150


def status_kb(pid: int, field: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of /proc/<pid>/status, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


class RssSampler:
    """The room's peak RSS while a block runs: VmRSS sampled every 10 ms, and VmHWM (the
    kernel's own high-water mark) when it rose during the block."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.base = status_kb(pid, "VmRSS")
        self._hwm_before = status_kb(pid, "VmHWM")
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, status_kb(self.pid, "VmRSS"))
            self._stop.wait(0.01)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, status_kb(self.pid, "VmRSS"))
        hwm = status_kb(self.pid, "VmHWM")
        if hwm > self._hwm_before:  # the high-water mark was set during the block
            self.peak = max(self.peak, hwm)

    @property
    def growth(self) -> int:
        return self.peak - self.base






def live_tokens(pool: urllib3.PoolManager, room: RoomUnderTest, seat: int) -> int:
    return admin_json(pool, room, "GET", f"/_room/seats/{seat}")["liveTokens"]



@pytest.fixture(scope="module")
def pool() -> urllib3.PoolManager:
    return urllib3.PoolManager(maxsize=16, block=True)


# --- tokens -----------------------------------------------------------------------------------------


def test_a_seat_minting_in_a_loop_gets_429s_and_the_room_stays_within_its_reserve(room, pool):
    """Seat 1 mints client-credentials tokens from 8 threads for 5 s."""
    statuses: Counter[int] = Counter()
    bodies: list[dict[str, Any]] = []
    waits: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 5.0

    def loop() -> None:
        while time.monotonic() < deadline:
            resp = mint(pool, room, 1)
            with lock:
                statuses[resp.status] += 1
                if resp.status == 429 and len(bodies) < 50:
                    bodies.append(resp.json())
                    waits.append(retry_after(resp))

    with RssSampler(room.served.pid) as rss, ThreadPoolExecutor(8) as workers:
        for f in [workers.submit(loop) for _ in range(8)]:
            f.result()

    assert not [s for s in statuses if s >= 500], statuses
    assert statuses[429] > 0, f"no mint was refused: {statuses}"
    assert set(statuses) <= {200, 429}, statuses
    limit = admin_json(pool, room, "GET", "/_sandbox/settings")["tokenMintsPerMinute"]
    assert 1 <= statuses[200] <= limit, statuses  # one window: the 5 s fit in its minute
    assert all(b["error"] == "too_many_requests" and "description" in b for b in bodies), bodies[:3]
    assert all(1 <= w <= WINDOW_SECONDS for w in waits)
    cap = admin_json(pool, room, "GET", "/_sandbox/settings")["liveTokensPerOrg"]
    assert live_tokens(pool, room, 1) <= cap
    assert rss.growth < PER_SEAT_BYTES, f"the room grew {rss.growth / 2**20:.1f} MB"

    # a user token at POST /_sandbox/tokens spends the same budget of the org
    resp = call(pool, "POST", f"{room.url}/_sandbox/tokens", body=f'{{"userId": "{DEMO_USER}"}}',
                headers={**room.seat_basic(1), "Content-Type": "application/json"})
    assert resp.status == 429, (resp.status, resp.data[:300])
    retry_after(resp)
    assert resp.json()["code"] == "too.many.requests.retry.after"
    # ... and another seat is not touched by seat 1's budget
    assert mint(pool, room, 2).status == 200


def test_an_org_holds_at_most_the_cap_of_live_tokens_and_the_oldest_answers_401(room, pool):
    """With the cap lowered to 5 by the trainer, seat 3's 8 tokens leave 5 live: the 3 oldest
    answer 401 (recops logs in again), the 5 newest work."""
    original = admin_json(pool, room, "GET", "/_sandbox/settings")["liveTokensPerOrg"]
    admin_json(pool, room, "PUT", "/_sandbox/settings", {"liveTokensPerOrg": 5})
    try:
        before = live_tokens(pool, room, 3)
        tokens = [token_of(pool, room, 3) for _ in range(8)]
        assert live_tokens(pool, room, 3) == 5, before
        for n, token in enumerate(tokens):
            resp = call(pool, "GET", f"{room.url}/api/v2/users", headers={"Authorization": f"Bearer {token}"})
            assert resp.status == (401 if n < 3 else 200), (n, resp.status, resp.data[:200])
    finally:
        admin_json(pool, room, "PUT", "/_sandbox/settings", {"liveTokensPerOrg": original})


def test_the_rate_limiter_forgets_windows_older_than_a_window():
    """Every token that made a request has a window; the windows of tokens gone quiet are
    pruned once they are a window old (amortised on spend), so they do not grow forever."""
    limiter = RateLimiter()
    for i in range(5000):
        limiter.spend(f"token:{i}", now=0.0, allowed=300)
    assert limiter.size() == 5000
    for i in range(5000):
        limiter.spend(f"later:{i}", now=WINDOW_SECONDS + 1, allowed=300)
    assert limiter.size() <= 5000 + 5000 // 2  # the old windows went, most at once
    limiter.spend("last", now=2 * WINDOW_SECONDS + 2, allowed=300)
    for i in range(5000):
        limiter.spend(f"again:{i}", now=3 * WINDOW_SECONDS + 3, allowed=300)
    assert limiter.size() <= 5000 + 5000 // 2


# --- media ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("duration_ms", [0, 1, 3, 4, 5, 1000, 8191, 65_536 // 8 + 1, 300_000])
@pytest.mark.parametrize("rid", ["a", "9a3c7e2e-0000-4000-8000-000000000001", "ß-unicode"])
def test_streamed_wav_is_byte_identical_to_wav_bytes(rid, duration_ms):
    from recops.sandbox.services.media import wav_chunks

    whole = wav_bytes(rid, duration_ms)
    chunks = list(wav_chunks(rid, duration_ms, chunk_bytes=4096))
    assert b"".join(chunks) == whole
    assert len(whole) == size_for(duration_ms)
    assert all(0 < len(c) <= 4096 for c in chunks)
    capped = b"".join(wav_chunks(rid, duration_ms, max_seconds=0.5))
    assert capped == wav_bytes(rid, duration_ms, max_seconds=0.5)


def download(url: str) -> tuple[int, dict[str, str], int, str, bool]:
    """GET one signed link, streamed: (status, headers, body length, SHA-256 hex, whole)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    digest = hashlib.sha256()
    size, whole = 0, True
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        resp = conn.getresponse()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        try:
            while piece := resp.read(65_536):
                digest.update(piece)
                size += len(piece)
        except http.client.IncompleteRead as e:
            digest.update(e.partial)
            size += len(e.partial)
            whole = False
        return resp.status, headers, size, digest.hexdigest(), whole
    finally:
        conn.close()


def long_recording_link(pool: urllib3.PoolManager, room: RoomUnderTest, seat: int) -> tuple[str, str]:
    """A 15-minute ended call in the seat's org (made by the trainer), its one recording's signed
    link from a batch download the seat submits with its own token: (url, recording id)."""
    org = f"seat-{seat:02d}"
    conv = admin_json(pool, room, "POST", "/_sandbox/conversations",
                      {"org": org, "recording": True, "ended": True,
                       "startedSecondsAgo": LONG_CALL_SECONDS + 60, "durationSeconds": LONG_CALL_SECONDS},
                      ok=(201,))
    token = token_of(pool, room, seat)
    bearer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    resp = call(pool, "POST", f"{room.url}/api/v2/recording/batchrequests", headers=bearer,
                body=json.dumps({"batchDownloadRequestList": [{"conversationId": conv["id"]}]}))
    assert resp.status == 200, resp.data
    job = resp.json()["id"]
    for _ in range(200):
        status = call(pool, "GET", f"{room.url}/api/v2/recording/batchrequests/{job}", headers=bearer).json()
        if status["status"] == "Completed":
            result = status["results"][0]
            return result["resultUrl"], result["recordingId"]
        time.sleep(0.05)
    raise AssertionError(f"batch job {job} did not complete: {status}")


def test_150_parallel_downloads_of_a_long_recording_are_bounded_and_streamed(room, pool):
    url, rid = long_recording_link(pool, room, 2)
    truth = wav_bytes(rid, LONG_CALL_SECONDS * 1000)
    assert len(truth) > 7_000_000
    want = (len(truth), hashlib.sha256(truth).hexdigest())
    del truth
    start = threading.Barrier(DOWNLOADS)

    def one(_: int) -> tuple[int, dict[str, str], int, str, bool]:
        start.wait()
        return download(url)

    with RssSampler(room.served.pid) as rss, ThreadPoolExecutor(DOWNLOADS) as workers:
        results = list(workers.map(one, range(DOWNLOADS)))

    statuses = Counter(r[0] for r in results)
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses[429] > 0, f"no download was refused: {statuses}"
    assert set(statuses) <= {200, 429}, statuses
    for status, headers, size, sha, whole in results:
        if status == 200:
            assert headers["content-length"] == str(want[0])
            assert whole and (size, sha) == want
        else:
            assert headers["content-type"] == "application/xml"
            assert int(headers["retry-after"]) >= 1
    bound = SEATS * PER_SEAT_BYTES
    assert rss.growth <= bound, (f"the room grew {rss.growth / 2**20:.0f} MB during {DOWNLOADS} downloads "
                                 f"(bound {bound / 2**20:.0f} MB: {SEATS} seats x PER_SEAT_BYTES)")

    # once they are done, the seat downloads again (its slots were given back)
    status, _, size, sha, whole = download(url)
    assert status == 200 and whole and (size, sha) == want


def test_expired_tokens_leave_the_room(room, pool):
    """Last in the module: it moves the sandbox clock a day on. Every token minted so far is
    then expired; the next mint prunes them, and the seat holds only the new one."""
    assert live_tokens(pool, room, 3) > 1
    admin_json(pool, room, "POST", "/_sandbox/clock", {"advanceSeconds": 2 * 86_400})
    token = token_of(pool, room, 3)
    assert live_tokens(pool, room, 3) == 1
    assert live_tokens(pool, room, 1) == 0  # pruned on any org's mint: expiry is global
    assert call(pool, "GET", f"{room.url}/api/v2/users",
                headers={"Authorization": f"Bearer {token}"}).status == 200


def test_no_token_value_in_the_seat_view(room, pool):
    """The live-token count is a number; the seat view never carries a token or a secret."""
    token = token_of(pool, room, 2)
    text = str(admin_json(pool, room, "GET", "/_room/seats/2"))
    assert token not in text
    assert room.card(2)["clientSecret"] not in text
    assert base64.b64encode(token.encode()).decode() not in text
