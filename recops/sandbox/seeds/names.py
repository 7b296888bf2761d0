"""Names for the sandbox's directory: queues from scenario JSON, and the queue and agent names the
history seed gives out (deterministic: the i-th seeded queue or agent always has the same name).
"""

from __future__ import annotations

from typing import Any

from ..model.models import DEFAULT_ORG, Queue
from ..model.specs import reject_unknown
from ..model.state import SandboxState

QUEUE_NAMES = (
    "Sales", "Support", "Billing", "Retention", "Technical Support", "Claims", "Collections",
    "Onboarding", "Renewals", "Escalations", "Payments", "Returns",
)
FIRST_NAMES = (
    "Alice", "Bruno", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Keira", "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tara",
)
LAST_NAMES = (
    "Martin", "Okafor", "Dubois", "Silva", "Novak", "Haddad", "Kim", "Tanaka", "Moreau", "Berg",
    "Walsh", "Ortiz", "Rossi", "Patel", "Ivanova", "Nguyen", "Keller", "Costa", "Lund", "Shah",
)


def queue_name(i: int) -> str:
    """The i-th seeded queue's name: the list above, then ``Queue 13``, ``Queue 14``, ..."""
    return QUEUE_NAMES[i] if i < len(QUEUE_NAMES) else f"Queue {i + 1}"


def agent_name(i: int) -> str:
    """The i-th seeded agent's name; unique for the first 400, then numbered."""
    n = len(FIRST_NAMES)
    if i < n * len(LAST_NAMES):
        return f"{FIRST_NAMES[i % n]} {LAST_NAMES[(i // n + i) % len(LAST_NAMES)]}"
    return f"Agent {i + 1}"


def seed_queues(state: SandboxState, org: str, ids: list[str]) -> list[str]:
    """Add and name the seeded queues, skipping names the org already uses (a scenario's live
    "Sales" queue keeps its conversations to itself). Returns the queue ids."""
    with state.lock:
        taken = {q.name for q in state.org(org).queues.values()}
        i = 0
        for qid in ids:
            while queue_name(i) in taken:
                i += 1
            state.add_queue(org=org, queue_id=qid, name=queue_name(i))
            taken.add(queue_name(i))
        return ids


def create_queue(state: SandboxState, spec: Any, org: str | None = None) -> Queue:
    """A queue from scenario or ``POST /_sandbox/queues`` JSON
    ``{"queueId"?, "name", "description"?, "org"?}``."""
    if not isinstance(spec, dict):
        raise ValueError("a queue must be a JSON object {\"queueId\"?, \"name\", \"description\"?, \"org\"?}")
    known = {"queueId", "id", "name", "description", "org"}
    reject_unknown(spec, known, "queue")
    for key in known:
        value = spec.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"queue '{key}' must be a non-empty string")
    if not spec.get("name"):
        raise ValueError("a queue needs a 'name', e.g. {\"name\": \"Sales\"}")
    org = org or spec.get("org") or DEFAULT_ORG
    queue_id = spec.get("queueId") or spec.get("id")
    with state.lock:
        if queue_id in state.org(org).queues:
            raise ValueError(f"queue {queue_id!r} already exists in org {org!r}")
        return state.add_queue(org=org, queue_id=queue_id, name=spec["name"], description=spec.get("description"))
