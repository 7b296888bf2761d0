"""CLI first answer: ``recops status ID`` against a running sandbox (``RECOPS_SANDBOX_URL`` set),
wall time as a ratio to ``python -c "import PureCloudPlatformClientV2"``, measured side by side.

Every command is run in a fresh interpreter, the commands interleaved (SDK import, status, ...)
so that load from other processes falls on each alike; the median of N runs each (``--quick``:
3, else 9), after one warm-up run of each (the ``.pyc`` caches). Then where the time of
``recops status`` goes, as differences between cumulative steps (the interpreter, ``import
recops.cli``, the SDK modules recops loads, the calls), the same command with the SDK imported in
full (``RECOPS_SDK_FULL_IMPORT=1``: what every command paid before recops/api/sdk.py), and the
largest imports of one run (``python -X importtime``).

Run: ``python -m benchmarks cli`` (``--quick`` for a short run). Loopback only; bounded.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from recops.sandbox.process import sandbox_process

from .common import clean_env, load_average, table, target

PY = sys.executable
ROOT = Path(__file__).resolve().parents[1]
ACTIVE = "c0a80001-0000-4000-8000-000000000001"  # demo.json: recorded, ACTIVE
RATIO_TARGET = 0.4

SDK_IMPORT = [PY, "-c", "import PureCloudPlatformClientV2"]
_RECOPS = Path(PY).parent / "recops"
STATUS = [str(_RECOPS), "status", ACTIVE] if _RECOPS.exists() else [PY, "-m", "recops.cli", "status", ACTIVE]
# cumulative steps of `recops status`: each includes the ones before it
STEPS = [
    ("python -c pass (the interpreter)", [PY, "-c", "pass"]),
    ("+ import recops.cli (typer, rich, recops)", [PY, "-c", "import recops.cli"]),
    ("+ the SDK modules recops loads (recops/api/sdk.py)",
     [PY, "-c", "import recops.cli; from recops.api import sdk; p = sdk.load(); p.ConversationsApi; p.RecordingApi"]),
    ("+ settings, login, 3 calls, output = recops status", STATUS),
]


def _time(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def _medians(commands: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd, env in commands.values():
        _time(cmd, env)  # warm the .pyc caches
    for _ in range(runs):
        for name, (cmd, env) in commands.items():
            times[name].append(_time(cmd, env))
    return {name: statistics.median(t) for name, t in times.items()}


def _top_imports(env: dict[str, str], limit: int = 10) -> list[tuple[str, float]]:
    """The largest top-level imports of one ``recops status`` (``-X importtime``), in ms."""
    cmd = [PY, "-X", "importtime", "-m", "recops.cli", "status", ACTIVE]
    err = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120).stderr
    top = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)  # no indent: imported at top level
        if m:
            top.append((m.group(2).strip(), int(m.group(1)) / 1000))
    return sorted(top, key=lambda x: -x[1])[:limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli_start",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 runs of each command instead of 9")
    parser.add_argument("--runs", type=int, help="runs of each command (median)")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 9)

    with sandbox_process("demo", env=clean_env()) as sb:
        env = clean_env(RECOPS_SANDBOX_URL=sb.url)
        full = env | {"RECOPS_SDK_FULL_IMPORT": "1"}
        print(f"sandbox {sb.url}; {runs} runs of each command, interleaved; {load_average()}", flush=True)
        main_runs = _medians({"sdk": (SDK_IMPORT, env), "status": (STATUS, env), "full": (STATUS, full)}, runs)
        steps = _medians({name: (cmd, env) for name, cmd in STEPS}, runs)
        top = _top_imports(env)

    sdk, status, status_full = main_runs["sdk"], main_runs["status"], main_runs["full"]
    ratio = status / sdk
    table('CLI first answer: wall time of a fresh process, median; baseline: python -c "import '
          'PureCloudPlatformClientV2"',
          ["command", "ms", "ratio vs SDK import"],
          [['python -c "import PureCloudPlatformClientV2" (baseline)', f"{sdk * 1000:.0f}", "1.00"],
           ["recops status ID (RECOPS_SANDBOX_URL set)", f"{status * 1000:.0f}", f"{ratio:.2f}"],
           ["recops status ID, RECOPS_SDK_FULL_IMPORT=1 (the SDK in full)", f"{status_full * 1000:.0f}",
            f"{status_full / sdk:.2f}"]])
    rows, before = [], 0.0
    for name, _ in STEPS:
        rows.append([name, f"{steps[name] * 1000:.0f}", f"{(steps[name] - before) * 1000:+.0f}",
                     f"{steps[name] / sdk:.2f}"])
        before = steps[name]
    table("where the time of recops status goes (cumulative steps, each a fresh process)",
          ["step", "ms", "step ms", "ratio vs SDK import"], rows)
    table("largest top-level imports of one recops status (python -X importtime; modules loaded by recops/api/sdk.py "
          "through importlib are not listed here, see the step above)",
          ["module", "cumulative ms"], [[name, f"{ms:.0f}"] for name, ms in top])
    target('CLI first answer: recops status / import PureCloudPlatformClientV2', f"{ratio:.2f}x",
           f"<= {RATIO_TARGET}x", ratio <= RATIO_TARGET, f"{status * 1000:.0f} vs {sdk * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    from .common import print_targets

    code = main()
    print_targets()
    sys.exit(code)
