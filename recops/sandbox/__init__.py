"""A stateful local emulator of the Genesys Cloud endpoints recops uses.

The unmodified SDK talks to it over loopback HTTP: ``ApiClient(host=sandbox.url)``.

    from recops.sandbox import running
    with running(scenario="demo") as sb:
        sb.url, sb.control.health()

Behaviour follows docs/genesys-api.md (reference: docs/sandbox.md); where the real API is undocumented the
sandbox's choice is labelled and switchable (``GET /_sandbox/assumptions``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import SandboxApp
    from .control_client import SandboxClient, SandboxControlError
    from .model.models import DEFAULT_ORG
    from .model.settings import ASSUMPTIONS, SandboxSettings
    from .model.state import SandboxState
    from .room import Room
    from .server import SandboxServer, running, serve

# name -> module, imported on first use (PEP 562): recops reads the control plane through
# recops.sandbox.control_client (plain urllib3), and a CLI command must not pay for importing
# the app and uvicorn to do so
_EXPORTS = {
    "SandboxApp": "app", "SandboxClient": "control_client", "SandboxControlError": "control_client",
    "DEFAULT_ORG": "model.models", "SandboxState": "model.state", "SandboxServer": "server", "running": "server",
    "serve": "server", "ASSUMPTIONS": "model.settings", "SandboxSettings": "model.settings", "Room": "room",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "ASSUMPTIONS",
    "DEFAULT_ORG",
    "Room",
    "SandboxApp",
    "SandboxClient",
    "SandboxControlError",
    "SandboxServer",
    "SandboxSettings",
    "SandboxState",
    "running",
    "serve",
]
