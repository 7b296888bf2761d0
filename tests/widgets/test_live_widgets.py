"""The widgets' push path in process (issue 20): the secure pause clock as pure logic (times
passed in), the workflow runner's waits confirmed by the stream (and the fallback that says so),
and a state table that re-subscribes when ``load()`` gives it new conversations. The real-kernel
tests are in test_live_kernel.py."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

import recops
from recops.kit.widgets import StateTable, WorkflowRunner
from recops.kit.widgets.pause_alerts import PauseClock, duration

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
A, B = "c0a80001-0000-4000-8000-00000000000a", "c0a80001-0000-4000-8000-00000000000b"


@pytest.fixture
def rc(sb, tmp_path):
    return recops.connect(sandbox_url=sb.url, journal=tmp_path / "journal.sqlite")


@pytest.fixture
def other(sb, tmp_path):
    return recops.connect(sandbox_url=sb.url, journal=tmp_path / "other.sqlite")


def until(fn, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (value := fn()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert value, f"not true after {timeout} s"
    return value


def test_the_pause_clock_alerts_past_the_limit_and_clears_on_resume():
    clock = PauseClock(limit=120)
    clock.observe(A, True, T0)  # a transition: the pause opened at T0
    clock.observe(B, True, T0 + timedelta(seconds=30), since_known=False)  # found open by a read
    assert clock.over(T0 + timedelta(seconds=120)) == []  # not *longer* than the limit yet
    clock.observe(A, True, T0 + timedelta(seconds=100))  # a repeated observation does not restart it
    alerts = clock.over(T0 + timedelta(seconds=151))
    assert [(a.conversation_id, a.seconds, a.at_least) for a in alerts] == [(A, 151.0, False), (B, 121.0, True)]
    assert alerts[0].text() == (f"secure pause open 2 min 31 s on {A} (over the 2 min 00 s limit): "
                                "resume it, or check why it stays paused")
    assert alerts[1].text().startswith(f"secure pause open at least 2 min 01 s on {B}")
    clock.observe(A, False, T0 + timedelta(seconds=160))  # resumed
    assert [a.conversation_id for a in clock.over(T0 + timedelta(seconds=170))] == [B]
    clock.forget(B)
    assert clock.over(T0 + timedelta(hours=2)) == []
    assert (duration(59.9), duration(3725)) == ("59 s", "1 h 02 min")
    with pytest.raises(ValueError, match="must be > 0"):
        PauseClock(0)


def test_the_workflow_waits_confirm_pause_and_resume_by_the_stream(rc, sb, demo):
    runner = WorkflowRunner(rc, demo.ACTIVE, wait_after_pause=0.2, wait_after_resume=0.2)
    runner.run_button.click()
    assert runner.done.wait(30)
    result = runner.result
    assert result is not None and result.finished
    assert [(s.step, s.recording_state, s.source) for s in result.timeline] == [
        ("start", "ACTIVE", "rest"), ("pause", "PAUSED", "stream"), ("resume", "ACTIVE", "stream")]
    pause, _, resume, _ = result.steps
    assert pause.seen is not None and pause.seen.secure_pause and resume.seen is not None
    assert pause.seen.at <= resume.seen.at and pause.seen.topic.startswith("v2.")
    seen = [line for line in runner.log_panel.lines if "seen on the live stream at" in line]
    assert len(seen) == 2 and "PAUSED, secure pause" in seen[0] and "ACTIVE" in seen[1]
    assert "confirm each change on the stream" in runner.live_status.value
    assert runner.feed is None  # its watch closed with the run


def test_the_workflow_falls_back_to_rest_when_it_cannot_subscribe_and_says_so(rc, sb, demo):
    sb.control.fault(method="POST", path="/api/v2/notifications/channels", status=403, count=5)
    runner = WorkflowRunner(rc, demo.ACTIVE, wait_after_pause=0.1, wait_after_resume=0.1)
    runner.run_button.click()
    assert runner.done.wait(30)
    result = runner.result
    assert result is not None and result.finished
    assert [(s.recording_state, s.source) for s in result.timeline] == [
        ("ACTIVE", "rest"), ("PAUSED", "rest"), ("ACTIVE", "rest")]
    assert any("live stream not available" in line and "cannot subscribe" in line
               for line in runner.log_panel.lines)
    assert "the waits re-read by REST" in runner.live_status.value


def test_load_resubscribes_the_table_to_its_new_conversations(rc, other, demo):
    table = StateTable(rc, poll_seconds=3600)
    try:
        assert table.feed.mode == "idle" and "nothing to watch" in table.live_status.value
        table.load([demo.UNRECORDED, demo.ACTIVE])
        assert table.live and "live (push)" in table.live_status.value
        table.table.selected_rows = [1]
        other.pause(demo.ACTIVE)
        until(lambda: table.frame is not None and list(table.frame["recording_state"]) == ["NONE", "PAUSED"])
        assert table.selected_ids == [demo.ACTIVE]  # the row changed in place: the selection stayed
        until(lambda: any(line.endswith("PAUSED)") and "pushed:" in line for line in table.log_panel.lines))
    finally:
        table.close()
    assert table.feed.closed and table.feed.watch is None
