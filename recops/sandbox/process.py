"""A child process that serves HTTP and prints its URL: ``recops sandbox serve`` above all.

Used by ``recops lab``, the benchmarks and the tests, wherever a sandbox (or JupyterLab) must run
in a process of its own:

    with sandbox_process(scenario="demo") as sb:     # python -m recops.cli sandbox serve --port 0
        sb.url                                       # read from its banner, with a real deadline

- The URL is read from the child's output within ``start_timeout`` seconds, whatever the child
  does: its stdout and stderr are read by two threads, so a child that prints nothing, or half a
  line, cannot block the caller past the deadline.
- A child that exits, or prints no URL in time, is a :class:`ProcessStartError` carrying its exit
  code and the last lines it printed; a child that outlives that error is killed.
- The output is read until the child ends (the last ``keep_lines`` lines are kept, see
  :meth:`ServedProcess.output`), so a chatty child never blocks on a full pipe.
- :meth:`ServedProcess.stop` sends SIGTERM (or the signal given), waits, then kills.

Nothing here imports the sandbox itself: a process is only a command line.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

LOOPBACK = "127.0.0.1"
URL_PATTERN = re.compile(r"listening on (https?://\S+)")  # the banner of `recops sandbox serve`


class ProcessStartError(RuntimeError):
    """The child ended, or printed no URL, before the deadline."""

    def __init__(self, message: str, output: str = "", returncode: int | None = None) -> None:
        super().__init__(message + (f"\n--- its output ---\n{output}" if output else "\n(it printed nothing)"))
        self.output = output
        self.returncode = returncode


class _Watch:
    """A wait for the first line at a position >= ``after`` (of ``stream``, or of either) that
    matches ``regex``; the reader threads check every line as it comes, so a line is seen even
    if it is no longer kept by the time the waiter wakes up."""

    def __init__(self, regex: re.Pattern[str], stream: str | None, after: int) -> None:
        self.regex = regex
        self.stream = stream
        self.after = after
        self.match: tuple[int, str] | None = None

    def check(self, position: int, name: str, text: str) -> None:
        if self.match is None and position >= self.after and self.stream in (None, name) and self.regex.search(text):
            self.match = (position, text)


class _Lines:
    """The lines the child printed (the last ``keep`` of them), tagged with their stream, with
    absolute positions so a reader can wait for lines it has not seen yet."""

    def __init__(self, keep: int, streams: int) -> None:
        self._lines: deque[tuple[str, str]] = deque(maxlen=keep)
        self._total = 0
        self._open = streams  # each pump() closes one when its stream ends
        self._watches: list[_Watch] = []
        self._cond = threading.Condition()

    def pump(self, name: str, stream: IO[str]) -> None:
        try:
            for line in stream:
                text = line.rstrip("\r\n")
                with self._cond:
                    self._lines.append((name, text))
                    for watch in self._watches:
                        watch.check(self._total, name, text)
                    self._total += 1
                    self._cond.notify_all()
        except (OSError, ValueError):  # the pipe was closed under us: the child is gone
            pass
        finally:
            with self._cond:
                self._open -= 1
                self._cond.notify_all()

    def watch(self, regex: re.Pattern[str], stream: str | None, after: int) -> _Watch:
        with self._cond:
            watch = _Watch(regex, stream, after)
            first = self._total - len(self._lines)
            for i, (name, text) in enumerate(self._lines):  # the lines already kept, in order
                watch.check(first + i, name, text)
            if watch.match is None:
                self._watches.append(watch)
            return watch

    def unwatch(self, watch: _Watch) -> int:
        """Stop watching; the position after the last line read."""
        with self._cond:
            if watch in self._watches:
                self._watches.remove(watch)
            return self._total

    def wait(self, watch: _Watch, timeout: float) -> None:
        """Block until ``watch`` matched, every stream has ended, or ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: watch.match is not None or self._open == 0, timeout)

    @property
    def ended(self) -> bool:
        with self._cond:
            return self._open == 0

    def text(self, stream: str | None = None) -> str:
        with self._cond:
            return "\n".join(text for name, text in self._lines if stream in (None, name))


