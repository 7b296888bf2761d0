"""An export folder belongs to one target, and its manifest only grows (issue 17, items 1 and 2).

- :func:`target_of`: the target an export goes to, as a stable key (``target_id``: the same in
  every process for the same target; never a secret) and, on a room seat, the room's id. The
  embedded sandbox is one key whatever its port (it is the same demo org in every process:
  ``recops.sandbox.model.models.derived_id``); a sandbox elsewhere is its URL; a seat is its
  room and org; a real org is its API host.
- :func:`claim`: the folder's ``manifest.json`` names the target it came from; an export from
  another target is refused (``ConfigError``), never mixed in. A folder with no manifest is
  claimed by writing one (no rows) before anything is fetched, so a run killed mid-way still
  leaves the folder named.
- :func:`merge`: the manifest is cumulative: this run's rows replace the rows of the same
  recording and add the others; no row of an earlier selection is removed. A row with a
  recording replaces its conversation's row without one (an earlier ``failed`` / ``cancelled``
  / ``unknown`` before the recordings were named).
- :func:`locked`: one export at a time writes into a folder. Two at once would each merge into the
  manifest they read at their start, and the last to write it would drop the other's rows; the
  second one fails at once (``ConfigError`` naming the folder and the first one's pid), it does
  not wait: an export can last an hour, and a run that waits silently looks hung.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from recops.genesys.errors import ConfigError

from . import manifest
from .manifest import ROW_FIELDS, Row

if TYPE_CHECKING:
    from recops.api.client import Client

EMBEDDED = "sandbox: the embedded demo org"  # the target_id of the process's embedded sandbox
LOCK_NAME = ".recops-export.lock"  # in the folder: held (flock) by the export writing into it; holds its pid


@dataclass(frozen=True)
class Target:
    target_id: str  # stable across processes; what a folder's manifest is compared on
    description: str  # for a person (the URL of the embedded sandbox varies: not compared)
    room: str | None = None  # a room seat's room id

    def header(self) -> dict[str, Any]:
        return {"target": self.description, "target_id": self.target_id, "room": self.room}


def target_of(client: Client) -> Target:
    """The client's target (call after its first request: the endpoint is resolved by then)."""
    description = client.describe()
    endpoint = client.endpoint
    if endpoint is None:
        return Target(description, description)
    seat = client.settings.seat
    if endpoint.is_sandbox:
        if seat is not None:
            return Target(f"room {seat.room}, org {seat.org}", description, seat.room)
        if _is_embedded(endpoint.url):
            return Target(EMBEDDED, description)
        return Target(f"sandbox at {endpoint.url.rstrip('/')}", description)
    return Target(f"org at {urlsplit(endpoint.url).netloc or endpoint.url}", description)


def _is_embedded(url: str) -> bool:
    from recops.api import targets

    embedded = getattr(targets, "_embedded", None)
    return embedded is not None and getattr(embedded, "url", None) == url


def claim(dest: Path, target: Target, header: Mapping[str, Any], dry_run: bool) -> list[Row]:
    """The rows of ``dest``'s manifest, after checking it came from ``target``; a folder with
    no manifest is claimed for ``target`` (not on a dry run, which writes nothing)."""
    found = read(dest)
    if found is None:
        if not dry_run:
            manifest.write(dest, header, [])
        return []
    theirs, rows = found
    if not _same(theirs, target):
        named = theirs.get("target_id") or theirs.get("target") or "an unnamed target"
        raise ConfigError(
            f"{dest} holds an export from another target ({named}); this export is to "
            f"{target.description} ({target.target_id}): the two are never mixed in one folder",
            f"choose another folder (--dest), or pass the same target as that export ({named})")
    return rows


def _same(theirs: Mapping[str, Any], target: Target) -> bool:
    if theirs.get("target_id") is not None:
        return theirs["target_id"] == target.target_id
    # a manifest from before target_id: its description, which names an embedded sandbox's port
    return theirs.get("target") == target.description


def read(dest: Path) -> tuple[dict[str, Any], list[Row]] | None:
    """``dest``'s manifest.json (its header, its rows), None when there is none."""
    path = dest / manifest.JSON_NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        recordings = doc.get("recordings", [])
        rows = [Row(**{k: r.get(k) for k in ROW_FIELDS if k in r}) for r in recordings]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, AttributeError) as e:
        raise ConfigError(f"{path} cannot be read as an export manifest ({type(e).__name__}); an export into "
                          "that folder would lose its rows",
                          "choose another folder (--dest), or move that manifest away") from None
    header = {k: v for k, v in doc.items() if k not in ("recordings", "counts")}
    return header, rows


def merge(earlier: Sequence[Row], now: Sequence[Row]) -> list[Row]:
    """The cumulative rows: ``earlier`` in their order, each replaced by ``now``'s row of the same
    (conversation, recording); ``now``'s others appended. A conversation's row without a
    recording goes when ``now`` has a row with one for it."""
    named = {r.conversation_id for r in now if r.recording_id is not None}
    merged: dict[tuple[str, str | None], Row] = {}
    for r in earlier:
        if r.recording_id is None and r.conversation_id in named:
            continue
        merged[(r.conversation_id, r.recording_id)] = r
    for r in now:
        merged[(r.conversation_id, r.recording_id)] = r
    return list(merged.values())


@contextlib.contextmanager
def locked(dest: Path) -> Iterator[None]:
    """Hold ``dest``'s export lock (an ``flock`` on ``LOCK_NAME`` in it) for the block; the OS drops
    it when the process ends, however it ends, so a killed export never leaves the folder locked.
    The lock file is opened without following a link (a link planted there is refused, never
    written through) and is left in place: removing it would let a third export lock another file
    of the same name while the second still holds the first."""
    try:
        folder_fd = os.open(dest, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as e:
        raise ConfigError(f"the destination {dest} cannot be opened as a folder: {e.strerror or e}",
                          "choose a folder you may write to (--dest)") from None
    try:
        fd = os.open(LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=folder_fd)
    except OSError as e:
        raise ConfigError(f"the export lock {dest / LOCK_NAME} cannot be opened: {e.strerror or e}",
                          f"remove {dest / LOCK_NAME} if it is not a plain file, or choose another folder "
                          "(--dest)") from None
    finally:
        os.close(folder_fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            raise ConfigError(f"another export is writing to {dest}" + (f" (pid {holder})" if holder else ""),
                              "wait for it to finish, or choose another folder (--dest)") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    """The pid the lock's holder wrote, as digits ('' when unreadable)."""
    with contextlib.suppress(OSError):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return text
    return ""
