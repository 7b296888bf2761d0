"""The widgets' push path in a REAL KERNEL (issue 20): a control panel and a state table built in
an ipykernel (HOME, RECOPS_* and the journal isolated) against the test's sandbox over loopback;
the changes are made from OUTSIDE the kernel (another recops session in the test process, and the
sandbox's control plane), and the kernel is asked, with a deadline, what its widgets show. Nothing
in the kernel calls ``refresh()``; the push widgets' polling is set to an hour, so only the stream
can move them. The fallback (a token refused a channel) polls,
says why, and still follows; the secure pause alert appears after a 1 s limit and clears on
resume; closing the widgets ends their watch threads and sockets."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import recops

from ..conftest import Demo

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Kernel:
    """A python3 kernel (jupyter_client), run code in it and read values back as JSON."""

    def __init__(self, env: dict[str, str]) -> None:
        from jupyter_client.manager import start_new_kernel

        self.km, self.kc = start_new_kernel(kernel_name="python3", startup_timeout=90, env=env)

    def run(self, code: str, timeout: float = 90) -> str:
        out: list[str] = []
        errors: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                errors.append("\n".join(content["traceback"]))

        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=hook, allow_stdin=False)
        if errors or reply["content"]["status"] != "ok":
            raise AssertionError(f"kernel error running:\n{code}\n" + "\n".join(errors))
        return "".join(out)

    def value(self, expr: str) -> Any:
        text = self.run(f"import json as _j; print(_j.dumps({expr}, default=lambda o: o.item()))")  # numpy scalars
        return json.loads(text.strip().splitlines()[-1])

    def until(self, expr: str, ok: Callable[[Any], bool], timeout: float = 15.0) -> Any:
        """``expr``'s value in the kernel once ``ok`` holds (asked every 0.1 s until ``timeout``)."""
        deadline = time.monotonic() + timeout
        value = self.value(expr)
        while not ok(value) and time.monotonic() < deadline:
            time.sleep(0.1)
            value = self.value(expr)
        assert ok(value), f"in the kernel, {expr} = {value!r} after {timeout} s"
        return value

    def stop(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(sb, tmp_path: Path, output_dir: Path) -> Iterator[Kernel]:
    home = tmp_path / "kernel-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RECOPS_", "GENESYS", "JUPYTER", "XDG_")) or k == "RECOPS_TEST_OUTPUT"}
    env.update(HOME=str(home), RECOPS_OUTPUT_DIR=str(output_dir), RECOPS_CACHE_DIR=str(tmp_path / "cache"),
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_DATA_DIR=str(home / ".jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), MPLBACKEND="Agg")
    k = Kernel(env)
    try:
        k.run(f"""
import warnings; warnings.simplefilter("ignore")
import threading, recops
from recops.kit.widgets import ControlPanel, StateTable
rc = recops.connect(sandbox_url={sb.url!r}, journal={str(tmp_path / 'kernel-journal.sqlite')!r})
print(recops.__file__)
""")
        yield k
    finally:
        k.stop()


@pytest.fixture
def other(sb, tmp_path: Path) -> recops.Session:
    """A second supervisor session, in the test process: the changes the kernel did not make."""
    return recops.connect(sandbox_url=sb.url, journal=tmp_path / "other.sqlite")


def test_panel_and_table_follow_changes_made_outside_the_kernel_by_push(kernel, other, sb):
    assert kernel.value("recops.__file__").startswith(str(Path(recops.__file__).parents[1]))
    kernel.run(f"""
panel = ControlPanel(rc, {Demo.ACTIVE!r}, poll_seconds=3600)
table = StateTable(rc, [{Demo.ACTIVE!r}, {Demo.UNRECORDED!r}], poll_seconds=3600)
""")
    assert kernel.value("[panel.live, table.live]") == [True, True]
    assert "live (push)" in kernel.value("panel.live_status.value")
    assert "live (push)" in kernel.value("table.live_status.value")
    assert kernel.value("panel.recording_state") == "ACTIVE"

    other.pause(Demo.ACTIVE)  # another session
    kernel.until("panel.recording_state", lambda v: v == "PAUSED")
    assert "PAUSED" in kernel.value("panel.state_label.value")
    assert kernel.value("[panel.pause_button.disabled, panel.resume_button.disabled]") == [True, False]
    kernel.until("table.frame.set_index('conversation_id').loc["
                 f"{Demo.ACTIVE!r}, ['recording_state', 'secure_pause']].tolist()",
                 lambda v: v == ["PAUSED", True])
    assert kernel.value("table.frame['recording_state'].tolist()") == ["PAUSED", "NONE"]  # in place, in order
    assert any("pushed:" in line for line in kernel.value("panel.log_panel.lines"))

    sb.control.disconnect(Demo.ACTIVE)  # the control plane
    kernel.until("panel.status.ended", lambda v: v is True)
    kernel.until(f"bool(table.frame.set_index('conversation_id').loc[{Demo.ACTIVE!r}, 'ended'])",
                 lambda v: v is True)
    assert kernel.value("[panel.pause_button.disabled, panel.resume_button.disabled]") == [True, True]
    assert kernel.value("[panel.feed.mode, table.feed.mode]") == ["push", "push"]  # never fell back to polling


def test_control_plane_hold_reaches_the_panel(kernel, sb):
    kernel.run(f"panel = ControlPanel(rc, {Demo.ACTIVE!r}, poll_seconds=3600)")
    sb.control.hold(Demo.ACTIVE, Demo.ACTIVE_AGENT)
    kernel.until("[l for l in panel.log_panel.lines if 'held' in l][:1]", lambda v: len(v) == 1)
    kernel.until("next(p.held for p in panel.status.participants if p.id == "
                 f"{Demo.ACTIVE_AGENT!r})", lambda v: v is True)


def test_without_a_subscription_the_widgets_poll_say_why_and_still_follow(kernel, other, sb):
    # the token may not create a channel (403, injected: in the sandbox's permission table reading a
    # conversation and subscribing to its topics need the same permission, so a token that reads
    # but may not subscribe exists only by injection); the widgets fall back to polling
    sb.control.fault(method="POST", path="/api/v2/notifications/channels", status=403,
                     code="missing.any.permissions", count=10)
    kernel.run(f"""
panel = ControlPanel(rc, {Demo.ACTIVE!r}, poll_seconds=0.5)
table = StateTable(rc, [{Demo.ACTIVE!r}, {Demo.UNRECORDED!r}], poll_seconds=0.5)
""")
    assert kernel.value("[panel.live, table.live]") == [False, False]
    for widget in ("panel", "table"):
        status = kernel.value(f"{widget}.live_status.value")
        assert "polling every 0.5 s" in status and "the token cannot subscribe" in status, status
        assert "permission" in status and 'data-mode="polling"' in status, status
    assert kernel.value("panel.recording_state") == "ACTIVE"
    other.pause(Demo.ACTIVE)
    kernel.until("panel.recording_state", lambda v: v == "PAUSED")
    kernel.until("table.frame['recording_state'].tolist()", lambda v: v == ["PAUSED", "NONE"])
    assert kernel.value("[panel.pushed, table.pushed]") == [0, 0]  # polled, not pushed


def test_secure_pause_alert_after_the_limit_and_cleared_on_resume(kernel, other):
    kernel.run(f"""
panel = ControlPanel(rc, {Demo.ACTIVE!r}, poll_seconds=3600, pause_limit=1)
table = StateTable(rc, [{Demo.ACTIVE!r}, {Demo.PAUSED!r}], poll_seconds=3600, pause_limit=1)
""")
    assert kernel.value("panel.alert.value") == ""
    # already paused when read: alerted as "at least", with its conversation
    table_alert = kernel.until("table.alert.value", lambda v: Demo.PAUSED in v)
    assert "at least" in table_alert and Demo.ACTIVE not in table_alert

    other.pause(Demo.ACTIVE)
    kernel.until("panel.recording_state", lambda v: v == "PAUSED")
    alert = kernel.until("panel.alert.value", lambda v: "secure pause open" in v, timeout=10)
    assert Demo.ACTIVE in alert and "over the 1 s limit" in alert and "at least" not in alert
    kernel.until("table.alert.value", lambda v: Demo.ACTIVE in v and Demo.PAUSED in v)

    other.resume(Demo.ACTIVE)
    kernel.until("panel.alert.value", lambda v: v == "")
    kernel.until("table.alert.value", lambda v: Demo.ACTIVE not in v and Demo.PAUSED in v)


def test_closing_the_widgets_ends_their_threads_and_sockets(kernel):
    before = kernel.value("sorted(t.name for t in threading.enumerate())")
    kernel.run(f"""
panel = ControlPanel(rc, {Demo.ACTIVE!r}, poll_seconds=3600)
table = StateTable(rc, [{Demo.ACTIVE!r}, {Demo.PAUSED!r}], poll_seconds=3600)
""")
    during = kernel.value("sorted(t.name for t in threading.enumerate())")
    assert any(n.startswith("recops-watch-") for n in during) and "recops-state-table" in during
    assert any("recv_events" in n for n in during)  # the websockets client's reader
    assert kernel.value("[len(panel.feed.watch._sockets), len(table.feed.watch._sockets)]") == [1, 1]
    kernel.run("feeds = [panel.feed, table.feed]; panel.close(); table.close()")
    ours = ("recops-", "recv_events", "keepalive")  # the feeds', the watches' and websockets' threads
    assert not [n for n in before if any(o in n for o in ours)]
    kernel.until("sorted(t.name for t in threading.enumerate())",
                 lambda v: not [n for n in v if any(o in n for o in ours)],
                 timeout=10)
    assert kernel.value("[f.closed and f.watch is None for f in feeds]") == [True, True]
