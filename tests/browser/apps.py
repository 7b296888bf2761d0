"""What the browser tests share: a `recops lab` environment isolated in a temp dir, the real
`recops lab --app` started on a free port, and Debian's chromium launched so that it reaches
nothing but the loopback addresses it is given."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from recops.sandbox.process import ServedProcess

from ..ports import CHROMIUM, free_port

ROOT = Path(__file__).resolve().parents[2]
JUPYTER_DIRS = (("HOME", "home"), ("JUPYTER_CONFIG_DIR", "cfg"), ("JUPYTER_DATA_DIR", "data"),
                ("JUPYTER_RUNTIME_DIR", "run"), ("JUPYTERLAB_WORKSPACES_DIR", "ws"), ("IPYTHONDIR", "ipy"))


def lab_env(base: Path, sandbox_url: str | None = None) -> dict[str, str]:
    """The environment of a `recops lab` run: no GENESYS_*/RECOPS_* of the machine, every Jupyter
    directory, HOME, the output folder and the journal under ``base``; ``sandbox_url`` None: the
    command starts its own demo sandbox."""
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PATH" and not k.startswith(("GENESYS", "RECOPS_"))}
    for var, sub in JUPYTER_DIRS:
        (base / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(base / sub)
    env |= {"JUPYTER_PLATFORM_DIRS": "1", "RECOPS_OUTPUT_DIR": str(base / "output"),
            "RECOPS_JOURNAL": str(base / "journal.sqlite"), "PYTHONUNBUFFERED": "1"}
    if sandbox_url is not None:
        env["RECOPS_SANDBOX_URL"] = sandbox_url
    return env


def start_app(env: dict[str, str], *args: str, cwd: Path = ROOT) -> tuple[ServedProcess, str]:
    """The real `recops lab --app` (plus ``args``) on a free port; returns it and its base URL."""
    port = free_port()
    app = ServedProcess([sys.executable, "-m", "recops.cli", "lab", "--app", "--no-browser", f"--port={port}", *args],
                        url_pattern=rf"(http://127\.0\.0\.1:{port})/", env=env, cwd=cwd, start_timeout=90).start()
    return app, f"http://127.0.0.1:{port}"


def launch_chromium(playwright: Any, env: dict[str, str]) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, env=env,
                                      args=["--no-sandbox", "--disable-gpu", "--disable-quic"])


def only(base: str):
    """A route handler that lets requests to ``base`` through and aborts every other."""
    return lambda r: r.continue_() if r.request.url.startswith(base) else r.abort()
