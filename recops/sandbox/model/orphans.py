"""Orphan recordings: a recording that stayed on the Edge instead of joining its conversation
(``OrphanRecording`` [documented model]; docs/sandbox.md, "Orphan recordings").

An ``Orphan`` holds the ``Recording`` it would become: ``recording.conversation_id`` is the
conversation its metadata names ("" when it names none: ``NO_CONVERSATION``). A scenario's
orphans live in ``OrgState.orphans``; a generated history's are computed from its index
(``seeds/history.py``) and never stored, only their removal is (``OrgState.orphans_gone``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Recording

ORPHAN_STATUSES = ("NO_CONVERSATION", "UNKNOWN_CONVERSATION", "CONVERSATION_NOT_COMPLETE",
                   "CONVERSATION_NOT_EVALUATED", "EVALUATED")  # OrphanRecording.orphanStatus [documented]
# the statuses whose conversation the org knows: what ``hasConversation=true`` lists (the
# ``orphanHasConversation`` assumption)
KNOWN_CONVERSATION = ("CONVERSATION_NOT_COMPLETE", "CONVERSATION_NOT_EVALUATED", "EVALUATED")
MEDIA_TYPES = ("CALL", "CHAT", "EMAIL", "SCREEN")  # OrphanRecording.mediaType [documented]


@dataclass
class Orphan:
    id: str
    org: str
    created: float  # createdTime (epoch seconds)
    status: str  # orphanStatus
    recording: Recording  # what a PUT turns it into; conversation_id "" when it names none
    media_type: str = "CALL"
    provider_type: str = "EDGE"
    ready_at: float = 0.0  # its media is transcoded from then on (GET …/media: 202 before)

    @property
    def conversation_id(self) -> str | None:
        return self.recording.conversation_id or None

    @property
    def has_conversation(self) -> bool:
        return self.status in KNOWN_CONVERSATION
