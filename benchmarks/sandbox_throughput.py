"""Sandbox throughput: requests/s and p50/p99 latency of the emulated API under 32 clients.

The sandbox runs as its own process (``python -m recops.cli sandbox serve --port 0``; the URL
is read from its banner), so the load generator never shares its GIL. Cases:

- ``baseline``: ``GET /_sandbox/health``, the cheapest route through the same server (no
  token, no rate limit, no request log). Every other case is also given as a ratio to it, so
  numbers compare across machines.
- ``GET conversation``: ``GET /api/v2/conversations/{id}`` (the demo's recorded, ACTIVE call,
  ~2 KB of JSON) with a client-credentials token.
- ``PUT recordingstate``: ``PUT /api/v2/conversations/calls/{id}/recordingstate`` alternating
  ``PAUSED``/``ACTIVE``. Each client works on a conversation of its own (created through the
  control plane), so every request is a real state transition.

The sandbox's rate limit is raised first (``PUT /_sandbox/settings``), or the 300/min budget
would turn the run into 429s. The load generator is an asyncio loop with one raw keep-alive
HTTP/1.1 socket per client (default) or one thread per client with its own urllib3
connection (``--client threads``, to compare); both are closed loops: each client sends its
next request when the previous reply has been read. On a machine with two or more cores the
server is pinned to one core and the load generator to the others (``--no-pin`` to disable),
and the CPU each side used is printed, so a saturated load generator is visible.

Bounded: each case is measured for 3 s in total (``--quick``: 1 s), in 3 interleaved rounds
(baseline, GET, PUT, baseline, ...) so that load from other processes falls on every case alike,
each round after a 0.3 s warm-up and capped at ``--max-requests``; the whole run takes ~15 s
(``--quick`` ~6 s), loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import urllib3

from recops.sandbox.process import sandbox_process

LOOPBACK = "127.0.0.1"
SUPERVISOR = ("sandbox-supervisor", "sandbox-supervisor-secret")
ACTIVE_CONVERSATION = "c0a80001-0000-4000-8000-000000000001"  # demo.json: recorded, ACTIVE


# --- the sandbox process ---------------------------------------------------------------------------


class SandboxProcess:
    """``recops sandbox serve --port 0`` as a child process (recops/sandbox/process.py), healthy."""

    def __init__(self, scenario: str = "demo", cpus: set[int] | None = None, start_timeout: float = 30.0) -> None:
        self.served = sandbox_process(scenario, cpus=cpus, start_timeout=start_timeout)
        self.start_timeout = start_timeout
        self.url = ""

    @property
    def proc(self) -> subprocess.Popen[str] | None:
        return self.served.proc

    def __enter__(self) -> SandboxProcess:
        self.url = self.served.start().url
        try:
            self._wait_healthy()
        except BaseException:
            self.served.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        http = urllib3.PoolManager(retries=False, timeout=2.0)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(urllib3.exceptions.HTTPError):
                if http.request("GET", f"{self.url}/_sandbox/health").status == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError("the sandbox did not answer /_sandbox/health")

    def cpu_seconds(self) -> float | None:
        """user+system CPU seconds of the server process (Linux /proc), else None."""
        if self.proc is None:
            return None
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def __exit__(self, *exc: object) -> None:
        self.served.stop()


# --- a tiny control/auth client -------------------------------------------------------------------


class Setup:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = urllib3.PoolManager(retries=False, timeout=10.0)

    def _json(self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None,
              raw: bytes | None = None) -> object:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Type", "application/json")
        resp = self.http.request(method, self.url + path, body=data, headers=hdrs)
        if not 200 <= resp.status < 300:
            raise RuntimeError(f"{method} {path} answered {resp.status}: {resp.data[:300]!r}")
        return json.loads(resp.data) if resp.data else None

    def token(self, client_id: str, secret: str) -> str:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        reply = self._json("POST", "/oauth/token", raw=b"grant_type=client_credentials",
                           headers={"Authorization": f"Basic {basic}",
                                    "Content-Type": "application/x-www-form-urlencoded"})
        assert isinstance(reply, dict)
        return reply["access_token"]

    def raise_rate_limit(self) -> None:
        self._json("PUT", "/_sandbox/settings", {"rateLimitPerMinute": 100_000_000})

    def new_recorded_call(self) -> str:
        reply = self._json("POST", "/_sandbox/conversations", {"recording": True})
        assert isinstance(reply, dict)
        return reply["id"]


# --- requests as bytes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    expect: bytes | None = None  # the exact body expected back, if it is known

    def wire(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


# client index, request number of that client -> request
RequestFactory = Callable[[int, int], Req]


@dataclass
class Case:
    name: str
    factory: RequestFactory


def baseline_case() -> Case:
    req = Req("GET", "/_sandbox/health", {"Accept": "application/json"})
    return Case("baseline: GET /_sandbox/health", lambda _c, _n: req)


def get_case(token: str) -> Case:
    req = Req("GET", f"/api/v2/conversations/{ACTIVE_CONVERSATION}",
              {"Authorization": f"Bearer {token}", "Accept": "application/json"})
    return Case("GET /api/v2/conversations/{id}", lambda _c, _n: req)


def put_case(token: str, conversations: Sequence[str]) -> Case:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
               "Content-Type": "application/json"}
    table = [
        tuple(
            Req("PUT", f"/api/v2/conversations/calls/{cid}/recordingstate", headers,
                json.dumps({"recordingState": state}).encode(), expect=json.dumps(state).encode())
            for state in ("PAUSED", "ACTIVE")
        )
        for cid in conversations
    ]
    return Case("PUT .../calls/{id}/recordingstate", lambda c, n: table[c % len(table)][n % 2])


# --- results --------------------------------------------------------------------------------------


@dataclass
class Result:
    case: str
    generator: str
    requests: int
    seconds: float
    latencies_ns: list[int]
    unexpected: dict[str, int] = field(default_factory=dict)
    client_cpu_s: float = 0.0  # CPU seconds of the load generator (this process)
    server_cpu_s: float | None = 0.0  # CPU seconds of the server process (None: unknown)
    wall_s: float = 0.0  # wall time the CPU seconds were spent in (warm-up included)
    round_rps: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def client_cpu(self) -> float | None:
        """Share of one core the load generator used."""
        return self.client_cpu_s / self.wall_s if self.wall_s else None

    @property
    def server_cpu(self) -> float | None:
        return self.server_cpu_s / self.wall_s if self.wall_s and self.server_cpu_s is not None else None

    def merge(self, other: Result) -> Result:
        unexpected = dict(self.unexpected)
        for key, n in other.unexpected.items():
            unexpected[key] = unexpected.get(key, 0) + n
        server = (None if self.server_cpu_s is None or other.server_cpu_s is None
                  else self.server_cpu_s + other.server_cpu_s)
        return Result(self.case, self.generator, self.requests + other.requests, self.seconds + other.seconds,
                      self.latencies_ns + other.latencies_ns, unexpected, self.client_cpu_s + other.client_cpu_s,
                      server, self.wall_s + other.wall_s, self.round_rps + other.round_rps)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] / 1e6


class Tally:
    """Latencies and unexpected replies of the measured window (shared by all clients)."""

    def __init__(self) -> None:
        self.latencies: list[int] = []
        self.unexpected: dict[str, int] = {}
        self.lock = threading.Lock()

    def bad(self, what: str) -> None:
        with self.lock:
            self.unexpected[what] = self.unexpected.get(what, 0) + 1


def _check(req: Req, status: int, body: bytes, tally: Tally) -> None:
    if status != 200:
        tally.bad(f"HTTP {status}")
    elif req.expect is not None and body != req.expect:
        tally.bad(f"body {body[:40]!r}")


# --- load generator 1: asyncio, one raw keep-alive socket per client -------------------------------


class _Conn(asyncio.Protocol):
    """One HTTP/1.1 keep-alive connection; responses are framed by Content-Length."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buf[:end]).lower()
        length = 0
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17:stop if stop > 0 else None])
        total = end + 4 + length
        if len(self.buf) < total:
            return
        status = int(head[9:12])
        body = bytes(self.buf[end + 4:total])
        del self.buf[:total]
        waiter.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def request(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter


async def _asyncio_run(host: str, port: int, case: Case, clients: int, warmup: float, seconds: float,
                       max_requests: int, tally: Tally) -> tuple[int, float]:
    loop = asyncio.get_running_loop()
    conns = [(await loop.create_connection(_Conn, host, port))[1] for _ in range(clients)]
    hostport = f"{host}:{port}"
    wires: dict[int, bytes] = {}
    budget = itertools.count()
    counted = 0
    t_start = time.perf_counter()
    t_measure = t_start + warmup
    t_end = t_measure + seconds
    measured_end = t_end

    async def client(i: int, conn: _Conn) -> None:
        nonlocal counted, measured_end
        for n in itertools.count():
            req = case.factory(i, n)
            data = wires.get(id(req))
            if data is None:
                data = wires[id(req)] = req.wire(hostport)
            t0 = time.perf_counter_ns()
            status, body = await conn.request(data)
            t1 = time.perf_counter_ns()
            now = t1 / 1e9
            if now >= t_end:
                return
            if now >= t_measure and t0 / 1e9 >= t_measure:
                if next(budget) >= max_requests:
                    measured_end = min(measured_end, now)
                    return
                counted += 1
                tally.latencies.append(t1 - t0)
                _check(req, status, body, tally)

    try:
        await asyncio.gather(*(client(i, c) for i, c in enumerate(conns)))
    finally:
        for c in conns:
            if c.transport is not None:
                c.transport.close()
    return counted, min(measured_end, time.perf_counter()) - t_measure


def run_asyncio(host: str, port: int, case: Case, clients: int, warmup: float, seconds: float,
                max_requests: int, tally: Tally) -> tuple[int, float]:
    return asyncio.run(_asyncio_run(host, port, case, clients, warmup, seconds, max_requests, tally))


# --- load generator 2: one thread per client, each with its own urllib3 connection -----------------


def run_threads(host: str, port: int, case: Case, clients: int, warmup: float, seconds: float,
                max_requests: int, tally: Tally) -> tuple[int, float]:
    budget = itertools.count()
    counts = [0] * clients
    start_gate = threading.Barrier(clients + 1)
    t_measure = t_end = 0.0
    stopped_at: list[float] = []

    def client(i: int) -> None:
        pool = urllib3.HTTPConnectionPool(host, port, maxsize=1, block=True, retries=False, timeout=30.0)
        mine: list[int] = []
        try:
            start_gate.wait()
            for n in itertools.count():
                req = case.factory(i, n)
                t0 = time.perf_counter_ns()
                resp = pool.urlopen(req.method, req.path, body=req.body or None, headers=req.headers,
                                    preload_content=True, assert_same_host=False)
                t1 = time.perf_counter_ns()
                now = t1 / 1e9
                if now >= t_end:
                    return
                if now >= t_measure and t0 / 1e9 >= t_measure:
                    if next(budget) >= max_requests:
                        stopped_at.append(now)
                        return
                    counts[i] += 1
                    mine.append(t1 - t0)
                    _check(req, resp.status, resp.data, tally)
        finally:
            with tally.lock:
                tally.latencies.extend(mine)
            pool.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    t_measure = time.perf_counter() + warmup
    t_end = t_measure + seconds
    start_gate.wait()
    for t in threads:
        t.join(timeout=warmup + seconds + 60)
    end = min([t_end, *stopped_at, time.perf_counter()])
    return sum(counts), end - t_measure


GENERATORS = {"asyncio": run_asyncio, "threads": run_threads}


# --- the run --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _affinity(cpus: set[int] | None) -> Iterator[None]:
    if not cpus or not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def measure(sandbox: SandboxProcess, case: Case, generator: str, clients: int, warmup: float, seconds: float,
            max_requests: int) -> Result:
    host, port = sandbox.url.removeprefix("http://").rsplit(":", 1)
    tally = Tally()
    cpu0, srv0, wall0 = time.process_time(), sandbox.cpu_seconds(), time.perf_counter()
    count, elapsed = GENERATORS[generator](host, int(port), case, clients, warmup, seconds, max_requests, tally)
    cpu1, srv1, wall1 = time.process_time(), sandbox.cpu_seconds(), time.perf_counter()
    return Result(
        case=case.name, generator=generator, requests=count, seconds=elapsed, latencies_ns=tally.latencies,
        unexpected=tally.unexpected, client_cpu_s=cpu1 - cpu0,
        server_cpu_s=srv1 - srv0 if srv0 is not None and srv1 is not None else None,
        wall_s=wall1 - wall0, round_rps=[count / elapsed if elapsed else 0.0],
    )


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.0f}%"


