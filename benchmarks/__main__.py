"""``python -m benchmarks [NAME ...] [--quick] [options of the benchmarks]``: run the benchmarks.

With no NAME every benchmark runs. A NAME selects the modules it names or starts
(``sandbox`` -> ``sandbox_throughput``, ``core`` -> ``core_bench``, ``ledger`` -> ``ledger_bench``,
``cli`` -> ``cli_start``, ``room`` -> ``room_abuse``, ``room_load`` and ``room_memory``). At the
end, the targets the benchmarks that ran measured (issue 7's, and issue 16's ``room_abuse``: the
other seats' p99 and errors, seat 1's 429s and 5xx, the room's peak RSS against its bound) are
printed as one table (each row a figure measured within this run, its target, and whether it is
met). Options this runner does not
know are passed on to benchmarks that take ``main(argv)`` (give their values with ``=``:
``--seconds=2``); see e.g.
``python -m benchmarks.sandbox_throughput --help``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys

from . import names
from .common import print_targets


def _select(wanted: list[str], available: list[str]) -> list[str]:
    chosen: list[str] = []
    for want in wanted:
        hits = [n for n in available if n == want] or [n for n in available if n.startswith(want)]
        if not hits:
            raise SystemExit(f"no benchmark {want!r}; available: {', '.join(available)}")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def _run(name: str, quick: bool, rest: list[str]) -> int:
    module = importlib.import_module(f"{__package__}.{name}")
    main = getattr(module, "main", None)
    if callable(main) and inspect.signature(main).parameters:
        return int(main([*(["--quick"] if quick else []), *rest]) or 0)
    run = getattr(module, "run", None)
    if callable(run):
        run(quick=quick)
        return 0
    if callable(main):
        return int(main() or 0)
    print(f"skipped {name}: it has neither main(argv) nor run(quick=)")
    return 0


def main(argv: list[str] | None = None) -> int:
    available = names()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Run the recops benchmarks.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (of: {', '.join(available)})")
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke check; noisier numbers)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args, rest = parser.parse_known_args(argv)
    if args.list:
        for name in available:
            doc = (importlib.import_module(f"{__package__}.{name}").__doc__ or "").strip()
            print(f"{name:<22} {doc.splitlines()[0] if doc else ''}")
        return 0
    status = 0
    for name in _select(args.names, available) if args.names else available:
        print(f"== {name} ==", flush=True)
        status |= _run(name, args.quick, rest)
        print(flush=True)
    print_targets("Ratios, not absolute times: on a machine shared with other work they are noisy, the sandbox "
                  "capacity ratios the most.")
    return status


if __name__ == "__main__":
    sys.exit(main())
