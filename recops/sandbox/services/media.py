"""Recording media: the one WAV generator, a recording's file state, and the media host.

**The WAV** (``wav``): 8 kHz, 8-bit, mono PCM, ``44 + samples`` bytes, as long as the
recording's media (``annotations.media_ms``: paused time cut out unless ``pausedMediaRemoved``
is ``kept``), capped by the ``mediaMaxSeconds`` setting (0: no cap; a sandbox sizing choice).
The samples are a quiet tone whose period, amplitude and phase derive from the recording id,
led by 32 samples carrying the id's hash, so every recording's bytes (and SHA-256) differ while
staying deterministic.
The control plane's ``GET /_sandbox/media/{cid}/{rid}.wav`` and the media host serve these
same bytes, so a test can hash the truth. A body is built from one cached cycle by slicing,
never sample by sample.

**The media host** (plane ``media``, path ``/media/batch/{jobId}/{conversationId}/{recordingId}.wav``):
what a batch download's ``resultUrl`` points at, on the sandbox's own origin. The URL is signed
S3-style (``?Expires=<epoch seconds>&Signature=<hex HMAC-SHA256 of path and Expires>``, with a
secret drawn once per process) and carries no bearer token, as a presigned URL carries none
[inferred]; so the media plane has faults, latency and the request log but no authentication
and no per-token rate limit. Its errors are S3-style XML [inferred: the real host and its
error bodies are not documented]: a missing or wrong signature 403 ``SignatureDoesNotMatch``,
an expired link (sandbox clock) 403 ``AccessDenied`` "Request has expired", a recording that
is gone (reset, deleted or archived since) 404 ``NoSuchKey``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import secrets
import struct
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote

from ..http.routes import Row
from ..http.wire import Reply, Request
from ..model.clock import iso
from ..model.errors import ApiError, s3_error
from ..model.models import Conversation, Recording
from .annotations import AnnotationRules, media_ms

if TYPE_CHECKING:
    from ..model.state import SandboxState

RATE = 8000  # samples per second, 8-bit mono: one byte per sample
HEADER_BYTES = 44
CONTENT_TYPE = "audio/wav"  # the real contentType is the trunk's codec [documented]; the sandbox serves WAV
MEDIA_PREFIX = "/media/batch"

_SECRET = secrets.token_bytes(32)  # signs result URLs; per process, never shown


# --- the WAV ---------------------------------------------------------------------------------------


def samples_for(duration_ms: int, max_seconds: float = 0) -> int:
    """Samples (= data bytes) of a WAV for ``duration_ms`` of media, capped at ``max_seconds`` (0: none)."""
    n = RATE * max(0, duration_ms) // 1000
    if max_seconds > 0:
        n = min(n, int(RATE * max_seconds))
    return n


def size_for(duration_ms: int, max_seconds: float = 0) -> int:
    """Bytes of the served WAV (``Recording.outputSizeInBytes``)."""
    return HEADER_BYTES + samples_for(duration_ms, max_seconds)


FINGERPRINT = 32  # leading samples that carry the recording id's hash (inaudible: 124..131)


@functools.lru_cache(maxsize=1024)
def _cycle(period: int, amplitude: int) -> bytes:
    """One period of a quiet sine tone around the 8-bit midpoint 128."""
    return bytes(128 + round(amplitude * math.sin(2 * math.pi * k / period)) for k in range(period))


def wav_bytes(recording_id: str, duration_ms: int, max_seconds: float = 0) -> bytes:
    """The deterministic WAV of one recording: a quiet tone (200-800 Hz, period, amplitude and
    phase from the id's hash) whose first 32 samples are the hash itself, nudged by at most 4
    steps (96 bits of the hash), so two recordings do not share bytes (from 4 ms of media on)."""
    n = samples_for(duration_ms, max_seconds)
    header = b"RIFF" + struct.pack("<I", 36 + n) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE, 1, 8)
    header += b"data" + struct.pack("<I", n)
    if n == 0:
        return header
    digest = hashlib.sha256(recording_id.encode()).digest()
    h = int.from_bytes(digest[:8], "big")
    cycle = _cycle(10 + h % 31, 3 + (h >> 5) % 12)
    phase = (h >> 9) % len(cycle)
    tone = (cycle * ((phase + n) // len(cycle) + 1))[phase:phase + n]
    k = min(n, FINGERPRINT)
    fingerprint = bytes(124 + (b & 7) for b in digest[:k])
    return header + fingerprint + tone[k:]


def recording_media_ms(state: SandboxState, conv: Conversation, rec: Recording) -> int:
    """The length of ``rec``'s media now, under the current assumptions (read under the state lock)."""
    return media_ms(conv, rec, state.clock.now(), AnnotationRules.from_settings(state.settings))


# --- file state ------------------------------------------------------------------------------------


def file_state(conv: Conversation, rec: Recording, now: float, transcoding_delay: float) -> str:
    """``ARCHIVED``/``DELETED`` when marked so, else ``AVAILABLE`` once the conversation ended plus
    the transcoding delay [inferred timing], else ``UPLOADING``."""
    if rec.file_state is not None:
        return rec.file_state
    ready = conv.ready_at(transcoding_delay)
    return "AVAILABLE" if ready is not None and now >= ready else "UPLOADING"


def find_conversation(state: SandboxState, conversation_id: str,
                      recording_id: str | None = None) -> Conversation | None:
    """A conversation of any org, materialised or generated; with ``recording_id``, the one that
    has that recording (in a training room every seat has the same conversation ids)."""
    for org in list(state.orgs):
        conv = state.conversation(org, conversation_id)
        if conv is not None and (recording_id is None or conv.recording(recording_id) is not None):
            return conv
    return None


# --- signed URLs -----------------------------------------------------------------------------------


def _signature(path: str, expires: int) -> str:
    return hmac.new(_SECRET, f"GET\n{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def media_path(job_id: str, conversation_id: str, recording_id: str) -> str:
    job, conv, rec = (quote(x, safe="") for x in (job_id, conversation_id, recording_id))
    return f"{MEDIA_PREFIX}/{job}/{conv}/{rec}.wav"


def signed_url(base_url: str, job_id: str, conversation_id: str, recording_id: str, expires: int) -> str:
    path = media_path(job_id, conversation_id, recording_id)
    return f"{base_url}{path}?Expires={expires}&Signature={_signature(path, expires)}"


# --- the media host --------------------------------------------------------------------------------


class MediaHost:
    """``GET /media/batch/{jobId}/{cid}/{file}``: verify the signature, then the expiry (sandbox
    clock), then serve the recording's WAV."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def download(self, req: Request) -> Reply:
        expires_text, signature = req.q("Expires"), req.q("Signature")
        path = media_path(req.params["jobId"], req.params["cid"], req.params["file"].removesuffix(".wav"))
        good = (expires_text is not None and expires_text.isdigit() and signature is not None
                and req.params["file"].endswith(".wav")
                and hmac.compare_digest(signature.encode("latin-1", "replace"),
                                        _signature(path, int(expires_text)).encode()))
        if not good:
            raise s3_error(403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature you provided.")
        now = self.state.clock.now()
        assert expires_text is not None
        if now > int(expires_text):
            raise s3_error(403, "AccessDenied", "Request has expired",
                           Expires=iso(int(expires_text)), ServerTime=iso(now))
        rid = req.params["file"].removesuffix(".wav")
        with self.state.lock:
            conv = find_conversation(self.state, req.params["cid"], rid)
            rec = conv.recording(rid) if conv is not None else None
            if conv is None or rec is None or rec.file_state in ("ARCHIVED", "DELETED") or rec.end is None:
                raise s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=path.lstrip("/"))
            ms = recording_media_ms(self.state, conv, rec)
        return Reply(200, wav_bytes(rid, ms, self.state.settings.media_max_seconds), content_type=CONTENT_TYPE)

    # signed result URLs, no bearer token (the media plane, http/routes.py)
    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", "media/batch/{jobId}/{cid}/{file}", download),
    )


def no_such_key(req: Request, routes: object) -> ApiError:
    """404 of an unknown media-host path."""
    return s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=req.path.lstrip("/"))
