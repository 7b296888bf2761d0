"""Memory per seat of a training room (``recops room serve``): the demo org loaded into K seats.

Each K runs in a fresh interpreter: it imports the sandbox, loads a one-seat room (so imports
and first-use caches are paid), reads its RSS, then loads a K-seat room into a new state and
reads the RSS again; per seat = the difference / K. The figure behind ``room.PER_SEAT_BYTES``
(the reserve per seat of the start-up bound) is printed beside it.

Run: ``python -m benchmarks room`` (``--quick``: K = 10 only). Linux (``/proc/self/status``).
"""

from __future__ import annotations

import json
import subprocess
import sys

from recops.sandbox.room.seats import MEASURED_SEAT_BYTES, PER_SEAT_BYTES, seat_bound

from .common import table

PROBE = r"""
import gc, json, sys
from recops.sandbox.room import Room
from recops.sandbox.model.state import SandboxState

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024

warm = SandboxState(); Room(1).load(warm)
gc.collect(); before = rss()
k = int(sys.argv[1])
state = SandboxState(); Room(k).load(state)
gc.collect(); after = rss()
print(json.dumps({"k": k, "before": before, "after": after, "conversations": len(state.all_conversations())}))
"""


def measure(k: int) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(k)], capture_output=True, text=True, timeout=600,
                         check=True)
    return json.loads(out.stdout)


def run(quick: bool = False) -> None:
    rows = []
    for k in (10,) if quick else (1, 10, 30, 60):  # each row a fresh interpreter
        m = measure(k)
        per_seat = (m["after"] - m["before"]) / k
        rows.append([f"{k} seats", f"{m['conversations']:,}", f"{(m['after'] - m['before']) / 2**20:.1f}",
                     f"{per_seat / 2**20:.2f}"])
    bound = seat_bound()
    table("Training room: memory per seat (RSS growth, fresh interpreter per row)",
          ["room", "conversations", "RSS growth MB", "MB per seat"], rows,
          [f"figure in recops/sandbox/room/seats.py: {MEASURED_SEAT_BYTES / 2**20:.2f} MB per seat; reserve per seat "
           f"in the start-up bound: {PER_SEAT_BYTES / 2**20:.0f} MB; on this machine: "
           f"{bound.explain()}"])


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
