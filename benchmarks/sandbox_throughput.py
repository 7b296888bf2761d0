"""Sandbox capacity: requests/s and p50/p99 latency of the emulated API under 32 clients, each as a
ratio to a bare Starlette + uvicorn app answering JSON bodies of the same size, in the same run.

Both servers run as their own processes (recops/sandbox/process.py), pinned to the same core, with
the load generator on the other cores (``--no-pin`` to disable); only one of them is under load at
a time. Cases, each against its bare twin (benchmarks/_bare_app.py):

- ``GET /_sandbox/health``: the cheapest route through the sandbox (no token, no rate limit, no
  request log), against a bare route answering the same JSON.
- ``GET /api/v2/conversations/{id}``: the demo's recorded, ACTIVE call (~2 KB of JSON) with a
  client-credentials token, against a bare route rendering the same JSON object.
- ``PUT /api/v2/conversations/calls/{id}/recordingstate``: alternating ``PAUSED``/``ACTIVE``, each
  client on a conversation of its own (so every request is a real state transition), against a
  bare route that parses the body and answers the state as a bare JSON string.

The sandbox's rate limit is raised first, or the 300/min budget would turn the run into 429s. The
load generator (benchmarks/_load.py) is an asyncio loop with one raw keep-alive HTTP/1.1 socket per client (default) or
one thread per client with its own urllib3 connection (``--client threads``); both are closed
loops measured by benchmarks/common.Window (a warm-up, then a fixed window; a request counts if
it started and ended inside it). Each case is measured for 3 s in total (``--quick``: 1 s), in
3 interleaved rounds (``--rounds``) so that load from other processes falls on every case alike;
the CPU each side used is printed, so a saturated load generator is visible. Loopback only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

from recops.sandbox.process import ServedProcess, sandbox_process

from ._load import GENERATORS, Req, RequestFactory
from .common import Window, affinity, clean_env, cpu_seconds, load_average, percentile, split_cpus, table, target

ROOT = Path(__file__).resolve().parents[1]
SUPERVISOR = ("sandbox-supervisor", "sandbox-supervisor-secret")
ACTIVE_CONVERSATION = "c0a80001-0000-4000-8000-000000000001"  # demo.json: recorded, ACTIVE
P99_TARGET_MS = 10.0
RATIO_TARGET = 0.5


# --- the two servers ---------------------------------------------------------------------------


def _wait_healthy(url: str, path: str, timeout: float = 30.0) -> None:
    http = urllib3.PoolManager(retries=False, timeout=2.0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(urllib3.exceptions.HTTPError):
            if http.request("GET", url + path).status == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{url}{path} did not answer")


class Setup:
    """A tiny control/auth client for the sandbox."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = urllib3.PoolManager(retries=False, timeout=10.0)

    def raw(self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None,
            data: bytes | None = None) -> bytes:
        payload = data if data is not None else (None if body is None else json.dumps(body).encode())
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Type", "application/json")
        resp = self.http.request(method, self.url + path, body=payload, headers=hdrs)
        if not 200 <= resp.status < 300:
            raise RuntimeError(f"{method} {path} answered {resp.status}: {resp.data[:300]!r}")
        return resp.data

    def json(self, method: str, path: str, body: object = None, **kw: object) -> object:
        data = self.raw(method, path, body, **kw)  # type: ignore[arg-type]
        return json.loads(data) if data else None

    def token(self, client_id: str, secret: str) -> str:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        reply = self.json("POST", "/oauth/token", data=b"grant_type=client_credentials",
                          headers={"Authorization": f"Basic {basic}",
                                   "Content-Type": "application/x-www-form-urlencoded"})
        assert isinstance(reply, dict)
        return reply["access_token"]

    def raise_rate_limit(self) -> None:
        self.json("PUT", "/_sandbox/settings", {"rateLimitPerMinute": 100_000_000})

    def new_recorded_call(self) -> str:
        reply = self.json("POST", "/_sandbox/conversations", {"recording": True})
        assert isinstance(reply, dict)
        return reply["id"]


@dataclass
class Case:
    name: str
    server: str  # "sandbox" or "bare"
    factory: RequestFactory
    twin: str = ""  # the bare case this one is compared with
    body_bytes: int = 0


def _state_requests(path_of: Callable[[int], str], headers: dict[str, str], clients: int) -> RequestFactory:
    table_ = [tuple(Req("PUT", path_of(c), headers, json.dumps({"recordingState": s}).encode(),
                        expect=json.dumps(s).encode()) for s in ("PAUSED", "ACTIVE")) for c in range(clients)]
    return lambda c, n: table_[c % len(table_)][n % 2]


