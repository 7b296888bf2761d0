"""Widgets driven as a user would (set values, click buttons), asserting what the widget shows
and what the sandbox's state is afterwards."""

from __future__ import annotations

import csv

import pytest

import recops
from recops.kit.widgets import BulkActions, ControlPanel, ConversationPicker, StateTable, WorkflowRunner

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def rc(sb, tmp_path):
    return recops.connect(sandbox_url=sb.url, journal=tmp_path / "journal.sqlite")


def sandbox_state(sb, cid: str) -> dict:
    return sb.control.conversation(cid)


def test_control_panel_pause_and_resume_change_the_sandbox(rc, sb, demo):
    panel = ControlPanel(rc, demo.ACTIVE)
    assert "ACTIVE" in panel.state_label.value
    assert not panel.pause_button.disabled
    assert panel.resume_button.disabled  # nothing to resume
    assert "SANDBOX" in panel.children[0].value

    panel.pause_button.click()
    assert "PAUSED" in panel.state_label.value
    assert sandbox_state(sb, demo.ACTIVE)["recordingState"] == "PAUSED"
    assert sandbox_state(sb, demo.ACTIVE)["securePause"] is True
    assert panel.pause_button.disabled and not panel.resume_button.disabled
    assert "ACTIVE -> PAUSED" in panel.log_panel.lines[-1]

    panel.resume_button.click()
    assert "ACTIVE" in panel.state_label.value
    assert sandbox_state(sb, demo.ACTIVE)["securePause"] is False
    assert rc.journal.entries()[-1].status == "applied"


def test_control_panel_enables_only_sensible_transitions(rc, demo):
    unrecorded = ControlPanel(rc, demo.UNRECORDED)
    assert unrecorded.pause_button.disabled and unrecorded.resume_button.disabled
    ended = ControlPanel(rc, demo.ENDED)
    assert ended.pause_button.disabled and ended.resume_button.disabled
    assert all(b.disabled for b in [*ended.start_buttons.values(), *ended.stop_buttons.values()])
    held = ControlPanel(rc, demo.HELD)  # PAUSED by hold suppression, not by a secure pause
    assert "PAUSED" in held.state_label.value
    assert held.resume_button.disabled and not held.pause_button.disabled
    paused = ControlPanel(rc, demo.PAUSED)
    assert paused.pause_button.disabled and not paused.resume_button.disabled


def test_control_panel_start_and_stop_a_participants_adhoc_recording(rc, sb, demo):
    panel = ControlPanel(rc, demo.ACTIVE)
    start = panel.start_buttons[demo.ACTIVE_CUSTOMER]
    stop = panel.stop_buttons[demo.ACTIVE_CUSTOMER]
    assert not start.disabled and stop.disabled
    start.click()
    customer = next(p for p in sandbox_state(sb, demo.ACTIVE)["participants"] if p["id"] == demo.ACTIVE_CUSTOMER)
    assert customer["adhoc"] is True
    assert start.disabled and not stop.disabled
    stop.click()
    customer = next(p for p in sandbox_state(sb, demo.ACTIVE)["participants"] if p["id"] == demo.ACTIVE_CUSTOMER)
    assert customer["adhoc"] is False
    assert "ON -> OFF" in panel.log_panel.lines[-1]


def test_control_panel_shows_errors_with_remedy_and_context_id(sb, demo, tmp_path):
    readonly = recops.connect(sandbox_url=sb.url, client_id=demo.READONLY[0], client_secret=demo.READONLY[1],
                              journal=tmp_path / "j.sqlite")
    panel = ControlPanel(readonly, demo.ACTIVE)
    panel.pause_button.click()
    text = "\n".join(panel.log_panel.lines)
    assert "403 missing.any.permissions" in text
    assert "contextId" in text and "do:" in text
    assert sandbox_state(sb, demo.ACTIVE)["recordingState"] == "ACTIVE"
    assert demo.READONLY[1] not in text


