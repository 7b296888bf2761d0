"""The trainer's board: for each seat (org) and each exercise of the training walkthrough
(notebooks/05_training_walkthrough.ipynb) a status computed from what the sandbox sees of
that org: its state and its entries in the request log.

- ``passed``: the exercise's predicate holds (the state it asks for is reached, or the
  request it asks for was answered as expected);
- ``failing``: tried and not there yet: a request of the exercise's kind was logged (answered
  4xx/5xx, or answered but the state is not reached);
- ``not-started``: no request of its kind yet.

The board only sees the sandbox: it never sees a trainee's typed answer. Exercises 1 and 6 are
answers the board judges by the request that reads them (docs/sandbox.md, "Trainer board").

Only the requests made since the org was (re)built count (``OrgState.created``), so a seat reset
clears its row. Each seat's last error (status, Genesys code, path, time) comes with its
explanation from ``recops.explain``; stuck seats (a last error, or a failing exercise) come first.
"""

from __future__ import annotations

import csv
import hmac
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..explain import explain
from . import errors
from .board_page import board_page
from .state import OrgState, SandboxState
from .wire import Reply, Request, json_reply

if TYPE_CHECKING:
    from .control import Control

Entry = dict[str, Any]

PASSED, FAILING, NOT_STARTED = "passed", "failing", "not-started"

# the walkthrough's conversations (ids of the demo scenario; every seat holds the same ids)
EX1 = "c0a80001-0000-4000-8000-000000000002"
EX2 = "c0a80001-0000-4000-8000-000000000001"
EX5 = "c0a80001-0000-4000-8000-000000000004"
CONVERSATIONS = "/api/v2/conversations/"


REPEAT_READS = 3  # exercise 3: reads of the paused conversation after the pause (see _ex3_reached)


def _ok(e: Entry) -> bool:
    return 200 <= int(e.get("status", 0)) < 300


def _reads(cid: str) -> Callable[[Entry], bool]:
    """A GET of the conversation (any view: /conversations/{id}, /conversations/calls/{id}, ...)."""
    return lambda e: e["method"] == "GET" and e["path"].startswith(CONVERSATIONS) and e["path"].endswith("/" + cid)


def _state_writes(cid: str) -> Callable[[Entry], bool]:
    """A write of the conversation's recordingState (PUT .../calls/{id}/recordingstate or PATCH)."""
    return lambda e: e["method"] in ("PUT", "PATCH") and e["path"].endswith(f"/{cid}/recordingstate")


def _participant_patch(cid: str, kind: str | None = None) -> Callable[[Entry], bool]:
    def match(e: Entry) -> bool:
        return (e["method"] == "PATCH" and e["path"].startswith(CONVERSATIONS) and f"/{cid}/participants/" in e["path"]
                and (kind is None or e.get("tokenKind") == kind))
    return match


def _failed_writes(cid: str) -> Callable[[Entry], bool]:
    return lambda e: _state_writes(cid)(e) and not _ok(e)


def _analytics(e: Entry) -> bool:
    return e["path"].startswith("/api/v2/analytics/conversations/details")


def _secure_pauses(org: OrgState, cid: str) -> list[Any]:
    conv = org.conversations.get(cid)
    return [p for p in conv.pauses if p.reason == "SecurePause"] if conv is not None else []


def _ex3_reached(org: OrgState, log: list[Entry]) -> bool:
    """After the first pause: a second state write answered 2xx (a repeat sent anyway), or the
    read of the repeat that recops makes instead of sending (recops's own confirmation read and
    the self-check's read come first: the repeat's is the third), with no failed write after it."""
    if not _secure_pauses(org, EX2):
        return False
    writes = [i for i, e in enumerate(log) if _state_writes(EX2)(e) and _ok(e)]
    if not writes:
        return False
    after = log[writes[0] + 1:]
    if any(_failed_writes(EX2)(e) for e in after):
        return False
    return len(writes) > 1 or sum(1 for e in after if _reads(EX2)(e) and _ok(e)) >= REPEAT_READS


