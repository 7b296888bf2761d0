"""The closed-loop load generators of the sandbox capacity benchmark: ``clients`` clients, each
sending its next request when the previous reply has been read, measured by
benchmarks/common.Window. Two kinds: an asyncio loop with one raw keep-alive HTTP/1.1 socket per
client (cheap per request, so one core drives a server on another), and one thread per client
with its own urllib3 connection (to compare).
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import urllib3

from .common import Window

# --- requests as bytes ---------------------------------------------------------------------------


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


def _problem(req: Req, status: int, body: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}"
    if req.expect is not None and body != req.expect:
        return f"body {body[:40]!r}"
    return None


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


async def _asyncio_run(host: str, port: int, factory: RequestFactory, clients: int, window: Window) -> None:
    loop = asyncio.get_running_loop()
    conns = [(await loop.create_connection(_Conn, host, port))[1] for _ in range(clients)]
    hostport = f"{host}:{port}"
    wires: dict[int, bytes] = {}
    window.open()

    async def client(i: int, conn: _Conn) -> None:
        for n in itertools.count():
            req = factory(i, n)
            data = wires.get(id(req))
            if data is None:
                data = wires[id(req)] = req.wire(hostport)
            t0 = time.perf_counter_ns()
            status, body = await conn.request(data)
            if not window.record(t0, time.perf_counter_ns(), _problem(req, status, body)):
                return

    try:
        await asyncio.gather(*(client(i, c) for i, c in enumerate(conns)))
    finally:
        for c in conns:
            if c.transport is not None:
                c.transport.close()


def run_asyncio(host: str, port: int, factory: RequestFactory, clients: int, window: Window) -> None:
    asyncio.run(_asyncio_run(host, port, factory, clients, window))


# --- load generator 2: one thread per client, each with its own urllib3 connection -----------------


def run_threads(host: str, port: int, factory: RequestFactory, clients: int, window: Window) -> None:
    gate = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        pool = urllib3.HTTPConnectionPool(host, port, maxsize=1, block=True, retries=False, timeout=30.0)
        try:
            gate.wait()
            for n in itertools.count():
                req = factory(i, n)
                t0 = time.perf_counter_ns()
                resp = pool.urlopen(req.method, req.path, body=req.body or None, headers=req.headers,
                                    preload_content=True, assert_same_host=False)
                if not window.record(t0, time.perf_counter_ns(), _problem(req, resp.status, resp.data)):
                    return
        finally:
            pool.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    window.open()
    gate.wait()
    for t in threads:
        t.join(timeout=window.warmup + window.seconds + 60)


GENERATORS = {"asyncio": run_asyncio, "threads": run_threads}
