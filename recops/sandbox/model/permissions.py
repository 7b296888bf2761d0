"""Which role permissions each emulated operation accepts ("requires ANY"), per docs/genesys-api.md.

Permissions are ``domain:entity:action``; a granted permission may use ``*`` for a whole
segment (``conversation:recording:*``), as Genesys roles do [inferred for the sandbox].
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

CONVERSATION_VIEW = ("conversation:communication:view",)
PAUSE_OTHERS = ("conversation:recording:pauseOthers",)
CALLS_PATCH = ("conversation:communication:disconnect",)
PAUSE_SELF = "conversation:recording:pause"  # [inferred] name of the UI "Pause" permission
PARTICIPANT_PATCH = (
    "conversation:participant:wrapup",
    "conversation:call:record",
    "conversation:communication:disconnect",
)
RECORDING_VIEW = (
    "recording:recording:view",
    "recording:recordingSegment:view",
    "recording:snippetRecording:view",
    "recording:screenRecording:view",
)
RECORDING_RETENTION = (
    "recording:recording:view",
    "recording:recording:editRetention",
    "recording:recording:restore",
    "recording:screenRecording:view",
    "recording:screenRecording:editRetention",
    "recording:screenRecording:restore",
    "recording:snippetRecording:view",
    "recording:snippetRecording:editRetention",
    "recording:snippetRecording:restore",
)
# "view (recording, screenRecording, or snippetRecording) is always required" [documented] PY RecordingApi.md
RETENTION_VIEW = (
    "recording:recording:view",
    "recording:screenRecording:view",
    "recording:snippetRecording:view",
)
EDIT_RETENTION = (
    "recording:recording:editRetention",
    "recording:screenRecording:editRetention",
    "recording:snippetRecording:editRetention",
)
RESTORE = (
    "recording:recording:restore",
    "recording:screenRecording:restore",
    "recording:snippetRecording:restore",
)
# recording bulk jobs (/api/v2/recording/jobs): "Requires ALL" of each tuple [documented: D257, CLI]
RECORDING_JOB_ADD = ("recording:job:add",)
RECORDING_JOB_VIEW = ("recording:job:view",)
RECORDING_JOB_EDIT = (
    "recording:job:edit",
    "recording:recording:editRetention",
    "recording:screenRecording:editRetention",
    "recording:snippetRecording:editRetention",
)
RECORDING_JOB_DELETE = ("recording:job:delete",)
VIEW_SENSITIVE_DATA = ("recording:recording:viewSensitiveData",)
ANALYTICS_DETAILS = (
    "analytics:conversationDetail:view",
    "analytics:agentConversationDetail:view",
)

# What a user that the sandbox creates implicitly (an agent on a conversation) may do.
DEFAULT_AGENT_PERMISSIONS = (
    "conversation:communication:view",
    "conversation:communication:disconnect",
    "conversation:recording:pause",
    "conversation:call:record",
    "conversation:participant:wrapup",
    "recording:recording:view",
)


@functools.lru_cache(maxsize=4096)
def _grants(granted: str, wanted: str) -> bool:
    g = granted.split(":")
    w = wanted.split(":")
    if len(g) != len(w):
        return False
    return all(a == "*" or a == b for a, b in zip(g, w, strict=False))


def holds(granted: Iterable[str], wanted: str) -> bool:
    return any(_grants(g, wanted) for g in granted)


def holds_any(granted: Iterable[str], wanted: Iterable[str]) -> bool:
    granted = tuple(granted)
    return any(holds(granted, w) for w in wanted)


def valid_permission(text: object) -> bool:
    if not isinstance(text, str):
        return False
    parts = text.split(":")
    return len(parts) == 3 and all(p and all(c.isalnum() or c in "*_-" for c in p) for p in parts)
