"""``recops watch`` (issue 20, W3): --help, and bad input refused with what to do (exit 2), against
the real sandbox through the real CLI (typer's runner on the command app)."""

from __future__ import annotations

from typer.testing import CliRunner

from recops.cli.commands import app


def run(env: dict[str, str], *args: str):
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _env(sb, tmp_path) -> dict[str, str]:
    return {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite"), "COLUMNS": "200"}


def test_watch_help_names_queue_user_json_and_ctrl_c():
    r = CliRunner().invoke(app, ["watch", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    for word in ("--queue", "--user", "--json", "NAME|ID", "exit 130"):
        assert word in r.output


def test_watch_nothing_to_watch_is_exit_2(sb, tmp_path):
    r = run(_env(sb, tmp_path), "watch", "--json")
    assert r.exit_code == 2, r.output
    assert '"nothing to watch"' in r.stdout and "--queue" in r.stdout


def test_watch_unknown_queue_name_is_exit_2_with_what_to_do(sb, tmp_path):
    r = run(_env(sb, tmp_path), "watch", "--queue", "No Such Queue")
    assert r.exit_code == 2, r.output
    assert "no queue named 'No Such Queue'" in r.stderr and "exact name or its id" in r.stderr
