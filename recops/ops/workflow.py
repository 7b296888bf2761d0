"""Pause → wait → resume → wait → stop, as a cancellable, journaled sequence of steps.

``Workflow.run()`` performs the steps in order (each change journaled by the session), samples
the state after each step, and returns the timeline; ``cancel()`` stops it between steps or
during a wait. ``plot_timeline`` draws the states over time with matplotlib.

Given a ``stream`` (a ``StateStream``: the widgets pass one over ``rc.watch``, issue 20; ops may not
import the live layer, so it is injected), the state after the pause and after the resume is the
transition seen on the stream (``Sample.source == "stream"``, ``StepResult.seen``: when), not a
REST re-read; a transition not seen within ``confirm_timeout`` falls back to the re-read and says so.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from recops.genesys.errors import RecopsError

if TYPE_CHECKING:
    from recops.session import Session

    from .recording import Outcome

STATE_LEVEL = {"ACTIVE": 2, "PAUSED": 1, "NONE": 0}
DEFAULT_WAIT = 5.0  # seconds after the pause, and after the resume
CONFIRM_TIMEOUT = 5.0  # seconds to wait for a change's transition on the stream before re-reading it


@dataclass(frozen=True)
class Seen:
    """A state seen on the live stream."""
    state: str  # ACTIVE | PAUSED | NONE
    secure_pause: bool
    at: datetime  # when it was seen (UTC)
    topic: str


class StateStream(Protocol):
    """What the workflow needs of a live stream (``recops.kit.widgets.live_feed.StreamConfirm``)."""

    @property
    def available(self) -> bool: ...

    def describe(self) -> str: ...

    def mark(self) -> int: ...

    def wait_for(self, conversation_id: str, state: str, after: int, timeout: float,
                 cancel: threading.Event) -> Seen | None: ...


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the workflow started
    step: str
    recording_state: str
    secure_pause: bool
    adhoc: bool | None  # the participant's ad-hoc recorder, if a participant is given
    source: str = "rest"  # "stream": the transition seen on the live stream; "rest": a re-read


@dataclass
class StepResult:
    name: str
    outcome: Outcome | None = None
    error: RecopsError | None = None
    seconds: float = 0.0
    seen: Seen | None = None  # the change's transition on the live stream, when confirmed by it
    note: str | None = None  # e.g. why the change was re-read instead of seen on the stream


@dataclass
class WorkflowResult:
    steps: list[StepResult] = field(default_factory=list)
    timeline: list[Sample] = field(default_factory=list)
    cancelled: bool = False
    failed: bool = False

    @property
    def finished(self) -> bool:
        return not self.cancelled and not self.failed


class Workflow:
    """``session`` pauses and resumes; ``participant_session`` (a participant's user token, e.g.
    ``session.as_sandbox_user(agent_id)``) stops the participant's ad-hoc recording."""

    def __init__(self, session: Session, conversation_id: str, participant_id: str | None = None,
                 wait_after_pause: float = DEFAULT_WAIT, wait_after_resume: float = DEFAULT_WAIT,
                 participant_session: Session | None = None, confirm: bool = False,
                 stream: StateStream | None = None, confirm_timeout: float = CONFIRM_TIMEOUT) -> None:
        if wait_after_pause < 0 or wait_after_resume < 0:
            raise ValueError("waits must be >= 0 seconds")
        self.session = session
        self.conversation_id = conversation_id
        self.participant_id = participant_id
        self.waits = (wait_after_pause, wait_after_resume)
        self.participant_session = participant_session
        self.confirm = confirm
        self.stream = stream
        self.confirm_timeout = confirm_timeout
        self._t0_wall = datetime.now(timezone.utc)
        self._cancel = threading.Event()

    @property
    def step_names(self) -> list[str]:
        names = ["pause", f"wait {self.waits[0]:g} s", "resume", f"wait {self.waits[1]:g} s"]
        return names + (["stop"] if self.participant_id else [])

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _sample(self, t0: float, step: str) -> Sample:
        st = self.session.status(self.conversation_id)
        adhoc = None
        if self.participant_id:
            adhoc = st.participant(self.participant_id).adhoc
        return Sample(round(time.monotonic() - t0, 3), step, st.recording_state, st.secure_pause, adhoc)

    def run(self, on_step: Callable[[int, str, StepResult | None], None] | None = None) -> WorkflowResult:
        """Run to the end, a failure, or a cancel. ``on_step(index, name, result)`` is called
        when a step starts (result None) and when it ends."""
        result = WorkflowResult()
        t0 = time.monotonic()
        self._t0_wall = datetime.now(timezone.utc)
        result.timeline.append(self._sample(t0, "start"))
        actions: list[tuple[str, Callable[[], Any]]] = [
            ("pause", lambda: self.session.pause(self.conversation_id, confirm=self.confirm)),
            ("wait", lambda: self._wait(self.waits[0])),
            ("resume", lambda: self.session.resume(self.conversation_id, confirm=self.confirm)),
            ("wait", lambda: self._wait(self.waits[1])),
        ]
        if self.participant_id:
            stopper = self.participant_session or self.session
            actions.append(("stop", lambda: stopper.stop(self.conversation_id, self.participant_id or "",
                                                         confirm=self.confirm)))
        for index, ((kind, action), name) in enumerate(zip(actions, self.step_names, strict=True)):
            if self.cancelled:
                result.cancelled = True
                break
            if on_step:
                on_step(index, name, None)
            step = StepResult(name)
            started = time.monotonic()
            streamed = self.stream is not None and self.stream.available and kind in ("pause", "resume")
            mark = self.stream.mark() if streamed and self.stream is not None else 0
            try:
                value = action()
                step.outcome = value if kind != "wait" else None
            except RecopsError as e:
                step.error = e
                result.failed = True
            step.seconds = round(time.monotonic() - started, 3)
            result.steps.append(step)
            if kind == "wait" and self.cancelled:
                result.cancelled = True
            confirmed = self._confirm(kind, name, mark, result) if streamed and not result.failed else None
            if confirmed is not None:
                step.seen, sample = confirmed
                result.timeline.append(sample)
            elif kind != "wait" or result.cancelled:
                if streamed and not result.failed:
                    step.note = (f"{'PAUSED' if kind == 'pause' else 'ACTIVE'} not seen on the live stream "
                                 f"within {self.confirm_timeout:g} s: re-read by REST")
                with contextlib.suppress(RecopsError):
                    result.timeline.append(self._sample(t0, name))
            if on_step:
                on_step(index, name, step)
            if result.failed or result.cancelled:
                break
        return result

    def _confirm(self, kind: str, name: str, mark: int, result: WorkflowResult) -> tuple[Seen, Sample] | None:
        """The change's transition on the stream (PAUSED with a secure pause; ACTIVE without)."""
        assert self.stream is not None
        seen = self.stream.wait_for(self.conversation_id, "PAUSED" if kind == "pause" else "ACTIVE", mark,
                                    self.confirm_timeout, self._cancel)
        if seen is None:
            return None
        at = round(max(0.0, (seen.at - self._t0_wall).total_seconds()), 3)
        adhoc = result.timeline[-1].adhoc if result.timeline else None  # a pause leaves ad hoc as it was
        return seen, Sample(at, name, seen.state, seen.secure_pause, adhoc, source="stream")

    def _wait(self, seconds: float) -> None:
        self._cancel.wait(seconds)


def plot_timeline(result: WorkflowResult, title: str = "recording state") -> Any:
    """A matplotlib Figure: the conversation's recording state (and the participant's ad-hoc
    recorder, if sampled) as steps over time."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.6))
    xs = [s.at for s in result.timeline]
    ax.step(xs, [STATE_LEVEL.get(s.recording_state, 0) for s in result.timeline], where="post",
            label="recordingState", linewidth=2)
    if any(s.adhoc is not None for s in result.timeline):
        ax.step(xs, [(0.5 if s.adhoc else 0.1) for s in result.timeline], where="post", linestyle="--",
                label="participant ad hoc (on/off)")
    for s in result.timeline:
        ax.annotate(s.step, (s.at, STATE_LEVEL.get(s.recording_state, 0)), textcoords="offset points",
                    xytext=(2, 6), fontsize=8)
    ax.set_yticks([0, 1, 2], ["NONE", "PAUSED", "ACTIVE"])
    ax.set_ylim(-0.3, 2.6)
    ax.set_xlabel("seconds")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig
