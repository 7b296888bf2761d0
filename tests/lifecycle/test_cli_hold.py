"""``recops hold protect|revoke|check`` and ``recops retention set`` as real subprocesses against the
real sandbox: --json output, --dry-run, --from-file with a CSV, and the documented exit codes
(0 done, 2 bad input / real org without --yes before any request, 3 cap or protected refusal,
4 some refused by Genesys)."""

from __future__ import annotations

import json
import subprocess
import sys

from ..conftest import Demo
from ..core.ops_helpers import REPO, cli_env
from .helpers import clear_log, recorded_ids, sent

UNKNOWN = "c0a80001-0000-4000-8000-00000000dead"


def _cli(env, *args):
    return subprocess.run([sys.executable, "-m", "recops.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def _env(sb, tmp_path):
    return cli_env(sb, tmp_path / "journal.sqlite", RECOPS_CLIENT_ID=Demo.INTEGRATION[0],
                   RECOPS_CLIENT_SECRET=Demo.INTEGRATION[1], RECOPS_OUTPUT_DIR=str(tmp_path / "out"))


def test_hold_protect_check_revoke_with_exit_codes(sb, tmp_path):
    env = _env(sb, tmp_path)
    out = _cli(env, "hold", "protect", Demo.ENDED, Demo.EMAIL, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["counts"] == {"protected": 2}
    out = _cli(env, "hold", "check", Demo.ENDED, Demo.ACTIVE, "--json")
    assert out.returncode == 0
    assert {r["conversation_id"]: r["protected"] for r in json.loads(out.stdout)} == {Demo.ENDED: True,
                                                                                      Demo.ACTIVE: False}
    out = _cli(env, "hold", "protect", UNKNOWN, "--json")  # a failedUpdate: Genesys refused it
    assert out.returncode == 4 and json.loads(out.stdout)["rows"][0]["error_code"] == "not.found"
    out = _cli(env, "hold", "protect", "nonsense")
    assert out.returncode == 2
    out = _cli(env, "hold", "revoke", Demo.EMAIL)
    assert out.returncode == 0 and "revoked" in out.stdout


def test_hold_cap_exit_3_and_real_org_without_yes_exit_2(sb, tmp_path):
    env = _env(sb, tmp_path)
    ids = recorded_ids(sb, 1001)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids))
    clear_log(sb)
    out = _cli(env, "hold", "protect", "--from-file", str(ids_file), "--json")
    assert out.returncode == 3
    assert json.loads(out.stdout)["error"]["type"] == "HoldCapExceeded"
    assert [r for r in sent(sb, "PUT", "/api")] == []
    real = {k: v for k, v in env.items() if k != "RECOPS_SANDBOX_URL"} | {"RECOPS_REGION": "eu-west-1",
                                                                        "RECOPS_TARGET": "org"}
    out = _cli(real, "hold", "protect", Demo.ENDED, "--json")
    assert out.returncode == 2 and json.loads(out.stdout)["error"]["type"] == "ConfirmationRequired"


def test_retention_set_dry_run_csv_and_protected_refusal(sb, tmp_path):
    env = _env(sb, tmp_path)
    clear_log(sb)
    out = _cli(env, "retention", "set", Demo.ENDED, "--delete-date", "2032-01-01T00:00:00Z", "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)["rows"]
    assert rows and {r["result"] for r in rows} == {"dry run"}
    assert sent(sb, "PUT", "/api") == []
    csv = tmp_path / "recs.csv"
    csv.write_text("conversation_id,recording_id\n" + f"{Demo.ENDED},{rows[0]['recording_id']}\n")
    out = _cli(env, "retention", "set", "--from-file", str(csv), "--archive-date", "2031-01-01T00:00:00Z", "--json")
    assert out.returncode == 0
    assert [(r["recording_id"], r["result"]) for r in json.loads(out.stdout)["rows"]] == [
        (rows[0]["recording_id"], "changed")]
    assert _cli(env, "hold", "protect", Demo.ENDED).returncode == 0
    out = _cli(env, "retention", "set", Demo.ENDED, "--delete-date", "2032-01-01T00:00:00Z", "--json")
    assert out.returncode == 3 and {r["result"] for r in json.loads(out.stdout)["rows"]} == {"refused"}
    out = _cli(env, "retention", "set", Demo.ENDED, "--clear", "deleteDate", "--clear", "bogus")
    assert out.returncode == 2