def print_table(results: list[Result], generators: Sequence[str]) -> None:
    header = ("case", "requests", "req/s", "p50 ms", "p99 ms", "ratio vs baseline")
    rows: list[tuple[str, ...]] = []
    for gen in generators:
        mine = [r for r in results if r.generator == gen]
        base = next((r for r in mine if r.case.startswith("baseline")), None)
        for r in mine:
            name = r.case if len(generators) == 1 else f"{r.case} [{gen}]"
            ratio = f"{r.rps / base.rps:.2f}x" if base and base.rps else "n/a"
            rows.append((name, str(r.requests), f"{r.rps:,.0f}", f"{r.percentile(50):.2f}",
                         f"{r.percentile(99):.2f}", ratio))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                                strict=True)))

    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def print_cpu(results: list[Result]) -> None:
    print()
    print("CPU used during each case (100% = one core; the server is one process, one event loop), and req/s "
          "of each round:")
    width = max(len(f"{r.case} [{r.generator}]") for r in results)
    print(f"  {'case [load generator]'.ljust(width)}  {'load gen':>8}  {'server':>6}  req/s per round")
    for r in results:
        rounds = " / ".join(f"{x:,.0f}" for x in r.round_rps)
        print(f"  {f'{r.case} [{r.generator}]'.ljust(width)}  {_pct(r.client_cpu):>8}  {_pct(r.server_cpu):>6}  "
              f"{rounds}")


