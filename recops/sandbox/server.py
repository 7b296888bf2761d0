"""Run the sandbox: blocking (``recops sandbox serve``) or embedded in a thread.

    with recops.sandbox.running(scenario="demo") as sb:
        api = PureCloudPlatformClientV2.ApiClient(host=sb.url)

The embedded server binds an ephemeral loopback port and serves from its own thread with
its own event loop. A busy notebook cell slows an embedded server (the GIL), so a shared
classroom sandbox is better run as its own process (``recops sandbox serve``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import uvicorn

from .app import SandboxApp
from .control.auth import check_bind
from .control_client import SandboxClient
from .model.state import SandboxState

if TYPE_CHECKING:
    from .room import Room

log = logging.getLogger("recops.sandbox")

LOOPBACK = "127.0.0.1"


def _config(app: SandboxApp, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="off",
        server_header=False, date_header=True, timeout_keep_alive=30, ws="websockets-sansio",
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the
    # listening socket says TCP. Without it, Nagle + delayed ACK add ~40 ms to every request on
    # a kept-alive connection (the SDK's pool reuses connections), since uvicorn writes the
    # headers and the body separately.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


class SandboxServer:
    """A sandbox served from a background thread. ``start()`` returns once it accepts."""

    def __init__(self, scenario: str | None = "demo", host: str = LOOPBACK, port: int = 0,
                 state: SandboxState | None = None, *, room: Room | None = None,
                 admin_token: str | None = None) -> None:
        check_bind(host, room.admin_token if room is not None else admin_token)
        self.app = SandboxApp(state, scenario=scenario, room=room, admin_token=admin_token)
        self._host = host
        self._sock = _bind(host, port)
        self.port: int = self._sock.getsockname()[1]
        self._server = uvicorn.Server(_config(self.app, host, self.port))
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> SandboxState:
        return self.app.state

    @property
    def url(self) -> str:
        """Base URL for ``ApiClient(host=url)``: no trailing slash (it would yield //oauth/token)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @functools.cached_property
    def control(self) -> SandboxClient:
        """A client for this server's control plane (one connection pool, reused); with the
        admin token when the control plane needs one (a room)."""
        return SandboxClient(self.url, admin_token=self.app.guard.admin_token)

    def start(self, timeout: float = 10.0) -> SandboxServer:
        def run() -> None:
            asyncio.run(self._server.serve(sockets=[self._sock]))

        self._thread = threading.Thread(target=run, name=f"recops-sandbox:{self.port}", daemon=True)
        self._thread.start()
        deadline = timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server thread died while starting")
            deadline -= 0.01
            if deadline <= 0:
                raise TimeoutError(f"the sandbox did not start within {timeout} s")
            threading.Event().wait(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(scenario: str | None = "demo", port: int = 0) -> Iterator[SandboxServer]:
    """An embedded sandbox on an ephemeral loopback port for the ``with`` block."""
    server = SandboxServer(scenario=scenario, port=port).start()
    try:
        yield server
    finally:
        server.stop()


def serve(host: str = LOOPBACK, port: int = 8765, scenario: str | None = "demo",
          announce=print, *, admin_token: str | None = None, room: Room | None = None,
          banner: Callable[[SandboxApp, str, Callable[[str], None]], None] | None = None) -> None:
    """Serve in the foreground until Ctrl-C (or SIGTERM). ``ValueError`` (before binding) for
    a non-loopback ``host`` without an admin token (control.auth.check_bind). ``banner``
    replaces the default banner (a room prints its own and writes its cards)."""
    check_bind(host, room.admin_token if room is not None else admin_token)
    app = SandboxApp(scenario=scenario, room=room, admin_token=admin_token)
    sock = _bind(host, port)
    actual = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    (banner or announce_banner)(app, f"http://{shown}:{actual}", announce)
    server = uvicorn.Server(_config(app, host, actual))
    _freeze_loaded_state()
    # uvicorn stops gracefully on SIGINT/SIGTERM, then re-raises the signal once it has restored
    # the previous handlers. For SIGINT that is a KeyboardInterrupt (caught below); for SIGTERM
    # the default action would kill the process (exit 143) before "sandbox stopped". Treat a
    # SIGTERM like Ctrl-C, so both end cleanly with exit code 0.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    announce("sandbox stopped")


def _freeze_loaded_state() -> None:
    """Move what the start-up loaded (a room's seats: about 7,000 objects each) out of the cyclic
    collector's view: a full collection of a 30-seat room's state took about 200 ms on the event
    loop, every seat's requests waiting. Frozen objects are still freed by reference counting when
    an org is replaced (measured: no growth over 120 seat resets)."""
    gc.collect()
    gc.freeze()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def announce_banner(app: SandboxApp, url: str, announce=print) -> None:
    announce(f"recops sandbox listening on {url}  (scenario: {app.state.scenario or 'none'})")
    announce(f"  point the SDK at it:  ApiClient(host=\"{url}\")   or   RECOPS_SANDBOX_URL={url}")
    clients = list(app.state.clients.values())
    if clients:
        announce("  demo OAuth clients (sandbox-only credentials):")
        for c in clients:
            announce(f"    {c.client_id:<24} secret {c.secret:<32} org {c.org:<12} {c.name}")
    ws = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    announce(f"  notification sockets: {ws}/channels/{{channelId}}   (real Genesys: wss://streaming.{{region}}/channels/"
             "{channelId}; docs/sandbox.md 4.10)")
    announce(f"  control plane: {url}/_sandbox/health   (docs/sandbox.md)   Ctrl-C stops")
    if app.guard.protected:
        announce("  the control plane needs the admin token (Authorization: Bearer <token>) or a client's "
                 "Basic credentials (that client's org only)")
