"""A training room on JupyterHub: what the repository's ``jupyterhub_config.py`` uses.

Each Hub user has a seat (a username -> seat number file the trainer writes); before their server
starts, :func:`prepare_user` copies that seat's card (written by ``recops room serve --cards DIR``)
and the recops notebooks into the user's home, and the server gets ``RECOPS_SEAT_CARD`` pointing
at the copy, so ``recops.connect()`` in their kernel acts on their seat only. The copy runs as
root in a home the user controls: it never follows a link (:mod:`recops.kit.nofollow`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from recops.api.settings import ADMIN_TOKEN_ENV
from recops.genesys.errors import ConfigError
from recops.kit import nofollow, workcopy

CARD_NAME = "recops-seat.json"  # the seat card's name in each user's home

log = logging.getLogger(__name__)


def load_seat_map(path: str | os.PathLike[str]) -> dict[str, int]:
    """``{"username": seat, ...}`` from a JSON file; a clear error when it is missing or malformed."""
    file = Path(path)
    try:
        data = json.loads(file.read_text())
    except FileNotFoundError:
        raise ConfigError(f"no seat map at {file}",
                          'write a JSON file mapping each Hub username to a seat number, e.g. {"ann": 1, "bob": 2}'
                          ) from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"the seat map {file} is not valid JSON ({e.msg}, line {e.lineno})",
                          'write it as {"username": seat, ...}') from None
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"the seat map {file} must be a non-empty JSON object", 'write it as {"username": seat, ...}')
    seats: dict[str, int] = {}
    for user, seat in data.items():
        if isinstance(seat, bool) or not isinstance(seat, int) or seat < 1:
            raise ConfigError(f"the seat map {file} gives user {user!r} the seat {seat!r}",
                              "give every user a seat number from 1 to the room's number of seats")
        seats[str(user)] = seat
    taken: dict[int, str] = {}
    for user, seat in seats.items():
        if seat in taken:
            raise ConfigError(f"the seat map {file} gives seat {seat} to both {taken[seat]!r} and {user!r}",
                              "give each user a seat of their own")
        taken[seat] = user
    return seats


def card_path(cards: str | os.PathLike[str], seat: int) -> Path:
    """The card of ``seat`` in the folder ``recops room serve --cards`` wrote."""
    return Path(cards) / f"seat-{seat:02d}.json"


def seat_of(seats: Mapping[str, int], username: str, seat_map: str | os.PathLike[str]) -> int:
    if username not in seats:
        raise ConfigError(f"the Hub user {username!r} has no seat in {seat_map}",
                          f'add "{username}": <seat number> to that file and restart the Hub')
    return seats[username]


def prepare_user(home: str | os.PathLike[str], card: str | os.PathLike[str], notebooks: str | os.PathLike[str],
                 uid: int | None = None, gid: int | None = None) -> dict[str, str]:
    """Put the seat card and the notebooks not there yet into ``home``; return the environment the
    user's server needs. ``uid``/``gid``: the owner to give what is written (a Hub running as root
    spawning system users); without them, this process's.

    Run as root in a home its user controls, so nothing is written through a link
    (:mod:`recops.kit.nofollow`): the card and every notebook are mode 0600 from their first byte,
    the folders made 0700, all given to the user through their open descriptor. A home that is a
    link, not a folder, or not the user's, or a card path that is a link or not a file, refuses the
    spawn (:class:`ConfigError` saying what to remove); a notebooks folder or a notebook that is a
    link is skipped. Each refusal is logged with the path and what was found there. A notebook
    already in ``~/notebooks`` is never overwritten (a trainee's work); the card always is."""
    home, card, notebooks = Path(home), Path(card), Path(notebooks)
    if not card.is_file():
        raise ConfigError(f"no seat card at {card}",
                          "start the room first (recops room serve --seats N --cards DIR) with the Hub's cards folder")
    owner = (uid, gid) if uid is not None and gid is not None else None
    try:
        home_fd = nofollow.open_home(home, owner)
    except nofollow.Unsafe as e:
        log.error("recops hub: refused to prepare the home %s: it %s", home, e.why)
        raise ConfigError(f"the home {home} {e.why}; nothing was written into it",
                          f"make {home} a real folder owned by the user (not a link), then start the server again"
                          ) from None
    try:
        mine = home / CARD_NAME
        try:
            nofollow.replace(home_fd, CARD_NAME, card.read_bytes(), owner, mine)
        except nofollow.Unsafe as e:
            log.error("recops hub: refused to write the seat card at %s: it %s", mine, e.why)
            raise ConfigError(f"{mine} {e.why}; the seat card was not written",
                              f"remove the link (or whatever else is) at {mine}: rm {mine} removes a link, not what "
                              "it points at; then start the server again") from None
        _copy_notebooks(home_fd, home / "notebooks", notebooks, owner)
    finally:
        os.close(home_fd)
    return {"RECOPS_SEAT_CARD": str(mine)}


def _copy_notebooks(home_fd: int, target: Path, notebooks: Path, owner: nofollow.Owner | None) -> None:
    """The notebooks not in ``target`` yet; what is a link (the folder or a notebook) is skipped and logged."""
    try:
        folder = nofollow.open_dir(home_fd, target.name, target, owner)
    except nofollow.Unsafe as e:
        log.warning("recops hub: the notebooks were not copied: %s %s", target, e.why)
        return
    try:
        for source in sorted(notebooks.glob("*.ipynb")):
            if not nofollow.create(folder, source.name, workcopy.working_text(source), owner):
                found = nofollow.kind(folder, source.name)
                if found != "a file":  # a regular file there is the trainee's work: kept, quietly
                    log.warning("recops hub: %s not copied: %s is %s", source.name, target / source.name, found)
    finally:
        os.close(folder)


def room_service(seats: int, port: int, cards: str | os.PathLike[str], host: str = "127.0.0.1") -> dict[str, object]:
    """The room sandbox as a Hub-managed service. Its admin token is a new random one, handed to the
    room in its environment (so the room's banner, which the Hub logs, does not show it, and it is
    on no command line); the trainer reads it from ``cards/admin-token`` (mode 0600)."""
    recops = Path(sys.executable).with_name("recops")
    return {"name": "recops-room",
            "command": [str(recops), "room", "serve", "--seats", str(seats), "--host", host, "--port", str(port),
                        "--cards", str(cards)],
            "environment": {ADMIN_TOKEN_ENV: secrets.token_urlsafe(32)}}
