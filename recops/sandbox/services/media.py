"""Recording media: the one WAV generator, a recording's file state, and the media host.

**The WAV** (``wav``): 8 kHz, 8-bit, mono PCM, ``44 + samples`` bytes, as long as the
recording's media (``annotations.media_ms``: paused time cut out unless ``pausedMediaRemoved``
is ``kept``), capped by the ``mediaMaxSeconds`` setting (0: no cap; a sandbox sizing choice).
The samples are a quiet tone whose period, amplitude and phase derive from the recording id,
led by 32 samples carrying the id's hash, so every recording's bytes (and SHA-256) differ while
staying deterministic.
The control plane's ``GET /_sandbox/media/{cid}/{rid}.wav`` and the media host serve these
same bytes, so a test can hash the truth. A body is built from one cached cycle by slicing,
never sample by sample. Both stream it (``wav_chunks``: 64 KiB at a time, the same bytes as
``wav_bytes``, with the Content-Length up front), so a download holds one chunk, not the file.

**The media host** (plane ``media``, path ``/media/batch/{jobId}/{conversationId}/{recordingId}.wav``):
what a batch download's ``resultUrl`` points at, on the sandbox's own origin. The URL is signed
S3-style (``?Expires=<epoch seconds>&Signature=<hex HMAC-SHA256 of path and Expires>``, with a
secret drawn once per process) and carries no bearer token, as a presigned URL carries none
[inferred]; so the media plane has faults, latency and the request log but no authentication
and no per-token rate limit. Its errors are S3-style XML [inferred: the real host and its
error bodies are not documented]: a missing or wrong signature 403 ``SignatureDoesNotMatch``,
an expired link (sandbox clock) 403 ``AccessDenied`` "Request has expired", a recording that
is gone (reset, deleted or archived since) 404 ``NoSuchKey``.

**Downloads in flight** are bounded per org (the ``mediaDownloadsPerOrg`` setting; 0, a plain
sandbox's default: no bound; a training room: 4 [room's own choice]), on the media host and the
control plane's media together; the org of a signed link is its job's. Past the bound: 429
``TooManyRequests`` with ``Retry-After: 1`` [inferred shape: what the real host answers is
not documented], never a 5xx.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import secrets
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote

from ..http.routes import Row
from ..http.wire import CHUNK_BYTES, Reply, Request, Stream
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
BUSY_RETRY_AFTER = 1  # seconds a download refused for the org's bound is told to wait [room's own choice]

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


def _wav_parts(recording_id: str, n: int) -> tuple[bytes, bytes, bytes, int]:
    """(header, fingerprint, tone cycle, phase) of an ``n``-sample WAV: data byte ``j`` is
    ``fingerprint[j]`` for ``j < len(fingerprint)``, else ``cycle[(phase + j) % len(cycle)]``."""
    header = b"RIFF" + struct.pack("<I", 36 + n) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE, 1, 8)
    header += b"data" + struct.pack("<I", n)
    if n == 0:
        return header, b"", b"", 0
    digest = hashlib.sha256(recording_id.encode()).digest()
    h = int.from_bytes(digest[:8], "big")
    cycle = _cycle(10 + h % 31, 3 + (h >> 5) % 12)
    fingerprint = bytes(124 + (b & 7) for b in digest[:min(n, FINGERPRINT)])
    return header, fingerprint, cycle, (h >> 9) % len(cycle)


def wav_bytes(recording_id: str, duration_ms: int, max_seconds: float = 0) -> bytes:
    """The deterministic WAV of one recording: a quiet tone (200-800 Hz, period, amplitude and
    phase from the id's hash) whose first 32 samples are the hash itself, nudged by at most 4
    steps (96 bits of the hash), so two recordings do not share bytes (from 4 ms of media on).
    Whole, in memory: what serves a download is ``wav_chunks`` (the same bytes)."""
    n = samples_for(duration_ms, max_seconds)
    header, fingerprint, cycle, phase = _wav_parts(recording_id, n)
    if n == 0:
        return header
    tone = (cycle * ((phase + n) // len(cycle) + 1))[phase:phase + n]
    return header + fingerprint + tone[len(fingerprint):]


def wav_chunks(recording_id: str, duration_ms: int, max_seconds: float = 0,
               chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """``wav_bytes`` in pieces of ``chunk_bytes`` (the last one shorter), each made when asked
    for: the tone is sliced from one run of the cycle a little longer than a chunk."""
    n = samples_for(duration_ms, max_seconds)
    header, fingerprint, cycle, phase = _wav_parts(recording_id, n)
    head = header + fingerprint  # everything before the tone
    total = HEADER_BYTES + n
    period = len(cycle) or 1
    run = cycle * (chunk_bytes // period + 2)
    at = 0
    while at < total:
        end = min(total, at + chunk_bytes)
        piece = head[at:end]
        tone_from = max(at, len(head))
        if end > tone_from:
            start = (phase + tone_from - HEADER_BYTES) % period
            piece += run[start:start + end - tone_from]
        yield piece
        at = end


class DownloadsBusy(Exception):
    """All of an org's download slots are taken (``mediaDownloadsPerOrg``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def wav_reply(state: SandboxState, org: str, recording_id: str, ms: int) -> Reply:
    """200 with the recording's WAV streamed, holding one of ``org``'s download slots until the
    body is sent or abandoned; ``DownloadsBusy`` when none is free."""
    if not state.take_download_slot(org):
        raise DownloadsBusy(state.settings.media_downloads_per_org)
    max_seconds = state.settings.media_max_seconds
    stream = Stream(size_for(ms, max_seconds), wav_chunks(recording_id, ms, max_seconds),
                    on_close=lambda: state.give_download_slot(org))
    return Reply(200, content_type=CONTENT_TYPE, stream=stream)


def recording_media_ms(state: SandboxState, conv: Conversation, rec: Recording) -> int:
    """The length of ``rec``'s media now, under the current assumptions (read under the state lock)."""
    return media_ms(conv, rec, state.clock.now(), AnnotationRules.from_settings(state.settings))


# --- file state ------------------------------------------------------------------------------------


def file_state(conv: Conversation, rec: Recording, now: float, transcoding_delay: float,
               protected: bool = False, restore_seconds: float = 0.0) -> str:
    """A recording's ``fileState`` on the sandbox clock:

    - a state the control plane (``PATCH /_sandbox/.../recordings/{rid}``) or a seed marked wins (an
      ARCHIVED mark still becomes DELETED when a delete date passes);
    - ``UPLOADING`` until the conversation ended plus the transcoding delay [inferred timing];
    - ``DELETED`` once ``deleteDate`` passed, unless the conversation is ``protected`` (legal hold
      overrides a delete date while in place [documented]);
    - after a restore (a new archiveDate on an ARCHIVED recording, services/recordings.py):
      ``RESTORING`` for ``restore_seconds`` (setting ``restoreSeconds``), then ``RESTORED`` until
      the new archiveDate (its ``restoreExpirationTime``), then ``ARCHIVED`` again [§2.1; timing unknown];
    - ``ARCHIVED`` once ``archiveDate`` passed; else ``AVAILABLE``.
    """
    if rec.file_state not in (None, "ARCHIVED"):
        return rec.file_state
    deleted = rec.delete_date is not None and now >= rec.delete_date and not protected
    if rec.file_state == "ARCHIVED":  # an archived mark still follows a delete date that passes
        return "DELETED" if deleted else "ARCHIVED"
    ready = conv.ready_at(transcoding_delay)
    if ready is None or now < ready:
        return "UPLOADING"
    if deleted:
        return "DELETED"
    if rec.restored_at is not None:
        if now < rec.restored_at + restore_seconds:
            return "RESTORING"
        if rec.archive_date is None or now < rec.archive_date:
            return "RESTORED"
        return "ARCHIVED"
    if rec.archive_date is not None and now >= rec.archive_date:
        return "ARCHIVED"
    return "AVAILABLE"


def live_file_state(state: SandboxState, conv: Conversation, rec: Recording) -> str:
    """``file_state`` now, with the conversation's legal hold and the restore setting (under the lock)."""
    return file_state(conv, rec, state.clock.now(), state.settings.transcoding_delay_seconds,
                      state.is_protected(conv.org, conv.id), state.settings.restore_seconds)


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


def signed_query(path: str, expires: int) -> str:
    """The query that signs ``path`` until ``expires`` (epoch seconds), S3 style."""
    return f"Expires={expires}&Signature={_signature(path, expires)}"


def check_signature(req: Request, path: str) -> int:
    """The ``Expires`` of a request for the ``.wav`` at ``path`` whose signature is good; else the
    403 ``SignatureDoesNotMatch`` S3 answers. Whether it has expired is the caller's to say."""
    expires_text, signature = req.q("Expires"), req.q("Signature")
    good = (expires_text is not None and expires_text.isdigit() and signature is not None
            and req.params["file"].endswith(".wav")
            and hmac.compare_digest(signature.encode("latin-1", "replace"),
                                    _signature(path, int(expires_text)).encode()))
    if not good:
        raise s3_error(403, "SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you provided.")
    assert expires_text is not None
    return int(expires_text)


def media_path(job_id: str, conversation_id: str, recording_id: str) -> str:
    job, conv, rec = (quote(x, safe="") for x in (job_id, conversation_id, recording_id))
    return f"{MEDIA_PREFIX}/{job}/{conv}/{rec}.wav"


def signed_url(base_url: str, job_id: str, conversation_id: str, recording_id: str, expires: int) -> str:
    path = media_path(job_id, conversation_id, recording_id)
    return f"{base_url}{path}?{signed_query(path, expires)}"


# --- the media host --------------------------------------------------------------------------------


class MediaHost:
    """``GET /media/batch/{jobId}/{cid}/{file}``: verify the signature, then the expiry (sandbox
    clock), then stream the recording's WAV within the job's org's download bound."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def download(self, req: Request) -> Reply:
        path = media_path(req.params["jobId"], req.params["cid"], req.params["file"].removesuffix(".wav"))
        expires = check_signature(req, path)
        now = self.state.clock.now()
        if now > expires:
            raise s3_error(403, "AccessDenied", "Request has expired", Expires=iso(expires), ServerTime=iso(now))
        rid = req.params["file"].removesuffix(".wav")
        with self.state.lock:
            org = job_org(self.state, req.params["jobId"])
            conv = self.state.conversation(org, req.params["cid"]) if org is not None else None
            if conv is None or conv.recording(rid) is None:  # the job is gone (reset): any org's copy
                conv = find_conversation(self.state, req.params["cid"], rid)
            rec = conv.recording(rid) if conv is not None else None
            if conv is None or rec is None or rec.end is None \
                    or live_file_state(self.state, conv, rec) not in ("AVAILABLE", "RESTORED"):
                raise s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=path.lstrip("/"))
            ms = recording_media_ms(self.state, conv, rec)
        try:
            return wav_reply(self.state, org or conv.org, rid, ms)
        except DownloadsBusy as busy:
            err = s3_error(429, "TooManyRequests",
                           f"Too many downloads at once: at most {busy.limit} per seat. Retry after "
                           f"{BUSY_RETRY_AFTER} s.")
            err.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
            raise err from None

    # signed result URLs, no bearer token (the media plane, http/routes.py)
    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", "media/batch/{jobId}/{cid}/{file}", download),
    )


def job_org(state: SandboxState, job_id: str) -> str | None:
    """The org whose batch job ``job_id`` is (None once a reset forgot it); under the state lock."""
    return next((o.name for o in state.orgs.values() if job_id in o.batch_jobs), None)


def no_such_key(req: Request, routes: object) -> ApiError:
    """404 of an unknown media-host path."""
    return s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=req.path.lstrip("/"))
