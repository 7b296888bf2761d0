"""The trainer's board: for each seat (org) and each exercise of the training walkthrough
(notebooks/05_trainer_walkthrough.ipynb) a status computed from what the sandbox sees of
that org: its state, read live, and its requests, recorded as they happen (``progress``).

- ``passed``: the exercise's predicate holds (the state it asks for is reached, or the
  request it asks for was answered as expected);
- ``failing``: tried and not there yet: a request of the exercise's kind was made (answered
  4xx/5xx, or answered but the state is not reached);
- ``not-started``: no request of its kind yet.

The board only sees the sandbox: it never sees a trainee's typed answer. Exercises 1 and 6 are
answers the board judges by the request that reads them (docs/sandbox.md, "Trainer board").

Only the requests made since the org was (re)built count (``OrgState.created``), so a seat reset
clears its row; no other traffic does (the facts are kept per org, not read back from the bounded
request log). Each seat's last error (status, Genesys code, path, time) comes with its
explanation from ``recops.genesys.explain``; stuck seats (a failing exercise, or a last error other
than the one exercise 5 asks for) come first.
"""

from __future__ import annotations

import csv
import hmac
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from recops.genesys.explain import explain

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors
from ..model.state import OrgState, SandboxState
from .board_page import board_page
from .board_stream import BoardHub, LiveReply
from .progress import EX2, EX5, REPEAT_READS, Entry, SeatFacts, SeatProgress

if TYPE_CHECKING:
    from ..control.plane import Control

PASSED, FAILING, NOT_STARTED = "passed", "failing", "not-started"


def _secure_pauses(org: OrgState, cid: str) -> list[Any]:
    conv = org.conversations.get(cid)
    return [p for p in conv.pauses if p.reason == "SecurePause"] if conv is not None else []


def _ex3_reached(org: OrgState, f: SeatFacts) -> bool:
    """After the first pause: a second state write answered 2xx (a repeat sent anyway), or the
    read of the repeat that recops makes instead of sending (recops's own confirmation read and
    the self-check's read come first: the repeat's is the third), with no failed write after it."""
    return (bool(_secure_pauses(org, EX2)) and f.ok_writes_ex2 > 0 and not f.failed_after_pause
            and (f.ok_writes_ex2 > 1 or f.reads_ex2_after_pause >= REPEAT_READS))


def _ex4_reached(org: OrgState, f: SeatFacts) -> bool:
    conv = org.conversations.get(EX2)
    return conv is not None and not conv.secure_pause and any(p.end is not None for p in _secure_pauses(org, EX2))


def _ex5b_reached(org: OrgState, f: SeatFacts) -> bool:
    conv = org.conversations.get(EX5)
    return conv is not None and any(p.purpose == "agent" and not p.session.adhoc for p in conv.participants)


@dataclass(frozen=True)
class Exercise:
    key: str
    title: str
    cell: str  # its heading in the walkthrough (notebook and app): "Exercise 5a — …"
    judged_by: str  # what the board can see of it
    tried: Callable[[SeatFacts], bool]  # a request of this exercise's kind was made
    reached: Callable[[OrgState, SeatFacts], bool]  # passed


# One row per walkthrough exercise, numbered and titled as the notebook's "## Exercise …" headings
# (notebooks/text/05_trainer_walkthrough.py) and the walkthrough app (recops/kit/widgets/apps.py,
# TITLES): the key "ex5a" is "Exercise 5a" everywhere.
EXERCISES: tuple[Exercise, ...] = (
    # the answer is typed, the board sees the read
    Exercise("ex1", "read a recording state", "Exercise 1 — read a recording state",
             "requests: a read of the conversation answered 2xx (the typed answer is not visible)",
             lambda f: f.read_ex1, lambda org, f: f.read_ex1_ok),
    # rc.pause(ex2), or the app's Pause
    Exercise("ex2", "secure-pause a call", "Exercise 2 — secure-pause a call",
             "state: the conversation was secure-paused (a SecurePause in its history)",
             lambda f: f.writes_ex2 > 0, lambda org, f: bool(_secure_pauses(org, EX2))),
    # recops reads first and sends nothing
    Exercise("ex3", "pause it again", "Exercise 3 — pause it again",
             "requests: after the pause, the repeat's read (or a second write answered 2xx) and no failed write",
             lambda f: f.failed_writes_ex2 > 0, _ex3_reached),
    Exercise("ex4", "resume", "Exercise 4 — resume with the control panel",
             "state: the secure pause is over and the conversation is not secure-paused",
             lambda f: f.failed_writes_ex2 > 0, _ex4_reached),
    # the error with client credentials
    Exercise("ex5a", "stop with the client's credentials (the error)",
             "Exercise 5a — stop an agent's ad-hoc recording with the client's credentials",
             "requests: the participant PATCH with client credentials answered 400/403",
             lambda f: f.client_patch_ex5, lambda org, f: f.client_patch_ex5_refused),
    # as the agent (user token)
    Exercise("ex5b", "stop as the agent", "Exercise 5b — stop it as the agent",
             "state: the agent's ad-hoc recording is off",
             lambda f: f.user_patch_ex5, _ex5b_reached),
    # the share is typed
    Exercise("ex6", "share of recorded calls", "Exercise 6 — what share of last week's calls was recorded?",
             "requests: analytics details queries answered 2xx covering last week (at least 6 days together; "
             "the control panel's and the picker's one-day queries do not count; the typed share is not visible)",
             lambda f: f.analytics_failed, lambda org, f: f.analytics_week_ok),
)


