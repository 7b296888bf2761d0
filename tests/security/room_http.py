"""Raw HTTP to a room under test, for the security suite: no retries (every refusal is seen
once), a seat's token, the trainer's JSON calls and a 429's ``Retry-After``."""

from __future__ import annotations

import json
from typing import Any

import urllib3

from .conftest import RoomUnderTest


def call(pool: urllib3.PoolManager, method: str, url: str, **kw: Any) -> urllib3.BaseHTTPResponse:
    return pool.request(method, url, retries=False, timeout=30, **kw)


def mint(pool: urllib3.PoolManager, room: RoomUnderTest, seat: int) -> urllib3.BaseHTTPResponse:
    """``POST /oauth/token`` with the seat card's client credentials."""
    return call(pool, "POST", f"{room.url}/oauth/token", body="grant_type=client_credentials",
                headers={**room.seat_basic(seat), "Content-Type": "application/x-www-form-urlencoded"})


def token_of(pool: urllib3.PoolManager, room: RoomUnderTest, seat: int) -> str:
    resp = mint(pool, room, seat)
    assert resp.status == 200, resp.data
    return resp.json()["access_token"]


def admin_json(pool: urllib3.PoolManager, room: RoomUnderTest, method: str, path: str, body: Any = None,
               ok: tuple[int, ...] = (200,)) -> Any:
    """The trainer's call (admin token), its status one of ``ok``, its JSON."""
    resp = call(pool, method, f"{room.url}{path}", headers={**room.admin(), "Content-Type": "application/json"},
                body=None if body is None else json.dumps(body))
    assert resp.status in ok, (resp.status, resp.data[:500])
    return resp.json()


def retry_after(resp: urllib3.BaseHTTPResponse) -> int:
    value = resp.headers.get("Retry-After")
    assert value is not None and value.isdigit() and int(value) >= 1, dict(resp.headers)
    return int(value)
