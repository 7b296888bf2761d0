"""Events and REST re-reads → ``Transition``s: per conversation and participant the last known
recording state, so each observation becomes old → new, emitted once.

Event bodies spell states in lower case (``paused``); a ``Transition`` carries the REST spelling
(``ACTIVE``, ``PAUSED``, ``NONE``). A change of the state, of the secure pause or of the hold is a
transition; an observation equal to the last known one is none (so an event that repeats what a
re-read already showed, or a second delivery, is never a second transition).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class Transition:
    conversation_id: str
    participant_id: str
    old: str | None  # None: the participant was not known before (first seen)
    new: str  # ACTIVE | PAUSED | NONE
    secure_pause: bool
    held: bool
    at: datetime
    topic: str  # the event's topic, or "rest" for a re-read
    recovered: bool = False  # emitted from a REST re-read after a gap

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"] = self.at.isoformat()
        return d


@dataclass(frozen=True)
class Observation:
    conversation_id: str
    participant_id: str
    state: str
    secure_pause: bool
    held: bool


def rest_state(value: Any) -> str:
    """The REST spelling of a recording state: ``paused`` → ``PAUSED``; missing → ``NONE``."""
    text = str(value or "").strip().upper()
    return text or "NONE"


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return None


def observe_event(body: Any) -> list[Observation]:
    """The participants' states in a conversation event body (a JSON mapping, or an SDK model such
    as ``QueueConversationCallEventTopicCallConversation``)."""
    cid = _get(body, "id")
    if not cid:
        return []
    conv_state = _get(body, "recordingState", "recording_state")
    conv_secure = bool(_get(body, "securePause", "secure_pause"))
    out = []
    for p in _get(body, "participants") or []:
        pid = _get(p, "id")
        if not pid:
            continue
        state = _get(p, "recordingState", "recording_state")
        secure = _get(p, "securePause", "secure_pause")
        out.append(Observation(str(cid), str(pid), rest_state(state if state is not None else conv_state),
                               conv_secure if secure is None else bool(secure), bool(_get(p, "held"))))
    return out


def observe_conversation(conv: Any) -> list[Observation]:
    """The participants' states in a REST ``Conversation`` (``GET /api/v2/conversations/{id}``):
    each participant's last call session, else the conversation's state."""
    conv_state = rest_state(conv.recording_state)
    conv_secure = bool(conv.secure_pause)
    out = []
    for p in conv.participants or []:
        calls = p.calls or []
        call = calls[-1] if calls else None
        state = rest_state(call.recording_state) if call is not None and call.recording_state else conv_state
        secure = call.secure_pause if call is not None and call.secure_pause is not None else conv_secure
        held = bool(call.held) if call is not None else False
        out.append(Observation(conv.id, p.id, state, bool(secure), held))
    return out


class Tracker:
    """The last known state per (conversation, participant); thread-safe."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], Observation] = {}
        self._lock = threading.Lock()

    def conversations(self) -> list[str]:
        with self._lock:
            return list(dict.fromkeys(c for c, _ in self._known))

    def forget(self, conversation_id: str) -> None:
        with self._lock:
            for key in [k for k in self._known if k[0] == conversation_id]:
                del self._known[key]

    def feed(self, observations: list[Observation], topic: str, at: datetime | None = None,
             recovered: bool = False, baseline: bool = False) -> list[Transition]:
        """The transitions these observations make; ``baseline`` only records them (start)."""
        at = at or datetime.now(timezone.utc)
        out = []
        with self._lock:
            for o in observations:
                key = (o.conversation_id, o.participant_id)
                last = self._known.get(key)
                self._known[key] = o
                if baseline or (last is not None and (last.state, last.secure_pause, last.held)
                                == (o.state, o.secure_pause, o.held)):
                    continue
                out.append(Transition(o.conversation_id, o.participant_id, last.state if last else None,
                                      o.state, o.secure_pause, o.held, at, topic, recovered))
        return out
