"""Writing into a folder someone else controls (a Hub user's home, written as root) without ever
following a link they planted, and without a moment where a file is readable by anyone else.

Every step works on open descriptors, never on a path a user could swap between a check and a use:
folders are opened ``O_DIRECTORY | O_NOFOLLOW`` relative to their parent's descriptor, files are
created ``O_CREAT | O_EXCL | O_NOFOLLOW`` with their final mode (``fchmod``, so no umask widens or
narrows it) and given to their owner with ``fchown`` on the descriptor, before a byte is written.
A file that is replaced (the seat card) is written under a new random name and renamed over the
old one inside the same folder: a reader sees the old file, or the new one whole; a link or a hard
link at the old name is replaced, never written through.

What is refused raises :class:`Unsafe`, whose ``why`` names the kind of thing found ("is a symbolic
link", "is owned by uid 0, not by uid 1000"...); never file content.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

Owner = tuple[int, int]  # (uid, gid) to give what is created; None: leave it to the writer

FILE_MODE = 0o600  # every file written into a home [room's own choice: the card holds a secret]
DIR_MODE = 0o700  # every folder created in a home [room's own choice: a trainee's work is theirs]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class Unsafe(Exception):
    """A target that is a link, not the expected kind, or someone else's: nothing was written there."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path} {why}")
        self.path = path
        self.why = why


def kind(dir_fd: int, name: str) -> str | None:
    """What ``name`` in the folder ``dir_fd`` is, without following it; None when nothing is there."""
    try:
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    return "a special file"


def open_home(path: Path, owner: Owner | None) -> int:
    """The descriptor of the folder ``path`` (created ``DIR_MODE`` and given to ``owner`` if missing).
    Only its last component is a user's: the folders above it (``/home``) are the machine's, created
    if missing and followed as the administrator set them."""
    if path.name in ("", ".", ".."):
        raise Unsafe(path, "is not a folder of its own")
    path.parent.mkdir(parents=True, exist_ok=True)
    parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return open_dir(parent, path.name, path, owner)
    finally:
        os.close(parent)


def open_dir(parent_fd: int, name: str, path: Path, owner: Owner | None) -> int:
    """The descriptor of the folder ``name`` in ``parent_fd``, created ``DIR_MODE`` and given to
    ``owner`` when missing; :class:`Unsafe` when it is a link, not a folder, or an existing folder
    not owned by ``owner`` (by this process when ``owner`` is None). ``path``: for messages only."""
    created = False
    try:
        os.mkdir(name, DIR_MODE, dir_fd=parent_fd)
        created = True
    except FileExistsError:
        pass
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as e:  # ELOOP: a link; ENOTDIR: a file; ENOENT: removed meanwhile
        raise Unsafe(path, f"is {kind(parent_fd, name) or 'gone'}, not a folder") from e
    try:
        uid = os.geteuid() if owner is None else owner[0]
        if created and owner is not None:
            os.fchmod(fd, DIR_MODE)
            os.fchown(fd, *owner)
        found = os.fstat(fd).st_uid
        if found != uid:
            raise Unsafe(path, f"is owned by uid {found}, not by uid {uid}")
    except BaseException:
        os.close(fd)
        raise
    return fd


def create(dir_fd: int, name: str, data: bytes, owner: Owner | None) -> bool:
    """Write ``data`` to a new file ``name`` in ``dir_fd`` (``FILE_MODE``, owned by ``owner``);
    False, writing nothing, when anything (a file, a link...) is already at that name."""
    try:
        fd = os.open(name, _NEW_FILE_FLAGS, FILE_MODE, dir_fd=dir_fd)
    except FileExistsError:
        return False
    try:
        _fill(fd, data, owner)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)
        raise
    return True


def replace(dir_fd: int, name: str, data: bytes, owner: Owner | None, path: Path) -> None:
    """Put a new file ``name`` holding ``data`` in ``dir_fd`` (``FILE_MODE``, owned by ``owner``),
    atomically: written under a temporary name, then renamed over ``name``. :class:`Unsafe` when
    ``name`` is a link or not a file (then nothing is written); a hard link is replaced, not written
    through."""
    found = kind(dir_fd, name)
    if found not in (None, "a file"):
        raise Unsafe(path, f"is {found}")
    while True:
        temp = f".{name}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(temp, _NEW_FILE_FLAGS, FILE_MODE, dir_fd=dir_fd)
            break
        except FileExistsError:  # someone made that name: draw another
            continue
    try:
        _fill(fd, data, owner)
        # Renames the entry: whatever a user swapped in at ``name`` meanwhile is replaced, never followed.
        os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise


def _fill(fd: int, data: bytes, owner: Owner | None) -> None:
    """Mode and owner first, then the bytes; closes ``fd``."""
    try:
        os.fchmod(fd, FILE_MODE)  # exactly FILE_MODE, whatever the umask
        if owner is not None:
            os.fchown(fd, *owner)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
