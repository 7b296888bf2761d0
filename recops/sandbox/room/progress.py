"""What each seat did, recorded as it happens: the request facts the trainer board judges
(``SeatFacts``: the walkthrough's reads and writes, how many requests, the last error).

``SeatProgress`` is a final step of the request pipeline, right after the request log (app.py
adds it in a training room only): each ``/api/v2`` request made with a valid token, whose log
entry names an org, is added to that org's facts at once, in O(1). The facts are kept apart
from the request log, so no amount of other traffic can push a seat's progress out: a request
without a valid token (no org) touches no seat's facts, and another seat's requests touch only
that seat's. The request log itself (``GET /_sandbox/requests``) is unchanged.

The facts belong to one build of an org: the ``OrgState`` object and its ``created`` time. A reset
(the seat's own, the room's seat reset, the trainer's full reset) builds a new ``OrgState``, whose
facts start empty; a request made before that build (``time < created``) is not counted. Memory is
fixed per org (counters, flags and one log entry, the last error); an org that no longer exists
drops out when another org is first recorded.

Requests are recorded on the server's event loop; the board reads the facts there too, but a
lock of its own keeps a read from another thread whole. It is never held while taking
``SandboxState.lock`` (the board takes the state's lock first, then this one), so it cannot
deadlock. Each recorded request tells the board's push stream that the board may have changed
(``on_change``: cheap, it never computes the board; room/board_stream.py).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model.clock import parse_interval

if TYPE_CHECKING:
    from ..http.pipeline import Exchange
    from ..model.state import OrgState, SandboxState

Entry = dict[str, Any]

# the walkthrough's conversations (ids of the demo scenario; every seat holds the same ids)
EX1 = "c0a80001-0000-4000-8000-000000000002"
EX2 = "c0a80001-0000-4000-8000-000000000001"
EX5 = "c0a80001-0000-4000-8000-000000000004"
CONVERSATIONS = "/api/v2/conversations/"
ANALYTICS = "/api/v2/analytics/conversations/details"

REPEAT_READS = 3  # exercise 3: reads of the paused conversation after the pause (SeatFacts.add)

# Exercise 6 asks for the share of *last week's* calls (the walkthrough's ``rc.interval(
# intervals.last(7 * 24))``, which recops sends as one details query per day); the control panel
# and the picker query one day (``live_conversation``: the last 24 h; the picker: one day by
# default). The board counts exercise 6 when the seat's 2xx details queries together cover a week,
# give or take a day: their intervals, merged where they touch, span at least WEEK_HOURS -
# WEEK_SLACK_HOURS [room's own choice; Genesys documents no such notion].
WEEK_HOURS = 7 * 24
WEEK_SLACK_HOURS = 24
MAX_SPANS = 8  # merged query intervals kept per seat (the most recent ones): memory stays fixed


@dataclass
class SeatFacts:
    """What one seat's requests show, one request at a time: the exercise predicates read these,
    never the log."""

    read_ex1: bool = False  # a GET of conversation EX1 (any view)
    read_ex1_ok: bool = False
    writes_ex2: int = 0  # recordingState writes of EX2 (PUT .../calls/{id}/recordingstate, PATCH)
    ok_writes_ex2: int = 0
    failed_writes_ex2: int = 0
    reads_ex2_after_pause: int = 0  # 2xx GETs of EX2 after its first 2xx state write
    failed_after_pause: bool = False
    client_patch_ex5: bool = False  # participant PATCH on EX5 with client credentials
    client_patch_ex5_refused: bool = False  # ... answered 400/403
    user_patch_ex5: bool = False  # participant PATCH on EX5 with a user token
    analytics_failed: bool = False  # an analytics details query (sync or job) answered 4xx/5xx
    spans: tuple[tuple[float, float], ...] = ()  # 2xx details queries' intervals, merged (MAX_SPANS)
    analytics_week_ok: bool = False  # ... one of them covers a week (exercise 6; WEEK_HOURS)
    requests: int = 0
    last_error: Entry | None = None
    last_error_expected: bool = False  # the error exercise 5 asks for: shown, but nobody is stuck on it

    def add(self, e: Entry) -> None:
        self.requests += 1
        status = int(e.get("status", 0))
        ok = 200 <= status < 300
        if status >= 400 or status == 0:
            self.last_error = e
            self.last_error_expected = (status in (400, 403) and e["method"] == "PATCH"
                                        and f"/{EX5}/participants/" in e["path"] and e.get("tokenKind") != "user")
        method, path = e["method"], e["path"]
        if path.startswith(ANALYTICS):
            self.analytics_failed |= not ok
            interval = e.get("interval")
            if ok and interval is not None:
                self.spans = merged(self.spans, (float(interval[0]), float(interval[1])))
                self.analytics_week_ok |= any(end - start >= (WEEK_HOURS - WEEK_SLACK_HOURS) * 3600
                                              for start, end in self.spans)
            return
        if not path.startswith(CONVERSATIONS):
            return
        if method == "GET":
            if path.endswith("/" + EX1):
                self.read_ex1 = True
                self.read_ex1_ok |= ok
            elif path.endswith("/" + EX2) and ok and self.ok_writes_ex2:
                self.reads_ex2_after_pause += 1
        elif method in ("PUT", "PATCH") and path.endswith(f"/{EX2}/recordingstate"):
            self.writes_ex2 += 1
            if ok:
                self.ok_writes_ex2 += 1
            else:
                self.failed_writes_ex2 += 1
                self.failed_after_pause |= self.ok_writes_ex2 > 0
        elif method == "PATCH" and f"/{EX5}/participants/" in path:
            if e.get("tokenKind") == "user":
                self.user_patch_ex5 = True
            else:
                self.client_patch_ex5 = True
                self.client_patch_ex5_refused |= status in (400, 403)


def merged(spans: tuple[tuple[float, float], ...], new: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    """``spans`` plus ``new``, overlapping or touching intervals joined; the last MAX_SPANS kept."""
    start, end = new
    rest = []
    for s, e in spans:
        if s <= end and start <= e:
            start, end = min(s, start), max(e, end)
        else:
            rest.append((s, e))
    return (*rest, (start, end))[-MAX_SPANS:]


def query_interval(ex: Exchange) -> tuple[float, float] | None:
    """A details query's ``interval`` (a sync query or a job's submit) as epoch seconds, read
    from the request's body; None for any other request or a body without a valid one."""
    req = ex.req
    if req.method != "POST" or not req.path.startswith(ANALYTICS) or not req.body:
        return None
    try:
        body = json.loads(req.body)
        start, end = parse_interval(body["interval"])
    except (ValueError, TypeError, KeyError):
        return None
    return start, end


