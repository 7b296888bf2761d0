"""What every benchmark shares: one table printer, one measurement window for closed-loop load
generators, the targets of issue 7 (collected by each benchmark, printed once at the end by
``python -m benchmarks``), and the small process helpers (a clean environment, CPU pinning,
CPU seconds of a process, another process's memory sampled while it works).

Not a benchmark itself: ``python -m benchmarks common`` runs nothing.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

# --- tables ------------------------------------------------------------------------------------


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]], notes: Sequence[str] = ()) -> None:
    """Print a table: the first column left-aligned, the others right-aligned; then its notes."""
    cells = [[str(x) for x in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) if cells else len(h) for i, h in enumerate(header)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w)
                         for i, (v, w) in enumerate(zip(values, widths, strict=True))).rstrip()

    print(f"\n{title}")
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))
    for note in notes:
        print(note)


# --- the targets of issue 7 ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One measured ratio (or bound) against its target."""

    name: str
    measured: str
    target: str
    met: bool
    detail: str = ""


TARGETS: list[Target] = []


def target(name: str, measured: str, target_text: str, met: bool, detail: str = "") -> None:
    """Record a result to print in the summary at the end of ``python -m benchmarks``."""
    TARGETS.append(Target(name, measured, target_text, met, detail))


def print_targets(note: str = "") -> None:
    if not TARGETS:
        return
    table("targets (ratios measured within this run)", ["what", "measured", "target", "met", "detail"],
          [[t.name, t.measured, t.target, "yes" if t.met else "NO", t.detail] for t in TARGETS],
          [note] if note else [])


# --- one measurement window of a closed-loop load generator -----------------------------------------


@dataclass
class Window:
    """A warm-up, then ``seconds`` measured. A request counts if it started and ended inside the
    window; its clients stop at the window's end (or once ``max_requests`` have been counted).
    Thread-safe: threads and asyncio tasks alike call :meth:`record` after each reply."""

    warmup: float
    seconds: float
    max_requests: int = 1_000_000
    clock_ns: Callable[[], int] = time.perf_counter_ns
    latencies_ns: list[int] = field(default_factory=list)
    unexpected: dict[str, int] = field(default_factory=dict)
    _start_ns: int = 0
    _end_ns: int = 0
    _stopped_ns: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self) -> Window:
        """Start the warm-up now."""
        self._start_ns = self.clock_ns() + int(self.warmup * 1e9)
        self._end_ns = self._start_ns + int(self.seconds * 1e9)
        return self

    def record(self, started_ns: int, ended_ns: int, problem: str | None = None) -> bool:
        """One reply (``problem``: what was wrong with it, if anything). False: stop sending."""
        if ended_ns >= self._end_ns or self._stopped_ns is not None:
            return False
        if started_ns < self._start_ns:
            return True  # warm-up
        with self._lock:
            if len(self.latencies_ns) >= self.max_requests:
                self._stopped_ns = ended_ns if self._stopped_ns is None else self._stopped_ns
                return False
            self.latencies_ns.append(ended_ns - started_ns)
            if problem is not None:
                self.unexpected[problem] = self.unexpected.get(problem, 0) + 1
        return True

    @property
    def requests(self) -> int:
        return len(self.latencies_ns)

    @property
    def elapsed(self) -> float:
        """Measured seconds: the window, or up to the cap if it was reached first."""
        end = self._end_ns if self._stopped_ns is None else min(self._end_ns, self._stopped_ns)
        return max(0.0, (end - self._start_ns) / 1e9)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0


def percentile(latencies_ns: Sequence[int], p: float) -> float:
    """Nearest-rank percentile, in milliseconds (NaN for no samples)."""
    if not latencies_ns:
        return math.nan
    ordered = sorted(latencies_ns)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1] / 1e6


# --- processes -------------------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without credentials or recops settings, with a fresh HOME (so no SDK
    config file or journal of the user is read)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env["HOME"] = tempfile.mkdtemp(prefix="recops-bench-home-")
    return env | extra


def cpu_seconds(pid: int) -> float | None:
    """user+system CPU seconds of a process (Linux /proc), else None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def vm_bytes(pid: int, name: str = "VmRSS") -> int | None:
    """A memory figure of a process from ``/proc/<pid>/status`` in bytes (``VmRSS``: resident now,
    ``VmHWM``: its peak since it started); None once the process is gone, or off Linux."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(f"{name}:"):
                    return int(line.split()[1]) * 1024  # the kernel's "kB" is KiB
    except (OSError, ValueError, IndexError):
        return None
    return None


class RssSampler:
    """Another process's ``VmRSS`` every ``every`` seconds on a thread, from :meth:`start` to
    :meth:`stop`: the highest sample and the samples themselves (seconds since start, bytes)."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every = pid, every
        self.peak = 0
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"RSS of pid {pid}")

    def start(self) -> RssSampler:
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            rss = vm_bytes(self.pid)
            if rss is not None:
                self.samples.append((time.monotonic() - self._t0, rss))
                self.peak = max(self.peak, rss)
            if self._stop.wait(self.every):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def split_cpus(pin: bool = True) -> tuple[set[int] | None, set[int] | None]:
    """(the server's CPU, the load generator's CPUs) on a machine with two or more; else Nones."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[0]}, set(cpus[1:])


@contextlib.contextmanager
def affinity(cpus: set[int] | None) -> Iterator[None]:
    """This process on ``cpus`` for the block."""
    if not cpus or not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
