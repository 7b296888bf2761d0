"""The import graph of the recops package, read from its source with ``ast`` (nothing is
imported): every ``import`` and ``from … import`` statement, those inside functions too (a lazy
import still runs), not those under ``if TYPE_CHECKING:`` (they never run). Used by the tests of
the package's cycles (tests/core/test_import_cycles.py) and of the sandbox's layout
(tests/sandbox/test_layout.py).

An edge goes to the module a statement names: ``from .a import b`` is an edge to ``recops.a.b``
when that is a module, else to ``recops.a``. The implicit import of a package's ``__init__`` by
its submodules is not an edge (every module would then be in a cycle with ``recops/__init__.py``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "recops"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
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
        yield from runtime_imports(node)


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
        for stmt in runtime_imports(tree):
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


def describe(graph: dict[str, set[str]], groups: list[list[str]]) -> str:
    return "\n".join(" → ".join(a_cycle(graph, g)) + f"   (group: {', '.join(g)})" for g in groups)
