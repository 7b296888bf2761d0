"""Self-checks for the training walkthrough: each compares an answer, or the state the trainee
was asked to reach, with the live state, and says what to try when it is not right.

A check never raises for what the trainee wrote: a blank (``None``, what the trainee form of
the walkthrough starts with, or ``...``) is "NOT YET: nothing filled in yet: fill in …", a
value of the wrong kind is "NOT YET" saying what kind is expected (see recops/kit/training_forms.py).

``where`` words the hints for the trainee's medium: ``"notebook"`` (the default: cells and code,
``rc.status(id)``) or ``"app"`` (the walkthrough app, recops/kit/widgets/apps.py: its buttons and
fields, never a cell or code). A NOT YET never gives the answer away: it says what to look at,
not what the sandbox counts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from recops.base.display import GREEN, RED, badge, box, rich_text

if TYPE_CHECKING:
    from recops.session import Session

    from .widgets import ControlPanel

NOTEBOOK, APP = "notebook", "app"  # where the trainee works: the hints speak of cells or of buttons


@dataclass(frozen=True)
class Check:
    exercise: str
    passed: bool
    detail: str

    def verdict(self) -> tuple[str, str, str, str]:
        """(glyph, word, rich style, HTML colour): the word carries the verdict, the glyph only decorates."""
        return ("✓", "PASSED", "bold green", GREEN) if self.passed else ("✗", "NOT YET", "bold red", RED)

    def __str__(self) -> str:  # "✓ PASSED exercise 1: ...": the word is the verdict, the glyph decoration
        glyph, word, _, _ = self.verdict()
        return f"{glyph} {word} {self.exercise}: {self.detail}"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython shows the verdict, not the repr
        p.text(str(self))

    def __rich__(self) -> Any:
        glyph, word, style, _ = self.verdict()
        return rich_text((f"{glyph} {word}", style), " ", (self.exercise, "bold"), f": {self.detail}")

    def _repr_html_(self) -> str:
        glyph, word, _, color = self.verdict()
        inner = (f'<span aria-hidden="true" style="color:{color}">{glyph}</span> {badge(word, color)} '
                 f"<b>{escape(self.exercise)}</b>: {escape(self.detail)}")
        return box("recops-check", color, inner)


def blank(value: object) -> bool:
    """Nothing filled in: ``None`` (the trainee form's blanks) or ``...``."""
    return value is None or value is Ellipsis


def not_filled_in(exercise: str, name: str, what: str) -> Check:
    """The verdict on a blank: which variable to fill in, with what, and what to do next."""
    return Check(exercise, False, f"nothing filled in yet: fill in `{name}` ({what}) in the cell above, "
                 "run it, then run this check again")


def check_state(session: Session, exercise: str, conversation_id: str, answer: object,
                name: str = "answer", where: str = NOTEBOOK) -> Check:
    """The trainee's answer for a conversation's recordingState."""
    if blank(answer):
        return not_filled_in(exercise, name, 'the conversation\'s recordingState, e.g. "ACTIVE"')
    actual = session.status(conversation_id).recording_state
    if str(answer).upper() == actual:
        return Check(exercise, True, f"yes, it is {actual}")
    hint = ("show the conversation's state with the Show state button above, then choose it" if where == APP
            else "look at status.recording_state (hint: rc.status(id))")
    return Check(exercise, False, f"not {answer!r}: {hint}")


def check_reached(session: Session, exercise: str, conversation_id: str, state: str,
                  secure_pause: bool | None = None, todo: str | None = None, where: str = NOTEBOOK) -> Check:
    """Did the trainee bring the conversation to ``state`` (and securePause)? ``todo``: what the
    exercise's cell (in the app: which button) should do, said when it is not reached yet."""
    st = session.status(conversation_id)
    ok = st.recording_state == state and (secure_pause is None or st.secure_pause == secure_pause)
    if ok:
        return Check(exercise, True, f"the conversation is {st.recording_state} (securePause {st.secure_pause})")
    now = f"the conversation is {st.recording_state} (securePause {st.secure_pause}), expected {state}"
    if where == APP:
        click = todo or "use the panel above"
        return Check(exercise, False, f"{now}: {click} (does its log show an error?), then click Check again")
    what = f" ({todo})" if todo else ""
    return Check(exercise, False, f"{now}: fill in the cell above{what}, run it (did it raise?), "
                 "then run this check again")


def check_skipped(exercise: str, outcome: object, name: str = "again", where: str = NOTEBOOK) -> Check:
    """Did recops see that the change was already made, and send nothing (``Outcome.skipped``)?"""
    if blank(outcome) and where == APP:
        return Check(exercise, False, "not paused again yet: click Pause again above, then click Check again")
    if blank(outcome):
        return not_filled_in(exercise, name, "what rc.pause(...) returns for the call that is already paused")
    skipped = getattr(outcome, "skipped", None)
    if not isinstance(skipped, bool):
        return Check(exercise, False, f"`{name}` should be what rc.pause(...) returns (an Outcome), "
                     f"not {type(outcome).__name__}")
    if skipped:
        return Check(exercise, True, f"recops read the state first and sent nothing ({getattr(outcome, 'reason', '')})")
    again = "click Pause again once more, then click Check" if where == APP else "pause it again and run this check"
    return Check(exercise, False,
                 f"a request was sent: the call was not paused yet (do exercise 2 first), then {again}")


def check_clicked(session: Session, exercise: str, panel: ControlPanel, action: str, state: str,
                  where: str = NOTEBOOK, panel_name: str = "the panel above") -> Check:
    """Did the trainee click ``action`` (``"pause"``/``"resume"``) in the control panel, bringing
    its conversation to ``state``? What the panel did is in ``panel.outcomes``."""
    done = [o for o in panel.outcomes if o.action == action and o.changed]
    st = session.status(panel.conversation_id)
    button = action.capitalize()
    if not done:
        why = "" if st.recording_state != state else f" (the call is already {state}: do the exercises above first)"
        again = "click Check again" if where == APP else "run this check again"
        return Check(exercise, False, f"{button} not clicked yet{why}: click {button} in {panel_name}, then {again}")
    if st.recording_state == state:
        return Check(exercise, True, f"you clicked {button}: the conversation is {st.recording_state}")
    return Check(exercise, False, f"you clicked {button}, but the conversation is {st.recording_state} now, "
                 f"expected {state}: look at the panel's log")


def check_adhoc(session: Session, exercise: str, conversation_id: str, participant_id: str, on: bool,
                where: str = NOTEBOOK) -> Check:
    p = session.status(conversation_id).participant(participant_id)
    want = "ON" if on else "OFF"
    got = "ON" if p.adhoc else "OFF"
    if p.adhoc == on:
        return Check(exercise, True, f"ad-hoc recording of {p.name or p.id} is {got}")
    if where == APP:
        verb = "Start" if on else "Stop"
        todo = f"click {verb} on the agent's row in the panel above (it acts with the agent's user token)"
    else:
        todo = "fill in the cell above: start/stop need the agent's user token (rc.as_sandbox_user(...))"
    return Check(exercise, False, f"ad-hoc recording of {p.name or p.id} is {got}, expected {want}: {todo}")


def check_error(exercise: str, error: object, code: str, name: str = "caught", where: str = NOTEBOOK,
                todo: str = "click the button above") -> Check:
    """Did the trainee provoke (and catch) the error with this Genesys code? ``todo``: in the app,
    the button that provokes it."""
    if blank(error) and where == APP:
        return Check(exercise, False, f"no error yet: {todo}, then click Check again")
    if blank(error):
        return not_filled_in(exercise, name, f"the recops.ApiError you caught; the exercise expects {code}")
    got = getattr(error, "code", None)
    if got == code:
        return Check(exercise, True, f"caught {code}; remedy: {getattr(error, 'remedy', '')}")
    return Check(exercise, False, f"caught {got or type(error).__name__}, expected {code}")


def _own_org(control: Any, client_id: str) -> str | None:
    """The org of the session's OAuth client, from the control plane's list of clients. A seat of
    a training room may not list clients (they hold secrets): its clients are ``seat-NN-…`` in
    org ``seat-NN`` (the room's naming), and its control plane shows only its own org anyway."""
    from recops.sandbox.control_client import SandboxControlError

    try:
        clients = control.clients()
    except SandboxControlError as e:
        if e.status not in (401, 403):
            raise
        seat = re.match(r"(seat-\d+)-", client_id)
        return seat.group(1) if seat else None
    return next((c["org"] for c in clients if c["clientId"] == client_id), None)


def check_share(session: Session, exercise: str, interval: str, answer: object, name: str = "share",
                where: str = NOTEBOOK) -> Check:
    """The trainee's recorded share of the voice calls started in ``interval`` in their org,
    checked against the sandbox's own records (its control plane), not against the same query.
    NOT YET says too high or too low, and how to find it, never the share itself."""
    from recops.genesys.intervals import parse_interval

    from .discover import sandbox_control

    control = sandbox_control(session)
    if control is None:
        return Check(exercise, False, "this check needs the sandbox")
    if blank(answer) and where == APP:
        return Check(exercise, False, "nothing typed yet: type the share above, then click Check again")
    if blank(answer):
        return not_filled_in(exercise, name, "the recorded share of last week's voice calls, a number from 0 to 1")
    try:
        value = float(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        what = "the share" if where == APP else f"`{name}`"
        return Check(exercise, False, f"{what} should be a number from 0 to 1, not {answer!r}")
    start, end = parse_interval(interval)
    org = _own_org(control, session.client.principal.removeprefix("client:"))
    calls = [c for c in control.conversations(org=org, limit=1_000_000) if c["mediaType"] == "call"
             and start <= datetime.fromisoformat(c["startTime"].replace("Z", "+00:00")) < end]
    truth = sum(1 for c in calls if c["recordingIds"]) / len(calls) if calls else 0.0
    if abs(value - truth) < 0.0005:
        return Check(exercise, True, f"{truth:.1%} of {len(calls)} calls were recorded")
    side = "too high" if value > truth else "too low"
    hint = ("load last week's calls above, add up the recorded calls of every day and divide by all the calls"
            if where == APP else "the mean of the 'recorded' column of rc.interval(..., media_type='voice')")
    return Check(exercise, False, f"{value:.1%} is {side}; hint: {hint}")
