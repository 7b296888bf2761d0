"""The ``recops`` command (typer + rich).

Human output by default, ``--json`` for machines. Every command that talks to Genesys says
which target it acts on (on stderr, so ``--json`` stdout stays clean). Exit codes: 0 success
or no-op; 2 configuration/usage; 3 a change that makes no sense now; 4 Genesys answered an
error (its code is printed), or an analytics job ended without results; 5 no answer (timeout,
connection), or a recording's file that did not arrive after its retries; 6 journal; 130
stopped on request (a cancel, as Ctrl-C: not a failure; re-run to resume). ``pause``/``resume`` on
several ids (or ``--from-file``) exit with the highest code among the ids that failed, 0 if none
did (see docs/cli.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from recops.api.settings import DEFAULT_SANDBOX_PORT

from .admin_token import FILE_HELP, OPTION_HELP, admin_token_from
from .coverage import coverage_app, orphans_app
from .export import export as export_command
from .hold import hold_app, retention_app
from .jobs import jobs_app
from .plumbing import console, open_session, print_json, prose_help, read_ids, reported_errors
from .room import room_app
from .tables_view import (
    DEFAULT_LIMIT,
    INDENT,
    frame_lines,
    history_progress,
    more_rows_line,
    table_lines,
    terminal_width,
)
from .training import training_app
from .watch import watch as watch_command  # issue 20 (W3): the live stream

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Operate Genesys Cloud call recordings. With no credentials set, everything runs "
                       "against a local sandbox of the API.")
sandbox_app = typer.Typer(no_args_is_help=True, help="The local Genesys Cloud emulator.")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(room_app, name="room")
app.add_typer(training_app, name="training")  # recops/cli/training.py
app.add_typer(jobs_app, name="jobs")  # recops/cli/jobs.py (issue 19, engineer L)
app.add_typer(hold_app, name="hold")  # recops/cli/hold.py (issue 19, engineer L)
app.add_typer(retention_app, name="retention")  # recops/cli/hold.py (issue 19, engineer L)
app.add_typer(coverage_app, name="coverage")  # recops/cli/coverage.py (issue 19, engineer C)
app.add_typer(orphans_app, name="orphans")  # recops/cli/coverage.py (issue 19, engineer C)
app.command(name="watch")(watch_command)  # recops/cli/watch.py (issue 20, W3)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
IdsArg = Annotated[list[str] | None, typer.Argument(
    help="Conversation ids: one, or several (then a progress bar and a summary table).", show_default=False)]
FromFileOpt = Annotated[str | None, typer.Option(
    "--from-file", metavar="FILE|-", help="Also read conversation ids from FILE ('-': stdin), one or more per line; "
                                          "blank lines and # comments are ignored.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Confirm a change on a REAL org.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; send nothing.")]
LimitOpt = Annotated[int, typer.Option("--limit", help="Show at most this many rows (0: all).")]
WideOpt = Annotated[bool, typer.Option("--wide", help="Every column, one line per row, however wide.")]
# the columns `recops table` shows by default, ids first and whole (recops.cli.tables_view)
STATE_KEY_COLUMNS = ("conversation_id", "recording_state", "secure_pause", "ended", "queue_names", "agent_names",
                     "error")
INTERVAL_KEY_COLUMNS = ("conversation_id", "conversation_start", "media_type", "recorded", "queue_names",
                        "agent_names")
ParticipantOpt = Annotated[str, typer.Option("--participant", "-p", help="The participant id.")]

# --- sandbox ------------------------------------------------------------------------------------


@sandbox_app.command("serve")
def sandbox_serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535,
                                      help="Port to listen on (0 picks a free one).")] = DEFAULT_SANDBOX_PORT,
    scenario: Annotated[str, typer.Option(help="Scenario to load: a name (see 'recops sandbox scenarios') "
                                               "or a path to a .json file; 'none' starts empty.")] = "demo",
    admin_token: Annotated[str | None, typer.Option(
        help="Protect the control plane with this token (one is required on a non-loopback --host). "
             + OPTION_HELP)] = None,
    admin_token_file: Annotated[Path | None, typer.Option(help=FILE_HELP)] = None,
) -> None:
    """Serve the sandbox in the foreground until Ctrl-C.

    An admin token protects the control plane: RECOPS_ADMIN_TOKEN or
    --admin-token-file (or --admin-token: it shows in ps)."""
    from recops.sandbox.control.auth import check_bind
    from recops.sandbox.scenarios import check_scenario
    from recops.sandbox.server import serve

    admin_token, _ = admin_token_from(admin_token, admin_token_file)
    try:
        check_bind(host, admin_token)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None

    name = None if scenario.lower() == "none" else scenario
    if name is not None:
        try:
            check_scenario(name)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--scenario") from None
    try:
        serve(host=host, port=port, scenario=name, announce=lambda line: typer.echo(line), admin_token=admin_token)
    except OSError as e:
        typer.echo(f"error: cannot listen on {host}:{port}: {e.strerror or e}. "
                   "Pick another --port (0 chooses a free one).", err=True)
        raise typer.Exit(2) from None


@sandbox_app.command("scenarios")
def sandbox_scenarios() -> None:
    """List the named scenarios."""
    from recops.sandbox import scenarios

    for name, text in scenarios.available().items():
        typer.echo(f"{name:<10} {text}")


# --- reads --------------------------------------------------------------------------------------


@app.command()
def target(as_json: JsonOpt = False) -> None:
    """Show where recops would act and as whom (no request is sent)."""
    from recops.api.settings import Settings

    with reported_errors(as_json):
        info = Settings.load().describe()
        if as_json:
            print_json(info)
        else:
            for key, value in info.items():
                typer.echo(f"{key:>22}: {value}")


STATUS_EXAMPLE = "c0a80001-0000-4000-8000-000000000001"  # the demo scenario's first live call (any sandbox)


@app.command()
def status(conversation_ids: Annotated[list[str] | None, typer.Argument(
               help="Conversation ids: one or several.", show_default=False)] = None,
           from_file: FromFileOpt = None, as_json: JsonOpt = False) -> None:
    """Recording state, secure pause, participants' recording flags and recording files.

    Give one conversation id, several, or --from-file FILE, e.g. recops status c0a80001-0000-4000-8000-000000000001"""
    with reported_errors(as_json):
        from recops.genesys.errors import ConfigError

        ids = [*(conversation_ids or []), *(read_ids(from_file) if from_file is not None else [])]
        if not ids:
            raise ConfigError("no conversation id given",
                              "give one (recops status ID), several (recops status ID ID ...) or --from-file FILE "
                              f"('-' for stdin), e.g. recops status {STATUS_EXAMPLE}")
        session = open_session()
        results = [session.status(cid) for cid in ids]
        if as_json:
            print_json(results if len(results) > 1 else results[0])
            return
        for st in results:
            _show_status(st)


def _show_status(st: Any) -> None:
    console().print(st)  # a table of participants on a wide terminal, two lines each on a narrow one


@app.command()
def recordings(conversation_id: str,
               wait: Annotated[float, typer.Option(help="Seconds to wait for transcoding to finish.")] = 0.0,
               as_json: JsonOpt = False) -> None:
    """The conversation's recordings; says 'transcoding' (HTTP 202) rather than showing none."""
    with reported_errors(as_json):
        result = open_session().recordings(conversation_id, wait=wait)
        if as_json:
            print_json(result)
            return
        console().print(result)


