"""Where a served sandbox's admin token comes from (``recops room serve``, ``recops sandbox serve``).

One source at most: the environment variable ``RECOPS_ADMIN_TOKEN`` or ``--admin-token-file
PATH`` (recommended: neither shows in ``ps``), or ``--admin-token TOKEN`` (it does). Two sources
are refused, naming both. The token has at least ``MIN_ADMIN_TOKEN_CHARS`` characters whatever
its source. A file: its first line, stripped; refused when it cannot be read, is not a regular
file, its first line is empty, or its group or others have any permission on it (mode & 0o077:
on a shared machine, whoever can read it is the trainer). No message holds the token.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

import typer

from recops.api.settings import ADMIN_TOKEN_ENV

OPTION = "--admin-token"
FILE_OPTION = "--admin-token-file"
FIRST_LINE_MAX = 4096  # bytes read from a token file: a token is one short line

OPTION_HELP = (f"The trainer's token for the control plane, at least 24 characters. Prefer {ADMIN_TOKEN_ENV} "
               f"or {FILE_OPTION}: a token on the command line shows in ps.")
FILE_HELP = (f"Read the admin token from the first line of this file (mode 0600: refused if group or others "
             f"have any permission on it). Or set {ADMIN_TOKEN_ENV}; give one source only.")


def admin_token_from(option: str | None, file: Path | None,
                     env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """``(token, source)`` from the one source given (``(None, None)``: none), the token checked;
    ``typer.BadParameter`` saying what is wrong, never what the token is. An empty
    ``RECOPS_ADMIN_TOKEN`` counts as unset."""
    from recops.sandbox.control.auth import check_admin_token

    environ = os.environ if env is None else env
    from_env = environ.get(ADMIN_TOKEN_ENV) or None
    given = [name for name, value in ((OPTION, option), (ADMIN_TOKEN_ENV, from_env), (FILE_OPTION, file))
             if value is not None]
    if len(given) > 1:
        raise typer.BadParameter(f"the admin token is given by {' and by '.join(given)}: give one of them only "
                                 f"({ADMIN_TOKEN_ENV} or {FILE_OPTION} are best: neither shows in ps)",
                                 param_hint=" / ".join(given))
    if not given:
        return None, None
    source = given[0]
    token = read_token_file(file) if file is not None else (option if option is not None else from_env) or ""
    token = token.strip()
    try:
        check_admin_token(token)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint=source) from None
    return token, source


def read_token_file(path: Path) -> str:
    """The first line of ``path``, stripped, from a regular file only its owner may use."""
    path = path.expanduser()
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise typer.BadParameter(f"cannot read {shown}: {e.strerror or e}", param_hint=FILE_OPTION) from None
    try:
        info = os.fstat(fd)  # of what was opened: no race with a rename or a link
        if not stat.S_ISREG(info.st_mode):
            raise typer.BadParameter(f"cannot read {shown}: not a regular file", param_hint=FILE_OPTION)
        if info.st_mode & 0o077:
            raise typer.BadParameter(
                f"{shown} has mode {stat.S_IMODE(info.st_mode):04o}: its group or others may use it, and whoever "
                f"reads it is the trainer. Run chmod 600 {shown}", param_hint=FILE_OPTION)
        with os.fdopen(os.dup(fd), "rb") as f:
            first = f.readline(FIRST_LINE_MAX)
    except OSError as e:
        raise typer.BadParameter(f"cannot read {shown}: {e.strerror or e}", param_hint=FILE_OPTION) from None
    finally:
        os.close(fd)
    try:
        token = first.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise typer.BadParameter(f"cannot read {shown}: its first line is not UTF-8 text",
                                 param_hint=FILE_OPTION) from None
    if not token:
        raise typer.BadParameter(f"{shown}'s first line is empty: write the token there", param_hint=FILE_OPTION)
    return token


__all__ = ["FILE_HELP", "FILE_OPTION", "OPTION", "OPTION_HELP", "admin_token_from", "read_token_file"]
