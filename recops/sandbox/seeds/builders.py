"""Build conversations, clients and users from control-plane / scenario JSON, and seed history.

Every validation failure is a ``ValueError`` whose text says what to send instead; the
control plane turns it into a 400.
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from ..model.clock import parse_iso
from ..model.models import (
    DEFAULT_ORG,
    FILE_STATES,
    MEDIA_TYPES,
    PURPOSES,
    SESSION_STATES_ON_CREATE,
    Conversation,
    Participant,
    Session,
    derived_id,
    new_id,
)
from ..model.permissions import DEFAULT_AGENT_PERMISSIONS, valid_permission
from ..model.specs import reject_unknown
from ..model.state import SandboxState
from .history import seed_generated
from .names import agent_name as seeded_agent_name
from .names import seed_queues
from .pauses import PAUSE_SEED_KEYS, PauseRatios, apply_pauses, plan_pauses
from .spec import FILE_STATE_RATIOS, RATIO_DEFAULTS, seed_fields, seeded_file_state

CONVERSATION_KEYS = {
    "id", "org", "mediaType", "recording", "queueId", "direction", "externalTag", "divisionId",
    "holdSuppression", "securePause", "startedSecondsAgo", "startTime", "participants", "ended",
    "durationSeconds", "fileState",
}
PARTICIPANT_KEYS = {"id", "purpose", "name", "userId", "queueId", "address", "ani", "dnis", "state",
                    "recording", "held", "direction"}


def _uuid_or_new(value: Any, what: str) -> str:
    if value is None:
        return new_id()
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{what}' must be a non-empty string")
    return value


def _bool(spec: dict[str, Any], key: str, default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"'{key}' must be true or false")
    return value


def _str(spec: dict[str, Any], key: str) -> str | None:
    value = spec.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"'{key}' must be a non-empty string")
    return value


def permissions_from(value: Any, what: str = "permissions") -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(valid_permission(p) for p in value):
        raise ValueError(f"'{what}' must be a list of 'domain:entity:action' strings, e.g. "
                         "[\"conversation:recording:pauseOthers\"]")
    return tuple(value)


def default_participants() -> list[dict[str, Any]]:
    return [
        {"purpose": "customer", "name": "Customer", "ani": "tel:+13175550100", "address": "tel:+13175550100"},
        {"purpose": "agent", "name": "Agent", "userId": new_id()},
    ]


def build_conversation(state: SandboxState, spec: Any, org: str | None = None) -> Conversation:
    """A conversation from ``POST /_sandbox/conversations`` JSON (not yet added to state)."""
    if not isinstance(spec, dict):
        raise ValueError("a conversation must be a JSON object")
    unknown = set(spec) - CONVERSATION_KEYS
    if unknown:
        raise ValueError(f"unknown conversation field(s) {sorted(unknown)}; known: {sorted(CONVERSATION_KEYS)}")
    media = spec.get("mediaType", "call")
    if media not in MEDIA_TYPES:
        raise ValueError(f"'mediaType' must be one of {', '.join(MEDIA_TYPES)}")
    direction = spec.get("direction", "inbound")
    if direction not in ("inbound", "outbound"):
        raise ValueError("'direction' must be inbound or outbound")
    now = state.clock.now()
    if "startTime" in spec:
        try:
            start = parse_iso(spec["startTime"])
        except ValueError:
            raise ValueError("'startTime' must be an ISO-8601 datetime") from None
    else:
        ago = spec.get("startedSecondsAgo", 0)
        if isinstance(ago, bool) or not isinstance(ago, (int, float)) or ago < 0:
            raise ValueError("'startedSecondsAgo' must be a number >= 0")
        start = now - ago
    queue_id = _str(spec, "queueId")
    part_specs = spec.get("participants")
    if part_specs is None:
        part_specs = default_participants()
    if not isinstance(part_specs, list) or not part_specs:
        raise ValueError("'participants' must be a non-empty list of {purpose, name?, userId?, ...}")
    conv_id = _uuid_or_new(spec.get("id"), "id")
    # ids not given are derived from the conversation's: a scenario's org is the same in every process
    participants = [_participant(p, media, direction, start, queue_id, f"{conv_id}/{i}")
                    for i, p in enumerate(part_specs)]
    ids = [p.id for p in participants]
    if len(set(ids)) != len(ids):
        raise ValueError("participant ids must be unique")
    conv = Conversation(
        id=conv_id,
        org=org or _str(spec, "org") or DEFAULT_ORG,
        media_type=media,
        start_time=start,
        participants=participants,
        policy_recording=_bool(spec, "recording", True),
        direction=direction,
        queue_id=queue_id,
        external_tag=_str(spec, "externalTag"),
        hold_suppression=_bool(spec, "holdSuppression", False),
    )
    if spec.get("divisionId") is not None:
        conv.division_id = _str(spec, "divisionId") or conv.division_id
    if spec.get("fileState", "AVAILABLE") not in FILE_STATES:
        raise ValueError(f"'fileState' (of the conversation's recordings) must be one of {', '.join(FILE_STATES)}")
    return conv


def _participant(spec: Any, media: str, direction: str, start: float, queue_id: str | None,
                 where: str) -> Participant:
    """A participant from its JSON; ``where`` (conversation id / index) derives the ids it does not give."""
    if not isinstance(spec, dict):
        raise ValueError("each participant must be a JSON object")
    unknown = set(spec) - PARTICIPANT_KEYS
    if unknown:
        raise ValueError(f"unknown participant field(s) {sorted(unknown)}; known: {sorted(PARTICIPANT_KEYS)}")
    purpose = spec.get("purpose")
    if purpose not in PURPOSES:
        raise ValueError(f"participant 'purpose' must be one of {', '.join(PURPOSES)}")
    state = spec.get("state", "connected")
    if state not in SESSION_STATES_ON_CREATE:
        raise ValueError(f"participant 'state' must be one of {', '.join(SESSION_STATES_ON_CREATE)}")
    pdir = spec.get("direction", direction)
    if pdir not in ("inbound", "outbound"):
        raise ValueError("participant 'direction' must be inbound or outbound")
    user_id = _str(spec, "userId")
    pid = spec.get("id")
    return Participant(
        id=derived_id("participant", where) if pid is None else _uuid_or_new(pid, "participant id"),
        purpose=purpose,
        name=_str(spec, "name") or purpose.title(),
        start_time=start,
        session=Session(
            id=derived_id("session", where), media=media, state=state, direction=pdir,
            connected_time=start if state == "connected" else None,
        ),
        user_id=user_id,
        queue_id=_str(spec, "queueId") or (queue_id if purpose in ("acd", "agent") else None),
        address=_str(spec, "address"),
        ani=_str(spec, "ani"),
        dnis=_str(spec, "dnis"),
    )


def create_conversation(state: SandboxState, spec: dict[str, Any], org: str | None = None) -> Conversation:
    """Build, add, then apply the initial ad-hoc/hold/secure-pause/ended flags of the spec."""
    conv = build_conversation(state, spec, org)
    with state.lock:
        state.add_conversation(conv)
        t = conv.start_time
        for p, pspec in zip(conv.participants, spec.get("participants") or [], strict=False):
            if _bool(pspec, "recording", False):
                state.set_adhoc(conv, p, True, t)
            if _bool(pspec, "held", False):
                state.set_held(conv, p, True, t)
        if _bool(spec, "securePause", False):
            state.set_recording_state(conv, "PAUSED", t, "noop")
        if _bool(spec, "ended", False):
            duration = spec.get("durationSeconds", 60)
            if isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0:
                raise ValueError("'durationSeconds' must be a number >= 0")
            state.disconnect(conv, now=min(conv.start_time + duration, state.clock.now()))
        if spec.get("fileState") not in (None, "AVAILABLE"):
            for rec in conv.recordings:
                state.set_file_state(conv, rec, spec["fileState"])
    return conv


def create_client(state: SandboxState, spec: Any, org: str | None = None):
    if not isinstance(spec, dict):
        raise ValueError("a client must be a JSON object {\"permissions\": [...], \"org\"?, \"name\"?}")
    known = {"permissions", "org", "name", "clientId", "clientSecret", "grants", "tokenLifetimeSeconds"}
    reject_unknown(spec, known, "client")
    grants = spec.get("grants", ["client_credentials"])
    if not isinstance(grants, list) or not all(isinstance(g, str) for g in grants):
        raise ValueError("'grants' must be a list such as [\"client_credentials\"]")
    lifetime = spec.get("tokenLifetimeSeconds")
    if lifetime is not None and (isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1):
        raise ValueError("'tokenLifetimeSeconds' must be a whole number >= 1")
    return state.add_client(
        permissions_from(spec.get("permissions")),
        org=org or _str(spec, "org") or DEFAULT_ORG,
        name=_str(spec, "name") or "sandbox client",
        client_id=_str(spec, "clientId"),
        secret=_str(spec, "clientSecret"),
        grants=tuple(grants),
        token_lifetime_seconds=lifetime,
    )


def create_user(state: SandboxState, spec: Any, org: str | None = None):
    if not isinstance(spec, dict):
        raise ValueError("a user must be a JSON object {\"userId\"?, \"name\"?, \"permissions\"?, \"org\"?}")
    known = {"userId", "id", "name", "org", "permissions"}
    reject_unknown(spec, known, "user")
    perms = spec.get("permissions")
    return state.add_user(
        org=org or _str(spec, "org") or DEFAULT_ORG,
        user_id=_str(spec, "userId") or _str(spec, "id"),
        name=_str(spec, "name"),
        permissions=DEFAULT_AGENT_PERMISSIONS if perms is None else permissions_from(perms),
    )


# --- synthetic history --------------------------------------------------------------------------


def seed_history(state: SandboxState, spec: Any) -> dict[str, Any]:
    """N ended conversations over an interval, deterministic from ``seed``.

    ``{"count": 10000, "seed": 42, "interval": "start/end"?, "org"?, "recordedRatio": 0.8,
    "securePauseRatio": 0.1, "adhocRatio": 0.05, "queues": 4, "agents": 12,
    "holdRatio": 0.2, "holdSuppressionRatio": 0.5, "unresumedPauseRatio": 0.15,
    "archivedRatio": 0, "deletedRatio": 0}`` (pauses: pauses.py; file marks: spec.py)
    The default interval is the 7 days up to now.
    """
    if not isinstance(spec, dict):
        raise ValueError("seed takes a JSON object such as {\"count\": 1000, \"seed\": 42}")
    if spec.get("generated"):
        return seed_generated(state, spec)  # a history computed per index, never materialised
    known = {"count", "seed", "interval", "org", "recordedRatio", "securePauseRatio", "adhocRatio",
             "queues", "agents", "generated", *FILE_STATE_RATIOS} | set(PAUSE_SEED_KEYS)
    reject_unknown(spec, known, "seed")
    common = seed_fields(spec, state.clock.now(), max_count=200_000,
                         count_error="'count' must be a whole number from 1 to 200000 (more: add \"generated\": true)")
    count, seed, start, end = common["count"], common["seed"], common["start"], common["end"]
    ratios = {key: common[key] for key in RATIO_DEFAULTS}
    n_queues, n_agents = common["queues"], common["agents"]
    org = _str(spec, "org") or DEFAULT_ORG
    pause_ratios = PauseRatios.from_spec(spec, ratios["securePauseRatio"])

    rng = random.Random(seed)

    def rid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    queues = seed_queues(state, org, [rid() for _ in range(n_queues)])  # named: Sales, Support, ...
    agents = [(rid(), seeded_agent_name(i)) for i in range(n_agents)]
    t0 = time.perf_counter()
    created: list[str] = []
    with state.lock:
        o = state.org(org)
        for _, (uid, name) in enumerate(agents):
            if uid not in o.users:
                state.add_user(org=org, user_id=uid, name=name)
        for _ in range(count):
            begin = start + rng.random() * (end - start)
            duration = rng.uniform(45, 900)
            queue = rng.choice(queues)
            agent_id, agent_name = rng.choice(agents)
            recorded = rng.random() < ratios["recordedRatio"]
            cid = rid()
            # the agent answers within the first third of the call, so the agent leg, its ad-hoc
            # recording (agent_start + 5 s) and its segment never start after the call ended
            agent_start = begin + min(rng.uniform(5, 60), duration / 3)
            parts = [
                _seed_participant(rng, rid, "customer", "Customer", begin, None, None),
                _seed_participant(rng, rid, "acd", "Queue", begin, None, queue),
                _seed_participant(rng, rid, "agent", agent_name, agent_start, agent_id, queue),
            ]
            parts[1].session.state = "disconnected"  # the queue leg ends when the agent answers
            parts[1].end_time = agent_start
            parts[1].session.disconnected_time = agent_start
            parts[1].session.disconnect_type = "transfer"
            pauses = plan_pauses(rng, pause_ratios, agent_start, begin + duration, recorded)  # pauses.py
            conv = Conversation(id=cid, org=org, media_type="call", start_time=begin, participants=parts,
                                policy_recording=recorded, queue_id=queue,
                                direction="inbound" if rng.random() < 0.85 else "outbound",
                                hold_suppression=pauses.hold_suppression)
            state.add_conversation(conv)
            apply_pauses(state, conv, pauses, held=parts[0])
            if rng.random() < ratios["adhocRatio"]:
                state.set_adhoc(conv, parts[2], True, agent_start + 5)
            state.disconnect(conv, now=begin + duration)
            for rec in conv.recordings:
                marked = seeded_file_state(seed, rec.id, common["archivedRatio"], common["deletedRatio"])
                if marked is not None:
                    state.set_file_state(conv, rec, marked, when=rec.end)
            created.append(cid)
    return {
        "created": len(created),
        "org": org,
        "firstId": created[0],
        "lastId": created[-1],
        "queueIds": queues,
        "agentIds": [a for a, _ in agents],
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _seed_participant(rng: random.Random, rid, purpose: str, name: str, start: float,
                      user_id: str | None, queue_id: str | None) -> Participant:
    return Participant(
        id=rid(), purpose=purpose, name=name, start_time=start,
        session=Session(id=rid(), media="call", state="connected", direction="inbound", connected_time=start),
        user_id=user_id, queue_id=queue_id,
        ani="tel:+1317555" + f"{rng.randrange(10000):04d}" if purpose == "customer" else None,
    )
