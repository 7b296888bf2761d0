"""The export panel driven as a user would (select rows, set the destination, click), against the
real sandbox through the real SDK: what the panel shows, what lands on disk, and that the bytes
are the sandbox's own (its control plane serves the truth at /_sandbox/media/{cid}/{rid}.wav)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pandas as pd
import pytest

import recops
from recops import intervals
from recops.widgets import ExportPanel
from recops.widgets.export import default_export_dir

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
    with urllib.request.urlopen(f"{sb.url}/_sandbox/media/{conversation_id}/{recording_id}.wav") as answer:
        return answer.read()


def media_downloads(sb) -> list[str]:
    """Paths of the result-URL downloads the sandbox served (its media plane)."""
    return [e["path"] for e in sb.control.requests() if e.get("plane") == "media" and e["method"] == "GET"]


def files_in(dest: Path) -> set[str]:
    return {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}


def run(panel: ExportPanel, button) -> None:
    button.click()
    assert panel.done.wait(120), "the export did not end"


def test_nothing_selected_says_so(rc, frame, tmp_path):
    panel = ExportPanel(rc, frame, dest=tmp_path / "out")
    panel.export_button.click()
    assert panel.done.is_set() and panel.result is None
    assert "nothing selected" in panel.log_panel.lines[-1]
    with pytest.raises(ValueError, match="conversation_id"):
        panel.load(pd.DataFrame({"id": ["x"]}))


def test_the_default_destination_is_a_per_user_folder(rc, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_export_dir() == tmp_path / "data" / "recops" / "exports"
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
