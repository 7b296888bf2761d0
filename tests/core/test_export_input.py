"""``rc.export`` / ``recops export``: bad input is refused before any request, with an error that
says what to do; the dry run resolves through metadata GETs only (no batch, no download, nothing
written); malformed and unknown ids are rows, not failures of the whole export."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import recops
from recops.cli.commands import app

from ..conftest import Demo
from .ops_helpers import calls, clear_log, connect

BOGUS = "c0a80001-0000-4000-8000-00000000dead"


@pytest.fixture
def rc(sb, tmp_path):
    return connect(sb, None, tmp_path / "j.sqlite")


def test_a_destination_that_is_a_file_is_refused_before_any_request(sb, rc, tmp_path):
    clear_log(sb)
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(recops.ConfigError, match="is a file, not a directory") as err:
        rc.export([Demo.ENDED], target, progress=False)
    assert "pass a directory" in err.value.remedy
    with pytest.raises(recops.ConfigError, match="cannot be created"):
        rc.export([Demo.ENDED], target / "below", progress=False)
    with pytest.raises(recops.ConfigError, match="cannot be created"):
        rc.export([Demo.ENDED], target / "below", dry_run=True, progress=False)
    assert calls(sb) == []


def test_no_ids_and_bad_tables_are_refused_before_any_request(sb, rc, tmp_path):
    clear_log(sb)
    with pytest.raises(recops.ConfigError, match="no conversation id to export") as err:
        rc.export([], tmp_path / "out", progress=False)
    assert "conversation ids" in err.value.remedy
    with pytest.raises(recops.ConfigError, match="no conversation_id column"):
        rc.export(pd.DataFrame({"id": [Demo.ENDED]}), tmp_path / "out", progress=False)
    with pytest.raises(recops.ConfigError, match="concurrency"):
        rc.export([Demo.ENDED], tmp_path / "out", concurrency=0, progress=False)
    assert calls(sb) == []


def test_too_little_free_space_for_the_estimate_is_refused_before_any_request(sb, rc, tmp_path):
    clear_log(sb)
    start = pd.Timestamp("2026-01-01T00:00:00Z")
    # a conversation whose times say it lasted ~300 years: 8 kB/s of it fills no disk
    huge = pd.DataFrame({"conversation_id": [Demo.ENDED], "conversation_start": [start],
                         "conversation_end": [start + pd.Timedelta(days=365 * 300)]})
    with pytest.raises(recops.ConfigError, match="not enough free space") as err:
        rc.export(huge, tmp_path / "out", progress=False)
    assert "choose another destination" in err.value.remedy
    assert calls(sb) == []


def test_the_cli_says_what_to_do_and_exits_2_on_bad_input(sb, tmp_path):
    clear_log(sb)
    env = {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite"), "COLUMNS": "200"}
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{Demo.ENDED}\n")
    runner = CliRunner()
    r = runner.invoke(app, ["export", "--from-file", str(ids), "--dest", str(blocker)], env=env)
    assert r.exit_code == 2, r.output
    assert "is a file, not a directory" in r.stderr
    r = runner.invoke(app, ["export", "--dest", str(tmp_path / "out")], env=env)
    assert r.exit_code == 2 and "give either --interval or --from-file" in r.stderr
    r = runner.invoke(app, ["export", "--from-file", str(ids), "--queue", "q", "--dest", str(tmp_path)], env=env)
    assert r.exit_code == 2 and "--queue goes with --interval" in r.stderr
    r = runner.invoke(app, ["export", "--from-file", str(tmp_path / "missing.txt"), "--dest", str(tmp_path / "o"),
                            "--json"], env=env)
    assert r.exit_code == 2 and "cannot read conversation ids" in json.loads(r.stdout)["error"]["message"]
    assert calls(sb) == []


def test_a_dry_run_lists_recordings_through_metadata_only_and_writes_nothing(sb, rc, tmp_path):
    clear_log(sb)
    dest = tmp_path / "not-yet"
    result = rc.export([Demo.ENDED, "nonsense", BOGUS, Demo.ENDED], dest, dry_run=True, progress=False)
    assert result.dry_run and not dest.exists()
    assert (result.manifest_csv, result.manifest_json) == (None, None)
    truth = sb.control.conversation(Demo.ENDED)
    recordings = truth["recordingIds"]
    assert recordings, truth
    rows = {(r.conversation_id, r.recording_id): r for r in result.rows}
    assert len(result.rows) == len(recordings) + 2  # each id once: the repeat of ENDED is not listed twice
    assert rows[("nonsense", None)].status == "invalid"
    assert "not a conversation id" in rows[("nonsense", None)].error
    assert rows[(BOGUS, None)].status == "unknown"
    for rid in recordings:
        row = rows[(Demo.ENDED, rid)]
        assert (row.status, row.times_from) == ("pending", "recording")
        assert row.start is not None and row.end is not None
    assert result.counts == {"unknown": 1, "invalid": 1, "pending": len(recordings)}
    assert result.estimated_bytes > 0
    assert "dry run" in result.summary() and "to fetch" in result.summary()
    sent = calls(sb)
    assert {(m, p) for m, p, _ in sent} <= {
        ("POST", "/oauth/token"), ("GET", f"/api/v2/conversations/{Demo.ENDED}/recordingmetadata"),
        ("GET", f"/api/v2/conversations/{BOGUS}/recordingmetadata")}
    assert sum(1 for m, p, _ in sent if p.endswith("recordingmetadata")) == 2
    assert "nonsense" not in json.dumps(sent)
    frame = result.manifest
    assert list(frame.columns)[:10] == ["conversation_id", "recording_id", "file", "bytes", "sha256", "media_type",
                                        "start", "end", "times_from", "status"]
    html = result._repr_html_()
    assert "nonsense" in html and "invalid" in html and "&lt;" not in result.summary()


def test_a_dry_run_from_a_table_with_times_sends_nothing_but_the_token(sb, rc, tmp_path):
    frame = rc.interval(f"{pd.Timestamp.now(tz='UTC') - pd.Timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}/"
                        f"{pd.Timestamp.now(tz='UTC') + pd.Timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
                        recorded=True, progress=False)
    ended = frame[frame["conversation_end"].notna()]
    assert len(ended) > 0
    clear_log(sb)
    result = rc.export(ended, tmp_path / "out", dry_run=True, progress=False)
    assert [p for _, p, _ in calls(sb) if p != "/oauth/token"] == []
    assert set(result.manifest["status"]) == {"pending"}
    assert set(result.manifest["times_from"]) == {"conversation"}
    assert result.manifest["recording_id"].isna().all()  # the batch would name them
    assert sorted(result.manifest["conversation_id"]) == sorted(ended["conversation_id"])
