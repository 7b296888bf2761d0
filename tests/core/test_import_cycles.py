"""No runtime import cycle in recops: the import graph of the package, built with ``ast`` from
every ``import`` and ``from … import`` statement (those inside functions too, since a lazy import
still runs; not those under ``if TYPE_CHECKING:``, which never run), has no cycle on the client
side or in the sandbox (``recops/sandbox/``).

An edge goes to the module a statement names: ``from .a import b`` is an edge to ``recops.a.b``
when that is a module, else to ``recops.a``. The implicit import of a package's ``__init__`` by
its submodules is not an edge (every module would then be in a cycle with ``recops/__init__.py``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "recops"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE
SANDBOX = f"{PACKAGE}.sandbox"

def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node`` that can run: the body of ``if TYPE_CHECKING:`` is
    skipped (its ``else:`` is kept)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.orelse:
                yield from _runtime_imports_of(stmt)
            continue
        yield from _runtime_imports_of(child)


def _runtime_imports_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    else:
        yield from _runtime_imports(node)


def _resolve(importer: str, is_package: bool, stmt: ast.ImportFrom) -> str:
    if not stmt.level:
        return stmt.module or ""
    parts = importer.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (stmt.level - 1)]
    return ".".join([*base, *([stmt.module] if stmt.module else [])])


def import_graph() -> dict[str, set[str]]:
    """Module → the recops modules it imports at run time."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for stmt in _runtime_imports(tree):
            if isinstance(stmt, ast.Import):
                targets = [alias.name for alias in stmt.names]
            else:
                base = _resolve(name, path.name == "__init__.py", stmt)
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                           for alias in stmt.names]
            graph[name] |= {t for t in targets if t in known and t != name}
    return graph


def cycle_groups(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def a_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """One concrete cycle through the group's first module: ``a → b → … → a``."""
    members = set(group)
    start = group[0]
    paths = {start: [start]}
    queue = [start]
    while queue:  # breadth first: the shortest way back to ``start``
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    raise AssertionError(f"{group} is not a cycle")  # pragma: no cover


def _describe(graph: dict[str, set[str]], groups: list[list[str]]) -> str:
    return "\n".join(" → ".join(a_cycle(graph, g)) + f"   (group: {', '.join(g)})" for g in groups)


def _in_sandbox(name: str) -> bool:
    return name == SANDBOX or name.startswith(f"{SANDBOX}.")


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_recops_imports(graph):
    # the scan reads module-level, relative, parent-relative and function-level imports alike
    assert "recops.genesys.codes" in graph["recops.genesys.errors"]  # from . import codes
    assert "recops.genesys.errors" in graph["recops.kit.widgets.common"]  # from recops.genesys.errors import …
    assert "recops.sandbox.server" in graph["recops.cli.commands"]  # inside a function
    assert "recops.session" not in graph["recops.ops.recording"]  # under TYPE_CHECKING only
    assert PACKAGE not in graph["recops.genesys.errors"]  # `from . import codes` names the submodule, not the package
    assert PACKAGE in graph["recops.kit.widgets.seat"]  # `import recops` (inside a function) is the package


def test_cycles_are_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"f"}, "f": {"e"}}
    groups = cycle_groups(graph)
    assert groups == [["a", "b", "c"], ["e", "f"]]
    assert a_cycle(graph, groups[0]) == ["a", "b", "c", "a"]
    assert "e → f → e" in _describe(graph, groups)


def test_type_checking_imports_are_not_edges():
    tree = ast.parse("import typing\nif TYPE_CHECKING:\n    import x\nelse:\n    import y\n"
                     "if typing.TYPE_CHECKING:\n    import z\ndef f():\n    import w\n")
    names = {alias.name for stmt in _runtime_imports(tree) for alias in stmt.names}
    assert names == {"typing", "y", "w"}


def test_no_import_cycle_on_the_client_side(graph):
    client = [g for g in cycle_groups(graph) if not all(_in_sandbox(m) for m in g)]
    assert not client, "runtime import cycles (break them; a TYPE_CHECKING import is no edge):\n" + _describe(
        graph, client)


def test_no_import_cycle_in_the_sandbox(graph):
    sandbox = [g for g in cycle_groups(graph) if all(_in_sandbox(m) for m in g)]
    assert not sandbox, "runtime import cycles in the sandbox:\n" + _describe(graph, sandbox)
