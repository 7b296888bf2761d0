"""A training room: one sandbox, one isolated org per seat, a seat card per trainee.

Seat ``k`` (1-based) is the org ``seat-NN`` (``seat-01``, ``seat-02``, ...). It holds its own
copy of the demo scenario's org (``sandbox-org``): the same conversation, participant, recording, user and
queue ids as the demo (ids are per org) and its own OAuth clients ``seat-NN-supervisor``,
``seat-NN-readonly``, ``seat-NN-integration`` and ``seat-NN-nothing`` with random secrets that
last as long as the room (a seat reset keeps them, so a card stays valid). The room has a random
id (``room-xxxxxxxx``) that seat cards carry, so a card from another room is recognised, and an
admin token for the trainer (control/auth.py).

Memory, measured by ``python -m benchmarks room`` (the demo org loaded into K seats in a fresh
interpreter, RSS growth / K; CPython 3.12, x86-64 Linux): **1.35 MB per seat**, flat from 1 to
60 seats (507 conversations each: the demo org's 7 live ones and its 500-conversation week of
history, materialised). The start-up bound reserves ``PER_SEAT_BYTES`` = 8 MB per seat (about
6x the measure: the tokens, request-log entries, caches and conversations a working seat adds)
within half of ``MemAvailable``, and never allows more than ``HARD_CAP`` seats.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import scenarios
from ..model import errors
from ..model.state import OrgState, SandboxState

SCENARIO = "demo"
SCENARIO_ORG = "sandbox-org"  # the demo org every seat copies
CLIENT_PREFIX = "sandbox-"  # demo client ids are sandbox-<role>; a seat's are seat-NN-<role>
ROLES = ("supervisor", "readonly", "integration", "nothing")

MEASURED_SEAT_BYTES = 1_415_000  # RSS per seat, 1.35 MiB, measured as the module docstring says
PER_SEAT_BYTES = 8 * 1024 * 1024  # what the bound reserves per seat: the measure with ~6x headroom
MEMORY_SHARE = 0.5  # the room may use this share of MemAvailable
HARD_CAP = 99  # seat names have two digits (seat-01 .. seat-99)
MEMINFO = Path("/proc/meminfo")


def seat_org(number: int) -> str:
    return f"seat-{number:02d}"


def new_room_id() -> str:
    return f"room-{secrets.token_hex(4)}"


def new_admin_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Seat:
    number: int
    secrets: dict[str, str] = field(repr=False)  # role -> client secret

    @property
    def org(self) -> str:
        return seat_org(self.number)

    def client_id(self, role: str = "supervisor") -> str:
        return f"{self.org}-{role}"

    def public(self) -> dict[str, Any]:
        """What the trainer's view may show: never a secret."""
        return {"seat": self.number, "org": self.org,
                "clientId": self.client_id("supervisor"), "readonlyClientId": self.client_id("readonly"),
                "clients": [self.client_id(r) for r in ROLES]}

    def card(self, room_id: str, url: str) -> dict[str, Any]:
        """The seat card a trainee gets (contains the seat's secrets)."""
        return {"room": room_id, "seat": self.number, "url": url, "org": self.org,
                "clientId": self.client_id("supervisor"), "clientSecret": self.secrets["supervisor"],
                "readonlyClientId": self.client_id("readonly"), "readonlyClientSecret": self.secrets["readonly"]}


