"""Who may start or stop a participant's ad-hoc recording, and with which token — decided here,
once, for the control panel, the workflow runner and the notebooks.

``PATCH …/participants/{pid}`` ``{"recording": …}`` needs the user token of a participant on
the call (client credentials get 400 ``not.a.user``). The acting session is:

1. one given explicitly (``actor=``: e.g. a session built with a user's token);
2. the session itself, when it holds a user token whose user is an active participant (or
   whose user cannot be read: the API then decides);
3. on the sandbox, the first active participant who is a user (the agent), with a token the
   sandbox mints (``Session.as_sandbox_user``, once per user);
4. nobody, otherwise — with the reason and what to do.

Each participant can then be started or stopped if the call is live, the participant is
connected, the media is a call (only a call carries a participant's recording flag) and the
ad-hoc recorder is not already in that state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from recops.genesys.errors import InvalidTransition

if TYPE_CHECKING:
    from recops.session import Session

    from .recording import ParticipantState, RecordingStatus

NEEDS_USER_TOKEN = ("start/stop needs the user token of a participant on the call: connect with "
                    "access_token=<their token> (GENESYSCLOUD_ACCESS_TOKEN)")


@dataclass(frozen=True)
class ParticipantRights:
    participant: ParticipantState
    can_start: bool
    can_stop: bool
    reason: str | None  # why neither is possible (None when one is)

    @property
    def participant_id(self) -> str:
        return self.participant.id


@dataclass(frozen=True)
class AdhocRights:
    """The decision for one conversation, as read in ``status``."""

    status: RecordingStatus
    actor: Session | None  # the session that sends the PATCH; None: nobody here can
    actor_participant_id: str | None  # the participant whose token it is, when known
    reason: str | None  # why there is no actor
    participants: tuple[ParticipantRights, ...]

    def of(self, participant_id: str) -> ParticipantRights:
        for rights in self.participants:
            if rights.participant_id == participant_id:
                return rights
        self.status.participant(participant_id)  # raises, naming the participants there are
        raise InvalidTransition(f"no participant {participant_id}")  # pragma: no cover - raised above

    def allows(self, action: str, participant_id: str) -> bool:
        rights = self.of(participant_id)
        return rights.can_start if action == "start" else rights.can_stop


def recording_agent(status: RecordingStatus) -> ParticipantState | None:
    """The first active participant who is a user (an agent): whose token may start/stop."""
    return next((p for p in status.participants if p.user_id and p.active), None)


def _actor(session: Session, status: RecordingStatus) -> tuple[Session | None, str | None, str | None]:
    """(acting session, its participant id, reason if none)."""
    if session.settings.access_token:
        user_id = session.client.user_id
        if user_id is None:
            return session, None, None
        mine = next((p for p in status.participants if p.user_id == user_id and p.active), None)
        if mine is None:
            return None, None, (f"the token's user {user_id} is not an active participant of this call; "
                                f"{NEEDS_USER_TOKEN}")
        return session, mine.id, None
    if session.is_sandbox:
        agent = recording_agent(status)
        if agent is None or agent.user_id is None:
            return None, None, "no active user (agent) on the call whose token could start/stop"
        return session.as_sandbox_user(agent.user_id), agent.id, None
    return None, None, NEEDS_USER_TOKEN


def _participant_rights(p: ParticipantState, status: RecordingStatus, reason_no_actor: str | None,
                        has_actor: bool) -> ParticipantRights:
    if status.ended:
        why: str | None = "the call has ended"
    elif not p.active:
        why = f"the participant is {p.state or 'not connected'}"
    elif p.media != "call":
        why = f"ad-hoc recording is set per participant on calls only (this is {p.media or 'no media'})"
    elif not has_actor:
        why = reason_no_actor
    else:
        return ParticipantRights(p, can_start=not p.adhoc, can_stop=p.adhoc, reason=None)
    return ParticipantRights(p, can_start=False, can_stop=False, reason=why)


def adhoc_rights(session: Session, status: RecordingStatus, actor: Session | None = None) -> AdhocRights:
    """Who may start/stop each participant's ad-hoc recording in ``status``, and with which
    session (``actor``, if given, is used as is)."""
    if actor is not None:
        acting, pid, reason = actor, None, None
    else:
        acting, pid, reason = _actor(session, status)
    rights = tuple(_participant_rights(p, status, reason, acting is not None) for p in status.participants)
    return AdhocRights(status, acting, pid, reason, rights)
