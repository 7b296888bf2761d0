"""Where recops acts and as whom, resolved one step before the ``Client``: the API URL, the
credentials, and a description to show.

- A real org: its region's API URL and the configured credentials (client credentials or a
  user token).
- The sandbox: ``RECOPS_SANDBOX_URL``, or the process's embedded sandbox (demo scenario),
  started here on first use; with no credentials configured, the sandbox's demo client (read
  from its control plane).
- ``running_sandbox()``: a sandbox already serving on the default port (``recops sandbox
  serve``), which the CLI prefers so that state carries over from one command to the next.
- A seat of a training room (``RECOPS_SEAT_CARD``): the card's URL and supervisor client, once
  the sandbox there proves to be the card's room (``recops.api.seat_card.check_room``).
- ``control_client``: the sandbox's control plane, as the session's client (HTTP Basic), so on
  a room a seat's reset and user tokens stay in its own org.

Nothing here runs on import: ``resolve`` is called by the client on its first request.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recops.genesys.errors import ConfigError

from .secret import Secret
from .settings import DEFAULT_SANDBOX_PORT, Settings

if TYPE_CHECKING:
    from recops.sandbox.control_client import SandboxClient
    from recops.sandbox.server import SandboxServer

    from .seat_card import SeatCard

DEMO_CLIENT_ID = "sandbox-supervisor"
PAUSE_OTHERS = "conversation:recording:pauseOthers"
DEFAULT_SANDBOX_URL = f"http://127.0.0.1:{DEFAULT_SANDBOX_PORT}"

_embedded: SandboxServer | None = None
_embedded_lock = threading.Lock()


@dataclass(frozen=True)
class Credentials:
    """Client credentials or a user token (a secret never prints: ``Secret``)."""

    client_id: str | None = None
    client_secret: Secret | None = None
    access_token: Secret | None = None

    @property
    def kind(self) -> str:
        return "user_token" if self.access_token else "client_credentials"


@dataclass(frozen=True)
class Endpoint:
    """A resolved target: where requests go, as whom, and how to name it to a person."""

    url: str
    credentials: Credentials
    description: str
    is_sandbox: bool


def embedded_sandbox() -> SandboxServer:
    """The process's embedded sandbox (demo scenario), started on first use."""
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            from recops.sandbox.server import SandboxServer

            _embedded = SandboxServer(scenario="demo").start()
            atexit.register(_embedded.stop)
        return _embedded


def sandbox_demo_credentials(url: str) -> Credentials:
    """The sandbox's demo client: ``sandbox-supervisor`` if present, else one that may pause."""
    from recops.sandbox.control_client import SandboxClient, SandboxControlError

    try:
        clients = SandboxClient(url, timeout=10).clients()
    except SandboxControlError as e:
        if e.status == 401:
            raise ConfigError(f"the sandbox at {url} is protected (a training room, or --admin-token): "
                              "it needs credentials",
                              "set RECOPS_SEAT_CARD to your seat card (seat-NN.json from the trainer), or "
                              "RECOPS_CLIENT_ID and RECOPS_CLIENT_SECRET") from None
        raise ConfigError(f"cannot read demo credentials from the sandbox at {url} (HTTP {e.status})",
                          "check RECOPS_SANDBOX_URL, or set credentials explicitly") from None
    except Exception as e:  # any failure: not a sandbox we can read
        raise ConfigError(f"cannot read demo credentials from the sandbox at {url} ({type(e).__name__})",
                          "check RECOPS_SANDBOX_URL, or set credentials explicitly") from None
    chosen = next((c for c in clients if c["clientId"] == DEMO_CLIENT_ID), None)
    chosen = chosen or next((c for c in clients if PAUSE_OTHERS in c.get("permissions", [])), None)
    chosen = chosen or (clients[0] if clients else None)
    if chosen is None:
        raise ConfigError(f"the sandbox at {url} has no OAuth clients",
                          "load a scenario (POST /_sandbox/reset) or create one (POST /_sandbox/clients)")
    return Credentials(chosen["clientId"], Secret(chosen["clientSecret"]))


def resolve(settings: Settings) -> Endpoint:
    """The endpoint ``settings`` designate; on the sandbox this may start the embedded one and
    read its demo credentials (a request to its control plane)."""
    target = settings.target
    given = Credentials(settings.client_id, settings.client_secret, settings.access_token)
    if target.is_sandbox:
        url = target.api_url or embedded_sandbox().url
        if settings.seat is not None:
            from .seat_card import check_room

            check_room(settings.seat, url)
            return Endpoint(url, given, f"SANDBOX at {url}, {settings.seat.describe()}", is_sandbox=True)
        if not (given.client_id and given.client_secret) and not given.access_token:
            given = sandbox_demo_credentials(url)
        return Endpoint(url, given, f"SANDBOX at {url}", is_sandbox=True)
    if target.api_url is None:
        raise ConfigError("no region for the real org", "set GENESYSCLOUD_REGION, e.g. eu-west-1")
    return Endpoint(target.api_url, given, target.describe(), is_sandbox=False)


def control_client(url: str, credentials: Credentials | None = None, seat: SeatCard | None = None,
                   timeout: float = 30.0) -> SandboxClient:
    """The control plane at ``url``, authenticated as ``credentials`` when they are client
    credentials (HTTP Basic), else as the ``seat``'s supervisor client (a user-token session of
    a seat): on a training room that is the seat, limited to its own org; an open sandbox
    ignores it."""
    from recops.sandbox.control_client import SandboxClient

    if (credentials is None or not credentials.client_id) and seat is not None:
        credentials = Credentials(seat.client_id, seat.client_secret)
    if credentials is not None and credentials.client_id and credentials.client_secret:
        return SandboxClient(url, timeout, client_id=credentials.client_id,
                             client_secret=credentials.client_secret.get())
    return SandboxClient(url, timeout)


def running_sandbox(url: str = DEFAULT_SANDBOX_URL) -> str | None:
    """``url`` if a sandbox answers its health check there (``recops sandbox serve``), else None."""
    import urllib3

    try:
        resp = urllib3.request("GET", f"{url}/_sandbox/health", retries=False,
                               timeout=urllib3.Timeout(connect=0.3, read=2))
    except urllib3.exceptions.HTTPError:
        return None
    return url if resp.status == 200 else None
