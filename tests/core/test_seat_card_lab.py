"""``recops lab`` with a seat card (``RECOPS_SEAT_CARD``, as ``--seat-card`` sets it): it checks
the room, starts no sandbox of its own, says which seat it acts on, and never prints a secret."""

from __future__ import annotations

import json

from recops.sandbox.room import Room
from recops.sandbox.server import SandboxServer

from ..lab.test_lab_command import _env, _lab


def test_lab_on_a_seat_starts_no_sandbox_and_names_the_seat(tmp_path):
    with SandboxServer(scenario=None, room=Room(2)) as rs:
        rs.app.room.write_cards(tmp_path / "cards", rs.url)
        card = tmp_path / "cards" / "seat-02.json"
        env = _env(tmp_path, RECOPS_SEAT_CARD=str(card))
        with _lab(env) as (lab, _port, _codes):
            pass
    text = lab.output()
    assert f"SEAT: seat 2 (seat-02) of {rs.app.room.id} at {rs.url}" in text
    assert "SANDBOX: started" not in text and "REAL ORG" not in text
    assert json.loads(card.read_text())["clientSecret"] not in text
