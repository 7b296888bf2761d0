"""The many-id form of ``recops pause|resume``: a progress bar on stderr when it is a terminal,
and the exit code of a run (see docs/cli.md). The ids themselves are read by
``recops.cli.plumbing.read_ids``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .plumbing import exit_code_of

if TYPE_CHECKING:
    from rich.console import Console

    from recops.ops.bulk import Outcomes
    from recops.session import Session


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


def worst_exit_code(outcomes: Outcomes) -> int:
    """0 when every id was changed, skipped as a no-op or dry-run; otherwise the highest of the
    failures' exit codes (``recops.cli.plumbing.EXIT_CODES`` rise with severity)."""
    return max([0, *(exit_code_of(o.error.error_class()) for o in outcomes.failures if o.error is not None)])
