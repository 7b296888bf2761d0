"""The emulated recording reads and retention edits: ``GET …/recordings[/{rid}]``,
``PUT …/recordings/{rid}`` (refused with a deleteDate on a protected conversation: the
``protectedDeleteDate`` assumption), ``GET /api/v2/recordings/retention/query``,
``GET …/recordingmetadata[/{rid}]``, and the read side of a
recording's annotations ``GET …/recordings/{rid}/annotations[/{annotationId}]`` (its pause and
hold annotations, per the ``annotationsEndpointPauses`` assumption; bookmark create/update/delete
are real routes the sandbox answers 501).

Recordings become ``AVAILABLE`` once the conversation has ended plus the transcoding delay
[inferred timing]; until then the list answers 202 with no body and one recording 202 with
the ``Recording`` [documented-2018].
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, empty_reply, json_reply
from ..model import errors
from ..model import permissions as perms
from ..model.clock import iso, parse_iso
from ..model.models import Conversation, Recording, Token
from ..model.state import SandboxState
from ..seeds.history import iso_ms
from ..seeds.spec import seeded_file_state
from . import render
from .annotations import AnnotationRules, annotations
from .base import ApiHandlers, bool_param, positive_int
from .media import live_file_state

FORMAT_IDS = ["WAV", "WEBM", "WAV_ULAW", "OGG_VORBIS", "OGG_OPUS", "MP3", "NONE"]  # formatId [documented]
ANNOTATION_VIEW = "recording:annotation:view"
RETENTION_PAGE_MAX = 500  # retention query pageSize max [documented]
MEDIA_FORMATS = ["WAV", "WEBM", "WAV_ULAW", "OGG_VORBIS", "OGG_OPUS", "MP3"]  # mediaFormats: no NONE [documented]


def _retention_row(conv: Conversation, rec: Recording) -> dict[str, Any]:
    """A ``RecordingRetention`` [documented model]; absent dates are left out, as elsewhere."""
    row: dict[str, Any] = {"conversationId": conv.id, "recordingId": rec.id, "creationTime": iso(rec.start)}
    for key, value in (("archiveDate", rec.archive_date), ("deleteDate", rec.delete_date),
                       ("exportDate", rec.export_date)):
        if value is not None:
            row[key] = iso(value)
    if rec.archive_date is not None:
        row["archiveMedium"] = "CLOUDARCHIVE"
    return row


Position = tuple[str, int, int, int]  # ("m", 0, row, 0) | ("g", history, index, recording of it)


def _cursor(text: str) -> Position | None:
    """The retention query's cursor (the sandbox's token): ``m<row>`` or ``g<history>.<index>.<n>``."""
    try:
        if text.startswith("m") and text[1:].isdigit():
            return ("m", 0, int(text[1:]), 0)
        if text.startswith("g"):
            h, i, n = (int(x) for x in text[1:].split("."))
            if min(h, i, n) >= 0:
                return ("g", h, i, n)
    except ValueError:
        return None
    return None


def _cursor_text(p: Position) -> str:
    return f"m{p[2]}" if p[0] == "m" else f"g{p[1]}.{p[2]}.{p[3]}"


class _RetentionRules:
    """What the retention query lists, for held and generated conversations alike."""

    def __init__(self, api: RecordingsApi, org: str, days: int) -> None:
        self.api, self.org = api, org
        settings = api.state.settings
        self.now, self.limit = api.state.clock.now(), days * 86400.0
        self.to_now = settings.assumption("retentionThresholdMeasure") == "creationToNow"
        self.skip_uploading = settings.assumption("retentionQueryUploading") == "excluded"
        self.delay = settings.transcoding_delay_seconds

    def listed(self, cid: str, start: float, delete_date: float | None, fs: str) -> bool:
        if fs == "DELETED" or (fs == "UPLOADING" and self.skip_uploading):
            return False
        if self.to_now:
            kept = self.now - start
        else:
            held = self.api.state.is_protected(self.org, cid)
            kept = float("inf") if held or delete_date is None else delete_date - start
        return kept > self.limit

    def held_rows(self, conv: Conversation) -> list[dict[str, Any]]:
        return [_retention_row(conv, rec) for rec in conv.recordings
                if self.listed(conv.id, rec.start, rec.delete_date, self.api._file_state(conv, rec))]


def _generated_rows(org: Any, rules: _RetentionRules, position: Position, wanted: int) \
        -> Iterator[tuple[dict[str, Any], Position]]:
    """Up to ``wanted`` rows of the org's generated histories from ``position`` on, each with the
    position after it; computed from each index's facts (seeds/history.py), none built."""
    h_at, i_at, sub_at = (position[1], position[2], position[3]) if position[0] == "g" else (0, 0, 0)
    given = 0
    for h_index in range(h_at, len(org.histories)):
        h = org.histories[h_index]
        skip = org.materialised.get(h.key, ())
        i = i_at if h_index == h_at else 0
        while i < h.count:
            if i in skip:
                i += 1
                continue
            f = h.facts(i)
            recs: list[tuple[str, int]] = []
            if f.recorded:  # an orphaned conversation is not (seeds/history.py)
                recs.append((h._id(4, i), f.start_ms))
            if f.adhoc:
                recs.append((h._id(5, i), h._extras(f)[0] + 5000))
            cid = h.conversation_id(i)
            end_ms = f.start_ms + f.duration_ms
            natural = "AVAILABLE" if rules.now >= end_ms / 1000 + rules.delay else "UPLOADING"
            first = sub_at if (h_index == h_at and i == i_at) else 0
            for n in range(first, len(recs)):
                rid, start_ms = recs[n]
                mark = seeded_file_state(h.seed, rid, h.archived_ratio, h.deleted_ratio, h.transcoding_ratio)
                delete_date = end_ms / 1000 if mark == "DELETED" else None
                if not rules.listed(cid, start_ms / 1000, delete_date, mark or natural):
                    continue
                row: dict[str, Any] = {"conversationId": cid, "recordingId": rid, "creationTime": iso_ms(start_ms)}
                if mark == "ARCHIVED":
                    row["archiveDate"], row["archiveMedium"] = iso_ms(end_ms), "CLOUDARCHIVE"
                after: Position = ("g", h_index, i, n + 1) if n + 1 < len(recs) else ("g", h_index, i + 1, 0)
                yield row, after
                given += 1
                if given >= wanted:
                    return
            i += 1


