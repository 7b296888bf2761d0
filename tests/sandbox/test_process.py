"""recops/sandbox/process.py: a served child process, its URL read with a real deadline, its
output drained, and its stop."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest
import urllib3

from recops.sandbox.process import ProcessStartError, ServedProcess, sandbox_command, sandbox_process

from .http_helpers import get_token, request


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    return clean | {"HOME": str(tmp_path)}


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_sandbox_process_starts_serves_its_url_and_stops(env):
    sb = sandbox_process("demo", env=env).start()
    try:
        assert sb.running()
        assert sb.url.startswith("http://127.0.0.1:") and not sb.url.endswith(":0")
        assert request("GET", f"{sb.url}/_sandbox/health").body["scenario"] == "demo"
        token = get_token(sb.url, "sandbox-supervisor", "sandbox-supervisor-secret")
        assert request("GET", f"{sb.url}/api/v2/users/me", token=token).status in (200, 400)  # answered
        sb.wait_for(r"control plane:", timeout=10)  # the rest of the banner, read after the URL
        assert "sandbox-supervisor" in sb.output("stdout")
    finally:
        code = sb.stop()
    assert code == 0  # SIGTERM is a clean stop for `recops sandbox serve`
    assert not sb.running()
    assert "sandbox stopped" in sb.output()
    with pytest.raises(urllib3.exceptions.HTTPError):
        request("GET", f"{sb.url}/_sandbox/health")


def test_the_context_manager_stops_the_process(env):
    with sandbox_process(None, env=env) as sb:
        assert request("GET", f"{sb.url}/_sandbox/health").body["orgs"] == []
        pid = sb.pid
    assert not sb.running()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_deadline_holds_when_the_child_prints_nothing(env):
    child = ServedProcess(_python("import time; time.sleep(120)"), env=env, start_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ProcessStartError) as info:
        child.start()
    assert time.monotonic() - started < 10  # the deadline, not the child's two minutes
    assert "no line matching" in str(info.value) and "within 0.5 s" in str(info.value)
    assert "still running" in str(info.value)
    assert not child.running()  # the silent child was stopped


def test_the_deadline_holds_when_the_child_prints_half_a_line(env):
    code = "import sys, time; sys.stdout.write('listening on http://'); sys.stdout.flush(); time.sleep(120)"
    child = ServedProcess(_python(code), env=env, start_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ProcessStartError):
        child.start()
    assert time.monotonic() - started < 10
    assert not child.running()


def test_a_child_that_exits_early_is_a_clear_error_with_its_output(env):
    code = "import sys; print('loading the scenario'); print('boom: no such scenario', file=sys.stderr); sys.exit(3)"
    child = ServedProcess(_python(code), env=env, start_timeout=30)
    started = time.monotonic()
    with pytest.raises(ProcessStartError) as info:
        child.start()
    assert time.monotonic() - started < 10  # not the 30 s deadline
    error = info.value
    assert error.returncode == 3 and "exit code 3" in str(error)
    assert "ended before printing" in str(error)
    assert "loading the scenario" in error.output and "boom: no such scenario" in error.output


def test_a_bad_scenario_fails_fast_with_the_sandbox_s_own_message(env):
    with pytest.raises(ProcessStartError) as info:
        sandbox_process("no-such-scenario", env=env).start()
    assert info.value.returncode == 2
    assert "unknown scenario" in info.value.output


def test_a_chatty_child_never_blocks_on_a_full_pipe(env):
    # ~4 MB on each stream (far beyond a pipe's 64 KiB) before the URL, then more after it
    code = ("import sys\n"
            "for i in range(40000):\n"
            "    print('x' * 100); print('y' * 100, file=sys.stderr)\n"
            "print('listening on http://127.0.0.1:1', flush=True)\n"
            "for i in range(40000):\n"
            "    print('z' * 100)\n"
            "print('done', flush=True)\n")
    child = ServedProcess(_python(code), env=env, start_timeout=60, keep_lines=100)
    child.start()
    assert child.url == "http://127.0.0.1:1"
    child.wait_for(r"^done$", timeout=60)
    assert child.proc is not None and child.proc.wait(30) == 0
    child.stop()
    assert len(child.output().splitlines()) == 100  # only the last lines are kept
    assert child.output().splitlines()[-1] == "done"


def test_stop_kills_a_child_that_ignores_the_signal(env):
    code = ("import signal, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "print('listening on http://127.0.0.1:2', flush=True)\n"
            "time.sleep(120)\n")
    child = ServedProcess(_python(code), env=env).start()
    started = time.monotonic()
    assert child.stop(timeout=0.5) == -signal.SIGKILL
    assert time.monotonic() - started < 10


def test_wait_for_reads_lines_in_order_and_per_stream(env):
    code = ("import sys\n"
            "print('listening on http://127.0.0.1:3', flush=True)\n"
            "print('one', flush=True); print('err-two', file=sys.stderr, flush=True); print('three', flush=True)\n"
            "sys.stdin.read() if False else __import__('time').sleep(120)\n")
    with ServedProcess(_python(code), env=env) as child:
        assert child.wait_for("three", timeout=10) == "three"
        with pytest.raises(ProcessStartError):
            child.wait_for("one", timeout=0.3)  # already passed over
        assert child.output("stderr") == "err-two"


def test_the_sandbox_command_line():
    assert sandbox_command("demo", 0)[1:] == ["-m", "recops.cli", "sandbox", "serve", "--host", "127.0.0.1",
                                              "--port", "0", "--scenario", "demo"]
    assert sandbox_command(None)[-1] == "none"
