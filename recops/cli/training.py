"""``recops training …``: tools for whoever runs a class (registered by recops/cli/commands.py).

``recops training forms [--check] [--notebooks DIR] [--json]`` writes the trainee form of the training
walkthrough from the trainer form (recops/kit/training_forms.py). With ``--check`` it writes
nothing and exits 1 when a trainee form is stale or missing (for CI), 0 when all are up to
date; 2 on bad input (no such folder, no notebook with cells tagged ``solution``). ``--json``
prints ``{"check": bool, "stale": [...], "written": [...]}`` on stdout instead of the lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .plumbing import print_json, reported_errors

EXIT_STALE = 1

training_app = typer.Typer(no_args_is_help=True, help="Tools for running a class.")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@training_app.command("forms")
def forms(
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a trainee form is stale.")] = False,
    notebooks: Annotated[str | None, typer.Option(
        help="The notebooks folder (default: ./notebooks, else the checkout's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Generate the walkthrough's trainee form (answers blanked) from the trainer form."""
    from recops.kit import training_forms
    from recops.kit.lab import notebooks_dir

    stale: list[Path] = []
    changed: list[Path] = []
    with reported_errors(as_json=as_json):  # a ConfigError: what went wrong, what to do, exit 2
        nb_dir = notebooks_dir(notebooks)
        if check:
            stale = training_forms.stale(nb_dir)
        else:
            changed = training_forms.write(nb_dir)
    if as_json:
        print_json({"check": check, "stale": [_shown(p) for p in stale], "written": [_shown(p) for p in changed]})
        if stale:
            raise typer.Exit(EXIT_STALE)
        return
    if check:
        for path in stale:
            typer.echo(f"stale: {_shown(path)}", err=True)
        if stale:
            typer.echo("the trainee forms differ from what the trainer forms generate: "
                       "run `recops training forms`", err=True)
            raise typer.Exit(EXIT_STALE)
        typer.echo("the trainee forms are up to date")
        return
    for path in changed:
        typer.echo(f"wrote {_shown(path)}")
    if not changed:
        typer.echo("the trainee forms are up to date: nothing written")
