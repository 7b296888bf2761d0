"""Named scenarios: JSON files beside this module (``demo.json``, ``empty.json``, ...).

A scenario file::

    {"name": "...", "description": "...", "settings": {...camelCase settings...},
     "orgs": [{"name": "sandbox-org",
               "clients": [{"clientId", "clientSecret", "name", "permissions": [...]}],
               "queues": [{"queueId", "name", "description"?}],
               "users": [{"userId", "name", "permissions"?}],
               "conversations": [{...as POST /_sandbox/conversations...}],
               "seed": {...as POST /_sandbox/seed...},
               "orphans": [{...as seeds/orphans.py reads...}]}]}

A path to a JSON file of that shape works wherever a scenario name does. ``check_scenario``
tells whether one loads cleanly (the CLI asks before serving it).

Imports: ``sandbox.model`` and ``sandbox.seeds`` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..model.state import SandboxState
from ..seeds.builders import create_client, create_conversation, create_user, seed_history
from ..seeds.names import create_queue
from ..seeds.orphans import create_orphan

HERE = Path(__file__).parent


def available() -> dict[str, str]:
    """Scenario name -> description."""
    out = {}
    for path in sorted(HERE.glob("*.json")):
        out[path.stem] = json.loads(path.read_text()).get("description", "")
    return out


def read(name_or_path: str) -> dict[str, Any]:
    path = HERE / f"{name_or_path}.json"
    if not path.is_file():
        candidate = Path(name_or_path)
        if candidate.suffix == ".json" and candidate.is_file():
            path = candidate
        else:
            raise ValueError(f"unknown scenario {name_or_path!r}; available: {', '.join(available())} "
                             "(or a path to a .json scenario file)")
    try:
        data = json.loads(path.read_text())
    except ValueError as e:
        raise ValueError(f"scenario {path} is not valid JSON: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("orgs", []), list):
        raise ValueError(f"scenario {path} must be an object with an 'orgs' list")
    return data


def load(state: SandboxState, name_or_path: str) -> dict[str, Any]:
    """Reset ``state`` and load the scenario into it. Returns a summary."""
    data = read(name_or_path)
    with state.lock:
        state.reset()
        if data.get("settings"):
            state.update_settings(data["settings"])
        summary = {"scenario": data.get("name", name_or_path), "orgs": [], "clients": 0, "conversations": 0}
        for org_spec in data.get("orgs", []):
            org = org_spec.get("name", "sandbox-org")
            loaded = load_org(state, org_spec, org)
            summary["clients"] += loaded["clients"]
            summary["conversations"] += loaded["conversations"]
            summary["orgs"].append(org)
        state.set_scenario(data.get("name", name_or_path))
    return summary


def load_org(state: SandboxState, org_spec: dict[str, Any], org: str,
             client: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, int]:
    """One org of a scenario into ``state`` under the name ``org`` (the room loads the demo org
    once per seat); ``client`` rewrites each client spec first (a seat's client ids and secrets).
    Returns the counts of clients and conversations created."""
    counts = {"clients": 0, "conversations": 0}
    with state.lock:
        for c in org_spec.get("clients", []):
            create_client(state, client(c) if client else c, org)
            counts["clients"] += 1
        for q in org_spec.get("queues", []):
            create_queue(state, q, org)
        for u in org_spec.get("users", []):
            create_user(state, u, org)
        for conv in org_spec.get("conversations", []):
            create_conversation(state, conv, org)
            counts["conversations"] += 1
        if org_spec.get("seed"):
            seeded = seed_history(state, {**org_spec["seed"], "org": org})
            counts["conversations"] += seeded["created"]
        for orphan in org_spec.get("orphans", []):  # after the conversations they may name
            create_orphan(state, orphan, org)
    return counts


def check_scenario(name: str) -> None:
    """``ValueError`` with a readable message unless the scenario loads cleanly. A built-in
    name is only looked up; a scenario file is loaded into a throwaway state first, so a
    malformed one is reported instead of leaving a half-loaded sandbox."""
    read(name)
    if name in available():
        return
    try:
        load(SandboxState(), name)
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        raise ValueError(f"scenario {name!r} cannot be loaded: {e}") from None
