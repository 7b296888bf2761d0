"""Notification event bodies (issue 20): a conversation or a recording rendered as the
``eventBody`` of the documented topic classes, and which topics a conversation's change
touches.

Field names are the SDK's ``attribute_map`` of ``ConversationCallEventTopicCallConversation`` /
``QueueConversationCallEventTopicCallConversation`` (``….conversations.calls``),
``ConversationEventTopicConversation`` / ``QueueConversationEventTopicConversation``
(``….conversations``), ``RecordingEventRecording`` (``v2.users.{id}.conversations.{cid}.recordings``)
and ``RecordingArchiveRestoreTopicRecording`` (``v2.users.{id}.recordings``) [documented: S269].
Recording states are lower case on the call topics [documented]; the conversation-level one on
``….conversations`` is a free string (the ``eventConversationRecordingStateCase`` assumption);
``recordersState`` values are free strings (``RECORDER_STATE_*``, unpublished): the REST ones.
Absent fields are omitted, never ``null``. No clock is read here: a body is a function of the
conversation (and, for a recording, of the file state the caller computed).
"""

from __future__ import annotations

from typing import Any

from .clock import iso
from .models import MEDIA_TYPES, Conversation, Participant, Recording

CALLS = "conversations.calls"
CONVERSATIONS = "conversations"


def put_present(out: dict[str, Any], key: str, value: Any) -> None:
    """``out[key] = value`` unless ``value`` is None (the wire leaves absent fields out); the REST
    renderings (``services/render.py``) use these three too."""
    if value is not None:
        out[key] = value


def iso_or_none(epoch: float | None) -> str | None:
    return None if epoch is None else iso(epoch)


def recorders_state(conv: Conversation, p: Participant) -> dict[str, str]:
    return {
        "adhocState": conv.recorder_state(p.session.adhoc),
        "customerExperienceState": conv.recorder_state(conv.policy_recording),
        "agentExperienceState": "NONE",
        "snippetState": "NONE",
    }


def _divisions(conv: Conversation) -> list[dict[str, Any]]:
    return [{"division": {"id": conv.division_id}, "entities": [{"id": conv.id}]}]


def call_participant(conv: Conversation, p: Participant) -> dict[str, Any]:
    """``ConversationCallEventTopicCallMediaParticipant`` (same fields on the queue class)."""
    s = p.session
    out: dict[str, Any] = {"id": p.id, "name": p.name}
    put_present(out, "address", p.address)
    out["startTime"] = iso(p.start_time)
    put_present(out, "connectedTime", iso_or_none(s.connected_time))
    put_present(out, "endTime", iso_or_none(p.end_time))
    out["purpose"] = p.purpose
    out["state"] = s.state
    out["initialState"] = "alerting" if s.direction == "inbound" else "dialing"
    out["direction"] = s.direction
    put_present(out, "disconnectType", s.disconnect_type)
    out["held"] = s.held
    out["wrapupRequired"] = False
    if p.user_id:
        out["user"] = {"id": p.user_id}
    if p.queue_id:
        out["queue"] = {"id": p.queue_id}
    out["provider"] = "Edge"
    out["muted"] = s.muted
    out["confined"] = s.confined
    out["recording"] = conv.participant_recorded(p)
    out["recordingState"] = conv.recording_state().lower()
    out["recordersState"] = recorders_state(conv, p)
    out["securePause"] = conv.secure_pause
    put_present(out, "ani", p.ani)
    put_present(out, "dnis", p.dnis)
    return out


def call_conversation(conv: Conversation) -> dict[str, Any]:
    """The eventBody of ``v2.users.{id}.conversations.calls`` and ``v2.routing.queues.{id}.conversations.calls``."""
    return {
        "id": conv.id,
        "participants": [call_participant(conv, p) for p in conv.participants],
        "divisions": _divisions(conv),
        "recordingState": conv.recording_state().lower(),
        "securePause": conv.secure_pause,
    }


def _call(conv: Conversation, p: Participant) -> dict[str, Any]:
    """``ConversationEventTopicCall`` (in ``participants[].calls[]``)."""
    s = p.session
    out: dict[str, Any] = {"id": s.id, "state": s.state,
                           "initialState": "alerting" if s.direction == "inbound" else "dialing",
                           "recording": conv.participant_recorded(p),
                           "recordingState": conv.recording_state().lower(),
                           "recordersState": recorders_state(conv, p),
                           "muted": s.muted, "confined": s.confined, "held": s.held,
                           "securePause": conv.secure_pause}
    put_present(out, "disconnectType", s.disconnect_type)
    out["direction"] = s.direction
    out["provider"] = "Edge"
    put_present(out, "connectedTime", iso_or_none(s.connected_time))
    put_present(out, "disconnectedTime", iso_or_none(s.disconnected_time))
    return out


def _session(p: Participant) -> dict[str, Any]:
    """A non-call session in its media list (only what every media class has: id, state, held)."""
    s = p.session
    return {"id": s.id, "state": s.state, "held": s.held}


