"""A scenario's orphan recordings (``"orphans": [...]`` of an org; POST-free: scenarios only).

``{"id", "orphanStatus", "conversationId"?, "fromConversation"?, "createdSecondsAgo"?,
"durationSeconds"?, "mediaType"?}``: with ``fromConversation`` the named conversation's policy
recording leaves it and becomes this orphan (the same recording id), the demo's "orphaned" gap (the
conversation then reads as not recorded, its recording never having reached it);
without it the orphan brings a recording of its own (id derived from the orphan's), naming
``conversationId`` (``UNKNOWN_CONVERSATION``: an id the org does not know) or nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.models import Recording, derived_id
from ..model.orphans import MEDIA_TYPES, ORPHAN_STATUSES, Orphan
from ..model.specs import reject_unknown

if TYPE_CHECKING:
    from ..model.state import SandboxState

ORPHAN_KEYS = {"id", "orphanStatus", "conversationId", "fromConversation", "createdSecondsAgo", "durationSeconds",
               "mediaType"}


def _number(spec: dict[str, Any], key: str, default: float) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"orphan '{key}' must be a number >= 0")
    return float(value)


def create_orphan(state: SandboxState, spec: Any, org: str) -> Orphan:
    if not isinstance(spec, dict):
        raise ValueError("each orphan must be a JSON object")
    reject_unknown(spec, ORPHAN_KEYS, "orphan")
    oid = spec.get("id")
    if not isinstance(oid, str) or not oid:
        raise ValueError("an orphan needs an 'id'")
    status = spec.get("orphanStatus", "CONVERSATION_NOT_COMPLETE")
    if status not in ORPHAN_STATUSES:
        raise ValueError(f"'orphanStatus' must be one of {', '.join(ORPHAN_STATUSES)}")
    media = spec.get("mediaType", "CALL")
    if media not in MEDIA_TYPES:
        raise ValueError(f"orphan 'mediaType' must be one of {', '.join(MEDIA_TYPES)}")
    cid = spec.get("conversationId") or ""
    now = state.clock.now()
    created = now - _number(spec, "createdSecondsAgo", 3600)
    with state.lock:
        if spec.get("fromConversation"):
            conv = state.conversation(org, cid)
            policy = [r for r in conv.recordings if r.role == "CUSTOMER_EXPERIENCE"] if conv else []
            if conv is None or not policy or conv.org != org:
                raise ValueError(f"orphan {oid}: 'fromConversation' needs a recorded conversation of the org, "
                                 f"not {cid!r}")
            rec = policy[0]
            state.detach_recording(conv, rec)
            created = max(created, rec.end or rec.start)
        else:
            duration = _number(spec, "durationSeconds", 120)
            rec = Recording(id=derived_id("recording", "orphan", oid), conversation_id=cid, role="CUSTOMER_EXPERIENCE",
                            start=created - duration - 60, end=created - 60)
        return state.add_orphan(Orphan(id=oid, org=org, created=created, status=status, recording=rec,
                                       media_type=media, ready_at=created))
