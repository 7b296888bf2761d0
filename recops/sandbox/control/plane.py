"""The control plane under ``/_sandbox/`` (never under ``/api/v2``): health, settings,
assumptions, scenarios, reset, clients, users, user tokens, conversations, seed, faults,
clock, the request log and recording media. Documented with exact JSON in docs/sandbox.md.

Errors use the Genesys envelope with ``sandbox.*`` codes, so one parser reads both.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, ClassVar

from .. import scenarios
from ..http.faults import FaultBook
from ..http.routes import Row
from ..http.wire import Reply, Request, empty_reply, json_reply
from ..model import errors
from ..model.clock import Clock, iso
from ..model.errors import ApiError
from ..model.models import DEFAULT_ORG, FILE_STATES, Conversation, OAuthClient
from ..model.settings import SandboxSettings, assumptions_wire
from ..model.state import OrgState, SandboxState
from ..seeds import builders
from ..seeds.builders import permissions_from, seed_history
from ..seeds.names import create_queue
from ..services import render
from ..services.media import BUSY_RETRY_AFTER, DownloadsBusy, find_conversation, recording_media_ms, wav_reply
from ..services.recording_jobs import fail_job
from .auth import forbidden, scoped_org
from .fairness import SeatLimits

if TYPE_CHECKING:
    from ..http.ratelimit import RateLimiter
    from ..http.routes import RouteTable
    from ..room import Room

VERSION = "1"


_bad = errors.sandbox_bad_request
_missing = errors.sandbox_not_found


def client_wire(c: OAuthClient) -> dict[str, Any]:
    return {
        "clientId": c.client_id, "clientSecret": c.secret, "org": c.org, "name": c.name,
        "permissions": list(c.permissions), "grants": list(c.grants),
        **({"tokenLifetimeSeconds": c.token_lifetime_seconds} if c.token_lifetime_seconds else {}),
    }


def conversation_summary(conv: Conversation) -> dict[str, Any]:
    return {
        "id": conv.id, "org": conv.org, "mediaType": conv.media_type, "startTime": iso(conv.start_time),
        "recordingState": conv.recording_state(), "securePause": conv.secure_pause,
        "ended": conv.ended, "queueId": conv.queue_id,
        "participants": [
            {"id": p.id, "purpose": p.purpose, "name": p.name, "userId": p.user_id,
             "state": p.session.state, "recording": conv.participant_recorded(p),
             "adhoc": p.session.adhoc, "held": p.session.held}
            for p in conv.participants
        ],
        "recordingIds": [r.id for r in conv.recordings],
    }


class Control:
    def __init__(self, state: SandboxState, faults: FaultBook, limiter: RateLimiter,
                 request_log: deque[dict[str, Any]], initial_scenario: str | None,
                 room: Room | None = None) -> None:
        self.state = state
        self.room = room  # a training room (room/seats.py): its seats are the orgs
        self.faults = faults
        self.limiter = limiter
        self.request_log = request_log
        self.initial_scenario = initial_scenario
        self.fair = SeatLimits()  # each seat's share of the control plane (fairness.FairShare spends it)
        self._resets = asyncio.Lock()  # one reset at a time (see "resets" below)

    @staticmethod
    def not_found(req: Request, routes: RouteTable) -> ApiError:
        """404 ``sandbox.not.found`` naming the endpoints under the same first segment."""
        known = ", ".join(f"{r.method} {r.path}" for r in routes.under(req.segments[:2]))
        hint = f"; known here: {known}" if known else ""
        return _missing(f"no control endpoint {req.method} {req.path}{hint}; see docs/sandbox.md")


    # --- handlers (the rows in ROUTES) ----------------------------------------------------

    def health(self, req: Request) -> Reply:
        own = req.scope_org
        return json_reply(200, {"status": "ok", "version": VERSION, "scenario": self.state.scenario,
                                "orgs": [own] if own else sorted(self.state.orgs),
                                "room": self.room.id if self.room else None,
                                "seats": len(self.room.seats) if self.room else 0})

    def get_settings(self, req: Request) -> Reply:
        return json_reply(200, self.state.settings.to_wire())

    def put_settings(self, req: Request) -> Reply:
        body = self._body(req)
        with self.state.lock:
            self.state.update_settings(body)
            self._sync_log_size()
        return json_reply(200, self.state.settings.to_wire())

    def assumptions(self, req: Request) -> Reply:
        return json_reply(200, assumptions_wire(self.state.settings.assumptions))

    def list_scenarios(self, req: Request) -> Reply:
        return json_reply(200, [{"name": k, "description": v} for k, v in scenarios.available().items()])

    async def load_scenario(self, req: Request) -> Reply:
        return json_reply(200, await self.reset_async(req.params["name"]))

    async def post_reset(self, req: Request) -> Reply:
        """Every org (the admin, an open control plane), or one: ``?org=`` / ``{"org"}`` (a seat
        may name only its own, else 403; it resets its own org without naming it)."""
        body = self._body(req, required=False) or {}
        if not isinstance(body, dict):
            raise _bad("reset takes an optional object {\"scenario\": name | null} or {\"org\": name}")
        asked = body.get("org", req.q("org"))
        if ("org" in body and not isinstance(asked, str)) or req.q("org") not in (None, asked):
            raise _bad("org must be one org's name, the same in ?org= and the body")
        org = scoped_org(req, asked)  # a seat naming another org: 403
        if req.scope_org is not None and "scenario" in body:
            raise forbidden(f"{req.scope_org} resets its own org to the room's scenario; it cannot load "
                            "another one (send an empty body)")
        if org is not None:  # one org, back to the scenario's copy; the others untouched
            if "scenario" in body:
                raise _bad("reset one org ({\"org\": name}) or load a scenario ({\"scenario\": name}), not both")
            if org not in self.state.orgs:
                raise _missing(f"no org {org!r} to reset; orgs: {', '.join(sorted(self.state.orgs)) or 'none'}")
            if req.scope_org is not None:  # a seat: one of its rebuilds (fairness.py), 429 past them
                refusal = self.fair.take(req.scope_org, reset=True)
                if refusal is not None:
                    raise refusal.error()
            return json_reply(200, await self.reset_org(org))
        name = body.get("scenario", self.initial_scenario) if "scenario" in body else self.initial_scenario
        return json_reply(200, await self.reset_async(name))

    def create_client(self, req: Request) -> Reply:
        return json_reply(201, client_wire(builders.create_client(self.state, self._body(req))))

    def list_clients(self, req: Request) -> Reply:
        org = scoped_org(req, req.q("org"))
        return json_reply(200, [client_wire(c) for c in self.state.clients.values() if org in (None, c.org)])

    def _client(self, req: Request) -> OAuthClient:
        client = self.state.clients.get(req.params["clientId"])
        if client is None:
            raise _missing(f"no client {req.params['clientId']!r}")
        return client

    def get_client(self, req: Request) -> Reply:
        client = self._client(req)
        if scoped_org(req) not in (None, client.org):
            raise _missing(f"no client {req.params['clientId']!r}")
        return json_reply(200, client_wire(client))

    def patch_client(self, req: Request) -> Reply:
        client = self._client(req)
        body = self._body(req)
        if not isinstance(body, dict) or set(body) - {"permissions", "grants"}:
            raise _bad("PATCH a client with {\"permissions\": [...]} and/or {\"grants\": [...]}")
        permissions = permissions_from(body["permissions"]) if "permissions" in body else None
        grants = None
        if "grants" in body:
            if not isinstance(body["grants"], list):
                raise _bad("'grants' must be a list")
            grants = tuple(body["grants"])
        return json_reply(200, client_wire(self.state.update_client(client, permissions, grants)))

    def create_user(self, req: Request) -> Reply:
        user = builders.create_user(self.state, self._body(req))
        return json_reply(201, {"userId": user.id, "org": user.org, "name": user.name,
                                "permissions": list(user.permissions)})

    def create_queue(self, req: Request) -> Reply:
        queue = create_queue(self.state, self._body(req))
        return json_reply(201, {"queueId": queue.id, "org": queue.org, "name": queue.name})

    def user_token(self, req: Request) -> Reply:
        body = self._body(req)
        if not isinstance(body, dict) or not isinstance(body.get("userId"), str):
            raise _bad("tokens takes {\"userId\": \"...\", \"org\"?: \"...\", \"lifetimeSeconds\"?: n}")
        org = scoped_org(req, body.get("org"))
        lifetime = body.get("lifetimeSeconds")
        if lifetime is not None and (isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1):
            raise _bad("'lifetimeSeconds' must be a whole number >= 1")
        with self.state.lock:
            candidates = [o for o in self.state.orgs.values() if org in (None, o.name)]
            found = [o.users[body["userId"]] for o in candidates if body["userId"] in o.users]
            if len(found) > 1 and self.room is not None:
                raise _bad(f"user {body['userId']!r} is in {len(found)} orgs ({_names(u.org for u in found)}): "
                           "add \"org\": \"seat-NN\"")
            user = found[0] if found else None
            if user is None:
                raise _missing(f"no user {body['userId']!r}; create one with POST /_sandbox/users or "
                               "name it as a participant's userId")
            wait = self.state.mint_wait(user.org)  # tokenMintsPerMinute: the org's one budget with /oauth/token
            if wait:
                raise ApiError(429, "too.many.requests.retry.after",
                               f"{user.org} minted {self.state.settings.token_mints_per_minute} tokens this minute, "
                               f"its most; retry in [{wait}] seconds", headers={"Retry-After": str(wait)})
            token = self.state.issue_user_token(user, lifetime)
        return json_reply(201, {"accessToken": token.value, "tokenType": "bearer",
                                "expiresIn": round(token.expires_at - self.state.clock.now()),
                                "userId": user.id, "org": user.org})

    def create_conversation(self, req: Request) -> Reply:
        conv = builders.create_conversation(self.state, self._body(req))
        with self.state.lock:
            return json_reply(201, render.conversation(conv))

    def list_conversations(self, req: Request) -> Reply:
        org = scoped_org(req, req.q("org"))
        with self.state.lock:
            convs = [c for c in self.state.all_conversations() if org in (None, c.org)]
            active = req.q("active")
            if active is not None:
                convs = [c for c in convs if c.ended != (active.lower() == "true")]
            limit_text = req.q("limit") or "1000"
            if not limit_text.isdigit():
                raise _bad("'limit' must be a whole number")
            limit = int(limit_text)
            return json_reply(200, [conversation_summary(c) for c in convs[:limit]])

    def _find(self, req: Request) -> Conversation:
        """The conversation ``{cid}`` in the caller's org (a seat), else in ``?org=`` or any org;
        in a room, where every seat has the demo's ids, an id in several orgs needs ``?org=``.
        A generated one is found too (a change to it materialises it: ``SandboxState._changed``)."""
        cid = req.params["cid"]
        org = scoped_org(req, req.q("org"))
        found = [c for name in list(self.state.orgs) if org in (None, name)
                 for c in [self.state.conversation(name, cid)] if c is not None]
        if not found:
            raise _missing(f"no conversation {cid!r}" + (f" in {org}" if org else ""))
        if len(found) > 1:
            raise _bad(f"conversation {cid!r} is in {len(found)} orgs ({_names(c.org for c in found)}): "
                       "add ?org=NAME")
        return found[0]

    @staticmethod
    def _summary_reply(conv: Conversation) -> Reply:
        return json_reply(200, {**conversation_summary(conv), "conversation": render.conversation(conv)})

    def get_conversation(self, req: Request) -> Reply:
        with self.state.lock:
            return self._summary_reply(self._find(req))

    def disconnect(self, req: Request) -> Reply:
        return self._change(req, "disconnect")

    def hold(self, req: Request) -> Reply:
        return self._change(req, "hold")

    def _change(self, req: Request, what: str) -> Reply:
        with self.state.lock:
            conv = self._find(req)
            body = self._body(req, required=False) or {}
            if not isinstance(body, dict):
                raise _bad("the body must be an object")
            pid = body.get("participantId")
            p = conv.participant(pid) if pid else None
            if pid and p is None:
                raise _missing(f"no participant {pid!r} in conversation {conv.id}")
            try:
                if what == "disconnect":
                    self.state.disconnect(conv, p)
                else:
                    if p is None:
                        raise _bad("hold takes {\"participantId\": \"...\", \"held\": true|false}")
                    held = body.get("held", True)
                    if not isinstance(held, bool):
                        raise _bad("'held' must be true or false")
                    self.state.set_held(conv, p, held)
            except ApiError as e:
                if e.code.startswith("sandbox."):
                    raise
                raise ApiError(409, "sandbox.conflict", e.message) from None
            return self._summary_reply(conv)

    def seed(self, req: Request) -> Reply:
        return json_reply(201, seed_history(self.state, self._body(req, required=False) or {}))

    def add_faults(self, req: Request) -> Reply:
        body = self._body(req)
        specs = body if isinstance(body, list) else [body]
        added = [f.to_wire() for f in self.faults.add_many(specs)]
        return json_reply(201, added if isinstance(body, list) else added[0])

    def list_faults(self, req: Request) -> Reply:
        return json_reply(200, [f.to_wire() for f in self.faults.list()])

    def clear_faults(self, req: Request) -> Reply:
        return json_reply(200, {"cleared": self.faults.clear()})

    def advance_clock(self, req: Request) -> Reply:
        body = self._body(req)
        secs = body.get("advanceSeconds") if isinstance(body, dict) else None
        if isinstance(secs, bool) or not isinstance(secs, (int, float)) or secs < 0:
            raise _bad("clock takes {\"advanceSeconds\": number >= 0}")
        self.state.advance_clock(float(secs))
        return json_reply(200, self._clock())

    def get_clock(self, req: Request) -> Reply:
        return json_reply(200, self._clock())

    def list_requests(self, req: Request) -> Reply:
        return json_reply(200, self._requests(req))

    def clear_requests(self, req: Request) -> Reply:
        self.request_log.clear()
        return empty_reply(204)

    def media(self, req: Request) -> Reply:
        """The recording's WAV (services/media.py; any format id is served as WAV): the same bytes as the
        media host serves for a batch download's resultUrl."""
        cid = req.params["cid"]
        rid = req.params["file"].rsplit(".", 1)[0]
        with self.state.lock:
            own = scoped_org(req)
            if own is None:
                conv = find_conversation(self.state, cid, rid) or find_conversation(self.state, cid)
            else:
                conv = self.state.conversation(own, cid)
            if conv is None:
                raise _missing(f"no conversation {cid!r}")
            rec = conv.recording(rid)
            if rec is None or rec.end is None:
                raise _missing(f"no finished recording {rid!r} in conversation {cid}")
            ms = recording_media_ms(self.state, conv, rec)
        try:  # streamed, within the org's download bound (mediaDownloadsPerOrg, shared with the media host)
            return wav_reply(self.state, conv.org, rid, ms)
        except DownloadsBusy as busy:
            raise ApiError(429, "too.many.requests.retry.after",
                           f"{conv.org} has {busy.limit} downloads in flight, its most; retry in "
                           f"[{BUSY_RETRY_AFTER}] seconds", headers={"Retry-After": str(BUSY_RETRY_AFTER)}) from None

    def patch_recording(self, req: Request) -> Reply:
        """``{"fileState": "ARCHIVED" | "DELETED" | "AVAILABLE"}``: mark a recording (AVAILABLE
        undoes the mark). Answers the conversation's summary."""
        body = self._body(req)
        if not isinstance(body, dict) or set(body) != {"fileState"} or body["fileState"] not in FILE_STATES:
            raise _bad(f"PATCH a recording with {{\"fileState\": one of {', '.join(FILE_STATES)}}}")
        with self.state.lock:
            conv = self._find(req)
            rec = conv.recording(req.params["rid"])
            if rec is None:
                raise _missing(f"no recording {req.params['rid']!r} in conversation {conv.id}")
            self.state.set_file_state(conv, rec, body["fileState"])
            return self._summary_reply(conv)

    def fail_recording_job(self, req: Request) -> Reply:
        """``{"errorMessage": "..."}`` (optional): a PENDING, READY or PROCESSING recording job becomes
        FAILED (services/recording_jobs.py; no real cause of a failure is documented)."""
        body = self._body(req, required=False)
        message = body.get("errorMessage") if isinstance(body, dict) else None
        if body is not None and (not isinstance(body, dict) or set(body) - {"errorMessage"}
                                 or (message is not None and not isinstance(message, str))):
            raise _bad("fail a recording job with {\"errorMessage\": \"why\"} (or no body)")
        try:
            job = fail_job(self.state, scoped_org(req), req.params["jobId"], message)
        except ValueError as e:
            raise _bad(str(e)) from None
        if job is None:
            raise _missing(f"no recording job {req.params['jobId']!r}")
        return json_reply(200, {"id": job.id, "state": "FAILED", "errorMessage": job.error_message})

    S = "_sandbox"
    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", f"{S}/health", health),
        Row("GET", f"{S}/settings", get_settings),
        Row("PUT", f"{S}/settings", put_settings),
        Row("GET", f"{S}/assumptions", assumptions),
        Row("GET", f"{S}/scenarios", list_scenarios),
        Row("POST", f"{S}/scenarios/{{name}}", load_scenario),
        Row("POST", f"{S}/reset", post_reset),
        Row("POST", f"{S}/clients", create_client),
        Row("GET", f"{S}/clients", list_clients),
        Row("GET", f"{S}/clients/{{clientId}}", get_client),
        Row("PATCH", f"{S}/clients/{{clientId}}", patch_client),
        Row("POST", f"{S}/users", create_user),
        Row("POST", f"{S}/queues", create_queue),
        Row("POST", f"{S}/tokens", user_token),
        Row("POST", f"{S}/conversations", create_conversation),
        Row("GET", f"{S}/conversations", list_conversations),
        Row("GET", f"{S}/conversations/{{cid}}", get_conversation),
        Row("POST", f"{S}/conversations/{{cid}}/disconnect", disconnect),
        Row("POST", f"{S}/conversations/{{cid}}/hold", hold),
        Row("PATCH", f"{S}/conversations/{{cid}}/recordings/{{rid}}", patch_recording),
        Row("POST", f"{S}/seed", seed),
        Row("POST", f"{S}/faults", add_faults),
        Row("GET", f"{S}/faults", list_faults),
        Row("DELETE", f"{S}/faults", clear_faults),
        Row("POST", f"{S}/clock", advance_clock),
        Row("GET", f"{S}/clock", get_clock),
        Row("GET", f"{S}/requests", list_requests),
        Row("DELETE", f"{S}/requests", clear_requests),
        Row("GET", f"{S}/media/{{cid}}/{{file}}", media),
        Row("POST", f"{S}/recording-jobs/{{jobId}}/fail", fail_recording_job),
    )

    # --- pieces ---------------------------------------------------------------------------------

    @staticmethod
    def _body(req: Request, required: bool = True) -> Any:
        try:
            return req.json(required=required)
        except ApiError as e:
            raise _bad(f"the body must be JSON ({e.code})") from None

    # --- resets: built off the lock (served: off the event loop), swapped in under it --------------
    #
    # Rebuilding an org (the demo's: ~25-40 ms of CPU) once ran on the event loop holding the
    # state's lock, so one seat's reset loop stalled every other seat. Now the build runs in a
    # worker thread into a scratch state, and only the swap (drop the old org, attach the new
    # one, the indexes) holds the lock, on the loop. Resets run one at a time, in arrival order
    # (a second reset of the same seat, or of another, waits for the one in progress): builds
    # never compete with each other for the loop's GIL, and two swaps never interleave. The
    # reply is sent after the swap, so the org is whole when it arrives, as before.

    def reset(self, scenario: str | None) -> dict[str, Any]:
        """The whole sandbox back to ``scenario`` (a room: every seat), synchronously (the app's
        start, before any loop serves it)."""
        self._check_reset(scenario)
        built = self._fresh_state()
        summary = self._build_all(built, scenario)
        self._swap_all(built)  # the old orgs are freed here, at once
        return summary

    async def reset_async(self, scenario: str | None) -> dict[str, Any]:
        """``reset`` for a request: the build in a worker thread, the swap on the loop."""
        self._check_reset(scenario)
        async with self._resets:
            built = self._fresh_state()
            summary = await asyncio.to_thread(self._build_all, built, scenario)
            await _let_go(self._swap_all(built))
        return summary

    async def reset_org(self, org: str) -> dict[str, Any]:
        """One org back to its copy of the scenario (a seat's reset), the others untouched: its
        clients keep their ids and secrets, its tokens end, its request-log entries go."""
        async with self._resets:
            built, summary = await asyncio.to_thread(self._build_org, org)
            with self.state.lock:
                gone = [self.state.replace_org(org, built)]  # its only reference: freed by _let_go
                kept = [e for e in self.request_log if e.get("org") != org]
                self.request_log.clear()
                self.request_log.extend(kept)
            await _let_go(gone)
        return summary

    def _check_reset(self, scenario: str | None) -> None:
        if self.room is not None and scenario != self.room.scenario:
            raise _bad(f"{self.room.id} resets to its seats' copies of the {self.room.scenario} scenario only: "
                       "POST /_sandbox/reset with an empty body (every seat), or POST /_room/seats/{n}/reset")

    def _fresh_state(self) -> SandboxState:
        """Where a full reset is built: default settings (a room's: with its limits) and a clock
        at wall time, as the state will have once it adopts it."""
        return SandboxState(settings=SandboxSettings.for_room() if self.room is not None else SandboxSettings(),
                            clock=Clock())

    def _build_all(self, built: SandboxState, scenario: str | None) -> dict[str, Any]:
        """Any thread: ``built`` (a scratch state) loaded; the served state is not touched."""
        if self.room is not None:
            return self.room.load(built)
        if scenario:
            scenarios.check_scenario(scenario)  # a bad scenario is a 400 that leaves the state alone
            return scenarios.load(built, scenario)
        return {"scenario": None, "orgs": [], "clients": 0, "conversations": 0}

    def _swap_all(self, built: SandboxState) -> list[OrgState]:
        """On the loop, under the lock: ``built`` in place; returns the old orgs."""
        with self.state.lock:
            old = self.state.adopt(built)
            self.faults.clear()
            self.limiter.clear()
            self.fair.clear()
            self.request_log.clear()
            self._sync_log_size()
        return old

    def _build_org(self, org: str) -> tuple[OrgState | None, dict[str, Any]]:
        """Any thread: a fresh copy of ``org`` (None: the scenario has no such org, so it goes)
        in a scratch state sharing the served state's settings and clock, and the summary."""
        seat = self.room.seat_of_org(org) if self.room is not None else None
        if seat is not None and self.room is not None:
            return self.room.build_seat(seat, self.state)
        name = self.state.scenario or self.initial_scenario
        spec = next((o for o in scenarios.read(name)["orgs"] if o.get("name", "sandbox-org") == org),
                    None) if name else None
        counts = {"clients": 0, "conversations": 0}
        scratch = SandboxState(settings=self.state.settings, clock=self.state.clock)
        if spec is not None:
            counts = scenarios.load_org(scratch, spec, org)
        return scratch.orgs.get(org), {"scenario": name, "orgs": [org], **counts}

    def _sync_log_size(self) -> None:
        """``requestLogSize`` takes effect at once (a deque's maxlen is fixed, so replace it)."""
        size = self.state.settings.request_log_size
        if self.request_log.maxlen != size:
            self.request_log = deque(self.request_log, maxlen=size)

    def _clock(self) -> dict[str, Any]:
        return {"offsetSeconds": self.state.clock.offset, "now": iso(self.state.clock.now())}

    def _requests(self, req: Request) -> list[dict[str, Any]]:
        entries = list(self.request_log)
        path = req.q("path")
        if path:
            entries = [e for e in entries if path in e["path"]]
        limit = req.q("limit")
        if limit is not None:
            if not limit.isdigit():
                raise _bad("'limit' must be a whole number")
            entries = entries[-int(limit):] if int(limit) else []
        return entries


async def _let_go(old: list[OrgState | None]) -> None:
    """Free the orgs a reset replaced in a worker thread: the last references go there, so
    their thousands of objects are not deallocated on the event loop. ``old`` is emptied."""
    await asyncio.to_thread(old.clear)


def _names(orgs: Any) -> str:
    return ", ".join(sorted(set(orgs)))


__all__ = ["DEFAULT_ORG", "Control"]