def test_state_table_refresh_selection_and_csv_export(rc, demo, tmp_path):
    ids = [demo.ACTIVE, demo.PAUSED, "00000000-0000-4000-8000-00000000dead"]
    table = StateTable(rc, ids, csv_path=str(tmp_path / "states.csv"))
    assert table.frame is not None
    assert list(table.frame["recording_state"].astype(object).fillna("-")) == ["ACTIVE", "PAUSED", "-"]
    assert table.frame["error"].tolist()[2] == "not.found"
    assert "1 errors" in table.count_label.value
    table.table.selected_rows = [1]  # what a click on the second row sends
    assert table.selected_ids == [demo.PAUSED]
    table.export_button.click()
    with open(tmp_path / "states.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["conversation_id"] for r in rows] == ids


def test_state_table_csv_goes_to_the_users_tables_folder_by_default(rc, demo, output_dir, tmp_path, monkeypatch):
    cwd = tmp_path / "notebooks"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # as the lab runs a notebook: in its folder
    table = StateTable(rc, [demo.ACTIVE])
    assert table.csv_path.value == str(output_dir / "tables" / "recording_states.csv")
    assert table.export() == output_dir / "tables" / "recording_states.csv"
    assert (output_dir / "tables" / "recording_states.csv").is_file() and list(cwd.iterdir()) == []
    assert str(output_dir / "tables" / "recording_states.csv") in table.log_panel.lines[-1]


def test_picker_from_pasted_text_and_from_a_query(rc, sb, demo):
    picker = ConversationPicker(rc, days=1)
    picker.paste.value = f"see {demo.ACTIVE}, and\n{demo.PAUSED} (twice: {demo.ACTIVE})"
    picker.use_button.click()
    assert picker.ids == [demo.ACTIVE, demo.PAUSED]
    assert "2 picked" in picker.picked_label.value

    picker.paste.value = "no ids here"
    picker.use_button.click()
    assert "no conversation id" in picker.log_panel.lines[-1]
    assert picker.ids == [demo.ACTIVE, demo.PAUSED]  # unchanged

    picker.recorded.value = "recorded"
    frame = picker.run_query()
    assert len(frame) > 0 and frame["recorded"].all()
    picker.select_rows([0, 2])
    assert picker.ids == [str(frame.iloc[0]["conversation_id"]), str(frame.iloc[2]["conversation_id"])]


def test_the_picker_filters_start_on_a_shown_value_and_any_queries_both(rc, sb):
    picker = ConversationPicker(rc, days=7)
    # what the dropdowns show (a Dropdown whose value is None shows blank)
    assert (picker.media.label, picker.recorded.label) == ("voice", "any")
    frame = picker.run_query()
    assert set(frame["recorded"].astype(bool)) == {True, False}  # "any": recorded and not
    picker.recorded.value = "not recorded"
    assert not picker.run_query()["recorded"].astype(bool).any()


def test_bulk_pause_shows_progress_and_summary(rc, sb, demo):
    ids = [demo.ACTIVE, demo.PAUSED, demo.UNRECORDED, demo.ENDED]
    bulk = BulkActions(rc, ids)
    bulk.action.value = "pause"
    bulk.run_button.click()
    assert bulk.done.wait(30)
    assert bulk.progress.value == len(ids)
    summary = bulk.summary.set_index("conversation_id")
    assert summary.loc[demo.ACTIVE, "after"] == "PAUSED" and not summary.loc[demo.ACTIVE, "skipped"]
    assert summary.loc[demo.PAUSED, "skipped"]
    assert summary.loc[demo.UNRECORDED, "skipped"]
    assert summary.loc[demo.ENDED, "error"] == "InvalidTransition"
    assert sandbox_state(sb, demo.ACTIVE)["recordingState"] == "PAUSED"


def test_bulk_shows_rate_limit_waits(rc, sb, demo):
    sb.control.settings(rateLimitPerMinute=6)
    sb.control.fault(method="PUT", path="/api/v2/conversations/*/recordingstate", status=429, retryAfter=1)
    bulk = BulkActions(rc, [demo.ACTIVE])
    bulk.run([demo.ACTIVE], "pause")
    waits = [line for line in bulk.log_panel.lines if "waiting" in line]
    assert any("retry after a 429" in line for line in waits)
    assert sandbox_state(sb, demo.ACTIVE)["recordingState"] == "PAUSED"


def test_workflow_runs_pause_resume_stop_and_plots(rc, sb, demo):
    runner = WorkflowRunner(rc, demo.ADHOC, participant_id=demo.ADHOC_AGENT, wait_after_pause=0.2,
                            wait_after_resume=0.2)
    runner.run_button.click()
    assert runner.done.wait(30)
    result = runner.result
    assert result is not None and result.finished
    assert [s.recording_state for s in result.timeline] == ["ACTIVE", "PAUSED", "ACTIVE", "NONE"]
    assert runner.progress.value == 5
    agent = next(p for p in sandbox_state(sb, demo.ADHOC)["participants"] if p["id"] == demo.ADHOC_AGENT)
    assert agent["adhoc"] is False
    actions = [(e.action, e.status) for e in rc.journal.entries()]
    assert actions == [("pause", "applied"), ("resume", "applied"), ("stop", "applied")]
    assert any("image/png" in o.get("data", {}) for o in runner.plot.outputs)


def test_workflow_cancel_stops_between_steps(rc, sb, demo):
    runner = WorkflowRunner(rc, demo.ACTIVE, wait_after_pause=30, wait_after_resume=30)
    runner.run_button.click()
    import time

    deadline = time.monotonic() + 10
    while "wait" not in runner.step_label.value and time.monotonic() < deadline:
        time.sleep(0.02)
    runner.cancel_button.click()
    assert runner.done.wait(10)
    assert runner.result is not None and runner.result.cancelled
    assert sandbox_state(sb, demo.ACTIVE)["recordingState"] == "PAUSED"  # paused, never resumed
    assert [e.action for e in rc.journal.entries()] == ["pause"]
    assert "cancelled" in runner.step_label.value


def test_bulk_reports_bad_ids_and_does_the_rest(rc, sb, demo):
    bogus = "00000000-0000-4000-8000-00000000dead"
    bulk = BulkActions(rc, [bogus, demo.ACTIVE])
    bulk.run([bogus, "not-an-id", demo.ACTIVE], "pause")
    assert bulk.outcomes is not None and bulk.outcomes.counts["failed"] == 2
    assert list(bulk.summary["error"].astype(object).fillna("-")) == ["not.found", "ConfigError", "-"]
    assert sandbox_state(sb, demo.ACTIVE)["recordingState"] == "PAUSED"
    text = "\n".join(bulk.log_panel.lines)
    assert "ERROR pause on 00000000-0000-4000-8000-00000000dead: failed, not.found" in text
    assert "1 changed, 0 skipped, 2 failed" in bulk.log_panel.lines[-1]
    assert any("text/html" in o.get("data", {}) for o in bulk.summary_out.outputs)


def test_closed_widgets_stop_listening_to_the_session(rc, sb, demo):
    before = len(rc._wait_listeners)
    widgets = [ControlPanel(rc, demo.ACTIVE), StateTable(rc), BulkActions(rc, []),
               WorkflowRunner(rc, demo.ACTIVE)]
    assert len(rc._wait_listeners) == before + len(widgets)
    for widget in widgets:
        widget.close()
    assert len(rc._wait_listeners) == before
    panel = widgets[0]
    lines = list(panel.log_panel.lines)
    sb.control.fault(method="GET", path=f"/api/v2/conversations/{demo.ACTIVE}", status=429, retryAfter=1)
    rc.status(demo.ACTIVE)  # waits out the 429: nobody closed hears of it
    assert panel.log_panel.lines == lines