class RecordingsApi(ApiHandlers):
    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        state.file_states = live_file_state  # what the recording topics compare (issue 20)

    def _ready(self, conv: Conversation) -> bool:
        """The conversation's media is transcoded (its recordings left UPLOADING)."""
        ready = conv.ready_at(self.state.settings.transcoding_delay_seconds)
        return ready is not None and self.state.clock.now() >= ready

    def _file_state(self, conv: Conversation, rec: Recording) -> str:
        return live_file_state(self.state, conv, rec)

    def _format(self, req: Request) -> str:
        media_formats = req.q("mediaFormats")
        if media_formats:
            first = media_formats.split(",")[0].strip()
            for fmt in media_formats.split(","):
                if fmt.strip() not in MEDIA_FORMATS:
                    raise errors.invalid_value(fmt, "mediaFormats", MEDIA_FORMATS)
            return first
        fmt = req.q("formatId") or "WEBM"
        if fmt not in FORMAT_IDS:
            raise errors.invalid_value(fmt, "formatId", FORMAT_IDS)
        return fmt

    def _rules(self, req: Request | None = None) -> AnnotationRules:
        screen = bool_param(req.q("includePauseAnnotationsForScreenRecordings"),
                            "includePauseAnnotationsForScreenRecordings") if req else False
        return AnnotationRules.from_settings(self.state.settings, screen)

    def _render_recordings(self, req: Request, conv: Conversation, fmt: str) -> list[dict[str, Any]]:
        now = self.state.clock.now()
        rules = self._rules(req)
        cap = self.state.settings.media_max_seconds
        return [render.recording(conv, r, self._file_state(conv, r), now, req.base_url, fmt, rules, cap)
                for r in conv.recordings]

    def _metadata(self, conv: Conversation, rec: Recording) -> dict[str, Any]:
        settings = self.state.settings
        system = None
        if settings.assumption("metadataSystemAnnotations") == "included":
            system = annotations(conv, rec, self.state.clock.now(), self._rules())
        return render.recording_metadata(conv, rec, self._file_state(conv, rec), settings.region, system)

    async def list_recordings(self, req: Request) -> Reply:
        """List a conversation's recordings. While media is not ready: wait up to
        min(maxWaitMs, cap), then 202 with no body [documented-2018 202; timing inferred]."""
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        max_wait = positive_int(req.q("maxWaitMs"), "maxWaitMs", 5000)
        fmt = self._format(req)
        bool_param(req.q("includePauseAnnotationsForScreenRecordings"), "includePauseAnnotationsForScreenRecordings")
        settings = self.state.settings
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"], not_found=errors.recordings_conversation_not_found)
            ready_at = conv.ready_at(settings.transcoding_delay_seconds)
            if not conv.recordings or self._ready(conv) \
                    or settings.assumption("recordingsWhileActive") == "listUnready":
                return json_reply(200, self._render_recordings(req, conv, fmt))
        budget = min(max_wait, settings.max_wait_cap_ms) / 1000.0
        now = self.state.clock.now()
        if ready_at is not None and ready_at - now <= budget:
            await asyncio.sleep(max(0.0, ready_at - now))
        else:
            await asyncio.sleep(budget)
        with self.state.lock:
            if self._ready(conv):
                return json_reply(200, self._render_recordings(req, conv, fmt))
        return empty_reply(202)

    def _recording(self, req: Request, token: Token) -> tuple[Conversation, Recording]:
        conv = self._conversation(token, req.params["cid"])
        rec = conv.recording(req.params["rid"])
        if rec is None:
            raise errors.not_found()
        return conv, rec

    def get_recording(self, req: Request) -> Reply:
        """One recording: 200 when AVAILABLE, else 202 *with* the Recording [documented-2018]."""
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        fmt = self._format(req)
        for name in ("emailFormatId", "chatFormatId", "messageFormatId"):
            value = req.q(name)
            if value is not None and value not in ("EML", "ZIP", "NONE"):
                raise errors.invalid_value(value, name, ["EML" if name == "emailFormatId" else "ZIP", "NONE"])
        bool_param(req.q("download"), "download")
        with self.state.lock:
            conv, rec = self._recording(req, token)
            fs = self._file_state(conv, rec)
            body = render.recording(conv, rec, fs, self.state.clock.now(), req.base_url, fmt, self._rules(),
                                    self.state.settings.media_max_seconds)
            return json_reply(202 if fs == "UPLOADING" else 200, body)  # archived/deleted: settled, 200 [inferred]

    def put_recording(self, req: Request) -> Reply:
        """Retention dates only: archiveDate, deleteDate, exportDate (+ clearExport). Every other
        field, an invented ``status`` included, is ignored; recording state is never touched."""
        token = req.bearer
        self._require_any(token, perms.RECORDING_RETENTION)
        self._require_any(token, perms.RETENTION_VIEW)  # view is always required [documented]
        clear_export = bool_param(req.q("clearExport"), "clearExport")
        body = req.json()
        if not isinstance(body, dict):
            raise errors.bad_request("The body must be a Recording object.")
        dates: dict[str, float | None] = {}
        for key in ("archiveDate", "deleteDate", "exportDate"):
            if key in body and body[key] is None:
                dates[key] = None  # an explicit JSON null removes the date [documented: "changes and removes"]
            elif key in body:
                try:
                    dates[key] = parse_iso(body[key])
                except ValueError:
                    raise errors.invalid_date(key) from None
        held = self.state.token_permissions(token)
        with self.state.lock:
            conv, rec = self._recording(req, token)
            # a new archiveDate on an ARCHIVED recording restores it until that date [documented]: it
            # needs the restore permission; every other date change editRetention [documented]
            restoring = dates.get("archiveDate") is not None and self._file_state(conv, rec) == "ARCHIVED"
            if restoring and not perms.holds_any(held, perms.RESTORE):
                raise errors.missing_permissions(list(perms.RESTORE))
            others = {k for k in dates if not (restoring and k == "archiveDate")}
            if (others or clear_export) and not perms.holds_any(held, perms.EDIT_RETENTION):
                raise errors.missing_permissions(list(perms.EDIT_RETENTION))
            if restoring and dates["archiveDate"] <= self.state.clock.now():  # [unknown]: the sandbox's choice
                raise errors.bad_request("To restore an archived recording, give it an archiveDate in the future: "
                                         "it stays restored until then.")
            if dates.get("deleteDate") is not None and self.state.is_protected(token.org, conv.id) \
                    and self.state.settings.assumption("protectedDeleteDate") == "refused":
                raise errors.bad_request("The conversation's recordings are protected from deletion (legal hold): "
                                         "revoke the protection before giving them a deleteDate.")
            if restoring:
                self.state.restore_recording(conv, rec)
            self.state.set_retention(conv, rec, dates, clear_export)
            fs = self._file_state(conv, rec)
            return json_reply(200, render.recording(conv, rec, fs, self.state.clock.now(), req.base_url, "WEBM",
                                                    self._rules(), self.state.settings.media_max_seconds))

    def retention_query(self, req: Request) -> Reply:
        """``GET /api/v2/recordings/retention/query``: the recordings retained longer than
        ``retentionThresholdDays`` (required), ``pageSize`` default 25, max 500, an opaque ``cursor``
        carried in ``nextUri`` [documented params and model; the measure is ``retentionThresholdMeasure``,
        UPLOADING recordings per ``retentionQueryUploading``]. Rows: the org's held conversations by
        start, then each generated history by index, computed from its facts (a page of 500 builds no
        conversation: ``_generated_rows``)."""
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        if req.q("retentionThresholdDays") is None:
            raise errors.bad_request("retentionThresholdDays is required (a whole number of days).")
        days_text = req.q("retentionThresholdDays") or ""
        if not days_text.isdigit():  # 0 lists every stored recording [the sandbox's reading]
            raise errors.invalid_value(days_text, "retentionThresholdDays", ["a whole number of days, 0 or more"])
        days = int(days_text)
        size = positive_int(req.q("pageSize"), "pageSize", 25)
        if size > RETENTION_PAGE_MAX:
            raise errors.invalid_value(req.q("pageSize"), "pageSize", [f"1 to {RETENTION_PAGE_MAX}"])
        cursor = req.q("cursor")
        position = _cursor(cursor) if cursor else ("m", 0, 0, 0)
        if position is None:
            raise errors.bad_request("The cursor is not one this query returned: start again without it.")
        page: list[dict[str, Any]] = []
        more = False
        with self.state.lock:
            org = self.state.orgs.get(token.org)
            rules = _RetentionRules(self, token.org, days)
            source, _, i_at, _ = position
            if org is not None and source == "m":
                convs = sorted(org.conversations.values(), key=lambda c: (c.start_time, c.id))
                rows = [row for conv in convs for row in rules.held_rows(conv)]
                page = rows[i_at:i_at + size + 1]
                position = ("m", 0, i_at + size, 0)
                if len(page) <= size:
                    position = ("g", 0, 0, 0)
            if org is not None and len(page) <= size:
                for row, after in _generated_rows(org, rules, position, size + 1 - len(page)):
                    page.append(row)
                    if len(page) == size:
                        position = after
            more = len(page) > size
            page = page[:size]
        base = f"/api/v2/recordings/retention/query?retentionThresholdDays={days}&pageSize={size}"
        body: dict[str, Any] = {"entities": page, "selfUri": base + (f"&cursor={cursor}" if cursor else "")}
        if more:
            body["nextUri"] = f"{base}&cursor={_cursor_text(position)}"
        return json_reply(200, body)

    def list_metadata(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"])
            return json_reply(200, [self._metadata(conv, r) for r in conv.recordings])

    def get_metadata(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.RECORDING_VIEW)
        with self.state.lock:
            conv, rec = self._recording(req, token)
            return json_reply(200, self._metadata(conv, rec))

    def _annotations(self, req: Request) -> list[dict[str, Any]]:
        """The annotations ``GET …/annotations`` shows: "ANY of" the recording view permissions or
        ``recording:annotation:view`` [documented]; then the conversation and recording (404)."""
        token = req.bearer
        self._require_any(token, (*perms.RECORDING_VIEW, ANNOTATION_VIEW))
        with self.state.lock:
            conv, rec = self._recording(req, token)
            if self.state.settings.assumption("annotationsEndpointPauses") == "bookmarksOnly":
                return []  # the sandbox has no bookmark annotations
            return annotations(conv, rec, self.state.clock.now(), self._rules())

    def list_annotations(self, req: Request) -> Reply:
        return json_reply(200, self._annotations(req))

    def get_annotation(self, req: Request) -> Reply:
        """One annotation by id: pause annotations of a recording share one id, so the first of them
        answers it [the sandbox's choice]; a hold's id is new on every read [documented], so the id
        of an earlier read is 404."""
        wanted = req.params["annotationId"]
        for annotation in self._annotations(req):
            if annotation["id"] == wanted:
                return json_reply(200, annotation)
        raise errors.not_found()

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", "api/v2/conversations/{cid}/recordings", list_recordings),
        Row("GET", "api/v2/conversations/{cid}/recordings/{rid}", get_recording),
        Row("PUT", "api/v2/conversations/{cid}/recordings/{rid}", put_recording),
        Row("GET", "api/v2/conversations/{cid}/recordings/{rid}/annotations", list_annotations),
        Row("GET", "api/v2/conversations/{cid}/recordings/{rid}/annotations/{annotationId}", get_annotation),
        Row("GET", "api/v2/recordings/retention/query", retention_query),
        Row("GET", "api/v2/conversations/{cid}/recordingmetadata", list_metadata),
        Row("GET", "api/v2/conversations/{cid}/recordingmetadata/{rid}", get_metadata),
    )
