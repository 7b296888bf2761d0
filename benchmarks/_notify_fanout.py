"""The served side of ``notify_bench``'s fan-out (b), run as a child process pinned to one core:

    python -m benchmarks._notify_fanout sandbox CPU EVENTS   # the demo sandbox (embedded server)
    python -m benchmarks._notify_fanout bare CPU EVENTS      # a bare ``websockets`` server

Prints ``READY <url>``, then waits for a line on stdin ("go"): the sandbox publishes EVENTS
events on the Sales queue's calls topic from a thread other than its loop (as a change made off the
loop does, under the state lock); the bare server ``websockets.broadcast``-s the same frames to
every client it has, from its loop. Then it waits for a second line and exits."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import uuid

import orjson

SALES = "5a1e0000-0000-4000-8000-0000000000a1"
TOPIC = f"v2.routing.queues.{SALES}.conversations.calls"
ORG = "sandbox-org"


def body(n: int) -> dict[str, object]:
    return {"id": "c0a80001-0000-4000-8000-000000000001", "n": n,
            "participants": [{"id": "p1", "purpose": "agent", "recordingState": "paused"}]}


def frame(n: int) -> str:
    return orjson.dumps({"topicName": TOPIC, "version": "2", "eventBody": body(n),
                         "metadata": {"CorrelationId": str(uuid.uuid4())}}).decode()


def sandbox(events: int) -> None:
    from recops.sandbox.server import SandboxServer

    sb = SandboxServer("demo").start()
    print(f"READY {sb.url}", flush=True)
    sys.stdin.readline()
    with sb.state.lock:
        for n in range(events):
            sb.state.events.publish(ORG, TOPIC, body(n), sb.state.clock.now())
    sys.stdin.readline()
    sb.stop()


def bare(events: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    clients: set[object] = set()

    async def handler(ws) -> None:  # type: ignore[no-untyped-def]
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        go = asyncio.Event()
        done = asyncio.Event()

        def stdin() -> None:
            sys.stdin.readline()
            loop.call_soon_threadsafe(go.set)
            sys.stdin.readline()
            loop.call_soon_threadsafe(done.set)

        async with serve(handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            print(f"READY ws://127.0.0.1:{port}", flush=True)
            threading.Thread(target=stdin, daemon=True).start()
            await go.wait()
            for n in range(events):
                broadcast(clients, frame(n))
                if n % 64 == 0:
                    await asyncio.sleep(0)
            await done.wait()

    asyncio.run(main())


if __name__ == "__main__":
    kind, cpu, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    (sandbox if kind == "sandbox" else bare)(count)
