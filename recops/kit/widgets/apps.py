"""The two Voilà apps (notebooks/apps/): a seat picker first, then, on the picked seat, either
notebook 03's control panel or the training walkthrough as buttons and fields with their
self-checks (PASSED / NOT YET), numbered as in the notebook and on the trainer board.
Everything is built from the seat's session, so every click acts on that seat's org only."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as w

from recops.base.display import state_badge_html
from recops.genesys import intervals
from recops.kit import discover, training

from .common import LogPanel, banner, close_tree, guarded
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
        if self.content is not None:  # the previous seat's panels: their streams and listeners end here
            close_tree(self.content)
            self.content = None
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


# The walkthrough's exercises, numbered and titled as in notebook 05 (its "## Exercise …" headings)
# and on the trainer board (recops/sandbox/room/board.py: ex1 … ex6, ex5a/ex5b): every step the
# board tracks is one exercise here too.
TITLES = {
    "1": "Exercise 1 — read a recording state",
    "2": "Exercise 2 — secure-pause a call",
    "3": "Exercise 3 — pause it again",
    "4": "Exercise 4 — resume with the control panel",
    "5a": "Exercise 5a — stop an agent's ad-hoc recording with the client's credentials",
    "5b": "Exercise 5b — stop it as the agent",
    "6": "Exercise 6 — what share of last week's calls was recorded?",
}
STOP_AS_SUPERVISOR = "Stop as the supervisor"


class Exercise(w.VBox):
    """One exercise: its text, its inputs, and a Check button showing the verdict."""

    def __init__(self, number: str, text: str, inputs: list[w.Widget], check: Callable[[], training.Check]) -> None:
        title = TITLES[number]
        self.number = number
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

    def clear(self) -> None:
        """Back to unchecked (Start over)."""
        self.last = None
        self.verdict.value = ""
        self.log_panel.clear()


class Walkthrough(w.VBox):
    """Notebook 05 for clicking, not coding: the same exercises, numbered the same, each with its
    self-check worded for the app's buttons and fields. **Start over** resets the seat and brings
    every panel, field and verdict back to the reset state."""

    def __init__(self, rc: Session) -> None:
        sandbox = discover.sandbox_control(rc)
        if sandbox is None:
            raise training_error()
        self.rc, self._sandbox = rc, sandbox
        self.reset_log = LogPanel("start over", height="60px")
        self.reset_button = w.Button(description="Start over (reset my seat)", icon="undo",
                                     layout=w.Layout(width="auto"))
        self.reset_button.on_click(guarded(self.reset_log, lambda _: self.start_over()))
        app = training.APP

        # 1: read a state (the app's rc.status: type an id, Show state), then choose it
        self.lookup = w.Text(value=EX1, description="conversation", layout=w.Layout(width="520px"))
        self.lookup_button = w.Button(description="Show state", icon="search")
        self.lookup_result = w.HTML()
        self.lookup_result.add_class("recops-lookup-result")
        self.state = w.Dropdown(options=["", "ACTIVE", "PAUSED", "NONE"], description="state")
        ex1 = Exercise("1", f"What is the recording state of conversation <code>{EX1}</code>? Click "
                       "<b>Show state</b> to read it, then choose it below.",
                       [w.HBox([self.lookup, self.lookup_button]), self.lookup_result, self.state],
                       lambda: _blank("exercise 1", "choose the state") if not self.state.value
                       else training.check_state(rc, "exercise 1", EX1, self.state.value, where=app))
        self.lookup_button.on_click(guarded(ex1.log_panel, lambda _: self._show_state()))

        # 2 and 4: the control panel of EX2
        self.ex2_panel = ControlPanel(rc, EX2)
        ex2 = Exercise("2", f"Pause conversation <code>{EX2}</code> with the panel's <b>Pause</b> button.",
                       [self.ex2_panel],
                       lambda: training.check_reached(rc, "exercise 2", EX2, "PAUSED", secure_pause=True,
                                                      todo="click Pause in the panel above", where=app))
        # 3: pause it again; recops reads the state first and sends nothing
        self.again: object = None
        self.again_button = w.Button(description="Pause again", icon="pause")
        ex3 = Exercise("3", "What happens when you pause a call that is already paused? Click <b>Pause "
                       "again</b> (after exercise 2): recops reads the state first and sends nothing.",
                       [w.HBox([self.again_button])],
                       lambda: training.check_skipped("exercise 3", self.again, where=app))
        self.again_button.on_click(guarded(ex3.log_panel, lambda _: self._pause_again(ex3.log_panel)))
        ex4 = Exercise("4", "Click <b>Resume</b> in the panel of exercise 2.", [],
                       lambda: training.check_clicked(rc, "exercise 4", self.ex2_panel, "resume", "ACTIVE",
                                                      where=app, panel_name="the panel of exercise 2"))

        # 5a and 5b: the ad-hoc recording of EX5's agent
        self.caught: object = None
        self.stop_as_supervisor = w.Button(description=STOP_AS_SUPERVISOR, icon="stop", layout=w.Layout(width="auto"))
        ex5a = Exercise("5a", f"Conversation <code>{EX5}</code> is recorded only because its agent started an "
                        f"ad-hoc recording. Click <b>{STOP_AS_SUPERVISOR}</b>: the supervisor's client "
                        "credentials may not stop it, and the log says why.", [w.HBox([self.stop_as_supervisor])],
                        lambda: training.check_error("exercise 5a", self.caught, "missing.any.permissions",
                                                     where=app, todo=f"click {STOP_AS_SUPERVISOR} above"))
        self.stop_as_supervisor.on_click(guarded(ex5a.log_panel, lambda _: self._stop_as_supervisor(ex5a.log_panel)))
        self.ex5_panel = ControlPanel(rc, EX5)
        ex5b = Exercise("5b", "Now <b>Stop</b> it on the agent's row of the panel: the panel acts with the "
                        "agent's user token.", [self.ex5_panel], lambda: _check_agent_adhoc_off(rc))

        # 6: the share, from last week's calls per day
        self.week = intervals.last(7 * 24)
        self.load_button = w.Button(description="Load last week's calls", icon="table", layout=w.Layout(width="auto"))
        self.calls_table = w.HTML()
        self.calls_table.add_class("recops-week-calls")
        self.share = w.Text(description="share", placeholder="e.g. 0.5")
        ex6 = Exercise("6", "Click <b>Load last week's calls</b>, then type the share of them that was recorded "
                       "(a number between 0 and 1, or a percentage).",
                       [w.HBox([self.load_button]), self.calls_table, self.share],
                       lambda: _blank("exercise 6", "type the share") if not self.share.value.strip()
                       else training.check_share(rc, "exercise 6", self.week, _number(self.share.value), where=app))
        self.load_button.on_click(guarded(ex6.log_panel, lambda _: self._load_week()))

        self.exercises = [ex1, ex2, ex3, ex4, ex5a, ex5b, ex6]
        self.panels = [self.ex2_panel, self.ex5_panel]
        super().__init__([banner(rc), w.HBox([self.reset_button]), self.reset_log, *self.exercises])
        self.add_class("recops-walkthrough")

    # --- the exercises' buttons -------------------------------------------------------------

    def _show_state(self) -> None:
        cid = self.lookup.value.strip()
        st = self.rc.status(cid)
        badge = state_badge_html(st.recording_state)
        self.lookup_result.value = f"conversation <code>{html.escape(cid)}</code>: {badge}"

    def _pause_again(self, log: LogPanel) -> None:
        outcome = self.rc.pause(EX2)
        self.again = outcome
        log.write(outcome.summary())
        self.ex2_panel.refresh()

    def _stop_as_supervisor(self, log: LogPanel) -> None:
        from recops.genesys.errors import ApiError

        agent = next(p for p in self.rc.status(EX5).participants if p.purpose == "agent")
        try:
            outcome = self.rc.stop(EX5, agent.id)
        except ApiError as e:
            self.caught = e
            log.error(e)
            return
        log.write(outcome.summary())

    def _load_week(self) -> None:
        frame = self.rc.interval(self.week, media_type="voice", progress=False)
        if frame.empty:
            self.calls_table.value = "<i>no voice call last week</i>"
            return
        days = frame.assign(day=frame["conversation_start"].dt.strftime("%Y-%m-%d"),
                            rec=frame["recorded"].fillna(False).astype(int))
        per_day = days.groupby("day").agg(calls=("conversation_id", "size"), recorded=("rec", "sum"))
        cell = 'style="padding:1px 14px 1px 0;text-align:right"'
        rows = "".join(f"<tr><td {cell}>{day}</td><td {cell}>{r.calls}</td><td {cell}>{r.recorded}</td></tr>"
                       for day, r in per_day.iterrows())
        head = "".join(f"<th {cell}>{h}</th>" for h in ("day", "voice calls", "recorded"))
        self.calls_table.value = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

    # --- start over ---------------------------------------------------------------------------

    def start_over(self) -> None:
        """The seat back to its demo copy, then every panel re-read and every answer cleared, so
        what the page shows is the state its checks see."""
        done = bool(self._sandbox.reset())
        self.again = self.caught = None
        self.state.value, self.share.value = "", ""
        self.lookup_result.value = self.calls_table.value = ""
        for panel in self.panels:
            panel.outcomes.clear()
            panel.refresh()
        for exercise in self.exercises:
            exercise.clear()
        self.reset_log.write(f"reset: {done}; every exercise is back to its start")


def walkthrough(rc: Session) -> w.Widget:
    return Walkthrough(rc)


def _blank(exercise: str, what: str) -> training.Check:
    """The verdict on an empty field, in the app's words (no cells here)."""
    return training.Check(exercise, False, f"nothing filled in yet: {what} above, then click Check again")


def _check_agent_adhoc_off(rc: Session) -> training.Check:
    agent = next(p for p in rc.status(EX5).participants if p.purpose == "agent")
    return training.check_adhoc(rc, "exercise 5b", EX5, agent.id, on=False, where=training.APP)


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
