"""The training walkthrough, run top to bottom in a real kernel (papermill) by one seat of a
three-seat room through its seat card: every self-check passes, its first cell's reset and all
its changes land in its own org, and the other seats keep exactly their own state."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from recops.sandbox.room import Room
from recops.sandbox.server import SandboxServer

from ..conftest import Demo

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "05_trainer_walkthrough.ipynb"


def adhoc(summary: dict, participant_id: str) -> bool:
    return next(p for p in summary["participants"] if p["id"] == participant_id)["adhoc"]


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="the walkthrough notebook is not in this checkout")
def test_the_walkthrough_on_one_seat_leaves_the_other_seats_alone(tmp_path, monkeypatch):
    import papermill

    with SandboxServer(scenario=None, room=Room(3)) as rs:
        room, admin = rs.app.room, rs.control
        room.write_cards(tmp_path / "cards", rs.url)
        admin.hold(Demo.HELD, Demo.HELD_CUSTOMER, held=False, org="seat-01")  # seat 1 is mid-exercise
        before = {org: admin.conversation(Demo.HELD, org=org)["recordingState"] for org in ("seat-01", "seat-03")}
        assert before == {"seat-01": "ACTIVE", "seat-03": "PAUSED"}
        admin.call("DELETE", "requests")
        monkeypatch.setenv("RECOPS_SEAT_CARD", str(tmp_path / "cards" / "seat-02.json"))
        monkeypatch.setenv("RECOPS_JOURNAL", str(tmp_path / "journal.sqlite"))
        monkeypatch.setenv("MPLBACKEND", "Agg")
        (tmp_path / "run").mkdir()
        out = tmp_path / "walkthrough.ipynb"
        papermill.execute_notebook(str(NOTEBOOK), str(out), cwd=str(tmp_path / "run"), kernel_name="python3",
                                   progress_bar=False, execution_timeout=300)
        executed = nbformat.read(out, as_version=4)
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert errors == []
        text = json.dumps([c.get("outputs", []) for c in executed.cells])
        assert text.count("PASSED") >= 6 and "NOT YET" not in text
        card = json.loads((tmp_path / "cards" / "seat-02.json").read_text())
        assert card["clientSecret"] not in text

        # seat 2 did the exercises: resumed ex2, stopped Ben's ad-hoc recording
        assert admin.conversation(Demo.ACTIVE, org="seat-02")["recordingState"] == "ACTIVE"
        assert adhoc(admin.conversation(Demo.ADHOC, org="seat-02"), Demo.ADHOC_AGENT) is False
        # the others: untouched, seat 1's own change survived seat 2's reset
        for org in ("seat-01", "seat-03"):
            assert adhoc(admin.conversation(Demo.ADHOC, org=org), Demo.ADHOC_AGENT) is True
            assert admin.conversation(Demo.HELD, org=org)["recordingState"] == before[org]
        writes = [e for e in admin.requests() if e["method"] in ("PUT", "PATCH")]
        assert writes and {e.get("org") for e in writes} == {"seat-02"}
        assert {e.get("org") for e in admin.requests() if "org" in e} == {"seat-02"}
