"""Room abuse: seat 1 attacks the room while the other seats work the walkthrough (issue 16).

A room of N seats (``recops room serve`` in its own process); seats 2..N are trainees working the
walkthrough exactly as in ``room_load`` (its ``Fleet`` of trainee processes, plus the trainer's
board every 2 s), while seat 1, with nothing but its own card, runs at once:

- **a reset loop**: ``POST /_sandbox/reset`` with seat 1's Basic credentials, as fast as it can,
  from a few threads;
- **a token-minting loop**: ``POST /oauth/token`` (client credentials of seat 1's card), as fast
  as it can;
- **parallel media downloads**: a batch download job of seat 1's longest recording (a 7 MB WAV
  of the demo org) gives a signed link; 150 threads download it at once, again and again,
  streaming and discarding the body. A seat's own reset replaces its recordings (their ids are
  new), so a link that answers 404 (or 403) is renewed with a new batch job, as a client must;
- **5 fresh tokens × 300 GETs a minute**: ``GET /api/v2/conversations/{id}``, each token paced
  at its rate limit; a token refused with 401 (dropped by the seat's reset, or pruned) is
  replaced by a new one.

The reset and minting loops never wait for ``Retry-After`` ("as fast as it can", a few
connections each); the downloads and the paced GETs honour it (``--flood``: none does, so 150
connections re-send a refused request at once). Seat 1 runs in its own process, niced, on the
load generator's CPU, so the trainees' latency is the room's and not seat 1's client's.

Seat 1's own resets drop its tokens and replace its recordings: where nothing limits them, the
reset loop alone keeps seat 1's other attacks from getting anywhere (every token is refused
before its first use, every link is gone). ``--attacks=mint,media,gets`` runs those without it.

Figures: the other seats' latency (p50/p95/p99/max, as their SDK saw it) and errors; seat 1's
replies per attack by kind (2xx / 401 / 429 with and without ``Retry-After`` / 5xx / no reply /
other); the room process's peak RSS (``VmRSS`` every 100 ms, and ``VmHWM``) against its own
documented bound, seats × ``PER_SEAT_BYTES`` (recops/sandbox/room/seats.py) + its RSS just after
start; every other seat's final state exactly as its trainee left it. The trainer sets
``batchDownloadDelaySeconds`` to 0 (a link in one request, not a second later), so the
downloads are not starved by the reset loop's effect on seat 1's own jobs.

    python -m benchmarks room_abuse [--trainees=30] [--seconds=60] [--quick]
        [--attacks=reset,mint,media,gets] [--reset-threads=4] [--mint-threads=2] [--downloads=150]
        [--get-tokens=5] [--gets-per-minute=300] [--flood] [--think=1.5] [--per-process=5]

``--quick``: 6 seats (5 trainees), 10 s.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import os
import queue
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3

from recops.genesys.errors import retry_after_seconds

from .common import RssSampler, clean_env, load_average, percentile, split_cpus, table, target, vm_bytes
from .room_load import (
    ACTIVE,
    BOARD_EVERY,
    P99_TARGET_MS,
    Board,
    Fleet,
    Samples,
    _Rate,
    expected_final,
    merged_errors,
    mismatched_seats,
    pinning,
    read_final_states,
)

ATTACKS = ("reset", "mint", "media", "gets")
HOSTILE_SEAT = 1
ATTACKER_NICE = 10  # seat 1's process yields the load generator's CPU to the trainees
RSS_EVERY = 0.1  # seconds between two samples of the room's VmRSS
CHUNK = 1 << 16  # a download is read (and dropped) in 64 KiB pieces
POLL_EVERY = 0.05  # seconds between two polls of a batch download job
TIMEOUT = urllib3.Timeout(connect=10.0, read=60.0)
MB = 2**20

# seat 1's rows, in the table's order
RESETS, MINTS, DOWNLOADS, LINKS, GETS, GET_TOKENS = (
    "reset loop", "token minting", "media downloads", "media links (token, batch job, polls)",
    "GETs at the rate limit", "fresh tokens for the GETs")
ROWS_OF = {"reset": (RESETS,), "mint": (MINTS,), "media": (DOWNLOADS, LINKS), "gets": (GETS, GET_TOKENS)}
# a reply's kind -> its column; a kind is "<column>" or "<column>: <detail>"
COLUMNS = ("2xx", "401", "429 with Retry-After", "429 without Retry-After", "5xx", "no reply", "other")


def kind_of(status: int, retry_after: str | None) -> str:
    """The column a reply counts in (``retry_after``: its ``Retry-After`` header, if any)."""
    if 200 <= status < 300:
        return "2xx"
    if status == 401:
        return "401"
    if status == 429:
        return "429 with Retry-After" if retry_after_seconds(retry_after) is not None else "429 without Retry-After"
    if status >= 500:
        return f"5xx: HTTP {status}"
    return f"other: HTTP {status}"


@dataclass
class Outcomes:
    """Seat 1's replies of one attack: how many of each kind, and how long each took; thread-safe."""

    counts: dict[str, int] = field(default_factory=dict)
    latencies_ns: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str, elapsed_ns: int) -> None:
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.latencies_ns.append(elapsed_ns)

    def column(self, name: str) -> int:
        return sum(n for kind, n in self.counts.items() if kind.split(":", 1)[0] == name)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def details(self) -> dict[str, int]:
        """The kinds that carry a detail (5xx, no reply, other), for the table's notes."""
        return {kind: n for kind, n in sorted(self.counts.items()) if ":" in kind}

    def wire(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "latencies_ns": list(self.latencies_ns)}

    @classmethod
    def unwire(cls, data: dict[str, Any]) -> Outcomes:
        return cls(dict(data["counts"]), list(data["latencies_ns"]))


