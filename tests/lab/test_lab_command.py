"""`recops lab` — the README's main job — started as a newcomer would: it starts the demo
sandbox as its own process, JupyterLab on notebooks/ sharing it, and stops both on Ctrl-C; with
credentials it starts no sandbox and says loudly that it targets a real org."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_", "JUPYTER"))}
    for var, sub in [("HOME", "home"), ("JUPYTER_CONFIG_DIR", "cfg"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "run"), ("IPYTHONDIR", "ipy")]:
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(tmp_path / sub)
    return env | {"JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_TOKEN": secrets.token_hex(8)} | extra


def _wait_for_lab(proc: subprocess.Popen, port: int, token: str, log: Path) -> None:
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=1, read=5))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if http.request("GET", f"http://127.0.0.1:{port}/api/status?token={token}").status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("JupyterLab did not start:\n" + log.read_text())


@contextlib.contextmanager
def _lab(env: dict[str, str], log: Path, sig: int = signal.SIGINT) -> Iterator[tuple[int, list[int]]]:
    """``recops lab --no-browser`` on a free port until the block ends; then ``sig`` stops it and
    its exit code is appended to the yielded list."""
    port = _free_port()
    codes: list[int] = []
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "recops.cli", "lab", "--no-browser", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for_lab(proc, port, env["JUPYTER_TOKEN"], log)
            yield port, codes
        finally:
            codes.append(_stop(proc, sig))


def _stop(proc: subprocess.Popen, sig: int = signal.SIGINT) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_lab_starts_a_shared_sandbox_and_jupyterlab_and_stops_both(tmp_path, sig):
    env = _env(tmp_path)
    log = tmp_path / "lab.log"
    with _lab(env, log, sig) as (port, codes):
        found = re.search(r"SANDBOX: started the demo sandbox at (http://\S+);", log.read_text())
        assert found, log.read_text()
        sandbox = found.group(1)
        http = urllib3.PoolManager(retries=False)
        health = http.request("GET", f"{sandbox}/_sandbox/health").json()
        assert health["scenario"] == "demo"
        contents = http.request("GET", f"http://127.0.0.1:{port}/api/contents?token={env['JUPYTER_TOKEN']}")
        names = {item["name"] for item in contents.json()["content"]}
        assert "03_pause_resume_stop.ipynb" in names  # JupyterLab serves notebooks/
    assert codes[0] in (0, 130), log.read_text()
    try:
        urllib3.PoolManager(retries=False, timeout=2).request("GET", f"{sandbox}/_sandbox/health")
        raise AssertionError("the sandbox outlived the lab")
    except urllib3.exceptions.HTTPError:
        pass


def test_lab_with_credentials_targets_the_org_loudly_and_starts_no_sandbox(tmp_path):
    env = _env(tmp_path, GENESYSCLOUD_OAUTHCLIENT_ID="an-id", GENESYSCLOUD_OAUTHCLIENT_SECRET="a-secret-value",
               GENESYSCLOUD_REGION="eu-west-1")
    log = tmp_path / "lab.log"
    with _lab(env, log):
        pass
    text = log.read_text()
    assert "REAL ORG" in text and "eu-west-1" in text and "api.mypurecloud.ie" in text
    assert "SANDBOX: started" not in text
    assert "a-secret-value" not in text
