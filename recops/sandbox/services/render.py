"""Render sandbox models as Genesys wire JSON: conversations, calls and recordings (the
analytics conversation's shape is ``model.analytics_wire``).

Rules: camelCase; absent fields are omitted, never ``null`` (a ``null`` enum crashes SDK
deserialization); dates in ISO-8601 UTC with milliseconds and ``Z``; recording-state enums
upper case on ``Conversation`` and ``RecordersState``, lower case on ``CallConversation``,
``Call`` and ``CallMediaParticipant`` [documented].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..http.wire import dumps
from ..model.clock import iso
from ..model.event_bodies import iso_or_none, put_present, recorders_state
from ..model.models import MEDIA_TYPES, Conversation, Participant, Recording
from .annotations import AnnotationRules, annotations, media_ms
from .media import size_for


class BodyCache:
    """One view of a conversation rendered to JSON bytes, kept per ``Conversation.version``.

    Every change to a conversation bumps its version (model/models.py), so a hit is always the
    current body. Only views that depend on nothing but the conversation (no clock, no
    request) may be cached: ``conversation`` and ``call_conversation``."""

    def __init__(self, view: Callable[[Conversation], Any], limit: int = 4096) -> None:
        self.view = view
        self.limit = limit
        self._bodies: dict[tuple[str, str], tuple[Conversation, int, bytes]] = {}

    def body(self, conv: Conversation) -> bytes:
        key = (conv.org, conv.id)
        hit = self._bodies.get(key)
        if hit is not None and hit[0] is conv and hit[1] == conv.version:
            return hit[2]
        body = dumps(self.view(conv))
        if len(self._bodies) >= self.limit:
            self._bodies.clear()
        self._bodies[key] = (conv, conv.version, body)
        return body


def _session(conv: Conversation, p: Participant) -> dict[str, Any]:
    s = p.session
    out: dict[str, Any] = {"state": s.state, "id": s.id}
    if s.media != "call":
        put_present(out, "direction", s.direction)
        out["held"] = s.held
        return out
    out["initialState"] = "alerting" if s.direction == "inbound" else "dialing"
    out["direction"] = s.direction
    recorded = conv.participant_recorded(p)
    out["recording"] = recorded
    out["recordingState"] = conv.recording_state().lower()
    out["recordersState"] = recorders_state(conv, p)
    out["muted"] = s.muted
    out["confined"] = s.confined
    out["held"] = s.held
    out["securePause"] = conv.secure_pause
    if recorded:
        put_present(out, "recordingId", conv.recording_for(p))
    put_present(out, "disconnectType", s.disconnect_type)
    put_present(out, "connectedTime", iso_or_none(s.connected_time))
    put_present(out, "disconnectedTime", iso_or_none(s.disconnected_time))
    out["provider"] = "Edge"
    return out


def participant(conv: Conversation, p: Participant) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "startTime": iso(p.start_time)}
    put_present(out, "endTime", iso_or_none(p.end_time))
    put_present(out, "connectedTime", iso_or_none(p.session.connected_time))
    out["name"] = p.name
    if p.user_id:
        out["userUri"] = f"/api/v2/users/{p.user_id}"
        out["userId"] = p.user_id
    put_present(out, "queueId", p.queue_id)
    out["purpose"] = p.purpose
    put_present(out, "address", p.address)
    put_present(out, "ani", p.ani)
    put_present(out, "dnis", p.dnis)
    out["wrapupRequired"] = False
    out[MEDIA_TYPES[p.session.media][0]] = [_session(conv, p)]
    return out


def conversation(conv: Conversation) -> dict[str, Any]:
    """``Conversation`` (GET /api/v2/conversations/{id}). ``state`` is never present on read."""
    out: dict[str, Any] = {"id": conv.id, "startTime": iso(conv.start_time)}
    put_present(out, "endTime", iso_or_none(conv.end_time))
    put_present(out, "externalTag", conv.external_tag)
    out["participants"] = [participant(conv, p) for p in conv.participants]
    out["recordingState"] = conv.recording_state()
    out["securePause"] = conv.secure_pause
    out["divisions"] = [
        {"division": {"id": conv.division_id, "selfUri": f"/api/v2/authorization/divisions/{conv.division_id}"},
         "entities": [{"id": conv.id}]}
    ]
    out["selfUri"] = f"/api/v2/conversations/{conv.id}"
    return out


def _ref(kind: str, ident: str | None) -> dict[str, str] | None:
    return None if ident is None else {"id": ident, "selfUri": f"/api/v2/{kind}/{ident}"}


def call_participant(conv: Conversation, p: Participant) -> dict[str, Any]:
    """``CallMediaParticipant`` (in ``CallConversation.participants``)."""
    s = p.session
    recorded = conv.participant_recorded(p)
    out: dict[str, Any] = {"id": p.id, "name": p.name}
    put_present(out, "address", p.address)
    out["startTime"] = iso(p.start_time)
    put_present(out, "connectedTime", iso_or_none(s.connected_time))
    put_present(out, "endTime", iso_or_none(p.end_time))
    out["purpose"] = p.purpose
    out["state"] = s.state
    out["direction"] = s.direction
    put_present(out, "disconnectType", s.disconnect_type)
    out["held"] = s.held
    out["wrapupRequired"] = False
    put_present(out, "user", _ref("users", p.user_id))
    put_present(out, "queue", _ref("routing/queues", p.queue_id))
    out["provider"] = "Edge"
    out["muted"] = s.muted
    out["confined"] = s.confined
    out["recording"] = recorded
    out["recordingState"] = conv.recording_state().lower()
    out["recordersState"] = recorders_state(conv, p)
    put_present(out, "ani", p.ani)
    put_present(out, "dnis", p.dnis)
    out["securePause"] = conv.secure_pause
    return out


def call_conversation(conv: Conversation) -> dict[str, Any]:
    """``CallConversation`` (GET /api/v2/conversations/calls/{id}): no start/end times."""
    return {
        "id": conv.id,
        "participants": [call_participant(conv, p) for p in conv.participants],
        "recordingState": conv.recording_state().lower(),
        "securePause": conv.secure_pause,
        "selfUri": f"/api/v2/conversations/calls/{conv.id}",
    }


DEFAULT_RULES = AnnotationRules()


PLAYABLE = ("AVAILABLE", "RESTORED")  # the file states with playable media


def _common_recording(conv: Conversation, rec: Recording, file_state: str, times: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rec.id, "conversationId": conv.id}
    if times:
        out["startTime"] = iso(rec.start)
        put_present(out, "endTime", iso_or_none(rec.end))
    out["media"] = rec.media
    put_present(out, "mediaSubtype", rec.subtype)
    out["fileState"] = file_state
    put_present(out, "archiveDate", iso_or_none(rec.archive_date))
    if rec.archive_date is not None:
        out["archiveMedium"] = "CLOUDARCHIVE"
    put_present(out, "deleteDate", iso_or_none(rec.delete_date))
    put_present(out, "exportDate", iso_or_none(rec.export_date))
    if file_state in ("RESTORING", "RESTORED"):  # restored until the new archiveDate [§2.1 default]
        put_present(out, "restoreExpirationTime", iso_or_none(rec.archive_date))
    out["maxAllowedRestorationsForOrg"] = 10000
    out["remainingRestorationsAllowedForOrg"] = 10000
    put_present(out, "sessionId", rec.session_id)
    return out


def recording(
    conv: Conversation, rec: Recording, file_state: str, now: float, base_url: str, format_id: str,
    rules: AnnotationRules = DEFAULT_RULES, media_max_seconds: float = 0,
) -> dict[str, Any]:
    # Recording.startTime/endTime: "Null when there is no playable media" [documented: the SDK model]
    out = _common_recording(conv, rec, file_state, times=file_state in PLAYABLE)
    out["annotations"] = annotations(conv, rec, now, rules)
    if file_state == "AVAILABLE" and format_id != "NONE" and rec.end is not None:
        ext = format_id.lower()
        out["mediaUris"] = {
            "S": {"mediaUri": f"{base_url}/_sandbox/media/{conv.id}/{rec.id}.{ext}"}
        }
        duration_ms = media_ms(conv, rec, now, rules)  # less paused time when it is cut out
        out["outputDurationMs"] = duration_ms
        out["outputSizeInBytes"] = size_for(duration_ms, media_max_seconds)  # the served WAV (media.py)
        out["actualTranscodeTimeMs"] = 0
    else:
        out["estimatedTranscodeTimeMs"] = 1000
    out["recordingFileRole"] = rec.role
    out["creationTime"] = iso(rec.start)
    out["selfUri"] = f"/api/v2/conversations/{conv.id}/recordings/{rec.id}"
    return out


def recording_metadata(conv: Conversation, rec: Recording, file_state: str, region: str,
                       system_annotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``RecordingMetadata``: no media URIs and no system annotations [documented]; pause
    annotations only when the ``metadataSystemAnnotations`` assumption says so."""
    out = _common_recording(conv, rec, file_state)
    out["annotations"] = system_annotations or []
    out["region"] = region
    out["selfUri"] = f"/api/v2/conversations/{conv.id}/recordingmetadata/{rec.id}"
    return out
