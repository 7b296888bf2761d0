"""A trainee's seat card: which training room, which seat, where, and as whom.

``recops room serve`` writes one per seat (``seat-NN.json``)::

    {"room": "room-1a2b3c4d", "seat": 3, "url": "http://10.0.0.5:8765", "org": "seat-03",
     "clientId": "seat-03-supervisor", "clientSecret": "...",
     "readonlyClientId": "seat-03-readonly", "readonlyClientSecret": "..."}

``RECOPS_SEAT_CARD=path`` (or ``recops.connect(seat_card=path)``, ``recops lab --seat-card``)
points a session at the card's URL with its supervisor client. Before the first request the
session checks that the sandbox there is the card's room (``check_room``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recops.genesys.errors import ConfigError

from .secret import Secret

CARD_FIELDS = ("room", "seat", "url", "org", "clientId", "clientSecret")
ASK = "ask the trainer for your seat card (seat-NN.json in the folder `recops room serve` printed)"


@dataclass(frozen=True)
class SeatCard:
    path: Path
    room: str
    seat: int
    url: str
    org: str
    client_id: str
    client_secret: Secret
    readonly_client_id: str | None = None
    readonly_client_secret: Secret | None = None

    def describe(self) -> str:
        return f"seat {self.seat} ({self.org}) of {self.room}"


def read_seat_card(path: str | Path, source: str = "RECOPS_SEAT_CARD") -> SeatCard:
    """The card at ``path``; ``ConfigError`` saying what to do when it is missing or garbled."""
    card_path = Path(path).expanduser()
    try:
        text = card_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"the seat card {card_path} ({source}) does not exist",
                          f"check the path, or {ASK}") from None
    except OSError as e:
        raise ConfigError(f"cannot read the seat card {card_path} ({source}): {e.strerror or e}",
                          f"check the file's permissions, or {ASK}") from None
    return parse_seat_card(text, f"{card_path} ({source})", card_path,
                           redo="use the seat-NN.json file exactly as written")


def parse_seat_card(text: str | bytes, where: str, path: Path | None = None, *, need_org: bool = True,
                    redo: str = "paste the whole content of your seat-NN.json file, or upload the file") -> SeatCard:
    """A card from its JSON text (a file's, or one pasted or uploaded in the seat picker);
    ``ConfigError`` naming ``where`` and what is wrong. Without ``need_org`` a card may leave out
    ``org`` (it is ``seat-NN``). ``redo`` is the first thing to try when the text is garbled."""
    try:
        data: Any = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"the seat card {where} is not JSON", f"{redo}, or {ASK}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"the seat card {where} is not a JSON object (a card is a JSON object of its fields)",
                          f"{redo}, or {ASK}")
    missing = [k for k in CARD_FIELDS if not data.get(k) and (need_org or k != "org")]
    if missing:
        raise ConfigError(f"the seat card {where} lacks {', '.join(missing)}", f"{redo}, or {ASK}")
    strings = [k for k in CARD_FIELDS if k != "seat" and k in data and not isinstance(data[k], str)]
    seat = data["seat"]
    if strings or isinstance(seat, bool) or not isinstance(seat, int) or seat < 1:
        bad = strings or ["seat"]
        raise ConfigError(f"the seat card {where} has a wrong {', '.join(bad)}", ASK)
    url = data["url"].rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"the seat card {where} has no http(s) url ({url!r})", ASK)
    readonly_secret = data.get("readonlyClientSecret")
    return SeatCard(
        path=path or Path(f"({where})"), room=data["room"], seat=seat, url=url,
        org=data.get("org") or f"seat-{seat:02d}",
        client_id=data["clientId"], client_secret=Secret(data["clientSecret"]),
        readonly_client_id=data.get("readonlyClientId") or None,
        readonly_client_secret=Secret(readonly_secret) if isinstance(readonly_secret, str) and readonly_secret
        else None,
    )


def check_room(card: SeatCard, url: str) -> None:
    """``ConfigError`` unless the sandbox at ``url`` is the card's room (its health's ``room``)."""
    import urllib3

    try:
        resp = urllib3.request("GET", f"{url}/_sandbox/health", retries=False,
                               timeout=urllib3.Timeout(connect=5, read=10))
        health = json.loads(resp.data) if resp.status == 200 else None
    except (urllib3.exceptions.HTTPError, ValueError) as e:
        raise ConfigError(f"cannot reach the training room at {url} ({type(e).__name__}) for {card.describe()}",
                          "check that the room is running (the trainer's `recops room serve`) and that "
                          "this machine can reach it") from None
    if not isinstance(health, dict):
        raise ConfigError(f"{url} does not answer as a recops sandbox (HTTP {resp.status})",
                          "check the url on your seat card, or RECOPS_SANDBOX_URL")
    room = health.get("room")
    if room != card.room:
        there = f"room {room}" if room else "a sandbox that is no training room"
        raise ConfigError(f"the seat card {card.path} is for room {card.room}, which is not running at {url} "
                          f"any more ({url} serves {there})",
                          f"ask the trainer for your seat card of this room{f' ({room})' if room else ''}: the "
                          "trainer hands out new cards each time the room starts; or unset RECOPS_SEAT_CARD")
