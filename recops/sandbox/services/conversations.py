"""The emulated conversation endpoints: reads (``GET /conversations[/{id}]``,
``GET /conversations/calls[/{id}]``), secure pause and resume (``recordingstate``), the
participant's ``PATCH /conversations/calls/{id}`` and ad-hoc recording through the participant
``PATCH`` routes.

Handlers parse the wire, check permissions and user context (base.py), change the state
through ``SandboxState`` and render (render.py). A write to a generated conversation
materialises it first (``SandboxState.conversation_for_write``), so the write is kept.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, empty_reply, json_reply
from ..model import errors
from ..model import permissions as perms
from ..model.models import ROUTE_MEDIA, Conversation, Token
from ..model.state import SandboxState
from . import render
from .base import ApiHandlers

RECORDING_STATES = ["ACTIVE", "PAUSED", "NONE"]
PARTICIPANT_STATES = [
    "alerting", "dialing", "contacting", "offering", "connected", "disconnected", "terminated",
    "converting", "uploading", "transmitting", "parked", "none",
]


C = "api/v2/conversations"


class ConversationsApi(ApiHandlers):
    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.conversation_bodies = render.BodyCache(render.conversation)
        self.call_bodies = render.BodyCache(render.call_conversation)

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
        """A/B: PUT /conversations/{calls,emails,…}/{id}/recordingstate -> 200 bare JSON string."""
        token = req.bearer
        media = ROUTE_MEDIA[req.segments[3]]  # one literal row per media (no capture a real route could shadow)
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
        neither: client credentials are accepted there unless the ``genericParticipantPatchUserContext``
        assumption says otherwise [unknown], and an ended call or
        participant is 400 ``conversation.error.participant.no.active.conversations``
        [documented-2018]."""
        token = req.bearer
        needs_user = self.state.settings.assumption("genericParticipantPatchUserContext") == "required"
        if calls_route or needs_user:
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

    # literal segments before captures: /conversations/calls is no conversation id
    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", C, list_conversations),
        Row("GET", f"{C}/calls", list_calls),
        Row("GET", f"{C}/calls/{{cid}}", get_call),
        Row("PATCH", f"{C}/calls/{{cid}}", patch_call),
        Row("PATCH", f"{C}/calls/{{cid}}/participants/{{pid}}", patch_call_participant),
        # one literal row per media: PUT …/calls/{cid}/recordingstate, …/emails/…, …
        *map(Row, ["PUT"] * len(ROUTE_MEDIA), [f"{C}/{m}/{{cid}}/recordingstate" for m in ROUTE_MEDIA],
             [put_recordingstate] * len(ROUTE_MEDIA)),
        Row("GET", f"{C}/{{cid}}", get_conversation),
        Row("PATCH", f"{C}/{{cid}}/recordingstate", patch_recordingstate),
        Row("PATCH", f"{C}/{{cid}}/participants/{{pid}}", patch_participant),
    )


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


