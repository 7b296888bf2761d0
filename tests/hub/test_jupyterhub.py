"""The repository's jupyterhub_config.py on a real JupyterHub (npm's configurable-http-proxy, the
shared-password authenticator, JupyterHub's SimpleLocalProcessSpawner): the room sandbox runs as a
Hub-managed service; three users log in through the Hub's login form, start their servers, and
through a kernel in each server act on their own seat, and only on it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ..ports import free_port
from .kernel_ws import RemoteKernel

ROOT = Path(__file__).resolve().parents[2]
PROXY = os.environ.get("RECOPS_HUB_PROXY") or str(ROOT / ".ci/node/node_modules/.bin/configurable-http-proxy")
if not Path(PROXY).exists():
    PROXY = shutil.which("configurable-http-proxy") or PROXY
BIN = Path(sys.executable).parent
USERS = {"ann": 1, "bob": 2, "cy": 3}
ACTIVE = "c0a80001-0000-4000-8000-000000000001"  # recorded, ACTIVE in the demo scenario
PAUSED = "c0a80001-0000-4000-8000-000000000002"  # secure paused in the demo scenario

# Skipped on a developer machine without the proxy; in CI (CI=true) a missing proxy fails instead.
pytestmark = pytest.mark.skipif(
    not Path(PROXY).exists() and not os.environ.get("CI"),
    reason="npm's configurable-http-proxy is not installed (see .ci/run: npm install --prefix .ci/node ...)")


def _wait(what: str, ready, seconds: float, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = ready()
        except (requests.RequestException, OSError, ValueError):
            value = None
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what} not ready in {seconds:.0f} s; the Hub's log:\n{log.read_text()[-4000:]}")


def _ours(marker: str) -> list[int]:
    """Processes whose command line or environment names this test's folder (the room, the users'
    servers and their kernels): what must be gone at the end."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            blob = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in blob:
            pids.append(int(proc.name))
    return pids


