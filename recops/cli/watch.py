"""``recops watch``: recording-state transitions of queues or users, live (issue 20).

A rich table in the terminal (the last transitions, newest last), or ``--json``: NDJSON on stdout,
one transition a line, flushed as it arrives. Ctrl-C stops it cleanly: exit 130 (docs/cli.md).
Exit codes otherwise as every command: 2 bad input (an unknown queue, nothing to watch, more
channels than the limit, nothing could be subscribed), 4 Genesys refused, 5 no answer.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from .plumbing import console, open_session, reported_errors

EXIT_INTERRUPTED = 130
ROWS = 30


def watch(
    queue: Annotated[list[str] | None, typer.Option(
        "--queue", "-q", metavar="NAME|ID", help="A queue to watch (its name or id); repeatable.")] = None,
    user: Annotated[list[str] | None, typer.Option(
        "--user", "-u", metavar="ID", help="A user (agent) to watch, by id; repeatable.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="NDJSON on stdout: one transition a line.")] = False,
    journal: Annotated[bool, typer.Option("--journal", help="Also record each transition, as observed, "
                                          "in the journal's `observed` table.")] = False,
) -> None:
    """Watch recording states change, live, through the Notifications API: each call's
    participant's old → new state (ACTIVE, PAUSED, NONE), secure pause and hold. After a reconnect
    the missed changes are re-read and marked recovered. Ctrl-C stops (exit 130)."""
    with reported_errors(as_json):
        session = open_session()
        try:
            with session.watch(queues=queue or [], users=user or [], journal=journal) as stream:
                err = console(stderr=True)
                for topic, reason in stream.rejected.items():
                    err.print(f"[yellow]not subscribed:[/] {topic} ({reason})", highlight=False)
                n = sum(len(c.permitted) for c in stream.channels)
                err.print(f"[dim]watching {n} topic{'s' * (n != 1)} on {len(stream.channels)} "
                          f"channel{'s' * (len(stream.channels) != 1)}; Ctrl-C stops[/]", highlight=False)
                if as_json:
                    for t in stream:
                        typer.echo(json.dumps(t.to_dict()))
                else:
                    _live_table(stream)
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_INTERRUPTED) from None


def _live_table(stream: Any) -> None:
    from rich.live import Live
    from rich.table import Table

    rows: list[tuple[str, ...]] = []

    def table() -> Table:
        t = Table(title="recording state, live", expand=False)
        for col in ("time", "conversation", "participant", "old → new", "secure", "held", "via"):
            # ids whole (what `recops status` and `--participant` take); narrow terminals fold them
            t.add_column(col, overflow="fold", min_width=36 if col in ("conversation", "participant") else None)
        for r in rows[-ROWS:]:
            t.add_row(*r)
        return t

    with Live(table(), console=console(), refresh_per_second=8, transient=False) as live:
        for tr in stream:
            via = "re-read (recovered)" if tr.recovered else ("queue" if ".queues." in tr.topic else "user")
            rows.append((tr.at.strftime("%H:%M:%S.%f")[:-3], tr.conversation_id, tr.participant_id,
                         f"{tr.old or '—'} → {tr.new}", "yes" if tr.secure_pause else "", "yes" if tr.held else "",
                         via))
            live.update(table())
