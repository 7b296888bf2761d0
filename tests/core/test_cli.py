"""The ``recops`` command (typer's CliRunner on ``recops.cli.commands.app``) against the real sandbox:
human and ``--json`` output, exit codes with the Genesys code, dry run, tables, the journal,
and secrets never printed."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

import recops
from recops.cli.commands import app
from recops.history.tables import INTERVAL_COLUMNS, STATE_COLUMNS

from ..conftest import Demo
from .ops_helpers import clear_log, connect, iso, sandbox_now, summary, writes

PUT = "/api/v2/conversations/calls/{}/recordingstate"
BOGUS = "c0a80001-0000-4000-8000-00000000dead"


@pytest.fixture
def env(sb, tmp_path) -> dict[str, str]:
    """The sandbox at sb.url and a fresh journal; no credentials (the demo client is used)."""
    return {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite"), "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, **extra: str):
    result = CliRunner().invoke(app, list(args), env={**env, **extra})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def as_client(creds: tuple[str, str]) -> dict[str, str]:
    return {"RECOPS_CLIENT_ID": creds[0], "RECOPS_CLIENT_SECRET": creds[1]}


# --- reads ----------------------------------------------------------------------------------------------


def test_status_human(sb, env):
    r = run(env, "status", Demo.ACTIVE, COLUMNS="80")  # a narrow terminal
    assert r.exit_code == 0, r.output
    assert f"target: SANDBOX ({sb.url})" in r.stderr
    # 80 columns: the state under the id, and the participant ids printed whole (what --participant takes)
    assert f"{Demo.ACTIVE} call:\n  recordingState ACTIVE, securePause False\n" in r.stdout
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    for pid in (Demo.ACTIVE_CUSTOMER, Demo.ACTIVE_AGENT):
        [line] = [x for x in r.stdout.splitlines() if pid in x]
        assert line.split()[0] == pid
    wide = run(env, "status", Demo.ACTIVE)  # 200 columns: one header, one table row per participant
    assert f"{Demo.ACTIVE} call: recordingState ACTIVE, securePause False" in wide.stdout
    assert any("participant" in x and "ad hoc" in x and "held" in x for x in wide.stdout.splitlines())
    assert all("connected" in x for x in wide.stdout.splitlines() if Demo.ACTIVE_AGENT in x)
    for rid in summary(sb, Demo.ACTIVE)["recordingIds"]:
        assert f"recording {rid}: UPLOADING" in r.stdout


def test_status_json_one_and_several(sb, env, tmp_path):
    one = run(env, "status", Demo.PAUSED, "--json")
    assert one.exit_code == 0 and "target:" in one.stderr
    data = json.loads(one.stdout)
    assert (data["conversation_id"], data["recording_state"], data["secure_pause"]) == (Demo.PAUSED, "PAUSED", True)
    assert {p["id"] for p in data["participants"]} == {p["id"] for p in summary(sb, Demo.PAUSED)["participants"]}
    assert data["recordings"][0]["id"] in summary(sb, Demo.PAUSED)["recordingIds"]

    several = json.loads(run(env, "status", Demo.ACTIVE, Demo.HELD, "--json").stdout)
    assert [(s["conversation_id"], s["recording_state"], s["secure_pause"]) for s in several] == [
        (Demo.ACTIVE, "ACTIVE", False), (Demo.HELD, "PAUSED", False)]
    lib = connect(sb, None, tmp_path / "other.sqlite").status(Demo.HELD).to_dict()
    assert {k: v for k, v in several[1].items() if k != "context_id"} == {
        k: v for k, v in json.loads(json.dumps(lib)).items() if k != "context_id"}


def test_recordings_available_and_transcoding(sb, env):
    [rid] = summary(sb, Demo.ENDED)["recordingIds"]
    done = run(env, "recordings", Demo.ENDED)
    assert done.exit_code == 0
    assert f"{rid} AVAILABLE CUSTOMER_EXPERIENCE {sb.url}/" in done.stdout
    live = run(env, "recordings", Demo.ACTIVE)
    assert live.exit_code == 0 and "still being prepared" in live.stdout and "--wait" in live.stdout
    data = json.loads(run(env, "recordings", Demo.ACTIVE, "--json").stdout)
    assert (data["state"], data["recordings"]) == ("transcoding", [])
    assert "no recordings" in run(env, "recordings", Demo.UNRECORDED).stdout


# --- changes -----------------------------------------------------------------------------------------------


def test_pause_twice_then_resume(sb, env):
    first = run(env, "pause", Demo.ACTIVE)
    assert first.exit_code == 0, first.output
    assert f"pause on {Demo.ACTIVE}: ACTIVE -> PAUSED via PUT {PUT.format(Demo.ACTIVE)}" in first.stdout
    assert summary(sb, Demo.ACTIVE)["securePause"] is True

    clear_log(sb)
    second = run(env, "pause", Demo.ACTIVE)
    assert second.exit_code == 0
    assert "nothing to do (already PAUSED)" in second.stdout
    assert writes(sb) == []

    back = run(env, "resume", Demo.ACTIVE, "--json")
    assert back.exit_code == 0
    out = json.loads(back.stdout)
    assert (out["action"], out["before"], out["after"], out["skipped"]) == ("resume", "PAUSED", "ACTIVE", False)
    assert out["endpoint"] == f"PUT {PUT.format(Demo.ACTIVE)}" and out["context_id"]
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "ACTIVE"


def test_resume_under_hold_suppression_is_a_no_op(env):
    r = run(env, "resume", Demo.HELD)
    assert r.exit_code == 0 and "nothing to do" in r.stdout and "hold suppression" in r.stdout


def test_start_and_stop_with_a_participant_user_token(sb, env):
    token = sb.control.user_token(Demo.AVA)
    user = {"RECOPS_ACCESS_TOKEN": token}
    on = run(env, "start", Demo.ACTIVE, "--participant", Demo.ACTIVE_AGENT, **user)
    assert on.exit_code == 0, on.output
    assert f"start participant {Demo.ACTIVE_AGENT} on {Demo.ACTIVE}: OFF -> ON" in on.stdout
    again = run(env, "start", Demo.ACTIVE, "-p", Demo.ACTIVE_AGENT, **user)
    assert again.exit_code == 0 and "nothing to do (ad-hoc recording already ON)" in again.stdout
    off = run(env, "stop", Demo.ACTIVE, "--participant", Demo.ACTIVE_AGENT, "--json", **user)
    assert off.exit_code == 0
    assert (json.loads(off.stdout)["before"], json.loads(off.stdout)["after"]) == ("ON", "OFF")
    for r in (on, again, off):
        assert token not in r.output
    assert not next(p for p in summary(sb, Demo.ACTIVE)["participants"] if p["id"] == Demo.ACTIVE_AGENT)["adhoc"]


def test_dry_run_shows_the_request_and_sends_nothing(sb, env):
    clear_log(sb)
    r = run(env, "pause", Demo.ACTIVE, "--dry-run")
    assert r.exit_code == 0
    assert f"DRY RUN pause on {Demo.ACTIVE}: would send PUT {PUT.format(Demo.ACTIVE)}" in r.stdout
    assert "PAUSED" in r.stdout
    as_json = json.loads(run(env, "resume", Demo.PAUSED, "--dry-run", "--json").stdout)
    assert as_json["dry_run"] is True and as_json["request"] == {"recordingState": "ACTIVE"}
    noop = run(env, "pause", Demo.PAUSED, "--dry-run")
    assert noop.exit_code == 0
    assert f"DRY RUN pause on {Demo.PAUSED}: nothing to do (already PAUSED)" in noop.stdout
    assert writes(sb) == []
    assert json.loads(run(env, "journal", "--json").stdout) == []
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "ACTIVE"


# --- failures and exit codes -------------------------------------------------------------------------------


def _every_error_class() -> list[type]:
    """Every recops error class: RecopsError's subclasses, once every client-side module is imported."""
    import importlib
    import pkgutil

    from recops.genesys.errors import RecopsError

    for info in pkgutil.walk_packages(recops.__path__, "recops."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found, todo = [], [RecopsError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_every_error_is_defined_in_errors_py_with_a_documented_exit_code():
    from pathlib import Path

    from recops.cli.plumbing import EXIT_CODES, exit_code_of

    doc = (Path(recops.__file__).parent / "genesys" / "errors.py").read_text()
    table = (Path(recops.__file__).parent.parent / "docs" / "cli.md").read_text()
    for cls in _every_error_class():
        if cls.__name__ == "RecopsError":
            continue
        assert cls.__module__ == "recops.genesys.errors", f"{cls.__name__} is defined in {cls.__module__}"
        assert f" {cls.__name__} " in doc, f"{cls.__name__} is not in errors.py's tree"
        code = next((EXIT_CODES[c.__name__] for c in cls.__mro__ if c.__name__ in EXIT_CODES), None)
        assert code is not None and code != 1, f"{cls.__name__} has no exit code of its own"
        assert exit_code_of(cls) == code
    for name, code in EXIT_CODES.items():
        assert f"`{name}`" in table and f"| {code} |" in table, f"{name} ({code}) is not in docs/cli.md's table"
    assert {name: EXIT_CODES[name] for name in ("JobFailed", "DownloadFailed", "LinkExpired", "Cancelled",
                                                 "DownloadCancelled")} == {
        "JobFailed": 4, "DownloadFailed": 5, "LinkExpired": 5, "Cancelled": 130, "DownloadCancelled": 130}


def test_permission_denied_exits_4_with_the_genesys_code(sb, env):
    ro = as_client(Demo.READONLY)
    r = run(env, "pause", Demo.ACTIVE, **ro)
    assert r.exit_code == 4
    assert "error [missing.any.permissions]: 403 missing.any.permissions" in r.stderr
    assert "[conversation:recording:pauseOthers]" in r.stderr  # Genesys's message, brackets and all
    assert "do: " in r.stderr

    j = run(env, "pause", Demo.ACTIVE, "--json", **ro)
    assert j.exit_code == 4
    err = json.loads(j.stdout)["error"]
    assert (err["type"], err["status"], err["code"]) == ("PermissionDenied", 403, "missing.any.permissions")
    assert err["permissions"] == ["conversation:recording:pauseOthers"]
    assert err["context_id"] and err["remedy"]
    assert err["method"] == "PUT" and err["path"] == PUT.format(Demo.ACTIVE)


def test_unknown_conversation_exits_4_not_found(env):
    r = run(env, "status", BOGUS)
    assert r.exit_code == 4 and "[not.found]" in r.stderr
    p = run(env, "pause", BOGUS, "--json")
    assert p.exit_code == 4 and json.loads(p.stdout)["error"]["code"] == "not.found"


def test_ended_call_exits_3(sb, env):
    clear_log(sb)
    r = run(env, "pause", Demo.ENDED)
    assert r.exit_code == 3 and "has ended" in r.stderr
    j = run(env, "pause", Demo.ENDED, "--json")
    assert j.exit_code == 3 and json.loads(j.stdout)["error"]["type"] == "InvalidTransition"
    assert writes(sb) == []


def test_adhoc_with_client_credentials_exits_4_not_a_user(env):
    r = run(env, "stop", Demo.ADHOC, "--participant", Demo.ADHOC_AGENT, **as_client(Demo.INTEGRATION))
    assert r.exit_code == 4
    assert "[not.a.user]" in r.stderr and "user token" in r.stderr


def test_unknown_participant_exits_3_listing_them(sb, env):
    clear_log(sb)
    r = run(env, "start", Demo.ADHOC, "--participant", "nobody")
    assert r.exit_code == 3 and "no participant nobody" in r.stderr
    assert Demo.ADHOC_AGENT in r.stderr  # the participants it does have
    assert writes(sb) == []


def test_a_sandbox_url_in_the_tutorials_host_variable_is_refused_with_the_fix_that_works(sb, env):
    """GENESYS_ENV_HOST=<the sandbox's URL>: refused (it is not a region), naming the variable that
    takes a sandbox URL; and that advice, followed, reaches the sandbox."""
    tutorial = {k: v for k, v in env.items() if k != "RECOPS_SANDBOX_URL"}
    tutorial |= {"GENESYS_CLIENT_ID": Demo.SUPERVISOR[0], "GENESYS_CLIENT_SECRET": Demo.SUPERVISOR[1],
                 "GENESYS_ENV_HOST": sb.url}
    r = run(tutorial, "status", Demo.ACTIVE)
    assert r.exit_code == 2
    assert "looks like a sandbox URL" in r.stderr
    assert f"unset GENESYS_ENV_HOST and set RECOPS_SANDBOX_URL={sb.url}" in " ".join(r.stderr.split())
    assert Demo.SUPERVISOR[1] not in r.output
    followed = {k: v for k, v in tutorial.items() if k != "GENESYS_ENV_HOST"} | {"RECOPS_SANDBOX_URL": sb.url}
    ok = run(followed, "status", Demo.ACTIVE)
    assert ok.exit_code == 0, ok.output
    assert f"target: SANDBOX ({sb.url})" in ok.stderr and "recordingState ACTIVE" in ok.stdout


# --- tables ---------------------------------------------------------------------------------------------------


def read_csv(path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_table_of_ids_with_csv_and_json(env, tmp_path):
    out = tmp_path / "states.csv"
    r = run(env, "table", "--ids", Demo.ACTIVE, "--ids", f"{Demo.PAUSED},{BOGUS}", "--csv", str(out))
    assert r.exit_code == 0, r.output
    assert f"3 rows, written to {out}" in r.stdout
    rows = read_csv(out)
    assert list(rows[0]) == list(STATE_COLUMNS)
    assert [(x["conversation_id"], x["recording_state"], x["error"]) for x in rows] == [
        (Demo.ACTIVE, "ACTIVE", ""), (Demo.PAUSED, "PAUSED", ""), (BOGUS, "", "not.found")]
    records = json.loads(run(env, "table", "--ids", Demo.UNRECORDED, "--json").stdout)
    assert [(x["conversation_id"], x["recording_state"]) for x in records] == [(Demo.UNRECORDED, "NONE")]


def test_table_of_an_interval_with_csv(sb, env, tmp_path):
    now = sandbox_now(sb)
    interval = f"{iso(now - timedelta(days=8))}/{iso(now + timedelta(minutes=1))}"
    out = tmp_path / "week.csv"
    r = run(env, "table", "--interval", interval, "--csv", str(out))
    assert r.exit_code == 0, r.output
    rows = read_csv(out)
    assert list(rows[0]) == list(INTERVAL_COLUMNS)
    lib = connect(sb, None, tmp_path / "other.sqlite").interval(interval)
    assert [x["conversation_id"] for x in rows] == list(lib["conversation_id"])
    assert f"{len(lib)} rows, written to {out}" in r.stdout

    recorded = run(env, "table", "--interval", interval, "--recorded", "--json")
    assert recorded.exit_code == 0
    records = json.loads(recorded.stdout)
    assert records and all(x["recorded"] for x in records)
    assert len(records) == int(lib["recorded"].sum())


def test_table_says_why_queue_names_are_missing(sb, env):
    now = sandbox_now(sb)
    interval = f"{iso(now - timedelta(days=8))}/{iso(now + timedelta(minutes=1))}"
    named = run(env, "table", "--interval", interval, "--json")
    assert named.exit_code == 0 and "note:" not in named.stderr
    r = run(env, "table", "--interval", interval, "--json", **as_client(Demo.READONLY))
    assert r.exit_code == 0, r.output
    notes = [line for line in r.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "routing:queue:view" in notes[0]
    assert json.loads(r.stdout)  # the table still comes back, with ids for names


@pytest.mark.parametrize("args", [
    [], ["--ids", Demo.ACTIVE, "--interval", "2026-03-02T00:00:00Z/2026-03-03T00:00:00Z"]])
def test_table_needs_either_ids_or_an_interval(env, args):
    r = run(env, "table", *args)
    assert r.exit_code == 2 and "either --ids or --interval" in r.stderr


def test_table_with_a_bad_interval_exits_2(env):
    r = run(env, "table", "--interval", "last week")
    assert r.exit_code == 2 and "start/end" in r.stderr


# --- journal -----------------------------------------------------------------------------------------------------


def test_journal_lists_and_exports(sb, env, tmp_path):
    run(env, "pause", Demo.ACTIVE)
    run(env, "pause", Demo.ACTIVE)
    run(env, "pause", Demo.ACTIVE, **as_client(Demo.READONLY))  # skipped too: already paused
    run(env, "resume", Demo.PAUSED, **as_client(Demo.READONLY))  # refused: failed

    r = run(env, "journal")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("#1 ") and f"pause {Demo.ACTIVE}: applied ACTIVE -> PAUSED" in lines[0]
    assert f"[client:{Demo.SUPERVISOR[0]} on SANDBOX at {sb.url}]" in lines[0]
    assert "skipped PAUSED -> PAUSED" in lines[1]
    assert "failed" in lines[3] and "missing.any.permissions" in lines[3]

    entries = json.loads(run(env, "journal", "--json", "--limit", "2").stdout)
    assert [e["id"] for e in entries] == [3, 4]
    assert entries[1]["principal"] == f"client:{Demo.READONLY[0]}" and entries[1]["http_status"] == 403

    out = tmp_path / "journal.csv"
    exported = run(env, "journal", "--csv", str(out))
    assert exported.exit_code == 0 and f"journal written to {out}" in exported.stdout
    assert [x["status"] for x in read_csv(out)] == ["applied", "skipped", "skipped", "failed"]

    assert json.loads(run(env, "journal", "--in-doubt", "--json").stdout) == []


# --- secrets ---------------------------------------------------------------------------------------------------------


def test_secrets_are_never_printed(sb, env, tmp_path):
    client = sb.control.add_client(["conversation:recording:pauseOthers", "conversation:communication:view",
                                    "recording:recording:view", "analytics:conversationDetail:view"])
    secret = client["clientSecret"]
    creds = {"RECOPS_CLIENT_ID": client["clientId"], "RECOPS_CLIENT_SECRET": secret}
    runs = [
        run(env, "target", **creds),
        run(env, "target", "--json", **creds),
        run(env, "status", Demo.ACTIVE, **creds),
        run(env, "status", Demo.ACTIVE, "--json", **creds),
        run(env, "pause", Demo.ACTIVE, **creds),
        run(env, "pause", Demo.ACTIVE, "--json", **creds),
        run(env, "resume", Demo.ACTIVE, "--dry-run", **creds),
        run(env, "table", "--ids", f"{Demo.ACTIVE},{BOGUS}", **creds),
        run(env, "journal", **creds),
        run(env, "journal", "--json", **creds),
        run(env, "pause", Demo.ENDED, **creds),
        run(env, "status", BOGUS, "--json", **creds),
        run(env, "start", Demo.ACTIVE, "-p", Demo.ACTIVE_AGENT, **creds),
        run(env, "start", Demo.ACTIVE, "-p", Demo.ACTIVE_AGENT, "--json", **creds),
    ]
    codes = [r.exit_code for r in runs]
    assert codes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 4, 4]
    assert client["clientId"] in runs[0].stdout
    wrong = "wrong-" + secret[::-1]
    bad = run(env, "status", Demo.ACTIVE, RECOPS_CLIENT_ID=client["clientId"], RECOPS_CLIENT_SECRET=wrong)
    bad_json = run(env, "pause", Demo.ACTIVE, "--json", RECOPS_CLIENT_ID=client["clientId"],
                   RECOPS_CLIENT_SECRET=wrong)
    assert bad.exit_code == bad_json.exit_code == 4 and "invalid_client" in bad.stderr
    token = sb.control.user_token(Demo.AVA)
    with_token = [run(env, "status", Demo.ACTIVE, RECOPS_ACCESS_TOKEN=token),
                  run(env, "target", "--json", RECOPS_ACCESS_TOKEN=token),
                  run(env, "pause", BOGUS, RECOPS_ACCESS_TOKEN=token)]
    for r in [*runs, bad, bad_json, *with_token]:
        everything = r.stdout + r.stderr
        assert secret not in everything and wrong not in everything and token not in everything


# --- a real org ------------------------------------------------------------------------------------------


def test_a_real_org_target_is_shown_without_any_network(tmp_path):
    """``recops target`` sends no request, so it can show a real org here."""
    real = {"GENESYSCLOUD_REGION": "eu-west-1", "GENESYSCLOUD_OAUTHCLIENT_ID": "real-client-id",
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": "real-secret-never-shown", "RECOPS_JOURNAL": str(tmp_path / "j")}
    r = run(real, "target")
    assert r.exit_code == 0
    assert "REAL ORG in eu-west-1 (Dublin, api.mypurecloud.ie)" in r.stdout
    assert "OAuth client real-client-id" in r.stdout
    info = json.loads(run(real, "target", "--json").stdout)
    assert info["target"].startswith("REAL ORG in eu-west-1")
    for out in (r.stdout + r.stderr, json.dumps(info)):
        assert "real-secret-never-shown" not in out
    assert not recops.Settings.load(env=real).target.is_sandbox


@pytest.mark.parametrize("args", [["pause", Demo.ACTIVE], ["resume", Demo.ACTIVE],
                                  ["stop", Demo.ACTIVE, "--participant", Demo.ACTIVE_AGENT]])
def test_a_real_org_write_without_yes_is_refused_before_any_request(tmp_path, args):
    """Without --yes a change on a real org exits 2 before logging in or reading anything, and
    says how to confirm; the red target line names the org."""
    real = {"GENESYSCLOUD_REGION": "eu-west-1", "GENESYSCLOUD_OAUTHCLIENT_ID": "real-client-id",
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": "real-secret-never-shown", "RECOPS_JOURNAL": str(tmp_path / "j")}
    r = run(real, *args)
    assert r.exit_code == 2, r.output
    assert "REAL ORG in eu-west-1" in r.stderr
    assert "nothing was read or sent" in r.stderr and "--yes" in r.stderr
    assert "real-secret-never-shown" not in r.stdout + r.stderr
    j = recops.Journal(tmp_path / "j")
    assert j.entries() == []
    j.close()


# --- the terminal at 80 and 160 columns (issue 17, item 8), through the real ``recops`` process --------


def terminal(columns: int, *args: str, **env: str):
    """``recops ARGS`` as a real process whose terminal is ``columns`` wide (COLUMNS), this checkout's code."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    full.update(env, COLUMNS=str(columns), PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "recops.cli", *args], env=full, text=True, capture_output=True,
                          timeout=60)


@pytest.mark.parametrize("columns", [80, 160])
def test_explain_409_wraps_whole_words_and_do_does_not_repeat_the_meaning(columns):
    from recops.genesys.explain import explain

    out = terminal(columns, "explain", "409")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.rstrip("\n").splitlines()
    assert all(len(x) <= columns for x in lines), lines  # longer: the terminal breaks it wherever, mid-word
    words = out.stdout.split()
    ex = explain("409")
    for text in (ex.meaning, ex.remedy, ex.evidence):
        for word in text.split():
            assert word in words, (word, lines)  # every word whole on one line
    meaning_first = ex.meaning.split(". ")[0]
    assert meaning_first not in ex.remedy  # "do:" says what to do, not the meaning again
    do = next(i for i, x in enumerate(lines) if x.lstrip().startswith("do:"))
    assert lines[do].split("do:", 1)[1].split()[:4] == ex.remedy.split()[:4]


@pytest.mark.parametrize("columns", [80, 160])
def test_status_without_an_id_says_what_to_give(columns):
    out = terminal(columns, "status")
    assert out.returncode == 2
    said = " ".join(out.stderr.split())
    assert "Missing argument" not in said
    assert "recops status ID" in said and "recops status ID ID" in said and "--from-file FILE" in said
    assert "e.g. recops status c0a80001-0000-4000-8000-000000000001" in said


def test_status_reads_ids_from_a_file(sb, env, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text(f"# two calls\n{Demo.ACTIVE}\n\n{Demo.HELD}\n")
    r = run(env, "status", "--from-file", str(ids), "--json")
    assert r.exit_code == 0, r.output
    assert [x["conversation_id"] for x in json.loads(r.stdout)] == [Demo.ACTIVE, Demo.HELD]


def test_no_code_s_remedy_restates_its_meaning():
    from recops.genesys import codes

    for row in codes._ROWS:
        first = row.meaning.split(". ")[0].rstrip(".").lower()
        assert first not in row.remedy.lower(), row.code  # was: 409, 500 (and 400 nearly)
