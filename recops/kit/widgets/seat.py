"""The seat picker of the app mode: the trainee pastes or uploads their seat card, or types the
room's URL, their seat number and the card's credentials; the picker checks the card against
the room (the sandbox's health names its room) and the credentials against the sandbox, then
hands a session on that seat to whatever the app builds. On the plain demo sandbox (no room)
there is nothing to pick: it says "demo sandbox" and hands over the usual session, and a
**Use a seat card…** toggle opens the picker (a trainee who started the plain app can still
paste a card).

Bad input never raises into the page: a garbled card, a card from another room, wrong
credentials each end as one clear line in the picker, saying what to do. A card of a room that
no longer runs at its address (the trainer restarted the room: new room id, new credentials) is
named as such: ask the trainer for the new room's card. A valid card of ANOTHER room than the
one this app serves (or whose seat is in use) is refused, naming both rooms: a class works in
one room, so such a card is a stale or a neighbour's card, and switching rooms silently would
take the trainee's work off the trainer's board (README, "App mode").
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import urllib3

from recops.api.seat_card import SeatCard, parse_seat_card, read_seat_card
from recops.api.secret import Secret
from recops.api.settings import Settings
from recops.genesys.errors import AuthError, ConfigError, SeatRefused, error_lines

if TYPE_CHECKING:
    from recops.session import Session

SEAT_CARD_ENV = "RECOPS_SEAT_CARD"


def parse_card(text: str | bytes, where: str = "pasted") -> SeatCard:
    """A seat card from its JSON text, checked as a card file is (``recops.api.seat_card``), except
    that ``org`` may be left out; ``where`` names it in messages ("pasted", "uploaded …")."""
    return parse_seat_card(text, f"({where})", need_org=False)


def _health(url: str, auth: tuple[str, str] | None, card_room: str | None = None) -> dict[str, Any]:
    """The sandbox's health, asked as the seat (Basic) when credentials are given. Refused
    credentials of a card (``card_room``) whose room is not the one running there now are named
    as a card of a room that is gone (its new id from the open health: no secret needed)."""
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=15))
    try:
        resp = http.request("GET", f"{url.rstrip('/')}/_sandbox/health", headers=headers)
    except (urllib3.exceptions.HTTPError, ValueError) as e:
        raise ConfigError(f"no sandbox answers at {url} ({type(e).__name__})",
                          "check the room's URL on your seat card, and that the trainer's room is running") from None
    if resp.status == 401:
        now = _room_now(http, url) if card_room else None
        if card_room and now != card_room:
            running = f"room {now} runs there now" if now else "a sandbox that is no training room runs there now"
            raise SeatRefused(f"this seat card is for room {card_room}, which is not running at {url} any more "
                              f"({running}: the room was restarted, and its cards changed)",
                              f"ask the trainer for your seat card of {('room ' + now) if now else 'the new room'}")
        raise SeatRefused("the room refused these credentials (401)",
                          "copy the client id and secret exactly as on your seat card")
    if resp.status == 403:
        raise SeatRefused("these credentials may not act on this room (403)",
                          "use your own seat's card")
    if resp.status != 200:
        raise ConfigError(f"{url} is not a recops sandbox (health answered {resp.status})",
                          "check the room's URL on your seat card")
    try:
        return json.loads(resp.data)
    except ValueError:
        raise ConfigError(f"{url} is not a recops sandbox", "check the room's URL on your seat card") from None


def _room_now(http: urllib3.PoolManager, url: str) -> str | None:
    """The id of the room running at ``url`` (the open health, asked without credentials)."""
    try:
        resp = http.request("GET", f"{url.rstrip('/')}/_sandbox/health")
        room = json.loads(resp.data).get("room") if resp.status == 200 else None
    except (urllib3.exceptions.HTTPError, ValueError, AttributeError):
        return None
    return room if isinstance(room, str) else None


def seat_session(card: SeatCard) -> Session:
    """A session on the card's seat: the room first (a card from another room is refused, naming
    both rooms; on a room, wrong credentials are refused by its control plane), then the card's
    supervisor credentials (one token request)."""
    import recops

    health = _health(card.url, (card.client_id, card.client_secret.get()), card.room)
    room = health.get("room")
    if room != card.room:
        raise ConfigError(f"this seat card is for room {card.room}, but the sandbox at {card.url} is "
                          f"{'room ' + room if room else 'not a room (the plain demo sandbox)'}",
                          "use the card the trainer handed out for this room")
    seats = health.get("seats")
    if isinstance(seats, int) and not 1 <= card.seat <= seats:
        raise ConfigError(f"seat {card.seat} is not in room {room} (seats 1..{seats})",
                          "use the seat number on your card")
    # the session of `recops.connect(seat_card=...)`: the card's URL and supervisor client, its
    # control plane (reset, user tokens) acting as the seat
    rc = recops.connect(seat_card=card, sandbox_url=card.url, target="sandbox")
    try:
        rc.client.api_client  # noqa: B018 - asks for the token now: wrong credentials fail here, not on a click
    except AuthError:
        raise SeatRefused(f"the room at {card.url} refused the credentials of {card.client_id}",
                          "copy the client id and secret exactly as on your seat card") from None
    return rc


def demo_session(url: str | None) -> Session | None:
    """The usual session when the sandbox (``url``, else the embedded one) is not a room; None
    when it is a room (then a seat must be picked). With credentials set and no sandbox URL, the
    session on that real org, as everywhere in recops (its banner says so)."""
    import recops

    if not url and not Settings.load().target.is_sandbox:
        return recops.connect()

    if url:
        try:
            if _health(url, None).get("room"):
                return None
        except SeatRefused:  # a room's control plane asks who is calling: a seat must be picked
            return None
    return recops.connect(target="sandbox", sandbox_url=url) if url else recops.connect(target="sandbox")


class SeatPicker(w.VBox):
    """Enter or pick a seat; ``on_session(fn)`` calls ``fn(session)`` once a seat (or the demo
    sandbox) is in use. ``session`` is that session (None until then); ``message`` the last line
    shown. The sandbox URL defaults to ``RECOPS_SANDBOX_URL``; a ``RECOPS_SEAT_CARD`` file is
    used at once."""

    def __init__(self, sandbox_url: str | None = None, card_path: str | None = None) -> None:
        self.session: Session | None = None
        self.message = ""
        self.card: SeatCard | None = None
        self.room: str | None = None  # the room this app serves (its sandbox's), or whose seat is in use
        self._listeners: list[Callable[[Session], None]] = []
        sandbox_url = sandbox_url if sandbox_url is not None else os.environ.get("RECOPS_SANDBOX_URL")
        self.sandbox_url = (sandbox_url or "").rstrip("/") or None
        card_path = card_path if card_path is not None else os.environ.get(SEAT_CARD_ENV)
        self.status = w.HTML()
        self.status.add_class("recops-seat-status")
        self.card_text = w.Textarea(placeholder="paste your seat card (the JSON of seat-NN.json)",
                                    layout=w.Layout(width="100%", height="90px"))
        self.card_upload = w.FileUpload(accept=".json", multiple=False, description="Upload card")
        self.use_card = w.Button(description="Use this card", button_style="primary")
        self.url = w.Text(value=sandbox_url or "", description="Room URL", placeholder="http://…:8766")
        self.seat = w.BoundedIntText(value=1, min=1, max=999, description="Seat")
        self.client_id = w.Text(description="Client id", placeholder="seat-NN-supervisor")
        self.client_secret = w.Password(description="Secret")
        self.use_fields = w.Button(description="Use this seat")
        self.use_card.on_click(lambda _: self._try(lambda: parse_card(self.card_text.value)))
        self.card_upload.observe(lambda _: self._try(self._uploaded_card), names="value")
        self.use_fields.on_click(lambda _: self._try(self._typed_card))
        self.form = w.VBox([
            w.HTML("<b>Your seat</b>: paste or upload the seat card the trainer gave you …"),
            self.card_text, w.HBox([self.use_card, self.card_upload]),
            w.HTML("… or type the room's URL, your seat number and the credentials on your card:"),
            self.url, self.seat, self.client_id, self.client_secret, self.use_fields,
        ])
        self.toggle = w.ToggleButton(value=False, description="Use a seat card…", icon="id-card",
                                     tooltip="paste or upload the seat card the trainer gave you",
                                     layout=w.Layout(width="auto", display="none"))
        self.toggle.observe(lambda change: self._open(bool(change["new"])), names="value")
        super().__init__([self.toggle, self.form, self.status])
        self.add_class("recops-seat-picker")
        if card_path:
            self._try(lambda: self._file_card(card_path))
        else:
            self._start_on_demo(sandbox_url)

    # --- public -----------------------------------------------------------------------------

    def on_session(self, fn: Callable[[Session], None]) -> None:
        self._listeners.append(fn)
        if self.session is not None:
            fn(self.session)

    # --- the ways in ------------------------------------------------------------------------

    def _file_card(self, path: str) -> SeatCard:
        return read_seat_card(path, SEAT_CARD_ENV)

    def _uploaded_card(self) -> SeatCard:
        files = self.card_upload.value
        if not files:
            raise ConfigError("no file uploaded", "choose your seat-NN.json file")
        return parse_card(bytes(files[0]["content"]), f"uploaded {files[0]['name']}")

    def _typed_card(self) -> SeatCard:
        url, cid, secret = self.url.value.strip(), self.client_id.value.strip(), self.client_secret.value.strip()
        if not (url and cid and secret):
            raise ConfigError("the room's URL, the client id and the secret are all needed",
                              "copy them from your seat card")
        seat = int(self.seat.value)
        if cid.startswith("seat-") and not cid.startswith(f"seat-{seat:02d}-"):
            raise ConfigError(f"client {cid} is not seat {seat}'s",
                              "type the seat number and the client id of your card")
        room = _health(url, (cid, secret)).get("room")
        if not room:
            raise ConfigError(f"the sandbox at {url} is not a room (the plain demo sandbox)",
                              "check the room's URL on your seat card")
        return SeatCard(path=Path("(typed)"), room=room, seat=seat, url=url.rstrip("/"), org=f"seat-{seat:02d}",
                        client_id=cid, client_secret=Secret(secret))

    def _start_on_demo(self, url: str | None) -> None:
        try:
            rc = demo_session(url or None)
        except Exception as e:  # the page shows it; nothing reaches a traceback
            self._show_error(e)
            return
        if rc is None:
            self.room = _room_now(urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=15)),
                                  str(url)) if url else None
            self._show("info", "this sandbox is a training room: enter your seat below")
            return
        self._collapse()
        if not rc.is_sandbox:
            self._use(rc, f"no seat: {rc.target} (credentials are set); every change needs your confirmation")
            return
        self._use(rc, "demo sandbox — no seat needed; every change stays on this machine's sandbox")

    def _open(self, shown: bool) -> None:
        self.form.layout.display = None if shown else "none"

    def _collapse(self) -> None:
        """The form folded behind the toggle (a seat or the demo is in use)."""
        self.toggle.layout.display = None
        self.toggle.value = False
        self.form.layout.display = "none"

    def _check_room(self, card: SeatCard) -> None:
        """Refuse a card of another room than the one this app serves (or whose seat is in use),
        naming both; a card of a room gone from this app's address is said so by ``_health``."""
        if self.room is None or card.room == self.room:
            return
        here = self.sandbox_url if self.card is None else self.card.url
        if card.url.rstrip("/") == (here or "").rstrip("/"):
            return  # the same address: the health says whether that room still runs there
        raise SeatRefused(f"this seat card is for room {card.room} at {card.url}, but this app is working in "
                          f"room {self.room} at {here}",
                          f"use your seat card of room {self.room}; to work in room {card.room}, open the app the "
                          "trainer gave for that room")

    def _try(self, read_card: Callable[[], SeatCard]) -> None:
        try:
            card = read_card()
            self._check_room(card)
            rc = seat_session(card)
        except Exception as e:  # the page shows it; nothing reaches a traceback
            self._show_error(e)
            return
        self.card, self.room = card, card.room
        self.card_text.value = self.client_secret.value = ""  # the secret does not stay in the page
        self._collapse()
        self._use(rc, f"seat {card.seat} of room {card.room} ({card.org}) at {card.url}")

    # --- showing ----------------------------------------------------------------------------

    def _use(self, rc: Session, text: str) -> None:
        self.session = rc
        self._show("ok", text)
        for fn in self._listeners:
            fn(rc)

    def _show_error(self, error: BaseException) -> None:
        (_, message), *rest = error_lines(error)
        remedy = " ".join(text for label, text in rest if label == "do")
        self._show("error", message + (f" — {remedy}" if remedy else ""))

    def _show(self, kind: str, text: str) -> None:
        self.message = text
        color = {"ok": "#137333", "error": "#a50e0e", "info": "#444"}[kind]
        self.status.value = (f'<div class="recops-seat-{kind}" style="color:{color};font-weight:600">'
                             f"{html.escape(text)}</div>")
