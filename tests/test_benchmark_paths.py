"""The benchmarks name recops's modules in code and in command lines they run: both must follow
the package's layout (a moved module once broke ``python -m benchmarks cli`` at its first step)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess

import pytest

import benchmarks
from benchmarks import cli_start


@pytest.mark.parametrize("name", [m.name for m in pkgutil.iter_modules(benchmarks.__path__)
                                  if m.name != "__main__"])
def test_every_benchmark_module_imports(name):
    importlib.import_module(f"benchmarks.{name}")


@pytest.mark.parametrize("step", [s for s in cli_start.STEPS if s[1][0] == cli_start.PY], ids=lambda s: s[0])
def test_the_cli_start_steps_run(step):
    """Every cumulative step but the last (``recops status``, which needs a sandbox) runs as written."""
    proc = subprocess.run(step[1], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
