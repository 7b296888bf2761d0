"""A stateful local emulator of the Genesys Cloud endpoints recops uses.

The unmodified SDK talks to it over loopback HTTP: ``ApiClient(host=sandbox.url)``.

    from recops.sandbox import running
    with running(scenario="demo") as sb:
        sb.url, sb.control.health()

Behaviour follows docs/genesys-api.md (reference: docs/sandbox.md); where the real API is undocumented the
sandbox's choice is labelled and switchable (``GET /_sandbox/assumptions``).
"""

from .app import SandboxApp
from .control_client import SandboxClient, SandboxControlError
from .models import DEFAULT_ORG
from .server import SandboxServer, running, serve
from .settings import ASSUMPTIONS, SandboxSettings
from .state import SandboxState

__all__ = [
    "ASSUMPTIONS",
    "DEFAULT_ORG",
    "SandboxApp",
    "SandboxClient",
    "SandboxControlError",
    "SandboxServer",
    "SandboxSettings",
    "SandboxState",
    "running",
    "serve",
]
