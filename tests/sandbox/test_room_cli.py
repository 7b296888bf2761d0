"""``recops room serve`` as a real process: its cards, its banner, its refusals; and
``recops sandbox serve``'s refusal to open an unprotected control plane beyond loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import urllib3

from recops.sandbox.process import ServedProcess
from recops.sandbox.room.seats import HARD_CAP, PER_SEAT_BYTES, check_seats, parse_card_rows, seat_bound
from recops.sandbox.server import SandboxServer

from .http_helpers import assert_error, get_token, request

RECOPS = Path(sys.executable).parent / "recops"
START_TIMEOUT = 60.0
TRAINER_TOKEN = "trainer-token-for-this-test"  # admin tokens have at least 24 characters
GIVEN_TOKEN = "given-admin-token-for-this-test"
LISTENING = re.compile(r"recops room listening on (http://127\.0\.0\.1:\d+)  \(room (room-[0-9a-f]{8}), 3 seats\)")


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env.update(HOME=str(tmp_path), PYTHONUNBUFFERED="1")
    return env


def run(cli_env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RECOPS), *args], env=cli_env, text=True, capture_output=True, timeout=START_TIMEOUT)


def test_a_room_of_three_writes_cards_and_serves_each_seat(cli_env, tmp_path):
    cards = tmp_path / "cards"
    served = ServedProcess([str(RECOPS), "room", "serve", "--seats", "3", "--port", "0", "--cards", str(cards)],
                           url_pattern=None, env=cli_env, start_timeout=START_TIMEOUT).start()
    try:
        line = served.wait_for(LISTENING, START_TIMEOUT)
        match = LISTENING.search(line)
        assert match, line
        url, room_id = match.groups()
        out = served.output()
        token = (cards / "admin-token").read_text().strip()
        assert out.count(token) == 1  # printed once
        assert str(cards) in out
        for name in ["seat-01.json", "seat-02.json", "seat-03.json", "seats.csv", "seats.json", "admin-token"]:
            assert stat.S_IMODE((cards / name).stat().st_mode) == 0o600, name
        card = json.loads((cards / "seat-02.json").read_text())
        assert {k: card[k] for k in ("room", "seat", "url", "org", "clientId", "readonlyClientId")} == {
            "room": room_id, "seat": 2, "url": url, "org": "seat-02", "clientId": "seat-02-supervisor",
            "readonlyClientId": "seat-02-readonly"}
        assert card["clientSecret"] not in out  # secrets are on the cards, not in the banner
        board_url = f"{url}/_room/board.html"
        board_line = next(x for x in out.splitlines() if board_url in x)  # the board's page, in the banner
        assert token not in board_line and "admin token" in board_line and "?token=" in board_line
        assert urllib3.request("GET", board_url, retries=False).status == 401  # it asks for the token
        assert urllib3.request("GET", f"{board_url}?token={token}", retries=False).status == 200
        assert json.loads((cards / "seats.json").read_text())[1] == card
        rows = parse_card_rows((cards / "seats.csv").read_text())
        assert [r["clientId"] for r in rows] == ["seat-01-supervisor", "seat-02-supervisor", "seat-03-supervisor"]
        assert rows[1]["clientSecret"] == card["clientSecret"]
        health = request("GET", f"{url}/_sandbox/health").body
        assert (health["room"], health["seats"]) == (room_id, 3)
        r = request("GET", f"{url}/_room", headers={"Authorization": f"Bearer {token}"})
        assert r.status == 200 and [s["org"] for s in r.body["seatList"]] == ["seat-01", "seat-02", "seat-03"]
        assert_error(request("GET", f"{url}/_room", headers={"Authorization": "Bearer not-it"}), 401,
                     "sandbox.unauthorized")
        bearer = get_token(url, card["clientId"], card["clientSecret"])
        call = request("GET", f"{url}/api/v2/conversations/c0a80001-0000-4000-8000-000000000001", token=bearer)
        assert call.status == 200 and call.body["recordingState"] == "ACTIVE"
    finally:
        served.stop(signal.SIGTERM, timeout=15)
    assert served.output().count(token) == 1


@pytest.mark.parametrize(("seats", "says"), [("0", "--seats must be at least 1"),
                                             (str(HARD_CAP + 1), f"at most {HARD_CAP} seats")])
def test_a_room_refuses_seats_it_cannot_hold(cli_env, seats, says):
    out = run(cli_env, "room", "serve", "--seats", seats, "--port", "0")
    assert out.returncode == 2
    assert says in " ".join(out.stderr.split()).replace("│", "").replace("  ", " ")


def test_the_seat_bound_follows_memavailable(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(f"MemTotal: 8000000 kB\nMemAvailable: {10 * PER_SEAT_BYTES // 1024} kB\n")
    bound = seat_bound(meminfo)
    assert bound.maximum == 5  # half of what is available, a reserve per seat
    assert check_seats(5, meminfo).maximum == 5
    with pytest.raises(ValueError) as e:
        check_seats(6, meminfo)
    assert "at most 5 seats" in str(e.value) and "MB available" in str(e.value)
    meminfo.write_text("MemTotal: 8000000 kB\n")  # no MemAvailable: the hard cap alone
    assert seat_bound(meminfo).maximum == HARD_CAP
    assert seat_bound(tmp_path / "absent").maximum == HARD_CAP


def test_sandbox_serve_refuses_a_public_host_without_an_admin_token(cli_env):
    out = run(cli_env, "sandbox", "serve", "--host", "0.0.0.0", "--port", "0")
    assert out.returncode == 2
    assert "refusing to serve on 0.0.0.0 without an admin token" in out.stderr
    assert "--admin-token" in out.stderr and "listening" not in out.stdout


def test_sandbox_serve_with_an_admin_token_protects_its_control_plane(cli_env):
    cli_env["RECOPS_ADMIN_TOKEN"] = TRAINER_TOKEN
    served = ServedProcess([str(RECOPS), "sandbox", "serve", "--port", "0"], env=cli_env,
                           start_timeout=START_TIMEOUT).start()
    try:
        url = served.url
        assert_error(request("GET", f"{url}/_sandbox/clients"), 401, "sandbox.unauthorized")
        ok = request("GET", f"{url}/_sandbox/clients", headers={"Authorization": f"Bearer {TRAINER_TOKEN}"})
        assert ok.status == 200 and {c["org"] for c in ok.body} == {"sandbox-org", "other-org"}
        assert TRAINER_TOKEN not in served.output()
    finally:
        served.stop(signal.SIGTERM, timeout=15)


def test_an_embedded_server_refuses_a_public_host_without_a_token_too():
    from recops.sandbox.control.auth import check_bind, is_loopback

    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.5", "class-room.local"))
    with pytest.raises(ValueError, match=r"refusing to serve on 0\.0\.0\.0 without an admin token"):
        SandboxServer(host="0.0.0.0")
    with pytest.raises(ValueError, match="the admin token is empty"):
        check_bind("0.0.0.0", "  ")
    check_bind("127.0.0.1", None)  # loopback: open, as always


def test_room_process_starts_a_room_whose_cards_are_ready_with_its_url(cli_env, tmp_path):
    from recops.sandbox.process import room_process

    cli_env["RECOPS_ADMIN_TOKEN"] = GIVEN_TOKEN
    with room_process(2, tmp_path / "cards", env=cli_env) as served:
        card = json.loads((tmp_path / "cards" / "seat-02.json").read_text())
        assert card["url"] == served.url and card["seat"] == 2
        assert (tmp_path / "cards" / "admin-token").read_text().strip() == GIVEN_TOKEN
        assert GIVEN_TOKEN not in served.output()  # a given token is not printed
        assert f"{served.url}/_room/board.html" in served.output()  # the board's page, without it
        r = request("GET", f"{served.url}/_room", headers={"Authorization": f"Bearer {GIVEN_TOKEN}"})
        assert r.status == 200 and r.body["seats"] == 2


def test_cards_carry_the_public_url_and_a_wildcard_bind_names_this_machine(cli_env, tmp_path):
    from recops.cli.room import reachable_host

    assert reachable_host("127.0.0.1") == "127.0.0.1" and reachable_host("::1") == "[::1]"
    assert reachable_host("0.0.0.0") not in ("0.0.0.0", "")
    command = [str(RECOPS), "room", "serve", "--seats", "1", "--port", "0", "--cards", str(tmp_path / "c"),
               "--public-url", "http://class-room.example:9000/"]
    with ServedProcess(command, env=cli_env, start_timeout=START_TIMEOUT):
        card = json.loads((tmp_path / "c" / "seat-01.json").read_text())
    assert card["url"] == "http://class-room.example:9000"
    bad = run(cli_env, "room", "serve", "--seats", "1", "--port", "0", "--public-url", "class-room:9000")
    assert bad.returncode == 2 and "http(s) URL" in bad.stderr
