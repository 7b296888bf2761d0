"""A conversation's recording files (``GET /api/v2/conversations/{id}/recordings``), telling
"still transcoding" (202, or files still ``UPLOADING``) apart from "none"."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .recording import RecordingFile

if TYPE_CHECKING:
    from recops.api.client import Client


@dataclass(frozen=True)
class RecordingsResult:
    conversation_id: str
    state: str  # "available" | "transcoding" | "none"
    recordings: tuple[RecordingFile, ...]
    uris: dict[str, list[str]]
    waited_s: float

    @property
    def transcoding(self) -> bool:
        return self.state == "transcoding"


UNREADY_FILE_STATES = ("UPLOADING",)  # still being recorded or prepared: waiting will change it


def recordings(client: Client, conversation_id: str, wait: float = 0.0, poll_ms: int = 5000) -> RecordingsResult:
    """The conversation's recordings. While the media is still being prepared the API answers
    202 with no body (which the SDK turns into ``[]``): that is reported as ``transcoding``,
    not as "no recordings". A list whose files are still ``UPLOADING`` (no media yet) is
    ``transcoding`` too, with the files listed. Polls for up to ``wait`` seconds."""
    from recops.api.transport import read_timeout

    path = f"/api/v2/conversations/{conversation_id}/recordings"
    started = time.monotonic()
    while True:
        left = max(0.0, wait - (time.monotonic() - started))
        max_wait_ms = max(1, min(poll_ms, int(left * 1000))) if left > 0 else 1
        with read_timeout(client.settings.read_timeout + max_wait_ms / 1000):
            items = client.call("GET", path, client.recording_api.get_conversation_recordings,
                                conversation_id, max_wait_ms=max_wait_ms)
            code = client.last_status()
        files: tuple[RecordingFile, ...] = ()
        uris: dict[str, list[str]] = {}
        if code != 202:
            files = tuple(RecordingFile(r.id, r.file_state, r.recording_file_role, r.media, r.start_time,
                                        r.end_time) for r in items or [])
            uris = {r.id: [m.media_uri for m in (r.media_uris or {}).values() if m and m.media_uri]
                    for r in items or []}
            if not any((f.file_state or "").upper() in UNREADY_FILE_STATES for f in files):
                return RecordingsResult(conversation_id, "available" if files else "none", files, uris,
                                        round(time.monotonic() - started, 3))
        left = wait - (time.monotonic() - started)
        if left <= 0:
            return RecordingsResult(conversation_id, "transcoding", files, uris, round(time.monotonic() - started, 3))
        if code != 202:  # listed at once, not ready: the server did not wait, so wait here
            time.sleep(min(1.0, poll_ms / 1000, left))
