"""``recops room serve``: one sandbox for a whole class, a seat (an isolated org) per trainee.

It writes a seat card per seat (``seat-NN.json``), ``seats.csv`` and ``seats.json`` (all cards,
to hand out) and ``admin-token`` into the cards folder, prints the URL, the room id, the admin
token (once; never a token given by env or file), the trainer board's page (without any
token) and where the cards are, then serves until Ctrl-C. See docs/sandbox.md, "The
training room".
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from recops.api.settings import DEFAULT_SANDBOX_PORT

from .admin_token import FILE_HELP, OPTION_HELP, admin_token_from

if TYPE_CHECKING:
    from collections.abc import Callable

    from recops.sandbox.app import SandboxApp
    from recops.sandbox.room import Room

room_app = typer.Typer(no_args_is_help=True, help="A training room: one sandbox, one isolated org per trainee.")


def default_cards_dir(room_id: str) -> Path:
    from recops.api.settings import output_dir

    return output_dir() / "rooms" / room_id


def reachable_host(host: str) -> str:
    """The host to write on the cards: ``host`` itself, or for a wildcard bind this machine's
    address on its default route (no packet is sent), else its host name."""
    if host not in ("0.0.0.0", "::", ""):
        return f"[{host}]" if ":" in host else host
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            return str(s.getsockname()[0])
    except OSError:
        return socket.gethostname()


def room_banner(room: Room, cards: Path | None, public_url: str | None, token_source: str | None,
                echo: Callable[[str], None]) -> Callable[[SandboxApp, str, Callable[[str], None]], None]:
    """The banner ``serve`` prints once bound: writes the cards (they need the port), then says
    where everything is. The "listening on" line comes last, once the cards exist."""

    def banner(app: SandboxApp, url: str, announce: Callable[[str], None]) -> None:
        bound_host, bound_port = url.split("//", 1)[1].rsplit(":", 1)
        card_url = public_url.rstrip("/") if public_url else f"http://{reachable_host(bound_host.strip('[]'))}:{bound_port}"
        folder = cards or default_cards_dir(room.id)
        room.write_cards(folder, card_url)
        echo(f"room {room.id}: {len(room.seats)} seats (orgs seat-01 .. {room.seats[-1].org}), each a copy of "
             "the demo scenario")
        echo(f"  seat cards for the trainees: {folder}/seat-NN.json   (all of them: seats.csv, seats.json)")
        echo(f"  trainees: RECOPS_SEAT_CARD=seat-NN.json recops lab   (or recops lab --seat-card seat-NN.json); "
             f"cards point at {card_url}")
        if token_source is not None:
            echo(f"  admin token: as given ({token_source}); also in {folder}/admin-token")
        else:
            echo(f"  admin token (shown once; also in {folder}/admin-token): {room.admin_token}")
        # the board page's address never holds the token: the page asks for it (or takes ?token=)
        echo(f"  trainer board (a browser): {card_url}/_room/board.html   it asks for the admin token "
             f"(or add ?token= and the token from {folder}/admin-token)")
        echo(f"  trainer: GET {card_url}/_room with 'Authorization: Bearer <admin token>'; POST "
             f"{card_url}/_room/seats/N/reset resets seat N")
        announce(f"recops room listening on {url}  (room {room.id}, {len(room.seats)} seats)   Ctrl-C stops")

    return banner


@room_app.command("serve")
def room_serve(
    seats: Annotated[int, typer.Option(help="How many seats (trainees); each is an isolated org.")],
    host: Annotated[str, typer.Option(help="Interface to bind; 0.0.0.0 for a room of laptops.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535,
                                      help="Port to listen on (0 picks a free one).")] = DEFAULT_SANDBOX_PORT,
    cards: Annotated[Path | None, typer.Option(help="Folder for the seat cards and the admin token "
                                                    "(default: the output folder's rooms/<room id>).")] = None,
    admin_token: Annotated[str | None, typer.Option(help="Default: a new random one. " + OPTION_HELP)] = None,
    admin_token_file: Annotated[Path | None, typer.Option(help=FILE_HELP)] = None,
    public_url: Annotated[str | None, typer.Option(
        help="The URL written on the cards, when trainees reach the room by another address "
             "(default: http://HOST:PORT; for 0.0.0.0 this machine's address).")] = None,
) -> None:
    """Serve a training room in the foreground until Ctrl-C.

    The admin token: a new random one, or RECOPS_ADMIN_TOKEN or
    --admin-token-file (or --admin-token: it shows in ps)."""
    from recops.sandbox.room import Room, check_seats
    from recops.sandbox.server import serve

    try:
        check_seats(seats)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--seats") from None
    admin_token, token_source = admin_token_from(admin_token, admin_token_file)
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"must be an http(s) URL, not {public_url!r}", param_hint="--public-url")
    room = Room(seats, admin_token=admin_token)
    echo = typer.echo
    try:
        serve(host=host, port=port, room=room, announce=echo,
              banner=room_banner(room, cards.expanduser().absolute() if cards else None, public_url,
                                 token_source, echo))
    except OSError as e:
        where = f"{host}:{port}" if e.filename is None else str(e.filename)
        typer.echo(f"error: cannot {'write the cards to' if e.filename else 'listen on'} {where}: "
                   f"{e.strerror or e}. " + ("Pick another --cards folder." if e.filename else
                                             "Pick another --port (0 chooses a free one)."), err=True)
        raise typer.Exit(2) from None
