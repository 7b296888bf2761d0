"""The sandbox's entities: OAuth clients, users, tokens, conversations, participants, recordings.

No HTTP here (moto's shape): handlers in ``services/`` and ``control/`` parse the wire, call
``SandboxState`` (state.py) and render with ``services/render.py``. The recording state machine lives on
``Conversation``; every change to a conversation bumps ``Conversation.version`` so cached views
can be invalidated, and every mutation goes through a ``SandboxState`` method under one lock.

Rules come from docs/genesys-api.md §8; the ones it marks [inferred] are labelled here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from . import errors

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

# the recording file states a control-plane patch, a seed or a conversation spec may set
# (ARCHIVED / DELETED mark ``Recording.file_state``; UPLOADING: stuck transcoding, a seeded gap of
# issue 19; AVAILABLE clears the mark)
FILE_STATES = ("AVAILABLE", "ARCHIVED", "DELETED", "UPLOADING")


def new_id() -> str:
    return str(uuid.uuid4())


_DERIVED = uuid.UUID("5a1d0b0c-7e57-4c0d-9e1d-000000000017")  # the namespace of derived_id (any fixed UUID)


def derived_id(*parts: str) -> str:
    """A UUID that is a function of ``parts`` (UUIDv5): a recording's id derived from its
    conversation's, so an org built from the same scenario and seed has the same recording ids
    in every process — the embedded sandbox is the same demo org each time (issue 17)."""
    return str(uuid.uuid5(_DERIVED, "/".join(parts)))


@dataclass
class OAuthClient:
    client_id: str
    secret: str = field(repr=False)
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
class Queue:
    """A routing queue (``GET /api/v2/routing/queues``): only what names and lists need."""

    id: str
    org: str
    name: str
    date_created: float
    division_id: str = "00000000-0000-4000-8000-000000000001"
    description: str | None = None


@dataclass
class Token:
    value: str = field(repr=False)
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
    attributes: dict[str, str] = field(default_factory=dict)  # participant data (the details jobs show it)

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
    file_state: str | None = None  # "ARCHIVED" | "DELETED" when marked so (media.file_state)
    restored_at: float | None = None  # when a restore began (a new archiveDate on an ARCHIVED recording)


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
            rec = Recording(  # the n-th recording of this conversation: the same id in every process
                id=derived_id("recording", self.id, "adhoc", p.id, str(len(self.recordings))),
                conversation_id=self.id, role="ADHOC", start=now,
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
        if self.is_recording() and self.hold_suppression:  # a hold pauses only with suppression
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
