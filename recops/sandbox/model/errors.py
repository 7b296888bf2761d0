"""Genesys-shaped errors raised by the sandbox's models and handlers.

Every error leaves the server as the Genesys ``ErrorBody`` envelope::

    {"message": ..., "code": ..., "status": ..., "contextId": ...,
     "details": [], "errors": [], ["messageWithParams", "messageParams", "limit"]}

Messages come from the Genesys error catalogue (documented codes); where the
sandbox had to choose a code, the constructor says so in its docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message: str
    message_with_params: str | None = None
    message_params: dict[str, str] | None = None
    limit: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.status} {self.code}: {self.message}"

    def body(self, context_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message": self.message,
            "code": self.code,
            "status": self.status,
        }
        if self.message_with_params:
            out["messageWithParams"] = self.message_with_params
        if self.message_params:
            out["messageParams"] = self.message_params
        if self.limit:
            out["limit"] = self.limit
        out["contextId"] = context_id
        out["details"] = []
        out["errors"] = []
        return out


@dataclass
class OAuthError(Exception):
    """The token endpoint's own shape: 400 ``{"error", "description", "error_description"}``."""

    error: str
    description: str
    status: int = 400

    def body(self) -> dict[str, str]:
        return {
            "error": self.error,
            "description": self.description,
            "error_description": self.description,
        }


# --- documented codes (§5.2 of docs/genesys-api.md) -------------------------------------------


def bad_request(detail: str | None = None) -> ApiError:
    msg = "The request could not be understood by the server due to malformed syntax."
    if detail:
        msg = f"{msg} {detail}"
    return ApiError(400, "bad.request", msg)


def invalid_value(value: object, field_type: str, allowed: list[str] | None = None) -> ApiError:
    allowed_text = ", ".join(allowed) if allowed else "see the API documentation"
    template = "Value [%s] is not valid for field type [%s]. Allowable values are: %s"
    return ApiError(
        400,
        "invalid.value",
        template % (value, field_type, allowed_text),
        message_with_params="Value [{value}] is not valid for field type [{fieldType}]. "
        "Allowable values are: {allowedValues}",
        message_params={"value": str(value), "fieldType": field_type, "allowedValues": allowed_text},
    )


def invalid_date(field_name: str) -> ApiError:
    return ApiError(
        400,
        "invalid.date",
        "Dates must be specified as ISO-8601 strings. For example: yyyy-MM-ddTHH:mm:ss.SSSZ",
        message_params={"field": field_name},
    )


def not_a_user() -> ApiError:
    return ApiError(
        400,
        "not.a.user",
        "This request requires a user context. Client credentials cannot be used for "
        "requests to this resource.",
    )


def authentication_required() -> ApiError:
    return ApiError(
        401,
        "authentication.required",
        "No authentication bearer token specified in authorization header.",
    )


def bad_credentials() -> ApiError:
    return ApiError(401, "bad.credentials", "Invalid login credentials.")


def missing_any_permissions(perms: list[str]) -> ApiError:
    """403 ``missing.any.permissions``. The ``messageParams`` key ``permissions`` (the
    comma-joined list) is the sandbox's own choice: the real key names are unknown."""
    joined = ", ".join(perms)
    return ApiError(
        403,
        "missing.any.permissions",
        "Unable to perform the requested action. You must have at least one of the "
        f"following permissions assigned: [{joined}]",
        message_with_params="Unable to perform the requested action. You must have at least "
        "one of the following permissions assigned: {permissions}",
        message_params={"permissions": joined},
    )


def missing_permissions(perms: list[str]) -> ApiError:
    joined = ", ".join(perms)
    return ApiError(
        403,
        "missing.permissions",
        "Unable to perform the requested action. You are missing the following "
        f"permission(s): [{joined}]",
        message_with_params="Unable to perform the requested action. You are missing the "
        "following permission(s): {permissions}",
        message_params={"permissions": joined},
    )


def not_found() -> ApiError:
    return ApiError(404, "not.found", "The requested resource was not found.")


def recordings_conversation_not_found() -> ApiError:
    """The 404 of ``GET …/{conversationId}/recordings`` [documented-2018]."""
    return ApiError(404, "conversation.not.found", "A conversation for the provided conversationId was not found.")


def participant_no_active_conversations() -> ApiError:
    """400 of the generic participant PATCH on an ended call or participant [documented-2018]."""
    return ApiError(400, "conversation.error.participant.no.active.conversations",
                    "Participant has no active conversations")


