"""Self-checks for the training walkthrough: each compares an answer, or the state the trainee
was asked to reach, with the live state, and says what to try when it is not right."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .session import Session


@dataclass(frozen=True)
class Check:
    exercise: str
    passed: bool
    detail: str

    def __str__(self) -> str:
        mark = "✅" if self.passed else "❌"
        return f"{mark} {self.exercise}: {self.detail}"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython shows the verdict, not the repr
        p.text(str(self))


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
