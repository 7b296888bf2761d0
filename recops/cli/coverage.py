"""``recops coverage`` and ``recops orphans list|reattach`` (issue 19; docs/cli.md, "Coverage and orphans").

Exit codes: 0 done (gaps or not; ``--fail-on-gaps``: 1 when a conversation that ended has no usable
recording); 2 configuration or usage (a bad interval; ``reattach`` on a real org without ``--yes``);
4 Genesys answered an error (``reattach``: ``recording.orphan.unknown.conversation``, a missing
permission, an orphan already gone: 404); 5 no answer; 6 journal.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from .plumbing import open_session, print_json, reported_errors
from .tables_view import frame_lines

coverage_app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                           help="Every conversation of an interval and why it has no usable recording.")
orphans_app = typer.Typer(no_args_is_help=True, help="Orphan recordings: list them, re-attach one.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]


def _records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


@coverage_app.callback()
def coverage(
    interval: Annotated[str, typer.Option(help="ISO-8601 start/end: the conversations that started in it.")],
    queue: Annotated[str | None, typer.Option(help="Only this queue id.")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Fetch cached finished days again.")] = False,
    csv: Annotated[str | None, typer.Option(help="Write one row per conversation to this CSV file.")] = None,
    fail_on_gaps: Annotated[bool, typer.Option(
        "--fail-on-gaps", help="Exit 1 when an ended conversation has no usable recording.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Coverage: each conversation's recordings (file state, archive/delete dates, legal hold) and, for
    those without a usable recording, the reason (not recorded, orphaned, transcoding, archived,
    deleted); plus the orphans no conversation claims. Finished days are cached and not fetched again."""
    with reported_errors(as_json):
        session = open_session()
        result = session.coverage(interval, queue=queue, refresh=refresh, progress=not as_json)
        if csv:
            result.to_csv(csv)
        if as_json:
            print_json({"interval": result.interval, "summary": result.summary, "notes": result.notes,
                        "plan": result.plan, "requests": result.requests,
                        "conversations": _records(result.frame), "orphans": _records(result.orphans)})
        else:
            typer.echo(f"coverage {result.interval}")
            width = max(len(k) for k in result.summary)
            for key, value in result.summary.items():
                typer.echo(f"  {key.ljust(width)}  {value}")
            gaps = result.gaps
            if len(gaps):
                typer.echo("")
                typer.echo("conversations without a usable recording")
                cols = [c for c in ("conversation_start", "reason", "file_states", "detail", "conversation_id")
                        if c in gaps.columns]
                for line in frame_lines(gaps, cols, limit=20, wide=False):
                    typer.echo(line)
            for note in result.notes:
                typer.echo(f"note: {note}")
            if csv:
                typer.echo(f"coverage written to {csv}")
    if fail_on_gaps and len(result.gaps):
        raise typer.Exit(1)


@orphans_app.command("list")
def list_orphans(
    has_conversation: Annotated[bool | None, typer.Option(
        "--has-conversation/--no-conversation",
        help="Only those whose conversation is known / only those naming none (Genesys caps that list at 500).",
        show_default=False)] = None,
    csv: Annotated[str | None, typer.Option(help="Write them to this CSV file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The org's orphan recordings (recordings that stayed on the Edge instead of joining a conversation)."""
    with reported_errors(as_json):
        frame = open_session().orphans(has_conversation)
        if csv:
            frame.to_csv(csv, index=False)
        if as_json:
            print_json({"orphans": _records(frame), "notes": frame.attrs.get("notes", [])})
            return
        typer.echo(f"{len(frame)} orphan recording(s)")
        for line in frame_lines(frame, ["created", "orphan_status", "conversation_id", "orphan_id"], limit=50,
                                wide=False):
            typer.echo(line)
        for note in frame.attrs.get("notes", []):
            typer.echo(f"note: {note}")


@orphans_app.command("reattach")
def reattach(
    orphan_id: Annotated[str, typer.Argument(help="The orphan's id (recops orphans list).")],
    conversation: Annotated[str | None, typer.Option(
        help="The conversation to attach it to (default: the one its media names).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be sent; send nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm a change on a REAL org.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Turn an orphan into its conversation's recording (PUT /api/v2/orphanrecordings/{id}), journaled."""
    with reported_errors(as_json):
        done = open_session().reattach_orphan(orphan_id, conversation, confirm=yes, dry_run=dry_run)
        if as_json:
            print_json(done)
        else:
            typer.echo(repr(done))