def exercise_status(ex: Exercise, org: OrgState, facts: SeatFacts) -> str:
    if ex.reached(org, facts):
        return PASSED
    return FAILING if ex.tried(facts) else NOT_STARTED


def explanation_of(e: Entry) -> dict[str, Any]:
    """``recops.genesys.explain`` of a logged error: a tutorial path is explained by the call itself,
    anything else by its status and Genesys code."""
    try:
        ex = explain(f"{e['method']} {e['path']}")
    except ValueError:
        code = e.get("code")
        ex = explain(f"{e['status']} {code}" if code else str(e["status"]))
    return {"topic": ex.topic, "meaning": ex.meaning, "remedy": ex.remedy}


def error_wire(e: Entry | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"status": int(e.get("status", 0)), "code": e.get("code"), "method": e["method"], "path": e["path"],
            "time": e["time"], "contextId": e.get("contextId"), "explanation": explanation_of(e)}


def seat_row(seat: int, org: OrgState, facts: SeatFacts) -> dict[str, Any]:
    statuses = {ex.key: exercise_status(ex, org, facts) for ex in EXERCISES}
    error = error_wire(facts.last_error)
    return {"seat": seat, "org": org.name, "exercises": statuses,
            "passed": sum(s == PASSED for s in statuses.values()), "requests": facts.requests,
            "lastError": error, "lastErrorExpected": facts.last_error_expected,
            "stuck": (error is not None and not facts.last_error_expected) or FAILING in statuses.values()}


def board(state: SandboxState, progress: SeatProgress, seats: dict[int, str]) -> dict[str, Any]:
    """The board of ``seats`` (seat number -> org name): stuck seats first, then by seat."""
    with state.lock:
        rows = []
        for n, name in sorted(seats.items()):
            org = state.orgs.get(name)
            if org is None:
                continue
            rows.append(seat_row(n, org, progress.facts(org)))
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


# --- the endpoints (rows in ROUTES; the room plane's auth admits the admin only) ------


class BoardApi:
    """``GET /_room/board`` (JSON), ``GET /_room/board/stream`` (the same, pushed: server-sent
    events), ``DELETE /_room/board/stream`` (end the streams), ``GET /_room/board.html`` (the page)
    and ``GET /_room/results.csv``, for the seats of the training room."""

    def __init__(self, control: Control) -> None:
        self.control = control
        self.progress = SeatProgress(control.state)  # a final pipeline step in a room (app.py)
        self.hub = BoardHub(control.state, self.data)  # GET /_room/board/stream (board_stream.py)
        self.progress.on_change = self.hub.changed

    def _seats(self) -> dict[int, str]:
        room = self.control.room
        if room is None:
            raise errors.sandbox_not_found("this sandbox is not a training room: start one with "
                                           "`recops room serve --seats N` (docs/sandbox.md, trainer board)")
        return {s.number: s.org for s in room.seats}

    def data(self) -> dict[str, Any]:
        seats = self._seats()
        return board(self.control.state, self.progress, seats)

    def board_json(self, req: Request) -> Reply:
        return json_reply(200, self.data())

    def results_csv(self, req: Request) -> Reply:
        return Reply(200, results_csv(self.data()).encode(), content_type="text/csv; charset=utf-8",
                     headers={"Content-Disposition": 'attachment; filename="results.csv"'})

    def board_html(self, req: Request) -> Reply:
        """The page, 200 with the admin token (``Authorization: Bearer`` or ``?token=``), else 401
        with the same page, which asks for the token (it holds neither token nor data)."""
        self._seats()  # 404 on a sandbox that is no room
        admin_token = str(self.control.room.admin_token) if self.control.room is not None else ""
        given = req.q("token") or ""
        auth = req.headers.get("authorization", "").strip()
        if auth[:7].lower() == "bearer ":
            given = auth[7:].strip()
        ok = bool(given) and hmac.compare_digest(given.encode(), admin_token.encode())
        return Reply(200 if ok else 401, board_page().encode(), content_type="text/html; charset=utf-8",
                     headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    def board_stream(self, req: Request) -> Reply:
        """Server-sent events: the board now, then each new board (board_stream.py); 429 past the cap."""
        self._seats()  # 404 on a sandbox that is no room
        stream = self.hub.join()
        return LiveReply(200, b"", content_type=None, live=stream)

    def end_streams(self, req: Request) -> Reply:
        """End every open board stream (their pages reconnect): ``{"closed": n}``."""
        self._seats()
        return json_reply(200, {"closed": self.hub.end_all()})

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", "_room/board", board_json),
        Row("GET", "_room/board/stream", board_stream),
        Row("DELETE", "_room/board/stream", end_streams),
        Row("GET", "_room/board.html", board_html),  # answers 401 itself without the token
        Row("GET", "_room/results.csv", results_csv),
    )
