"""The sandbox's stand-in for an EXPORT job's AWS S3 integration: a folder the control plane names
(setting ``exportFolder``; the real bucket is the integration's, which the sandbox has not got).

Layout [documented: HELP ?p=292632]: ``{exportFolder}/{organizationId}/year={y}/month={m}/day={d}/
hour={h}/conversation_id={conversationId}/`` (the conversation's UTC start), holding the recording
file named by its id and ``<recordingId>_metadata.json``. The numbers are written without leading
zeros (``month=5``) [the sandbox's choice: the help page shows only the pattern]. Each org writes
under its own ``{organizationId}`` folder (the sandbox org's name), so two seats of a room never
write into each other's.

Nothing below ``exportFolder`` is followed if it is a link: every folder is opened
``O_DIRECTORY | O_NOFOLLOW`` relative to its parent's descriptor (created ``0o700`` when missing),
every file is written under a fresh name (``O_CREAT | O_EXCL | O_NOFOLLOW``, ``0o600``) and renamed
over the final name inside the same folder, so a link planted at the final name is replaced, never
written through (the idea of recops/kit/nofollow.py, which the sandbox may not import).
``exportFolder`` itself is the operator's and is followed as set. A refusal raises
:class:`ExportRefused` naming the component, never the content.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
DIR_MODE = 0o700
FILE_MODE = 0o600
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=_-]*$")


class ExportRefused(Exception):
    """The export could not be written (no folder set, a link or a non-folder in the way)."""


def folder_parts(org: str, conversation_id: str, start: float) -> list[str]:
    """The folder names below ``exportFolder`` for a conversation that started at ``start``."""
    t = datetime.fromtimestamp(start, tz=timezone.utc)
    parts = [org, f"year={t.year}", f"month={t.month}", f"day={t.day}", f"hour={t.hour}",
             f"conversation_id={conversation_id}"]
    for part in parts:
        if not _SAFE.match(part):
            raise ExportRefused(f"{part!r} cannot be a folder name")
    return parts


def _open_child(parent: int, name: str) -> int:
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, DIR_MODE, dir_fd=parent)
    try:
        return os.open(name, DIR_FLAGS, dir_fd=parent)
    except OSError:
        raise ExportRefused(f"{name} is a link or not a folder; nothing was written there") from None


def _write(dir_fd: int, name: str, chunks: Iterable[bytes]) -> int:
    if not _SAFE.match(name):
        raise ExportRefused(f"{name!r} cannot be a file name")
    tmp = f".{name}.{secrets.token_hex(6)}.part"
    fd = os.open(tmp, NEW_FILE_FLAGS, FILE_MODE, dir_fd=dir_fd)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    return size


def write_export(folder: str, org: str, conversation_id: str, start: float, recording_id: str,
                 media: Iterable[bytes], metadata: dict[str, Any]) -> str:
    """Write one recording and its metadata; returns the path of the folder written to."""
    if not folder:
        raise ExportRefused("no export folder is set (PUT /_sandbox/settings {\"exportFolder\": \"/path\"})")
    parts = folder_parts(org, conversation_id, start)
    os.makedirs(folder, mode=DIR_MODE, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts:
            child = _open_child(fd, part)
            os.close(fd)
            fd = child
        _write(fd, f"{recording_id}.wav", media)
        _write(fd, f"{recording_id}_metadata.json", [json.dumps(metadata, indent=2).encode()])
    finally:
        os.close(fd)
    return os.path.join(folder, *parts)