# --- changes ------------------------------------------------------------------------------------


def _change(as_json: bool, run: Callable[[Any], Any]) -> None:
    with reported_errors(as_json):
        outcome = run(open_session())
        if as_json:
            print_json(outcome)
        else:
            console().print(outcome, highlight=False)


@app.command()
def pause(conversation_ids: IdsArg = None, from_file: FromFileOpt = None, yes: YesOpt = False,
          dry_run: DryOpt = False, as_json: JsonOpt = False) -> None:
    """Secure-pause the conversations' recording (writes recordingState PAUSED)."""
    _state_change("pause", conversation_ids, from_file, yes, dry_run, as_json)


@app.command()
def resume(conversation_ids: IdsArg = None, from_file: FromFileOpt = None, yes: YesOpt = False,
           dry_run: DryOpt = False, as_json: JsonOpt = False) -> None:
    """Resume after a secure pause (writes recordingState ACTIVE)."""
    _state_change("resume", conversation_ids, from_file, yes, dry_run, as_json)


def _state_change(action: str, ids: list[str] | None, from_file: str | None, yes: bool, dry_run: bool,
                  as_json: bool) -> None:
    """One id: the single-id form (its Outcome, errors raised as ever). Several, or --from-file:
    each id is done and reported, whatever the others do (``Session.pause_many``)."""
    if ids and len(ids) == 1 and from_file is None:
        _change(as_json, lambda s: getattr(s, action)(ids[0], confirm=yes, dry_run=dry_run))
        return
    code = 0
    with reported_errors(as_json):
        from recops.genesys.errors import ConfigError

        from .many import run_with_progress, worst_exit_code

        all_ids = [*(ids or []), *(read_ids(from_file) if from_file is not None else [])]
        if not all_ids:
            raise ConfigError(f"no conversation id to {action}",
                              f"pass ids (recops {action} ID ID ...) or --from-file FILE ('-' for stdin)")
        session = open_session()
        outcomes = run_with_progress(session, action, all_ids, yes, dry_run, console(stderr=True))
        if as_json:
            print_json(outcomes.to_dicts())
        else:
            console().print(outcomes)
        code = worst_exit_code(outcomes)
    raise typer.Exit(code)


