"""No secret in any error, secrets compared in constant time, the admin token's rules, and the
control plane's smaller promises (issue 16, findings 6 and 7), each replayed against a real
``recops room serve`` process over real HTTP, or the real CLI.

- A malformed ``Authorization`` header (no scheme, ``Basic:<b64>``, ``Bearer<TAB><token>``, ...)
  carrying a secret is answered on every plane without the secret, in any case or base64 form,
  in the body, the headers or the room's output.
- ``/oauth/token`` compares client secrets with ``hmac.compare_digest`` (on bytes: a non-ASCII
  secret is a wrong secret, not a 500).
- ``--admin-token`` takes 24 characters or more, from the option, ``RECOPS_ADMIN_TOKEN`` or
  ``--admin-token-file`` (one source only; a file others can read is refused); given by the
  environment or a file, the token is not on the process's command line.
- A seat's reset of another org is 403 (its own org untouched); the admin may reset one org.
- A body over 1 MiB is 413 before authentication: a seat, the admin and nobody alike.
"""

from __future__ import annotations

import base64
import hmac
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from recops.sandbox.process import ServedProcess
from recops.sandbox.server import SandboxServer

from ..sandbox.http_helpers import Resp, assert_error, basic, get_token, raw_request, request, token_request
from .conftest import RoomUnderTest

RECOPS = Path(sys.executable).parent / "recops"
START_TIMEOUT = 60.0
CALL = "c0a80001-0000-4000-8000-000000000001"  # ACTIVE in every seat's copy of the demo
LIMIT = 1_048_576  # maxBodyBytes' default (docs/sandbox.md §5.2)
MIN_ADMIN_TOKEN_CHARS = 24  # the admin token's documented minimum (docs/sandbox.md §1.1, §1.3)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- 1. no secret in any error ------------------------------------------------------------------


def malformed_headers(s: str) -> list[str]:
    """``Authorization`` values that are not 'Bearer <token>' nor 'Basic base64(id:secret)' of a
    real client, each carrying the secret ``s`` (as is, or base64)."""
    e = b64(s)
    return [
        s, f"  {s}", s.upper(), f"{s}:{s}", f"{s} {s}", f"{s}\tBearer", f"{s} Basic",
        f"Basic:{e}", f"Basic:{s}", f"Basic={e}", f"Basic{e}", f"basic\t{e}", f"BASIC {e}!!",
        f"Basic {s}!", f"Basic {e}", f"Basic {b64('nobody:' + s)}", f"Basic {b64(s + ':' + s)}",
        f"Basic {b64(s)[:-2]}", f"Bearer:{s}", f"Bearer={s}", f"Bearer,{s}", f"Bearer{s}",
        f"bearer{s.lower()}", f"Bearer\t{s}x", f"Bearer {s} extra", f"Bearer \x0b{s}?",
        f"Token {s}", f'Digest username="{s}"', f"Negotiate {e}", f"{s[:8]} {s}",
        f"X{'y' * 40}{s} z", f"Bearer\u00a0{s}", f"{s}\u00e9",
    ]