class Room:
    """The seats of one room and how to (re)load them; the admin token is never shown."""

    def __init__(self, seats: int, admin_token: str | None = None, room_id: str | None = None) -> None:
        if seats < 1:
            raise ValueError("a room needs at least 1 seat (--seats 1 or more)")
        if seats > HARD_CAP:
            raise ValueError(f"a room has at most {HARD_CAP} seats, not {seats}")
        self.id = room_id or new_room_id()
        self._admin_token = admin_token or new_admin_token()
        self.seats = tuple(Seat(k, {r: secrets.token_urlsafe(24) for r in ROLES}) for k in range(1, seats + 1))
        self.scenario = SCENARIO
        self._org_spec = _scenario_org()

    def __repr__(self) -> str:
        return f"Room({self.id!r}, seats={len(self.seats)})"

    @property
    def admin_token(self) -> str:
        return self._admin_token

    def seat(self, number: int | str) -> Seat:
        """The seat, or 404 ``sandbox.not.found`` naming the valid range."""
        text = str(number)
        if text.isdigit() and 1 <= int(text) <= len(self.seats):
            return self.seats[int(text) - 1]
        raise errors.sandbox_not_found(
            f"no seat {text!r} in {self.id}: seats are numbered 1 to {len(self.seats)}")

    def seat_of_org(self, org: str) -> Seat | None:
        return next((s for s in self.seats if s.org == org), None)

    def public(self) -> dict[str, Any]:
        return {"room": self.id, "seats": len(self.seats), "scenario": self.scenario,
                "seatList": [s.public() for s in self.seats]}

    # --- loading ---------------------------------------------------------------------------------

    def load(self, state: SandboxState) -> dict[str, Any]:
        """Every seat from scratch (the state is reset first): a full reset builds them so in a
        scratch state, off the served one's lock, and swaps it in (control/plane.py)."""
        with state.lock:
            state.reset()
            clients = conversations = 0
            for seat in self.seats:
                counts = self._load_seat(state, seat)
                clients += counts["clients"]
                conversations += counts["conversations"]
            state.set_scenario(self.scenario)
        return {"scenario": self.scenario, "room": self.id, "orgs": [s.org for s in self.seats],
                "clients": clients, "conversations": conversations}

    def build_seat(self, seat: Seat, like: SandboxState) -> tuple[OrgState, dict[str, Any]]:
        """A fresh copy of this room's org for ``seat`` (same client secrets), built in a scratch
        state with ``like``'s settings and clock and none of its locks, so any thread may build
        it; and the seat reset's summary. ``SandboxState.replace_org`` swaps it in."""
        scratch = SandboxState(settings=like.settings, clock=like.clock)
        counts = self._load_seat(scratch, seat)
        summary = {"scenario": self.scenario, "room": self.id, "seat": seat.number, "orgs": [seat.org], **counts}
        return scratch.orgs[seat.org], summary

    def _load_seat(self, state: SandboxState, seat: Seat) -> dict[str, int]:
        def client(spec: dict[str, Any]) -> dict[str, Any]:
            role = str(spec["clientId"]).removeprefix(CLIENT_PREFIX)
            return {**spec, "clientId": seat.client_id(role), "clientSecret": seat.secrets[role],
                    "name": f"{spec.get('name', role)} ({seat.org})"}

        return scenarios.load_org(state, self._org_spec, seat.org, client)

    # --- cards -----------------------------------------------------------------------------------

    def write_cards(self, directory: Path, url: str) -> list[Path]:
        """``seat-NN.json`` per seat, ``seats.json`` and ``seats.csv`` (all cards) and
        ``admin-token``. Every file holds secrets, so each is created with mode 0600 in a
        folder of mode 0700."""
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        cards = [s.card(self.id, url) for s in self.seats]
        written = []
        for card in cards:
            written.append(_write_private(directory / f"{card['org']}.json", json.dumps(card, indent=2) + "\n"))
        written.append(_write_private(directory / "seats.json", json.dumps(cards, indent=2) + "\n"))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(cards[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(cards)
        written.append(_write_private(directory / "seats.csv", out.getvalue()))
        written.append(_write_private(directory / "admin-token", self._admin_token + "\n"))
        return written


def _write_private(path: Path, text: str) -> Path:
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def _scenario_org() -> dict[str, Any]:
    data = scenarios.read(SCENARIO)
    for org in data.get("orgs", []):
        if org.get("name") == SCENARIO_ORG:
            return org
    raise ValueError(f"the {SCENARIO} scenario has no org {SCENARIO_ORG!r}")  # pragma: no cover


# --- how many seats this machine holds ------------------------------------------------------------


@dataclass(frozen=True)
class SeatBound:
    maximum: int
    available_bytes: int | None  # MemAvailable, None when unknown (no /proc/meminfo)

    def explain(self) -> str:
        if self.available_bytes is None:
            return f"at most {self.maximum} seats (the room's hard cap; this machine's free memory is unknown)"
        why = (f"{self.available_bytes / 2**20:,.0f} MB available, about {PER_SEAT_BYTES / 2**20:.0f} MB "
               f"reserved per seat, at most {MEMORY_SHARE:.0%} of it for the room")
        return f"at most {self.maximum} seats ({why}; hard cap {HARD_CAP})"


def mem_available(meminfo: Path = MEMINFO) -> int | None:
    """``MemAvailable`` in bytes, or None when it cannot be read."""
    try:
        text = meminfo.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024  # the kernel's "kB" is KiB
    return None


def seat_bound(meminfo: Path = MEMINFO) -> SeatBound:
    available = mem_available(meminfo)
    if available is None:
        return SeatBound(HARD_CAP, None)
    return SeatBound(max(0, min(HARD_CAP, int(available * MEMORY_SHARE // PER_SEAT_BYTES))), available)


def check_seats(seats: int, meminfo: Path = MEMINFO) -> SeatBound:
    """``ValueError`` saying the maximum unless this machine can hold ``seats`` seats."""
    if seats < 1:
        raise ValueError(f"--seats must be at least 1, not {seats}: one seat per trainee")
    bound = seat_bound(meminfo)
    if seats > bound.maximum:
        raise ValueError(f"--seats {seats} is more than this machine can hold: {bound.explain()}. "
                         "Run fewer seats, or split the class over two rooms (two machines or ports)")
    return bound


def parse_card_rows(text: str) -> list[dict[str, str]]:
    """The rows of a ``seats.csv`` (for tools that hand the cards out)."""
    return list(csv.DictReader(io.StringIO(text)))