AsUserOpt = Annotated[str | None, typer.Option(
    "--as-user", help="Sandbox only: act as this sandbox user (e.g. the agent on the call), with a token the "
                      "sandbox mints. On a real org set GENESYSCLOUD_ACCESS_TOKEN to the user's token instead.")]


def _acting(session: Any, as_user: str | None) -> Any:
    return session.as_sandbox_user(as_user) if as_user else session


@app.command()
def start(conversation_id: str, participant: ParticipantOpt, as_user: AsUserOpt = None, yes: YesOpt = False,
          dry_run: DryOpt = False, as_json: JsonOpt = False) -> None:
    """Start a participant's ad-hoc recording (needs a participant's user token)."""
    _change(as_json, lambda s: _acting(s, as_user).start(conversation_id, participant, confirm=yes,
                                                           dry_run=dry_run))


@app.command()
def stop(conversation_id: str, participant: ParticipantOpt, as_user: AsUserOpt = None, yes: YesOpt = False,
         dry_run: DryOpt = False, as_json: JsonOpt = False) -> None:
    """Stop a participant's ad-hoc recording (needs a participant's user token)."""
    _change(as_json, lambda s: _acting(s, as_user).stop(conversation_id, participant, confirm=yes,
                                                          dry_run=dry_run))


# --- the notebook kit ---------------------------------------------------------------------------


@app.command()
def lab(
    port: Annotated[int, typer.Option(help="JupyterLab's port.")] = 8888,
    sandbox_port: Annotated[int, typer.Option(help="The sandbox's port (0: a free one).")] = 0,
    notebooks: Annotated[str | None, typer.Option(
        help="A notebooks folder of your own, served as it is (default: your working copy of the "
             "shipped notebooks, in the output folder).")] = None,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Open a browser tab.")] = True,
    app: Annotated[bool, typer.Option("--app", help="Voilà apps instead of JupyterLab: no code, a seat "
                                                    "picker, the control panel and the walkthrough.")] = False,
    seat_card: Annotated[str | None, typer.Option(
        "--seat-card", help="A training room's seat card (seat-NN.json): the notebooks act on that seat "
                            "(same as RECOPS_SEAT_CARD).")] = None,
) -> None:
    """The notebook kit: JupyterLab on your working copy of the notebooks (in the output folder; your
    edits are kept) with a shared demo sandbox (no credentials needed); with credentials set, the
    notebooks act on that org instead, and say so."""
    from recops.kit import lab as lab_module

    with reported_errors(False):
        raise typer.Exit(lab_module.run(port=port, sandbox_port=sandbox_port, notebooks=notebooks,
                                        open_browser=browser, echo=lambda line: typer.echo(line, err=True),
                                        seat_card=seat_card, app=app))


# --- tables -------------------------------------------------------------------------------------


