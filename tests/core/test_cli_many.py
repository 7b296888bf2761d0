"""``recops pause|resume ID ID… | --from-file FILE|-`` against the real sandbox: every id done
and reported (bad ones included), a summary table or a JSON list, the worst exit code, and a
progress bar on stderr only when stderr is a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import recops
from recops.cli.commands import app

from ..conftest import Demo
from .ops_helpers import REPO, api_log, clear_log, cli_env, summary, writes

BOGUS = "c0a80001-0000-4000-8000-00000000dead"
PUT = "/api/v2/conversations/calls/{}/recordingstate"


@pytest.fixture
def env(sb, tmp_path) -> dict[str, str]:
    return {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite"), "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, stdin: str | None = None):
    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_several_ids_are_each_done_and_summarised(sb, env):
    r = run(env, "pause", Demo.ACTIVE, Demo.PAUSED, Demo.HELD)
    assert r.exit_code == 0, r.output
    assert "pause on 3 conversation(s): 2 changed, 1 skipped, 0 failed" in r.stdout
    lines = {cid: next(line for line in r.stdout.splitlines() if cid in line)
             for cid in (Demo.ACTIVE, Demo.PAUSED, Demo.HELD)}
    assert "changed" in lines[Demo.ACTIVE] and "ACTIVE -> PAUSED" in lines[Demo.ACTIVE]
    assert "skipped" in lines[Demo.PAUSED] and "already PAUSED" in lines[Demo.PAUSED]
    assert "changed" in lines[Demo.HELD] and "PAUSED -> PAUSED" in lines[Demo.HELD]
    assert f"target: SANDBOX ({sb.url})" in r.stderr
    assert all(summary(sb, cid)["securePause"] for cid in (Demo.ACTIVE, Demo.PAUSED, Demo.HELD))


def test_bad_ids_are_each_reported_and_the_rest_done(sb, env):
    clear_log(sb)
    r = run(env, "pause", "--json", BOGUS, Demo.ACTIVE, "nonsense", Demo.ENDED, Demo.UNRECORDED)
    assert r.exit_code == 4, r.output  # the worst: Genesys answered 404 (4) > an ended call (3) > usage (2)
    data = json.loads(r.stdout)  # stdout is the JSON list and nothing else
    assert [d["conversation_id"] for d in data] == [BOGUS, Demo.ACTIVE, "nonsense", Demo.ENDED, Demo.UNRECORDED]
    bogus, active, nonsense, ended, unrecorded = data
    assert (bogus["error"]["status"], bogus["error"]["code"]) == (404, "not.found")
    assert bogus["error"]["context_id"] in [e["contextId"] for e in api_log(sb)]
    assert (active["before"], active["after"], active["error"]) == ("ACTIVE", "PAUSED", None)
    assert nonsense["error"]["error_type"] == "ConfigError"
    assert ended["error"]["error_type"] == "InvalidTransition"
    assert unrecorded["skipped"] is True
    assert writes(sb) == [("PUT", PUT.format(Demo.ACTIVE), 200)]
    journal = recops.Journal(env["RECOPS_JOURNAL"])
    assert sorted((e.conversation_id, e.status) for e in journal.entries()) == sorted(
        [(Demo.ACTIVE, "applied"), (Demo.UNRECORDED, "skipped")])
    journal.close()

    # an ended call alone in the list: 3, a malformed id alone: 2
    assert run(env, "resume", Demo.ENDED, Demo.UNRECORDED).exit_code == 3
    assert run(env, "resume", "nonsense", Demo.UNRECORDED).exit_code == 2


def test_ids_from_a_file_and_from_stdin(sb, env, tmp_path):
    listing = tmp_path / "ids.txt"
    listing.write_text(f"# to pause\n{Demo.ACTIVE}\n\n{Demo.HELD}, {Demo.ACTIVE}  # again\n")
    r = run(env, "pause", "--from-file", str(listing), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [(d["conversation_id"], d["skipped"]) for d in data] == [
        (Demo.ACTIVE, False), (Demo.HELD, False), (Demo.ACTIVE, True)]
    assert "repeated in the list: done once, at position 1" in data[2]["reason"]

    r = run(env, "resume", "--from-file", "-", Demo.PAUSED, stdin=f"{Demo.ACTIVE}\n# {Demo.HELD}\n")
    assert r.exit_code == 0, r.output
    assert "resume on 2 conversation(s): 2 changed" in r.stdout  # the argument first, then stdin
    assert summary(sb, Demo.HELD)["securePause"] is True  # commented out: untouched

    empty = run(env, "pause", "--from-file", "-", stdin="# nothing\n\n")
    assert empty.exit_code == 2 and "no conversation id to pause" in empty.stderr
    missing = run(env, "pause", "--from-file", str(tmp_path / "absent.txt"))
    assert missing.exit_code == 2 and "cannot read conversation ids" in missing.stderr


def test_dry_run_of_several_sends_nothing(sb, env):
    clear_log(sb)
    r = run(env, "pause", "--dry-run", Demo.ACTIVE, Demo.PAUSED)
    assert r.exit_code == 0
    assert "1 dry run" in r.stdout and "would send PUT" in r.stdout
    assert writes(sb) == []


def test_several_ids_on_a_real_org_need_yes_before_any_request(tmp_path):
    real = {"GENESYSCLOUD_REGION": "eu-west-1", "GENESYSCLOUD_OAUTHCLIENT_ID": "real-client-id",
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": "real-secret-never-shown", "RECOPS_JOURNAL": str(tmp_path / "j")}
    r = run(real, "pause", Demo.ACTIVE, Demo.PAUSED)
    assert r.exit_code == 2, r.output
    assert "REAL ORG in eu-west-1" in r.stderr and "nothing was read or sent" in r.stderr and "--yes" in r.stderr
    assert "real-secret-never-shown" not in r.stdout + r.stderr


def _cli_with_stderr_on_a_terminal(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """The ``recops`` command with stderr on a pseudo-terminal, stdout on a pipe."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "recops.cli", *args], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=terminal, text=True)
    os.close(terminal)
    out = proc.communicate(timeout=120)[0]
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal's other end is closed: all was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_progress_bar_on_a_terminal_only_and_never_in_json(sb, tmp_path):
    env = cli_env(sb, tmp_path / "j.sqlite", TERM="xterm")
    env.pop("NO_COLOR")
    code, out, err = _cli_with_stderr_on_a_terminal(env, "pause", "--json", Demo.ACTIVE, Demo.HELD)
    assert code == 0, err
    assert [d["after"] for d in json.loads(out)] == ["PAUSED", "PAUSED"]  # stdout: the JSON alone
    assert "2/2" in err and "━" in err  # the bar, drawn on the terminal

    piped = subprocess.run([sys.executable, "-m", "recops.cli", "resume", Demo.ACTIVE, Demo.HELD], env=env,
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert "2/2" not in piped.stderr and "━" not in piped.stderr
    assert "resume on 2 conversation(s): 2 changed" in piped.stdout