@dataclass(frozen=True)
class Plan:
    """What seat 1 does, and for how long (from the barrier on)."""

    attacks: tuple[str, ...] = ATTACKS
    reset_threads: int = 4
    mint_threads: int = 2
    downloads: int = 150
    get_tokens: int = 5
    gets_per_minute: int = 300
    flood: bool = False  # True: downloads and GETs ignore Retry-After too
    conversation: str = ""  # the conversation whose recording is downloaded
    media_bytes: int = 0  # its WAV's size (0: unknown, not checked)
    warmup: float = 5.0
    seconds: float = 60.0

    def rows(self) -> list[str]:
        return [row for attack in ATTACKS if attack in self.attacks for row in ROWS_OF[attack]]


class HostileSeat:
    """Seat 1's attacks, each on threads of its own with their own connections (urllib3, no
    retries): every reply is counted in its attack's :class:`Outcomes`, nothing raises."""

    def __init__(self, url: str, card: dict[str, Any], plan: Plan) -> None:
        parsed = urllib3.util.parse_url(url)
        self.host, self.port = str(parsed.host), int(parsed.port or 80)
        pair = f"{card['clientId']}:{card['clientSecret']}".encode()
        self.basic = "Basic " + base64.b64encode(pair).decode()
        self.plan = plan
        self.rows = {row: Outcomes() for row in plan.rows()}
        self.downloaded_bytes = 0
        self.downloads_done = 0
        self._link: str | None = None  # the signed link the downloads use (path and query)
        self._link_gen = 0
        self._cond = threading.Condition()

    # --- plumbing ------------------------------------------------------------------------------

    def _pool(self) -> urllib3.HTTPConnectionPool:
        return urllib3.HTTPConnectionPool(self.host, self.port, maxsize=1, block=True, retries=False, timeout=TIMEOUT)

    def _send(self, pool: urllib3.HTTPConnectionPool, row: str, method: str, path: str, headers: dict[str, str],
              body: bytes | None = None) -> urllib3.BaseHTTPResponse | None:
        """One request, its reply counted in ``row``; None (counted as no reply) if none came."""
        t0 = time.perf_counter_ns()
        try:
            resp = pool.urlopen(method, path, body=body, headers=headers, assert_same_host=False, redirect=False)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            self.rows[row].add(f"no reply: {type(e).__name__}", time.perf_counter_ns() - t0)
            return None
        self.rows[row].add(kind_of(resp.status, resp.headers.get("Retry-After")), time.perf_counter_ns() - t0)
        return resp

    @staticmethod
    def _sleep(seconds: float, until: float) -> None:
        time.sleep(max(0.0, min(seconds, until - time.monotonic())))

    def _back_off(self, resp: urllib3.BaseHTTPResponse | None, until: float, honour: bool) -> None:
        """After a refusal: wait its Retry-After (when ``honour``), or a moment after no reply or a
        5xx (a broken room must not turn seat 1 into a busy loop of its own)."""
        if resp is None or resp.status >= 500:
            self._sleep(0.05, until)
        elif resp.status == 429 and honour:
            self._sleep(retry_after_seconds(resp.headers.get("Retry-After")) or 1.0, until)

    def _mint(self, pool: urllib3.HTTPConnectionPool, row: str, until: float) -> str | None:
        """A fresh client-credentials token of seat 1, or None (after waiting out a 429)."""
        resp = self._send(pool, row, "POST", "/oauth/token",
                          {"Authorization": self.basic, "Content-Type": "application/x-www-form-urlencoded"},
                          b"grant_type=client_credentials")
        if resp is not None and resp.status == 200:
            return str(json.loads(resp.data)["access_token"])
        self._back_off(resp, until, honour=True)
        return None

    # --- the attacks -----------------------------------------------------------------------------

    def reset_loop(self, until: float) -> None:
        pool = self._pool()
        while time.monotonic() < until:
            resp = self._send(pool, RESETS, "POST", "/_sandbox/reset",
                              {"Authorization": self.basic, "Content-Type": "application/json"}, b"{}")
            self._back_off(resp, until, honour=False)

    def mint_loop(self, until: float) -> None:
        pool = self._pool()
        while time.monotonic() < until:
            resp = self._send(pool, MINTS, "POST", "/oauth/token",
                              {"Authorization": self.basic, "Content-Type": "application/x-www-form-urlencoded"},
                              b"grant_type=client_credentials")
            self._back_off(resp, until, honour=False)

    def get_loop(self, until: float) -> None:
        """One fresh token at its rate limit: a GET every 60/limit seconds, never faster."""
        pool = self._pool()
        interval = 60.0 / self.plan.gets_per_minute
        token: str | None = None
        next_at = time.monotonic()
        while time.monotonic() < until:
            if token is None:
                token = self._mint(pool, GET_TOKENS, until)
                continue
            self._sleep(next_at - time.monotonic(), until)
            if time.monotonic() >= until:
                return
            next_at = max(next_at + interval, time.monotonic())
            resp = self._send(pool, GETS, "GET", f"/api/v2/conversations/{ACTIVE}",
                              {"Authorization": f"Bearer {token}"})
            if resp is not None and resp.status == 401:
                token = None  # dropped by the seat's own reset, or expired and pruned: a new one
            self._back_off(resp, until, honour=not self.plan.flood)

    def link_loop(self, until: float) -> None:
        """Keep a signed link of the long recording for the downloads: a new one whenever the
        current one is refused (the seat's reset replaced the recording, or the link expired)."""
        pool = self._pool()
        token: str | None = None
        while time.monotonic() < until:
            with self._cond:
                self._cond.wait_for(lambda: self._link is None, timeout=max(0.0, until - time.monotonic()))
                if self._link is not None:
                    continue
            token = token or self._mint(pool, LINKS, until)
            if token is None:
                continue
            link = self._batch_link(pool, token, until)
            if link == "401":
                token = None
            elif link:
                with self._cond:
                    self._link, self._link_gen = link, self._link_gen + 1
                    self._cond.notify_all()

    def _batch_link(self, pool: urllib3.HTTPConnectionPool, token: str, until: float) -> str | None:
        """A batch download job of the long conversation, polled to its first resultUrl (its path
        and query); "401" when the token was refused; None when the job failed or vanished."""
        auth = {"Authorization": f"Bearer {token}"}
        item = json.dumps({"batchDownloadRequestList": [{"conversationId": self.plan.conversation}]}).encode()
        resp = self._send(pool, LINKS, "POST", "/api/v2/recording/batchrequests",
                          {**auth, "Content-Type": "application/json"}, item)
        job = json.loads(resp.data).get("id") if resp is not None and resp.status == 200 else None
        while time.monotonic() < until:
            if resp is None or resp.status != 200:
                self._back_off(resp, until, honour=True)
                return "401" if resp is not None and resp.status == 401 else None
            body = json.loads(resp.data)
            results = body.get("results") or []
            url = next((r["resultUrl"] for r in results if r.get("resultUrl")), None)
            if url:
                return str(urllib3.util.parse_url(url).request_uri)
            if body.get("status") == "Completed" or results:
                return None  # completed without a link (an errorMsg): the recording is gone
            self._sleep(POLL_EVERY, until)
            resp = self._send(pool, LINKS, "GET", f"/api/v2/recording/batchrequests/{job}", auth)
        return None

    def download_loop(self, until: float) -> None:
        """One of the parallel downloads: the current link, streamed and dropped, again and again."""
        pool = self._pool()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._link is not None or time.monotonic() >= until,
                                    timeout=max(0.0, until - time.monotonic()))
                link, gen = self._link, self._link_gen
            if link is None or time.monotonic() >= until:
                return
            resp = self._download(pool, link)
            if resp is not None and resp.status in (403, 404):
                with self._cond:  # the link is dead: the link loop gets a new one (once, for everyone)
                    if self._link_gen == gen:
                        self._link = None
                        self._cond.notify_all()
            elif resp is None or resp.status != 200:
                self._back_off(resp, until, honour=not self.plan.flood)

    def _download(self, pool: urllib3.HTTPConnectionPool, path: str) -> urllib3.BaseHTTPResponse | None:
        t0 = time.perf_counter_ns()
        try:
            resp = pool.urlopen("GET", path, assert_same_host=False, redirect=False, preload_content=False)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            self.rows[DOWNLOADS].add(f"no reply: {type(e).__name__}", time.perf_counter_ns() - t0)
            return None
        got = 0
        try:
            for chunk in resp.stream(CHUNK):
                got += len(chunk)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            self.rows[DOWNLOADS].add(f"no reply: body cut ({type(e).__name__})", time.perf_counter_ns() - t0)
            return None
        finally:
            resp.release_conn()
        kind = kind_of(resp.status, resp.headers.get("Retry-After"))
        if resp.status == 200:
            with self._cond:
                self.downloaded_bytes += got
                self.downloads_done += 1
            if self.plan.media_bytes and got != self.plan.media_bytes:
                kind = f"other: 200 with {got:,} bytes, not {self.plan.media_bytes:,}"
        self.rows[DOWNLOADS].add(kind, time.perf_counter_ns() - t0)
        return resp

    # --- all at once -----------------------------------------------------------------------------

    def _guarded(self, row: str, loop: Callable[[float], None], until: float) -> None:
        """Run ``loop`` to the end: a reply it did not expect (a body that is not the JSON it
        reads) is counted in ``row`` and the loop starts again, so no attack stops early."""
        while time.monotonic() < until:
            try:
                loop(until)
                return
            except Exception as e:
                self.rows[row].add(f"other: unexpected reply ({type(e).__name__})", 0)
                self._sleep(0.05, until)

    def threads(self, until: float) -> list[threading.Thread]:
        p = self.plan
        plan: list[tuple[str, str, Callable[[float], None], int]] = [
            ("reset", RESETS, self.reset_loop, p.reset_threads), ("mint", MINTS, self.mint_loop, p.mint_threads),
            ("media", LINKS, self.link_loop, 1), ("media", DOWNLOADS, self.download_loop, p.downloads),
            ("gets", GETS, self.get_loop, p.get_tokens)]
        return [threading.Thread(target=self._guarded, args=(row, fn, until), daemon=True,
                                 name=f"seat 1: {attack} {k}")
                for attack, row, fn, n in plan if attack in p.attacks for k in range(n)]

    def run(self, until: float) -> dict[str, Any]:
        threads = self.threads(until)
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, until - time.monotonic()) + 90)
        return {"rows": {row: o.wire() for row, o in self.rows.items()}, "bytes": self.downloaded_bytes,
                "downloads": self.downloads_done, "threads": len(threads),
                "stuck": sum(t.is_alive() for t in threads)}


