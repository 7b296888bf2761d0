"""No runtime import cycle in recops: the import graph of the package (tests/import_graph.py: every
import that can run, lazy ones included, ``TYPE_CHECKING`` ones not) has no cycle on the client
side or in the sandbox (``recops/sandbox/``)."""

from __future__ import annotations

import ast

import pytest

from tests.import_graph import PACKAGE, a_cycle, cycle_groups, describe, import_graph, runtime_imports

SANDBOX = f"{PACKAGE}.sandbox"

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
    assert "e → f → e" in describe(graph, groups)


def test_type_checking_imports_are_not_edges():
    tree = ast.parse("import typing\nif TYPE_CHECKING:\n    import x\nelse:\n    import y\n"
                     "if typing.TYPE_CHECKING:\n    import z\ndef f():\n    import w\n")
    names = {alias.name for stmt in runtime_imports(tree) for alias in stmt.names}
    assert names == {"typing", "y", "w"}


def test_no_import_cycle_on_the_client_side(graph):
    client = [g for g in cycle_groups(graph) if not all(_in_sandbox(m) for m in g)]
    assert not client, "runtime import cycles (break them; a TYPE_CHECKING import is no edge):\n" + describe(
        graph, client)


def test_no_import_cycle_in_the_sandbox(graph):
    sandbox = [g for g in cycle_groups(graph) if all(_in_sandbox(m) for m in g)]
    assert not sandbox, "runtime import cycles in the sandbox:\n" + describe(graph, sandbox)
