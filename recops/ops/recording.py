"""Recording state and operations on one conversation, over the real API only.

- ``status``: recordingState (ACTIVE/PAUSED/NONE), securePause, each participant's recording
  flags, and the recording files (ids, fileState) from ``…/recordingmetadata``.
- ``pause`` / ``resume``: secure pause, writing ``PAUSED`` / ``ACTIVE``. With client
  credentials: ``PUT /api/v2/conversations/{media}/{id}/recordingstate`` (needs
  ``conversation:recording:pauseOthers``). With a user token of an active participant: that
  participant's ``PATCH /api/v2/conversations/calls/{id}``; other users go through the PUT.
- ``start`` / ``stop``: a participant's ad-hoc recording, ``PATCH …/participants/{pid}``
  ``{"recording": true|false}`` (needs a participant's user token).
- the files themselves: ``recops.ops.files``; settling in-doubt changes: ``recops.ops.reconcile``.

Each change reads the state first, skips a no-op, refuses what cannot work (an ended call),
asks for confirmation on a real org, journals intent and outcome, and reads the state after.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from recops.base.display import (
    AMBER,
    BLUE,
    GREEN,
    GREY,
    RED,
    STATE_COLORS,
    STATE_STYLES,
    badge,
    box,
    code,
    html_rows,
    html_table,
    rich_table,
    rich_text,
    state_badge_html,
)
from recops.genesys.errors import ApiError, ConfirmationRequired, InvalidTransition, PermissionDenied, RecopsError

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.text import Text

    from recops.api.client import Client

    from .journal import Journal

MEDIA_FIELDS = {  # Participant field -> media type, and the PUT route segment (B) if any
    "calls": ("call", "calls"),
    "callbacks": ("callback", "callbacks"),
    "emails": ("email", "emails"),
    "messages": ("message", "messages"),
    "social_expressions": ("social", "socials"),
    "videos": ("video", "videos"),
    "cobrowsesessions": ("cobrowse", None),
    "screenshares": ("screenshare", None),
    "chats": ("chat", None),
}
PUT_METHODS = {"calls": "put_conversations_call_recordingstate",
               "callbacks": "put_conversations_callback_recordingstate",
               "emails": "put_conversations_email_recordingstate",
               "messages": "put_conversations_message_recordingstate",
               "socials": "put_conversations_social_recordingstate",
               "videos": "put_conversations_video_recordingstate"}
ACTIVE_RECORDER = ("ACTIVE", "PAUSED")


@dataclass(frozen=True)
class ParticipantState:
    id: str
    purpose: str | None
    name: str | None
    user_id: str | None
    media: str | None
    state: str | None  # the media session's state: connected, disconnected, ...
    recording: bool | None  # being recorded (policy or ad hoc); None: the media carries no such flag
    adhoc: bool  # the participant's ad-hoc recorder is on
    held: bool
    secure_pause: bool
    queue_id: str | None = None  # the queue the participant (an ACD participant) stands for

    @property
    def active(self) -> bool:
        return self.state not in ("disconnected", "terminated", None)

    def words(self) -> dict[str, str]:
        """What matters of the participant, as short words (a row of the status table)."""
        return {"participant": self.id, "purpose": self.purpose or "", "name": self.name or "",
                "state": self.state or "",
                "recording": "unknown" if self.recording is None else ("yes" if self.recording else "no"),
                "ad hoc": "ON" if self.adhoc else "OFF", "held": "yes" if self.held else "no"}

    def html_line(self) -> str:
        """One line of HTML: name, purpose, state, recording and ad-hoc flags (the control panel's)."""
        v = self.words()
        return (f"{escape(self.name or self.id)} <i>{escape(v['purpose'])}</i> — {escape(v['state'])}, recording "
                f"{escape(v['recording'])}, ad hoc {v['ad hoc']}")


@dataclass(frozen=True)
class RecordingFile:
    id: str
    file_state: str | None
    role: str | None
    media: str | None
    start_time: str | None
    end_time: str | None


@dataclass(frozen=True)
class RecordingStatus:
    conversation_id: str
    recording_state: str  # ACTIVE | PAUSED | NONE
    secure_pause: bool
    ended: bool
    media_type: str | None
    participants: tuple[ParticipantState, ...]
    recordings: tuple[RecordingFile, ...] | None  # None: could not be read (see recordings_note)
    recordings_note: str | None = None
    context_id: str | None = None

    def participant(self, participant_id: str) -> ParticipantState:
        for p in self.participants:
            if p.id == participant_id:
                return p
        known = ", ".join(f"{p.id} ({p.purpose})" for p in self.participants)
        raise InvalidTransition(f"no participant {participant_id} in conversation {self.conversation_id}",
                                f"participants: {known}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def head(self) -> str:
        """``ID call (ended): recordingState PAUSED, securePause True``."""
        ended = " (ended)" if self.ended else ""
        media = f" {self.media_type}" if self.media_type else ""
        return (f"{self.conversation_id}{media}{ended}: recordingState {self.recording_state}, "
                f"securePause {self.secure_pause}")

    def detail(self) -> str:
        return f"securePause {self.secure_pause}" + (", call ended" if self.ended else "")

    def recording_lines(self) -> list[str]:
        """One line per recording file, or why the files could not be read."""
        if self.recordings is not None:
            return [f"recording {r.id}: {r.file_state} {r.media or ''}".rstrip() for r in self.recordings]
        return [self.recordings_note] if self.recordings_note else []

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """A table of participants when it fits the width, else two short lines per participant, so
        that every value is visible at 80 columns (and the participant id, which --participant
        takes, is never cut)."""
        style = f"bold {STATE_STYLES.get(self.recording_state, '')}".strip()
        head = self.head()
        where, _, state = head.partition(": ")
        rest = state.removeprefix(f"recordingState {self.recording_state}")
        if options.max_width >= len(head):
            yield rich_text((f"{where}: ", "bold"), "recordingState ", (self.recording_state, style), rest)
        else:  # narrow: the id on its own line, the state below it, no value cut by the wrap
            yield rich_text((f"{where}:", "bold"))
            yield rich_text("  recordingState ", (self.recording_state, style), rest)
        rows = [p.words() for p in self.participants]
        if rows and options.max_width >= _table_width(rows):
            yield rich_table(list(rows[0]), (list(r.values()) for r in rows), no_wrap={"participant"})
        else:
            yield from _compact(rows)
        for line in self.recording_lines():
            yield rich_text("  ", (line, "" if self.recordings is not None else "dim"))

    def _repr_html_(self) -> str:
        media = f" {escape(self.media_type)}" if self.media_type else ""
        head = (f"<b><code>{escape(self.conversation_id)}</code></b>{media}{' (ended)' if self.ended else ''}: "
                f"recordingState {state_badge_html(self.recording_state)}, securePause {self.secure_pause}")
        rows = [p.words() for p in self.participants]
        table = html_table(list(rows[0]), rows, cell=lambda c, v: code(v) if c == "participant" else escape(v)) \
            if rows else ""
        files = "".join(f"<li>{escape(line)}</li>" for line in self.recording_lines())
        color = STATE_COLORS.get(self.recording_state, GREY)
        return box("recops-status", color, f"<div>{head}</div>{table}" + (f"<ul>{files}</ul>" if files else ""))


def _table_width(rows: list[dict[str, str]]) -> int:
    widths = [max(len(k), *(len(r[k]) for r in rows)) for k in rows[0]]
    return sum(widths) + 3 * len(widths) + 1


def _compact(rows: list[dict[str, str]]) -> Iterator[Text]:
    purpose = max((len(r["purpose"]) for r in rows), default=0)
    for r in rows:
        yield rich_text("  ", (r["participant"], "bold"), "  ", r["purpose"].ljust(purpose), "  ", r["name"])
        yield rich_text("      ", r["state"] or "-", f" · recording {r['recording']} · ad hoc {r['ad hoc']}"
                        f" · held {r['held']}")


@dataclass(frozen=True)
class Failure:
    """Why a change could not be made, as data (a bulk run's row carries it instead of raising):
    the error's class name in ``recops.genesys.errors``, its message and remedy, and the Genesys answer
    if there was one."""

    error_type: str
    message: str
    remedy: str | None = None
    code: str | None = None
    status: int | None = None
    context_id: str | None = None

    @classmethod
    def of(cls, error: RecopsError) -> Failure:
        if isinstance(error, ApiError):
            return cls(type(error).__name__, error.genesys_message, error.remedy or None, error.code, error.status,
                       error.context_id)
        return cls(type(error).__name__, error.message, error.remedy or None)

    def error_class(self) -> type[RecopsError]:
        """The recops error class it came from (``RecopsError`` if the name is unknown)."""
        from recops.genesys import errors

        cls = getattr(errors, self.error_type, None)
        return cls if isinstance(cls, type) and issubclass(cls, RecopsError) else RecopsError

    def describe(self) -> str:
        return f"{self.code or self.error_type}: {self.message}"


@dataclass(frozen=True)
class Outcome:
    action: str  # pause | resume | start | stop
    conversation_id: str
    target: str
    before: str
    after: str | None
    skipped: bool = False
    dry_run: bool = False
    reason: str | None = None
    endpoint: str | None = None
    request: dict[str, Any] | None = None
    context_id: str | None = None
    journal_id: int | None = None
    participant_id: str | None = None
    error: Failure | None = None  # set only by the many-id operations (``recops.ops.bulk``)

    @property
    def changed(self) -> bool:
        return not self.skipped and not self.dry_run and self.error is None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        who = f" participant {self.participant_id}" if self.participant_id else ""
        dry = "DRY RUN " if self.dry_run else ""
        if self.error is not None:
            return f"{dry}{self.action}{who} on {self.conversation_id}: failed, {self.error.describe()}"
        if self.skipped:
            return f"{dry}{self.action}{who} on {self.conversation_id}: nothing to do ({self.reason})"
        if self.dry_run:
            return f"{dry}{self.action}{who} on {self.conversation_id}: would send {self.endpoint} {self.request}"
        text = (f"{self.action}{who} on {self.conversation_id}: {self.before} -> {self.after or '?'} "
                f"via {self.endpoint} (contextId {self.context_id})")
        return f"{text}: {self.reason}" if self.reason else text

    def verdict(self) -> tuple[str, str, str]:
        """(word, rich style, HTML colour): FAILED, DRY RUN, NOTHING TO DO or APPLIED."""
        if self.error is not None:
            return "FAILED", "red", RED
        if self.dry_run:
            return "DRY RUN", "cyan", BLUE
        if self.skipped:
            return "NOTHING TO DO", "yellow", AMBER
        return "APPLIED", "green", GREEN

    def __rich__(self) -> Any:  # the summary, coloured by its verdict
        _, style, _ = self.verdict()
        return rich_text((self.summary(), style))

    def _repr_html_(self) -> str:
        word, _, color = self.verdict()
        change = f"{self.before} → {self.after or '?'}" if not self.dry_run else self.before
        error = self.error
        request = json.dumps(self.request) if self.request is not None else None
        rows = [("conversation", self.conversation_id), ("participant", self.participant_id), ("state", change),
                ("endpoint", self.endpoint), ("request", request),
                ("why", self.reason), ("error", error.describe() if error is not None else None),
                ("contextId", error.context_id if error is not None else self.context_id),
                ("journal", f"#{self.journal_id}" if self.journal_id is not None else None), ("target", self.target)]
        head = f"{badge(word, color)} <b>{escape(self.action)}</b>"
        return box("recops-outcome", color, f"<div>{head}</div>{html_rows(rows)}")


# --- reading ----------------------------------------------------------------------------------


def _media_of(p: Any) -> tuple[str | None, Any]:
    for attr in MEDIA_FIELDS:
        sessions = getattr(p, attr, None)
        if sessions:
            return attr, sessions[-1]
    return None, None


def _participant(p: Any, conv_secure: bool) -> ParticipantState:
    attr, session = _media_of(p)
    adhoc = False
    recording: bool | None = False
    held = False
    state = None
    secure = conv_secure
    if session is not None:
        state = getattr(session, "state", None)
        # only a Call carries a participant's recording flag; for other media it is unknown
        flag = getattr(session, "recording", None) if attr == "calls" else None
        recording = bool(flag) if attr == "calls" else None
        held = bool(getattr(session, "held", False))
        rs = getattr(session, "recorders_state", None)
        adhoc = bool(rs is not None and (rs.adhoc_state or "").upper() in ACTIVE_RECORDER)
        if getattr(session, "secure_pause", None) is not None:
            secure = bool(session.secure_pause)
    return ParticipantState(
        id=p.id, purpose=p.purpose, name=p.name, user_id=p.user_id,
        media=MEDIA_FIELDS[attr][0] if attr else None, state=state, recording=recording,
        adhoc=adhoc, held=held, secure_pause=secure, queue_id=getattr(p, "queue_id", None),
    )


def _conversation_media(conv: Any) -> tuple[str | None, str | None]:
    """(media type, PUT route segment) of the conversation, from its participants' sessions."""
    for p in conv.participants or []:
        attr, _ = _media_of(p)
        if attr:
            return MEDIA_FIELDS[attr]
    return None, None


def status(client: Client, conversation_id: str, with_recordings: bool = True) -> RecordingStatus:
    path = f"/api/v2/conversations/{conversation_id}"
    conv = client.call("GET", path, client.conversations_api.get_conversation, conversation_id)
    context_id = client.last_context_id()
    secure = bool(conv.secure_pause)
    recordings: tuple[RecordingFile, ...] | None = None
    note = None
    if with_recordings:
        mpath = f"{path}/recordingmetadata"
        try:
            meta = client.call("GET", mpath, client.recording_api.get_conversation_recordingmetadata,
                               conversation_id)
            recordings = tuple(
                RecordingFile(m.id, m.file_state, None, m.media, m.start_time, m.end_time) for m in meta or []
            )
        except PermissionDenied as e:
            note = f"recording files not readable: {e.code} ({', '.join(e.permissions) or 'permission'})"
    media, _ = _conversation_media(conv)
    return RecordingStatus(
        conversation_id=conversation_id,
        recording_state=(conv.recording_state or "NONE").upper(),
        secure_pause=secure,
        ended=conv.end_time is not None,
        media_type=media,
        participants=tuple(_participant(p, secure) for p in conv.participants or []),
        recordings=recordings,
        recordings_note=note,
        context_id=context_id,
    )


# --- changing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    endpoint: str
    request: dict[str, Any]
    send: Callable[[], Any]


class RecordingOps:
    """Changes on one target, journaled. ``confirm`` is needed for writes on a real org."""

    def __init__(self, client: Client, journal: Journal | None) -> None:
        self.client = client
        self.journal = journal

    # -- secure pause / resume --------------------------------------------------------------

    def pause(self, conversation_id: str, confirm: bool = False, dry_run: bool = False) -> Outcome:
        return self._set_state("pause", conversation_id, "PAUSED", confirm, dry_run)

    def resume(self, conversation_id: str, confirm: bool = False, dry_run: bool = False) -> Outcome:
        return self._set_state("resume", conversation_id, "ACTIVE", confirm, dry_run)

    def _require_confirmation(self, action: str, cid: str, confirm: bool, dry_run: bool) -> None:
        """On a real org a change needs ``confirm``: asked before anything is read or sent (a dry
        run needs none: it only reads)."""
        if not self.client.target.is_sandbox and not confirm and not dry_run:
            raise ConfirmationRequired(
                f"{action} on {cid} would change a recording on the {self.client.target.describe()}; "
                "nothing was read or sent")

    def _set_state(self, action: str, cid: str, desired: str, confirm: bool, dry_run: bool) -> Outcome:
        self._require_confirmation(action, cid, confirm, dry_run)
        before = status(self.client, cid, with_recordings=False)
        target = self.client.describe()
        if before.ended:
            raise InvalidTransition(f"cannot {action} conversation {cid}: the call has ended",
                                    "recording state can only change on a live conversation")
        if before.recording_state == "NONE":
            return self._skip(action, cid, None, "NONE", "the conversation is not being recorded (NONE)", target,
                              dry_run)
        if before.recording_state == desired and (desired == "ACTIVE" or before.secure_pause):
            return self._skip(action, cid, None, before.recording_state, f"already {desired}", target, dry_run)
        if desired == "ACTIVE" and not before.secure_pause:
            return self._skip(action, cid, None, before.recording_state,
                              "PAUSED by hold suppression, not by a secure pause: resuming would change nothing",
                              target, dry_run)
        plan = self._state_plan(cid, before, desired)
        return self._run(action, cid, None, before.recording_state, desired, plan, confirm, dry_run, target,
                         read_after=lambda: status(self.client, cid, with_recordings=False).recording_state)

    def _state_plan(self, cid: str, before: RecordingStatus, desired: str) -> Plan:
        sdk = self.client.sdk()
        api = self.client.conversations_api
        if self.client.auth_kind == "user_token" and before.media_type == "call" and self._user_on(cid):
            body = sdk.Conversation()
            body.recording_state = desired
            path = f"/api/v2/conversations/calls/{cid}"
            return Plan(f"PATCH {path}", {"recordingState": desired},
                        lambda: self.client.call("PATCH", path, api.patch_conversations_call, cid, body))
        body = sdk.SetRecordingState()
        body.recording_state = desired
        _, route = _media_route(before.media_type)
        if route in PUT_METHODS:
            path = f"/api/v2/conversations/{route}/{cid}/recordingstate"
            fn = getattr(api, PUT_METHODS[route])
            return Plan(f"PUT {path}", {"recordingState": desired},
                        lambda: self.client.call("PUT", path, fn, cid, body))
        path = f"/api/v2/conversations/{cid}/recordingstate"
        return Plan(f"PATCH {path}", {"recordingState": desired},
                    lambda: self.client.call("PATCH", path, api.patch_conversation_recordingstate, cid, body))

    def _user_on(self, cid: str) -> bool:
        """Is the token's user an active participant? (GET /api/v2/conversations lists theirs.)"""
        listing = self.client.call("GET", "/api/v2/conversations", self.client.conversations_api.get_conversations)
        return any(c.id == cid for c in (listing.entities or []))

    # -- ad-hoc start / stop ----------------------------------------------------------------

    def start(self, conversation_id: str, participant_id: str, confirm: bool = False,
              dry_run: bool = False) -> Outcome:
        return self._adhoc("start", conversation_id, participant_id, True, confirm, dry_run)

    def stop(self, conversation_id: str, participant_id: str, confirm: bool = False,
             dry_run: bool = False) -> Outcome:
        return self._adhoc("stop", conversation_id, participant_id, False, confirm, dry_run)

    def _adhoc(self, action: str, cid: str, pid: str, on: bool, confirm: bool, dry_run: bool) -> Outcome:
        self._require_confirmation(action, cid, confirm, dry_run)
        before = status(self.client, cid, with_recordings=False)
        target = self.client.describe()
        p = before.participant(pid)
        if before.ended or not p.active:
            raise InvalidTransition(f"cannot {action} recording of participant {pid}: the call has ended for them",
                                    "ad-hoc recording can only change for a connected participant")
        state = "ON" if p.adhoc else "OFF"
        if p.adhoc == on:
            return self._skip(action, cid, pid, state, f"ad-hoc recording already {state}", target, dry_run)
        sdk = self.client.sdk()
        api = self.client.conversations_api
        body = sdk.MediaParticipantRequest()
        body.recording = on
        if before.media_type == "call":
            path = f"/api/v2/conversations/calls/{cid}/participants/{pid}"
            fn = api.patch_conversations_call_participant
        else:
            path = f"/api/v2/conversations/{cid}/participants/{pid}"
            fn = api.patch_conversation_participant
        plan = Plan(f"PATCH {path}", {"recording": on}, lambda: self.client.call("PATCH", path, fn, cid, pid, body))

        def read_after() -> str:
            return "ON" if status(self.client, cid, with_recordings=False).participant(pid).adhoc else "OFF"

        return self._run(action, cid, pid, state, "ON" if on else "OFF", plan, confirm, dry_run, target, read_after)

    # -- shared ------------------------------------------------------------------------------

    def _skip(self, action: str, cid: str, pid: str | None, state: str, reason: str, target: str,
              dry_run: bool = False) -> Outcome:
        """A no-op: nothing is sent; journaled as skipped, except in a dry run (which journals nothing)."""
        jid = None
        if self.journal is not None and not dry_run:
            jid = self.journal.skipped(target=target, principal=self.client.principal, action=action,
                                       conversation_id=cid, participant_id=pid, state=state, reason=reason)
        return Outcome(action, cid, target, state, state, skipped=True, dry_run=dry_run, reason=reason,
                       journal_id=jid, participant_id=pid)

    def _run(self, action: str, cid: str, pid: str | None, before: str, desired: str, plan: Plan,
             confirm: bool, dry_run: bool, target: str, read_after: Callable[[], str]) -> Outcome:
        if dry_run:
            return Outcome(action, cid, target, before, None, dry_run=True, reason="dry run: nothing sent",
                           endpoint=plan.endpoint, request=plan.request, participant_id=pid)
        self._require_confirmation(action, cid, confirm, dry_run)  # checked first already; kept next to the send
        jid = None
        if self.journal is not None:
            jid = self.journal.intent(target=target, principal=self.client.principal, action=action,
                                      conversation_id=cid, participant_id=pid, endpoint=plan.endpoint,
                                      request=plan.request, before=before, desired=desired)
        from recops.api.transport import treat_as_idempotent

        try:
            with treat_as_idempotent():  # each change sets an absolute state: repeating it is harmless
                plan.send()
        except ApiError as e:
            if self.journal is not None and jid is not None:
                if e.status >= 500:
                    # a server-side failure says nothing of whether the change was made: in doubt
                    self.journal.note(jid, f"answered {e.status} {e.code}, in doubt: {e.genesys_message}",
                                      http_status=e.status, error_code=e.code, context_id=e.context_id)
                else:
                    self.journal.outcome(jid, status="failed", http_status=e.status, error_code=e.code,
                                         context_id=e.context_id, message=e.genesys_message)
            raise
        except RecopsError as e:
            # no HTTP answer: the change may or may not have happened; leave the entry in doubt
            if self.journal is not None and jid is not None:
                self.journal.note(jid, f"no answer, in doubt: {e.message}")
            raise
        context_id = self.client.last_context_id()
        http_status = self.client.last_status()
        note = None
        try:
            after: str | None = read_after()
        except RecopsError as e:
            # the change was answered with a success: it is applied, only its result is unread
            after, note = None, f"applied; the state could not be read after: {e.message}"
        if self.journal is not None and jid is not None:
            self.journal.outcome(jid, status="applied", after=after, http_status=http_status, context_id=context_id,
                                 message=note)
        return Outcome(action, cid, target, before, after, reason=note, endpoint=plan.endpoint,
                       request=plan.request, context_id=context_id, journal_id=jid, participant_id=pid)


def _media_route(media: str | None) -> tuple[str | None, str | None]:
    for m, route in MEDIA_FIELDS.values():
        if m == media:
            return m, route
    return media, None