def cases(token: str, conversations: Sequence[str], sizes: dict[str, int]) -> list[Case]:
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    put_headers = auth | {"Content-Type": "application/json"}
    accept = {"Accept": "application/json"}
    health = Req("GET", "/_sandbox/health", accept)
    conv = Req("GET", f"/api/v2/conversations/{ACTIVE_CONVERSATION}", auth)
    bare_health, bare_conv = Req("GET", "/health", accept), Req("GET", "/conversation", accept)
    n = len(conversations)
    return [
        Case("bare: GET /health", "bare", lambda _c, _n: bare_health, body_bytes=sizes["health"]),
        Case("GET /_sandbox/health", "sandbox", lambda _c, _n: health, "bare: GET /health", sizes["health"]),
        Case("bare: GET /conversation", "bare", lambda _c, _n: bare_conv, body_bytes=sizes["conversation"]),
        Case("GET /api/v2/conversations/{id}", "sandbox", lambda _c, _n: conv, "bare: GET /conversation",
             sizes["conversation"]),
        Case("bare: PUT /recordingstate", "bare",
             _state_requests(lambda _c: "/recordingstate", {"Content-Type": "application/json"}, n),
             body_bytes=len('"PAUSED"')),
        Case("PUT .../calls/{id}/recordingstate", "sandbox",
             _state_requests(lambda c: f"/api/v2/conversations/calls/{conversations[c]}/recordingstate",
                             put_headers, n), "bare: PUT /recordingstate", len('"PAUSED"')),
    ]


# --- results ---------------------------------------------------------------------------------------


@dataclass
class Result:
    case: Case
    generator: str
    requests: int = 0
    seconds: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    unexpected: dict[str, int] = field(default_factory=dict)
    client_cpu_s: float = 0.0  # CPU seconds of the load generator (this process)
    server_cpu_s: float | None = 0.0  # CPU seconds of the server process (None: unknown)
    wall_s: float = 0.0  # wall time the CPU seconds were spent in (warm-ups included)
    round_rps: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def client_cpu(self) -> float | None:
        return self.client_cpu_s / self.wall_s if self.wall_s else None

    @property
    def server_cpu(self) -> float | None:
        return self.server_cpu_s / self.wall_s if self.wall_s and self.server_cpu_s is not None else None

    def add(self, window: Window, client_cpu: float, server_cpu: float | None, wall: float) -> None:
        self.requests += window.requests
        self.seconds += window.elapsed
        self.latencies_ns += window.latencies_ns
        for key, n in window.unexpected.items():
            self.unexpected[key] = self.unexpected.get(key, 0) + n
        self.client_cpu_s += client_cpu
        self.server_cpu_s = None if server_cpu is None or self.server_cpu_s is None else self.server_cpu_s + server_cpu
        self.wall_s += wall
        self.round_rps.append(window.rate)


def measure(server: ServedProcess, case: Case, generator: str, clients: int, window: Window, result: Result) -> None:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    cpu0, srv0, wall0 = time.process_time(), cpu_seconds(server.pid), time.perf_counter()
    GENERATORS[generator](host, int(port), case.factory, clients, window)
    cpu1, srv1, wall1 = time.process_time(), cpu_seconds(server.pid), time.perf_counter()
    result.add(window, cpu1 - cpu0, srv1 - srv0 if srv0 is not None and srv1 is not None else None, wall1 - wall0)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.0f}%"


def report(results: list[Result], generators: Sequence[str], clients: int) -> None:
    rows = []
    for gen in generators:
        mine = {r.case.name: r for r in results if r.generator == gen}
        for r in mine.values():
            twin = mine.get(r.case.twin)
            ratio = f"{r.rps / twin.rps:.2f}x" if twin and twin.rps else "1.00x" if r.case.server == "bare" else "n/a"
            name = r.case.name if len(generators) == 1 else f"{r.case.name} [{gen}]"
            rows.append([name, r.case.body_bytes, r.requests, f"{r.rps:,.0f}", f"{percentile(r.latencies_ns, 50):.2f}",
                         f"{percentile(r.latencies_ns, 99):.2f}", ratio, _pct(r.server_cpu), _pct(r.client_cpu),
                         " / ".join(f"{x:,.0f}" for x in r.round_rps)])
    table(f"sandbox capacity: {clients} concurrent clients; ratio = req/s / req/s of the bare Starlette twin "
          "above it (same body size, same load generator)",
          ["case", "body B", "requests", "req/s", "p50 ms", "p99 ms", "ratio vs bare", "server CPU", "load gen CPU",
           "req/s per round"],
          rows, [f"{clients} clients in a closed loop wait {clients} / (req/s) on average (Little's law): a p99 of "
                 f"{P99_TARGET_MS:g} ms needs well over {clients / P99_TARGET_MS * 1000:,.0f} req/s."])
    busy = [r for r in results if r.server_cpu is not None and r.server_cpu < 0.8]
    if busy:
        print("NOTE: the server used less than 80% of its core in "
              + ", ".join(f"{r.case.name} [{r.generator}] ({_pct(r.server_cpu)})" for r in busy)
              + ": either the load generator limited it (see its CPU) or other processes took the CPU; "
              "those numbers, and their ratios, are noisy.")
    gen = generators[0]
    mine = {r.case.name: r for r in results if r.generator == gen}
    for name, label in (("GET /api/v2/conversations/{id}", "sandbox GET conversation"),
                        ("PUT .../calls/{id}/recordingstate", "sandbox PUT recordingstate")):
        r, twin = mine[name], mine[mine[name].case.twin]
        ratio = r.rps / twin.rps if twin.rps else 0.0
        p99 = percentile(r.latencies_ns, 99)
        target(f"{label} vs bare Starlette ({clients} clients)", f"{ratio:.2f}x, p99 {p99:.1f} ms",
               f">= {RATIO_TARGET}x, p99 <= {P99_TARGET_MS:g} ms",
               ratio >= RATIO_TARGET and p99 <= P99_TARGET_MS and not r.unexpected,
               f"{r.rps:,.0f} vs {twin.rps:,.0f} req/s")


