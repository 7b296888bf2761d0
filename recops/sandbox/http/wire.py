"""HTTP plumbing for the sandbox's ASGI app: parsed requests, replies, path safety.

Paths are routed on the *raw* path, split into segments and percent-decoded one by one;
a segment that decodes to ``..``, ``.``, contains ``/`` or ``\\`` or a control character, or
is empty (``//``, trailing ``/``) makes the path unknown (404 ``not.found``), so no encoded
trick can reach a handler with a surprising id.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

import orjson

from ..model import errors

if TYPE_CHECKING:
    from ..model.models import Token

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class BadPath(Exception):
    pass


# A path of plain segments (unreserved characters, none empty, none starting with ".") needs
# no decoding and no per-segment check: the common case, split at once.
_PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+")


def split_path(raw_path: bytes) -> tuple[str, ...]:
    try:
        text = raw_path.decode("ascii")
    except UnicodeDecodeError:
        raise BadPath("non-ASCII path") from None
    if _PLAIN_PATH.fullmatch(text):
        return tuple(text[1:].split("/"))
    if not text.startswith("/"):
        raise BadPath("path must start with /")
    if text == "/":
        return ()
    segments = []
    for raw in text[1:].split("/"):
        try:
            seg = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            raise BadPath("bad percent-encoding") from None
        if (
            not seg
            or seg in (".", "..")
            or "/" in seg
            or "\\" in seg
            or any(ord(c) < 32 or ord(c) == 127 for c in seg)
        ):
            raise BadPath(f"unsafe path segment {raw!r}")
        segments.append(seg)
    return tuple(segments)


@dataclass
class Request:
    method: str
    path: str
    segments: tuple[str, ...]
    query: dict[str, list[str]] = field(repr=False)  # may hold ?token=<admin token>
    headers: dict[str, str] = field(repr=False)  # Authorization
    body: bytes = field(repr=False)  # /oauth/token's form, a user token's request
    context_id: str
    base_url: str
    params: dict[str, str] = field(default_factory=dict)
    # An error found while reading the request (unsafe path -> 404, body too large -> 413). It is
    # answered after routing and the rate-limit count, so it still gets the inin-* headers and a
    # request-log entry.
    early_error: errors.ApiError | None = None
    token: Token | None = None  # set by the authentication step
    scope_org: str | None = None  # control plane: the org a seat's credentials limit it to (control/auth.py)

    @property
    def bearer(self) -> Token:
        """The caller's valid token; 401 if the request was not authenticated."""
        if self.token is None:
            raise errors.authentication_required()
        return self.token

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self, required: bool = True) -> Any:
        """The JSON body. 415 for a wrong Content-Type, 400 for malformed JSON."""
        if not self.body.strip():
            if required:
                raise errors.bad_request("A JSON request body is required.")
            return None
        if self.content_type not in ("application/json", ""):
            raise errors.unsupported_media_type()
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep nesting
            raise errors.bad_request() from None


class Stream:
    """A body made while it is sent: ``length`` bytes (the Content-Length, sent first) from
    ``chunks``. ``close`` ends the iterator and runs ``on_close`` once, whether the body went
    whole, was cut, or was never started (a media download gives its slot back so)."""

    def __init__(self, length: int, chunks: Iterator[bytes], on_close: Callable[[], None] | None = None) -> None:
        self.length = length
        self.chunks = chunks
        self._on_close = on_close

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    injected: bool = False
    truncate_at: int | None = None  # send only this many body bytes, then close (fault "truncate")
    stream: Stream | None = None  # a streamed body (then ``body`` is empty)

    @property
    def length(self) -> int:
        """The whole body's length (the Content-Length)."""
        return self.stream.length if self.stream is not None else len(self.body)

    @property
    def sent_bytes(self) -> int:
        """Body bytes the client will receive."""
        if self.drop:
            return 0
        return self.length if self.truncate_at is None else min(self.truncate_at, self.length)

    def close(self) -> None:
        """Release a streamed body (idempotent; nothing for a body of bytes)."""
        if self.stream is not None:
            self.stream.close()


