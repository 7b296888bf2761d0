"""The sandbox's layout, read from its source: sub-packages by capability that import only
what their docstrings allow, no runtime import cycle (imports under ``TYPE_CHECKING`` are
types only), nothing from the client side but the board's ``recops.genesys.explain``, and no module
left at an old flat path."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

import recops.sandbox
from tests.import_graph import cycle_groups, describe, import_graph

ROOT = Path(recops.sandbox.__file__).parent
PACKAGE = "recops.sandbox"

# sub-package -> the sub-packages its modules may import at run time (besides their own)
ALLOWED = {
    "model": set(),
    "http": {"model"},
    "seeds": {"model"},
    "scenarios": {"model", "seeds"},
    "services": {"model", "http", "seeds"},
    "control": {"model", "http", "seeds", "scenarios", "services"},
    "room": {"model", "http", "scenarios"},
}
CLIENT_SIDE_ALLOWED = {("recops.sandbox.room.board", "recops.genesys.explain")}  # the board's hints
OLD_FLAT = ("analytics", "analytics_jobs", "analytics_select", "annotations", "api", "api_base", "batch_download",
            "board", "board_page", "builders", "clock", "control_auth", "directory", "directory_api", "errors",
            "faults", "history", "media", "models", "permissions", "pipeline", "ratelimit", "recordings_api",
            "render", "room_api", "routes", "seed_pauses", "settings", "specs", "state", "wire")


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """The sandbox's modules and the recops modules each imports at run time."""
    return {m: edges for m, edges in import_graph().items() if m == PACKAGE or m.startswith(PACKAGE + ".")}


def _subpackage(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[2] in ALLOWED else None


def test_every_subpackage_says_what_it_owns_and_may_import():
    for name in ALLOWED:
        init = ROOT / name / "__init__.py"
        assert init.is_file(), name
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and "Imports" in doc, name


def test_subpackages_import_only_what_they_may(graph):
    for module, imports in graph.items():
        own = _subpackage(module)
        if own is None:
            continue  # the top level: app (the composition), server, process, control_client
        for target in imports:
            if not target.startswith(PACKAGE + "."):
                continue
            other = _subpackage(target)
            assert other is not None, (module, target)  # never the composition or the server
            assert other == own or other in ALLOWED[own], f"{module} imports {target}"


def test_the_sandbox_imports_nothing_from_the_client_side_but_the_boards_hints(graph):
    for module, imports in graph.items():
        for target in imports:
            if target.startswith("recops.") and not target.startswith(PACKAGE):
                assert (module, target) in CLIENT_SIDE_ALLOWED, f"{module} imports {target}"


def test_no_runtime_import_cycle(graph):
    sandbox = {m: {e for e in edges if e in graph} for m, edges in graph.items()}
    groups = cycle_groups(sandbox)
    assert groups == [], describe(sandbox, groups)


@pytest.mark.parametrize("name", OLD_FLAT)
def test_no_module_is_left_at_its_old_flat_path(name):
    assert importlib.util.find_spec(f"{PACKAGE}.{name}") is None


def test_the_paths_the_rest_of_recops_uses_still_import():
    for name in ("process", "control_client", "server", "scenarios", "app"):
        importlib.import_module(f"{PACKAGE}.{name}")
    from recops.sandbox.room import Room, check_seats

    assert Room and check_seats
    assert {"SandboxApp", "SandboxServer", "SandboxState", "Room", "running"} <= set(recops.sandbox.__all__)
