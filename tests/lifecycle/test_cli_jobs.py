"""``recops jobs plan|run|list|show|cancel|reconcile`` as real subprocesses against the real sandbox:
--json output and the documented exit codes (0 done; 2 bad input, a count that is not the READY
count, or a real org without --yes, before any request; 3 not READY; 4 failed recordings)."""

from __future__ import annotations

import json
import subprocess
import sys

from ..conftest import Demo
from ..core.ops_helpers import REPO, cli_env
from .helpers import clear_log
from .job_helpers import fast_jobs, job_puts, recorded_calls

AT = "2031-01-01T00:00:00Z"


def _cli(env, *args):
    out = subprocess.run([sys.executable, "-m", "recops.cli", *args], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    return out.returncode, (json.loads(out.stdout) if out.stdout.strip().startswith(("{", "[")) else out.stdout), \
        out.stderr


def _env(sb, tmp_path):
    return cli_env(sb, tmp_path / "journal.sqlite", RECOPS_CLIENT_ID=Demo.INTEGRATION[0],
                   RECOPS_CLIENT_SECRET=Demo.INTEGRATION[1], RECOPS_OUTPUT_DIR=str(tmp_path / "out"))


def test_plan_run_show_list_with_json_and_exit_codes(sb, tmp_path):
    fast_jobs(sb)
    _, interval = recorded_calls(sb, 4)
    env = _env(sb, tmp_path)
    code, plan, err = _cli(env, "jobs", "plan", "--action", "DELETE", "--interval", interval, "--action-date", AT,
                           "--json")
    assert code == 0, err
    job_id, total = plan["job_id"], plan["total_recordings"]
    assert plan["state"] == "READY" and total == 4 and plan["run_command"].endswith(f"--confirm-count {total}")
    clear_log(sb)
    code, out, _ = _cli(env, "jobs", "run", job_id, "--confirm-count", str(total + 3), "--json")
    assert code == 2 and out["error"]["type"] == "CountMismatch" and job_puts(sb, job_id) == []
    code, out, _ = _cli(env, "jobs", "show", job_id, "--json")
    assert code == 0 and out["state"] == "READY" and out["total_recordings"] == total
    code, out, err = _cli(env, "jobs", "run", job_id, "--confirm-count", str(total), "--json")
    assert code == 0, err
    assert out["state"] == "FULFILLED" and out["executed_now"] and len(job_puts(sb, job_id)) == 1
    code, out, _ = _cli(env, "jobs", "run", job_id, "--confirm-count", str(total), "--json")
    assert code == 0 and not out["executed_now"] and len(job_puts(sb, job_id)) == 1
    code, out, _ = _cli(env, "jobs", "list", "--state", "FULFILLED", "--json")
    assert code == 0 and job_id in [j["job_id"] for j in out]
    code, out, _ = _cli(env, "jobs", "reconcile", "--json")
    assert code == 0 and out == []


def test_cancel_not_ready_and_reconcile(sb, tmp_path):
    fast_jobs(sb, ready=600)  # stays PENDING
    _, interval = recorded_calls(sb, 2)
    env = _env(sb, tmp_path)
    code, plan, err = _cli(env, "jobs", "plan", "--action", "ARCHIVE", "--interval", interval, "--action-age", "30",
                           "--wait", "0", "--json")
    assert code == 3 and plan["state"] == "PENDING", err
    job_id = plan["job_id"]
    code, out, _ = _cli(env, "jobs", "run", job_id, "--confirm-count", "2", "--json")
    assert code == 3 and out["error"]["type"] == "JobNotReady"
    code, out, _ = _cli(env, "jobs", "cancel", job_id, "--json")
    assert code == 0 and out["state"] == "CANCELLED"
    code, out, _ = _cli(env, "jobs", "cancel", job_id, "--json")
    assert code == 3 and out["error"]["type"] == "InvalidTransition"
    code, out, _ = _cli(env, "jobs", "reconcile", "--json")
    assert code == 0 and out == []


def test_bad_input_and_real_org_exit_2_before_any_request(sb, tmp_path):
    env = _env(sb, tmp_path)
    code, out, _ = _cli(env, "jobs", "plan", "--action", "PURGE", "--interval", "2026-01-01T00:00:00Z/P1D",
                        "--action-date", AT, "--json")
    assert code == 2 and "unknown job action" in out["error"]["message"]
    real = {k: v for k, v in env.items() if k != "RECOPS_SANDBOX_URL"} | {"RECOPS_REGION": "eu-west-1",
                                                                        "RECOPS_TARGET": "org"}
    code, out, _ = _cli(real, "jobs", "run", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "--confirm-count", "5",
                        "--json")
    assert code == 2 and out["error"]["type"] == "ConfirmationRequired"


def test_plan_from_a_file_of_ids_and_hold_reconcile(sb, tmp_path):
    fast_jobs(sb)
    convs, interval = recorded_calls(sb, 3)
    env = _env(sb, tmp_path)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(c["id"] for c in convs[:2]) + "\n# a comment\n")
    code, plan, err = _cli(env, "jobs", "plan", "--action", "DELETE", "--from-file", str(ids), "--interval", interval,
                           "--action-age", "365", "--json")
    assert code == 0, err
    assert (plan["total_conversations"], plan["total_recordings"]) == (2, 2)
    predicates = plan["query"]["conversationQuery"]["conversationFilters"][0]["clauses"][0]["predicates"]
    assert [p["value"] for p in predicates] == [c["id"] for c in convs[:2]]
    code, out, _ = _cli(env, "hold", "reconcile", "--json")
    assert code == 0 and out == []