@app.command()
def table(
    ids: Annotated[list[str] | None,
                   typer.Option("--ids", help="Conversation ids (repeat, or comma-separate).")] = None,
    interval: Annotated[str | None, typer.Option(help="ISO-8601 start/end; any length.")] = None,
    queue: Annotated[str | None, typer.Option(help="With --interval: only this queue id.")] = None,
    user: Annotated[str | None, typer.Option(help="With --interval: only this user id.")] = None,
    media: Annotated[str | None, typer.Option(help="With --interval: media type, e.g. voice.")] = None,
    recorded: Annotated[bool | None, typer.Option("--recorded/--not-recorded",
                                                  help="With --interval: recorded or not.")] = None,
    via: Annotated[str, typer.Option(help="With --interval: auto, query (the details query) or jobs "
                                          "(the asynchronous analytics jobs).")] = "auto",
    csv: Annotated[str | None, typer.Option(help="Also write every row and column to this CSV file "
                                                 "('-': stdout, instead of the table).")] = None,
    limit: LimitOpt = DEFAULT_LIMIT,
    wide: WideOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """A table of recording states: live, for --ids; from analytics, for --interval (any length
    and age; settled days are cached as Parquet). Shows the key columns, fitted to the terminal;
    --wide, --csv or --json for every column."""
    with reported_errors(as_json):
        from recops.genesys.errors import ConfigError

        if bool(ids) == bool(interval):
            raise ConfigError("give either --ids or --interval", "e.g. recops table --interval "
                              "2026-03-02T00:00:00Z/2026-03-09T00:00:00Z")
        session = open_session()
        if ids:
            frame = session.states([i for chunk in ids for i in chunk.split(",")])
        else:
            with history_progress(show=not as_json and csv != "-") as on_progress:
                frame = session.interval(interval, queue_id=queue, user_id=user, media_type=media, recorded=recorded,
                                         via=via, progress=False, on_progress=on_progress)
        if csv == "-":
            typer.echo(frame.to_csv(index=False), nl=False)
        elif csv:
            frame.to_csv(csv, index=False)
        if as_json:
            typer.echo(frame.to_json(orient="records", date_format="iso", indent=2))
        elif csv != "-":
            key = STATE_KEY_COLUMNS if ids else INTERVAL_KEY_COLUMNS
            for line in frame_lines(frame, key, limit=limit, wide=wide):
                typer.echo(line)
            typer.echo(f"{len(frame)} rows" + (f", written to {csv}" if csv else ""))
        from recops.history.names import show_notes

        show_notes(frame, echo=lambda line: typer.echo(line, err=True))  # why names are missing, if they are


@app.command()
def ledger(
    interval: Annotated[str | None, typer.Option(
        help="ISO-8601 start/end: the conversations that started in it.")] = None,
    since_last: Annotated[bool, typer.Option(
        "--since-last", help="Bring the standing ledger up to date: from where the last ledger stopped to now "
                             "(for a daily job; the first run needs --interval).")] = False,
    queue: Annotated[str | None, typer.Option(help="Only this queue id.")] = None,
    user: Annotated[str | None, typer.Option(help="Only this user id.")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for recordings still transcoding.")] = 0.0,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Read every recording again and keep nothing (the cache keeps final conversations).",
    )] = False,
    csv: Annotated[str | None, typer.Option(help="Write the ledger (one row per recording) to this CSV file.")] = None,
    parquet: Annotated[str | None, typer.Option(help="Write the ledger to this Parquet file (needs pyarrow).")] = None,
    unpaused_csv: Annotated[str | None, typer.Option(
        "--unpaused-csv", help="Write the recorded conversations with no secure pause to this CSV file.")] = None,
    limit: LimitOpt = DEFAULT_LIMIT,
    as_json: JsonOpt = False,
) -> None:
    """The pause ledger: per recording of each ended, recorded conversation, how long it was securely
    paused or hold-suppressed, whether a secure pause was open at the end, and who paused it.
    Final conversations are cached: a re-run reads no recording again, an interrupted run resumes."""
    with reported_errors(as_json):
        from recops.genesys.errors import ConfigError

        if (interval is None) == (not since_last):
            raise ConfigError("give --interval START/END or --since-last (not both)",
                              "e.g. recops ledger --interval 2026-11-02T00:00:00Z/2026-11-03T00:00:00Z")
        session = open_session()
        result = _ledger_with_progress(session, interval, since_last, not no_cache, queue, user, wait,
                                       console(stderr=True))
        if csv:
            result.to_csv(csv)
        if parquet:
            result.to_parquet(parquet)
        if unpaused_csv:
            result.unpaused.to_csv(unpaused_csv, index=False)
        if as_json:
            plan = result.plan
            print_json({"summary": result.summary(), "notes": result.notes,
                        "plan": None if plan is None else {"conversations": plan.conversations, "cached": plan.cached,
                                                           "read": plan.to_read, "per_minute": plan.per_minute},
                        "recordings": json.loads(result.table.to_json(orient="records", date_format="iso")),
                        "unpaused": json.loads(result.unpaused.to_json(orient="records", date_format="iso"))})
            return
        for line in ledger_lines(result, limit):
            typer.echo(line)
        for path, what in ((csv, "ledger"), (parquet, "ledger"), (unpaused_csv, "unpaused conversations")):
            if path:
                typer.echo(f"{what} written to {path}")
        if since_last and result.plan is not None:
            p = result.plan
            typer.echo(f"standing ledger brought up to date over {result.interval}: {p.conversations} "
                       f"conversation(s), {p.to_read} read now, {p.cached} from the cache")


