"""recops's errors: one tree, built from the SDK's ``ApiException`` (and the transport
failures the SDK does not wrap) in one place, ``from_exception``.

    RecopsError                      base of everything recops raises on purpose
    ├── ConfigError (ValueError)     settings, credentials, region: fix the configuration
    │   ├── RegionError              unknown region or invented host (names the real one)
    │   ├── ConfirmationRequired     a write against a real org without --yes / confirm=True
    │   │   └── CountMismatch        a recording job confirmed with a count that is not its READY count
    │   └── SeatRefused              a training room refused a seat's credentials (401) or seat (403)
    ├── InvalidTransition            the change makes no sense in the current state (checked locally)
    │   ├── HoldCapExceeded          legal hold would pass the org's 1,000 protected conversations
    │   └── JobNotReady              a recording job that is not READY cannot be executed
    ├── JournalError                 the journal cannot be written or read
    ├── Cancelled                    stopped on request (a cancel) before the end; what is done is kept
    │   └── DownloadCancelled        an export's download, stopped at its next chunk
    ├── JobFailed                    an analytics details job ended without results (failed, expired…)
    ├── TransportError               no HTTP answer at all, or not the one needed
    │   ├── Timeout                  connect or read timeout (no answer in time)
    │   ├── ConnectionFailed         refused, reset or dropped connection
    │   └── DownloadFailed           a recording's file did not arrive whole, after its retries
    │       └── LinkExpired          its signed link expired before it was fetched (S3's 403)
    └── ApiError                     Genesys answered with an error (status, code, contextId)
        ├── BadRequest               400
        │   ├── NotAUser             400 not.a.user: needs a user token
        │   └── CallDisconnected     400 conversation.error.call.disconnected
        ├── AuthError                401, and the token endpoint's 400 invalid_client
        ├── PermissionDenied         403 (``permissions`` lists what would have been enough)
        │   └── NotAParticipant      403/404: the user is not (active) on the conversation
        ├── NotFound                 404
        ├── Conflict                 409 (generic; never read as "already paused")
        ├── RateLimited              429 (``retry_after`` seconds, if the server said)
        └── ServerError              5xx

The CLI maps each to an exit code (``EXIT_CODES`` in ``recops.cli``; docs/cli.md): 2 ConfigError,
3 InvalidTransition, 4 ApiError and JobFailed, 5 TransportError (DownloadFailed and LinkExpired
included), 6 JournalError, 130 Cancelled (as Ctrl-C: stopped on request, not a failure).

Every error has ``remedy``: what a person can do about it, from the one table of Genesys codes
(``recops.genesys.codes``, which also decides the ``ApiError`` subclass). ``str(error)`` never contains a
secret: messages are built from status, code, Genesys's message and the request path only.
Every error renders itself from those same fields: ``__rich__`` (the terminal) and
``_repr_html_`` (notebooks); ``error_lines`` gives the lines of any exception (the widgets').
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from recops.base.display import RED, box, html_rows, rich_lines, rich_text

from . import codes


class RecopsError(Exception):
    remedy: str = ""

    def __init__(self, message: str, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        if remedy:
            self.remedy = remedy

    def __str__(self) -> str:
        return f"{self.message} — {self.remedy}" if self.remedy else self.message

    def __rich__(self) -> Any:  # the terminal: what went wrong, then what to do
        styles = {"do": "yellow", "note": "dim"}
        return rich_lines(rich_text((f"{label}:", styles.get(label, "bold red")), " ", text)
                          for label, text in error_lines(self))

    def _repr_html_(self) -> str:  # notebooks: never the request itself, only its method and path
        head = f'<div style="color:{RED}">{self._html_head()}</div>'
        return box("recops-error", RED, head + html_rows(self._html_fields()))

    def _html_head(self) -> str:
        return f"<b>{escape(type(self).__name__)}</b>"

    def _html_fields(self) -> list[tuple[str, Any]]:
        return [("message", self.message), ("do", self.remedy)]


class ConfigError(RecopsError, ValueError):
    pass


class RegionError(ConfigError):
    sandbox_url: str | None = None  # set when the value looked like a sandbox URL: where to put it instead


class ConfirmationRequired(ConfigError):
    remedy = "Re-run with --yes (CLI) or confirm=True (Python) once you are sure of the target."


class SeatRefused(ConfigError):
    """The room's control plane refused the credentials (401) or the seat (403)."""


class InvalidTransition(RecopsError):
    pass


class JournalError(RecopsError):
    pass


class Cancelled(RecopsError):
    """Stopped on request (a ``CancelToken``) before the end; what is done is kept: re-run to resume.
    Raised by a history read (its complete days stay cached, its running jobs are deleted)."""

    def __init__(self, message: str = "the history read was cancelled",
                 remedy: str = "re-run it to resume: the complete days are kept in the cache") -> None:
        super().__init__(message, remedy)


class DownloadCancelled(Cancelled):
    """An export's download stopped on request (at its next chunk, its temporary file removed)."""

    def __init__(self) -> None:
        super().__init__("the download was cancelled", "re-run the export to resume")


