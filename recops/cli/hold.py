"""``recops hold protect|revoke|check`` (legal hold, in batches of 100, under the org's 1,000 cap)
and ``recops retention set`` (archive/delete dates for every recording of many conversations):
the CLI faces of ``rc.protect`` / ``rc.revoke`` / ``rc.protected`` / ``rc.set_retention``
(``recops.lifecycle``). Registered by recops/cli/commands.py.

Exit codes (docs/cli.md): 0 every conversation/recording done (or nothing to do); 2 bad input
or a real org without --yes (nothing sent), or only malformed ids; 3 legal hold would pass the
org's cap (nothing changed), or retention refused for protected conversations; 4 Genesys
refused some (``failedUpdates``, errors); 5 no answer (in doubt); 6 journal.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .plumbing import console, open_session, print_json, reported_errors

hold_app = typer.Typer(no_args_is_help=True, help="Legal hold (deletion protection): protect, revoke, check.")
retention_app = typer.Typer(no_args_is_help=True, help="Retention dates of many recordings at once.")

IdsArg = Annotated[list[str] | None, typer.Argument(help="Conversation ids.", show_default=False)]
FromFileOpt = Annotated[str | None, typer.Option(
    "--from-file", metavar="FILE|-", help="Also read ids from FILE ('-': stdin), one or more per line; or a CSV with "
                                          "a conversation_id (and recording_id) column.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Confirm a change on a REAL org.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; send no change.")]


def _source(ids: list[str] | None, from_file: str | None) -> Any:
    from recops.genesys.errors import ConfigError

    from .export import read_source

    given = list(ids or [])
    if from_file:
        read = read_source(from_file)
        if hasattr(read, "columns"):
            if given:
                raise ConfigError("give ids or a CSV file, not both")
            return read
        given += read
    if not given:
        raise ConfigError("no conversation ids given", "pass ids, or --from-file FILE (or - for stdin)")
    return given


def exit_code(result: Any) -> int:
    results = {r["result"] for r in result.rows}
    if results & {"failed", "in doubt", "not sent"}:
        return 5 if results == {"in doubt"} else 4
    if "refused" in results:
        return 3
    if results and results <= {"invalid"}:
        return 2
    return 0


def _finish(result: Any, as_json: bool) -> int:
    if as_json:
        print_json(result.to_dict())
    else:
        console().print(result, highlight=False)
    return exit_code(result)


def _hold(action: str, ids: list[str] | None, from_file: str | None, yes: bool, dry_run: bool, as_json: bool) -> None:
    code = 0
    with reported_errors(as_json):
        source = _source(ids, from_file)
        session = open_session()
        fn = session.protect if action == "protect" else session.revoke
        code = _finish(fn(source, confirm=yes, dry_run=dry_run), as_json)
    raise typer.Exit(code)


@hold_app.command("protect")
def protect(ids: IdsArg = None, from_file: FromFileOpt = None, yes: YesOpt = False, dry_run: DryOpt = False,
            as_json: JsonOpt = False) -> None:
    """Protect the conversations' recordings from deletion, 100 a request; refused before any change if the
    org's cap of 1,000 would be passed (the count shown says what it is based on: there is no GET)."""
    _hold("protect", ids, from_file, yes, dry_run, as_json)


@hold_app.command("revoke")
def revoke(ids: IdsArg = None, from_file: FromFileOpt = None, yes: YesOpt = False, dry_run: DryOpt = False,
           as_json: JsonOpt = False) -> None:
    """Lift the protection, 100 a request."""
    _hold("revoke", ids, from_file, yes, dry_run, as_json)


@hold_app.command("check")
def check(ids: IdsArg = None, from_file: FromFileOpt = None, as_json: JsonOpt = False) -> None:
    """Which of the conversations are protected now (the POST check; it needs no permission)."""
    with reported_errors(as_json):
        source = _source(ids, from_file)
        frame = open_session().protected(source)
        rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        if as_json:
            print_json(rows)
        else:
            for r in rows:
                word = "malformed id" if r["protected"] is None else "protected" if r["protected"] else "not protected"
                typer.echo(f"{r['conversation_id']}  {word}")


@hold_app.command("reconcile")
def reconcile(as_json: JsonOpt = False) -> None:
    """Settle legal-hold and retention changes left in doubt (a request whose answer never came) by
    reading the live state; exit 3 while some may still be in flight."""
    code = 0
    with reported_errors(as_json):
        frame = open_session().reconcile_lifecycle_changes()
        rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        if as_json:
            print_json(rows)
        elif not rows:
            typer.echo("no legal-hold or retention change in doubt in this journal")
        for r in [] if as_json else rows:
            rec = f" recording {r['recording_id']}" if r["recording_id"] else ""
            typer.echo(f"#{r['id']} {r['kind']} {r['conversation_id']}{rec}: {r['status']} ({r['note']})")
        code = 3 if any(r["status"] == "intent" for r in rows) else 0
    raise typer.Exit(code)


@retention_app.command("set")
def set_retention(
    ids: IdsArg = None, from_file: FromFileOpt = None,
    archive_date: Annotated[str | None, typer.Option("--archive-date", help="New archive date (ISO-8601).")] = None,
    delete_date: Annotated[str | None, typer.Option("--delete-date", help="New delete date (ISO-8601).")] = None,
    clear: Annotated[list[str] | None, typer.Option("--clear", help="Remove a date: archiveDate or deleteDate "
                                                                   "(repeatable).")] = None,
    yes: YesOpt = False, dry_run: DryOpt = False, as_json: JsonOpt = False,
) -> None:
    """Set (or clear) the archive/delete dates of every recording of the conversations (or of the recordings
    of a CSV with a recording_id column); protected conversations are refused a delete date."""
    code = 0
    with reported_errors(as_json):
        source = _source(ids, from_file)
        session = open_session()
        result = session.set_retention(source, archive_date=archive_date, delete_date=delete_date,
                                       clear=tuple(clear or ()), dry_run=dry_run, confirm=yes)
        code = _finish(result, as_json)
    raise typer.Exit(code)



