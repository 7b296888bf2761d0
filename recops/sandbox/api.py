"""The emulated Genesys Cloud endpoints: ``/oauth/token`` and ``/api/v2/...``.

Handlers parse the wire, check permissions and user context, call the models and render.
Check order (the real order is [unknown]; the sandbox's choice): route -> bearer token
(401) -> rate limit (429) -> permissions (403) / user context (400 ``not.a.user``), in the
order the ``permissionCheckOrder`` assumption sets -> body (400/415) -> entity (404) ->
state (400 ``conversation.error.call.disconnected``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from . import errors, render
from . import permissions as perms
from .analytics import DetailsIndex, parse_query
from .clock import parse_iso
from .errors import ApiError, OAuthError
from .models import ROUTE_MEDIA, Conversation, Token
from .state import SandboxState
from .wire import Reply, Request, empty_reply, json_reply

RECORDING_STATES = ["ACTIVE", "PAUSED", "NONE"]
FORMAT_IDS = ["WAV", "WEBM", "WAV_ULAW", "OGG_VORBIS", "OGG_OPUS", "MP3", "NONE"]  # formatId [documented]
MEDIA_FORMATS = ["WAV", "WEBM", "WAV_ULAW", "OGG_VORBIS", "OGG_OPUS", "MP3"]  # mediaFormats: no NONE [documented]
PARTICIPANT_STATES = [
    "alerting", "dialing", "contacting", "offering", "connected", "disconnected", "terminated",
    "converting", "uploading", "transmitting", "parked", "none",
]


class GenesysApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.details = DetailsIndex(state)
        self.conversation_bodies = render.BodyCache(render.conversation)
        self.call_bodies = render.BodyCache(render.call_conversation)

    # --- token endpoint -----------------------------------------------------------------------

    def oauth_token(self, req: Request) -> Reply:
        try:
            token = self._grant(req)
        except OAuthError as e:
            return json_reply(e.status, e.body())
        return json_reply(200, {
            "access_token": token.value,
            "token_type": "bearer",
            "expires_in": max(0, round(token.expires_at - self.state.clock.now())),
        })

    def _grant(self, req: Request) -> Token:
        if req.content_type != "application/x-www-form-urlencoded":
            # [inferred] shape: the OAuth error body, as the documented invalid_client ones
            raise OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        try:
            form = parse_qs(req.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise OAuthError("invalid_request", "the form body is not valid UTF-8") from None
        grant = (form.get("grant_type") or [""])[-1]
        if grant != "client_credentials":
            raise OAuthError("unsupported_grant_type", f"grant type {grant!r} is not supported by the sandbox; "
                             "use client_credentials, or POST /_sandbox/tokens for a user token")
        client_id, secret = _basic_auth(req.headers.get("authorization", ""))
        if client_id is None:  # form fields work too (reported, undocumented)
            client_id = (form.get("client_id") or [None])[-1]
            secret = (form.get("client_secret") or [None])[-1]
        with self.state.lock:
            client = self.state.clients.get(client_id or "")
            if client is None:
                raise OAuthError("invalid_client", "client not found")
            if secret != client.secret:
                raise OAuthError("invalid_client", "authentication failed")
            if "client_credentials" not in client.grants:
                raise OAuthError("unauthorized_client",
                                 "client is not authorized to use the client_credential grant type")
            return self.state.issue_client_token(client)

    # --- checks -------------------------------------------------------------------------------

    def _require_any(self, token: Token, wanted: tuple[str, ...]) -> None:
        if not perms.holds_any(self.state.token_permissions(token), wanted):
            raise errors.missing_any_permissions(list(wanted))

    def _user_endpoint(self, token: Token, wanted: tuple[str, ...]) -> None:
        """Permissions and user context, in the order the ``permissionCheckOrder`` assumption sets."""
        user_first = self.state.settings.assumption("permissionCheckOrder") == "userContextFirst"
        if user_first and not token.is_user:
            raise errors.not_a_user()
        if wanted:
            self._require_any(token, wanted)
        if not token.is_user:
            raise errors.not_a_user()

    def _conversation(self, token: Token, cid: str, calls_route: bool = False,
                      not_found: Callable[[], ApiError] = errors.not_found) -> Conversation:
        conv = self.state.conversation(token.org, cid)  # another org's id is simply unknown
        if conv is None or (calls_route and conv.media_type != "call"):
            raise errors.conversation_not_found() if calls_route else not_found()
        return conv

    # --- conversations --------------------------------------------------------------------------

    def get_conversation(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.CONVERSATION_VIEW)
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"])
            return Reply(200, self.conversation_bodies.body(conv))

    def get_call(self, req: Request) -> Reply:
        token = req.bearer
        with self.state.lock:  # no permission listed for this operation [documented]
            conv = self._conversation(token, req.params["cid"], calls_route=True)
            return Reply(200, self.call_bodies.body(conv))

    def _user_conversations(self, token: Token, media: str | None) -> list[Conversation]:
        org = self.state.orgs.get(token.org)
        if org is None:
            return []
        return [
            c for c in org.conversations.values()
            if not c.ended and (media is None or c.media_type == media)
            and c.active_user_participant(token.user_id or "") is not None
        ]

    @staticmethod
    def _listing(entities: list[dict[str, Any]], path: str) -> dict[str, Any]:
        return {
            "entities": entities, "pageSize": max(25, len(entities)), "pageNumber": 1,
            "total": len(entities), "firstUri": f"{path}?pageSize=25&pageNumber=1",
            "selfUri": f"{path}?pageSize=25&pageNumber=1",
            "lastUri": f"{path}?pageSize=25&pageNumber=1", "pageCount": 1,
        }

    def list_conversations(self, req: Request) -> Reply:
        token = req.bearer
        if not token.is_user:
            raise errors.not_a_user()  # [inferred] for this endpoint, documented for /calls
        kind = req.q("communicationType")
        media = None
        if kind is not None:
            if kind.lower() not in ("call", "chat"):
                raise errors.invalid_value(kind, "communicationType", ["Call", "Chat"])
            media = "call" if kind.lower() == "call" else "message"
        with self.state.lock:
            convs = self._user_conversations(token, media)
            return json_reply(200, self._listing([render.conversation(c) for c in convs], "/api/v2/conversations"))

    def list_calls(self, req: Request) -> Reply:
        token = req.bearer
        if not token.is_user:
            raise errors.not_a_user()
        with self.state.lock:
            convs = self._user_conversations(token, "call")
            return json_reply(200, self._listing([render.call_conversation(c) for c in convs],
                                                 "/api/v2/conversations/calls"))

    # --- recording state (secure pause / resume) ------------------------------------------------

    @staticmethod
    def _desired_state(req: Request) -> str:
        body = req.json()
        if not isinstance(body, dict):
            raise errors.bad_request("The body must be a SetRecordingState object.")
        return _recording_state_value(body.get("recordingState"))

    def put_recordingstate(self, req: Request) -> Reply:
        """A/B: PUT /conversations/{media}/{id}/recordingstate -> 200 bare JSON string."""
        token = req.bearer
        media = ROUTE_MEDIA.get(req.params["media"])
        if media is None:
            raise errors.not_found()
        self._require_any(token, perms.PAUSE_OTHERS)
        desired = self._desired_state(req)
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"], calls_route=media == "call")
            if conv.media_type != media:  # the conversation has no such media [inferred]
                raise errors.not_found()
            return json_reply(200, self.state.set_recording_state(conv, desired))

    def patch_recordingstate(self, req: Request) -> Reply:
        """C: PATCH /conversations/{id}/recordingstate -> 202, empty body."""
        token = req.bearer
        self._require_any(token, perms.PAUSE_OTHERS)
        desired = self._desired_state(req)
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"])
            self.state.set_recording_state(conv, desired)
            return empty_reply(202)

    def patch_call(self, req: Request) -> Reply:
        """D: the participant's own secure pause, or disconnect. 200 with the Conversation."""
        token = req.bearer
        self._user_endpoint(token, perms.CALLS_PATCH)
        body = req.json()
        if not isinstance(body, dict):
            raise errors.bad_request("The body must be a Conversation object.")
        if body.get("conversationIds"):
            raise errors.not_emulated("Merging conversations (conversationIds)")
        desired = None
        if "recordingState" in body:
            desired = _recording_state_value(body["recordingState"])
        disconnect = False
        if "state" in body:
            value = body["state"]
            if not isinstance(value, str) or value.lower() != "disconnected":
                raise errors.invalid_value(value, "state", ["disconnected"])
            disconnect = True
        if desired is None and not disconnect:
            raise errors.bad_request("Nothing to update: send recordingState, or state 'disconnected'.")
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"], calls_route=True)
            if conv.ended:
                raise errors.call_disconnected()
            if conv.active_user_participant(token.user_id or "") is None:
                raise errors.not_active_participant()
            if desired is not None:
                needs_pause = self.state.settings.assumption("callsPatchNeedsPausePermission") == "true"
                if needs_pause and not perms.holds(self.state.token_permissions(token), perms.PAUSE_SELF):
                    raise errors.missing_permissions([perms.PAUSE_SELF])
                self.state.set_recording_state(conv, desired)
            if disconnect:
                self.state.disconnect(conv)
            # 202 "Accepted - when pausing or resuming recordings (Secure Pause)", with the
            # Conversation; 200 otherwise [documented-2018]
            return Reply(202 if desired is not None else 200, self.conversation_bodies.body(conv))

    # --- participants (ad-hoc recording start/stop) -------------------------------------------

    def patch_participant(self, req: Request) -> Reply:
        """E: MediaParticipantRequest on one participant -> 202, empty body."""
        return self._patch_participant(req, calls_route=False)

    def patch_call_participant(self, req: Request) -> Reply:
        """E through ``/conversations/calls/{id}/participants/{pid}``: a call only."""
        return self._patch_participant(req, calls_route=True)

    def _patch_participant(self, req: Request, calls_route: bool) -> Reply:
        """The calls route needs a user who is an active participant (400 ``not.a.user``, 400
        ``conversation.error.call.disconnected`` [documented-2018]). The generic route lists
        neither: client credentials are accepted there [inferred], and an ended call or
        participant is 400 ``conversation.error.participant.no.active.conversations``
        [documented-2018]."""
        token = req.bearer
        if calls_route:
            self._user_endpoint(token, perms.PARTICIPANT_PATCH)
        else:
            self._require_any(token, perms.PARTICIPANT_PATCH)
        body = req.json()
        if not isinstance(body, dict):
            raise errors.bad_request("The body must be a MediaParticipantRequest object.")
        changes: dict[str, Any] = {}
        for key in ("recording", "held", "muted", "confined", "wrapupSkipped"):
            if key in body:
                if not isinstance(body[key], bool):
                    raise errors.invalid_value(body[key], key, ["true", "false"])
                changes[key] = body[key]
        if "state" in body:
            value = body["state"]
            if not isinstance(value, str) or value.lower() not in PARTICIPANT_STATES:
                raise errors.invalid_value(value, "state", PARTICIPANT_STATES)
            if value.lower() not in ("connected", "disconnected"):
                raise errors.not_emulated(f"Participant state {value!r}", "It sets 'connected' and 'disconnected'.")
            changes["state"] = value.lower()
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"], calls_route=calls_route)
            p = conv.participant(req.params["pid"])
            if p is None:
                raise errors.not_found()  # unknown participantId [inferred]
            if conv.ended or not p.active:
                raise errors.call_disconnected() if calls_route else errors.participant_no_active_conversations()
            if token.is_user and conv.active_user_participant(token.user_id or "") is None:
                if self.state.settings.assumption("participantPatchNonParticipant") == "forbidden403":
                    raise errors.not_active_participant()
                raise errors.not_conversation_participant()
            if "recording" in changes and p.session.media != "call":
                raise errors.bad_request("Ad-hoc recording can be set on call participants only.")
            self.state.update_participant(conv, p, changes)
            return empty_reply(202)

    # --- recordings -----------------------------------------------------------------------------

    def _file_state(self, conv: Conversation) -> str:
        ready = conv.ready_at(self.state.settings.transcoding_delay_seconds)
        return "AVAILABLE" if ready is not None and self.state.clock.now() >= ready else "UPLOADING"

    def _format(self, req: Request) -> str:
        media_formats = req.q("mediaFormats")
        if media_formats:
            first = media_formats.split(",")[0].strip()
            for fmt in media_formats.split(","):
                if fmt.strip() not in MEDIA_FORMATS:
                    raise errors.invalid_value(fmt, "mediaFormats", MEDIA_FORMATS)
            return first
        fmt = req.q("formatId") or "WEBM"
        if fmt not in FORMAT_IDS:
            raise errors.invalid_value(fmt, "formatId", FORMAT_IDS)
        return fmt

    def _render_recordings(self, req: Request, conv: Conversation, fmt: str) -> list[dict[str, Any]]:
        fs = self._file_state(conv)
        now = self.state.clock.now()
        return [render.recording(conv, r, fs, now, req.base_url, fmt) for r in conv.recordings]

    async def list_recordings(self, req: Request) -> Reply:
        """List a conversation's recordings. While media is not ready: wait up to
        min(maxWaitMs, cap), then 202 with no body [documented-2018 202; timing inferred]."""
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        max_wait = _positive_int(req.q("maxWaitMs"), "maxWaitMs", 5000)
        fmt = self._format(req)
        _bool_param(req.q("includePauseAnnotationsForScreenRecordings"), "includePauseAnnotationsForScreenRecordings")
        settings = self.state.settings
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"], not_found=errors.recordings_conversation_not_found)
            ready_at = conv.ready_at(settings.transcoding_delay_seconds)
            if not conv.recordings or self._file_state(conv) == "AVAILABLE" \
                    or settings.assumption("recordingsWhileActive") == "listUnready":
                return json_reply(200, self._render_recordings(req, conv, fmt))
        budget = min(max_wait, settings.max_wait_cap_ms) / 1000.0
        now = self.state.clock.now()
        if ready_at is not None and ready_at - now <= budget:
            await asyncio.sleep(max(0.0, ready_at - now))
        else:
            await asyncio.sleep(budget)
        with self.state.lock:
            if self._file_state(conv) == "AVAILABLE":
                return json_reply(200, self._render_recordings(req, conv, fmt))
        return empty_reply(202)

    def _recording(self, req: Request, token: Token):  # -> tuple[Conversation, Recording]
        conv = self._conversation(token, req.params["cid"])
        rec = conv.recording(req.params["rid"])
        if rec is None:
            raise errors.not_found()
        return conv, rec

    def get_recording(self, req: Request) -> Reply:
        """One recording: 200 when AVAILABLE, else 202 *with* the Recording [documented-2018]."""
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        fmt = self._format(req)
        for name in ("emailFormatId", "chatFormatId", "messageFormatId"):
            value = req.q(name)
            if value is not None and value not in ("EML", "ZIP", "NONE"):
                raise errors.invalid_value(value, name, ["EML" if name == "emailFormatId" else "ZIP", "NONE"])
        _bool_param(req.q("download"), "download")
        with self.state.lock:
            conv, rec = self._recording(req, token)
            fs = self._file_state(conv)
            body = render.recording(conv, rec, fs, self.state.clock.now(), req.base_url, fmt)
            return json_reply(200 if fs == "AVAILABLE" else 202, body)

    def put_recording(self, req: Request) -> Reply:
        """Retention dates only: archiveDate, deleteDate, exportDate (+ clearExport). Every other
        field, an invented ``status`` included, is ignored; recording state is never touched."""
        token = req.bearer
        self._require_any(token, perms.RECORDING_RETENTION)
        self._require_any(token, perms.RETENTION_VIEW)  # view is always required [documented]
        clear_export = _bool_param(req.q("clearExport"), "clearExport")
        body = req.json()
        if not isinstance(body, dict):
            raise errors.bad_request("The body must be a Recording object.")
        dates: dict[str, float | None] = {}
        for key in ("archiveDate", "deleteDate", "exportDate"):
            if key in body and body[key] is not None:
                try:
                    dates[key] = parse_iso(body[key])
                except ValueError:
                    raise errors.invalid_date(key) from None
        if (dates or clear_export) and not perms.holds_any(self.state.token_permissions(token), perms.EDIT_RETENTION):
            raise errors.missing_permissions(list(perms.EDIT_RETENTION))
        with self.state.lock:
            conv, rec = self._recording(req, token)
            self.state.set_retention(conv, rec, dates, clear_export)
            fs = self._file_state(conv)
            return json_reply(200, render.recording(conv, rec, fs, self.state.clock.now(), req.base_url, "WEBM"))

    def list_metadata(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"])
            fs = self._file_state(conv)
            region = self.state.settings.region
            return json_reply(200, [render.recording_metadata(conv, r, fs, region) for r in conv.recordings])

    def get_metadata(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        with self.state.lock:
            conv, rec = self._recording(req, token)
            return json_reply(200, render.recording_metadata(conv, rec, self._file_state(conv),
                                                             self.state.settings.region))

    # --- analytics ------------------------------------------------------------------------------

    def details_query(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.ANALYTICS_DETAILS)
        settings = self.state.settings
        query = parse_query(req.json(), settings)
        with self.state.lock:
            org = self.state.orgs.get(token.org)
            convs = list(org.conversations.values()) if org else []
            matched = self.details.matches(token.org, query, convs, settings.assumption("analyticsIntervalMatching"))
            cap = settings.analytics_result_cap
            offset = (query.page_number - 1) * query.page_size
            if offset >= cap and settings.assumption("analyticsPastResultCap") == "reject":
                raise errors.bad_request(f"Paging is limited to the first {cap} results; narrow the interval "
                                         "or use an asynchronous details job.")
            page = matched[offset:min(offset + query.page_size, cap)] if offset < cap else []
            out: dict[str, Any] = {}
            if page:  # an empty result has no 'conversations' key [inferred]
                out["conversations"] = [render.analytics_conversation(c) for c in page]
            out["totalHits"] = len(matched)
            return json_reply(200, out)

    def users_me(self, req: Request) -> Reply:
        """The token's user (``UserMe``, a few fields). Client credentials have no user: 400
        ``not.a.user`` [documented that it fails; the code is inferred]."""
        token = req.bearer
        if not token.is_user:
            raise errors.not_a_user()
        with self.state.lock:
            user = self.state.org(token.org).users.get(token.user_id or "")
            if user is None:
                raise errors.not_found()
            return json_reply(200, {"id": user.id, "name": user.name, "state": "active",
                                    "selfUri": f"/api/v2/users/{user.id}"})

    def analytics_details(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.ANALYTICS_DETAILS)
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"])
            return json_reply(200, render.analytics_conversation(conv))


# --- helpers ----------------------------------------------------------------------------------


def _recording_state_value(value: Any) -> str:
    """Case-insensitive ``ACTIVE``/``PAUSED`` [inferred from SP]; ``NONE`` and the SDK's
    ``outdated_sdk_version`` placeholder are 400 ``invalid.value``."""
    if value is None:
        raise errors.bad_request("'recordingState' is required.")
    if not isinstance(value, str) or value.upper() not in RECORDING_STATES:
        raise errors.invalid_value(value, "recordingState", RECORDING_STATES)
    if value.upper() == "NONE":
        raise errors.invalid_value(value, "recordingState", ["ACTIVE", "PAUSED"])
    return value.upper()


def _positive_int(text: str | None, name: str, default: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise errors.invalid_value(text, name, ["a positive whole number"]) from None
    if value <= 0:
        raise errors.invalid_value(text, name, ["a positive whole number"])
    return value


def _bool_param(text: str | None, name: str) -> bool:
    if text is None:
        return False
    if text.lower() not in ("true", "false"):
        raise errors.invalid_value(text, name, ["true", "false"])
    return text.lower() == "true"


def _basic_auth(header: str) -> tuple[str | None, str | None]:
    if not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    if ":" not in decoded:
        return None, None
    cid, _, secret = decoded.partition(":")
    return cid, secret

