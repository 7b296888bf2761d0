"""Orphan recordings (``/api/v2/orphanrecordings``; the facts: docs/genesys-api.md and the shared
lifecycle sheet §4; the choices: docs/sandbox.md §6, assumptions ``orphan*``).

- ``GET /api/v2/orphanrecordings``: ``pageSize`` (25; at most the ``orphanPageSizeMax`` assumption),
  ``pageNumber`` (1), ``sortBy`` (``createdTime`` or ``id``: the values are [unknown]), ``expand``
  (accepted and ignored: no values are documented), ``nextPage``/``previousPage`` (a page number, the
  sandbox's token), ``hasConversation`` (default false), ``media`` (``Call`` | ``Screen``). Without
  ``hasConversation=true`` the list holds at most 500 orphans [documented]; which ones
  ``hasConversation=true`` lists is the ``orphanHasConversation`` assumption. Needs ``recording:orphan:view``.
- ``GET …/{orphanId}``: the ``OrphanRecording``; ``GET …/{orphanId}/media``: 202 with the ``Recording``
  while its media transcodes (the ``orphanMediaTranscode`` assumption), then 200 with a media URI the
  sandbox serves (``/media/orphans/{orphanId}/{recordingId}.wav``, signed like a batch result).
- ``PUT …/{orphanId}`` (``recording:orphan:edit``, else 403
  ``recording.orphan.edit.permission.check.failed``): an ``OrphanUpdateRequest``; the dates must be
  more than a day ahead (``deleteDate`` after the others), ``exportDate`` needs ``integrationId``, else
  400 ``recording.orphan.retention.data.invalid``; the conversation (given, else the one the orphan
  names) must exist, else 400 ``recording.orphan.unknown.conversation`` [documented codes and messages,
  2018]. The orphan becomes that conversation's recording (the same id) and ceases to exist: 200 with
  the ``Recording``.
- ``DELETE …/{orphanId}`` (``recording:orphan:delete``): 200 with the ``OrphanRecording`` it was.

After a PUT or DELETE the orphan answers 404 ``not.found`` (the ``orphanAfterRemoval`` assumption).
A scenario's orphans are objects of the org; a generated history's are computed from its index
(``seeds/history.py``) and only their removal is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors
from ..model import permissions as perms
from ..model.clock import iso, parse_iso
from ..model.errors import ApiError, s3_error
from ..model.models import Recording, Token
from ..model.orphans import Orphan
from . import render
from .base import ApiHandlers, bool_param, positive_int
from .media import DownloadsBusy, check_signature, file_state, signed_query, wav_reply
from .recordings import FORMAT_IDS

if TYPE_CHECKING:
    from ..model.state import SandboxState

VIEW = ("recording:orphan:view",)
EDIT = "recording:orphan:edit"
DELETE = ("recording:orphan:delete",)
LIST_CAP = 500  # without hasConversation=true [documented, SDK 269]
TRANSCODE_SECONDS = 5.0  # media 202 this long after the first request (orphanMediaTranscode: firstRequest)
URL_TTL_SECONDS = 3600
DAY = 86400.0
SORT_KEYS = ("createdTime", "id")
MEDIA = {"Call": "CALL", "Screen": "SCREEN"}


def _error(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, code, message)


def retention_invalid() -> ApiError:
    return _error(400, "recording.orphan.retention.data.invalid", "The provided dates in the payload were invalid.")


def unknown_conversation() -> ApiError:
    return _error(400, "recording.orphan.unknown.conversation",
                  "The provided conversation in the payload doesn't exist.")


def edit_forbidden() -> ApiError:
    return _error(403, "recording.orphan.edit.permission.check.failed",
                  "Requesting user lacks permission to perform this api operation.")


def _media_path(orphan_id: str, recording_id: str) -> str:
    return f"/media/orphans/{quote(orphan_id, safe='')}/{quote(recording_id, safe='')}.wav"


def find_orphan(state: SandboxState, org: str, orphan_id: str) -> Orphan | None:
    """Orphan ``orphan_id`` of ``org``: a scenario's, else a generated history's (built for this read)."""
    o = state.orgs.get(org)
    if o is None:
        return None
    found = o.orphans.get(orphan_id)
    if found is not None:
        return found
    if orphan_id in o.orphans_gone:
        return None
    for h in o.histories:
        orphan = h.orphan(orphan_id)
        if orphan is not None:
            return orphan
    return None


class OrphansApi(ApiHandlers):
    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self._transcoding: dict[tuple[str, str], float] = {}  # (org, orphan id) -> media ready at (clock)

    # --- finding orphans ----------------------------------------------------------------------

    def _find(self, org: str, orphan_id: str) -> Orphan | None:
        return find_orphan(self.state, org, orphan_id)

    def _get(self, token: Token, orphan_id: str) -> Orphan:
        orphan = self._find(token.org, orphan_id)
        if orphan is None:
            if self.state.settings.assumption("orphanAfterRemoval") == "gone" and self._was(token.org, orphan_id):
                raise _error(410, "gone", "The orphan recording no longer exists: it was deleted or attached.")
            raise errors.not_found()
        return orphan

    def _was(self, org: str, orphan_id: str) -> bool:
        o = self.state.orgs.get(org)
        return o is not None and orphan_id in o.orphans_gone

    def _keys(self, org: str) -> list[tuple[float, str]]:
        """(createdTime, id) of every orphan of ``org``, none built."""
        o = self.state.orgs.get(org)
        if o is None:
            return []
        keys = [(x.created, x.id) for x in o.orphans.values()]
        for h in o.histories:
            keys += [k for k in h.orphan_keys() if k[1] not in o.orphans_gone]
        return keys

    # --- rendering ----------------------------------------------------------------------------

    def _recording(self, orphan: Orphan, base_url: str, fmt: str, ready: bool) -> dict[str, Any]:
        rec = orphan.recording
        out: dict[str, Any] = {"id": rec.id, "media": "audio" if orphan.media_type == "CALL" else "screen",
                               "fileState": "AVAILABLE" if ready else "UPLOADING",
                               "recordingFileRole": rec.role, "creationTime": iso(rec.start)}
        if rec.conversation_id:
            out["conversationId"] = rec.conversation_id
        if rec.end is not None:
            out["startTime"], out["endTime"] = iso(rec.start), iso(rec.end)
        if ready and fmt != "NONE" and rec.end is not None:
            expires = int(self.state.clock.now() + URL_TTL_SECONDS)
            path = _media_path(orphan.id, rec.id)
            out["mediaUris"] = {"S": {"mediaUri": f"{base_url}{path}?{signed_query(path, expires)}"}}
            out["outputDurationMs"] = int((rec.end - rec.start) * 1000)
        else:
            out["estimatedTranscodeTimeMs"] = int(TRANSCODE_SECONDS * 1000)
        return out

    def _render(self, orphan: Orphan, base_url: str) -> dict[str, Any]:
        rec = orphan.recording
        seconds = (rec.end - rec.start) if rec.end is not None else 0.0
        return {
            "id": orphan.id,
            "name": f"orphan {orphan.id[:8]}",
            "createdTime": iso(orphan.created),
            "providerType": orphan.provider_type,
            "mediaSizeBytes": 44 + int(8000 * seconds),
            "mediaType": orphan.media_type,
            "fileState": "AVAILABLE",
            "orphanStatus": orphan.status,
            "region": self.state.settings.region,
            "recording": self._recording(orphan, base_url, "NONE", True),
            "selfUri": f"/api/v2/orphanrecordings/{orphan.id}",
        }

    # --- handlers -----------------------------------------------------------------------------

    def list_orphans(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, VIEW)
        size = positive_int(req.q("pageSize"), "pageSize", 25)
        size_max = int(self.state.settings.assumption("orphanPageSizeMax"))
        if size > size_max:
            raise errors.invalid_value(size, "pageSize", [f"1 to {size_max}"])
        token_page = req.q("nextPage") or req.q("previousPage")
        if token_page is not None and not token_page.isdigit():
            raise errors.bad_request("nextPage/previousPage must be a token this list returned (in nextUri).")
        number = int(token_page) if token_page else positive_int(req.q("pageNumber"), "pageNumber", 1)
        sort_by = req.q("sortBy") or "createdTime"
        if sort_by not in SORT_KEYS:
            raise errors.invalid_value(sort_by, "sortBy", list(SORT_KEYS))
        with_conversation = bool_param(req.q("hasConversation"), "hasConversation")
        media = req.q("media")
        if media is not None and media not in MEDIA:
            raise errors.invalid_value(media, "media", list(MEDIA))
        any_id = self.state.settings.assumption("orphanHasConversation") == "namesAConversation"
        with self.state.lock:
            keys = self._keys(token.org)
            keys.sort(key=(lambda k: (k[0], k[1])) if sort_by == "createdTime" else (lambda k: k[1]))
            if with_conversation or media is not None:
                chosen: list[Orphan] = []
                for _, oid in keys:
                    orphan = self._find(token.org, oid)
                    if orphan is None:
                        continue
                    if with_conversation and not (orphan.has_conversation
                                                  or (any_id and orphan.conversation_id)):
                        continue
                    if media is not None and orphan.media_type != MEDIA[media]:
                        continue
                    chosen.append(orphan)
                ids = [o.id for o in chosen]
            else:
                ids = [oid for _, oid in keys]
            if not with_conversation:
                ids = ids[:LIST_CAP]
            total = len(ids)
            page_ids = ids[(number - 1) * size:number * size]
            entities = [self._render(o, req.base_url) for o in (self._find(token.org, i) for i in page_ids)
                        if o is not None]
        pages = -(-total // size) if total else 0
        query = f"pageSize={size}&sortBy={sort_by}" + ("&hasConversation=true" if with_conversation else "") \
            + (f"&media={media}" if media else "")
        base = "/api/v2/orphanrecordings?" + query
        body: dict[str, Any] = {
            "entities": entities, "pageSize": size, "pageNumber": number, "total": total, "pageCount": pages,
            "firstUri": f"{base}&pageNumber=1", "selfUri": f"{base}&pageNumber={number}",
            "lastUri": f"{base}&pageNumber={max(1, pages)}",
        }
        if number < pages:
            body["nextUri"] = f"{base}&nextPage={number + 1}"
        if number > 1:
            body["previousUri"] = f"{base}&previousPage={number - 1}"
        return json_reply(200, body)

    def get_orphan(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, VIEW)
        with self.state.lock:
            return json_reply(200, self._render(self._get(token, req.params["orphanId"]), req.base_url))

    def get_media(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, VIEW)
        fmt = req.q("formatId") or "WEBM"
        if fmt not in FORMAT_IDS:
            raise errors.invalid_value(fmt, "formatId", FORMAT_IDS)
        bool_param(req.q("download"), "download")
        with self.state.lock:
            orphan = self._get(token, req.params["orphanId"])
            now = self.state.clock.now()
            ready = True
            if self.state.settings.assumption("orphanMediaTranscode") == "firstRequest":
                key = (token.org, orphan.id)
                ready_at = self._transcoding.setdefault(key, now + TRANSCODE_SECONDS)
                ready = now >= ready_at
            body = self._recording(orphan, req.base_url, fmt, ready)
        return json_reply(200 if ready else 202, body)

    def _dates(self, body: dict[str, Any]) -> dict[str, float]:
        now = self.state.clock.now()
        dates: dict[str, float] = {}
        for key in ("archiveDate", "exportDate", "deleteDate"):
            value = body.get(key)
            if value is None:
                continue
            try:
                dates[key] = parse_iso(value)
            except (TypeError, ValueError):
                raise retention_invalid() from None
        for key in ("archiveDate", "exportDate"):
            if key in dates and dates[key] <= now + DAY:
                raise retention_invalid()
        if "deleteDate" in dates:
            earlier = [dates[k] for k in ("archiveDate", "exportDate") if k in dates]
            if earlier and dates["deleteDate"] <= max(earlier):
                raise retention_invalid()
            if not earlier and dates["deleteDate"] <= now + DAY:
                raise retention_invalid()
        if "exportDate" in dates and not body.get("integrationId"):
            raise retention_invalid()
        return dates

    def put_orphan(self, req: Request) -> Reply:
        token = req.bearer
        if not perms.holds(self.state.token_permissions(token), EDIT):
            raise edit_forbidden()
        body = req.json(required=False)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise errors.bad_request("The body must be an OrphanUpdateRequest object.")
        dates = self._dates(body)
        wanted = body.get("conversationId")
        if wanted is not None and not isinstance(wanted, str):
            raise unknown_conversation()
        with self.state.lock:
            orphan = self._get(token, req.params["orphanId"])
            cid = wanted or orphan.conversation_id
            conv = self.state.conversation(token.org, cid) if cid else None
            if conv is None:
                raise unknown_conversation()
            old = orphan.recording
            rec = Recording(id=old.id, conversation_id=conv.id, role=old.role, start=old.start, end=old.end,
                            media=old.media, subtype=old.subtype)
            if conv.recording(rec.id) is not None:  # the same recording twice is never made
                raise errors.bad_request("The conversation already holds this recording.")
            self.state.attach_recording(conv, rec)
            conv = self.state.conversation(token.org, conv.id) or conv  # the materialised copy
            rec = conv.recording(rec.id) or rec
            if dates:
                self.state.set_retention(conv, rec, dict(dates))
            self.state.drop_orphan(token.org, orphan.id)
            self._forget_transcoding(token.org, orphan.id)
            fs = file_state(conv, rec, self.state.clock.now(), self.state.settings.transcoding_delay_seconds)
            return json_reply(200, render.recording(conv, rec, fs, self.state.clock.now(), req.base_url, "WEBM",
                                                    media_max_seconds=self.state.settings.media_max_seconds))

    def delete_orphan(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, DELETE)
        with self.state.lock:
            orphan = self._get(token, req.params["orphanId"])
            body = self._render(orphan, req.base_url)
            self.state.drop_orphan(token.org, orphan.id)
            self._forget_transcoding(token.org, orphan.id)
        return json_reply(200, body)

    def _forget_transcoding(self, org: str, orphan_id: str) -> None:
        self._transcoding.pop((org, orphan_id), None)

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", "api/v2/orphanrecordings", list_orphans),
        Row("GET", "api/v2/orphanrecordings/{orphanId}", get_orphan),
        Row("PUT", "api/v2/orphanrecordings/{orphanId}", put_orphan),
        Row("DELETE", "api/v2/orphanrecordings/{orphanId}", delete_orphan),
        Row("GET", "api/v2/orphanrecordings/{orphanId}/media", get_media),
    )


class OrphanMediaHost:
    """The media plane's orphan files: ``GET /media/orphans/{orphanId}/{recordingId}.wav``, the URI a
    ready orphan's media names (signed like a batch result: no token; the same WAV bytes as the
    media host's, within the org's download bound)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def media_download(self, req: Request) -> Reply:
        rid = req.params["file"].removesuffix(".wav")
        path = _media_path(req.params["orphanId"], rid)
        if self.state.clock.now() > check_signature(req, path):
            raise s3_error(403, "AccessDenied", "Request has expired")
        with self.state.lock:
            found = next(((org, o) for org in list(self.state.orgs)
                          if (o := find_orphan(self.state, org, req.params["orphanId"])) is not None), None)
            if found is None or found[1].recording.id != rid or found[1].recording.end is None:
                raise s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=path.lstrip("/"))
            org, orphan = found
            ms = int((orphan.recording.end - orphan.recording.start) * 1000)
        try:
            return wav_reply(self.state, org, rid, ms)
        except DownloadsBusy:
            err = s3_error(429, "TooManyRequests", "Too many downloads at once. Retry after 1 s.")
            err.headers["Retry-After"] = "1"
            raise err from None

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", "media/orphans/{orphanId}/{file}", media_download),
    )