def _split_cpus(pin: bool) -> tuple[set[int] | None, set[int] | None]:
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[0]}, set(cpus[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sandbox_throughput",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1 s per case instead of 3 s")
    parser.add_argument("--seconds", type=float, help="measured seconds per case (default 3, quick 1)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--client", choices=[*GENERATORS, "both"], default="asyncio",
                        help="load generator: asyncio raw sockets (default), threads+urllib3, or both")
    parser.add_argument("--rounds", type=int,
                        help="interleaved rounds over the cases, each measuring seconds/rounds (default 3, quick 1): "
                             "spreads a busy machine's noise over all cases")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap of measured requests per case and round")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server and the load generator "
                                                              "to separate cores")
    args = parser.parse_args(argv)
    seconds = args.seconds or (1.0 if args.quick else 3.0)
    rounds = args.rounds or (1 if args.quick else 3)
    warmup = 0.3
    if not 1 <= args.clients <= 1024 or seconds <= 0 or seconds > 30 or not 1 <= rounds <= 10:
        parser.error("--clients must be 1..1024, --seconds in (0, 30] and --rounds 1..10")
    generators = list(GENERATORS) if args.client == "both" else [args.client]
    server_cpus, client_cpus = _split_cpus(not args.no_pin)

    t0 = time.perf_counter()
    with SandboxProcess(cpus=server_cpus) as sandbox, _affinity(client_cpus):
        setup = Setup(sandbox.url)
        setup.raise_rate_limit()
        token = setup.token(*SUPERVISOR)
        conversations = [setup.new_recorded_call() for _ in range(args.clients)]
        cases = [baseline_case(), get_case(token), put_case(token, conversations)]
        pinned = (f"server on CPU {sorted(server_cpus)}, load generator on CPU {sorted(client_cpus)}"
                  if server_cpus and client_cpus else "not pinned")
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
        print(f"sandbox {sandbox.url} (own process, pid {sandbox.proc.pid if sandbox.proc else '?'}); "
              f"{args.clients} clients; {seconds:g} s per case in {rounds} round(s), {warmup:g} s warm-up each; "
              f"{os.cpu_count()} CPUs, {pinned}; {load}; Python {sys.version.split()[0]}", flush=True)
        merged: dict[tuple[str, str], Result] = {}
        for _ in range(rounds):
            for gen in generators:
                for case in cases:
                    r = measure(sandbox, case, gen, args.clients, warmup, seconds / rounds, args.max_requests)
                    key = (gen, case.name)
                    merged[key] = merged[key].merge(r) if key in merged else r
        results = list(merged.values())
    print()
    print_table(results, generators)
    print_cpu(results)
    base = next((r for r in results if r.case.startswith("baseline")), None)
    if base and base.percentile(50) >= 30 and (base.server_cpu or 0) < 0.5:
        print(f"\nNOTE: the baseline waits {base.percentile(50):.0f} ms per request while the server is mostly "
              "idle. A ~40 ms stall per kept-alive request is Nagle's algorithm + delayed ACK: the sandbox's "
              "accepted sockets lack TCP_NODELAY (see _bind in recops/sandbox/server.py, which must create "
              "the listening socket with IPPROTO_TCP). These numbers measure that stall, not the sandbox.")
    busy = [r for r in results if r.server_cpu is not None and r.server_cpu < 0.8]
    if busy and not (base and base.percentile(50) >= 30):
        print("\nNOTE: the server used less than 80% of its core in "
              + ", ".join(f"{r.case} [{r.generator}] ({_pct(r.server_cpu)})" for r in busy)
              + ": either the load generator limited it (see its CPU) or other processes took the CPU; "
              "those numbers, and their ratios, are noisy.")
    bad = [r for r in results if r.unexpected]
    for r in bad:
        print(f"UNEXPECTED replies in {r.case} [{r.generator}]: {r.unexpected}")
    print(f"\nratio = req/s of the case / req/s of the baseline (same load generator); "
          f"total {time.perf_counter() - t0:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