class JobFailed(RecopsError):
    """An analytics job ended without results (failed, cancelled or expired)."""

    def __init__(self, job_id: str, state: str, detail: str = "") -> None:
        self.job_id = job_id
        self.state = state
        what = {"FAILED": "failed", "CANCELLED": "was cancelled", "EXPIRED": "expired"}.get(state, state.lower())
        extra = f": {detail}" if detail else ""
        super().__init__(
            f"analytics details job {job_id} {what}{extra}",
            "re-run the same read: the days already fetched are kept in the cache and only the "
            "others are asked for again, in a new job")


# --- the end of a recording's life (issue 19, engineer L: recops.lifecycle) -------------------


class CountMismatch(ConfirmationRequired):
    """A recording job's run was confirmed with a count that is not the job's READY totalRecordings:
    nothing was executed (exit 2)."""

    remedy = ("Read the plan again (recops jobs show JOB_ID) and confirm with its exact totalRecordings; "
              "if the count is not what you expected, cancel the job (recops jobs cancel JOB_ID).")


class HoldCapExceeded(InvalidTransition):
    """Protecting the conversations would pass the org's cap of 1,000 protected conversations:
    refused before any change was sent (exit 3)."""

    remedy = "Revoke protection from conversations that no longer need it (recops hold revoke), or protect fewer."


class JobNotReady(InvalidTransition):
    """A recording job that is not READY (still PENDING, already executed, cancelled, failed) cannot
    be executed: nothing was sent (exit 3)."""


class TransportError(RecopsError):
    def __init__(self, message: str, method: str = "", path: str = "", remedy: str = "") -> None:
        super().__init__(message, remedy)
        self.method = method
        self.path = path

    def _html_fields(self) -> list[tuple[str, Any]]:
        return [("message", self.message), ("request", f"{self.method} {self.path}".strip()), ("do", self.remedy)]


class Timeout(TransportError):
    remedy = ("The server did not answer in time. Check the network or raise the timeout "
              "(RECOPS_READ_TIMEOUT / RECOPS_CONNECT_TIMEOUT); for a change, read the state "
              "before retrying: it may have been applied.")


class ConnectionFailed(TransportError):
    remedy = ("No connection to the server. Check the region/host and the network; for a "
              "change, read the state before retrying: it may have been applied.")


class DownloadFailed(TransportError):
    """A recording's file (a batch's signed ``resultUrl``) did not arrive whole: no answer, a cut
    body or an error answer, after its retries. ``path`` is the URL's path, never its signed query."""

    def __init__(self, message: str, status: int | None = None, path: str = "",
                 remedy: str = "re-run the export: complete files are kept and only the rest is fetched") -> None:
        super().__init__(message, "GET" if path else "", path, remedy)
        self.status = status


class LinkExpired(DownloadFailed):
    """The signed result URL expired before it was fetched: a new batch gives a fresh link."""

    def __init__(self, where: str) -> None:
        super().__init__(f"the download link expired ({where})", 403, where,
                         "a new batch request gives a fresh link; re-run the export to resume")


class ApiError(RecopsError):
    """An error answer from Genesys Cloud (or the sandbox)."""

    def __init__(self, status: int, code: str, message: str, context_id: str | None = None,
                 method: str = "", path: str = "", permissions: list[str] | None = None,
                 retry_after: float | None = None, body: Any = None, injected: bool = False) -> None:
        self.status = status
        self.code = code
        self.genesys_message = message
        self.context_id = context_id
        self.method = method
        self.path = path
        self.permissions = permissions or []
        self.retry_after = retry_after
        self.body = body
        self.injected = injected
        where = f" on {method} {path}" if method else ""
        ctx = f" (contextId {context_id})" if context_id else ""
        super().__init__(f"{status} {code}{where}: {message}{ctx}", remedy_for(status, code, permissions))

    def _html_head(self) -> str:
        return (f"<b>{escape(type(self).__name__)}</b> {self.status} <code>{escape(self.code)}</code>"
                + (" <i>(injected by the sandbox)</i>" if self.injected else ""))

    def _html_fields(self) -> list[tuple[str, Any]]:
        return [("message", self.genesys_message), ("request", f"{self.method} {self.path}".strip()),
                ("contextId", self.context_id), ("needs any of", ", ".join(self.permissions)),
                ("retry after", f"{self.retry_after:g} s" if self.retry_after is not None else None),
                ("do", self.remedy)]


class BadRequest(ApiError):
    pass


class NotAUser(BadRequest):
    pass


class CallDisconnected(BadRequest):
    pass


class AuthError(ApiError):
    pass


class PermissionDenied(ApiError):
    pass


class NotAParticipant(PermissionDenied):
    pass


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class RateLimited(ApiError):
    pass


class ServerError(ApiError):
    pass


_API_CLASSES: dict[str, type[ApiError]] = {cls.__name__: cls for cls in (
    ApiError, BadRequest, NotAUser, CallDisconnected, AuthError, PermissionDenied, NotAParticipant, NotFound,
    Conflict, RateLimited, ServerError)}