class ServedProcess:
    """A command run as a child process until :meth:`stop`; :meth:`start` returns once it printed
    a URL matching ``url_pattern`` (group 1 is the URL; ``None``: do not wait for one)."""

    def __init__(self, command: Sequence[str], *, url_pattern: re.Pattern[str] | str | None = URL_PATTERN,
                 env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                 cpus: Iterable[int] | None = None, start_timeout: float = 30.0, keep_lines: int = 2000) -> None:
        self.command = [str(part) for part in command]
        self.url_pattern = re.compile(url_pattern) if isinstance(url_pattern, str) else url_pattern
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PYTHONUNBUFFERED", "1")  # the banner must not wait in a pipe buffer
        self.cwd = cwd
        self.cpus = set(cpus) if cpus is not None else None
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self._lines = _Lines(keep_lines, streams=2)
        self._cursor = 0
        self._readers: list[threading.Thread] = []

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> ServedProcess:
        if self.proc is not None:
            raise RuntimeError("this process was already started")
        cpus = self.cpus
        preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus and hasattr(os, "sched_setaffinity") else None
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, errors="replace", env=self.env,
                                     cwd=self.cwd, preexec_fn=preexec)
        for name, stream in (("stdout", self.proc.stdout), ("stderr", self.proc.stderr)):
            assert stream is not None
            reader = threading.Thread(target=self._lines.pump, args=(name, stream), daemon=True,
                                      name=f"output of pid {self.proc.pid} ({name})")
            reader.start()
            self._readers.append(reader)
        if self.url_pattern is not None:
            try:
                self.url = self.url_pattern.search(self.wait_for(self.url_pattern, self.start_timeout)).group(1)
            except BaseException:
                self.stop(timeout=5)
                raise
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Send ``sig``, wait up to ``timeout`` s, then kill. The exit code (None: never started)."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            except ProcessLookupError:
                proc.wait(5)
        for reader in self._readers:
            reader.join(2)
        return proc.returncode

    def __enter__(self) -> ServedProcess:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state --------------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("not started")
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self, stream: str | None = None) -> str:
        """What the child printed (the last ``keep_lines`` lines), of one stream or both."""
        return self._lines.text(stream)

    def wait_for(self, pattern: re.Pattern[str] | str, timeout: float, stream: str | None = None) -> str:
        """The next line (of ``stream``, or of either) that matches ``pattern``, waiting up to
        ``timeout`` s; lines before it are passed over. :class:`ProcessStartError` if the child
        ends first or the deadline passes."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        ended_at: float | None = None
        watch = self._lines.watch(regex, stream, self._cursor)
        try:
            while True:
                if watch.match is not None:
                    self._cursor = watch.match[0] + 1
                    return watch.match[1]
                now = time.monotonic()
                if self._lines.ended:  # both pipes closed: the child has exited, or is about to
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        if self.proc is not None:
                            self.proc.wait(2)
                    self._raise(f"the process ended before printing a line matching {regex.pattern!r}")
                if self.proc is not None and self.proc.poll() is not None:
                    # exited, but a grandchild may hold its pipes open: give the readers a moment
                    ended_at = now if ended_at is None else ended_at
                    if now - ended_at > 1.0:
                        self._raise(f"the process ended before printing a line matching {regex.pattern!r}")
                if now >= deadline:
                    self._raise(f"no line matching {regex.pattern!r} within {timeout:g} s")
                self._lines.wait(watch, min(deadline - now, 0.2))
        finally:
            end = self._lines.unwatch(watch)
            if watch.match is None:
                self._cursor = end  # the lines read meanwhile were passed over

    def _raise(self, why: str) -> None:
        code = self.proc.poll() if self.proc is not None else None
        status = "still running" if code is None else f"exit code {code}"
        raise ProcessStartError(f"{' '.join(self.command)}: {why} ({status})", self.output(), code)


def sandbox_command(scenario: str | None = "demo", port: int = 0, host: str = LOOPBACK,
                    python: str = sys.executable) -> list[str]:
    """``python -m recops.cli sandbox serve`` with these options (``scenario=None``: no scenario)."""
    return [python, "-m", "recops.cli", "sandbox", "serve", "--host", host, "--port", str(port),
            "--scenario", scenario or "none"]


def sandbox_process(scenario: str | None = "demo", *, port: int = 0, host: str = LOOPBACK,
                    env: Mapping[str, str] | None = None, cpus: Iterable[int] | None = None,
                    start_timeout: float = 30.0) -> ServedProcess:
    """``recops sandbox serve`` as a child process (not started: call ``start()`` or use ``with``)."""
    return ServedProcess(sandbox_command(scenario, port, host), env=env, cpus=cpus, start_timeout=start_timeout)


def room_process(seats: int, cards: str | os.PathLike[str], *, port: int = 0, host: str = LOOPBACK,
                 env: Mapping[str, str] | None = None, cpus: Iterable[int] | None = None,
                 start_timeout: float = 60.0) -> ServedProcess:
    """``recops room serve`` as a child process (not started). Its ``url`` is read from the banner's
    last line, printed once the cards are in ``cards`` (``seat-NN.json``, ``admin-token``, ...).
    The admin token is taken from ``env``'s ``RECOPS_ADMIN_TOKEN`` when set, else generated."""
    command = [sys.executable, "-m", "recops.cli", "room", "serve", "--seats", str(seats), "--host", host,
               "--port", str(port), "--cards", str(cards)]
    return ServedProcess(command, env=env, cpus=cpus, start_timeout=start_timeout)


__all__ = ["LOOPBACK", "URL_PATTERN", "ProcessStartError", "ServedProcess", "room_process", "sandbox_command",
           "sandbox_process"]
