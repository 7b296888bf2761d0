"""Table rows straight from a details job's results page as JSON (``AnalyticsConversation`` objects).

The SDK would turn each page into model objects (every conversation, participant, session,
segment and metric an object with its own attribute maps): for a 1,000-conversation page that
is several times the page's size, held while the page is converted. The jobs path reads each
page as plain JSON instead (``recops.history.jobs.raw_pages``) and takes the few fields a row needs
here, so memory per page stays close to the page's JSON and is released with it.

``json_row`` gives exactly what ``recops.history.query.conversation_row`` gives for the same
conversation as an SDK model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

# the SDK models' enumerations: a value outside them reads as "outdated_sdk_version" there
DIRECTIONS = ("inbound", "outbound")
MEDIA_TYPES = ("callback", "chat", "cobrowse", "email", "internalmessage", "message", "screenmonitoring",
               "screenshare", "unknown", "video", "voice")
OUTDATED = "outdated_sdk_version"


def enum(value: Any, allowed: tuple[str, ...]) -> str | None:
    """What the SDK model would hold for ``value``."""
    if value is None:
        return None
    value = str(value)
    return value if value.lower() in allowed else OUTDATED


def when(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp as a timezone-aware datetime (``Z`` is UTC)."""
    if not value:
        return None
    return datetime.fromisoformat(value)


def json_row(conv: dict[str, Any]) -> dict[str, Any]:
    """One table row from a conversation as JSON (camelCase keys, as the API sends them)."""
    media = None
    recorded = False
    queues: list[str] = []
    users: list[str] = []
    agents: list[str] = []
    participants = conv.get("participants") or []
    for p in participants:
        user = p.get("userId")
        if user and user not in users:
            users.append(user)
            if p.get("participantName"):
                agents.append(p["participantName"])
        for s in p.get("sessions") or []:
            media = media or enum(s.get("mediaType"), MEDIA_TYPES)
            recorded = recorded or bool(s.get("recording"))
            for seg in s.get("segments") or []:
                queue = seg.get("queueId")
                if queue and queue not in queues:
                    queues.append(queue)
    end = when(conv.get("conversationEnd"))
    return {
        "conversation_id": conv.get("conversationId"),
        "conversation_start": when(conv.get("conversationStart")),
        "conversation_end": end,
        "ended": end is not None,
        "direction": enum(conv.get("originatingDirection"), DIRECTIONS),
        "media_type": media,
        "recorded": recorded,
        "queue_ids": ",".join(queues) or None,
        "user_ids": ",".join(users) or None,
        "agents": ", ".join(agents) or None,
        "participants": len(participants),
    }
