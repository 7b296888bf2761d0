"""The hostile-trainee suite: every attack on the training room or the Hub hook that once
worked, replayed against the real parts (a ``recops room serve`` process over real HTTP, the
Hub hook run as root with a spare uid), so CI keeps each one closed.

``room``: one room process per test module (3 seats), started with an admin token from its
environment (never on a command line); ``RoomUnderTest`` gives each seat's card and the
headers a trainer or a seat sends.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from recops.sandbox.process import ServedProcess, room_process

SEATS = 3


@dataclass
class RoomUnderTest:
    served: ServedProcess
    cards: Path
    admin_token: str

    @property
    def url(self) -> str:
        return str(self.served.url)

    def card(self, seat: int) -> dict[str, Any]:
        return json.loads((self.cards / f"seat-{seat:02d}.json").read_text())

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def seat_basic(self, seat: int) -> dict[str, str]:
        card = self.card(seat)
        pair = f"{card['clientId']}:{card['clientSecret']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def room_env(tmp: Path, admin_token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env.update(HOME=str(tmp), PYTHONUNBUFFERED="1", RECOPS_ADMIN_TOKEN=admin_token)
    return env


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> Iterator[RoomUnderTest]:
    tmp = tmp_path_factory.mktemp("room")
    token = secrets.token_urlsafe(32)
    with room_process(SEATS, tmp / "cards", env=room_env(tmp, token)) as served:
        yield RoomUnderTest(served, tmp / "cards", token)
