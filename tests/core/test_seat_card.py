"""A trainee's seat card (``RECOPS_SEAT_CARD``) against a real training room (three seats, in
process): ``recops.connect()`` and the CLI act on that seat only, the walkthrough's reset
(``discover.sandbox_control(rc).reset()``) resets that seat only, and a card that is missing,
garbled or from another room is a ConfigError saying what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import recops
from recops.api.settings import Settings
from recops.genesys.errors import ConfigError
from recops.kit import discover
from recops.sandbox.room import Room
from recops.sandbox.server import SandboxServer

from ..conftest import Demo

RECOPS = Path(sys.executable).parent / "recops"


@pytest.fixture(scope="module")
def room_server() -> Iterator[SandboxServer]:
    server = SandboxServer(scenario=None, room=Room(3)).start()
    yield server
    server.stop()


@pytest.fixture
def cards(room_server, tmp_path) -> Path:
    """The room back to the demo copies; its cards written to a fresh folder."""
    room_server.control.reset()
    room_server.app.room.write_cards(tmp_path / "cards", room_server.url)
    return tmp_path / "cards"


def connect(card: Path, tmp_path: Path) -> recops.Session:
    return recops.connect(seat_card=str(card), journal_path=str(tmp_path / "journal.sqlite"))


def test_a_seat_card_points_the_session_at_its_seat(cards, tmp_path, room_server):
    rc = connect(cards / "seat-02.json", tmp_path)
    assert rc.is_sandbox and rc.client.principal == "client:seat-02-supervisor"
    assert "seat 2 (seat-02)" in rc.target and room_server.app.room.id in rc.target
    assert rc.status(Demo.ACTIVE).recording_state == "ACTIVE"
    rc.pause(Demo.ACTIVE)
    assert rc.status(Demo.ACTIVE).recording_state == "PAUSED"
    admin = room_server.control
    assert admin.conversation(Demo.ACTIVE, org="seat-02")["recordingState"] == "PAUSED"
    assert admin.conversation(Demo.ACTIVE, org="seat-01")["recordingState"] == "ACTIVE"
    assert admin.conversation(Demo.ACTIVE, org="seat-03")["recordingState"] == "ACTIVE"
    secret = json.loads((cards / "seat-02.json").read_text())["clientSecret"]
    assert secret not in repr(rc.settings) and secret not in str(rc.settings.describe())


def test_the_walkthroughs_reset_resets_only_its_own_seat(cards, tmp_path, room_server):
    one, two = connect(cards / "seat-01.json", tmp_path), connect(cards / "seat-02.json", tmp_path)
    one.pause(Demo.ACTIVE)
    two.pause(Demo.ACTIVE)
    two.resume(Demo.PAUSED)
    control = discover.sandbox_control(one)
    assert control is not None
    control.reset()  # the walkthrough's first cell, as seat 1
    assert one.status(Demo.ACTIVE).recording_state == "ACTIVE"
    assert two.status(Demo.ACTIVE).recording_state == "PAUSED"
    assert two.status(Demo.PAUSED).recording_state == "ACTIVE"
    assert {c["org"] for c in control.conversations(active=True)} == {"seat-01"}


def test_a_seat_acts_as_its_own_agents_only(cards, tmp_path, room_server):
    rc = connect(cards / "seat-03.json", tmp_path)
    ben = rc.as_sandbox_user(Demo.BEN)
    ben.stop(Demo.ADHOC, Demo.ADHOC_AGENT)
    assert not rc.status(Demo.ADHOC).participant(Demo.ADHOC_AGENT).adhoc
    other = room_server.control.conversation(Demo.ADHOC, org="seat-01")
    assert next(p for p in other["participants"] if p["id"] == Demo.ADHOC_AGENT)["adhoc"] is True


def test_the_cli_reads_the_card(cards, tmp_path, room_server):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env.update(HOME=str(tmp_path), RECOPS_SEAT_CARD=str(cards / "seat-01.json"))
    out = subprocess.run([str(RECOPS), "status", Demo.PAUSED, "--json"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["recording_state"] == "PAUSED"
    assert room_server.url in out.stderr
    target = subprocess.run([str(RECOPS), "target", "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert target.returncode == 0, target.stderr
    assert f"seat 1 (seat-01) of {room_server.app.room.id}" in json.loads(target.stdout)["as"]
    assert json.loads(cards.joinpath("seat-01.json").read_text())["clientSecret"] not in target.stdout


def test_a_card_of_another_room_names_both_rooms(cards, tmp_path, room_server):
    card = json.loads((cards / "seat-01.json").read_text())
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({**card, "room": "room-00000000"}))
    with pytest.raises(ConfigError) as e:
        connect(stale, tmp_path).status(Demo.ACTIVE)
    text = str(e.value)
    assert "room-00000000" in text and room_server.app.room.id in text
    assert "seat card of this room" in e.value.remedy
    assert "which is not running at" in text and "ask the trainer" in e.value.remedy  # issue 17, item 12


def test_a_card_for_a_plain_sandbox_says_it_is_no_room(sb, cards, tmp_path):
    card = json.loads((cards / "seat-01.json").read_text())
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps({**card, "url": sb.url}))
    with pytest.raises(ConfigError, match="no training room"):
        connect(moved, tmp_path).status(Demo.ACTIVE)


@pytest.mark.parametrize(("content", "says"), [
    (None, "does not exist"),
    ("{not json", "is not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"room": "room-1", "seat": 1}', "lacks url, org, clientId, clientSecret"),
    ('{"room": "room-1", "seat": "one", "url": "http://x", "org": "o", "clientId": "c", "clientSecret": "s"}',
     "wrong seat"),
    ('{"room": "room-1", "seat": 1, "url": "ftp://x", "org": "o", "clientId": "c", "clientSecret": "s"}',
     "no http(s) url"),
])
def test_a_missing_or_garbled_card_says_what_to_do(tmp_path, content, says):
    path = tmp_path / "card.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as e:
        Settings.load(env={"RECOPS_SEAT_CARD": str(path)})
    assert says in str(e.value) and str(path) in str(e.value)
    assert "ask the trainer" in e.value.remedy


def test_a_card_and_credentials_together_are_refused(cards):
    with pytest.raises(ConfigError) as e:
        Settings.load(env={"RECOPS_SEAT_CARD": str(cards / "seat-01.json"), "RECOPS_CLIENT_ID": "x",
                           "RECOPS_CLIENT_SECRET": "y"})
    assert "RECOPS_CLIENT_ID" in str(e.value) and "unset" in e.value.remedy


def test_a_protected_sandbox_without_a_card_says_to_use_one(room_server, tmp_path):
    rc = recops.connect(sandbox_url=room_server.url, journal_path=str(tmp_path / "j.sqlite"))
    with pytest.raises(ConfigError) as e:
        rc.status(Demo.ACTIVE)
    assert "RECOPS_SEAT_CARD" in e.value.remedy


def test_recops_lab_checks_the_card_before_starting_jupyterlab(cards, tmp_path, room_server):
    from recops.kit import lab

    card = json.loads((cards / "seat-01.json").read_text())
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({**card, "room": "room-00000000"}))
    lines: list[str] = []
    with pytest.raises(ConfigError, match="room-00000000"):
        lab.run(seat_card=str(stale), open_browser=False, echo=lines.append)
    assert lines == []  # nothing started, nothing announced
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env["HOME"] = str(tmp_path)
    out = subprocess.run([str(RECOPS), "lab", "--no-browser", "--seat-card", str(tmp_path / "nope.json")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "nope.json" in out.stderr and "does not exist" in out.stderr and "ask the trainer" in out.stderr
