"""The pause → wait → resume → wait → stop runner: editable waits, progress, cancel, and a
timeline plot of the states at the end. Every change is journaled by the session.

While it runs, a ``LiveFeed`` watches the conversation: the state after the pause and after the
resume is confirmed by its transition on the stream (logged with the time it was seen), not by a
REST re-read; when the session cannot subscribe it re-reads as before, and the status line says so."""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from recops.ops.participants import adhoc_rights
from recops.ops.workflow import CONFIRM_TIMEOUT, DEFAULT_WAIT, StepResult, Workflow, WorkflowResult, plot_timeline

from .common import ClosesListeners, LogPanel, banner, confirm_box, guarded, live_status_html
from .live_feed import PUSH, LiveFeed, StreamConfirm

if TYPE_CHECKING:
    from recops.live.watch import WatchSettings
    from recops.session import Session


class WorkflowRunner(ClosesListeners, w.VBox):
    """``live=False``: confirm the states by REST re-reads only (no watch)."""

    def __init__(self, session: Session, conversation_id: str, participant_id: str | None = None,
                 wait_after_pause: float = DEFAULT_WAIT, wait_after_resume: float = DEFAULT_WAIT,
                 participant_session: Session | None = None, *, live: bool = True,
                 confirm_timeout: float = CONFIRM_TIMEOUT, watch_settings: WatchSettings | None = None) -> None:
        self.session = session
        self.live = live
        self.confirm_timeout = confirm_timeout
        self.watch_settings = watch_settings
        self.feed: LiveFeed | None = None
        self.live_status = w.HTML(live_status_html("the waits confirm each change on the live stream when it runs"
                                                   if live else "the waits re-read each change by REST (live off)",
                                                   live))
        self.conversation_id = conversation_id
        self.participant_id = participant_id
        self.participant_session = participant_session
        self.log_panel = LogPanel(f"workflow — {conversation_id}")
        self.wait1 = w.BoundedFloatText(value=wait_after_pause, min=0, max=3600, description="wait after pause (s)",
                                        style={"description_width": "initial"})
        self.wait2 = w.BoundedFloatText(value=wait_after_resume, min=0, max=3600,
                                        description="wait after resume (s)", style={"description_width": "initial"})
        self.confirm = confirm_box(session)
        self.run_button = w.Button(description="Run workflow", icon="play", button_style="primary")
        self.cancel_button = w.Button(description="Cancel", icon="stop", disabled=True)
        self.progress = w.IntProgress(value=0, min=0, max=5, description="step")
        self.step_label = w.Label("not started")
        self.plot = w.Output()
        self.workflow: Workflow | None = None
        self.result: WorkflowResult | None = None
        self.figure: Any = None
        self.done = threading.Event()
        self.done.set()
        self.run_button.on_click(guarded(self.log_panel, lambda _: self.start()))
        self.cancel_button.on_click(guarded(self.log_panel, lambda _: self.cancel()))
        self.listen_waits(session, self.log_panel.wait)
        target = f" then stop participant {participant_id}'s ad-hoc recording" if participant_id else ""
        super().__init__([
            banner(session),
            w.HTML(f"pause → wait → resume → wait{target} on <code>{conversation_id}</code>"),
            w.HBox([self.wait1, self.wait2]), self.confirm,
            w.HBox([self.run_button, self.cancel_button, self.progress, self.step_label]),
            self.live_status, self.plot, self.log_panel,
        ])
        self.add_class("recops-workflow")
        self.on_close(self._close_run)

    def _close_run(self) -> None:
        """Closing the widget cancels a run and closes its watch."""
        if self.workflow is not None:
            self.workflow.cancel()
        feed = self.feed
        if feed is not None:
            feed.close()
        self.done.wait(10)

    def _participant_session(self) -> Session | None:
        """The session that stops the participant's recording (``recops.ops.participants``
        decides); None: the session itself, whose answer then says what is missing."""
        if self.participant_session is not None or not self.participant_id:
            return self.participant_session
        return adhoc_rights(self.session, self.session.status(self.conversation_id)).actor

    def start(self) -> threading.Thread | None:
        if not self.done.is_set():
            self.log_panel.write("already running")
            return None
        self.workflow = Workflow(self.session, self.conversation_id, self.participant_id,
                                 self.wait1.value, self.wait2.value,
                                 participant_session=self._participant_session(), confirm=self.confirm.value,
                                 confirm_timeout=self.confirm_timeout)
        self.progress.max = len(self.workflow.step_names)
        self.progress.value = 0
        self.plot.clear_output()
        self.done.clear()
        self.run_button.disabled = True
        self.cancel_button.disabled = False
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        return thread

    def cancel(self) -> None:
        if self.workflow is not None:
            self.workflow.cancel()
            self.log_panel.write("cancel requested")

    def _on_step(self, index: int, name: str, step: StepResult | None) -> None:
        if step is None:
            self.step_label.value = f"{index + 1}/{self.progress.max}: {name}"
            return
        self.progress.value = index + 1
        if step.error is not None:
            self.log_panel.error(step.error)
        elif step.outcome is not None:
            self.log_panel.write(step.outcome.summary())
        else:
            self.log_panel.write(f"{name} done ({step.seconds:.1f} s)")
        if step.seen is not None:
            seen = step.seen.at.astimezone().strftime("%H:%M:%S.%f")[:-3]
            pause = ", secure pause" if step.seen.secure_pause else ""
            self.log_panel.write(f"{step.seen.state}{pause} seen on the live stream at {seen} ({step.seen.topic})")
        if step.note:
            self.log_panel.write(step.note)

    def _open_feed(self) -> None:
        """The watch the waits confirm by (its status line says push, or why it re-reads)."""
        def show(text: str, push: bool) -> None:
            what = "the waits confirm each change on the stream: " if push else "the waits re-read by REST, "
            self.live_status.value = live_status_html(what + text, push)

        self.feed = LiveFeed(self.session, [self.conversation_id], lambda _: None, lambda: None,
                             poll_seconds=3600, on_error=self.log_panel.error, on_status=show, push=self.live,
                             settings=self.watch_settings, name=f"recops-workflow-{self.conversation_id[:8]}")
        if self.feed.mode != PUSH:
            self.log_panel.write(f"live stream not available ({self.feed.status()}): the waits re-read by REST")

    def _run(self) -> None:
        assert self.workflow is not None
        try:
            self._open_feed()
            assert self.feed is not None
            self.workflow.stream = StreamConfirm(self.feed)
            self.result = self.workflow.run(on_step=self._on_step)
            state = "cancelled" if self.result.cancelled else "failed" if self.result.failed else "finished"
            self.step_label.value = state
            self.log_panel.write(f"workflow {state}")
            self._plot(self.result)
        except Exception as e:
            self.log_panel.error(e)
        finally:
            feed, self.feed = self.feed, None
            if feed is not None:
                feed.close()
            self.run_button.disabled = False
            self.cancel_button.disabled = True
            self.done.set()

    def _plot(self, result: WorkflowResult) -> Any:
        self.figure = plot_timeline(result, title=f"recording state — {self.conversation_id[:8]}…")
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=100)
        from IPython.display import Image

        self.plot.append_display_data(Image(buf.getvalue()))  # thread-safe, unlike `with output:`
        return self.figure
