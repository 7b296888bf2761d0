"""The control plane under ``/_sandbox/`` (never under ``/api/v2``): health, settings,
assumptions, scenarios, reset, clients, users, user tokens, conversations, seed, faults,
clock, the request log and recording media. Documented with exact JSON in docs/sandbox.md.

Errors use the Genesys envelope with ``sandbox.*`` codes, so one parser reads both.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import TYPE_CHECKING, Any

from . import render, scenarios
from .builders import create_client, create_conversation, create_user, permissions_from, seed_history
from .clock import iso
from .errors import ApiError
from .faults import FaultBook
from .models import DEFAULT_ORG, Conversation, OAuthClient, SandboxState
from .settings import SandboxSettings, assumptions_wire
from .wire import Reply, Request, empty_reply, json_reply

if TYPE_CHECKING:
    from .ratelimit import RateLimiter

VERSION = "1"


def _bad(message: str) -> ApiError:
    return ApiError(400, "sandbox.bad.request", message)


def _missing(message: str) -> ApiError:
    return ApiError(404, "sandbox.not.found", message)


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
                 request_log: deque[dict[str, Any]], initial_scenario: str | None) -> None:
        self.state = state
        self.faults = faults
        self.limiter = limiter
        self.request_log = request_log
        self.initial_scenario = initial_scenario

    def handle(self, req: Request) -> Reply:
        seg = req.segments[1:]  # after "_sandbox"
        m = req.method
        try:
            return self._dispatch(m, seg, req)
        except ValueError as e:
            raise _bad(str(e)) from None

    def _dispatch(self, m: str, seg: tuple[str, ...], req: Request) -> Reply:
        head = seg[0] if seg else ""
        rest = seg[1:]
        if (m, head, rest) == ("GET", "health", ()):
            return json_reply(200, {"status": "ok", "version": VERSION, "scenario": self.state.scenario,
                                    "orgs": sorted(self.state.orgs)})
        if head == "settings" and not rest:
            if m == "PUT":
                body = self._body(req)
                with self.state.lock:
                    self.state.settings.update_from_wire(body)
                    self._sync_log_size()
            if m in ("GET", "PUT"):
                return json_reply(200, self.state.settings.to_wire())
        if (m, head, rest) == ("GET", "assumptions", ()):
            return json_reply(200, assumptions_wire(self.state.settings.assumptions))
        if head == "scenarios":
            if m == "GET" and not rest:
                return json_reply(200, [{"name": k, "description": v} for k, v in scenarios.available().items()])
            if m == "POST" and len(rest) == 1:
                return json_reply(200, self.reset(rest[0]))
        if (m, head, rest) == ("POST", "reset", ()):
            body = self._body(req, required=False) or {}
            if not isinstance(body, dict):
                raise _bad("reset takes an optional object {\"scenario\": name | null}")
            name = body.get("scenario", self.initial_scenario) if "scenario" in body else self.initial_scenario
            return json_reply(200, self.reset(name))
        if head == "clients":
            return self._clients(m, rest, req)
        if (m, head, rest) == ("POST", "users", ()):
            user = create_user(self.state, self._body(req))
            return json_reply(201, {"userId": user.id, "org": user.org, "name": user.name,
                                    "permissions": list(user.permissions)})
        if (m, head, rest) == ("POST", "tokens", ()):
            return self._token(self._body(req))
        if head == "conversations":
            return self._conversations(m, rest, req)
        if (m, head, rest) == ("POST", "seed", ()):
            return json_reply(201, seed_history(self.state, self._body(req, required=False) or {}))
        if head == "faults":
            return self._faults(m, rest, req)
        if (m, head, rest) == ("POST", "clock", ()):
            body = self._body(req)
            secs = body.get("advanceSeconds") if isinstance(body, dict) else None
            if isinstance(secs, bool) or not isinstance(secs, (int, float)) or secs < 0:
                raise _bad("clock takes {\"advanceSeconds\": number >= 0}")
            self.state.clock.advance(float(secs))
            return json_reply(200, self._clock())
        if (m, head, rest) == ("GET", "clock", ()):
            return json_reply(200, self._clock())
        if head == "requests" and not rest:
            if m == "DELETE":
                self.request_log.clear()
                return empty_reply(204)
            if m == "GET":
                return json_reply(200, self._requests(req))
        if (m, head) == ("GET", "media") and len(rest) == 2:
            return self._media(rest[0], rest[1])
        raise _missing(f"no control endpoint {m} /_sandbox/{'/'.join(seg)}; see docs/sandbox.md")

    # --- pieces ---------------------------------------------------------------------------------

    @staticmethod
    def _body(req: Request, required: bool = True) -> Any:
        try:
            return req.json(required=required)
        except ApiError as e:
            raise _bad(f"the body must be JSON ({e.code})") from None

    def reset(self, scenario: str | None) -> dict[str, Any]:
        if scenario:
            check_scenario(scenario)  # a bad scenario is a 400 that leaves the state alone
        with self.state.lock:
            self.state.reset()
            self.state.settings = SandboxSettings()
            self.state.clock.reset()
            self.faults.clear()
            self.limiter.clear()
            self.request_log.clear()
            summary = {"scenario": None, "orgs": [], "clients": 0, "conversations": 0}
            if scenario:
                summary = scenarios.load(self.state, scenario)
            self._sync_log_size()
            return summary

    def _sync_log_size(self) -> None:
        """``requestLogSize`` takes effect at once (a deque's maxlen is fixed, so replace it)."""
        size = self.state.settings.request_log_size
        if self.request_log.maxlen != size:
            self.request_log = deque(self.request_log, maxlen=size)

    def _clients(self, m: str, rest: tuple[str, ...], req: Request) -> Reply:
        if m == "POST" and not rest:
            return json_reply(201, client_wire(create_client(self.state, self._body(req))))
        if m == "GET" and not rest:
            org = req.q("org")
            return json_reply(200, [client_wire(c) for c in self.state.clients.values() if org in (None, c.org)])
        if len(rest) == 1:
            client = self.state.clients.get(rest[0])
            if client is None:
                raise _missing(f"no client {rest[0]!r}")
            if m == "GET":
                return json_reply(200, client_wire(client))
            if m == "PATCH":
                body = self._body(req)
                if not isinstance(body, dict) or set(body) - {"permissions", "grants"}:
                    raise _bad("PATCH a client with {\"permissions\": [...]} and/or {\"grants\": [...]}")
                with self.state.lock:
                    if "permissions" in body:
                        client.permissions = permissions_from(body["permissions"])
                    if "grants" in body:
                        if not isinstance(body["grants"], list):
                            raise _bad("'grants' must be a list")
                        client.grants = tuple(body["grants"])
                return json_reply(200, client_wire(client))
        raise _missing("clients: POST /_sandbox/clients, GET /_sandbox/clients[/{id}], PATCH /_sandbox/clients/{id}")

    def _token(self, body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("userId"), str):
            raise _bad("tokens takes {\"userId\": \"...\", \"org\"?: \"...\", \"lifetimeSeconds\"?: n}")
        org = body.get("org")
        lifetime = body.get("lifetimeSeconds")
        if lifetime is not None and (isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1):
            raise _bad("'lifetimeSeconds' must be a whole number >= 1")
        with self.state.lock:
            candidates = [o for o in self.state.orgs.values() if org in (None, o.name)]
            user = next((o.users[body["userId"]] for o in candidates if body["userId"] in o.users), None)
            if user is None:
                raise _missing(f"no user {body['userId']!r}; create one with POST /_sandbox/users or "
                               "name it as a participant's userId")
            token = self.state.issue_user_token(user, lifetime)
        return json_reply(201, {"accessToken": token.value, "tokenType": "bearer",
                                "expiresIn": round(token.expires_at - self.state.clock.now()),
                                "userId": user.id, "org": user.org})

    def _find(self, cid: str) -> Conversation:
        for conv in self.state.all_conversations():
            if conv.id == cid:
                return conv
        raise _missing(f"no conversation {cid!r}")

    def _conversations(self, m: str, rest: tuple[str, ...], req: Request) -> Reply:
        if m == "POST" and not rest:
            conv = create_conversation(self.state, self._body(req))
            with self.state.lock:
                return json_reply(201, render.conversation(conv))
        if m == "GET" and not rest:
            org = req.q("org")
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
        if not rest:
            raise _missing("conversations: POST or GET /_sandbox/conversations")
        with self.state.lock:
            conv = self._find(rest[0])
            if m == "GET" and len(rest) == 1:
                return json_reply(200, {**conversation_summary(conv), "conversation": render.conversation(conv)})
            if m == "POST" and len(rest) == 2 and rest[1] in ("disconnect", "hold"):
                body = self._body(req, required=False) or {}
                if not isinstance(body, dict):
                    raise _bad("the body must be an object")
                pid = body.get("participantId")
                p = conv.participant(pid) if pid else None
                if pid and p is None:
                    raise _missing(f"no participant {pid!r} in conversation {conv.id}")
                now = self.state.clock.now()
                try:
                    if rest[1] == "disconnect":
                        conv.disconnect(now, p)
                    else:
                        if p is None:
                            raise _bad("hold takes {\"participantId\": \"...\", \"held\": true|false}")
                        held = body.get("held", True)
                        if not isinstance(held, bool):
                            raise _bad("'held' must be true or false")
                        conv.set_held(p, held, now)
                except ApiError as e:
                    if e.code.startswith("sandbox."):
                        raise
                    raise ApiError(409, "sandbox.conflict", e.message) from None
                self.state.changed()
                return json_reply(200, {**conversation_summary(conv), "conversation": render.conversation(conv)})
        raise _missing("conversations/{id}: GET, POST .../disconnect, POST .../hold")

    def _faults(self, m: str, rest: tuple[str, ...], req: Request) -> Reply:
        if m == "POST" and not rest:
            body = self._body(req)
            specs = body if isinstance(body, list) else [body]
            added = [f.to_wire() for f in self.faults.add_many(specs)]
            return json_reply(201, added if isinstance(body, list) else added[0])
        if m == "GET" and not rest:
            return json_reply(200, [f.to_wire() for f in self.faults.list()])
        if m == "DELETE" and not rest:
            return json_reply(200, {"cleared": self.faults.clear()})
        raise _missing("faults: POST, GET or DELETE /_sandbox/faults")

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

    def _media(self, cid: str, filename: str) -> Reply:
        """A silent 8 kHz 8-bit mono WAV as long as the recording (any format id is served as WAV)."""
        rid = filename.rsplit(".", 1)[0]
        with self.state.lock:
            conv = self._find(cid)
            rec = conv.recording(rid)
            if rec is None or rec.end is None:
                raise _missing(f"no finished recording {rid!r} in conversation {cid}")
            ms = round((rec.end - rec.start) * 1000)
        return Reply(200, wav_silence(ms), content_type="audio/wav")


def check_scenario(name: str) -> None:
    """``ValueError`` with a readable message unless the scenario loads cleanly. A built-in
    name is only looked up; a scenario file is loaded into a throwaway state first, so a
    malformed one is reported instead of leaving a half-loaded sandbox."""
    scenarios.read(name)
    if name in scenarios.available():
        return
    try:
        scenarios.load(SandboxState(), name)
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        raise ValueError(f"scenario {name!r} cannot be loaded: {e}") from None


def wav_silence(duration_ms: int, rate: int = 8000) -> bytes:
    frames = rate * duration_ms // 1000
    header = b"RIFF" + struct.pack("<I", 36 + frames) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
    header += b"data" + struct.pack("<I", frames)
    return header + b"\x80" * frames


__all__ = ["DEFAULT_ORG", "Control", "check_scenario"]
