"""Room load: N simulated trainees at once against ONE room sandbox (``recops room serve`` in its own
process), plus the trainer's board: its push stream (as the page holds it), or with --board=poll a
GET every 2 s (the page's fallback).

Each trainee is a thread with its own seat card and a real recops session (the official SDK over
loopback), five trainees per load-generator process (a class is many machines; one Python process
for all 30 would mostly measure its own GIL). It resets its seat once (the walkthrough's first
cell, with the seat's control-plane credentials), then works the walkthrough's API calls in a
loop, with think times between the steps: read a state (exercise 1), pause and check (2), pause
again (3), resume and check (4), try to stop Ben's ad-hoc recording with client credentials (403,
5a), stop it with Ben's user token and check (5b), start it again as Ben (so the next pass needs
no reset). At the end each trainee
leaves its seat in a state of its own (odd seats: the call paused; every third seat: Ben's ad-hoc
recording stopped), and the trainer's control plane reads every seat back: each must be exactly
what its own trainee did, whatever the 29 others did meanwhile. Exercise 6 (a week of analytics)
is left out: it is one heavy query per pass, not the interactive calls this load is about.

Latency is per HTTP request, as the SDK's transport saw it (recops's ``on_exchange``), and per
control-plane call. Think times keep each trainee's token well under the 300 requests/min limit
(the peak is printed).

    python -m benchmarks room_load [--trainees=30] [--seconds=60] [--think=1.5] [--per-process=5] [--board=push|poll]
"""

from __future__ import annotations

import argparse
import os
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

from .common import clean_env, load_average, percentile, split_cpus, table, target

ACTIVE = "c0a80001-0000-4000-8000-000000000001"  # recorded, ACTIVE in the demo scenario
PAUSED = "c0a80001-0000-4000-8000-000000000002"  # secure paused
ADHOC = "c0a80001-0000-4000-8000-000000000004"  # recorded only by Ben's ad-hoc recording
BOARD_EVERY = 2.0
P99_TARGET_MS = 50.0


@dataclass
class Samples:
    """Latencies (ns) and problems of one kind of request; thread-safe."""

    latencies_ns: list[int] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    measure_from: float = 0.0  # time.monotonic() before which latencies are warm-up (errors always count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, elapsed_ns: int, problem: str | None = None) -> None:
        with self._lock:
            if time.monotonic() >= self.measure_from:
                self.latencies_ns.append(elapsed_ns)
            if problem:
                self.errors[problem] = self.errors.get(problem, 0) + 1

    def problem(self, what: str) -> None:
        with self._lock:
            self.errors[what] = self.errors.get(what, 0) + 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


@dataclass
class Result:
    trainees: int
    seconds: float
    sdk: Samples
    control: Samples
    board: Samples
    renewals: Samples  # 401s right after the seat's own reset (it drops the seat's tokens): recops renews
    board_source: str
    passes: list[int]
    peak_per_minute: int  # the busiest token's requests in its busiest 60 s
    final_states: dict[int, tuple[str, bool]]  # seat -> (ACTIVE's recordingState, Ben's ad-hoc on)
    expected_states: dict[int, tuple[str, bool]]
    server_ns: list[int]  # the room's own time per request (its request log's durationMs)
    warmup: float = 0.0
    pinned: str = ""
    board_pushed: int = 0  # boards the trainer's stream delivered (0: the board polled)

    @property
    def all_ns(self) -> list[int]:
        return self.sdk.latencies_ns + self.control.latencies_ns + self.board.latencies_ns

    @property
    def errors(self) -> dict[str, int]:
        return merged_errors(self.sdk, self.control, self.board)

    @property
    def mismatched_seats(self) -> dict[int, tuple[tuple[str, bool], tuple[str, bool]]]:
        return mismatched_seats(self.final_states, self.expected_states)


def merged_errors(sdk: Samples, control: Samples, board: Samples) -> dict[str, int]:
    """The errors of the three kinds of request, each named by its kind."""
    merged: dict[str, int] = {}
    for kind, samples in (("sdk", sdk), ("control", control), ("board", board)):
        for what, n in samples.errors.items():
            merged[f"{kind}: {what}"] = merged.get(f"{kind}: {what}", 0) + n
    return merged


def mismatched_seats(final: dict[int, tuple[str, bool]], expected: dict[int, tuple[str, bool]]
                     ) -> dict[int, tuple[tuple[str, bool], tuple[str, bool]]]:
    """Seats whose final state is not what their own trainee left: seat -> (found, wanted)."""
    return {seat: (final.get(seat, ("?", False)), want) for seat, want in expected.items() if final.get(seat) != want}


