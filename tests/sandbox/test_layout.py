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


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Absolute names this module imports when it runs (function bodies included; a
    ``TYPE_CHECKING`` block only in its ``else``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
            found.update(subs)
            if len(subs) < len(node.names) and not module.startswith(base + "."):
                found.add(base)  # names of the module itself (never the own parent package's init)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _runtime_imports(m, p, modules) for m, p in modules.items()}


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
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in graph:
                continue
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            strongconnect(v)
    assert cycles == []


@pytest.mark.parametrize("name", OLD_FLAT)
def test_no_module_is_left_at_its_old_flat_path(name):
    assert importlib.util.find_spec(f"{PACKAGE}.{name}") is None


def test_the_paths_the_rest_of_recops_uses_still_import():
    for name in ("process", "control_client", "server", "scenarios", "app"):
        importlib.import_module(f"{PACKAGE}.{name}")
    from recops.sandbox.room import Room, check_seats

    assert Room and check_seats
    assert {"SandboxApp", "SandboxServer", "SandboxState", "Room", "running"} <= set(recops.sandbox.__all__)
