"""``recops export (--interval … [--queue …] | --from-file FILE|-) --dest DIR``: the CLI face of
``Session.export`` (registered by recops/cli/commands.py). Progress on stderr when it is a terminal; a
summary table, or ``--json`` (the manifest); the exit code of the run (see docs/cli.md):

- 0: every recording exported (a dry run: nothing unresolvable);
- 2: bad input (no ids, a destination that is a file or not writable, too little free space),
  or the only rows not exported are malformed ids;
- 4: some recordings could not be exported (failed, archived, deleted, unknown conversation or
  recording, no recordings): the manifest says why for each, the others are on disk;
- 130: interrupted (Ctrl-C): the manifest lists what is done; re-run the same command to resume.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

import typer

from .plumbing import console, ids_in, open_session, print_json, read_text, reported_errors

EXIT_INVALID_ONLY = 2
EXIT_SOME_FAILED = 4
EXIT_INTERRUPTED = 130
# Below this terminal width the summary table's status and detail columns collapse to nothing, so
# the terminal gets the summary line instead of the table [recops's own choice]. At any width, each
# recording not exported follows, its ids and reason in full, wrapped at word boundaries (issue 17,
# item 6): a table cell would wrap the reason among the other columns.
LIST_BELOW_COLUMNS = 120


def print_result(result: Any) -> None:
    """The summary table (on a narrow terminal, its title only), then the rows not exported as a list."""
    from recops.export.manifest import FINE_STATUSES

    out = console()
    if out.width >= LIST_BELOW_COLUMNS:
        out.print(result, highlight=False)
    else:
        out.print(result.summary(), highlight=False, markup=False, soft_wrap=False)
    for row in result.rows:
        if row.status not in FINE_STATUSES:
            recording = f" recording {row.recording_id}" if row.recording_id else ""
            why = row.error or row.note or "no reason recorded"
            out.print(f"- {row.status}: conversation {row.conversation_id}{recording}: {why}",
                      highlight=False, markup=False, soft_wrap=False)
    if result.manifest_csv is not None:
        typer.echo(f"manifest: {result.manifest_csv} and {result.manifest_json}")


def exit_code(result: Any) -> int:
    """0, 2 (only malformed ids left out) or 4 (some recordings not exported)."""
    from recops.export.manifest import FINE_STATUSES

    statuses = {r.status for r in result.rows} - set(FINE_STATUSES)
    if not statuses:
        return 0
    return EXIT_INVALID_ONLY if statuses == {"invalid"} else EXIT_SOME_FAILED


def read_source(from_file: str) -> Any:
    """Conversation ids from FILE ('-': stdin): one or more per line (blank lines and # comments
    ignored), or a CSV whose header names a ``conversation_id`` column (``recops table --csv``)."""
    text = read_text(from_file)
    first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    if "conversation_id" in first.split(","):
        import pandas as pd

        return pd.read_csv(io.StringIO(text), dtype=str, comment=None)
    return ids_in(text)


def export(
    dest: Annotated[str, typer.Option("--dest", metavar="DIR", help="Directory for the files and the manifest "
                                                                    "(created if missing).")],
    interval: Annotated[str | None, typer.Option(help="ISO-8601 start/end: the recorded conversations that "
                                                     "started in it.")] = None,
    queue: Annotated[str | None, typer.Option(help="With --interval: only this queue id.")] = None,
    from_file: Annotated[str | None, typer.Option(
        "--from-file", metavar="FILE|-",
        help="Conversation ids from FILE ('-': stdin), one or more per line; or a CSV with a conversation_id "
             "column (e.g. from recops table --csv).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be fetched (and what is already "
                                                            "complete); send no batch, download nothing.")] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Downloads at once.")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="The manifest as JSON on stdout.")] = False,
) -> None:
    """Download recordings with a manifest (CSV + JSON in DIR); re-run the same command to resume."""
    code = 0
    with reported_errors(as_json):
        from recops.genesys.errors import ConfigError

        if bool(interval) == bool(from_file):
            raise ConfigError("give either --interval or --from-file",
                              "e.g. recops export --from-file ids.txt --dest recordings/")
        if queue and not interval:
            raise ConfigError("--queue goes with --interval", "add --interval START/END, or drop --queue")
        source = read_source(from_file) if from_file else None
        err = console(stderr=True)
        session = open_session()
        if interval:
            source = session.interval(interval, queue_id=queue, recorded=True, progress=err.is_terminal)
        try:
            result = session.export(source, dest, dry_run=dry_run, concurrency=concurrency,
                                    progress=err.is_terminal)
        except KeyboardInterrupt:
            err.print(f"interrupted: the manifest in {dest} lists what is done; run the same command again "
                      "to resume", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        if as_json:
            print_json(result.to_dict())
        else:
            print_result(result)
        code = exit_code(result)
    raise typer.Exit(code)