def conversation_participant(conv: Conversation, p: Participant) -> dict[str, Any]:
    """``ConversationEventTopicParticipant``."""
    out: dict[str, Any] = {"id": p.id}
    put_present(out, "connectedTime", iso_or_none(p.session.connected_time))
    put_present(out, "endTime", iso_or_none(p.end_time))
    put_present(out, "userId", p.user_id)
    out["name"] = p.name
    put_present(out, "queueId", p.queue_id)
    out["purpose"] = p.purpose
    put_present(out, "address", p.address)
    out["wrapupRequired"] = False
    if p.session.media == "call":
        out["calls"] = [_call(conv, p)]
    else:
        out[MEDIA_TYPES[p.session.media][0]] = [_session(p)]
    return out


def conversation(conv: Conversation, state_case: str = "lower") -> dict[str, Any]:
    """The eventBody of ``v2.users.{id}.conversations`` / ``v2.routing.queues.{id}.conversations``;
    ``state_case`` (lower|upper) spells the conversation-level ``recordingState``."""
    rs = conv.recording_state()
    out: dict[str, Any] = {"id": conv.id,
                           "participants": [conversation_participant(conv, p) for p in conv.participants],
                           "recordingState": rs.lower() if state_case == "lower" else rs}
    put_present(out, "externalTag", conv.external_tag)
    out["securePause"] = conv.secure_pause
    out["divisions"] = _divisions(conv)
    return out


def recording(conv: Conversation, rec: Recording, file_state: str, media_uri: str | None = None) -> dict[str, Any]:
    """``RecordingEventRecording`` / ``RecordingArchiveRestoreTopicRecording``: ``mediaUris`` is a
    LIST of ``{channelId, mediaUri}`` (not the REST map), present only with playable media."""
    out: dict[str, Any] = {"id": rec.id, "conversationId": conv.id, "fileState": file_state}
    if media_uri is not None:
        out["mediaUris"] = [{"channelId": "S", "mediaUri": media_uri}]
        out["actualTranscodeTimeMs"] = 0
    else:
        out["estimatedTranscodeTimeMs"] = 1000
    return out


ARCHIVE_STATES = frozenset({"ARCHIVED", "RESTORING", "RESTORED"})  # v2.users.{id}.recordings publishes these


def recording_topic(uid: str, cid: str) -> str:
    """``RecordingEventRecording``'s topic: a conversation's recordings, on one of its agents."""
    return f"v2.users.{uid}.conversations.{cid}.recordings"


def archive_topic(uid: str) -> str:
    """``RecordingArchiveRestoreTopicRecording``'s topic: one agent's archived/restored recordings."""
    return f"v2.users.{uid}.recordings"


def media_uri(conv: Conversation, rec: Recording, file_state: str) -> str | None:
    """The media of a playable recording, relative to the sandbox's host (an event has no request
    to take a host from): the path REST's ``mediaUris`` serve, WEBM (the REST default format)."""
    if file_state not in ("AVAILABLE", "RESTORED") or rec.end is None:
        return None
    return f"/_sandbox/media/{conv.id}/{rec.id}.webm"


# --- topics -------------------------------------------------------------------------------------


def agent_users(conv: Conversation, users: dict[str, Any], who: str = "agents") -> list[str]:
    """The users whose ``v2.users.{id}.*`` topics a change of ``conv`` publishes on, in participant
    order, each once: agents (participants with a user) of this org, or only the connected ones
    (``who``: the ``eventUserParticipants`` assumption)."""
    out: list[str] = []
    for p in conv.participants:
        uid = p.user_id
        if uid and uid in users and uid not in out and (who == "agents" or p.active):
            out.append(uid)
    return out


def queues(conv: Conversation) -> list[str]:
    """The queues whose ``v2.routing.queues.{id}.*`` topics a change of ``conv`` publishes on."""
    out: list[str] = []
    for qid in [conv.queue_id, *(p.queue_id for p in conv.participants)]:
        if qid and qid not in out:
            out.append(qid)
    return out


def conversation_events(conv: Conversation, users: dict[str, Any], state_case: str = "lower",
                        who: str = "agents") -> list[tuple[str, dict[str, Any]]]:
    """Every ``(topic, body)`` a change of ``conv`` publishes, in publication order: each agent
    user's topics, then each queue's; per entity the media topic (``….calls`` for a call) before
    ``….conversations``. A call body is built once and shared by all its topics."""
    call = call_conversation(conv) if conv.media_type == "call" else None
    whole = conversation(conv, state_case)
    prefixes = [f"v2.users.{uid}" for uid in agent_users(conv, users, who)]
    prefixes += [f"v2.routing.queues.{qid}" for qid in queues(conv)]
    out: list[tuple[str, dict[str, Any]]] = []
    for prefix in prefixes:
        if call is not None:
            out.append((f"{prefix}.{CALLS}", call))
        out.append((f"{prefix}.{CONVERSATIONS}", whole))
    return out
