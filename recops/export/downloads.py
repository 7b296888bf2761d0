"""One recording's file from a batch's ``resultUrl``, made durable before anyone is told.

``Downloader(http, ...).fetch(url, final)``:

- a plain ``GET`` (no ``Authorization`` header: the URL is signed) on recops's one HTTP stack,
  the transport (``RecopsHttpClient.media``: its connection pool, the media host's own
  connections in it), with the media's own connect/read timeouts and no hidden retries;
- the body is streamed to ``.<name>.part`` in the final file's directory while its SHA-256 is
  computed; the byte count must match ``Content-Length`` (a cut body is an incomplete download);
- then: ``fsync`` the file, ``os.replace`` it onto its final name, ``fsync`` the directory. Only
  after that does the caller record it complete (``recops.export.state``). So a final-named
  file is always whole, and a ``.part`` file is always garbage a later run may delete;
- a 429 or 5xx, a dropped connection, a timeout or a cut body is tried again after the wait the
  transport's ``RetryPolicy`` gives (``Retry-After`` when given, else its exponential backoff;
  a 429 asking for longer than ``max_retry_after`` is not waited out), up to :data:`ATTEMPTS`
  tries in all (a media file is tried more often than an API call: a long transfer is cut more
  often); each wait is reported through the transport (``on_wait``), and a cancel ends it;
- a 403 whose body says the signed link expired (S3's ``<Code>AccessDenied</Code>`` with
  "expired") raises ``LinkExpired``: the caller asks a new batch for the item;
- any other answer raises ``DownloadFailed`` naming the status (never the URL's signature).

The errors (``LinkExpired``, ``DownloadFailed``, ``DownloadCancelled``) are ``recops.genesys.errors``'.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError

from recops.api.settings import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from recops.genesys.errors import DownloadCancelled, DownloadFailed, LinkExpired

if TYPE_CHECKING:
    from recops.api.transport import RecopsHttpClient

CHUNK = 64 * 1024
ATTEMPTS = 6  # tries per file, the first included
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
PART_SUFFIX = ".part"

# contentType -> file extension; what the batch does not say becomes .bin
EXTENSIONS = {
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav",
    "audio/ogg": "ogg", "audio/opus": "opus", "audio/webm": "webm", "video/webm": "webm",
    "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mp4": "m4a", "video/mp4": "mp4",
    "application/json": "json", "text/plain": "txt", "text/html": "html", "message/rfc822": "eml",
}


def extension(content_type: str | None) -> str:
    """The file extension for a ``contentType`` (parameters ignored): audio/wav → wav."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return EXTENSIONS.get(kind, "bin")


def part_path(final: Path) -> Path:
    """The temporary name a download is written under, beside its final name."""
    return final.with_name(f".{final.name}{PART_SUFFIX}")


def is_part(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(PART_SUFFIX)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> tuple[int, str]:
    """(bytes, SHA-256) of a file on disk."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


@dataclass(frozen=True)
class Downloaded:
    path: Path
    bytes: int
    sha256: str
    media_type: str | None
    attempts: int


def expired_link(status: int, body: bytes) -> bool:
    """Does this answer say the signed link expired (S3: 403 AccessDenied, "Request has expired")?"""
    text = body[:4096].decode("utf-8", "replace").lower()
    return status == 403 and "accessdenied" in text and "expired" in text


class Downloader:
    """Fetches result URLs on the transport ``http`` (its pool and its ``RetryPolicy``, with
    :data:`ATTEMPTS` tries); thread-safe: ``connections`` download threads may share it."""

    def __init__(self, http: RecopsHttpClient, *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                 read_timeout: float = DEFAULT_READ_TIMEOUT, attempts: int = ATTEMPTS, connections: int = 4,
                 cancel: Callable[[], bool] = lambda: False) -> None:
        self.http = http
        self.timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self.policy = dataclasses.replace(http.policy, max_attempts=max(1, attempts))
        self.connections = connections
        self.cancel = cancel

    def fetch(self, url: str, final: Path) -> Downloaded:
        """Download ``url`` to ``final`` durably (see the module's doc); raises ``LinkExpired``,
        ``DownloadFailed`` or ``DownloadCancelled``."""
        where = urlsplit(url).path  # never the query: it carries the signature
        attempt = 0
        while True:
            attempt += 1
            self._check()
            try:
                return self._once(url, final, attempt)
            except _Retry as retry:
                wait = self.policy.wait(attempt, "GET", where, retry.status, retry.headers)
                if wait is None:
                    raise DownloadFailed(f"download of {where} failed after {attempt} tries: {retry.why}",
                                         retry.status, where) from None
                self.http.wait_out(wait, self._sleep)

    def _once(self, url: str, final: Path, attempt: int) -> Downloaded:
        part = part_path(final)
        try:
            resp = self.http.media(url, timeout=self.timeout, connections=self.connections)
        except HTTPError as e:
            raise _Retry(f"no answer ({type(e).__name__})") from None
        done = False
        try:
            status = resp.status
            if status != 200:
                body = resp.read(8192) if status in (403, 404) else b""
                if expired_link(status, body):
                    raise LinkExpired(urlsplit(url).path)
                if status in RETRY_STATUSES:
                    after = resp.headers.get("Retry-After")
                    raise _Retry(f"HTTP {status}" + (f" (Retry-After: {after})" if after is not None else ""),
                                 status, resp.headers)
                raise DownloadFailed(f"download of {urlsplit(url).path} answered HTTP {status}", status,
                                     urlsplit(url).path)
            media_type = resp.headers.get("Content-Type")
            announced = resp.headers.get("Content-Length")
            digest = hashlib.sha256()
            size = 0
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(part, "wb") as fh:
                    for chunk in resp.stream(CHUNK):
                        if self.cancel():
                            raise DownloadCancelled
                        fh.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                    if announced is not None and announced.isdigit() and int(announced) != size:
                        raise _Retry(f"incomplete body ({size} of {announced} bytes)")
                    fh.flush()
                    os.fsync(fh.fileno())
            except (HTTPError, OSError) as e:
                _remove(part)
                if isinstance(e, OSError) and not isinstance(e, (ConnectionError, TimeoutError)):
                    raise DownloadFailed(f"cannot write {part}: {e.strerror or e}") from None
                raise _Retry(f"connection cut mid-body ({type(e).__name__})") from None
            except BaseException:
                _remove(part)
                raise
            os.replace(part, final)
            fsync_dir(final.parent)
            done = True
            return Downloaded(final, size, digest.hexdigest(), media_type, attempt)
        finally:
            if not done:
                resp.close()  # unread or cut: its connection is closed, never reused as it is
            resp.release_conn()  # read to its end: the connection serves the next file; else its slot

    def _check(self) -> None:
        if self.cancel():
            raise DownloadCancelled

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self._check()
            time.sleep(min(0.1, left))
        self._check()


class _Retry(Exception):
    """A try that may be repeated: why, and the answer's status and headers (None: no answer)."""

    def __init__(self, why: str, status: int | None = None, headers: Any = None) -> None:
        super().__init__(why)
        self.why = why
        self.status = status
        self.headers = headers


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
