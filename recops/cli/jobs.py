"""``recops jobs plan|run|list|show|cancel|reconcile``: bulk recording jobs (DELETE, ARCHIVE,
EXPORT) planned from the job's own READY counts, run only with that exact count typed, followed,
and reconciled after a crash (``recops.lifecycle``). Registered by recops/cli/commands.py.

Exit codes (docs/cli.md): 0 done (plan READY; run FULFILLED with no failed recording; reconcile
left nothing in doubt); 2 bad input, a count that is not the job's READY count, or a real org
without --yes (nothing sent); 3 the job is not READY (or an earlier execute is in doubt, or
reconcile left one in doubt); 4 Genesys refused, or the job ended FAILED/CANCELLED, or some of its
recordings failed (their manifest is written); 5 no answer (the step is in doubt: run
``recops jobs reconcile``); 6 journal; 130 interrupted (Ctrl-C) while following: reconcile follows.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .plumbing import console, open_session, print_json, reported_errors

jobs_app = typer.Typer(no_args_is_help=True, help="Bulk recording jobs: plan (READY counts), run with the "
                                                  "exact count, list, show, cancel, reconcile.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Confirm a change on a REAL org.")]
EXIT_NOT_READY = 3
EXIT_FAILED = 4


def _show(value: Any, as_json: bool) -> None:
    if as_json:
        print_json(value.to_dict() if hasattr(value, "to_dict") else value)
    else:
        console().print(value, highlight=False)


@jobs_app.command("plan")
def plan(
    action: Annotated[str, typer.Option("--action", help="DELETE, ARCHIVE or EXPORT.")],
    interval: Annotated[str | None, typer.Option(help="ISO-8601 start/end: the conversations that started in it "
                                                      "(with --from-file: an interval covering them).")] = None,
    queue: Annotated[str | None, typer.Option(help="With --interval: only this queue id.")] = None,
    from_file: Annotated[str | None, typer.Option(
        "--from-file", metavar="FILE|-", help="Conversation ids from FILE ('-': stdin), or a CSV with a "
                                              "conversation_id (and conversation_start) column.")] = None,
    action_date: Annotated[str | None, typer.Option("--action-date",
                                                    help="When the action happens (ISO-8601).")] = None,
    action_age: Annotated[int | None, typer.Option("--action-age", help="Or: days after each recording's "
                                                                        "creation.")] = None,
    integration_id: Annotated[str | None, typer.Option("--integration-id", help="EXPORT: the S3 integration.")] = None,
    no_screen: Annotated[bool, typer.Option("--no-screen", help="Leave screen recordings out.")] = False,
    clear_export: Annotated[bool, typer.Option("--clear-export", help="DELETE: also clear pending exports.")] = False,
    wait: Annotated[float, typer.Option("--wait", min=0, help="Seconds to wait for READY (creating a job can take "
                                                              "about an hour); 0: return it PENDING.")] = 3600,
    as_json: JsonOpt = False,
) -> None:
    """Create a recording job and wait for READY: print its counts and the protected conversations it will
    skip. Nothing is executed: run it with `recops jobs run JOB_ID --confirm-count N`."""
    code = 0
    with reported_errors(as_json):
        from .export import read_source

        source = read_source(from_file) if from_file else None
        frame = source if source is not None and hasattr(source, "columns") else None
        ids = source if source is not None and frame is None else None
        session = open_session()
        result = session.recording_job(action, interval=interval, queue=queue, ids=ids, frame=frame,
                                       action_date=action_date, action_age=action_age, integration_id=integration_id,
                                       include_screen=not no_screen, clear_export=clear_export, wait=wait)
        _show(result, as_json)
        code = 0 if result.state == "READY" else EXIT_FAILED if result.state in ("FAILED", "CANCELLED") \
            else EXIT_NOT_READY
    raise typer.Exit(code)


@jobs_app.command("run")
def run(
    job_id: Annotated[str, typer.Argument(help="The job id (from recops jobs plan).")],
    confirm_count: Annotated[int, typer.Option("--confirm-count", help="The job's READY totalRecordings, typed: "
                                                                       "anything else executes nothing.")],
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Execute a READY job once (PUT PROCESSING), only if --confirm-count is its recording count; follow it
    to its end; failed recordings go to a manifest CSV."""
    code = 0
    with reported_errors(as_json):
        session = open_session()
        err = console(stderr=True)
        try:
            outcome = session.run_recording_job(job_id, confirm_count=confirm_count, confirm=yes,
                                                progress=err.is_terminal)
        except KeyboardInterrupt:
            err.print(f"interrupted: if it was executed, job {job_id} goes on at Genesys; `recops jobs reconcile` "
                      "follows it to its end (it never executes a job twice)", highlight=False)
            raise typer.Exit(130) from None
        _show(outcome, as_json)
        code = 0 if outcome.ok else EXIT_FAILED
    raise typer.Exit(code)


@jobs_app.command("list")
def list_jobs(
    state: Annotated[str | None, typer.Option(help="Only jobs in this state (PENDING, READY, PROCESSING, "
                                                   "FULFILLED, CANCELLED, FAILED).")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only the jobs the caller created.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The org's recording jobs, one line each."""
    with reported_errors(as_json):
        frame = open_session().recording_jobs(state=state, mine=mine)
        if as_json:
            print_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))
        else:
            from .tables_view import frame_lines

            for line in frame_lines(frame, list(frame.columns[:6]), limit=0, wide=False):
                typer.echo(line)


@jobs_app.command("show")
def show(job_id: Annotated[str, typer.Argument(help="The job id.")], as_json: JsonOpt = False) -> None:
    """A job's state and counts."""
    with reported_errors(as_json):
        st = open_session().recording_job_status(job_id)
        if as_json:
            print_json(st.to_dict())
        else:
            for key, value in st.to_dict().items():
                typer.echo(f"{key + ':':<20} {'' if value is None else value}")


@jobs_app.command("cancel")
def cancel(job_id: Annotated[str, typer.Argument(help="The job id.")], yes: YesOpt = False,
           as_json: JsonOpt = False) -> None:
    """Cancel (DELETE) a job that has not ended."""
    with reported_errors(as_json):
        st = open_session().cancel_recording_job(job_id, confirm=yes)
        if as_json:
            print_json(st.to_dict())
        else:
            typer.echo(f"recording job {job_id}: {st.state}")


@jobs_app.command("reconcile")
def reconcile(as_json: JsonOpt = False,
              no_follow: Annotated[bool, typer.Option("--no-follow", help="Do not wait for PENDING or "
                                                                          "PROCESSING jobs.")] = False) -> None:
    """The jobs this journal left unfinished on this target: each settled by reading its state (never a
    second execute), with what to do next."""
    code = 0
    with reported_errors(as_json):
        frame = open_session().reconcile_recording_jobs(follow=not no_follow)
        rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        if as_json:
            print_json(rows)
        elif not rows:
            typer.echo("no unfinished recording job in this journal")
        for r in [] if as_json else rows:
            typer.echo(f"{r['job_id']} {r['action']} {r['state']}: {r['resolved'] or '-'}; {r['what_to_do']}")
        if any("still in doubt" in (r["resolved"] or "") for r in rows):
            code = EXIT_NOT_READY
    raise typer.Exit(code)
