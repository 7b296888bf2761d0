"""Finding something to work on, so notebooks run unchanged on the sandbox and on a real org."""

from __future__ import annotations

from typing import TYPE_CHECKING

from recops.genesys.errors import ConfigError
from recops.genesys.intervals import last

if TYPE_CHECKING:
    from recops.session import Session

# The demo scenario's first live, recorded call (recops/sandbox/scenarios/demo.json).
DEMO_CONVERSATION = "c0a80001-0000-4000-8000-000000000001"
DEMO_ENDED_CONVERSATION = "c0a80001-0000-4000-8000-000000000006"


def _pick(session: Session, hours: float, ended: bool, demo_id: str, what: str, parameter: str) -> str:
    # no progress bar: in Jupyter it is a widget that closes when the read ends, and an app
    # (Voila) that built itself with it shows "Error displaying widget: model not found" there
    frame = session.interval(last(hours), media_type="voice", progress=False)
    mask = frame["ended"].astype(bool)
    if ended:
        mask &= frame["recorded"].astype(bool)
    else:
        mask = ~mask
    ids = [str(x) for x in frame[mask]["conversation_id"]]
    if session.is_sandbox and demo_id in ids:
        return demo_id
    if not ids:
        raise ConfigError(f"no {what} voice conversation started in the last {hours:g} hours",
                          f"pass a conversation id as the notebook's {parameter} parameter")
    return ids[-1]


def live_conversation(session: Session, hours: float = 24.0) -> str:
    """A live (not ended) voice conversation: the demo's first call on the sandbox, otherwise
    the most recently started one found by the analytics details query."""
    return _pick(session, hours, False, DEMO_CONVERSATION, "live", "conversation_id")


def ended_conversation(session: Session, hours: float = 24.0) -> str:
    """An ended, recorded voice conversation (the demo's on the sandbox, else the latest)."""
    return _pick(session, hours, True, DEMO_ENDED_CONVERSATION, "ended, recorded", "ended_conversation_id")


DEMO_ADHOC_CONVERSATION = "c0a80001-0000-4000-8000-000000000004"


def workflow_conversation(session: Session, fallback: str) -> str:
    """On the sandbox, the demo call whose agent records ad hoc (pause, resume, then stop make
    sense there); elsewhere ``fallback``."""
    return DEMO_ADHOC_CONVERSATION if session.is_sandbox else fallback


def sandbox_control(session: Session):  # -> SandboxClient | None
    """The sandbox's control plane (faults, settings, clock), or None on a real org. It acts as
    the session's client: on a training room that is the seat (RECOPS_SEAT_CARD), so its
    ``reset()`` resets that seat's org only."""
    if not session.is_sandbox:
        return None
    from recops.api.targets import control_client

    session.client.api_client  # noqa: B018 - resolves the sandbox URL
    assert session.client.base_url is not None
    return control_client(session.client.base_url, session.client.credentials, session.settings.seat)


# The demo scenario's supervisor user (Sam), in no conversation, who may pause others.
DEMO_SECOND_SUPERVISOR = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1009"


def second_supervisor(session: Session) -> Session | None:
    """On the sandbox, a second identity that may pause others: the demo's supervisor user,
    acting with a token the sandbox mints (``as_sandbox_user``). None on a real org: there,
    connect a second supervisor yourself (``recops.connect(access_token=...)``)."""
    if not session.is_sandbox:
        return None
    return session.as_sandbox_user(DEMO_SECOND_SUPERVISOR)


def queue_of(session: Session, conversation_id: str, hours: float = 24.0) -> str:
    """The queue a conversation went through (the analytics details query): its name when the
    client may read queue names, else its id; either is what ``rc.watch(queues=[...])`` takes."""
    frame = session.interval(last(hours), media_type="voice", progress=False)
    rows = frame[frame["conversation_id"] == conversation_id]
    ids = [i.strip() for i in str(rows.iloc[0]["queue_ids"] or "").split(",") if i.strip()] if len(rows) else []
    if not ids:
        raise ConfigError(f"conversation {conversation_id} went through no queue in the last {hours:g} hours",
                          "pass a queue name or id as the notebook's watch_queue parameter")
    return session.names.queues(ids[:1]).get(ids[0]) or ids[0]