def _hostile_process(url: str, card: str, plan: Plan, cpus: set[int] | None, ready: Any, results: Any) -> None:
    """Seat 1 in a worker process of its own: pinned, niced, released by the class's barrier."""
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)
    if hasattr(os, "nice"):
        os.nice(ATTACKER_NICE)
    seat = HostileSeat(url, json.loads(Path(card).read_text()), plan)
    ready.wait()
    results.put(seat.run(time.monotonic() + plan.warmup + plan.seconds))


def longest_recording() -> tuple[str, int]:
    """The demo org's conversation with the longest single recording, and its WAV's bytes,
    computed in this process from the room's own scenario (conversation ids are seeded, recording
    ids are new at every load and every seat reset, so the attack asks for the conversation)."""
    from recops.sandbox.model.state import SandboxState
    from recops.sandbox.room import Room
    from recops.sandbox.services.media import recording_media_ms, size_for

    state = SandboxState()
    Room(1).load(state)
    best = (0, "")
    with state.lock:
        for conv in state.all_conversations():
            recs = conv.recordings
            if len(recs) == 1 and recs[0].end is not None and recs[0].file_state not in ("ARCHIVED", "DELETED"):
                best = max(best, (recording_media_ms(state, conv, recs[0]), conv.id))
    return best[1], size_for(best[0], state.settings.media_max_seconds)


