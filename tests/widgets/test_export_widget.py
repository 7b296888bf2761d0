"""The export panel driven as a user would (select rows, set the destination, click), against the
real sandbox through the real SDK: what the panel shows, what lands on disk, and that the bytes
are the sandbox's own (its control plane serves the truth at /_sandbox/media/{cid}/{rid}.wav)."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pandas as pd
import pytest
from ipywidgets import HTML

import recops
from recops.export.folder import LOCK_NAME
from recops.genesys import intervals
from recops.kit.widgets import ExportPanel

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BATCH_PATH = "/api/v2/recording/batchrequests"


@pytest.fixture
def rc(sb, tmp_path):
    return recops.connect(sandbox_url=sb.url, journal=tmp_path / "journal.sqlite")


@pytest.fixture
def frame(rc) -> pd.DataFrame:
    """The ended, recorded conversations of the demo's last day (each has a recording)."""
    table = rc.interval(intervals.last(hours=24), recorded=True, progress=False)
    return table[table["ended"].fillna(False).astype(bool)].reset_index(drop=True)


def truth(sb, conversation_id: str, recording_id: str) -> bytes:
    """The recording's bytes as the sandbox's control plane serves them (GET /_sandbox/media/...)."""
    return sb.control.media(conversation_id, recording_id)


def media_downloads(sb) -> list[str]:
    """Recording ids of the result-URL downloads the sandbox served (its media plane logs them)."""
    return [e["recordingId"] for e in sb.control.requests() if "recordingId" in e and e["method"] == "GET"]


def files_in(dest: Path) -> set[str]:
    return {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}


def run(panel: ExportPanel, button) -> None:
    button.click()
    assert panel.done.wait(120), "the export did not end"


def test_dry_run_lists_the_selection_without_downloading(rc, sb, frame, tmp_path):
    dest = tmp_path / "out"
    panel = ExportPanel(rc, frame, dest=dest)
    assert "SANDBOX" in panel.children[0].value
    panel.select_rows([0, 1, 2])
    assert panel.selected_label.value == f"3 of {len(frame)} rows selected"
    run(panel, panel.dry_run_button)
    result = panel.result
    assert panel.error is None and result is not None and result.dry_run
    wanted = set(frame["conversation_id"].iloc[:3])
    assert set(result.manifest["conversation_id"]) == wanted
    assert set(result.manifest["status"]) == {"pending"}
    assert media_downloads(sb) == []
    assert not [f for f in (files_in(dest) if dest.exists() else set()) if not f.startswith("manifest.")]
    assert "dry run" in panel.status
    assert any("text/html" in o.get("data", {}) for o in panel.result_out.outputs)


def test_export_of_three_selected_rows_writes_the_sandbox_bytes_as_the_manifest_says(rc, sb, frame, tmp_path):
    dest = tmp_path / "out"
    panel = ExportPanel(rc, frame, dest=dest)
    panel.select_rows([4, 1, 2])
    run(panel, panel.export_button)
    result = panel.result
    assert panel.error is None and result is not None and not result.dry_run
    manifest = result.manifest
    wanted = set(frame["conversation_id"].iloc[[1, 2, 4]])
    assert set(manifest["conversation_id"]) == wanted
    exported = manifest[manifest["status"] == "exported"]
    assert len(exported) == len(manifest) >= 3
    assert result.counts.get("exported") == len(exported)
    for row in exported.itertuples():
        data = (Path(result.dest) / row.file).read_bytes()
        assert len(data) == row.bytes
        assert hashlib.sha256(data).hexdigest() == row.sha256
        assert data == truth(sb, row.conversation_id, row.recording_id)
        assert data[:4] == b"RIFF" and row.media_type == "audio/wav"
    assert files_in(dest) == {*exported["file"], Path(result.manifest_csv).name, Path(result.manifest_json).name,
                              LOCK_NAME}
    on_disk = pd.read_csv(result.manifest_csv)
    assert sorted(on_disk["sha256"]) == sorted(exported["sha256"])
    assert panel.progress.value == panel.progress.max and panel.progress.bar_style == "success"
    assert panel.status.startswith("done:")
    shown = "".join(o.get("data", {}).get("text/html", "") for o in panel.result_out.outputs)
    assert str(result.manifest_csv) in shown and exported["sha256"].iloc[0] in shown
    assert not [e for e in sb.control.requests() if e["method"] in ("PUT", "PATCH", "DELETE")]


