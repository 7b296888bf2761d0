"""Benchmarks for recops. Run them all with ``python -m benchmarks`` (``--quick`` for a short run),
or some of them by name: ``python -m benchmarks sandbox core``.

A benchmark is any module of this package whose name does not start with ``_`` and that has
``main(argv) -> int`` or ``run(quick=False)``. Benchmarks are never collected by pytest (the test
suite lives in ``tests/`` and no file here is named ``test_*``); each one is bounded, stops by
itself and talks to loopback only.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

HELPERS = frozenset({"common"})  # shared code, not a benchmark


def names() -> list[str]:
    """The benchmark modules of this package, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                  if not m.name.startswith("_") and m.name not in HELPERS)


__all__ = ["names"]