# --- the run -----------------------------------------------------------------------------------------


@dataclass
class Result:
    seats: int
    plan: Plan
    sdk: Samples  # the other seats' API requests, through their SDK
    control: Samples  # their control-plane calls (their one reset, user tokens)
    board: Samples
    renewals: Samples
    passes: list[int]
    peak_per_minute: int
    final_states: dict[int, tuple[str, bool]]
    expected_states: dict[int, tuple[str, bool]]
    hostile: dict[str, Outcomes]
    downloaded_bytes: int
    downloads: int
    base_rss: int  # the room's RSS just after start
    peak_rss: int  # the highest VmRSS sample
    hwm: int  # VmHWM at the end: the kernel's own peak
    end_rss: int
    bound: int  # seats x PER_SEAT_BYTES + base_rss
    notes: list[str]
    pinned: str = ""

    @property
    def errors(self) -> dict[str, int]:
        return merged_errors(self.sdk, self.control, self.board)

    @property
    def mismatched_seats(self) -> dict[int, tuple[tuple[str, bool], tuple[str, bool]]]:
        return mismatched_seats(self.final_states, self.expected_states)

    @property
    def peak(self) -> int:
        return max(self.peak_rss, self.hwm)

    def hostile_column(self, name: str) -> int:
        return sum(o.column(name) for o in self.hostile.values())