def planes(room: RoomUnderTest) -> list[tuple[str, str, bytes | None, dict[str, str]]]:
    """(method, target, body, headers) on every plane; none changes anything when it succeeds."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    js = {"Content-Type": "application/json"}
    return [
        ("GET", "/_sandbox/health", None, {}),
        ("GET", "/_sandbox/clients", None, {}),
        ("GET", f"/_sandbox/conversations/{CALL}?org=seat-02", None, {}),
        ("POST", "/_sandbox/faults", b"{", js),
        ("GET", "/_sandbox/media/nope/nope.wav", None, {}),
        ("GET", "/_room", None, {}),
        ("GET", "/_room/seats/2", None, {}),
        ("GET", "/_room/board", None, {}),
        ("GET", "/_room/board.html", None, {}),
        ("POST", "/oauth/token", b"grant_type=client_credentials", form),
        ("GET", f"/api/v2/conversations/{CALL}", None, {}),
        ("GET", "/api/v2/users/me", None, {}),
        ("GET", "/media/batch/j/c/r.wav?Expires=1&Signature=x", None, {}),
    ]


def needles(secret: str, sent: str) -> set[str]:
    """What must not appear, lower-cased: the secret, its base64, and every long piece of what
    was sent (so a base64 payload of it, however aligned, is caught too)."""
    pieces = {p for p in re.split(r"[\s:=,\"!?]+", sent) if len(p) >= 16}
    return {n.lower() for n in {secret, b64(secret), secret.lower(), *pieces}}


def leaks(r: Resp, found: set[str]) -> list[str]:
    text = (r.raw.decode("latin-1") + "\n" + "\n".join(f"{k}: {v}" for k, v in r.headers.items())).lower()
    return [n for n in found if n in text]


@pytest.fixture(scope="module")
def room_secrets(room) -> dict[str, str]:
    """A unique secret-looking value, the real admin token, a real client secret."""
    return {"marker": "sK_Live_" + secrets.token_urlsafe(24), "admin token": room.admin_token,
            "seat 2's secret": room.card(2)["clientSecret"]}


def test_a_malformed_authorization_header_is_never_echoed_on_any_plane(room, room_secrets):
    seen: list[str] = []
    for name, secret in room_secrets.items():
        for header in malformed_headers(secret):
            for method, target, body, headers in planes(room):
                r = raw_request(room.url, method, target, body=body, headers={**headers, "Authorization": header})
                found = leaks(r, needles(secret, header))
                if found:
                    seen.append(f"{name} in {method} {target} ({r.status}) with {header!r}: {r.raw[:200]!r}")
    assert not seen, "\n".join(seen[:20]) + f"\n({len(seen)} leaks)"
    out = room.served.output().lower()
    assert not [n for s in room_secrets.values() for n in needles(s, "") if n in out]


def test_a_malformed_header_is_named_by_its_shape(room, room_secrets):
    secret = room_secrets["marker"]
    for header, says in [(secret, "no scheme"), (f"Basic:{b64(secret)}", "no scheme"),
                         (f"Xyz{secret} abc", f"an unknown scheme of {len(secret) + 3} characters"),
                         ("Digest abc", "Digest")]:
        r = request("GET", f"{room.url}/_sandbox/clients", headers={"Authorization": header})
        body = assert_error(r, 401, "sandbox.unauthorized")
        assert "'Bearer <token>' or 'Basic <base64>'" in body["message"] and says in body["message"], body


def test_secrets_in_the_query_and_the_token_form_are_never_echoed(room, room_secrets):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for name, secret in room_secrets.items():
        tries = [request("GET", f"{room.url}/_room?token={secret}x"),
                 request("GET", f"{room.url}/_room/board.html?token={secret}x"),
                 request("GET", f"{room.url}/_sandbox/clients?token={secret}"),
                 request("POST", f"{room.url}/oauth/token", body=f"grant_type={secret}", headers=form),
                 request("POST", f"{room.url}/oauth/token", headers=form,
                         body=f"grant_type=client_credentials&client_id=seat-02-supervisor&client_secret={secret}x"),
                 token_request(room.url, "seat-02-supervisor", secret + "x"),
                 token_request(room.url, secret, secret)]
        for r in tries:
            assert r.status in (400, 401), (name, r.status, r.body)
            assert not leaks(r, needles(secret, "")), (name, r.raw)


# --- 2. secrets compared in constant time ----------------------------------------------------------


def test_the_token_endpoint_takes_the_right_secret_only_and_never_crashes(room):
    card = room.card(2)
    cid, secret = card["clientId"], card["clientSecret"]
    assert get_token(room.url, cid, secret)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for wrong in ["", "x", secret[:-1], secret + "x", secret.upper(), "sécret-ü-\u2603", "\u00e9" * 32]:
        r = token_request(room.url, cid, wrong)
        assert r.status in (400, 401) and r.body["error"] == "invalid_client", (wrong, r.status, r.body)
        fields = f"grant_type=client_credentials&client_id={cid}&client_secret={wrong}"
        r = request("POST", f"{room.url}/oauth/token", body=fields.encode(), headers=form)
        assert r.status in (400, 401) and r.body["error"] == "invalid_client", (wrong, r.status, r.body)
    for header in [basic(cid, "sécret-\u2603"), "Basic " + b64(f"{cid}:\u00e9\u00e8"), f"Bearer \u00e9{secret}"]:
        r = request("GET", f"{room.url}/_sandbox/clients", headers={"Authorization": header})
        assert_error(r, 401, "sandbox.unauthorized")


def test_client_secrets_are_compared_with_compare_digest(monkeypatch):
    """Timing cannot be measured reliably in a test: the token endpoint's secret check must go
    through ``hmac.compare_digest`` (on bytes), for a right and a wrong secret alike."""
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    with SandboxServer(scenario="demo") as sb:
        ok = token_request(sb.url, "sandbox-supervisor", "sandbox-supervisor-secret")
        assert ok.status == 200
        assert any(b"sandbox-supervisor-secret" in (a, b) for a, b in calls), calls
        calls.clear()
        bad = token_request(sb.url, "sandbox-supervisor", "sandbox-supervisor-secreT")
        assert bad.status in (400, 401)
        assert any(isinstance(a, bytes) and b"sandbox-supervisor-secret" in (a, b) for a, b in calls), calls


# --- 3. the admin token's rules ---------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env.update(HOME=str(tmp_path), PYTHONUNBUFFERED="1")
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RECOPS), *args], env=env, text=True, capture_output=True, timeout=30)


def flat(text: str) -> str:
    """typer's boxed error, as one line."""
    return " ".join(text.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


SERVES = {"room": ["room", "serve", "--seats", "1", "--port", "0"], "sandbox": ["sandbox", "serve", "--port", "0"]}


def token_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / f"token-{secrets.token_hex(4)}"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("command", SERVES)
def test_a_short_admin_token_is_refused_from_every_source(cli_env, tmp_path, command):
    short = "s3cr3t-" + "x" * (MIN_ADMIN_TOKEN_CHARS - 8)  # one character short
    file = token_file(tmp_path, short + "\n")
    for args, env in [(["--admin-token", short], {}), ([], {"RECOPS_ADMIN_TOKEN": short}),
                      (["--admin-token-file", str(file)], {})]:
        out = run({**cli_env, **env}, *SERVES[command], *args)
        said = flat(out.stderr)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert f"at least {MIN_ADMIN_TOKEN_CHARS} characters" in said, said
        assert short not in out.stdout + out.stderr and "listening" not in out.stdout


@pytest.mark.parametrize("command", SERVES)
def test_two_sources_or_a_bad_file_are_refused_saying_why(cli_env, tmp_path, command):
    token = secrets.token_urlsafe(32)
    good = token_file(tmp_path, token + "\n")
    cases = [
        (["--admin-token", token], {"RECOPS_ADMIN_TOKEN": token}, ["--admin-token", "RECOPS_ADMIN_TOKEN"]),
        (["--admin-token-file", str(good)], {"RECOPS_ADMIN_TOKEN": token},
         ["--admin-token-file", "RECOPS_ADMIN_TOKEN"]),
        (["--admin-token-file", str(good), "--admin-token", token], {}, ["--admin-token-file", "--admin-token"]),
        (["--admin-token-file", str(tmp_path / "absent")], {}, ["cannot read"]),
        (["--admin-token-file", str(tmp_path)], {}, ["cannot read"]),
        (["--admin-token-file", str(token_file(tmp_path, "\n  \nsecond line is not read"))], {}, ["empty"]),
        (["--admin-token-file", str(token_file(tmp_path, token, 0o644))], {}, ["chmod 600"]),
        (["--admin-token-file", str(token_file(tmp_path, token, 0o620))], {}, ["chmod 600"]),
    ]
    for args, env, says in cases:
        out = run({**cli_env, **env}, *SERVES[command], *args)
        said = flat(out.stderr)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert all(s in said for s in says), (args, said)
        assert token not in out.stdout + out.stderr


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.mark.parametrize("command", SERVES)
@pytest.mark.parametrize("source", ["env", "file"])
def test_a_token_from_the_environment_or_a_file_works_and_is_not_in_ps(cli_env, tmp_path, command, source):
    token = secrets.token_urlsafe(32)
    args = [str(RECOPS), *SERVES[command], "--cards", str(tmp_path / "cards")] if command == "room" else \
        [str(RECOPS), *SERVES[command]]
    if source == "env":
        cli_env["RECOPS_ADMIN_TOKEN"] = token
    else:
        args += ["--admin-token-file", str(token_file(tmp_path, f"  {token}  \nignored\n"))]
    process = ServedProcess(args, url_pattern=r"listening on (http://\S+)", env=cli_env, start_timeout=START_TIMEOUT)
    with process:
        assert token not in cmdline(process.pid)
        ps = subprocess.run(["ps", "-ww", "-o", "args=", "-p", str(process.pid)], capture_output=True, text=True)
        assert process.pid and token not in ps.stdout
        path = "/_room" if command == "room" else "/_sandbox/clients"
        assert request("GET", process.url + path, headers={"Authorization": f"Bearer {token}"}).status == 200
        assert_error(request("GET", process.url + path, headers={"Authorization": f"Bearer {token}x"}), 401)
        if command == "room":
            assert (tmp_path / "cards" / "admin-token").read_text().strip() == token
    process.stop()
    assert token not in process.output()


@pytest.mark.parametrize("command", SERVES)
def test_the_help_recommends_the_environment_or_a_file(cli_env, command):
    out = run(cli_env, *SERVES[command][:2], "--help")
    said = flat(out.stdout)
    assert "--admin-token-file" in said and "RECOPS_ADMIN_TOKEN" in said, said
    assert "shows in ps" in said and f"at least {MIN_ADMIN_TOKEN_CHARS} characters" in said, said


# --- 4. a seat resets its own org only; the admin may reset one org ------------------------------


def seat_state(room: RoomUnderTest, seat: int) -> str:
    r = request("GET", f"{room.url}/_sandbox/conversations/{CALL}?org=seat-{seat:02d}", headers=room.admin())
    assert r.status == 200, r.body
    return str(r.body["recordingState"])


def pause(room: RoomUnderTest, seat: int) -> None:
    card = room.card(seat)
    token = get_token(room.url, card["clientId"], card["clientSecret"])
    r = request("PUT", f"{room.url}/api/v2/conversations/calls/{CALL}/recordingstate", token=token,
                json_body={"recordingState": "PAUSED"})
    assert r.status in (200, 202), r.body
    assert seat_state(room, seat) == "PAUSED"


@pytest.fixture
def paused(room) -> Iterator[None]:
    """Seats 1 and 2 with ``CALL`` paused; every seat back to the room's copy afterwards."""
    pause(room, 1)
    pause(room, 2)
    yield
    for seat in (1, 2, 3):
        assert request("POST", f"{room.url}/_room/seats/{seat}/reset", headers=room.admin()).status == 200


def test_a_seats_reset_of_another_org_is_403_and_changes_nothing(room, paused):
    seat1 = room.seat_basic(1)
    for target, body in [("?org=seat-02", None), ("", {"org": "seat-02"}), ("?org=seat-02", {"org": "seat-02"}),
                         ("?org=sandbox-org", None), ("", {"org": "seat-01", "scenario": "demo"})]:
        r = request("POST", f"{room.url}/_sandbox/reset{target}", headers=seat1,
                    **({"json_body": body} if body is not None else {}))
        assert_error(r, 403, "sandbox.forbidden")
        assert (seat_state(room, 1), seat_state(room, 2)) == ("PAUSED", "PAUSED"), (target, body)
    own = request("POST", f"{room.url}/_sandbox/reset?org=seat-01", headers=seat1)
    assert own.status == 200 and own.body["orgs"] == ["seat-01"]
    assert (seat_state(room, 1), seat_state(room, 2)) == ("ACTIVE", "PAUSED")


def test_the_admin_resets_one_org_by_name(room, paused):
    for body, status in [({"org": "seat-09"}, 404), ({"org": 2}, 400), ({"org": "seat-02", "scenario": "demo"}, 400)]:
        r = request("POST", f"{room.url}/_sandbox/reset", headers=room.admin(), json_body=body)
        assert r.status == status, (body, r.body)
    assert (seat_state(room, 1), seat_state(room, 2)) == ("PAUSED", "PAUSED")
    r = request("POST", f"{room.url}/_sandbox/reset", headers=room.admin(), json_body={"org": "seat-02"})
    assert r.status == 200 and r.body["orgs"] == ["seat-02"], r.body
    assert (seat_state(room, 1), seat_state(room, 2)) == ("PAUSED", "ACTIVE")
    r = request("POST", f"{room.url}/_sandbox/reset?org=seat-01", headers=room.admin())
    assert r.status == 200 and r.body["orgs"] == ["seat-01"], r.body
    assert (seat_state(room, 1), seat_state(room, 2)) == ("ACTIVE", "ACTIVE")


# --- 5. over 1 MiB: 413 before authentication -----------------------------------------------------------


def test_a_body_over_the_limit_is_413_whoever_sends_it(room, paused):
    big = b'{"pad": "' + b"x" * LIMIT + b'"}'
    nobody: dict[str, str] = {}
    for who, headers in [("a seat", room.seat_basic(1)), ("nobody", nobody), ("the admin", room.admin()),
                         ("a wrong token", {"Authorization": "Bearer nope"})]:
        for path in ["/_sandbox/reset", "/_sandbox/faults", "/_sandbox/tokens", "/_room/seats/1/reset",
                     "/api/v2/recording/batchrequests", "/oauth/token"]:
            r = raw_request(room.url, "POST", path, body=big,
                            headers={**headers, "Content-Type": "application/json"})
            assert r.status == 413, (who, path, r.status, r.body)
            assert r.body["code"] == "request.entity.too.large", (who, path, r.body)
    assert (seat_state(room, 1), seat_state(room, 2)) == ("PAUSED", "PAUSED")  # nothing was reset


def test_a_chunked_body_over_the_limit_is_413_before_authentication(room):
    import urllib3

    def chunks() -> Iterator[bytes]:
        for _ in range(12):
            yield b"x" * 100_000

    http = urllib3.PoolManager(retries=False)
    for headers in ({}, room.seat_basic(1)):
        r = http.request("POST", f"{room.url}/_sandbox/faults", body=chunks(), chunked=True,
                         headers={**headers, "Content-Type": "application/json"})
        assert r.status == 413, (headers, r.status, r.data[:200])