def _ledger_with_progress(session: Any, interval: str | None, since_last: bool, cache: bool, queue: str | None,
                          user: str | None, wait: float, err: Any) -> Any:
    """The ledger's plan (on stderr, before the first recording request), then one transient
    progress line (the history read, then the recordings read, with the time left), gone when it
    returns: the history read's own bar is off, so no bar is left on screen."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("left"),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("reading history", total=None)

        def on_plan(plan: Any) -> None:
            typer.echo(f"ledger: {plan.describe()}", err=True)

        def on_recordings(done: int, total: int) -> None:
            progress.update(task, description="reading recordings", completed=done, total=total)

        return session.ledger(interval, since_last=since_last, cache=cache, queue_id=queue, user_id=user,
                              wait=wait, progress=False, on_progress=on_recordings, on_plan=on_plan)


def ledger_lines(result: Any, limit: int) -> list[str]:
    """The ledger's summary, its most securely paused recordings (the first ``limit``; 0: all)
    fitted to the terminal, and its notes."""
    from recops.history.ledger import SUMMARY_LABELS

    summary = result.summary()
    pad = max(len(label) for _, label in SUMMARY_LABELS)
    lines = [f"pause ledger {result.interval}",  # 63 characters: the interval fits 80 columns whole
             *(f"{INDENT}{label.ljust(pad)}  {summary[key]}" for key, label in SUMMARY_LABELS)]
    rows = result.top_rows(limit=10**9)
    if rows:
        shown = rows if limit <= 0 else rows[:limit]
        lines += ["", "recordings with the most securely paused time"]
        lines += table_lines(list(rows[0]), [list(r.values()) for r in shown], terminal_width())
        more = more_rows_line(len(shown), len(rows))
        lines += [more] if more else []
    return [*lines, *(f"note: {n}" for n in result.notes)]


app.command("export")(export_command)  # recops/cli/export.py


# --- journal ------------------------------------------------------------------------------------


@app.command()
def journal(
    in_doubt: Annotated[bool, typer.Option("--in-doubt", help="Only changes whose outcome is unknown.")] = False,
    reconcile: Annotated[bool, typer.Option("--reconcile",
                                            help="Settle in-doubt changes by reading the state.")] = False,
    settle_after: Annotated[float | None, typer.Option(
        help="With --reconcile: leave changes younger than this many seconds in doubt (they may still "
             "be in flight); default: the connect + read timeout.")] = None,
    csv: Annotated[str | None, typer.Option(help="Export the whole journal to this CSV file.")] = None,
    limit: Annotated[int, typer.Option(help="Show the last N entries.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The journal of changes: intent and outcome of every pause/resume/start/stop."""
    with reported_errors(as_json):
        from recops.api.settings import Settings
        from recops.ops.journal import Journal

        if reconcile:
            decided = open_session().reconcile(settle_after=settle_after)
            if as_json:
                print_json(decided)
            else:
                settled = sum(1 for d in decided if d["status"] != "intent")
                typer.echo(f"reconciled {settled} of {len(decided)} in-doubt change(s)")
                for d in decided:
                    detail = d.get("state", d.get("note", ""))
                    typer.echo(f"  #{d['id']} {d['conversation_id']}: {d['status']} {detail}")
            return
        j = Journal(Settings.load().journal_path)
        if csv:
            j.to_csv(csv)
        entries = j.in_doubt() if in_doubt else j.entries(limit=limit)
        if as_json:
            print_json(entries)
            return
        for e in entries:
            who = f" {e.participant_id}" if e.participant_id else ""
            typer.echo(f"#{e.id} {e.started_at} {e.action} {e.conversation_id}{who}: {e.status} "
                       f"{e.before_state} -> {e.after_state or e.desired_state} "
                       f"{e.error_code or ''} {e.context_id or ''} [{e.principal} on {e.target}]")
        if csv:
            typer.echo(f"journal written to {csv}")


@app.command()
def explain(text: Annotated[list[str], typer.Argument(help="A status, a code, an error body, or an API call.")],
            as_json: JsonOpt = False) -> None:
    """What an error (or a tutorial's API call) means and what to do instead."""
    from recops.genesys.explain import explain as run

    try:
        result = run(" ".join(text))
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        print_json(result.to_dict())
    else:
        console().print(result)


prose_help(app)  # every command is registered: --help texts without the docstrings' line breaks


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
