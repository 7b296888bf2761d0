"""What every ``recops`` command shares, written once: the consoles, the session on the configured
target (and the banner naming it), recops errors → what is printed and the exit code, JSON on
stdout, and conversation ids read from a file or stdin.

``recops/cli/commands.py`` and its sub-apps (``export``, ``many``, ``room``, ``training``)
import this module; it imports none of them. rich is imported only when something is printed.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import Any

import typer

from recops.genesys.errors import ConfigError, RecopsError

# The exit code of each recops error, by the name of the class or of its nearest ancestor listed
# here (1 for any other): they rise with severity — usage 2 < nonsense now 3 < refused by Genesys
# 4 < no answer, maybe applied 5 < journal 6; a run stopped on request (a cancel, as Ctrl-C) is
# 130, not a failure (docs/cli.md).
EXIT_CODES = {"ConfigError": 2, "InvalidTransition": 3, "ApiError": 4, "JobFailed": 4, "TransportError": 5,
              "DownloadFailed": 5, "LinkExpired": 5, "JournalError": 6, "Cancelled": 130, "DownloadCancelled": 130}


def exit_code_of(error_class: type[BaseException]) -> int:
    """The exit code for an error of this class (see ``EXIT_CODES``)."""
    return next((EXIT_CODES[cls.__name__] for cls in error_class.__mro__ if cls.__name__ in EXIT_CODES), 1)


def console(stderr: bool = False) -> Any:
    """A rich console on stdout (the answer) or stderr (the target, progress, errors)."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=True)


def markup_escaped(value: Any) -> str:
    """Text for rich markup: Genesys messages carry brackets ("[conversation:recording:pauseOthers]")
    that rich would otherwise read as markup tags and drop."""
    from rich.markup import escape

    return escape(str(value))


def jsonable(value: Any) -> Any:
    """Dataclasses, mappings, sequences and dates as JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def print_json(value: Any) -> None:
    typer.echo(json.dumps(jsonable(value), indent=2, default=str))


@contextmanager
def reported_errors(as_json: bool) -> Iterator[None]:
    """A recops error raised inside ends the command: printed (it renders itself: what went wrong,
    then what to do) on stderr, or as ``{"error": {...}}`` on stdout with ``--json``; the exit
    code is its class's."""
    try:
        yield
    except RecopsError as e:
        info: dict[str, Any] = {"type": type(e).__name__, "message": e.message, "remedy": e.remedy}
        for attr in ("status", "code", "context_id", "permissions", "retry_after", "method", "path"):
            if getattr(e, attr, None) not in (None, "", []):
                info[attr] = getattr(e, attr)
        if as_json:
            print_json({"error": info})
        else:
            console(stderr=True).print(e)
        raise typer.Exit(exit_code_of(type(e))) from None


def open_session() -> Any:
    """A session on the configured target, named on stderr. With nothing configured, the CLI prefers
    a sandbox already serving on the default port, so state carries over from one command to the
    next; otherwise it embeds one whose state lasts for this command only."""
    from recops.api.settings import Settings
    from recops.api.targets import running_sandbox
    from recops.session import connect

    settings = Settings.load()
    err = console(stderr=True)
    if settings.target.is_sandbox and settings.target.api_url is None:
        url = running_sandbox()
        if url:
            settings = settings.with_overrides(sandbox_url=url)
        else:
            err.print("[dim]no sandbox on the default port: using an embedded one whose state lasts for "
                      "this command only (start one with `recops sandbox serve`)[/]", highlight=False)
    session = connect(settings)
    err.print(f"[bold]target:[/] {target_banner(session)}", highlight=False)
    return session


def target_banner(session: Any) -> str:
    """The target in green for a sandbox, in bold red for a real org (rich markup)."""
    text = markup_escaped(session.target)
    return f"[green]{text}[/]" if session.is_sandbox else f"[bold red]{text}[/]"


def read_text(source: str) -> str:
    """The text of FILE, or of stdin for ``-``; ``ConfigError`` when it cannot be read."""
    try:
        if source == "-":
            return sys.stdin.read()
        with open(source, encoding="utf-8") as fh:
            return fh.read()
    except OSError as e:
        raise ConfigError(f"cannot read conversation ids from {source}: {e.strerror or e}",
                          "pass a readable file, or '-' for stdin") from None


def ids_in(text: str) -> list[str]:
    """The ids in a text: separated by newlines, spaces or commas; ``#`` starts a comment."""
    return [token for line in text.splitlines() for token in line.split("#", 1)[0].replace(",", " ").split()]


def read_ids(source: str) -> list[str]:
    """The ids in FILE, or on stdin for ``-`` (see ``ids_in``)."""
    return ids_in(read_text(source))


def _unwrapped(text: str) -> str:
    """A docstring as prose: its paragraphs kept, the line breaks inside each one made spaces."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in paragraph.splitlines()) for paragraph in paragraphs)


def prose_help(app: typer.Typer) -> typer.Typer:
    """Every command's help of ``app`` and its sub-apps, from its docstring with the source's line
    breaks removed: typer keeps a docstring's line breaks (in the command list, and in every
    paragraph after the first), so ``--help`` broke mid-sentence at any width (issue 17, item 8).
    Rich then wraps the prose at the terminal's width, at word boundaries."""
    for info in app.registered_commands:
        text = info.help or (info.callback.__doc__ if info.callback else None)
        if text:
            info.help = _unwrapped(text)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            prose_help(group.typer_instance)
    return app
