"""Self-checks for the training walkthrough: each compares an answer, or the state the trainee
was asked to reach, with the live state, and says what to try when it is not right."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .session import Session


@dataclass(frozen=True)
class Check:
    exercise: str
    passed: bool
    detail: str

    def __str__(self) -> str:  # "✓ PASSED exercise 1: ...": the word is the verdict, the glyph decoration
        from .display import check_text

        return check_text(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython shows the verdict, not the repr
        p.text(str(self))

    def __rich__(self) -> Any:
        from .display import check_rich

        return check_rich(self)

    def _repr_html_(self) -> str:
        from .display import check_html

        return check_html(self)


def check_state(session: Session, exercise: str, conversation_id: str, answer: str | None) -> Check:
    """The trainee's answer for a conversation's recordingState."""
    actual = session.status(conversation_id).recording_state
    if answer is None:
        return Check(exercise, False, "no answer yet: fill in the variable and run the cell again")
    if str(answer).upper() == actual:
        return Check(exercise, True, f"yes, it is {actual}")
    return Check(exercise, False, f"not {answer!r}: look at status.recording_state (hint: rc.status(id))")


def check_reached(session: Session, exercise: str, conversation_id: str, state: str,
                  secure_pause: bool | None = None) -> Check:
    """Did the trainee bring the conversation to ``state`` (and securePause)?"""
    st = session.status(conversation_id)
    ok = st.recording_state == state and (secure_pause is None or st.secure_pause == secure_pause)
    if ok:
        return Check(exercise, True, f"the conversation is {st.recording_state} (securePause {st.secure_pause})")
    return Check(exercise, False, f"the conversation is {st.recording_state} (securePause {st.secure_pause}), "
                 f"expected {state}: did the cell run, and did it raise?")


def check_adhoc(session: Session, exercise: str, conversation_id: str, participant_id: str, on: bool) -> Check:
    p = session.status(conversation_id).participant(participant_id)
    want = "ON" if on else "OFF"
    got = "ON" if p.adhoc else "OFF"
    if p.adhoc == on:
        return Check(exercise, True, f"ad-hoc recording of {p.name or p.id} is {got}")
    return Check(exercise, False, f"ad-hoc recording of {p.name or p.id} is {got}, expected {want}: "
                 "start/stop need the agent's user token (rc.as_sandbox_user(...))")


def check_error(exercise: str, error: BaseException | None, code: str) -> Check:
    """Did the trainee provoke (and catch) the error with this Genesys code?"""
    got = getattr(error, "code", None)
    if error is None:
        return Check(exercise, False, f"no error caught yet: the exercise expects {code}")
    if got == code:
        return Check(exercise, True, f"caught {code}; remedy: {getattr(error, 'remedy', '')}")
    return Check(exercise, False, f"caught {got or type(error).__name__}, expected {code}")


def check_share(session: Session, exercise: str, interval: str, answer: float | None) -> Check:
    """The trainee's recorded share of the voice calls started in ``interval`` in their org,
    checked against the sandbox's own records (its control plane), not against the same query."""
    from .discover import sandbox_control
    from .intervals import parse_interval

    control = sandbox_control(session)
    if control is None:
        return Check(exercise, False, "this check needs the sandbox")
    if answer is None:
        return Check(exercise, False, "no answer yet: compute the share and run the cell again")
    start, end = parse_interval(interval)
    client_id = session.client.principal.removeprefix("client:")
    org = next((c["org"] for c in control.clients() if c["clientId"] == client_id), None)
    calls = [c for c in control.conversations(org=org, limit=1_000_000) if c["mediaType"] == "call"
             and start <= datetime.fromisoformat(c["startTime"].replace("Z", "+00:00")) < end]
    truth = sum(1 for c in calls if c["recordingIds"]) / len(calls) if calls else 0.0
    if abs(float(answer) - truth) < 0.0005:
        return Check(exercise, True, f"{truth:.1%} of {len(calls)} calls were recorded")
    return Check(exercise, False, f"{float(answer):.1%} is not it (the sandbox counts {truth:.1%} of "
                 f"{len(calls)}); hint: the mean of the 'recorded' column of rc.interval(..., media_type='voice')")