# --- how an error reads, as lines (the terminal above, and the widgets' error lines) ---------------


def error_head(error: BaseException) -> str:
    """``error [code]`` for an answer from Genesys, ``error`` for recops's own errors."""
    code = getattr(error, "code", None) if isinstance(error, ApiError) else None
    return f"error [{code}]" if code else "error"


def error_lines(error: BaseException) -> list[tuple[str, str]]:
    """(label, text) lines: what went wrong (status, code, request, Genesys's message, contextId),
    what to do (the remedy, naming the missing permissions), and whether the sandbox injected it.
    Any exception reads this way; one that is no ``RecopsError`` shows its type and text."""
    message = error.message if isinstance(error, RecopsError) else f"{type(error).__name__}: {error}"
    lines = [(error_head(error), message)]
    remedy = error.remedy if isinstance(error, RecopsError) else ""
    if remedy:
        lines.append(("do", remedy))
    if isinstance(error, ApiError) and error.injected:
        lines.append(("note", "injected by the sandbox's fault injection (X-Sandbox-Fault: injected)"))
    return lines


# --- remedies ---------------------------------------------------------------------------------


def remedy_for(status: int, code: str, permissions: list[str] | None = None) -> str:
    """What to do about ``status``/``code`` (from the one table, ``recops.genesys.codes``), naming the
    permissions that would have been enough."""
    text = codes.remedy(status, code)
    if permissions:
        text = f"{text} Needed (any one of): {', '.join(permissions)}."
    return text


# --- building errors from what the SDK raises --------------------------------------------------


def parse_body(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        return body
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body.strip():
        try:
            value = json.loads(body)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def permissions_from(body: dict[str, Any]) -> list[str]:
    params = body.get("messageParams") or {}
    text = params.get("permissions") if isinstance(params, dict) else None
    if not text:
        message = body.get("message", "")
        if "[" in message and "]" in message and "permission" in message:
            text = message[message.rfind("[") + 1: message.rfind("]")]
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def api_error(status: int, body: Any, headers: Any = None, method: str = "", path: str = "") -> ApiError:
    """An ``ApiError`` of the right class from a status, a raw body and the response headers."""
    parsed = parse_body(body)
    code = parsed.get("code") or parsed.get("error") or f"http.{status}"
    message = parsed.get("message") or parsed.get("error_description") or parsed.get("description") \
        or f"HTTP {status}"
    get = (lambda name: headers.get(name)) if headers is not None else (lambda name: None)
    context_id = parsed.get("contextId") or get("inin-correlation-id")
    retry_after = retry_after_seconds(get("Retry-After"))
    cls = _API_CLASSES[codes.error_class_name(status, code)]
    return cls(status, code, message, context_id=context_id, method=method, path=path,
               permissions=permissions_from(parsed), retry_after=retry_after, body=parsed or None,
               injected=get("X-Sandbox-Fault") == "injected")  # "delayed": a real answer, only late


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header's seconds, never negative (None: absent or not a number of
    seconds). The one reading of it: errors' ``retry_after`` and the transport's retries."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _where(method: str, path: str) -> str:
    return f" for {method} {path}".rstrip() if method or path else ""


def from_exception(exc: BaseException, method: str = "", path: str = "") -> RecopsError:
    """The one place SDK and transport failures become recops errors."""
    if isinstance(exc, RecopsError):
        return exc
    status = getattr(exc, "status", None)
    if type(exc).__name__ == "ApiException" and isinstance(status, int):
        if status == 0:
            return ConnectionFailed(f"TLS or transport failure: {getattr(exc, 'reason', '')}", method, path)
        return api_error(status, getattr(exc, "body", None), getattr(exc, "headers", None), method, path)
    try:
        import urllib3.exceptions as ux
    except ImportError:  # pragma: no cover
        ux = None
    if ux is not None:
        reason = getattr(exc, "reason", None) or exc
        # NewConnectionError (refused, unreachable, unknown host) subclasses ConnectTimeoutError in
        # urllib3 for backwards compatibility: it is a connection failure, not a timeout.
        refused = isinstance(exc, ux.NewConnectionError) or isinstance(reason, ux.NewConnectionError)
        timed_out = isinstance(exc, ux.TimeoutError) or isinstance(reason, ux.TimeoutError)
        if timed_out and not refused:
            return Timeout(f"no answer in time{_where(method, path)}", method, path)
        if isinstance(exc, (ux.HTTPError, ConnectionError)):
            return ConnectionFailed(f"connection failed{_where(method, path)}: {type(reason).__name__}",
                                    method, path)
    if isinstance(exc, ConnectionError):
        return ConnectionFailed(f"connection failed{_where(method, path)}: {type(exc).__name__}", method, path)
    if isinstance(exc, TimeoutError):  # socket.timeout and friends, outside urllib3
        return Timeout(f"no answer in time{_where(method, path)}", method, path)
    if isinstance(exc, json.JSONDecodeError):
        return ApiError(0, "invalid.response", "the server's reply was not JSON", method=method, path=path)
    return RecopsError(f"unexpected {type(exc).__name__}: {exc}")
