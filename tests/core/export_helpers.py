"""Helpers for tests/core/test_export*.py: recorded conversations seeded into the real sandbox,
the truth of their bytes from its control plane, and its request log's media-plane entries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

BATCHES = "/api/v2/recording/batchrequests"
MEDIA_PREFIX = "/media/batch/"


@dataclass(frozen=True)
class Seeded:
    conversation_id: str
    recording_ids: tuple[str, ...]
    start: str
    end: str


def seed_recorded(control: Any, count: int, seed: int = 11) -> list[Seeded]:
    """``count`` ended, recorded conversations (short media: a quick test), newest last."""
    before = {c["id"] for c in control.conversations(limit=1_000_000)}
    control.seed(count=count, seed=seed, recordedRatio=1.0, adhocRatio=0.0)
    out = []
    for c in control.conversations(limit=1_000_000):
        if c["id"] in before or not c.get("recordingIds"):
            continue
        start = datetime.fromisoformat(c["startTime"].replace("Z", "+00:00"))
        out.append(Seeded(c["id"], tuple(c["recordingIds"]), start.isoformat(),
                          (start + timedelta(minutes=5)).isoformat()))
    assert len(out) == count, f"seeded {count}, found {len(out)} recorded"
    return out


def table_of(seeded: list[Seeded], with_recordings: bool = False) -> Any:
    """A table as ``rc.interval`` gives it (conversation id, start, end), optionally one row per
    recording with its id."""
    import pandas as pd

    rows = [{"conversation_id": s.conversation_id, "conversation_start": s.start, "conversation_end": s.end}
            | ({"recording_id": rid} if with_recordings else {})
            for s in seeded for rid in (s.recording_ids if with_recordings else s.recording_ids[:1])]
    frame = pd.DataFrame(rows)
    for col in ("conversation_start", "conversation_end"):
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
    return frame


def truth(control: Any, cid: str, rid: str) -> str:
    """SHA-256 of the recording's bytes as the sandbox's control plane serves them."""
    return hashlib.sha256(control.media(cid, rid)).hexdigest()


def clear(control: Any) -> None:
    """Empty the sandbox's request log."""
    control.call("DELETE", "requests")


def log(control: Any) -> list[dict[str, Any]]:
    return list(control.requests())


def media_entries(control: Any) -> list[dict[str, Any]]:
    """The media host's entries, each naming its conversation and recording (read from the path
    ``/media/batch/{jobId}/{conversationId}/{recordingId}.wav``: a faulted entry has no route params)."""
    out = []
    for e in log(control):
        if e["path"].startswith(MEDIA_PREFIX):
            _job, cid, file = e["path"][len(MEDIA_PREFIX):].split("/")
            out.append(e | {"conversationId": cid, "recordingId": file.rsplit(".", 1)[0]})
    return out


def batch_posts(control: Any) -> list[dict[str, Any]]:
    return [e for e in log(control) if e["method"] == "POST" and e["path"] == BATCHES]


def leftovers(dest: Path) -> list[Path]:
    """Temporary files anywhere under ``dest``."""
    return [p for p in dest.rglob("*") if p.name.endswith((".part", ".tmp"))]


def manifest_json(dest: Path) -> dict[str, Any]:
    return json.loads((dest / "manifest.json").read_text())


def check_files(control: Any, dest: Path, rows: list[dict[str, Any]]) -> None:
    """Every exported row's file is there, with the recorded size and the sandbox's bytes."""
    for row in rows:
        assert row["status"] == "exported", row
        path = dest / row["file"]
        data = path.read_bytes()
        assert len(data) == row["bytes"], row
        assert hashlib.sha256(data).hexdigest() == row["sha256"] == truth(
            control, row["conversation_id"], row["recording_id"]), row


def complete_count(store: Path) -> int:
    """Files the progress store at ``store`` records complete (0 before it has its tables)."""
    import sqlite3

    if not store.exists():
        return 0
    try:
        with sqlite3.connect(store) as db:
            return int(db.execute("SELECT count(*) FROM files").fetchone()[0])
    except sqlite3.OperationalError:  # the export has created the file, not yet its tables
        return 0