def _bodies(setup: Setup, token: str) -> tuple[dict[str, object], dict[str, int]]:
    conv = setup.raw("GET", f"/api/v2/conversations/{ACTIVE_CONVERSATION}",
                     headers={"Authorization": f"Bearer {token}"})
    health = setup.raw("GET", "/_sandbox/health")
    return {"conversation": json.loads(conv), "health": json.loads(health)}, \
        {"conversation": len(conv), "health": len(health)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sandbox_throughput",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1 s per case instead of 3 s")
    parser.add_argument("--seconds", type=float, help="measured seconds per case (default 3, quick 1)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--client", choices=[*GENERATORS, "both"], default="asyncio",
                        help="load generator: asyncio raw sockets (default), threads+urllib3, or both")
    parser.add_argument("--rounds", type=int, help="interleaved rounds over the cases (default 3, quick 1)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap of measured requests per case and round")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the servers and the load generator "
                                                              "to separate cores")
    args = parser.parse_args(argv)
    seconds = args.seconds or (1.0 if args.quick else 3.0)
    rounds = args.rounds or (1 if args.quick else 3)
    warmup = 0.3
    if not 1 <= args.clients <= 1024 or seconds <= 0 or seconds > 30 or not 1 <= rounds <= 10:
        parser.error("--clients must be 1..1024, --seconds in (0, 30] and --rounds 1..10")
    generators = list(GENERATORS) if args.client == "both" else [args.client]
    server_cpus, client_cpus = split_cpus(not args.no_pin)

    t0 = time.perf_counter()
    env = clean_env()
    with tempfile.TemporaryDirectory(prefix="recops-bench-") as tmp, \
            sandbox_process("demo", env=env, cpus=server_cpus) as sandbox:
        _wait_healthy(sandbox.url, "/_sandbox/health")
        setup = Setup(sandbox.url)
        setup.raise_rate_limit()
        token = setup.token(*SUPERVISOR)
        conversations = [setup.new_recorded_call() for _ in range(args.clients)]
        bodies, sizes = _bodies(setup, token)
        (Path(tmp) / "bodies.json").write_text(json.dumps(bodies))
        bare_cmd = [sys.executable, "-m", "benchmarks._bare_app", "--bodies", str(Path(tmp) / "bodies.json")]
        with ServedProcess(bare_cmd, env=env, cwd=ROOT, cpus=server_cpus) as bare, affinity(client_cpus):
            _wait_healthy(bare.url, "/health")
            servers = {"sandbox": sandbox, "bare": bare}
            pinned = (f"servers on CPU {sorted(server_cpus)}, load generator on CPU {sorted(client_cpus)}"
                      if server_cpus and client_cpus else "not pinned")
            print(f"sandbox {sandbox.url} (pid {sandbox.pid}), bare Starlette {bare.url} (pid {bare.pid}); "
                  f"{args.clients} clients; {seconds:g} s per case in {rounds} round(s), {warmup:g} s warm-up each; "
                  f"CPUs {sorted(server_cpus or []) + sorted(client_cpus or [])}, {pinned}; {load_average()}; "
                  f"Python {sys.version.split()[0]}", flush=True)
            all_cases = cases(token, conversations, sizes)
            results = {(g, c.name): Result(c, g) for g in generators for c in all_cases}
            for _ in range(rounds):
                for gen in generators:
                    for case in all_cases:
                        window = Window(warmup, seconds / rounds, args.max_requests)
                        measure(servers[case.server], case, gen, args.clients, window, results[(gen, case.name)])
    merged = list(results.values())
    report(merged, generators, args.clients)
    bad = [r for r in merged if r.unexpected]
    for r in bad:
        print(f"UNEXPECTED replies in {r.case.name} [{r.generator}]: {r.unexpected}")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