@pytest.fixture
def hub(tmp_path):
    """A running Hub on ephemeral ports, the room as its service; stopped (with every process it
    started) at the end."""
    cards, homes = tmp_path / "cards", tmp_path / "homes"
    seat_map = tmp_path / "seats.json"
    seat_map.write_text(json.dumps(USERS))
    password = os.urandom(12).hex()
    port, room_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOPS_", "JUPYTERHUB_"))}
    env |= {"RECOPS_HUB_SEAT_MAP": str(seat_map), "RECOPS_HUB_CARDS": str(cards), "RECOPS_HUB_HOMES": str(homes),
            "RECOPS_HUB_ROOM_SEATS": "3", "RECOPS_HUB_ROOM_PORT": str(room_port), "RECOPS_HUB_PASSWORD": password,
            "RECOPS_HUB_PROXY": PROXY, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}
    log = tmp_path / "hub.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(ROOT / "jupyterhub_config.py"), "--ip", "127.0.0.1",
             "--port", str(port), "--JupyterHub.hub_ip=127.0.0.1", f"--JupyterHub.hub_port={free_port()}",
             f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}"],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait("the Hub", lambda: requests.get(f"{url}/hub/api/", timeout=2).ok, 60, log)
        _wait("the room's cards", lambda: (cards / "admin-token").exists() and (cards / "seat-03.json").exists(),
              60, log)
        yield {"url": url, "password": password, "cards": cards, "homes": homes, "log": log, "tmp": tmp_path}
    finally:
        proc.send_signal(signal.SIGTERM)  # the Hub stops users' servers, the room and the proxy
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        deadline = time.monotonic() + 10
        while _ours(str(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in _ours(str(tmp_path)):  # anything the Hub left behind
            os.kill(pid, signal.SIGKILL)


def _log_in(url: str, name: str, password: str) -> requests.Session:
    """The Hub's login form, as a browser fills it."""
    http = requests.Session()
    http.get(f"{url}/hub/login", timeout=10).raise_for_status()
    xsrf = http.cookies.get("_xsrf")
    reply = http.post(f"{url}/hub/login", data={"username": name, "password": password, "_xsrf": xsrf},
                      allow_redirects=False, timeout=30)
    assert reply.status_code == 302, f"login of {name}: HTTP {reply.status_code}"
    http.get(f"{url}/hub/home", timeout=10).raise_for_status()  # the logged-in page sets the session's XSRF cookie
    http.headers["X-XSRFToken"] = [c.value for c in http.cookies if c.name == "_xsrf"][-1]
    return http


def _start_server(url: str, http: requests.Session, name: str) -> str:
    """Ask the Hub's REST API (as the logged-in user) to start the user's server; return a token
    of the user."""
    reply = http.post(f"{url}/hub/api/users/{name}/tokens", json={"note": "test"}, timeout=30)
    assert reply.status_code == 201, reply.text
    token = reply.json()["token"]
    started = requests.post(f"{url}/hub/api/users/{name}/server", headers={"Authorization": f"token {token}"},
                            timeout=90)
    assert started.status_code in (201, 202), started.text
    return token


def _ready(url: str, name: str, token: str) -> bool:
    user = requests.get(f"{url}/hub/api/users/{name}", headers={"Authorization": f"token {token}"}, timeout=5)
    return bool(user.json().get("servers", {}).get("", {}).get("ready"))


def _run(kernel: RemoteKernel, code: str) -> dict:
    done = kernel.execute(code)
    assert done.status == "ok", f"{done.error}\n{done.stdout}"
    return json.loads(done.stdout.strip().splitlines()[-1])


PREAMBLE = f"""
import json, os, pathlib, recops
rc = recops.connect()
card = json.loads(pathlib.Path(os.environ["RECOPS_SEAT_CARD"]).read_text())
notebooks = sorted(p.name for p in pathlib.Path("notebooks").glob("*.ipynb"))
ACTIVE, PAUSED = {ACTIVE!r}, {PAUSED!r}
"""


def test_each_hub_user_acts_on_their_own_seat(hub):
    url, log = hub["url"], hub["log"]
    tokens = {name: _start_server(url, _log_in(url, name, hub["password"]), name) for name in USERS}
    for name, token in tokens.items():
        _wait(f"{name}'s server", lambda n=name, t=token: _ready(url, n, t), 90, log)
    kernels = {name: RemoteKernel(f"{url}/user/{name}", token) for name, token in tokens.items()}

    # Everyone's server has their own seat card and the recops notebooks.
    seen = {name: _run(k, PREAMBLE + "print(json.dumps({'seat': card['seat'], 'org': card['org'], "
                                     "'notebooks': notebooks, 'state': rc.status(ACTIVE).recording_state}))")
            for name, k in kernels.items()}
    expected_notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    for name, seat in USERS.items():
        assert seen[name]["seat"] == seat and seen[name]["org"] == f"seat-{seat:02d}"
        assert seen[name]["notebooks"] == expected_notebooks
        assert seen[name]["state"] == "ACTIVE"

    # ann pauses ACTIVE in seat 1; cy resumes PAUSED in seat 3; bob only reads.
    assert _run(kernels["ann"], PREAMBLE + "rc.pause(ACTIVE); "
                "print(json.dumps(rc.status(ACTIVE).recording_state))") == "PAUSED"
    assert _run(kernels["cy"], PREAMBLE + "rc.resume(PAUSED); "
                "print(json.dumps(rc.status(PAUSED).recording_state))") == "ACTIVE"
    bob = _run(kernels["bob"], PREAMBLE + "print(json.dumps([rc.status(ACTIVE).recording_state, "
               "rc.status(PAUSED).recording_state]))")
    assert bob == ["ACTIVE", "PAUSED"]  # ann's pause and cy's resume did not reach seat 2

    # bob's seat credentials cannot reach another seat through the control plane either.
    denied = _run(kernels["bob"], PREAMBLE + """
from recops.kit import discover
from recops.sandbox.control_client import SandboxControlError
control = discover.sandbox_control(rc)
codes = []
for attempt in (lambda: control.reset_seat(1), control.room, lambda: control.conversation(ACTIVE, org="seat-01")):
    try:
        attempt()
        codes.append(None)
    except SandboxControlError as e:
        codes.append(e.status)
print(json.dumps(codes))
""")
    assert denied == [403, 403, 403]

    # The trainer (admin token) sees each seat exactly as its own user left it.
    from recops.sandbox.control_client import SandboxClient

    card1 = json.loads((hub["cards"] / "seat-01.json").read_text())
    trainer = SandboxClient(card1["url"], admin_token=(hub["cards"] / "admin-token").read_text().strip())
    states = {seat: [trainer.conversation(cid, org=f"seat-{seat:02d}")["recordingState"]
                     for cid in (ACTIVE, PAUSED)] for seat in USERS.values()}
    assert states == {1: ["PAUSED", "PAUSED"], 2: ["ACTIVE", "PAUSED"], 3: ["ACTIVE", "ACTIVE"]}
    for k in kernels.values():
        k.shutdown()
    assert (hub["cards"] / "admin-token").read_text().strip() not in hub["log"].read_text()
