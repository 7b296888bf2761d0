"""Issue 17, item 8: ``--help`` texts broke mid-sentence even at 160 columns (typer kept the line
breaks of the docstrings). Through the real CLI (a subprocess) at COLUMNS=80 and 160: a line of
prose ends early only where its paragraph ends, i.e. where the next word would not have fitted."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [[], ["lab"], ["status"], ["export"], ["table"], ["ledger"], ["sandbox", "serve"], ["room", "serve"],
            ["training", "forms"]]
SLACK = 4  # the borders and paddings of rich's panels


def _help(command: list[str], columns: int) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    done = subprocess.run([sys.executable, "-m", "recops.cli", *command, "--help"], cwd=ROOT, timeout=60,
                          env=env | {"COLUMNS": str(columns), "TERM": "dumb"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _early_breaks(lines: list[str], columns: int) -> list[str]:
    """Pairs of lines of one paragraph where the second's first word would have fitted on the first."""
    found = []
    for a, b in itertools.pairwise(lines):
        if a.startswith("│") and b.startswith("│"):  # a row of a panel, and the next
            first, cell = a[1:].rstrip("│ "), b[1:].rstrip("│ ")
            continuation = cell.startswith(" " * 6) and cell.strip() and not cell.strip().startswith("[")
            if continuation and len(first) + 1 + len(cell.split()[0]) <= columns - SLACK:
                found.append(f"{a!r} / {b!r}")
        elif (a.strip() and b.strip() and not a.startswith(("│", "╭", "╰")) and not b.startswith(("│", "╭", "╰"))
              and len(a.rstrip()) + 1 + len(b.split()[0]) <= columns - SLACK and "Usage:" not in a):
            found.append(f"{a!r} / {b!r}")
    return found


@pytest.mark.parametrize("columns", [80, 160])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "recops")
def test_help_breaks_lines_only_where_the_width_ends(command, columns):
    lines = _help(command, columns)
    assert max(len(line) for line in lines) <= columns
    assert _early_breaks(lines, columns) == []
