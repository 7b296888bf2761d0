"""The analytics conversation's wire shape (``AnalyticsConversation``: the sync details query,
``GET /analytics/conversations/{id}/details`` and the details jobs' pages), rendered in one place.

``conversation``, ``participant`` and ``segment`` build the shape from plain values: absent
values are omitted (analytics omits them [inferred]), dates are already ISO-8601 strings, and
a participant's ``attributes`` map comes last, only when asked for and not empty.
``analytics_conversation`` feeds them a ``Conversation``; a generated history
(``seeds.history.GeneratedHistory.render``) feeds them its per-index facts without building
the conversation (the fast path of large job pages). One participant has one session with
one segment, as every sandbox conversation has.
"""

from __future__ import annotations

from typing import Any

from .clock import iso
from .models import MEDIA_TYPES, Conversation, Participant

_SEGMENT_TYPE = {"ivr": "ivr", "acd": "interact", "agent": "interact", "customer": "interact"}
# Call.disconnectType (dotted) -> AnalyticsConversationSegment.disconnectType (camelCase) [documented
# enums; the pairing is inferred from the names]. Unlisted values are omitted.
ANALYTICS_DISCONNECT = {
    "endpoint": "endpoint", "client": "client", "system": "system", "timeout": "timeout",
    "transfer": "transfer", "error": "error", "peer": "peer", "other": "other", "spam": "spam",
    "uncallable": "uncallable", "endpoint.donotdisturb": "dndEndpoint",
    "transfer.conference": "conferenceTransfer", "transfer.consult": "consultTransfer",
    "transfer.donotdisturb": "dndTransfer", "transfer.forward": "forwardTransfer",
    "transfer.noanswer": "noAnswerTransfer", "transfer.notavailable": "notAvailableTransfer",
    "transport.failure": "transportFailure",
}


def segment(start: str, end: str | None, segment_type: str, queue_id: str | None,
            disconnect_type: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"segmentStart": start}
    if end is not None:
        out["segmentEnd"] = end
    out["segmentType"] = segment_type
    if queue_id:
        out["queueId"] = queue_id
    if disconnect_type is not None:
        out["disconnectType"] = disconnect_type
    return out


def participant(participant_id: str, name: str, purpose: str, user_id: str | None, session_id: str,
                media_type: str, direction: str, ani: str | None, dnis: str | None, recorded: bool,
                seg: dict[str, Any], attributes: dict[str, str] | None = None) -> dict[str, Any]:
    """One participant with its one session; ``recorded`` false is omitted [inferred]."""
    session: dict[str, Any] = {"sessionId": session_id, "mediaType": media_type, "direction": direction}
    if ani is not None:
        session["ani"] = ani
    if dnis is not None:
        session["dnis"] = dnis
    if recorded:
        session["recording"] = True
    session["segments"] = [seg]
    out: dict[str, Any] = {"participantId": participant_id, "participantName": name, "purpose": purpose}
    if user_id is not None:
        out["userId"] = user_id
    out["sessions"] = [session]
    if attributes:
        out["attributes"] = attributes
    return out


def conversation(conversation_id: str, start: str, end: str | None, initiator: str | None, division_id: str,
                 external_tag: str | None, direction: str, participants: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"conversationId": conversation_id, "conversationStart": start}
    if end is not None:
        out["conversationEnd"] = end  # omitted while active [inferred]
    if initiator is not None:
        out["conversationInitiator"] = initiator
    out["divisionIds"] = [division_id]
    if external_tag is not None:
        out["externalTag"] = external_tag
    out["originatingDirection"] = direction
    out["participants"] = participants
    return out


def _participant_of(conv: Conversation, p: Participant, attributes: bool) -> dict[str, Any]:
    s = p.session
    seg = segment(iso(p.start_time), None if p.end_time is None else iso(p.end_time),
                  _SEGMENT_TYPE.get(p.purpose, "interact"),
                  conv.queue_id if p.purpose in ("acd", "agent") else None,
                  ANALYTICS_DISCONNECT.get(s.disconnect_type or ""))
    return participant(p.id, p.name, p.purpose, p.user_id, s.id, MEDIA_TYPES[s.media][1], s.direction, p.ani,
                       p.dnis, s.ever_recorded and s.media == "call", seg, p.attributes if attributes else None)


def analytics_conversation(conv: Conversation, attributes: bool = False) -> dict[str, Any]:
    """``conv`` as ``AnalyticsConversation``; ``attributes``: the participants' ``attributes``
    maps too (the details jobs' pages), each omitted when empty [inferred]."""
    return conversation(
        conv.id, iso(conv.start_time), None if conv.end_time is None else iso(conv.end_time),
        conv.participants[0].purpose if conv.participants else None, conv.division_id, conv.external_tag,
        conv.direction, [_participant_of(conv, p, attributes) for p in conv.participants])
