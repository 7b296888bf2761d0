"""The one table of Genesys error codes recops knows: for each code its HTTP status(es), the
recops error class it becomes, what it means, what to do, and the evidence for the meaning
(``[documented]``, ``[inferred]`` or ``[unknown]``, with the source; the keys are those of
docs/genesys-api.md). A second, small table reads a bare status: which code it stands for
(``explain("404")``) and which class an unlisted code of that status becomes.

``errors.api_error`` (the class), ``errors.remedy_for`` and ``explain.explain`` all read it.
Pure data: importing this module imports nothing else of recops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EvidenceLabel = Literal["documented", "inferred", "unknown"]


@dataclass(frozen=True)
class Evidence:
    label: EvidenceLabel
    source: str

    def __str__(self) -> str:
        return f"[{self.label}] {self.source}"


@dataclass(frozen=True)
class GenesysCode:
    code: str
    statuses: tuple[int, ...]  # the status(es) it comes with; the first is the usual one
    error_class: str  # the name of the recops.genesys.errors class (an ApiError subclass)
    meaning: str
    remedy: str
    evidence: Evidence


@dataclass(frozen=True)
class StatusRow:
    """A bare status: the code it reads as (None: none in particular) and the class of an
    error with that status whose code has no row (or a row for another status)."""

    status: int
    code: str | None
    error_class: str


SW18 = "2018 spec, x-inin-error-codes (docs/genesys-api.md §5.2)"
SERVER_REMEDY = ("recops retries reads by itself; for a change, read the state (recops status ID) "
                 "before retrying.")
GENERIC_REMEDY = "See the message; fix the request and retry."
UNKNOWN_MEANING = "Not in recops's catalogue; see Genesys's message."
UNKNOWN_EVIDENCE = Evidence("unknown", "not in recops's catalogue of Genesys codes")


def _row(code: str, statuses: tuple[int, ...], error_class: str, meaning: str, remedy: str,
         label: EvidenceLabel, source: str) -> GenesysCode:
    return GenesysCode(code, statuses, error_class, meaning, remedy, Evidence(label, source))


_ROWS = [
    # --- 400 -----------------------------------------------------------------------------
    _row("bad.request", (400,), "BadRequest",
         "The request is malformed for this endpoint.",
         "See the message for the field at fault, fix it and send again.",
         "documented", SW18),
    _row("invalid.value", (400,), "BadRequest",
         "A field has a value the API does not accept.",
         "A value is not allowed: recording state takes PAUSED (secure pause) or ACTIVE (resume).",
         "documented", SW18),
    _row("invalid.date", (400,), "BadRequest",
         "A date is not ISO-8601.",
         "Send dates as ISO-8601, e.g. 2026-03-02T10:15:00.000Z.",
         "documented", SW18),
    _row("not.a.user", (400,), "NotAUser",
         "The endpoint needs a user context; a client-credentials token has no user.",
         "This call needs a user token of a participant in the conversation. To pause or resume "
         "with client credentials, use PUT /api/v2/conversations/calls/{id}/recordingstate (what "
         "recops pause/resume do) with conversation:recording:pauseOthers instead; a participant's "
         "ad-hoc start/stop always needs that participant's (or a participating agent's) user token.",
         "documented", "2018 spec for PATCH /conversations/calls/{id}, its participant PATCH and "
         "GET /conversations/calls (docs/genesys-api.md §4.4, §5.3)"),
    _row("conversation.error.call.disconnected", (400,), "CallDisconnected",
         "The call is already disconnected: it can no longer change.",
         "The call has ended: recording state can no longer be changed. Its recordings can be read "
         "once transcoded (recops recordings ID).",
         "documented", "2018 spec for the participant PATCH (docs/genesys-api.md §5.3)"),
    _row("response.entity.too.large", (400,), "BadRequest",
         "The response would be over the size limit.",
         "Ask for less: a smaller pageSize, or fewer expanded fields.",
         "documented", "the gc CLI's error list (docs/genesys-api.md §5.2)"),
    _row("sandbox.not.emulated", (400, 501), "BadRequest",
         "The sandbox does not emulate this value or feature (400), or this real route (501); the real "
         "API may well serve it. This is the sandbox's own code, not a Genesys one.",
         "Use a value the sandbox emulates, or try it against a real org (docs/sandbox.md §9 lists "
         "what the sandbox does not emulate).",
         "documented", "recops's sandbox (not Genesys)"),
    # --- issue 19, recording bulk jobs (engineer J): the sandbox's own codes; Genesys's are [unknown] ---
    _row("recording.job.concurrency.limit", (400,), "BadRequest",
         "The organization already has two recording jobs PENDING or PROCESSING (the documented cap). "
         "This is the sandbox's own code: the real one is not documented.",
         "Wait for a running job to finish (recops jobs list), or cancel one (recops jobs cancel ID), then retry.",
         "unknown", "recops's sandbox; the cap itself is documented (genesys-api-lifecycle.md §1.5)"),
    _row("recording.job.not.creator", (403,), "PermissionDenied",
         "Only the user (or OAuth client) who created a recording job may execute it. The sandbox's own "
         "code: the real one is not documented.",
         "Execute the job with the credentials that created it, or create a new job with yours.",
         "unknown", "recops's sandbox; the rule is documented (genesys-api-lifecycle.md §1.5)"),
    _row("recording.job.invalid.state", (400, 409), "BadRequest",
         "The recording job is not in a state that allows this: execute needs READY; cancel needs "
         "PENDING, READY or PROCESSING. The sandbox's own code: the real one is not documented.",
         "Read the job (recops jobs show ID): wait for READY before executing; a finished job cannot be "
         "cancelled, create a new one instead.",
         "unknown", "recops's sandbox (genesys-api-lifecycle.md §1.4)"),
    # --- 401 and the token endpoint ------------------------------------------------------
    _row("bad.credentials", (401,), "AuthError",
         "The bearer token is unknown, invalid or expired.",
         "The token is invalid or expired. recops renews client-credentials tokens once by itself; "
         "if this persists, check the client id/secret, or get a fresh user token.",
         "documented", "2018 spec (docs/genesys-api.md §4.3)"),
    _row("authentication.required", (401,), "AuthError",
         "No Authorization: Bearer header was sent.",
         "No bearer token was sent. Set credentials (GENESYSCLOUD_OAUTHCLIENT_ID/SECRET).",
         "documented", "2018 spec (docs/genesys-api.md §4.3)"),
    _row("credentials.expired", (401,), "AuthError",
         "The credentials have expired.",
         "Get a new token (or new client credentials).",
         "unknown", "a third-party catalogue only, GCX (docs/genesys-api.md §4.3)"),
    _row("invalid_client", (400, 401), "AuthError",
         "The token endpoint rejected the OAuth client id or secret.",
         "The OAuth client id or secret is wrong, or the client belongs to another region. Check "
         "GENESYSCLOUD_OAUTHCLIENT_ID/SECRET and GENESYSCLOUD_REGION.",
         "documented", "captured /oauth/token replies, 3rd-party GCCX (docs/genesys-api.md §4.2)"),
    _row("unauthorized_client", (400, 401), "AuthError",
         "The OAuth client may not use the client-credentials grant.",
         "This OAuth client may not use the client-credentials grant; create one that does.",
         "documented", "captured /oauth/token replies, 3rd-party GCCX (docs/genesys-api.md §4.2)"),
    # --- 403 -----------------------------------------------------------------------------
    _row("missing.any.permissions", (403,), "PermissionDenied",
         "The caller's roles hold none of the permissions the operation accepts.",
         "Give the OAuth client's role (or the user's) one of the permissions listed, then get a new token.",
         "documented", SW18),
    _row("missing.permissions", (403,), "PermissionDenied",
         "The caller's roles lack a permission the operation needs.",
         "Give the role the permission(s) listed, then get a new token.",
         "documented", SW18),
    _row("not.authorized", (403,), "PermissionDenied",
         "The caller may not perform this action (often a division restriction).",
         "The caller may not do this here (division or role). Check the role's divisions.",
         "documented", SW18),
    _row("recording.recording.view.permission.check.failed", (403,), "PermissionDenied",
         "The caller may not view this conversation's recordings.",
         "Give the role recording:recording:view (and the segment/screen/snippet view permissions "
         "the recordings need), then get a new token.",
         "documented", "2018 spec for GET …/recordings (docs/genesys-api.md §5.3)"),
    _row("conversation.error.forbidden.not.active.participant", (403,), "NotAParticipant",
         "Only a user who is active on the call may change its recording state through this endpoint.",
         "Only an active participant may change the recording state this way. Use "
         "PUT /api/v2/conversations/calls/{id}/recordingstate with conversation:recording:pauseOthers "
         "(recops pause/resume with client credentials) instead.",
         "documented", "2018 spec for PATCH /conversations/calls/{id} (docs/genesys-api.md §5.3)"),
    _row("conversation.error.not.conversation.participant", (403, 404), "NotAParticipant",
         "The user is not a participant in the conversation.",
         "The user is not a participant in this conversation: use the token of an agent on the call.",
         "documented", "2018 spec, 404 for the participant PATCH (docs/genesys-api.md §5.3)"),
    # --- 404 -----------------------------------------------------------------------------
    _row("not.found", (404,), "NotFound",
         "The id or the route does not exist.",
         "Unknown id or route. Check the conversation id (and its org/region). Recording state is on "
         "the conversation: there is no /api/v2/recordings/{id} state endpoint.",
         "documented", "JS SDK README, 2018 spec (docs/genesys-api.md §5.1)"),
    _row("conversation.error.conversation.not.found", (404,), "NotFound",
         "No such conversation (in this org and region).",
         "No such conversation in this org and region (or it is not a call). Check the id and "
         "GENESYSCLOUD_REGION.",
         "documented", "2018 spec for the calls endpoints (docs/genesys-api.md §5.3)"),
    _row("conversation.not.found", (404,), "NotFound",
         "No such conversation (in this org and region).",
         "No such conversation in this org and region. Check the id and GENESYSCLOUD_REGION.",
         "documented", "2018 spec for GET …/recordings (docs/genesys-api.md §5.3)"),
    # --- 409 -----------------------------------------------------------------------------
    _row("general.conflict", (409,), "Conflict",
         "A generic conflict. No conversation or recording operation documents a 409; "
         "a repeated pause or resume is not documented to conflict.",
         "It does not mean 'already paused' (Genesys documents no 409 for recording state): read the "
         "state (recops status ID) and retry if it is not what you want.",
         "unknown", "the 2018 spec lists general.conflict for configuration entities only, on no "
         "conversation or recording operation (docs/genesys-api.md §5.3)"),
    # --- 413, 415 ------------------------------------------------------------------------
    _row("request.entity.too.large", (413,), "ApiError",
         "The request body is over the size limit.",
         "The body is too large; send less.",
         "inferred", "the sandbox's name for a 413; newer specs may list 413 (docs/genesys-api.md §5.3)"),
    _row("unsupported.media.type", (415,), "ApiError",
         "The body's Content-Type is not JSON.",
         "Send JSON with Content-Type: application/json.",
         "documented", SW18),
    # --- 429 -----------------------------------------------------------------------------
    _row("too.many.requests.retry.after", (429,), "RateLimited",
         "The token's request budget (300/minute by default) is spent; Retry-After says when to retry.",
         "Rate limit reached (300 requests/minute per token by default). recops waits and retries by "
         "itself; lower the concurrency or the sweep size if it persists.",
         "documented", "Genesys forum, Nov 2021, F3 (docs/genesys-api.md §6)"),
    _row("too.many.requests", (429,), "RateLimited",
         "The request budget is spent (the older form, without Retry-After).",
         "Rate limit reached. Wait a minute, or lower the concurrency.",
         "documented", SW18),
    # --- 5xx -----------------------------------------------------------------------------
    _row("internal.server.error", (500,), "ServerError",
         "A server-side failure.", SERVER_REMEDY, "documented", SW18),
    _row("service.unavailable", (503,), "ServerError",
         "The service is overloaded or in maintenance.", SERVER_REMEDY, "documented", SW18),
    _row("request.timeout", (504,), "ServerError",
         "The server timed out.", SERVER_REMEDY, "documented", SW18),
    _row("authentication.request.timeout", (504,), "ServerError",
         "The authentication service timed out.", SERVER_REMEDY, "documented", SW18),
]

# --- the end of a recording's life (issue 19, engineer L): retention, legal hold, settings -----------
LIFECYCLE = "docs/genesys-api.md, the recording lifecycle facts (genesys-api-lifecycle §2-4)"
_ROWS += [
    _row("recording.org.settings.request.invalid", (400,), "BadRequest",
         "The recording settings sent are invalid.",
         "Check the values (e.g. recordingPlaybackUrlTtl is 2 to 60 minutes) and send again.",
         "documented", f"{SW18}, PUT /api/v2/recording/settings ({LIFECYCLE})"),
    _row("recording.not.found", (400,), "BadRequest",
         "The sandbox's failed update for a conversation with no recording to protect (a conversation without a "
         "recording cannot be protected [documented]; Genesys's code for it is unknown).",
         "Only conversations with a recording can be put under legal hold: check the id (recops recordings ID).",
         "documented", "recops's sandbox (not Genesys): its failedUpdates errorCode (docs/sandbox.md)"),
    _row("recording.protection.limit.exceeded", (400,), "BadRequest",
         "The sandbox's failed update past the org's cap of 1,000 protected conversations (the cap is documented; "
         "Genesys's code for it is unknown).",
         "Revoke protection from conversations that no longer need it (recops hold revoke), or protect fewer; "
         "recops refuses before sending when it can count the cap (recops hold protect).",
         "documented", "recops's sandbox (not Genesys): its failedUpdates errorCode (docs/sandbox.md)"),
]

# --- orphan recordings (issue 19, engineer C): PUT /api/v2/orphanrecordings/{orphanId} -------------
_ROWS += [
    _row("recording.orphan.retention.data.invalid", (400,), "BadRequest",
         "The dates of an orphan's update are invalid: archiveDate/exportDate must be more than a day ahead, "
         "deleteDate after them (or more than a day ahead), and an exportDate needs an integrationId.",
         "Fix the dates (more than a day ahead; deleteDate last) or leave them out, then re-attach again.",
         "documented", SW18),
    _row("recording.orphan.unknown.conversation", (400,), "BadRequest",
         "The conversation to attach the orphan to does not exist (given, or the one its media names).",
         "Give the conversation explicitly (recops orphans reattach ID --conversation CID); an orphan whose "
         "status is NO_CONVERSATION or UNKNOWN_CONVERSATION names none that exists.",
         "documented", SW18),
    _row("recording.orphan.edit.permission.check.failed", (403,), "PermissionDenied",
         "The caller lacks recording:orphan:edit, needed to re-attach an orphan.",
         "Give the OAuth client's role recording:orphan:edit, then get a new token.",
         "documented", SW18),
]

CODES: dict[str, GenesysCode] = {row.code: row for row in _ROWS}

_STATUS_ROWS = [
    StatusRow(400, "bad.request", "BadRequest"),
    StatusRow(401, "bad.credentials", "AuthError"),
    StatusRow(403, "missing.any.permissions", "PermissionDenied"),
    StatusRow(404, "not.found", "NotFound"),
    StatusRow(409, "general.conflict", "Conflict"),
    StatusRow(415, "unsupported.media.type", "ApiError"),
    StatusRow(429, "too.many.requests.retry.after", "RateLimited"),
    StatusRow(500, "internal.server.error", "ServerError"),
    StatusRow(503, "service.unavailable", "ServerError"),
    StatusRow(504, "request.timeout", "ServerError"),
]
STATUSES: dict[int, StatusRow] = {row.status: row for row in _STATUS_ROWS}


def code_row(code: str | None) -> GenesysCode | None:
    return CODES.get(code) if code else None


def status_row(status: int | None) -> StatusRow | None:
    """The row of a bare status; any other 5xx reads as a server error with no code of its own."""
    if not status:
        return None
    if status in STATUSES:
        return STATUSES[status]
    if status >= 500:
        return StatusRow(status, None, "ServerError")
    return None


def code_for_status(status: int) -> str:
    """The code a bare status stands for (``explain("404")``): its row's, else ``http.<status>``."""
    row = status_row(status)
    return row.code if row is not None and row.code else f"http.{status}"


def error_class_name(status: int, code: str | None) -> str:
    """The class of an error with this status and code: the code's, if the code comes with this
    status; else the status's; else plain ``ApiError``."""
    row = code_row(code)
    if row is not None and status in row.statuses:
        return row.error_class
    srow = status_row(status)
    return srow.error_class if srow is not None else "ApiError"


def remedy(status: int | None, code: str | None) -> str:
    """What to do: the code's remedy; for an unlisted code, that of the code its status reads
    as (a 5xx without one: the server-failure remedy); else the generic one."""
    row = code_row(code)
    if row is not None:
        return row.remedy
    srow = status_row(status)
    if srow is not None:
        by_status = code_row(srow.code)
        if by_status is not None:
            return by_status.remedy
        if srow.error_class == "ServerError":
            return SERVER_REMEDY
    return GENERIC_REMEDY