def run_room_abuse(trainees: int = 30, seconds: float = 60.0, plan: Plan | None = None, think: float = 1.5,
                   seed: int = 7, per_process: int = 5, warmup: float = 5.0, pin: bool = True) -> Result:
    """A room of ``trainees`` seats in a child process: seats 2.. work the walkthrough (room_load's
    trainees) while seat 1 runs ``plan``; the room's memory is sampled throughout."""
    from recops.sandbox.control_client import SandboxClient
    from recops.sandbox.process import room_process
    from recops.sandbox.room.seats import PER_SEAT_BYTES

    if trainees < 2:
        raise ValueError("room_abuse needs at least 2 seats: seat 1 attacks, the others are the class")
    plan = plan or Plan()
    conversation, media_bytes = longest_recording() if "media" in plan.attacks else ("", 0)
    plan = dataclasses.replace(plan, conversation=conversation, media_bytes=media_bytes, warmup=warmup,
                               seconds=seconds)
    work = Path(tempfile.mkdtemp(prefix="recops-room-abuse-"))
    cards = work / "cards"
    sdk, control, board_samples, renewals, rate = Samples(), Samples(), Samples(), Samples(), _Rate()
    passes: dict[int, int] = {}
    class_seats = list(range(HOSTILE_SEAT + 1, trainees + 1))
    server_cpus, client_cpus = split_cpus(pin)
    notes: list[str] = []
    with room_process(trainees, cards, env=clean_env(), cpus=server_cpus) as room:
        base = vm_bytes(room.pid) or 0
        sampler = RssSampler(room.pid, RSS_EVERY).start()
        admin_token = (cards / "admin-token").read_text().strip()
        trainer = SandboxClient(room.url, admin_token=admin_token)
        if "media" in plan.attacks:
            trainer.settings(batchDownloadDelaySeconds=0)
        fleet = Fleet(class_seats, cards, work, think, random.Random(seed), seconds, warmup, client_cpus, per_process,
                      extra_parties=1)
        hostile_results = fleet.ctx.Queue()
        hostile = fleet.ctx.Process(target=_hostile_process, daemon=True,
                                    args=(room.url, str(cards / f"seat-{HOSTILE_SEAT:02d}.json"), plan, client_cpus,
                                          fleet.ready, hostile_results))
        hostile.start()
        # the board's own request under attack: the page's fallback poll (room_load holds its push stream)
        board = Board(room.url, admin_token, board_samples, push=False)
        fleet.ready.wait(timeout=120)
        board_samples.measure_from = time.monotonic() + warmup
        until = time.monotonic() + warmup + seconds
        board_thread = threading.Thread(target=board.run, args=(until,), daemon=True)
        board_thread.start()
        fleet.gather(sdk, control, renewals, rate, passes)
        try:
            got = hostile_results.get(timeout=seconds + warmup + 180)
        except queue.Empty:  # seat 1's process died: its attacks count as nothing sent
            got = {"rows": {}, "bytes": 0, "downloads": 0, "threads": 0, "stuck": 0}
            notes.append(f"seat 1's process sent no results (exit code {hostile.exitcode})")
        hostile.join(30)
        board_thread.join(BOARD_EVERY * 2 + 30)
        hwm, end_rss = vm_bytes(room.pid, "VmHWM") or 0, vm_bytes(room.pid) or 0
        sampler.stop()
        if got["stuck"]:
            notes.append(f"{got['stuck']} of seat 1's {got['threads']} threads were still waiting at the end")
        try:
            final = read_final_states(trainer, class_seats)
        except Exception as e:  # the room died or stopped answering: every seat counts as wrong
            final = {}
            ended = "" if room.running() else " (the room process has exited)"
            notes.append(f"the final states could not be read{ended}: {type(e).__name__}: {str(e)[:100]}")
    return Result(trainees, plan, sdk, control, board_samples, renewals, [passes.get(k, 0) for k in class_seats],
                  rate.peak(), final, {k: expected_final(k) for k in class_seats},
                  {row: Outcomes.unwire(data) for row, data in got["rows"].items()}, got["bytes"], got["downloads"],
                  base, sampler.peak, hwm, end_rss, trainees * PER_SEAT_BYTES + base, notes,
                  pinning(server_cpus, client_cpus))


