"""The sandbox's state: orgs, OAuth clients, users, tokens, conversations, recordings.

No HTTP here (moto's shape): handlers in ``api.py``/``control.py`` parse the wire, call
these methods and render with ``render.py``. The recording state machine lives on
``Conversation``; every mutation goes through ``SandboxState`` under one lock and bumps
``Conversation.version`` so cached views can be invalidated.

Rules come from docs/genesys-api.md §8; the ones it marks [inferred] are labelled here.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .clock import Clock
from .permissions import DEFAULT_AGENT_PERMISSIONS
from .settings import SandboxSettings

DEFAULT_ORG = "sandbox-org"

# media type -> (Participant field holding its sessions, analytics mediaType)
MEDIA_TYPES: dict[str, tuple[str, str]] = {
    "call": ("calls", "voice"),
    "callback": ("callbacks", "callback"),
    "email": ("emails", "email"),
    "message": ("messages", "message"),
    "social": ("socialExpressions", "message"),
    "video": ("videos", "video"),
    "cobrowse": ("cobrowsesessions", "cobrowse"),
    "screenshare": ("screenshares", "screenshare"),
}
# path segment of /api/v2/conversations/{media}/... -> media type
ROUTE_MEDIA: dict[str, str] = {
    "calls": "call",
    "callbacks": "callback",
    "emails": "email",
    "messages": "message",
    "socials": "social",
    "videos": "video",
    "cobrowsesessions": "cobrowse",
    "screenshares": "screenshare",
}
PURPOSES = (
    "acd", "agent", "api", "botflow", "campaign", "customer", "dialer", "external", "fax",
    "group", "inbound", "ivr", "manual", "outbound", "station", "user", "voicemail",
    "voicesurveyflow", "workflow",
)
SESSION_STATES_ON_CREATE = ("alerting", "dialing", "contacting", "offering", "connected")
# conversation media type -> (Recording.media, Recording.mediaSubtype) of its policy recording.
# ``media`` takes audio|chat|messaging|email|screen and ``mediaSubtype`` Trunk|Station|Consult|
# Screen|Snippet [documented]; the subtype of a non-audio recording is omitted [inferred].
# Media types not listed keep the audio/Trunk recording.
RECORDING_MEDIA: dict[str, tuple[str, str | None]] = {
    "email": ("email", None),
    "message": ("messaging", None),
    "social": ("messaging", None),
    "screenshare": ("screen", "Screen"),
}


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class OAuthClient:
    client_id: str
    secret: str
    org: str
    name: str
    permissions: tuple[str, ...]
    grants: tuple[str, ...] = ("client_credentials",)
    token_lifetime_seconds: int | None = None


@dataclass
class User:
    id: str
    org: str
    name: str
    permissions: tuple[str, ...]


@dataclass
class Token:
    value: str
    org: str
    kind: str  # "client_credentials" | "user"
    expires_at: float
    client_id: str | None = None
    user_id: str | None = None

    @property
    def is_user(self) -> bool:
        return self.kind == "user"


@dataclass
class Session:
    """One media session of a participant (a ``Call`` for voice)."""

    id: str
    media: str
    state: str
    direction: str
    connected_time: float | None
    held: bool = False
    muted: bool = False
    confined: bool = False
    disconnected_time: float | None = None
    disconnect_type: str | None = None
    adhoc: bool = False
    adhoc_recording_id: str | None = None
    ever_recorded: bool = False

    @property
    def active(self) -> bool:
        return self.state not in ("disconnected", "terminated")


@dataclass
class Participant:
    id: str
    purpose: str
    name: str
    start_time: float
    session: Session
    user_id: str | None = None
    queue_id: str | None = None
    address: str | None = None
    ani: str | None = None
    dnis: str | None = None
    end_time: float | None = None

    @property
    def active(self) -> bool:
        return self.session.active


@dataclass
class Pause:
    start: float
    reason: str  # "SecurePause" | "Hold"
    end: float | None = None


@dataclass
class Recording:
    id: str
    conversation_id: str
    role: str  # "CUSTOMER_EXPERIENCE" | "ADHOC"
    start: float
    media: str = "audio"
    subtype: str | None = "Trunk"
    participant_id: str | None = None
    session_id: str | None = None
    end: float | None = None
    archive_date: float | None = None
    delete_date: float | None = None
    export_date: float | None = None


@dataclass
class Conversation:
    id: str
    org: str
    media_type: str
    start_time: float
    participants: list[Participant]
    policy_recording: bool
    direction: str = "inbound"
    queue_id: str | None = None
    division_id: str = "00000000-0000-4000-8000-000000000001"
    external_tag: str | None = None
    end_time: float | None = None
    secure_pause: bool = False
    hold_suppression: bool = False
    pauses: list[Pause] = field(default_factory=list)
    open_pauses: list[Pause] = field(default_factory=list)  # the pauses without an end yet
    recordings: list[Recording] = field(default_factory=list)
    version: int = 0

    # --- reads ------------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.end_time is not None

    def participant(self, participant_id: str) -> Participant | None:
        for p in self.participants:
            if p.id == participant_id:
                return p
        return None

    def is_recording(self) -> bool:
        """Is any recorder running? (Policy recording or someone's ad-hoc recording.)"""
        return self.policy_recording or any(p.session.adhoc for p in self.participants)

    def held(self) -> bool:
        return any(p.session.held and p.active for p in self.participants)

    def recording_state(self) -> str:
        """``ACTIVE|PAUSED|NONE`` (upper case, as on ``Conversation``).

        Hold suppression ([documented] F2): with the trunk option on, a held call reads
        PAUSED while ``securePause`` stays false.
        """
        if not self.is_recording():
            return "NONE"
        if self.secure_pause or (self.hold_suppression and self.held() and not self.ended):
            return "PAUSED"
        return "ACTIVE"

    def recorder_state(self, on: bool) -> str:
        if not on:
            return "NONE"
        return "PAUSED" if self.recording_state() == "PAUSED" else "ACTIVE"

    def participant_recorded(self, p: Participant) -> bool:
        return self.policy_recording or p.session.adhoc

    def recording_for(self, p: Participant) -> str | None:
        if p.session.adhoc_recording_id:
            return p.session.adhoc_recording_id
        for r in self.recordings:
            if r.role == "CUSTOMER_EXPERIENCE":
                return r.id
        return None

    def active_user_participant(self, user_id: str) -> Participant | None:
        for p in self.participants:
            if p.user_id == user_id and p.active:
                return p
        return None

    # --- state machine ----------------------------------------------------------------------

    def _touch(self) -> None:
        self.version += 1

    def _open_pause(self, now: float, reason: str) -> None:
        pause = Pause(start=now, reason=reason)
        self.pauses.append(pause)
        self.open_pauses.append(pause)

    def _close_pauses(self, now: float, reason: str | None = None) -> None:
        """End the open pauses (of one reason); only open ones are looked at, so a conversation
        paused and resumed many times stays cheap to change."""
        still_open = []
        for pause in self.open_pauses:
            if reason is None or pause.reason == reason:
                pause.end = now
            else:
                still_open.append(pause)
        self.open_pauses = still_open

    def set_recording_state(self, desired: str, now: float, when_none: str) -> str:
        """Secure pause (``PAUSED``) or resume (``ACTIVE``); returns the resulting state.

        Repeats are idempotent: the same state again succeeds and changes nothing, never 409
        [inferred from the documented absence of 409]. ``NONE`` cannot be written
        (400 invalid.value, checked by the caller) [inferred].
        """
        if self.ended:
            raise errors.call_disconnected()
        if not self.is_recording():
            if when_none == "reject":
                raise errors.bad_request("The conversation is not being recorded (recordingState NONE).")
            return "NONE"
        if desired == "PAUSED" and not self.secure_pause:
            self.secure_pause = True
            self._open_pause(now, "SecurePause")
            self._touch()
        elif desired == "ACTIVE" and self.secure_pause:
            self.secure_pause = False
            self._close_pauses(now, "SecurePause")
            self._touch()
        return self.recording_state()

    def set_adhoc(self, p: Participant, on: bool, now: float) -> None:
        """A participant's ad-hoc recording on/off (MediaParticipantRequest ``recording``).

        On starts an ``ADHOC`` recording file; off ends it. Policy recording is not touched
        [inferred]. When nothing records any more, a secure pause ends with it [inferred].
        """
        if self.ended or not p.active:
            raise errors.call_disconnected()
        s = p.session
        if on and not s.adhoc:
            rec = Recording(
                id=new_id(), conversation_id=self.id, role="ADHOC", start=now,
                subtype="Station", participant_id=p.id, session_id=s.id,
            )
            self.recordings.append(rec)
            s.adhoc = True
            s.adhoc_recording_id = rec.id
            s.ever_recorded = True
            self._touch()
        elif not on and s.adhoc:
            for rec in self.recordings:
                if rec.id == s.adhoc_recording_id:
                    rec.end = now
            s.adhoc = False
            s.adhoc_recording_id = None
            if not self.is_recording() and self.secure_pause:
                self.secure_pause = False
                self._close_pauses(now)
            self._touch()

    def set_held(self, p: Participant, held: bool, now: float) -> None:
        if self.ended or not p.active:
            raise errors.call_disconnected()
        if p.session.held == held:
            return
        was_held = self.held()
        p.session.held = held
        if self.is_recording():
            if held and not was_held:
                self._open_pause(now, "Hold")
            elif not held and was_held and not self.held():
                self._close_pauses(now, "Hold")
        self._touch()

    def set_media_flags(self, p: Participant, muted: bool | None = None, confined: bool | None = None) -> None:
        if muted is not None:
            p.session.muted = muted
        if confined is not None:
            p.session.confined = confined
        self._touch()

    def set_retention(self, rec: Recording, dates: dict[str, float | None], clear_export: bool) -> None:
        """``archiveDate``/``deleteDate``/``exportDate`` (epoch seconds); absent keys keep theirs."""
        rec.archive_date = dates.get("archiveDate", rec.archive_date)
        rec.delete_date = dates.get("deleteDate", rec.delete_date)
        rec.export_date = dates.get("exportDate", rec.export_date)
        if clear_export:
            rec.export_date = None
        self._touch()

    def disconnect(self, now: float, participant: Participant | None = None) -> None:
        """Disconnect one participant, or everyone. The conversation ends when fewer than two
        participants remain connected [inferred]."""
        if self.ended:
            raise errors.call_disconnected()
        targets = [participant] if participant else [p for p in self.participants if p.active]
        for p in targets:
            if not p.active:
                raise errors.call_disconnected()
            if p.session.adhoc:
                self.set_adhoc(p, False, now)
            p.session.state = "disconnected"
            p.session.held = False
            p.session.disconnected_time = now
            p.session.disconnect_type = "client" if participant else "endpoint"
            p.end_time = now
        if participant is None or sum(1 for p in self.participants if p.active) < 2:
            self._end(now)
        self._touch()

    def _end(self, now: float) -> None:
        for p in self.participants:
            if p.active:
                p.session.state = "disconnected"
                p.session.disconnected_time = now
                p.session.disconnect_type = p.session.disconnect_type or "peer"
                p.end_time = now
        self._close_pauses(now)
        for rec in self.recordings:
            if rec.end is None:
                rec.end = now
        self.end_time = now

    # --- recordings -------------------------------------------------------------------------

    def recording(self, recording_id: str) -> Recording | None:
        for r in self.recordings:
            if r.id == recording_id:
                return r
        return None

    def ready_at(self, transcoding_delay: float) -> float | None:
        """When the recordings become AVAILABLE: after the conversation ends plus the
        transcoding delay [inferred timing]."""
        if self.end_time is None:
            return None
        return self.end_time + transcoding_delay


@dataclass
class OrgState:
    name: str
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)


