"""A pause race (notebook 04, issue 20): two identities write opposite recording states to the
same call at the same moment, from two threads, round after round.

    race = pause_race([rc, sam], conversation_id, rounds=3)   # rc pauses, sam resumes, together
    race.frame()     # each write's own answer: 200 and the state it asked for, so each "won"
    race.final       # the state the call is in now (one REST read after the last round)

``PUT /api/v2/conversations/calls/{id}/recordingstate`` answers 200 with the resulting state of
*its own* write: a pause that a resume overtakes a millisecond later still answers ``PAUSED``.
Nothing in either answer says the other write happened; the order the server applied them is
what the Notifications stream shows (``rc.watch``). That is the support story "pause returned
200 but the call kept recording".

The writes are sent as they are (no read-first check, unlike ``rc.pause``: that check is the
race's own window), each journaled (intent before, outcome after, ``before`` unknown). On a
real org the race needs ``confirm=True``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from recops.genesys.errors import ApiError, ConfirmationRequired, InvalidTransition, RecopsError

from .recording import status

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client

    from .journal import Journal

ACTIONS = {"PAUSED": "pause", "ACTIVE": "resume"}
DEFAULT_STATES = ("PAUSED", "ACTIVE")  # the first racer pauses, the second resumes


class Racer(Protocol):
    """A session (``recops.connect()``, ``rc.as_sandbox_user(...)``): its client and journal."""

    client: Client
    journal: Journal


@dataclass(frozen=True)
class RaceAnswer:
    round: int
    who: str  # the principal: client:<id> or user:<id> (<name>)
    sent: str  # the state this write asked for
    http_status: int | None
    answer: str | None  # the state the server answered for this write
    read_after: str | None  # the recording state read by this identity right after its answer
    sent_at: datetime
    answered_at: datetime
    context_id: str | None
    error: str | None = None


@dataclass
class RaceResult:
    conversation_id: str
    answers: list[RaceAnswer]
    final: str  # the call's recording state after the last round (REST)
    final_secure_pause: bool

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([asdict(a) for a in self.answers],
                            columns=list(RaceAnswer.__dataclass_fields__))

    def summary(self) -> str:
        ok = [a for a in self.answers if a.error is None]
        own = sum(a.answer == a.sent for a in ok)
        return (f"{len(self.answers)} writes in {max((a.round for a in self.answers), default=0)} rounds: "
                f"{len(ok)} answered 2xx, {own} of them with the very state they asked for; "
                f"the call is {self.final} now (securePause {str(self.final_secure_pause).lower()}). "
                "Which write landed last is in no answer: the stream shows it.")


def pause_race(racers: Sequence[Racer], conversation_id: str, rounds: int = 3,
               states: Sequence[str] = DEFAULT_STATES, confirm: bool = False) -> RaceResult:
    """Each round, every racer sends its state (``states[i]``) at the same moment (a barrier);
    the rounds follow each other. Failures are kept as answers (``error``), never raised."""
    if len(racers) != len(states) or len(racers) < 2:
        raise ValueError("pass two or more racers and one state for each")
    if any(s not in ACTIONS for s in states):
        raise ValueError(f"states must be PAUSED or ACTIVE, not {list(states)}")
    if rounds < 1:
        raise ValueError("rounds must be 1 or more")
    first = racers[0].client
    if not first.target.is_sandbox and not confirm:
        raise ConfirmationRequired(
            f"a pause race on {conversation_id} pauses and resumes a live call on the {first.describe()}; "
            "nothing was read or sent")
    before = status(first, conversation_id, with_recordings=False)
    if before.ended:
        raise InvalidTransition(f"cannot race on conversation {conversation_id}: the call has ended",
                                "pick a live call (recording state can only change on a live conversation)")
    if before.media_type != "call":
        raise InvalidTransition(f"conversation {conversation_id} is not a call ({before.media_type})",
                                "a pause race needs a voice call")
    who = [r.client.principal for r in racers]  # read before the race: a user token's name is a request
    answers: list[RaceAnswer] = []
    lock = threading.Lock()
    for n in range(1, rounds + 1):
        barrier = threading.Barrier(len(racers))
        threads = [threading.Thread(target=_write, name=f"recops-race-{n}-{i}",
                                    args=(r, who[i], conversation_id, states[i], n, barrier, answers, lock))
                   for i, r in enumerate(racers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    after = status(first, conversation_id, with_recordings=False)
    answers.sort(key=lambda a: (a.round, a.answered_at))
    return RaceResult(conversation_id, answers, after.recording_state, bool(after.secure_pause))


def _write(racer: Racer, who: str, cid: str, state: str, n: int, barrier: threading.Barrier,
           out: list[RaceAnswer], lock: threading.Lock) -> None:
    client, journal = racer.client, racer.journal
    sdk = client.sdk()
    body = sdk.SetRecordingState()
    body.recording_state = state
    path = f"/api/v2/conversations/calls/{cid}/recordingstate"
    api = client.conversations_api
    jid = journal.intent(target=client.describe(), principal=who, action=ACTIONS[state], conversation_id=cid,
                         participant_id=None, endpoint=f"PUT {path}", request={"recordingState": state},
                         before=None, desired=state)
    answer: Any = None
    error = None
    read_after = None
    with contextlib.suppress(threading.BrokenBarrierError):  # the other never came: send anyway, alone
        barrier.wait(timeout=60)
    sent_at = datetime.now(timezone.utc)
    try:
        answer = client.call("PUT", path, api.put_conversations_call_recordingstate, cid, body)
    except ApiError as e:
        error = f"{e.status} {e.code}: {e.genesys_message}"
        if e.status >= 500:  # says nothing of whether the change was made: in doubt
            journal.note(jid, f"answered {e.status} {e.code}, in doubt: {e.genesys_message}",
                         http_status=e.status, error_code=e.code, context_id=e.context_id)
        else:
            journal.outcome(jid, status="failed", http_status=e.status, error_code=e.code,
                            context_id=e.context_id, message=e.genesys_message)
    except RecopsError as e:
        error = e.message
        journal.note(jid, f"no answer, in doubt: {e.message}")
    answered_at = datetime.now(timezone.utc)
    http_status, context_id = client.last_status(), client.last_context_id()
    if error is None:
        journal.outcome(jid, status="applied", after=str(answer), http_status=http_status, context_id=context_id,
                        message="a pause race: the answer is this write's own result")
        try:
            read_after = status(client, cid, with_recordings=False).recording_state
        except RecopsError:
            read_after = None
    with lock:
        out.append(RaceAnswer(n, who, state, http_status, None if answer is None else str(answer), read_after,
                              sent_at, answered_at, context_id, error))