def _ex5b_reached(org: OrgState, log: list[Entry]) -> bool:
    conv = org.conversations.get(EX5)
    return conv is not None and any(p.purpose == "agent" and not p.session.adhoc for p in conv.participants)


@dataclass(frozen=True)
class Exercise:
    key: str
    title: str
    cell: str  # the walkthrough cell it stands for
    judged_by: str  # what the board can see of it
    kind: Callable[[Entry], bool]  # the requests of this exercise (tried = one was logged)
    reached: Callable[[OrgState, list[Entry]], bool]  # passed


# One row per walkthrough exercise (notebooks/text/05_training_walkthrough.py).
EXERCISES: tuple[Exercise, ...] = (
    # "Exercise 1 — read a recording state": the answer is typed, the board sees the read
    Exercise("ex1", "read a recording state", "Exercise 1 — read a recording state",
             "requests: a read of the conversation answered 2xx (the typed answer is not visible)",
             _reads(EX1), lambda org, log: any(_reads(EX1)(e) and _ok(e) for e in log)),
    # "Exercise 2 — secure-pause a call": rc.pause(ex2)
    Exercise("ex2", "secure-pause a call", "Exercise 2 — secure-pause a call",
             "state: the conversation was secure-paused (a SecurePause in its history)",
             _state_writes(EX2), lambda org, log: bool(_secure_pauses(org, EX2))),
    # "Exercise 3 — pause it again": recops reads first and sends nothing
    Exercise("ex3", "pause it again", "Exercise 3 — pause it again",
             "requests: after the pause, the repeat's read (or a second write answered 2xx) and no failed write",
             _failed_writes(EX2), _ex3_reached),
    # "Exercise 4 — resume with the control panel"
    Exercise("ex4", "resume", "Exercise 4 — resume with the control panel",
             "state: the secure pause is over and the conversation is not secure-paused",
             _failed_writes(EX2), lambda org, log: any(p.end is not None for p in _secure_pauses(org, EX2))
             and not org.conversations[EX2].secure_pause),
    # "Exercise 5 — stop an agent's ad-hoc recording", first cell: the error with client credentials
    Exercise("ex5a", "stop with client credentials (the error)", "Exercise 5 — first cell (rc.stop with the client)",
             "requests: the participant PATCH with client credentials answered 400/403",
             _participant_patch(EX5, "client_credentials"),
             lambda org, log: any(_participant_patch(EX5, "client_credentials")(e) and e["status"] in (400, 403)
                                  for e in log)),
    # "Exercise 5 — stop an agent's ad-hoc recording", second cell: as the agent (user token)
    Exercise("ex5b", "stop as the agent", "Exercise 5 — second cell (rc.as_sandbox_user(...).stop)",
             "state: the agent's ad-hoc recording is off",
             _participant_patch(EX5, "user"), _ex5b_reached),
    # "Exercise 6 — what share of last week's calls was recorded?": the share is typed
    Exercise("ex6", "share of recorded calls", "Exercise 6 — share of last week's calls",
             "requests: an analytics details query answered 2xx (the typed share is not visible)",
             _analytics, lambda org, log: any(_analytics(e) and _ok(e) for e in log)),
)


def exercise_status(ex: Exercise, org: OrgState, log: list[Entry]) -> str:
    if ex.reached(org, log):
        return PASSED
    return FAILING if any(ex.kind(e) for e in log) else NOT_STARTED


def org_log(org: OrgState, entries: Iterable[Entry]) -> list[Entry]:
    """The org's entries since it was (re)built."""
    return [e for e in entries if e.get("org") == org.name and e.get("time", 0) >= org.created]


def explanation_of(e: Entry) -> dict[str, Any]:
    """``recops.explain`` of a logged error: a tutorial path is explained by the call itself,
    anything else by its status and Genesys code."""
    try:
        ex = explain(f"{e['method']} {e['path']}")
    except ValueError:
        code = e.get("code")
        ex = explain(f"{e['status']} {code}" if code else str(e["status"]))
    return {"topic": ex.topic, "meaning": ex.meaning, "remedy": ex.remedy}


