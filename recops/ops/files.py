"""A conversation's recording files (``GET /api/v2/conversations/{id}/recordings``), telling
"still transcoding" (202, or files still ``UPLOADING``) apart from "none"."""

from __future__ import annotations

import time
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from recops.base.display import AMBER, BLUE, GREY, box, code, html_table, rich_lines, rich_text

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

    def lines(self) -> list[str]:
        """One line per recording (id, fileState, role, media URIs), or why there is none to fetch yet."""
        cid = self.conversation_id
        if self.transcoding:
            head = [f"{cid}: recordings are still being prepared; retry later or pass --wait SECONDS"]
            return head + [f"{r.id} {r.file_state} {r.role or ''}".rstrip() for r in self.recordings]
        if not self.recordings:
            return [f"{cid}: no recordings"]
        return [f"{r.id} {r.file_state} {r.role or ''} {' '.join(self.uris.get(r.id, []))}".rstrip()
                for r in self.recordings]

    def __rich__(self) -> Any:
        return rich_lines(rich_text(line) for line in self.lines())

    def _repr_html_(self) -> str:
        if self.transcoding:
            head, color = "recordings are still being prepared; retry later or pass wait=SECONDS", AMBER
        else:
            head, color = (f"{len(self.recordings)} recording(s)", BLUE) if self.recordings else ("no recordings", GREY)
        rows = [{"recording": r.id, "fileState": r.file_state or "", "role": r.role or "", "media": r.media or "",
                 "media URIs": " ".join(self.uris.get(r.id, []))} for r in self.recordings]
        table = html_table(list(rows[0]), rows, cell=lambda c, v: code(v) if c == "recording" else escape(v)) \
            if rows else ""
        return box("recops-recordings", color, f"<div><b>{code(self.conversation_id)}</b>: {escape(head)}</div>{table}")


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
