"""`recops lab` — the README's main job — started as a newcomer would: it starts the demo
sandbox as its own process, JupyterLab on notebooks/ sharing it, and stops both on Ctrl-C; with
credentials it starts no sandbox and says loudly that it targets a real org."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3

from recops.sandbox.process import ServedProcess

from ..ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_", "JUPYTER"))}
    for var, sub in [("HOME", "home"), ("JUPYTER_CONFIG_DIR", "cfg"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "run"), ("IPYTHONDIR", "ipy")]:
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(tmp_path / sub)
    return env | {"JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_TOKEN": secrets.token_hex(8),
                  "RECOPS_OUTPUT_DIR": str(tmp_path / "output")} | extra


def _wait_for_lab(lab: ServedProcess, port: int, token: str) -> None:
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=1, read=5))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert lab.running(), lab.output()
        try:
            if http.request("GET", f"http://127.0.0.1:{port}/api/status?token={token}").status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("JupyterLab did not start:\n" + lab.output())


@contextlib.contextmanager
def _lab(env: dict[str, str], sig: int = signal.SIGINT) -> Iterator[tuple[ServedProcess, int, list[int]]]:
    """``recops lab --no-browser`` on a free port until the block ends (recops/sandbox/process.py
    reads its output); then ``sig`` stops it and its exit code is appended to the yielded list."""
    port = free_port()
    codes: list[int] = []
    lab = ServedProcess([sys.executable, "-m", "recops.cli", "lab", "--no-browser", "--port", str(port)],
                        url_pattern=None, env=env, cwd=ROOT).start()
    try:
        _wait_for_lab(lab, port, env["JUPYTER_TOKEN"])
        yield lab, port, codes
    finally:
        codes.append(lab.stop(sig, timeout=30))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_lab_starts_a_shared_sandbox_and_jupyterlab_and_stops_both(tmp_path, sig):
    env = _env(tmp_path)
    with _lab(env, sig) as (lab, port, codes):
        line = lab.wait_for(r"SANDBOX: started the demo sandbox at (http://\S+);", timeout=5)
        sandbox = re.search(r"at (http://\S+);", line).group(1)
        http = urllib3.PoolManager(retries=False)
        health = http.request("GET", f"{sandbox}/_sandbox/health").json()
        assert health["scenario"] == "demo"
        contents = http.request("GET", f"http://127.0.0.1:{port}/api/contents?token={env['JUPYTER_TOKEN']}")
        listing = {item["name"]: item["type"] for item in contents.json()["content"]}
        assert "03_pause_resume_stop.ipynb" in listing  # JupyterLab serves the working copy of notebooks/
        # the file browser: one entry per notebook and the apps; the paired text forms stay in the repository
        notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
        assert listing == {**dict.fromkeys(notebooks, "notebook"), "apps": "directory"}, listing
        # the lab's own settings: no "get notified about official Jupyter news?" pop-up, no update check
        notification = http.request("GET", f"http://127.0.0.1:{port}/lab/api/settings/"
                                    f"@jupyterlab/apputils-extension:notification?token={env['JUPYTER_TOKEN']}")
        defaults = {k: v.get("default") for k, v in notification.json()["schema"]["properties"].items()}
        assert (defaults["fetchNews"], defaults["checkForUpdates"]) == ("false", False), defaults
    assert codes[0] in (0, 130), lab.output()
    try:
        urllib3.PoolManager(retries=False, timeout=2).request("GET", f"{sandbox}/_sandbox/health")
        raise AssertionError("the sandbox outlived the lab")
    except urllib3.exceptions.HTTPError:
        pass


def test_lab_with_credentials_targets_the_org_loudly_and_starts_no_sandbox(tmp_path):
    env = _env(tmp_path, GENESYSCLOUD_OAUTHCLIENT_ID="an-id", GENESYSCLOUD_OAUTHCLIENT_SECRET="a-secret-value",
               GENESYSCLOUD_REGION="eu-west-1")
    with _lab(env) as (lab, _port, _codes):
        pass
    text = lab.output()
    assert "REAL ORG" in text and "eu-west-1" in text and "api.mypurecloud.ie" in text
    assert "SANDBOX: started" not in text
    assert "a-secret-value" not in text


def test_lab_log_has_no_token_deprecation_and_the_shipped_notebooks_are_trusted(tmp_path):
    """Issue 17, item 18: the lab's log showed "ServerApp.token config is deprecated" and, for each
    shipped notebook opened, "Notebook … is not trusted"."""
    env = _env(tmp_path)
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    with _lab(env) as (lab, port, _codes):
        http = urllib3.PoolManager(retries=False, timeout=30)
        for name in notebooks:  # opening a notebook is what checks (and logs) its trust
            reply = http.request("GET", f"http://127.0.0.1:{port}/api/contents/{name}?token={env['JUPYTER_TOKEN']}")
            assert reply.status == 200 and reply.json()["type"] == "notebook", name
        time.sleep(1)  # the log lines of the last request
    text = lab.output()
    assert notebooks and "03_pause_resume_stop.ipynb" in notebooks
    assert "ServerApp.token" not in text and "DeprecationWarning" not in text, text
    assert "is not trusted" not in text, text
    assert env["JUPYTER_TOKEN"] not in text


def test_make_lab_passes_args_and_lab_args_to_recops_lab(tmp_path):
    """Issue 17, item 18: ``make lab`` always ran ``recops lab`` on port 8888; ARGS (or LAB_ARGS)
    now reach it. A stand-in ``recops`` in a ready venv prints the arguments it was given."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".lab").touch()
    fake = venv / "bin" / "recops"
    fake.write_text('#!/bin/sh\necho "recops $*"\n')
    fake.chmod(0o755)
    import subprocess

    def make(*assignments: str) -> str:
        done = subprocess.run(["make", "-s", "-o", f"{venv}/.lab", "lab", f"VENV={venv}", *assignments],
                              cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert make() == "recops lab"
    assert make("ARGS=--port 9999 --no-browser") == "recops lab --port 9999 --no-browser"
    assert make("LAB_ARGS=--no-browser --port 9998") == "recops lab --no-browser --port 9998"
