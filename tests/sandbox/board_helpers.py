"""Helpers for the trainer board's tests: a recops session acting as a seat of a training room
served in-process (``SandboxServer(room=Room(n))``), with the seat's own card."""

from __future__ import annotations

from pathlib import Path

import recops
from recops.sandbox import SandboxServer
from recops.sandbox.room import Room
from recops.session import Session

EX1 = "c0a80001-0000-4000-8000-000000000002"
EX2 = "c0a80001-0000-4000-8000-000000000001"
EX5 = "c0a80001-0000-4000-8000-000000000004"
BEN = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1002"


def seat_org(n: int) -> str:
    return f"seat-{n:02d}"


def _room(server: SandboxServer) -> Room:
    room = server.app.room
    assert room is not None, "a training room's server"
    return room


def seat_basic(server: SandboxServer, n: int, role: str = "supervisor") -> str:
    """``clientId:clientSecret`` of the seat's client ``role``."""
    seat = _room(server).seat(n)
    return f"{seat.client_id(role)}:{seat.secrets[role]}"


def seat_session(server: SandboxServer, n: int, journal: Path, role: str = "supervisor") -> Session:
    seat = _room(server).seat(n)
    return recops.connect(sandbox_url=server.url, client_id=seat.client_id(role), client_secret=seat.secrets[role],
                          journal=journal)