class SandboxState:
    """All orgs, plus the global token and client indexes. One lock guards everything.

    Every change goes through a method here: it takes the lock and bumps ``version``, so a
    cache keyed on it (the analytics ``DetailsIndex``) can never serve a stale answer, and the
    conversation methods it calls bump ``Conversation.version`` (the rendered-body cache).
    """

    def __init__(self, settings: SandboxSettings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or SandboxSettings()
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.orgs: dict[str, OrgState] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.tokens: dict[str, Token] = {}
        self.version = 0  # bumped by every mutating method (cache key)
        self.scenario: str | None = None

    # --- orgs, clients, users, tokens -------------------------------------------------------

    def org(self, name: str = DEFAULT_ORG) -> OrgState:
        org = self.orgs.get(name)
        if org is None:
            org = self.orgs[name] = OrgState(name)
        return org

    def add_client(
        self,
        permissions: list[str] | tuple[str, ...],
        org: str = DEFAULT_ORG,
        name: str = "sandbox client",
        client_id: str | None = None,
        secret: str | None = None,
        grants: tuple[str, ...] = ("client_credentials",),
        token_lifetime_seconds: int | None = None,
    ) -> OAuthClient:
        with self.lock:
            cid = client_id or new_id()
            if cid in self.clients:
                raise ValueError(f"client id {cid!r} already exists")
            client = OAuthClient(
                client_id=cid,
                secret=secret or secrets.token_urlsafe(32),
                org=org,
                name=name,
                permissions=tuple(permissions),
                grants=grants,
                token_lifetime_seconds=token_lifetime_seconds,
            )
            self.clients[cid] = client
            self.org(org).clients[cid] = client
            self.version += 1
            return client

    def add_user(
        self,
        org: str = DEFAULT_ORG,
        user_id: str | None = None,
        name: str | None = None,
        permissions: tuple[str, ...] | list[str] = DEFAULT_AGENT_PERMISSIONS,
    ) -> User:
        with self.lock:
            uid = user_id or new_id()
            user = User(id=uid, org=org, name=name or f"Agent {uid[:8]}", permissions=tuple(permissions))
            self.org(org).users[uid] = user
            self.version += 1
            return user

    def issue_client_token(self, client: OAuthClient) -> Token:
        lifetime = client.token_lifetime_seconds or self.settings.token_lifetime_seconds
        return self._issue(Token(
            value=secrets.token_urlsafe(48), org=client.org, kind="client_credentials",
            expires_at=self.clock.now() + lifetime, client_id=client.client_id,
        ))

    def issue_user_token(self, user: User, lifetime: int | None = None) -> Token:
        return self._issue(Token(
            value=secrets.token_urlsafe(48), org=user.org, kind="user",
            expires_at=self.clock.now() + (lifetime or self.settings.token_lifetime_seconds),
            user_id=user.id,
        ))

    def _issue(self, token: Token) -> Token:
        with self.lock:
            self.tokens[token.value] = token
            return token

    def token_permissions(self, token: Token) -> tuple[str, ...]:
        """Permissions are read live, so changing a client's roles affects existing tokens."""
        if token.is_user:
            user = self.org(token.org).users.get(token.user_id or "")
            return user.permissions if user else ()
        client = self.clients.get(token.client_id or "")
        return client.permissions if client else ()

    def authenticate(self, token_value: str) -> Token | None:
        token = self.tokens.get(token_value)
        if token is None or token.expires_at <= self.clock.now():
            return None
        return token

    # --- conversations ----------------------------------------------------------------------

    def conversation(self, org: str, conversation_id: str) -> Conversation | None:
        o = self.orgs.get(org)
        return o.conversations.get(conversation_id) if o else None

    def add_conversation(self, conv: Conversation) -> Conversation:
        with self.lock:
            org = self.org(conv.org)
            if conv.id in org.conversations:
                raise ValueError(f"conversation {conv.id} already exists")
            if conv.policy_recording:
                media, subtype = RECORDING_MEDIA.get(conv.media_type, ("audio", "Trunk"))
                conv.recordings.insert(0, Recording(
                    id=new_id(), conversation_id=conv.id, role="CUSTOMER_EXPERIENCE",
                    start=conv.start_time, media=media, subtype=subtype,
                ))
                for p in conv.participants:
                    p.session.ever_recorded = True
            for p in conv.participants:
                if p.user_id and p.user_id not in org.users:
                    self.add_user(org=conv.org, user_id=p.user_id, name=p.name)
            org.conversations[conv.id] = conv
            self.version += 1
            return conv

    def update_client(self, client: OAuthClient, permissions: tuple[str, ...] | None = None,
                      grants: tuple[str, ...] | None = None) -> OAuthClient:
        """New permissions and/or grants; existing tokens see them at once (read live)."""
        with self.lock:
            if permissions is not None:
                client.permissions = permissions
            if grants is not None:
                client.grants = grants
            self.version += 1
            return client

    def update_settings(self, patch: dict[str, Any]) -> SandboxSettings:
        """Apply a camelCase settings patch (``ValueError`` names a bad key or value)."""
        with self.lock:
            self.settings.update_from_wire(patch)
            self.version += 1
            return self.settings

    def advance_clock(self, seconds: float) -> float:
        with self.lock:
            offset = self.clock.advance(seconds)
            self.version += 1
            return offset

    # --- conversation changes (the state machine lives on Conversation) ----------------------

    def set_recording_state(self, conv: Conversation, desired: str, now: float | None = None,
                            when_none: str | None = None) -> str:
        """Secure pause/resume; ``when_none`` defaults to the ``recordingStateWriteWhenNone``
        assumption. Returns the resulting state."""
        with self.lock:
            try:
                return conv.set_recording_state(
                    desired, self.clock.now() if now is None else now,
                    when_none or self.settings.assumption("recordingStateWriteWhenNone"))
            finally:
                self.version += 1

    def set_adhoc(self, conv: Conversation, p: Participant, on: bool, now: float | None = None) -> None:
        with self.lock:
            try:
                conv.set_adhoc(p, on, self.clock.now() if now is None else now)
            finally:
                self.version += 1

    def set_held(self, conv: Conversation, p: Participant, held: bool, now: float | None = None) -> None:
        with self.lock:
            try:
                conv.set_held(p, held, self.clock.now() if now is None else now)
            finally:
                self.version += 1

    def disconnect(self, conv: Conversation, participant: Participant | None = None,
                   now: float | None = None) -> None:
        with self.lock:
            try:
                conv.disconnect(self.clock.now() if now is None else now, participant)
            finally:
                self.version += 1

    def update_participant(self, conv: Conversation, p: Participant, changes: dict[str, Any]) -> None:
        """A ``MediaParticipantRequest``'s changes (recording, held, muted, confined, state
        ``disconnected``), validated by the caller, applied in that order."""
        with self.lock:
            now = self.clock.now()
            try:
                if "recording" in changes:
                    conv.set_adhoc(p, changes["recording"], now)
                if "held" in changes:
                    conv.set_held(p, changes["held"], now)
                if "muted" in changes or "confined" in changes:
                    conv.set_media_flags(p, changes.get("muted"), changes.get("confined"))
                if changes.get("state") == "disconnected":
                    conv.disconnect(now, p)
            finally:
                self.version += 1

    def set_retention(self, conv: Conversation, rec: Recording, dates: dict[str, float | None],
                      clear_export: bool = False) -> None:
        with self.lock:
            conv.set_retention(rec, dates, clear_export)
            self.version += 1

    def all_conversations(self) -> list[Conversation]:
        return [c for o in self.orgs.values() for c in o.conversations.values()]

    def reset(self, settings: SandboxSettings | None = None, restart_clock: bool = False) -> None:
        """Forget every org, client, token and conversation; optionally new settings and the
        clock back to wall time."""
        with self.lock:
            self.orgs.clear()
            self.clients.clear()
            self.tokens.clear()
            if settings is not None:
                self.settings = settings
            if restart_clock:
                self.clock.reset()
            self.version += 1
            self.scenario = None

    def set_scenario(self, name: str | None) -> None:
        with self.lock:
            self.scenario = name
            self.version += 1