# --- the report ----------------------------------------------------------------------------------------


def _latency_row(name: str, ns: list[int], errors: int | str) -> list[object]:
    return [name, len(ns), errors, f"{percentile(ns, 50):.1f}", f"{percentile(ns, 95):.1f}",
            f"{percentile(ns, 99):.1f}", f"{max(ns) / 1e6:.1f}" if ns else "-"]


def _threads_of(plan: Plan, row: str) -> str:
    return {RESETS: f"{plan.reset_threads} threads", MINTS: f"{plan.mint_threads} threads",
            DOWNLOADS: f"{plan.downloads} at once", LINKS: "1 thread",
            GETS: f"{plan.get_tokens} tokens × {plan.gets_per_minute}/min", GET_TOKENS: "first, then on 401"}[row]


def report(result: Result) -> None:
    plan, others = result.plan, result.seats - 1
    ran = plan.warmup + plan.seconds
    sdk_p99 = percentile(result.sdk.latencies_ns, 99)
    all_ns = result.sdk.latencies_ns + result.control.latencies_ns + result.board.latencies_ns
    mismatched = result.mismatched_seats
    table(f"room abuse: the {others} other seats' latency per request (ms), while seat 1 attacks",
          ["requests", "n", "errors", "p50", "p95", "p99", "max"],
          [_latency_row(f"seats 2-{result.seats}: SDK requests", result.sdk.latencies_ns, result.sdk.error_count),
           _latency_row("  their control plane (reset, user tokens)", result.control.latencies_ns,
                        result.control.error_count),
           _latency_row(f"trainer board every {BOARD_EVERY:.0f} s", result.board.latencies_ns,
                        result.board.error_count),
           _latency_row("all (as the clients saw them)", all_ns, sum(result.errors.values()))],
          [f"walkthrough passes per trainee: {min(result.passes)}–{max(result.passes)}; busiest token: "
           f"{result.peak_per_minute} requests in 60 s; {len(result.renewals.latencies_ns)} token renewals after a "
           "seat's own reset (not errors)",
           f"final states: {others - len(mismatched)}/{others} seats exactly as their own trainee left them"
           + (f"; WRONG: {mismatched}" if mismatched else ""),
           f"latencies after a {plan.warmup:.0f} s warm-up (the control-plane row: throughout); errors (counted "
           f"throughout): {result.errors or 0}"])

    rows, details = [], []
    for name, outcomes in result.hostile.items():
        rows.append([name, _threads_of(plan, name), outcomes.total, f"{outcomes.total / ran:.0f}",
                     f"{percentile(outcomes.latencies_ns, 50):.1f}",
                     *(outcomes.column(c) for c in COLUMNS)])
        details += [f"{name}: {kind} × {n}" for kind, n in outcomes.details().items()]
    table(f"room abuse: seat 1's replies per attack, over {ran:.0f} s",
          ["attack", "how", "n", "per s", "p50 ms", "2xx", "401", "429+RA", "429 no RA", "5xx", "no reply",
           "other"], rows,
          [*details,
           *([f"media: {result.downloads} whole downloads, {result.downloaded_bytes / MB:,.0f} MB, of conversation "
              f"{plan.conversation} ({plan.media_bytes / MB:.1f} MB WAV); its link renewed after a 403/404"]
             if "media" in plan.attacks else []),
           "429+RA: 429 with a Retry-After of seconds; resets and mints ignore it, downloads and GETs "
           + ("ignore it too (--flood)" if plan.flood else "honour it")])

    table("room abuse: the room process's memory (MB)", ["what", "MB"],
          [["RSS just after start (base)", f"{result.base_rss / MB:.0f}"],
           [f"peak VmRSS (sampled every {RSS_EVERY * 1000:.0f} ms)", f"{result.peak_rss / MB:.0f}"],
           ["VmHWM (the kernel's peak) at the end", f"{result.hwm / MB:.0f}"],
           ["RSS at the end", f"{result.end_rss / MB:.0f}"],
           [f"bound: {result.seats} seats × PER_SEAT_BYTES + base", f"{result.bound / MB:.0f}"]],
          [*result.notes, f"{result.seats} seats, seat 1 hostile (niced, in its own process); {result.pinned}; "
           f"{load_average()}"])

    hostile_failures = result.hostile_column("5xx") + result.hostile_column("no reply")
    with_ra = result.hostile_column("429 with Retry-After")
    without_ra = result.hostile_column("429 without Retry-After")
    target(f"room abuse: other seats' p99 ({others} seats)", f"{sdk_p99:.1f} ms", f"≤ {P99_TARGET_MS:.0f} ms",
           sdk_p99 <= P99_TARGET_MS, f"{len(result.sdk.latencies_ns)} SDK requests")
    target("room abuse: other seats' errors, cross-seat effects", f"{sum(result.errors.values())}, {len(mismatched)}",
           "0, 0", not result.errors and not mismatched)
    target("room abuse: seat 1's 5xx / no reply", str(hostile_failures), "0", hostile_failures == 0)
    target("room abuse: seat 1's 429s with Retry-After, without", f"{with_ra}, {without_ra}", "> 0, 0",
           with_ra > 0 and without_ra == 0)
    target("room abuse: the room's peak RSS", f"{result.peak / MB:.0f} MB", f"≤ {result.bound / MB:.0f} MB",
           result.peak <= result.bound, "seats × per-seat reserve + base")


