"""``recops lab``: the notebook kit. Starts a sandbox server (demo scenario) as its own process,
shared by every notebook of the session through ``RECOPS_SANDBOX_URL``, then JupyterLab on
``notebooks/``. With credentials set it starts no sandbox and says loudly that the notebooks
act on a real org.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .errors import ConfigError
from .settings import Settings


def notebooks_dir(explicit: str | None = None) -> Path:
    candidates = [Path(explicit)] if explicit else [Path.cwd() / "notebooks",
                                                    Path(__file__).resolve().parent.parent / "notebooks"]
    for path in candidates:
        if path.is_dir():
            return path
    raise ConfigError(f"no notebooks directory found (looked in {', '.join(map(str, candidates))})",
                      "run from the repository root, or pass --notebooks DIR")


def start_sandbox_process(port: int = 0, scenario: str = "demo", env: dict[str, str] | None = None,
                          timeout: float = 30.0) -> tuple[subprocess.Popen[str], str]:
    """``recops sandbox serve`` as a child process; returns it and its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "recops.cli", "sandbox", "serve", "--port", str(port), "--scenario", scenario],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        if "listening on" in line:
            return proc, line.split("listening on", 1)[1].split()[0]
    proc.kill()
    raise RuntimeError("the sandbox did not start:\n" + "".join(lines))


def run(port: int = 8888, sandbox_port: int = 0, notebooks: str | None = None, open_browser: bool = True,
        echo: Callable[[str], None] = print) -> int:
    settings = Settings.load()
    nb_dir = notebooks_dir(notebooks)
    env = dict(os.environ)
    sandbox = None
    if settings.target.is_sandbox:
        if settings.sandbox_url:
            echo(f"SANDBOX: using the sandbox at {settings.sandbox_url} (RECOPS_SANDBOX_URL)")
        else:
            sandbox, url = start_sandbox_process(sandbox_port, env=env)
            env["RECOPS_SANDBOX_URL"] = url
            echo(f"SANDBOX: started the demo sandbox at {url}; every notebook of this lab shares it")
            echo("         (no credentials are set: nothing here can touch a real org)")
    else:
        line = "!" * 78
        echo(line)
        echo(f"!! REAL ORG: {settings.target.describe()}")
        echo("!! Credentials are set: the notebooks act on this org. Every change needs confirmation.")
        echo(line)
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={nb_dir}", f"--port={port}",
           "--ServerApp.port_retries=10", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    lab = subprocess.Popen(cmd, env=env)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops JupyterLab and the sandbox like Ctrl-C does

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        return lab.wait()
    except KeyboardInterrupt:
        lab.send_signal(signal.SIGINT)
        try:
            return lab.wait(15)
        except subprocess.TimeoutExpired:
            lab.kill()
            return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        if sandbox is not None:
            sandbox.terminate()
            try:
                sandbox.wait(10)
            except subprocess.TimeoutExpired:
                sandbox.kill()