@dataclass
class _Build:
    """The facts of one build of an org (the object and its ``created`` time)."""

    org: weakref.ref[OrgState]
    created: float
    facts: SeatFacts

    def of(self, org: OrgState) -> bool:
        return self.org() is org and self.created == org.created


class SeatProgress:
    """Each org's ``SeatFacts``, recorded as its requests are answered (a final pipeline step)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._builds: dict[str, _Build] = {}  # org name -> the facts of its current build
        self.on_change: Callable[[], None] | None = None  # the board's stream hub (board_stream.py)

    async def __call__(self, ex: Exchange) -> None:
        entry = ex.log_entry  # set by the request log step just before: same entry, same facts
        if entry is not None and entry.get("org") is not None:
            interval = query_interval(ex)
            if interval is not None:  # the query's interval, never its body (GET /_sandbox/requests shows it too)
                entry["interval"] = interval
            self.record(entry)

    def record(self, entry: Entry) -> None:
        """Add one logged request of an org (``entry["org"]``) to that org's current build."""
        name = entry["org"]
        org = self.state.orgs.get(name)  # one dict read: the state's lock is never taken here
        if org is None or entry.get("time", 0) < org.created:
            return  # an org gone, or a request made before it was (re)built
        with self._lock:
            build = self._builds.get(name)
            if build is None or not build.of(org):
                if build is None:
                    self._prune()
                build = self._builds[name] = _Build(weakref.ref(org), org.created, SeatFacts())
            build.facts.add(entry)
        if self.on_change is not None:
            self.on_change()

    def facts(self, org: OrgState) -> SeatFacts:
        """A copy of the facts of this build of ``org`` (empty when it made no request yet)."""
        with self._lock:
            build = self._builds.get(org.name)
            if build is None or not build.of(org):
                return SeatFacts()
            return dataclasses.replace(build.facts)

    def __len__(self) -> int:
        """How many orgs' facts are held (at most the orgs that exist, plus the one just added)."""
        with self._lock:
            return len(self._builds)

    def _prune(self) -> None:
        """Drop the facts of orgs that no longer exist or were rebuilt (under ``_lock``)."""
        for name, build in list(self._builds.items()):
            org = self.state.orgs.get(name)
            if org is None or not build.of(org):
                del self._builds[name]
