"""Helpers for the trainer board's tests: a scenario with two seats, each a copy of the demo
org (same conversation and user ids, its own clients), and a recops session acting as a seat."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import recops
from recops.sandbox import scenarios
from recops.session import Session

EX1 = "c0a80001-0000-4000-8000-000000000002"
EX2 = "c0a80001-0000-4000-8000-000000000001"
EX5 = "c0a80001-0000-4000-8000-000000000004"
BEN = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1002"


def seat_org(n: int) -> str:
    return f"seat-{n:02d}"


def two_seat_scenario(folder: Path, seats: int = 2) -> Path:
    """A scenario file: ``seats`` orgs ``seat-NN``, each the demo org under its own clients."""
    demo = next(o for o in scenarios.read("demo")["orgs"] if o["name"] == "sandbox-org")
    orgs: list[dict[str, Any]] = []
    for n in range(1, seats + 1):
        org = copy.deepcopy(demo)
        org["name"] = seat_org(n)
        for c in org["clients"]:
            c["clientId"] = c["clientId"].replace("sandbox", seat_org(n))
            c["clientSecret"] = f"{c['clientId']}-secret"
        org["seed"] = {**org["seed"], "count": 40}  # a smaller history: exercise 6 only queries it
        orgs.append(org)
    path = folder / "seats.json"
    path.write_text(json.dumps({"name": "seats", "description": "two seats", "orgs": orgs}))
    return path


def seat_session(url: str, n: int, journal: Path) -> Session:
    cid = f"{seat_org(n)}-supervisor"
    return recops.connect(sandbox_url=url, client_id=cid, client_secret=f"{cid}-secret", journal=journal)