def expected_final(seat: int) -> tuple[str, bool]:
    """What trainee ``seat`` leaves behind: (ACTIVE's recordingState, Ben's ad-hoc recording on)."""
    return ("PAUSED" if seat % 2 else "ACTIVE", seat % 3 != 0)


class _Rate:
    """Requests per token per 60 s window (to show the think times keep under the rate limit)."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def add(self, who: str) -> None:
        with self._lock:
            self.times.setdefault(who, []).append(time.monotonic())

    def peak(self) -> int:
        best = 0
        for stamps in self.times.values():
            lo = 0
            for hi, t in enumerate(stamps):
                while t - stamps[lo] > 60.0:
                    lo += 1
                best = max(best, hi - lo + 1)
        return best


class Trainee:
    """One seat's walkthrough in a loop, through the real SDK."""

    def __init__(self, card: Path, journal: Path, sdk: Samples, control: Samples, renewals: Samples, rate: _Rate,
                 think: float, rng: random.Random) -> None:
        import recops
        from recops.kit import discover

        self.seat = int(card.stem.rsplit("-", 1)[1])
        self.sdk, self.control_samples, self.rate = sdk, control, rate
        self.think, self.rng = think, rng
        self.passes = 0
        self.expect_refusal = False  # exercise 5a: client credentials cannot stop an ad-hoc recording
        self.token_dropped = False  # a seat's reset drops its tokens: the next call's 401 renews it
        self.renewals = renewals
        self.rc = recops.connect(seat_card=str(card), journal_path=str(journal))
        self.rc.client.on_exchange = self._exchange("supervisor")
        self.control = discover.sandbox_control(self.rc)

    def _exchange(self, who: str) -> Callable[[Any], None]:
        def record(exchange: Any) -> None:
            self.rate.add(f"{self.seat}:{who}")
            problem = None
            if exchange.status == 401 and who == "supervisor" and self.token_dropped:
                self.renewals.add(int(exchange.elapsed_ms * 1e6))  # recops renews the token, once
            elif exchange.status >= 400 and not (self.expect_refusal and exchange.status in (400, 403)):
                problem = f"HTTP {exchange.status} {exchange.method} {exchange.path.split('?')[0]}"
            if exchange.status < 400 and who == "supervisor":
                self.token_dropped = False
            self.sdk.add(int(exchange.elapsed_ms * 1e6), problem)
        return record

    def _pause(self) -> None:
        time.sleep(self.rng.uniform(0.5, 1.5) * self.think)

    def _control(self, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter_ns()
        try:
            value = fn()
        except Exception as e:
            self.control_samples.add(time.perf_counter_ns() - t0, f"{type(e).__name__}: {str(e)[:60]}")
            raise
        self.control_samples.add(time.perf_counter_ns() - t0)
        return value

    def _check(self, check: Any) -> None:
        if not check.passed:
            self.sdk.problem(f"check {check.exercise} failed: {check.detail[:60]}")

    def reset(self) -> None:
        assert self.control is not None
        self._control(self.control.reset)
        self.token_dropped = True
        self.rc._sandbox_users.clear()  # the reset dropped the agents' user tokens too

    def _as_ben(self) -> tuple[Any, Any]:
        ben = next(p for p in self.rc.status(ADHOC).participants if p.purpose == "agent")
        minted = ben.user_id not in self.rc._sandbox_users  # a session mints a user's token once
        as_ben = self._control(lambda: self.rc.as_sandbox_user(ben.user_id)) if minted else \
            self.rc.as_sandbox_user(ben.user_id)
        as_ben.client.on_exchange = self._exchange("ben")
        return ben, as_ben

    def walkthrough(self) -> None:
        """One pass of exercises 1-5; it ends where it began (Ben's ad-hoc recording started again),
        so the next pass needs no reset."""
        import recops
        from recops.kit import training

        rc = self.rc
        self._pause()
        self._check(training.check_state(rc, "exercise 1", PAUSED, rc.status(PAUSED).recording_state))
        self._pause()
        rc.pause(ACTIVE)
        self._check(training.check_reached(rc, "exercise 2", ACTIVE, "PAUSED", secure_pause=True))
        again = rc.pause(ACTIVE)
        if not again.skipped:
            self.sdk.problem("exercise 3: a repeat pause was sent")
        self._pause()
        rc.resume(ACTIVE)
        self._check(training.check_reached(rc, "exercise 4", ACTIVE, "ACTIVE", secure_pause=False))
        self._pause()
        ben, as_ben = self._as_ben()
        caught = None
        self.expect_refusal = True
        try:
            rc.stop(ADHOC, ben.id)
        except recops.ApiError as e:
            caught = e
        finally:
            self.expect_refusal = False
        self._check(training.check_error("exercise 5a", caught, "missing.any.permissions"))
        as_ben.stop(ADHOC, ben.id)
        self._check(training.check_adhoc(rc, "exercise 5b", ADHOC, ben.id, on=False))
        self._pause()
        as_ben.start(ADHOC, ben.id)
        self._check(training.check_adhoc(rc, "ad-hoc on again", ADHOC, ben.id, on=True))
        self.passes += 1

    def finish(self) -> None:
        """Leave the seat in its own final state (see ``expected_final``)."""
        paused, adhoc_on = expected_final(self.seat)
        if paused == "PAUSED":
            self.rc.pause(ACTIVE)
        if not adhoc_on:
            ben, as_ben = self._as_ben()
            as_ben.stop(ADHOC, ben.id)

    def run(self, until: float) -> None:
        try:
            self.reset()  # the walkthrough's first cell: this seat back to the demo scenario
            while time.monotonic() < until:
                self.walkthrough()
            self.finish()
        except Exception as e:  # one failed pass is an error of the run, not a crash of the benchmark
            self.sdk.problem(f"{type(e).__name__}: {str(e)[:80]}")


class Board:
    """The trainer's view with the admin token. ``push`` (what the board page does now): one
    ``GET /_room/board/stream`` held open for the run, each board it sends counted. Else (the page's
    fallback, and rooms without the stream) refreshed every 2 s: ``GET /_room/board`` where the room
    serves it, else ``GET /_room`` and each seat's conversations (the control plane's per-org reads)."""

    def __init__(self, url: str, admin_token: str, samples: Samples, push: bool = True) -> None:
        self.url, self.samples = url.rstrip("/"), samples
        self.http = urllib3.PoolManager(retries=False, timeout=30.0,
                                        headers={"Authorization": f"Bearer {admin_token}"})
        self.pushed = 0  # boards received on the stream
        if self.http.request("GET", f"{self.url}/_room/board").status != 200:
            self.source = "GET /_room + GET /_sandbox/conversations?org= per seat"
        elif push:
            self.source = "GET /_room/board/stream (push)"
        else:
            self.source = "GET /_room/board"

    def _get(self, path: str) -> Any:
        t0 = time.perf_counter_ns()
        resp = self.http.request("GET", f"{self.url}{path}")
        self.samples.add(time.perf_counter_ns() - t0, None if resp.status == 200 else f"HTTP {resp.status} {path}")
        return resp.json() if resp.status == 200 else None

    def refresh(self) -> None:
        if self.source.startswith("GET /_room/board"):
            self._get("/_room/board")
            return
        room = self._get("/_room")
        for seat in (room or {}).get("seatList", []):
            self._get(f"/_sandbox/conversations?org={seat['org']}")

    def _follow(self, until: float) -> None:
        """Hold the stream until ``until`` (its keep-alives wake the read at least every 15 s)."""
        resp = self.http.request("GET", f"{self.url}/_room/board/stream", preload_content=False)
        try:
            if resp.status != 200:
                self.samples.problem(f"HTTP {resp.status} /_room/board/stream")
                return
            buf, in_event = b"", False
            for chunk in resp.stream(4096, decode_content=True):
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:  # an event is its data: lines up to a blank one
                    if line.startswith(b"data:") and not in_event:
                        self.pushed += 1
                    in_event = line.startswith(b"data:") or (in_event and line.strip() != b"")
                if time.monotonic() >= until:
                    return
        finally:
            resp.release_conn()

    def run(self, until: float) -> None:
        if self.source.endswith("(push)"):
            try:
                self._follow(until)
            except Exception as e:  # an error of the run, not a crash of the board's thread
                self.samples.problem(f"{type(e).__name__}: {str(e)[:80]}")
            return
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                self.refresh()
            except Exception as e:  # an error of the run, not a crash of the board's thread
                self.samples.problem(f"{type(e).__name__}: {str(e)[:80]}")
            time.sleep(max(0.0, BOARD_EVERY - (time.monotonic() - started)))


def _trainee_group(seats: list[int], cards: str, work: str, think: float, seeds: list[float], seconds: float,
                   warmup: float, cpus: set[int] | None, ready: Any, results: Any) -> None:
    """One worker process: ``seats``' trainees as threads (a class is many machines; one Python
    process for all 30 would measure its own GIL). Sends its samples back on ``results``."""
    sdk, control, renewals, rate = Samples(), Samples(), Samples(), _Rate()
    people = [Trainee(Path(cards) / f"seat-{k:02d}.json", Path(work) / f"journal-{k:02d}.sqlite", sdk, control,
                      renewals, rate, think, random.Random(seed)) for k, seed in zip(seats, seeds, strict=True)]
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)
    ready.wait()
    sdk.measure_from = time.monotonic() + warmup
    until = time.monotonic() + warmup + seconds
    threads = [threading.Thread(target=p.run, args=(until,), daemon=True) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    results.put({"sdk": (sdk.latencies_ns, sdk.errors), "control": (control.latencies_ns, control.errors),
                 "renewals": (renewals.latencies_ns, renewals.errors), "passes": {p.seat: p.passes for p in people},
                 "rate": rate.times})


class Fleet:
    """The trainees of some seats in worker processes of ``per_process`` trainees each (spawned,
    pinned to ``cpus``), all released at once by one barrier; :meth:`gather` merges their samples.
    ``extra_parties`` more processes (another load beside the class) may wait on ``ready`` too."""

    def __init__(self, seats: list[int], cards: Path, work: Path, think: float, rng: random.Random, seconds: float,
                 warmup: float, cpus: set[int] | None, per_process: int = 5, extra_parties: int = 0) -> None:
        import multiprocessing

        self.seats, self.seconds = seats, seconds
        groups = [seats[k:k + per_process] for k in range(0, len(seats), per_process)]
        self.ctx = multiprocessing.get_context("spawn")
        self.ready, self.results = self.ctx.Barrier(len(groups) + 1 + extra_parties), self.ctx.Queue()
        self.workers = [self.ctx.Process(target=_trainee_group, daemon=True,
                                         args=(g, str(cards), str(work), think, [rng.random() for _ in g], seconds,
                                               warmup, cpus, self.ready, self.results)) for g in groups]
        for w in self.workers:
            w.start()

    def gather(self, sdk: Samples, control: Samples, renewals: Samples, rate: _Rate, passes: dict[int, int]) -> None:
        """Wait for every worker's samples (they end ``seconds`` after the barrier) and merge them."""
        for _ in self.workers:
            got = self.results.get(timeout=self.seconds + 180)
            for name, samples in (("sdk", sdk), ("control", control), ("renewals", renewals)):
                samples.latencies_ns += got[name][0]
                for what, n in got[name][1].items():
                    samples.errors[what] = samples.errors.get(what, 0) + n
            passes.update(got["passes"])
            rate.times.update(got["rate"])
        for w in self.workers:
            w.join(30)


def read_final_states(trainer: Any, seats: list[int]) -> dict[int, tuple[str, bool]]:
    """Each seat's (ACTIVE's recordingState, Ben's ad-hoc on), read by the trainer's control plane."""
    final: dict[int, tuple[str, bool]] = {}
    for seat in seats:
        org = f"seat-{seat:02d}"
        state = trainer.conversation(ACTIVE, org=org)["recordingState"]
        final[seat] = (state, _ben_adhoc(trainer.conversation(ADHOC, org=org)))
    return final


def run_room_load(trainees: int = 30, seconds: float = 60.0, think: float = 1.5, seed: int = 7,
                  per_process: int = 5, warmup: float = 5.0, pin: bool = True, push: bool = True) -> Result:
    """Serve a room of ``trainees`` seats in a child process, load it for ``seconds`` from worker
    processes of ``per_process`` trainees each, read back every seat's final state as the trainer."""
    from recops.sandbox.control_client import SandboxClient
    from recops.sandbox.process import room_process

    work = Path(tempfile.mkdtemp(prefix="recops-room-load-"))
    cards = work / "cards"
    sdk, control, board_samples, renewals, rate = Samples(), Samples(), Samples(), Samples(), _Rate()
    passes: dict[int, int] = {}
    seats = list(range(1, trainees + 1))
    server_cpus, client_cpus = split_cpus(pin)
    with room_process(trainees, cards, env=clean_env(), cpus=server_cpus) as room:
        admin_token = (cards / "admin-token").read_text().strip()
        trainer = SandboxClient(room.url, admin_token=admin_token)
        trainer.settings(requestLogSize=1_000_000)  # keep every request's server-side duration
        fleet = Fleet(seats, cards, work, think, random.Random(seed), seconds, warmup, client_cpus, per_process)
        board = Board(room.url, admin_token, board_samples, push=push)
        fleet.ready.wait(timeout=120)
        board_samples.measure_from = time.monotonic() + warmup
        until = time.monotonic() + warmup + seconds
        board_thread = threading.Thread(target=board.run, args=(until,), daemon=True)
        board_thread.start()
        fleet.gather(sdk, control, renewals, rate, passes)
        board_thread.join(BOARD_EVERY * 2 + 30)
        server_ns = [int(e["durationMs"] * 1e6) for e in trainer.requests(limit=1_000_000) if "durationMs" in e]
        final = read_final_states(trainer, seats)
    return Result(trainees, seconds, sdk, control, board_samples, renewals, board.source,
                  [passes.get(k, 0) for k in seats], rate.peak(), final,
                  {k: expected_final(k) for k in seats}, server_ns, warmup, pinning(server_cpus, client_cpus),
                  board.pushed)


def pinning(server_cpus: set[int] | None, client_cpus: set[int] | None) -> str:
    return (f"room on CPU {sorted(server_cpus)}, load on {sorted(client_cpus)}" if server_cpus and client_cpus
            else "not pinned")


def _ben_adhoc(conversation: dict[str, Any]) -> bool:
    """Whether the agent's ad-hoc recording is on, in the control plane's view of a conversation."""
    agent = next(p for p in conversation["participants"] if p.get("purpose") == "agent")
    return bool(agent["adhoc"])


def report(result: Result) -> None:
    def row(name: str, samples: Samples) -> list[object]:
        ns = samples.latencies_ns
        if not ns:  # the board by push sends no request
            return [name, 0, samples.error_count, "-", "-", "-", "-"]
        return [name, len(ns), samples.error_count, f"{percentile(ns, 50):.1f}", f"{percentile(ns, 95):.1f}",
                f"{percentile(ns, 99):.1f}", f"{max(ns) / 1e6:.1f}"]

    steady = result.sdk.latencies_ns + result.board.latencies_ns
    p99 = percentile(steady, 99)
    rows = [row("trainees: SDK requests", result.sdk), row("trainees: control plane (reset, user token)",
                                                             result.control),
            row(f"trainer board by push: {result.board_pushed} boards on one stream" if result.board_pushed
                else f"trainer board every {BOARD_EVERY:.0f} s", result.board)]
    all_samples = Samples(result.all_ns, result.errors)
    rows.append(row("all (as the clients saw them)", all_samples))
    rows.append(row("the room process's own time per request", Samples(result.server_ns)))
    mismatched = result.mismatched_seats
    notes = [f"{result.trainees} trainees for {result.seconds:.0f} s against one room process; "
             f"walkthrough passes per trainee: {min(result.passes)}–{max(result.passes)}; board: {result.board_source}",
             f"busiest token: {result.peak_per_minute} requests in 60 s (the limit is 300/min); "
             f"{len(result.renewals.latencies_ns)} token renewals (the 401 after a seat's own reset, which drops its "
             "tokens; counted in the SDK row, not as errors)",
             f"final states: {result.trainees - len(mismatched)}/{result.trainees} seats exactly as their own "
             f"trainee left them" + (f"; WRONG: {mismatched}" if mismatched else ""),
             f"latencies after a {result.warmup:.0f} s warm-up (the logins and the {result.trainees} seat resets at "
             "once), except the control-plane row, which holds every reset and user-token mint; the p99 target is "
             "taken over the SDK and board rows; the room's own time comes from its request log (API requests only)",
             f"errors (counted throughout): {result.errors or 0}; {result.pinned}; {load_average()}"]
    table("room load: latency per request (ms)", ["requests", "n", "errors", "p50", "p95", "p99", "max"], rows, notes)
    target(f"room load p99 ({result.trainees} trainees)", f"{p99:.1f} ms", f"≤ {P99_TARGET_MS:.0f} ms",
           p99 <= P99_TARGET_MS, f"{len(steady)} API and board requests")
    target("room load errors, cross-seat effects", f"{sum(result.errors.values())}, {len(mismatched)}", "0, 0",
           not result.errors and not mismatched)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.room_load", description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=1.5, help="mean think time between steps, seconds")
    parser.add_argument("--per-process", type=int, default=5, help="trainees per load-generator process")
    parser.add_argument("--board", choices=("push", "poll"), default="push",
                        help="the trainer's board page: its stream (push) or its fallback, a GET every 2 s (poll)")
    parser.add_argument("--quick", action="store_true", help="20 s instead of 60")
    args = parser.parse_args(argv)
    result = run_room_load(args.trainees, 20.0 if args.quick else args.seconds, args.think,
                           per_process=args.per_process, push=args.board == "push")
    report(result)
    return 0 if not result.errors and not result.mismatched_seats else 1


if __name__ == "__main__":
    from .common import print_targets

    status = main()
    print_targets()
    sys.exit(status)