def test_failures_are_listed_with_their_reason_and_the_rest_continue(rc, sb, frame, tmp_path):
    unknown = "00000000-0000-4000-8000-00000000dead"
    table = pd.concat([frame.iloc[:2], pd.DataFrame({"conversation_id": [unknown, "not-an-id"]})],
                      ignore_index=True)
    panel = ExportPanel(rc, table, dest=tmp_path / "out")
    panel.select_all()
    run(panel, panel.export_button)
    manifest = panel.result.manifest.set_index("conversation_id")
    assert (manifest.loc[list(frame["conversation_id"].iloc[:2]), "status"] == "exported").all()
    assert manifest.loc[unknown, "status"] == "unknown" and manifest.loc["not-an-id", "status"] == "invalid"
    assert manifest.loc[[unknown, "not-an-id"], "error"].notna().all()
    # 2 of 4 exported: the bar is not all red; the outcome bar shows each share, red only the failed
    assert panel.progress.bar_style != "danger" and panel.progress.layout.display == "none"
    assert shares(panel) == {"exported": 50.0, "unknown": 25.0, "invalid": 25.0}
    assert "2 exported, 1 unknown, 1 invalid" in panel.outcome.value
    shown = "".join(o.get("data", {}).get("text/html", "") for o in panel.result_out.outputs)
    assert "not-an-id" in shown and unknown in shown


def shares(panel: ExportPanel) -> dict[str, float]:
    """The outcome bar's segments: status -> width in %."""
    return {m[0]: float(m[1]) for m in re.findall(r'recops-outcome-([a-z-]+)" title="[^"]*" style="width:([0-9.]+)%',
                                                  panel.outcome.value)}


def test_three_of_four_exported_is_a_green_bar_with_one_red_quarter(rc, sb, frame, tmp_path):
    table = pd.concat([frame.iloc[:3], pd.DataFrame({"conversation_id": ["00000000-0000-4000-8000-00000000dead"]})],
                      ignore_index=True)
    panel = ExportPanel(rc, table, dest=tmp_path / "out")
    panel.select_all()
    run(panel, panel.export_button)
    exported = panel.result.counts["exported"]
    assert exported >= 3 and panel.result.counts["unknown"] == 1
    assert panel.progress.bar_style != "danger"
    assert shares(panel) == pytest.approx({"exported": 100 * exported / (exported + 1),
                                           "unknown": 100 / (exported + 1)}, abs=0.01)
    assert f"{exported} exported, 1 unknown" in panel.outcome.value
    assert panel.status.startswith("done: ") and panel.status.count("done") == 1


def test_a_second_dry_run_replaces_the_first_ones_output(rc, sb, frame, tmp_path):
    panel = ExportPanel(rc, frame, dest=tmp_path / "out")
    panel.select_rows([0])
    run(panel, panel.dry_run_button)
    first = len(panel.result_out.outputs)
    assert first >= 1
    panel.select_rows([1, 2])
    run(panel, panel.dry_run_button)
    shown = "".join(o.get("data", {}).get("text/html", "") for o in panel.result_out.outputs)
    assert len(panel.result_out.outputs) == first  # one run's output, not two
    assert "dry run, 2 row(s)" in shown and "dry run, 1 row(s)" not in shown


def test_the_status_line_says_cancelled_once_in_full_and_wraps(rc, sb, frame, tmp_path):
    panel = ExportPanel(rc, frame, dest=tmp_path / "out", concurrency=1)
    panel.select_rows(range(6))
    panel.progress.observe(lambda change: panel.cancel_button.click() if change["new"] >= 1 else None,
                           names="value")
    run(panel, panel.export_button)
    assert panel.result.cancelled
    assert panel.status == panel.result.summary()  # "cancelled, 6 row(s) into DEST: ..."
    assert re.match(r"^cancelled, \d+ row\(s\) into ", panel.status), panel.status
    assert "cancelled: cancelled" not in panel.status
    assert str(tmp_path / "out") in panel.status
    assert html.escape(panel.status) in panel.status_label.value  # all of it, in a widget that wraps
    assert "white-space: normal" in panel.status_label.value and isinstance(panel.status_label, HTML)