def conversation_not_found() -> ApiError:
    return ApiError(404, "conversation.error.conversation.not.found", "The conversation does not exist.")


def not_conversation_participant() -> ApiError:
    return ApiError(
        404,
        "conversation.error.not.conversation.participant",
        "User is not a participant in the conversation.",
    )


def not_active_participant() -> ApiError:
    return ApiError(
        403,
        "conversation.error.forbidden.not.active.participant",
        "User is not active on call and cannot alter recordingState",
    )


def call_disconnected() -> ApiError:
    return ApiError(400, "conversation.error.call.disconnected", "The call is already disconnected.")


def unsupported_media_type() -> ApiError:
    return ApiError(
        415,
        "unsupported.media.type",
        "Unsupported Media Type - Unsupported or incorrect media type, such as an incorrect "
        "Content-Type value in the header.",
    )


def too_many_requests(retry_after: int | None, allowed: int) -> ApiError:
    if retry_after is None:
        # The pre-2021 form, without Retry-After (only reachable through fault injection).
        return ApiError(
            429,
            "too.many.requests",
            f"Rate limit exceeded the maximum [{allowed}] requests within [60] seconds",
            limit={"key": "client.credentials.token.rate.per.minute", "namespace": "platform.api", "value": allowed},
        )
    return ApiError(
        429,
        "too.many.requests.retry.after",
        f"Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds",
        limit={"key": "client.credentials.token.rate.per.minute", "namespace": "platform.api", "value": allowed},
        headers={"Retry-After": str(retry_after)},
    )


def internal_server_error() -> ApiError:
    return ApiError(
        500,
        "internal.server.error",
        "The server encountered an unexpected condition which prevented it from fulfilling the request.",
    )


def request_entity_too_large(limit_bytes: int) -> ApiError:
    """413: the code name is the sandbox's choice [inferred]; newer specs may list 413."""
    return ApiError(
        413,
        "request.entity.too.large",
        f"The request is over the size limit of {limit_bytes} bytes.",
    )


# --- the control plane's own errors (never a Genesys code) -------------------------------------


def sandbox_bad_request(message: str) -> ApiError:
    return ApiError(400, "sandbox.bad.request", message)


def sandbox_not_found(message: str) -> ApiError:
    return ApiError(404, "sandbox.not.found", message)


def not_emulated(what: str, hint: str = "") -> ApiError:
    """501 ``sandbox.not.emulated``: the real API accepts this, the sandbox does not emulate it.
    Never a Genesys-looking 400: a client must not learn a false "allowable values" list."""
    message = f"{what} is accepted by Genesys Cloud but not emulated by the sandbox."
    return ApiError(501, "sandbox.not.emulated", f"{message} {hint}".strip())


# Catalogue used by fault injection to fill in a message when only a code is given.
CATALOGUE: dict[str, tuple[int, str]] = {
    "bad.request": (400, bad_request().message),
    "not.a.user": (400, not_a_user().message),
    "authentication.required": (401, authentication_required().message),
    "bad.credentials": (401, bad_credentials().message),
    "not.authorized": (403, "You are not authorized to perform the requested action."),
    "not.found": (404, not_found().message),
    "general.conflict": (409, "The request could not be completed due to a conflict."),
    "too.many.requests.retry.after": (429, "Rate limit exceeded the maximum. Retry the request in [%s] seconds"),
    "too.many.requests": (429, "Rate limit exceeded the maximum [%s] requests within [%s] seconds"),
    "internal.server.error": (500, internal_server_error().message),
    "service.unavailable": (
        503,
        "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).",
    ),
    "request.timeout": (504, "The request timed out."),
}

DEFAULT_CODE_FOR_STATUS: dict[int, str] = {
    400: "bad.request",
    401: "bad.credentials",
    403: "not.authorized",
    404: "not.found",
    409: "general.conflict",
    415: "unsupported.media.type",
    429: "too.many.requests.retry.after",
    500: "internal.server.error",
    502: "internal.server.error",
    503: "service.unavailable",
    504: "request.timeout",
}


# --- the media host (services/media.py): S3-style errors, rendered as XML by http/wire.py


@dataclass
class S3Error(ApiError):
    """A media-host error: its ``extra`` elements follow ``<Message>`` in the XML body."""

    extra: dict[str, str] = field(default_factory=dict)


def s3_error(status: int, code: str, message: str, **extra: str) -> S3Error:
    return S3Error(status, code, message, extra=dict(extra))
