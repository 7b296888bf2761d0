"""The baseline of the sandbox capacity benchmark: a bare Starlette app on uvicorn, served the way
``recops sandbox serve`` is (its own process, the same uvicorn options, a listening socket made
the same way), answering with JSON bodies of the same size as the sandbox's.

    python -m benchmarks._bare_app --bodies FILE [--port 0]

FILE is a JSON object ``{"conversation": {...}, "health": {...}}``: the bodies the sandbox gave
in the same run. Routes: ``GET /conversation`` and ``GET /health`` render them (``JSONResponse``,
rendered per request as the sandbox renders its own); ``PUT /recordingstate`` parses the JSON
body and answers its ``recordingState`` as a bare JSON string, as the sandbox's PUT does.
Prints ``bare starlette listening on http://HOST:PORT`` once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

LOOPBACK = "127.0.0.1"


def app(bodies: dict[str, object]) -> Starlette:
    conversation, health = bodies["conversation"], bodies["health"]

    async def get_conversation(request: Request) -> JSONResponse:
        return JSONResponse(conversation)

    async def get_health(request: Request) -> JSONResponse:
        return JSONResponse(health)

    async def put_recordingstate(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(body["recordingState"])

    return Starlette(routes=[Route("/conversation", get_conversation), Route("/health", get_health),
                             Route("/recordingstate", put_recordingstate, methods=["PUT"])])


def _bind(host: str, port: int) -> socket.socket:
    # as recops/sandbox/server.py does: proto=IPPROTO_TCP, so asyncio sets TCP_NODELAY on accepted sockets
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._bare_app")
    parser.add_argument("--bodies", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    sock = _bind(LOOPBACK, args.port)
    port = sock.getsockname()[1]
    # the options of recops/sandbox/server.py's uvicorn.Config
    config = uvicorn.Config(app(json.loads(args.bodies.read_text())), host=LOOPBACK, port=port, log_config=None,
                            access_log=False, lifespan="off", server_header=False, date_header=True,
                            timeout_keep_alive=30, ws="none")
    print(f"bare starlette listening on http://{LOOPBACK}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
