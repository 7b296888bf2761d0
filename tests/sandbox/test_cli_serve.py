"""``recops sandbox serve`` as a real process: banner, health, Ctrl-C, and its errors."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from recops.sandbox.process import ServedProcess

from .http_helpers import get_token, request

RECOPS = Path(sys.executable).parent / "recops"
URL_RE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env["HOME"] = str(tmp_path)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def serve(cli_env) -> Iterator:
    """serve(*args) -> ``recops sandbox serve ARGS`` started (recops/sandbox/process.py); the test
    reads its lines with ``wait_for``. Every process started here is stopped at the end."""
    started: list[ServedProcess] = []

    def _serve(*args: str) -> ServedProcess:
        served = ServedProcess([str(RECOPS), "sandbox", "serve", *args], url_pattern=None, env=cli_env,
                               start_timeout=START_TIMEOUT)
        started.append(served)
        return served.start()

    yield _serve
    for served in started:  # only the processes this test started, by their own handle
        served.stop(signal.SIGKILL, timeout=5)


def _run(cli_env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RECOPS), "sandbox", "serve", *args], env=cli_env, text=True,
                          capture_output=True, timeout=START_TIMEOUT)


def test_serve_prints_url_and_credentials_answers_and_stops_on_sigint(serve):
    served = serve("--port", "0", "--scenario", "demo")
    banner = served.wait_for(r"listening on", START_TIMEOUT)
    match = URL_RE.search(banner)
    assert match, banner
    url, port = match.group(1), int(match.group(2))
    assert port > 0
    assert "scenario: demo" in banner
    served.wait_for(r"control plane:", START_TIMEOUT)
    text = served.output("stdout")
    for client_id, secret in (("sandbox-supervisor", "sandbox-supervisor-secret"),
                              ("sandbox-readonly", "sandbox-readonly-secret")):
        assert re.search(rf"{client_id}\s+secret {secret}\b", text), text
    assert f'ApiClient(host="{url}")' in text

    health = request("GET", f"{url}/_sandbox/health")
    assert health.status == 200 and health.body["scenario"] == "demo"
    token = get_token(url, "sandbox-supervisor", "sandbox-supervisor-secret")
    conv = request("GET", f"{url}/api/v2/conversations/c0a80001-0000-4000-8000-000000000001", token=token)
    assert conv.status == 200 and conv.body["recordingState"] == "ACTIVE"

    assert served.stop(signal.SIGINT, STOP_TIMEOUT) == 0
    served.wait_for(r"sandbox stopped", 5)
    assert "Traceback" not in served.output("stderr"), served.output("stderr")


def test_serve_empty_scenario_and_stop_on_sigterm(serve):
    served = serve("--port", "0", "--scenario", "none")
    url = URL_RE.search(served.wait_for(r"listening on", START_TIMEOUT)).group(1)
    served.wait_for(r"control plane:", START_TIMEOUT)
    assert "demo OAuth clients" not in served.output()
    health = request("GET", f"{url}/_sandbox/health").body
    assert (health["scenario"], health["orgs"]) == (None, [])
    assert served.stop(signal.SIGTERM, STOP_TIMEOUT) == 0  # what a process manager sends: a clean stop too
    served.wait_for(r"sandbox stopped", 5)


def test_serve_a_scenario_file(serve, tmp_path):
    path = tmp_path / "mine.json"
    path.write_text('{"name": "mine", "orgs": [{"name": "org-a", "clients": [{"clientId": "a", '
                    '"clientSecret": "a-secret", "permissions": []}]}]}')
    served = serve("--port", "0", "--scenario", str(path))
    url = URL_RE.search(served.wait_for(r"listening on", START_TIMEOUT)).group(1)
    served.wait_for(r"control plane:", START_TIMEOUT)
    assert re.search(r"\ba\s+secret a-secret", served.output("stdout")), served.output()
    assert request("GET", f"{url}/_sandbox/health").body["orgs"] == ["org-a"]
    assert served.stop(signal.SIGINT, STOP_TIMEOUT) == 0


def _flat(text: str) -> str:
    """Error text without rich's box drawing and line wrapping."""
    return re.sub(r"[\u2500-\u257f\s]+", " ", text)


def test_serve_bad_scenario_is_a_clear_error(cli_env):
    result = _run(cli_env, "--port", "0", "--scenario", "no-such-scenario")
    assert result.returncode != 0
    message = _flat(result.stderr)
    assert "unknown scenario 'no-such-scenario'" in message, message
    assert "available: demo, empty" in message  # names the available ones
    assert "--scenario" in message
    assert "Traceback" not in result.stderr
    assert "listening" not in result.stdout


def test_serve_malformed_scenario_file_is_a_clear_error(cli_env, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"orgs": [{"clients": [{"clientId": "x", "permissions": ["nope"]}]}]}')
    result = _run(cli_env, "--port", "0", "--scenario", str(path))
    assert result.returncode == 2
    message = _flat(result.stderr)
    assert "--scenario" in message and "cannot be loaded" in message and "domain:entity:action" in message, message
    assert "Traceback" not in result.stderr


def test_serve_port_out_of_range_is_a_clear_error(cli_env):
    result = _run(cli_env, "--port", "70000")
    assert result.returncode == 2
    assert "--port" in _flat(result.stderr) and "Traceback" not in result.stderr


def test_serve_port_in_use_exits_2(cli_env):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        result = _run(cli_env, "--port", str(port), "--scenario", "demo")
    finally:
        blocker.close()
    assert result.returncode == 2
    message = _flat(result.stderr)
    assert f"cannot listen on 127.0.0.1:{port}" in message, message
    assert "Address already in use" in message and "--port" in message
    assert "Traceback" not in result.stderr
    assert "listening on" not in result.stdout