def test_cancel_mid_way_leaves_a_consistent_folder_and_a_second_run_completes_it(rc, sb, frame, tmp_path):
    dest = tmp_path / "out"
    panel = ExportPanel(rc, frame, dest=dest, concurrency=1)
    panel.select_rows(range(6))
    # the user clicks Cancel as soon as the bar shows the first recording done
    panel.progress.observe(lambda change: panel.cancel_button.click() if change["new"] >= 1 else None,
                           names="value")
    run(panel, panel.export_button)
    first = panel.result
    assert first is not None and panel.status.startswith("cancelled")
    assert panel.progress.bar_style == "warning"
    exported = first.manifest[first.manifest["status"] == "exported"]
    assert 1 <= len(exported) < len(first.manifest)
    for row in exported.itertuples():  # every file on disk is complete and listed
        assert hashlib.sha256((dest / row.file).read_bytes()).hexdigest() == row.sha256
    assert files_in(dest) == {*exported["file"], "manifest.csv", "manifest.json", LOCK_NAME}
    assert "run the same export again" in "\n".join(panel.log_panel.lines)

    fetched = media_downloads(sb)
    again = ExportPanel(rc, frame, dest=dest, concurrency=1)
    again.select_rows(range(6))
    run(again, again.export_button)
    second = again.result
    assert second is not None and set(second.manifest["status"]) == {"exported"}
    assert set(second.manifest["conversation_id"]) == set(frame["conversation_id"].iloc[:6])
    refetched = media_downloads(sb)[len(fetched):]
    assert not set(refetched) & set(exported["recording_id"]), "a complete file was fetched again"
    for row in second.manifest.itertuples():
        assert (dest / row.file).read_bytes() == truth(sb, row.conversation_id, row.recording_id)


def test_a_bad_destination_is_a_clear_error_in_the_panel_before_any_request(rc, sb, frame, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    panel = ExportPanel(rc, frame, dest=blocker / "recordings")
    panel.select_rows([0])
    before = len(sb.control.requests())
    run(panel, panel.export_button)
    assert panel.result is None and panel.error is not None
    text = "\n".join(panel.log_panel.lines)
    assert "ERROR" in text and str(blocker) in text and "do:" in text
    assert panel.status.startswith("export failed:") and panel.progress.bar_style == "danger"
    assert not [e for e in sb.control.requests()[before:] if e["path"].startswith(BATCH_PATH)]
    assert not panel.export_button.disabled and panel.cancel_button.disabled

    panel.dest.value = "  "
    panel.export_button.click()
    assert "choose a destination folder" in panel.log_panel.lines[-1]


def test_nothing_selected_says_so(rc, frame, tmp_path):
    panel = ExportPanel(rc, frame, dest=tmp_path / "out")
    panel.export_button.click()
    assert panel.done.is_set() and panel.result is None
    assert "nothing selected" in panel.log_panel.lines[-1]
    with pytest.raises(ValueError, match="conversation_id"):
        panel.load(pd.DataFrame({"id": ["x"]}))


def test_the_default_destination_is_the_users_exports_folder(rc, monkeypatch, tmp_path, output_dir):
    assert ExportPanel(rc).dest.value == str(output_dir / "exports")  # RECOPS_OUTPUT_DIR first
    monkeypatch.delenv("RECOPS_OUTPUT_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    panel = ExportPanel(rc)
    assert panel.dest.value == str(tmp_path / "data" / "recops" / "exports")
    assert "notebooks" not in Path(panel.dest.value).parts


def test_a_closed_panel_stops_listening_to_the_session(rc, sb, demo):
    before = len(rc._wait_listeners)
    panel = ExportPanel(rc)
    assert len(rc._wait_listeners) == before + 1
    panel.close()
    assert len(rc._wait_listeners) == before
    lines = list(panel.log_panel.lines)
    sb.control.fault(method="GET", path=f"/api/v2/conversations/{demo.ACTIVE}", status=429, retryAfter=1)
    rc.status(demo.ACTIVE)  # waits out the 429: the closed panel does not hear of it
    assert panel.log_panel.lines == lines
