"""The many-id form of ``recops pause|resume``: reading ids from a file or stdin, a progress bar
on stderr when it is a terminal, and the exit code of a run (see docs/cli.md)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from recops.ops.bulk import Outcomes
    from recops.session import Session


def read_ids(source: str) -> list[str]:
    """Ids from a file or stdin ('-'): whitespace- or comma-separated, '#' starts a comment."""
    from recops.genesys.errors import ConfigError

    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as e:
        raise ConfigError(f"cannot read conversation ids from {source}: {e.strerror or e}") from None
    return [token for line in text.splitlines()
            for token in line.split("#", 1)[0].replace(",", " ").split()]


def run_with_progress(session: Session, action: str, ids: list[str], yes: bool, dry_run: bool,
                      err: Console) -> Outcomes:
    """``Session.pause_many``/``resume_many``, with a progress bar on stderr when it is a terminal."""
    many = session.pause_many if action == "pause" else session.resume_many
    if not err.is_terminal:
        return many(ids, confirm=yes, dry_run=dry_run)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task(action, total=len(ids))
        stop_listening = session.on_wait(lambda wait: progress.update(task, description=f"{action}: {wait.reason} "
                                                                                        f"{wait.seconds:.1f} s"))
        try:
            return many(ids, confirm=yes, dry_run=dry_run,
                        on_progress=lambda done, _total, _o: progress.update(task, completed=done, description=action))
        finally:
            stop_listening()


def worst_exit_code(outcomes: Outcomes, exit_codes: dict[str, int]) -> int:
    """0 when every id was changed, skipped as a no-op or dry-run; otherwise the highest of the
    failures' exit codes (the CLI's EXIT_CODES rise with severity: usage 2 < nonsense now 3 <
    refused by Genesys 4 < no answer, maybe applied 5 < journal 6)."""
    codes = [0]
    for outcome in outcomes.failures:
        assert outcome.error is not None
        cls = outcome.error.error_class()
        codes.append(next((exit_codes[c.__name__] for c in cls.__mro__ if c.__name__ in exit_codes), 1))
    return max(codes)
