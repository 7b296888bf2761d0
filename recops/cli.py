"""The ``recops`` command."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Operate Genesys Cloud call recordings; runs against a local sandbox by default.")
sandbox_app = typer.Typer(no_args_is_help=True, help="The local Genesys Cloud emulator.")
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
def sandbox_serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8765,
    scenario: Annotated[str, typer.Option(help="Scenario to load: a name (see 'recops sandbox scenarios') "
                                               "or a path to a .json file; 'none' starts empty.")] = "demo",
) -> None:
    """Serve the sandbox in the foreground until Ctrl-C."""
    from .sandbox import scenarios
    from .sandbox.server import serve

    name = None if scenario.lower() == "none" else scenario
    if name is not None:
        try:
            scenarios.read(name)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--scenario") from None
    try:
        serve(host=host, port=port, scenario=name, announce=lambda line: typer.echo(line))
    except OSError as e:
        typer.echo(f"error: cannot listen on {host}:{port}: {e.strerror or e}. "
                   "Pick another --port (0 chooses a free one).", err=True)
        raise typer.Exit(2) from None


@sandbox_app.command("scenarios")
def sandbox_scenarios() -> None:
    """List the named scenarios."""
    from .sandbox import scenarios

    for name, text in scenarios.available().items():
        typer.echo(f"{name:<10} {text}")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