def met(result: Result) -> bool:
    """Every target of :func:`report` met."""
    return (percentile(result.sdk.latencies_ns, 99) <= P99_TARGET_MS and not result.errors
            and not result.mismatched_seats and result.hostile_column("5xx") + result.hostile_column("no reply") == 0
            and result.hostile_column("429 with Retry-After") > 0
            and result.hostile_column("429 without Retry-After") == 0 and result.peak <= result.bound)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.room_abuse", description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=None, help="seats of the room, seat 1 the hostile one "
                        "(default 30; 6 with --quick)")
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds (default 60; 10 with --quick)")
    parser.add_argument("--quick", action="store_true", help="6 seats, 10 s")
    parser.add_argument("--attacks", default=",".join(ATTACKS), help=f"seat 1's attacks, of {','.join(ATTACKS)}")
    parser.add_argument("--reset-threads", type=int, default=4)
    parser.add_argument("--mint-threads", type=int, default=2)
    parser.add_argument("--downloads", type=int, default=150, help="parallel downloads")
    parser.add_argument("--get-tokens", type=int, default=5)
    parser.add_argument("--gets-per-minute", type=int, default=300, help="each token's pace")
    parser.add_argument("--flood", action="store_true", help="downloads and GETs ignore Retry-After too")
    parser.add_argument("--think", type=float, default=1.5, help="mean think time between the trainees' steps, s")
    parser.add_argument("--per-process", type=int, default=5, help="trainees per load-generator process")
    args = parser.parse_args(argv)
    attacks = tuple(a for a in args.attacks.split(",") if a)
    if not attacks or set(attacks) - set(ATTACKS):
        parser.error(f"--attacks takes some of {','.join(ATTACKS)}, not {args.attacks!r}")
    plan = Plan(attacks, args.reset_threads, args.mint_threads, args.downloads, args.get_tokens,
                args.gets_per_minute, args.flood)
    trainees = args.trainees or (6 if args.quick else 30)
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    result = run_room_abuse(trainees, seconds, plan, args.think, per_process=args.per_process)
    report(result)
    return 0 if met(result) else 1


if __name__ == "__main__":
    from .common import print_targets

    status = main()
    print_targets()
    sys.exit(status)
