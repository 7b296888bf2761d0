"""Recording batch downloads: ``POST /api/v2/recording/batchrequests`` and
``GET /api/v2/recording/batchrequests/{jobId}`` [documented: S269, D257, CLI, SW18 codes].

A job's results are planned once, at submission, from the state then: one result per
recording for a conversation-only item, the named recording for an item with a
``recordingId``, in submission order. Results then appear over the
``batchDownloadDelaySeconds`` setting (sandbox clock; result *i* of *n* at
``submitted + delay * (i + 1) / n``) [inferred timing]; ``status`` is ``InProgress`` until
all have appeared, then ``Completed``. Each ``resultUrl`` is a signed media-host URL
(media.py) that expires ``batchDownloadUrlTtlSeconds`` after its result appeared.
``expectedResultCount`` follows the ``batchExpectedResultCount`` assumption, ``contentType``
the ``batchContentType`` one (audio/wav for all, the file served, or by the recording's media).

Only the submitting principal may read a job: the client id for a client-credentials token,
the user id for a user token (403 ``batch.download.permission.denied``); another org's job is
unknown (404 ``batch.download.job.not.found``). Jobs live in their org, so a reset forgets them.

``errorMsg`` wordings are the sandbox's [inferred]: archived recordings give only an error
[documented: TUT]; deleted ones, recordings still recording or transcoding, unknown
recordings, an unknown (or another org's) conversation and a conversation without
recordings give one error result each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors
from ..model import permissions as perms
from ..model.errors import ApiError
from ..model.models import Conversation, Token, new_id
from .base import ApiHandlers
from .media import CONTENT_TYPE, live_file_state, signed_url
from .render import PLAYABLE

# batchContentType = byMedia: Recording.media -> contentType [inferred: audio is what the sandbox
# serves; email EML and chat/messaging ZIP as get_recording's emailFormatId/messageFormatId; screen WebM]
CONTENT_TYPES = {"audio": CONTENT_TYPE, "screen": "video/webm", "email": "message/rfc822",
                 "chat": "application/zip", "messaging": "application/zip"}


def content_type(media: str) -> str:
    return CONTENT_TYPES.get(media, CONTENT_TYPE)


MAX_ITEMS = 100  # "List of up to 100 items requested" [documented]
SELF = "/api/v2/recording/batchrequests"

ERROR_MESSAGES = {  # errorMsg per reason [inferred wording]
    "conversation": "Conversation not found",
    "recording": "Recording not found",
    "none": "No recordings found for conversation",
    "ARCHIVED": "Recording is archived and cannot be downloaded",
    "DELETED": "Recording has been deleted",
    "UPLOADING": "Recording is not available yet (still recording or transcoding)",
    "RESTORING": "Recording is being restored from the archive; try again later",
}


def too_many_items() -> ApiError:
    return ApiError(400, "batch.download.too.many.items", "Too many items requested, max 100 allowed")


def bad_batch_request() -> ApiError:
    return ApiError(400, "batch.download.bad.request", "Request list is required and must not be empty")


def permission_denied() -> ApiError:
    return ApiError(403, "batch.download.permission.denied", "Only user that initiated the job can request results")


def job_not_found() -> ApiError:
    return ApiError(404, "batch.download.job.not.found", "The requested job is unknown")


def principal(token: Token) -> str:
    """Who may read a job: the client id (client credentials) or the user id (user token)."""
    return (token.user_id if token.is_user else token.client_id) or ""


@dataclass
class PlannedResult:
    item: int  # index of the submitted item it answers
    conversation_id: str
    recording_id: str | None = None
    error: str | None = None  # errorMsg, or None for a resultUrl
    media: str = "audio"  # Recording.media of the result (its contentType under batchContentType byMedia)


@dataclass
class BatchJob:
    id: str
    org: str
    principal: str
    submitted: float
    delay: float
    ttl: int
    base_url: str
    items: int
    results: list[PlannedResult] = field(default_factory=list)
    by_media: bool = False  # batchContentType: byMedia (else audio/wav for every result)

    def processed_at(self, i: int) -> float:
        return self.submitted + self.delay * (i + 1) / len(self.results)

    def processed(self, now: float) -> int:
        """How many results have appeared by ``now``."""
        n = len(self.results)
        if self.delay <= 0 or now >= self.submitted + self.delay:
            return n
        return max(0, min(n, math.floor((now - self.submitted) * n / self.delay + 1e-9)))

    def expected(self, done: int, rule: str) -> int:
        if rule == "known":
            return len(self.results)
        seen = {r.item for r in self.results[:done]}
        return done + sum(1 for r in self.results[done:] if r.item in seen) + (self.items - len(seen))

    def wire(self, now: float, rule: str) -> dict[str, Any]:
        done = self.processed(now)
        rendered = [self._result(i, r) for i, r in enumerate(self.results[:done])]
        return {
            "id": self.id, "jobId": self.id,
            "expectedResultCount": self.expected(done, rule),
            "resultCount": done,
            "errorCount": sum(1 for r in self.results[:done] if r.error is not None),
            "status": "Completed" if done == len(self.results) else "InProgress",
            "results": rendered,
            "selfUri": f"{SELF}/{self.id}",
        }

    def _result(self, i: int, r: PlannedResult) -> dict[str, Any]:
        out: dict[str, Any] = {"conversationId": r.conversation_id}
        if r.recording_id is not None:
            out["recordingId"] = r.recording_id
        if r.error is not None:
            out["errorMsg"] = r.error
            return out
        assert r.recording_id is not None
        expires = math.ceil(self.processed_at(i) + self.ttl)
        out["resultUrl"] = signed_url(self.base_url, self.id, r.conversation_id, r.recording_id, expires)
        out["contentType"] = content_type(r.media) if self.by_media else CONTENT_TYPE
        return out


def parse_items(body: Any) -> list[tuple[str, str | None]]:
    """``[(conversationId, recordingId|None)]`` of a ``BatchDownloadJobSubmission`` body."""
    if not isinstance(body, dict):
        raise errors.bad_request("The body must be a BatchDownloadJobSubmission object.")
    items = body.get("batchDownloadRequestList")
    if items is None or items == []:
        raise bad_batch_request()
    if not isinstance(items, list):
        raise errors.invalid_value(type(items).__name__, "batchDownloadRequestList", ["a list"])
    if len(items) > MAX_ITEMS:
        raise too_many_items()
    out: list[tuple[str, str | None]] = []
    for item in items:
        if not isinstance(item, dict):
            raise errors.bad_request("Each batchDownloadRequestList item must be a BatchDownloadRequest object.")
        cid, rid = item.get("conversationId"), item.get("recordingId")
        if not isinstance(cid, str) or not cid:  # which code the real API uses is [unknown]
            raise bad_batch_request()
        if rid is not None and (not isinstance(rid, str) or not rid):
            raise errors.invalid_value(rid, "recordingId", ["a recording id"])
        out.append((cid, rid))
    return out


class BatchDownloadApi(ApiHandlers):
    """The two ``/api/v2/recording/batchrequests`` routes."""

    def batch_submit(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        items = parse_items(req.json())
        settings = self.state.settings
        with self.state.lock:
            now = self.state.clock.now()
            job = BatchJob(id=new_id(), org=token.org, principal=principal(token), submitted=now,
                           delay=settings.batch_download_delay_seconds,
                           ttl=settings.batch_download_url_ttl_seconds, base_url=req.base_url, items=len(items),
                           by_media=settings.assumption("batchContentType") == "byMedia")
            for index, (cid, rid) in enumerate(items):
                job.results += self._plan(index, token.org, cid, rid, now)
            self.state.add_batch_job(job)
        return json_reply(200, {"id": job.id, "selfUri": f"{SELF}/{job.id}"})

    def batch_status(self, req: Request) -> Reply:
        token = req.bearer  # "Requires no permissions" [documented]
        with self.state.lock:
            job = self.state.org(token.org).batch_jobs.get(req.params["jobId"])
            if job is None:
                raise job_not_found()
            if job.principal != principal(token):
                raise permission_denied()
            return json_reply(200, job.wire(self.state.clock.now(), self.state.settings.assumption(
                "batchExpectedResultCount")))

    def _plan(self, index: int, org: str, cid: str, rid: str | None, now: float) -> list[PlannedResult]:
        conv = self.state.conversation(org, cid)  # another org's conversation is unknown
        if conv is None:
            return [PlannedResult(index, cid, rid, ERROR_MESSAGES["conversation"])]
        if rid is not None:
            rec = conv.recording(rid)
            if rec is None:
                return [PlannedResult(index, cid, rid, ERROR_MESSAGES["recording"])]
            return [self._outcome(index, conv, rec.id, now)]
        if not conv.recordings:
            return [PlannedResult(index, cid, None, ERROR_MESSAGES["none"])]
        return [self._outcome(index, conv, rec.id, now) for rec in conv.recordings]

    def _outcome(self, index: int, conv: Conversation, rid: str, now: float) -> PlannedResult:
        rec = conv.recording(rid)
        assert rec is not None
        state = live_file_state(self.state, conv, rec)
        return PlannedResult(index, conv.id, rid, ERROR_MESSAGES.get(state) if state not in PLAYABLE else None,
                             rec.media)

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("POST", "api/v2/recording/batchrequests", batch_submit),
        Row("GET", "api/v2/recording/batchrequests/{jobId}", batch_status),
    )