def dumps(obj: Any) -> bytes:
    """Compact JSON as bytes: orjson (several times faster on the ~2 KB conversation bodies),
    or the standard library for what orjson refuses (integers over 64 bits in a fault body)."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj, separators=(",", ":")).encode()


def json_reply(status: int, obj: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, dumps(obj), headers=dict(headers) if headers else {})


def empty_reply(status: int) -> Reply:
    return Reply(status, b"", content_type=None)


def error_reply(err: errors.ApiError, context_id: str) -> Reply:
    return json_reply(err.status, err.body(context_id), headers=err.headers)


def xml_error_reply(err: errors.ApiError, request_id: str) -> Reply:
    """``<Error><Code>…</Code><Message>…</Message>…<RequestId>…</RequestId></Error>`` [inferred shape];
    any error on the media plane (an injected one too) is rendered so."""
    parts = [f"<Code>{escape(err.code)}</Code>", f"<Message>{escape(err.message)}</Message>"]
    parts += [f"<{k}>{escape(v)}</{k}>" for k, v in getattr(err, "extra", {}).items()]
    parts.append(f"<RequestId>{escape(request_id)}</RequestId>")
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) + "</Error>"
    return Reply(err.status, body.encode(), content_type="application/xml", headers=dict(err.headers))


async def read_body(receive: Receive, limit: int) -> bytes:
    """Read the whole body; ``ApiError`` 413 past ``limit`` bytes (uvicorn has no limit)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.request_entity_too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _close(send: Send, abort: bool) -> bool:
    """Close the connection under ``send`` (uvicorn's cycle): ``abort`` discards what is buffered,
    otherwise what was written is flushed first. False when the server gives no transport."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    if abort:
        transport.abort()
    else:
        transport.close()
    cycle.disconnected = True  # type: ignore[union-attr]
    return True


CHUNK_BYTES = 65_536  # a large body goes out in pieces, so a client that goes away is noticed


def _disconnected(send: Send) -> bool:
    return bool(getattr(getattr(send, "__self__", None), "disconnected", False))


async def _send_body(send: Send, body: bytes, last: bool) -> int:
    """Send ``body`` in pieces (the server applies back-pressure between them); the bytes handed
    to the connection before the client went away (a piece during which it went away is not
    counted: it may not have gone out)."""
    if not body:
        if last:
            await send({"type": "http.response.body", "body": b""})
        return 0
    sent = 0
    for at in range(0, len(body), CHUNK_BYTES):
        piece = body[at:at + CHUNK_BYTES]
        more = not last or at + CHUNK_BYTES < len(body)
        await send({"type": "http.response.body", "body": piece, "more_body": more})
        await asyncio.sleep(0)  # let the loop see a lost connection (the server's send may not yield)
        if _disconnected(send):
            return sent
        sent += len(piece)
    return sent


async def _send_stream(send: Send, stream: Stream, limit: int, last: bool) -> int:
    """Send the first ``limit`` bytes of ``stream``, chunk by chunk as it makes them (one chunk in
    memory at a time; the server's write buffer applies back-pressure); the bytes handed to the
    connection, as ``_send_body`` counts them."""
    sent, ended = 0, False
    for chunk in stream.chunks:
        piece = chunk[:limit - sent]
        ended = last and sent + len(piece) >= limit
        if piece or ended:
            await send({"type": "http.response.body", "body": piece, "more_body": not ended})
            await asyncio.sleep(0)  # let the loop see a lost connection (as _send_body)
            if _disconnected(send):
                return sent
        sent += len(piece)
        if sent >= limit:
            break
    if last and not ended:  # an empty body, or a stream shorter than it said (the client sees it cut)
        await send({"type": "http.response.body", "body": b""})
    return sent


async def send_reply(send: Send, reply: Reply) -> tuple[int, bool]:
    """Send ``reply``: (body bytes handed to the connection, whether that was the whole body of
    a connection still open when it was written). A client that dies while the last bytes are in
    flight (socket buffers) cannot be seen from here. A streamed body is released (``close``)
    however the sending ends."""
    try:
        return await _send_reply(send, reply)
    finally:
        reply.close()


async def _send_reply(send: Send, reply: Reply) -> tuple[int, bool]:
    if reply.drop:
        if _close(send, abort=True):
            return 0, False
        raise ConnectionAbortedError("sandbox fault: drop connection")
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
    length = reply.length
    if reply.content_type and length:
        headers.append((b"content-type", reply.content_type.encode()))
    headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    stream = reply.stream
    if reply.truncate_at is not None:
        if stream is not None:
            sent = await _send_stream(send, stream, reply.sent_bytes, last=False)
        else:
            sent = await _send_body(send, reply.body[:reply.sent_bytes], last=False)
        if _close(send, abort=False):
            return sent, False
        raise ConnectionAbortedError("sandbox fault: truncated body")
    if stream is not None:
        sent = await _send_stream(send, stream, length, last=True)
    else:
        sent = await _send_body(send, reply.body, last=True)
    return sent, sent == length and not _disconnected(send)