def last_error(log: list[Entry]) -> dict[str, Any] | None:
    for e in reversed(log):
        status = int(e.get("status", 0))
        if status >= 400 or status == 0:
            return {"status": status, "code": e.get("code"), "method": e["method"], "path": e["path"],
                    "time": e["time"], "contextId": e.get("contextId"), "explanation": explanation_of(e)}
    return None


def seat_row(seat: int, org: OrgState, entries: Iterable[Entry]) -> dict[str, Any]:
    log = org_log(org, entries)
    statuses = {ex.key: exercise_status(ex, org, log) for ex in EXERCISES}
    error = last_error(log)
    return {"seat": seat, "org": org.name, "exercises": statuses,
            "passed": sum(s == PASSED for s in statuses.values()), "requests": len(log),
            "lastError": error, "stuck": error is not None or FAILING in statuses.values()}


def board(state: SandboxState, entries: Iterable[Entry], seats: dict[int, str]) -> dict[str, Any]:
    """The board of ``seats`` (seat number -> org name): stuck seats first, then by seat."""
    entries = list(entries)
    with state.lock:
        rows = [seat_row(n, state.orgs[org], entries) for n, org in sorted(seats.items()) if org in state.orgs]
    rows.sort(key=lambda r: (not r["stuck"], r["seat"]))
    return {"exercises": [{"key": ex.key, "title": ex.title, "cell": ex.cell, "judgedBy": ex.judged_by}
                          for ex in EXERCISES],
            "seats": rows}


CSV_FIELDS = ("seat", "org", "exercise", "status", "last_error_status", "last_error_code", "last_error_path",
              "last_error_time")


def results_csv(data: dict[str, Any]) -> str:
    """One line per seat × exercise, with the seat's last error."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for row in sorted(data["seats"], key=lambda r: r["seat"]):
        err = row["lastError"] or {}
        for ex in data["exercises"]:
            when = datetime.fromtimestamp(err["time"], timezone.utc).isoformat() if err else ""
            w.writerow([row["seat"], row["org"], ex["key"], row["exercises"][ex["key"]], err.get("status", ""),
                        err.get("code") or "", err.get("path", ""), when])
    return out.getvalue()


# --- the endpoints (rows in routes.route_table; the room plane's auth admits the admin only) ------


class BoardApi:
    """``GET /_room/board`` (JSON), ``GET /_room/board.html`` (the page) and
    ``GET /_room/results.csv``, for the seats of the training room."""

    def __init__(self, control: Control) -> None:
        self.control = control

    def _seats(self) -> dict[int, str]:
        room = getattr(self.control, "room", None)
        if room is None:
            raise errors.sandbox_not_found("this sandbox is not a training room: start one with "
                                           "`recops room serve --seats N` (docs/sandbox.md, trainer board)")
        return {s.number: s.org for s in room.seats}

    def data(self) -> dict[str, Any]:
        seats = self._seats()
        return board(self.control.state, list(self.control.request_log), seats)

    def board_json(self, req: Request) -> Reply:
        return json_reply(200, self.data())

    def results_csv(self, req: Request) -> Reply:
        return Reply(200, results_csv(self.data()).encode(), content_type="text/csv; charset=utf-8",
                     headers={"Content-Disposition": 'attachment; filename="results.csv"'})

    def board_html(self, req: Request) -> Reply:
        """The page, 200 with the admin token (``Authorization: Bearer`` or ``?token=``), else 401
        with the same page, which asks for the token (it holds neither token nor data)."""
        room = getattr(self.control, "room", None)
        self._seats()
        given = req.q("token") or ""
        auth = req.headers.get("authorization", "").strip()
        if auth[:7].lower() == "bearer ":
            given = auth[7:].strip()
        ok = bool(given) and hmac.compare_digest(given.encode(), str(room.admin_token).encode())
        return Reply(200 if ok else 401, board_page().encode(), content_type="text/html; charset=utf-8",
                     headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
