"""The two Voilà apps (notebooks/apps/): a seat picker first, then, on the picked seat, either
notebook 03's control panel or the training walkthrough as buttons and fields with their
self-checks (PASSED / NOT YET). Everything is built from the seat's session, so every click
acts on that seat's org only."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as w

from recops.genesys import intervals
from recops.kit import discover, training

from .common import LogPanel, banner, guarded
from .control_panel import ControlPanel
from .seat import SeatPicker

if TYPE_CHECKING:
    from recops.session import Session

EX1 = "c0a80001-0000-4000-8000-000000000002"
EX2 = "c0a80001-0000-4000-8000-000000000001"
EX5 = discover.DEMO_ADHOC_CONVERSATION


class SeatApp(w.VBox):
    """A seat picker, then ``build(session)`` below it once a seat is in use."""

    def __init__(self, build: Callable[[Session], w.Widget], picker: SeatPicker | None = None) -> None:
        self.picker = picker or SeatPicker()
        self.body = w.VBox()
        self.log_panel = LogPanel("app")
        self.content: w.Widget | None = None
        self._build = build
        super().__init__([self.picker, self.body])
        self.add_class("recops-seat-app")
        self.picker.on_session(self._on_session)

    def _on_session(self, rc: Session) -> None:
        try:
            self.content = self._build(rc)
        except Exception as e:  # shown in the page, never a traceback
            self.log_panel.error(e)
            self.body.children = [self.log_panel]
            return
        self.body.children = [self.content]


def control_panels(rc: Session) -> w.Widget:
    """Notebook 03's control panel on the seat's live call (pause / resume), and on the call its
    agent records ad hoc (stop)."""
    live = discover.live_conversation(rc)
    adhoc = discover.workflow_conversation(rc, live)
    panels = [ControlPanel(rc, live)] + ([ControlPanel(rc, adhoc)] if adhoc != live else [])
    return w.VBox(panels)


def control_panel_app() -> SeatApp:
    return SeatApp(control_panels)


class Exercise(w.VBox):
    """One exercise: its text, its inputs, and a Check button showing the verdict."""

    def __init__(self, title: str, text: str, inputs: list[w.Widget], check: Callable[[], training.Check]) -> None:
        self.verdict = w.HTML()
        self.verdict.add_class("recops-exercise-verdict")
        self.log_panel = LogPanel(f"log — {title}", height="80px")
        self.check_button = w.Button(description="Check", icon="check")
        self.check_button.on_click(guarded(self.log_panel, lambda _: self._check(check)))
        self.last: training.Check | None = None
        super().__init__([w.HTML(f"<h3>{html.escape(title)}</h3><p>{text}</p>"), *inputs,
                          w.HBox([self.check_button]), self.verdict, self.log_panel])
        self.add_class("recops-exercise")

    def _check(self, check: Callable[[], training.Check]) -> None:
        self.last = check()
        self.verdict.value = self.last._repr_html_()


def walkthrough(rc: Session) -> w.Widget:
    """Notebook 05 for clicking, not coding: read a state, pause, resume with the control panel,
    stop an agent's ad-hoc recording, compute a share; each with its self-check."""
    sandbox = discover.sandbox_control(rc)
    if sandbox is None:
        raise training_error()
    reset_log = LogPanel("start over", height="60px")
    reset = w.Button(description="Start over (reset my seat)", icon="undo", layout=w.Layout(width="auto"))
    reset.on_click(guarded(reset_log, lambda _: reset_log.write(f"reset: {bool(sandbox.reset())}")))

    state = w.Dropdown(options=["", "ACTIVE", "PAUSED", "NONE"], description="state")
    ex1 = Exercise("Exercise 1 — read a recording state",
                   f"What is the <code>recordingState</code> of conversation <code>{EX1}</code>?", [state],
                   lambda: _blank("exercise 1", "choose the state") if not state.value
                   else training.check_state(rc, "exercise 1", EX1, state.value))
    ex2_panel = ControlPanel(rc, EX2)
    ex2 = Exercise("Exercise 2 — secure-pause a call",
                   f"Pause conversation <code>{EX2}</code> with the panel.", [ex2_panel],
                   lambda: training.check_reached(rc, "exercise 2", EX2, "PAUSED", secure_pause=True))
    ex4 = Exercise("Exercise 4 — resume it",
                   "Click <b>Resume</b> in the panel of exercise 2.", [],
                   lambda: training.check_reached(rc, "exercise 4", EX2, "ACTIVE", secure_pause=False))
    ex5_panel = ControlPanel(rc, EX5)
    ex5 = Exercise("Exercise 5 — stop an agent's ad-hoc recording",
                   f"Conversation <code>{EX5}</code> is recorded only because its agent started an ad-hoc "
                   "recording: <b>Stop</b> it (the panel acts with the agent's user token).", [ex5_panel],
                   lambda: _check_agent_adhoc_off(rc))
    week = intervals.last(7 * 24)
    share = w.Text(description="share", placeholder="e.g. 0.5")
    ex6 = Exercise("Exercise 6 — what share of last week's calls was recorded?",
                   "Enter a number between 0 and 1.", [share],
                   lambda: _blank("exercise 6", "type the share") if not share.value.strip()
                   else training.check_share(rc, "exercise 6", week, _number(share.value)))
    return w.VBox([banner(rc), w.HBox([reset]), reset_log, ex1, ex2, ex4, ex5, ex6])


def _blank(exercise: str, what: str) -> training.Check:
    """The verdict on an empty field, in the app's words (no cells here)."""
    return training.Check(exercise, False, f"nothing filled in yet: {what} above, then click Check again")


def _check_agent_adhoc_off(rc: Session) -> training.Check:
    agent = next(p for p in rc.status(EX5).participants if p.purpose == "agent")
    return training.check_adhoc(rc, "exercise 5", EX5, agent.id, on=False)


def _number(text: str) -> float | str | None:
    """The typed share: a number (``0.5``, ``0,5`` or ``50%``), None when blank, else the text
    itself, which the self-check names as not a number."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        value = float(stripped.rstrip("%").replace(",", "."))
    except ValueError:
        return text
    return value / 100 if stripped.endswith("%") or value > 1 else value


def training_error() -> Exception:
    from recops.genesys.errors import ConfigError

    return ConfigError("the walkthrough runs on the sandbox", "unset the credentials and start `recops lab --app`")


def walkthrough_app() -> SeatApp:
    return SeatApp(walkthrough)
