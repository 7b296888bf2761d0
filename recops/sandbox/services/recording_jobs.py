"""Recording bulk jobs: ``/api/v2/recording/jobs`` (``DELETE``, ``ARCHIVE``, ``EXPORT`` over a
conversation query), per ../shared/genesys-api-lifecycle.md §1.

Six operations, each "Requires ALL" of its permissions [documented: D257, CLI]: ``POST`` (202,
``RecordingJob`` in ``PENDING``), ``GET …/{jobId}``, ``PUT …/{jobId}`` ``{"state": "PROCESSING"}``
(execute), ``DELETE …/{jobId}`` (cancel: 204, the job stays listed ``CANCELLED``), ``GET`` (the
org's jobs: ``pageSize``, ``pageNumber``, ``sortBy``, ``state``, ``showOnlyMyJobs``, ``jobType``,
``includeTotal``, ``cursor``) and ``GET …/{jobId}/failedrecordings`` (``pageSize`` at most 100).

**The state machine, on the sandbox clock** (``POST /_sandbox/clock`` moves it): ``PENDING`` for
``recordingJobReadySeconds``, then ``READY`` with ``totalConversations`` / ``totalRecordings`` /
``totalSkippedRecordings`` (the counts are shown from ``READY`` on [inferred]); ``PUT`` →
``PROCESSING``, ``recordingJobRecordingsPerSecond`` recordings a second (0: all at once), a
conversation's recordings together, ``totalProcessedRecordings`` / ``percentProgress`` growing →
``FULFILLED``. ``DELETE`` in ``PENDING``/``READY``/``PROCESSING`` → ``CANCELLED`` (what was processed
stays done). ``FAILED`` with ``errorMessage``: ``POST /_sandbox/recording-jobs/{jobId}/fail``
(the control plane: no real cause of a failure is documented).

**The query** is the analytics ``AsyncConversationQuery`` (analytics_jobs.parse_job_query, selected by
analytics_select.select: interval "activity" semantics, conversation and segment filters such as
``queueId`` mean what they mean in a details job), or ``agedConversationInterval`` (conversations
older than 5 years, at most 6 months long [documented]). The data lake's lag (setting
``recordingJobDataLagSeconds``; Genesys: "up to 48 hours") leaves out a conversation that ended
after now − lag. Matching and recording discovery happen at the POST, over materialised
conversations and generated histories alike, into compact arrays (8 bytes a conversation, 8 a
recording offset): a generated conversation is never built to be counted.

**Counts** [unknown; the sandbox's definitions]: ``totalConversations`` = matched conversations with
at least one recording the job covers (screen recordings drop out with ``includeScreenRecordings``
false); ``totalRecordings`` = their recordings, the skipped included; ``totalSkippedRecordings`` =
protected conversations' recordings (legal hold) and those whose action is already applied
(``DELETED``; ``ARCHIVED`` for ARCHIVE): a prediction at ``READY``, what really was skipped from
``PROCESSING`` on; failed = per the ``recordingJobUnavailable`` assumption (not AVAILABLE when
reached; an EXPORT that could not be written). ``totalProcessedRecordings`` counts every recording
handled (applied, skipped, failed), so ``percentProgress`` (rounded down) ends at 100.

**Effects**: ``DELETE`` sets ``deleteDate`` (actionDate, or creation + actionAge days; a pending
export date after it is moved to it; ``clearExport`` drops it), ``ARCHIVE`` ``archiveDate``,
``EXPORT`` ``exportDate`` (actionDate, else the time of processing) and writes the files
(export_bucket.py) when the job processes the recording. The file state then follows the dates on
the clock (media.file_state). A generated conversation keeps no copy: the job's record
(``by_history``: its indices, sorted) gives it its dates each time it is built (``decorate``).

Rules (each [unknown] answer a labelled assumption, docs/sandbox.md §6): the cap
(``recordingJobMaxConcurrent``, 2 [documented]; ``recordingJobCapCountsReady``), 400 with the
sandbox's own code ``recording.job.concurrency.limit``; only the creator executes (403, own code
``recording.job.not.creator``); PUT on a job not ``READY`` / DELETE on a finished one
(``recordingJobStateError``, own code ``recording.job.invalid.state``); query validation 400
``bad.request``; a past actionDate (``recordingJobPastActionDate``); ``includeRecordingsWithSensitiveData``
without ``recording:recording:viewSensitiveData`` when the org redacts (setting
``sensitiveDataRedaction`` 1): 403 ``missing.permissions`` [the code is the sandbox's choice].
Jobs belong to their org: another org's job id is 404 ``not.found``. ``includeTotal`` absent reads as
true (page numbers and ``total``); false pages by an opaque ``cursor`` carried in ``nextUri`` (the
listings have no cursor field [documented]).
"""

from __future__ import annotations

import base64
import binascii
import bisect
from array import array
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, empty_reply, json_reply
from ..model import errors
from ..model import permissions as perms
from ..model.clock import iso, parse_interval, parse_iso
from ..model.errors import ApiError
from ..model.models import Conversation, Recording, Token, new_id
from ..model.state import OrgState, SandboxState
from ..seeds.history import GeneratedHistory
from ..seeds.spec import seeded_file_state
from . import export_bucket, recording_events
from .analytics import DAY
from .analytics_jobs import parse_job_query
from .analytics_select import LOW, SHIFT, Window, select
from .base import ApiHandlers, bool_param, positive_int
from .media import live_file_state, recording_media_ms, wav_chunks

JOBS = "api/v2/recording/jobs"
ACTIONS = ("ARCHIVE", "DELETE", "EXPORT")
STATES = ("FULFILLED", "PENDING", "READY", "PROCESSING", "CANCELLED", "FAILED")
LIVE = ("PENDING", "READY", "PROCESSING")
SORT_BY = ("userId", "dateCreated")
FAILED_PAGE_MAX = 100  # failedrecordings pageSize maximum [documented]
AGED_YEARS = 5  # agedConversationInterval: conversations older than 5 years [documented]
AGED_MAX_DAYS = 183  # "at most 6 months" [documented]; 183 days is the sandbox's reading
ACTED_ON = ("AVAILABLE", "RESTORED")  # file states a job can act on (DELETE also ARCHIVED)
MEDIA_TYPE_NAMES = {"call": "Call", "chat": "Chat", "email": "Email", "message": "Message",
                    "callback": "Callback", "screenshare": "Screen", "social": "Message"}
QUERY_KEYS = ("action", "actionDate", "actionAge", "integrationId", "includeScreenRecordings",
              "includeRecordingsWithSensitiveData", "includePolicyBasedRecordings", "includeSnippetRecordings",
              "clearExport", "conversationQuery", "agedConversationInterval", "screenRecordingActionDate",
              "screenRecordingActionAge")

CONCURRENCY = "recording.job.concurrency.limit"  # the sandbox's own codes (recops/genesys/codes.py)
NOT_CREATOR = "recording.job.not.creator"
INVALID_STATE = "recording.job.invalid.state"


# --- the query ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobQuery:
    action: str
    action_date: float | None
    action_age: int | None
    screen_date: float | None
    screen_age: int | None
    integration_id: str | None
    include_screen: bool
    clear_export: bool
    echo: dict[str, Any]

    def date_for(self, rec: Recording, when: float) -> float:
        """The action's date for ``rec``: its screen date/age for a screen recording when given, else
        actionDate, else creation + actionAge days, else ``when`` (an EXPORT with neither)."""
        date, age = self.action_date, self.action_age
        if rec.media == "screen" and (self.screen_date is not None or self.screen_age is not None):
            date, age = self.screen_date, self.screen_age
        if date is not None:
            return date
        if age is not None:
            return rec.start + age * DAY
        return when

    def covers(self, rec: Recording) -> bool:
        return self.include_screen or rec.media != "screen"


def _date(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise errors.invalid_date(key) from None


def _age(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise errors.invalid_value(value, key, ["a whole number of days >= 0"])
    return value


def _flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise errors.invalid_value(value, key, ["true", "false"])
    return value


def parse_jobs_query(body: Any, state: SandboxState, granted: tuple[str, ...], now: float
                     ) -> tuple[JobQuery, Any, Window]:
    """A ``RecordingJobsQuery`` [documented fields §1.2] → the job's query, the analytics query and
    its window (the data lake's lag applied). 400 ``bad.request`` says what to send instead."""
    if not isinstance(body, dict):
        raise errors.bad_request("The body must be a RecordingJobsQuery object: {\"action\": \"DELETE\", "
                                 "\"actionDate\": ..., \"conversationQuery\": {\"interval\": ...}}.")
    action = body.get("action")
    if action is None:
        raise errors.bad_request("'action' is required: ARCHIVE, DELETE or EXPORT.")
    if action not in ACTIONS:
        raise errors.invalid_value(action, "action", list(ACTIONS))
    settings = state.settings
    q = JobQuery(
        action=action, action_date=_date(body, "actionDate"), action_age=_age(body, "actionAge"),
        screen_date=_date(body, "screenRecordingActionDate"), screen_age=_age(body, "screenRecordingActionAge"),
        integration_id=body.get("integrationId"),
        include_screen=_flag(body, "includeScreenRecordings", True),
        clear_export=_flag(body, "clearExport", False) and action == "DELETE",
        echo={k: body[k] for k in QUERY_KEYS if k in body},
    )
    for key in ("includePolicyBasedRecordings", "includeSnippetRecordings"):
        _flag(body, key, True)
    if action == "EXPORT" and not (isinstance(q.integration_id, str) and q.integration_id):
        raise errors.bad_request("An EXPORT job needs 'integrationId' (the AWS S3 recording bulk actions "
                                 "integration to export to).")
    if action in ("DELETE", "ARCHIVE") and q.action_date is None and q.action_age is None:
        raise errors.bad_request(f"A {action} job needs 'actionDate' (when) or 'actionAge' (days after "
                                 "each recording's creation).")
    if q.action_date is not None and q.action_age is not None:
        raise errors.bad_request("Give 'actionDate' or 'actionAge', not both.")
    if q.screen_date is not None and q.screen_age is not None:
        raise errors.bad_request("Give 'screenRecordingActionDate' or 'screenRecordingActionAge', not both.")
    if (q.screen_date is not None or q.screen_age is not None) and not q.include_screen:
        raise errors.bad_request("'screenRecordingActionDate'/'screenRecordingActionAge' are only valid with "
                                 "'includeScreenRecordings' true.")
    if action in ("DELETE", "ARCHIVE") and settings.assumption("recordingJobPastActionDate") == "rejected":
        for key, date in (("actionDate", q.action_date), ("screenRecordingActionDate", q.screen_date)):
            if date is not None and date < now:
                raise errors.bad_request(f"'{key}' is in the past; give a date from now on "
                                         "(sandbox assumption recordingJobPastActionDate).")
    if _flag(body, "includeRecordingsWithSensitiveData", False) and settings.sensitive_data_redaction \
            and not perms.holds_any(granted, perms.VIEW_SENSITIVE_DATA):
        raise errors.missing_permissions(list(perms.VIEW_SENSITIVE_DATA))
    conv_query, aged = body.get("conversationQuery"), body.get("agedConversationInterval")
    if (conv_query is None) == (aged is None):
        raise errors.bad_request("Give exactly one of 'conversationQuery' (an AsyncConversationQuery) and "
                                 "'agedConversationInterval' (conversations older than 5 years).")
    if aged is not None:
        try:
            start, end = parse_interval(aged)
        except ValueError:
            raise errors.invalid_date("agedConversationInterval") from None
        if end <= start or end - start > AGED_MAX_DAYS * DAY:
            raise errors.bad_request("'agedConversationInterval' must be a start/end interval at most 6 months long.")
        if end > now - AGED_YEARS * 365.25 * DAY:
            raise errors.bad_request("'agedConversationInterval' is only for conversations older than 5 years; "
                                     "use 'conversationQuery' for newer ones.")
        conv_query = {"interval": aged}
    analytics_q, window, _ = parse_job_query(conv_query, state)
    window = replace(window, available=now - float(settings.recording_job_data_lag_seconds))
    return q, analytics_q, window


# --- the job ------------------------------------------------------------------------------------


@dataclass
class RecordingJob:
    id: str
    org: str
    user_id: str | None
    client_id: str | None
    submitted: float
    ready_delay: float
    query: JobQuery
    conversations: list[Conversation]  # the selection's materialised conversations (source 0)
    histories: list[GeneratedHistory]
    entries: array  # selection entries (source << 40 | index) of conversations with recordings, in order
    offsets: array  # offsets[k]: recordings before entry k; offsets[-1] = totalRecordings
    predicted_skips: int
    by_history: dict[int, tuple[array, array]]  # history key -> (sorted indices, their entry numbers)
    executed_at: float | None = None
    rate: float = 0.0
    done: int = 0  # entries processed
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    excluded: set[int] = field(default_factory=set)  # recording positions skipped or failed: no date given
    override: str | None = None  # CANCELLED / FAILED
    override_at: float | None = None
    error_message: str | None = None

    @property
    def total_recordings(self) -> int:
        return self.offsets[-1]

    @property
    def processed(self) -> int:
        return self.offsets[self.done]

    def creator_key(self) -> str:
        return self.user_id or self.client_id or ""

    def state(self, now: float) -> str:
        if self.override is not None:
            return self.override
        if self.executed_at is None:
            return "PENDING" if now < self.submitted + self.ready_delay else "READY"
        return "FULFILLED" if self.done >= len(self.entries) else "PROCESSING"

    def wire(self, now: float, client_user: bool) -> dict[str, Any]:
        """``RecordingJob`` [documented fields §1.3]."""
        state = self.state(now)
        out: dict[str, Any] = {"id": self.id, "state": state, "recordingJobsQuery": self.query.echo,
                               "dateCreated": iso(self.submitted)}
        if self.user_id:
            out["user"] = {"id": self.user_id, "selfUri": f"/api/v2/users/{self.user_id}"}
        elif client_user and self.client_id:
            out["user"] = {"id": self.client_id}
        discovered = self.submitted + self.ready_delay
        if state != "PENDING" and not (self.override_at is not None and self.override_at < discovered):
            total = self.total_recordings
            out["totalConversations"] = len(self.entries)
            out["totalRecordings"] = total
            out["totalSkippedRecordings"] = self.predicted_skips if self.executed_at is None else self.skipped
            out["totalFailedRecordings"] = len(self.failed)
            out["totalProcessedRecordings"] = self.processed
            out["percentProgress"] = (100 * self.processed // total) if total else (100 if state == "FULFILLED" else 0)
        if state == "FAILED":
            out["errorMessage"] = self.error_message or "The job failed."
        if self.executed_at is not None:
            out["failedRecordings"] = f"/{JOBS}/{self.id}/failedrecordings"
        out["selfUri"] = f"/{JOBS}/{self.id}"
        return out


def _generated_recording_ids(h: GeneratedHistory, i: int) -> list[str]:
    """The recording ids of generated conversation ``i``, in its order (policy, then ad-hoc): as
    ``GeneratedHistory.conversation`` builds them, from the facts alone."""
    f = h.facts(i)
    ids = [h._id(4, i)] if f.recorded else []
    if f.adhoc:
        ids.append(h._id(5, i))
    return ids


def _already(action: str, file_state: str | None) -> bool:
    """The job's action is already applied: skipped (not failed)."""
    return file_state == "DELETED" or (action == "ARCHIVE" and file_state == "ARCHIVED")


def _generated_states(state: SandboxState, org: OrgState, h: GeneratedHistory, i: int, rids: list[str],
                      now: float, besides: RecordingJob | None = None) -> list[str]:
    """The file states of generated conversation ``i``'s recordings (``rids``), without building it
    unless an executed job gave it dates (then it is built and given them, never kept): else from its
    facts, its seeded mark or its transcoding."""
    if any(_touches(job, h.key, i) for job in org.recording_jobs.values() if job is not besides):
        conv = h.conversation(i)
        decorate_from(org, conv, h.key, i)
        return [live_file_state(state, conv, rec) for rec in conv.recordings if rec.id in rids]
    delay = state.settings.transcoding_delay_seconds
    out = []
    for rid in rids:
        mark = seeded_file_state(h.seed, rid, h.archived_ratio, h.deleted_ratio)
        out.append(mark if mark is not None else
                   "AVAILABLE" if h.facts(i).end + delay <= now else "UPLOADING")
    return out


def _touches(job: RecordingJob, key: int, index: int, done: int | None = None) -> bool:
    """``job`` has processed generated conversation ``index`` of history ``key`` (``done``: as if
    only its first ``done`` entries were processed; None: as far as it got)."""
    found = job.by_history.get(key)
    if found is None or job.executed_at is None:
        return False
    indices, ks = found
    j = bisect.bisect_left(indices, index)
    return j < len(indices) and indices[j] == index and ks[j] < (job.done if done is None else done)


def discover(state: SandboxState, org: OrgState, q: JobQuery, analytics_q: Any, window: Window,
             job_id: str, user_id: str | None, client_id: str | None, now: float) -> RecordingJob:
    """Match and count (under the state lock): the job as it will be READY."""
    sel = select(list(org.conversations.values()), list(org.histories), analytics_q, window,
                 analytics_q.filtered, None, org.materialised)
    entries, offsets = array("q"), array("q", [0])
    per_history: dict[int, list[tuple[int, int]]] = {}
    protected = org.protected
    skips = total = 0
    for e in sel.entries:
        src, idx = e >> SHIFT, e & LOW
        if src == 0:
            conv = sel.conversations[idx]
            recs = [r for r in conv.recordings if q.covers(r)]
            if not recs:
                continue
            held = conv.id in protected
            skips += sum(1 for r in recs if held or _already(q.action, live_file_state(state, conv, r)))
            n = len(recs)
        else:
            h = sel.histories[src - 1]
            rids = _generated_recording_ids(h, idx)
            if not rids:
                continue
            held = bool(protected) and h.conversation_id(idx) in protected
            states = _generated_states(state, org, h, idx, rids, now)
            skips += sum(1 for fs in states if held or _already(q.action, fs))
            n = len(rids)
            per_history.setdefault(h.key, []).append((idx, len(entries)))
        entries.append(e)
        total += n
        offsets.append(total)
    by_history = {}
    for key, pairs in per_history.items():
        pairs.sort()
        by_history[key] = (array("q", (i for i, _ in pairs)), array("q", (k for _, k in pairs)))
    settings = state.settings
    return RecordingJob(id=job_id, org=org.name, user_id=user_id, client_id=client_id, submitted=now,
                        ready_delay=float(settings.recording_job_ready_seconds), query=q,
                        conversations=sel.conversations, histories=sel.histories, entries=entries,
                        offsets=offsets, predicted_skips=skips, by_history=by_history)


# --- processing: bringing a PROCESSING job up to the clock ------------------------------------------


def settle(state: SandboxState, org: OrgState) -> None:
    """Process what each of ``org``'s PROCESSING jobs has reached by now (whole conversations)."""
    busy = [j for j in org.recording_jobs.values()
            if j.executed_at is not None and j.override is None and j.done < len(j.entries)]
    if not busy:
        return
    with state.lock:
        now = state.clock.now()
        moved = False
        for job in busy:
            assert job.executed_at is not None
            reached = job.total_recordings if job.rate <= 0 else int((now - job.executed_at) * job.rate)
            while job.done < len(job.entries) and job.offsets[job.done + 1] <= reached:
                _process(state, org, job, job.done, now)
                job.done += 1
                moved = True
        if moved:
            state.version += 1


def _process(state: SandboxState, org: OrgState, job: RecordingJob, k: int, now: float) -> None:
    """Entry ``k`` of ``job``: each recording applied, skipped or failed."""
    e = job.entries[k]
    src, idx = e >> SHIFT, e & LOW
    h: GeneratedHistory | None = None
    if src == 0:
        cid = job.conversations[idx].id
        conv: Conversation | None = org.conversations.get(cid, job.conversations[idx])
    else:
        h = job.histories[src - 1]
        cid = h.conversation_id(idx)
        conv = org.conversations.get(cid)  # materialised since the job was created
    q = job.query
    held = cid in org.protected
    unavailable_skips = state.settings.assumption("recordingJobUnavailable") == "skipped"
    if conv is not None:
        recs: list[Recording] = [r for r in conv.recordings if q.covers(r)]
        rids = [r.id for r in recs]
    else:
        assert h is not None
        rids = _generated_recording_ids(h, idx)
        recs = []
    built: Conversation | None = None
    generated = _generated_states(state, org, h, idx, rids, now, besides=job) if conv is None and h else []
    for n, rid in enumerate(rids):
        pos = job.offsets[k] + n
        if conv is not None:
            fs = live_file_state(state, conv, recs[n])
        else:
            assert h is not None
            fs = generated[n]
        if held or _already(q.action, fs):
            job.skipped += 1
            job.excluded.add(pos)
            continue
        if fs not in ACTED_ON and not (q.action == "DELETE" and fs == "ARCHIVED"):
            job.excluded.add(pos)
            if unavailable_skips:
                job.skipped += 1
            else:
                job.failed.append((cid, rid))
            continue
        if q.action == "EXPORT":
            if conv is None and built is None:
                assert h is not None
                built = h.conversation(idx)
                decorate_from(org, built, h.key, idx)
            target = conv if conv is not None else built
            assert target is not None
            rec = recs[n] if conv is not None else [r for r in target.recordings if q.covers(r)][n]
            if not _export(state, org, target, rec, job):
                job.excluded.add(pos)
                job.failed.append((cid, rid))
                continue
        if conv is not None:
            state.set_retention(conv, recs[n], _dates(q, recs[n], conv_when(job)), q.clear_export)


def conv_when(job: RecordingJob) -> float:
    return job.executed_at if job.executed_at is not None else job.submitted


def _dates(q: JobQuery, rec: Recording, when: float) -> dict[str, float | None]:
    date = q.date_for(rec, when)
    if q.action == "DELETE":
        out: dict[str, float | None] = {"deleteDate": date}
        if rec.export_date is not None and rec.export_date > date:  # [documented: the export date moves]
            out["exportDate"] = date
        return out
    return {"archiveDate": date} if q.action == "ARCHIVE" else {"exportDate": date}


def _export(state: SandboxState, org: OrgState, conv: Conversation, rec: Recording, job: RecordingJob) -> bool:
    """Write ``rec`` and its metadata into the export folder; False when refused."""
    ms = recording_media_ms(state, conv, rec)
    users = sorted({p.user_id for p in conv.participants if p.user_id})
    metadata = {
        "organizationId": org.name, "conversationId": conv.id, "recordingId": rec.id,
        "mediaType": MEDIA_TYPE_NAMES.get(conv.media_type, "Call"), "provider": "Genesys Cloud",
        "userIds": users, "startTime": iso(rec.start), "endTime": iso(rec.end) if rec.end else None,
        "fileName": f"{rec.id}.wav", "integrationId": job.query.integration_id, "jobId": job.id,
    }
    try:
        export_bucket.write_export(state.settings.export_folder, org.name, conv.id, conv.start_time, rec.id,
                                   wav_chunks(rec.id, ms, state.settings.media_max_seconds), metadata)
    except (export_bucket.ExportRefused, OSError):
        return False
    return True


def decorate_from(org: OrgState, conv: Conversation, key: int, index: int,
                  upto: dict[str, int] | None = None) -> None:
    """Give generated conversation ``index`` of history ``key`` (just built for a read) the dates
    the org's executed jobs gave it (``SandboxState.decorators``); ``upto``: as they stood when
    each job had processed that many entries (job id -> count; absent: none), for the state a
    listener last saw (services/recording_events.py)."""
    for job in org.recording_jobs.values():
        if not _touches(job, key, index, None if upto is None else upto.get(job.id, 0)):
            continue
        indices, ks = job.by_history[key]
        k = ks[bisect.bisect_left(indices, index)]
        recs = [r for r in conv.recordings if job.query.covers(r)]
        for n, rec in enumerate(recs):
            if job.offsets[k] + n in job.excluded:
                continue
            for name, value in _dates(job.query, rec, conv_when(job)).items():
                setattr(rec, {"deleteDate": "delete_date", "archiveDate": "archive_date",
                              "exportDate": "export_date"}[name], value)
            if job.query.clear_export:
                rec.export_date = None


def publish_events(state: SandboxState, org: OrgState) -> None:
    """The settler that publishes the recording events of jobs over generated histories (issue 20;
    services/recording_events.py): nothing while nobody listens."""
    if state.events.listened:
        recording_events.publish_generated(state, org, decorate_from)


# --- cursors ------------------------------------------------------------------------------------


def encode_cursor(scope: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{scope}:{offset}".encode()).decode().rstrip("=")


def decode_cursor(scope: str, cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        got, _, offset = text.rpartition(":")
        if got != scope or not offset.isdigit():
            raise ValueError
        return int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise errors.bad_request("The cursor is not one this listing returned; start again without it.") from None


def _listing(req: Request, path: str, rows: list[Any], size: int, scope: str, extra: str = "") -> dict[str, Any]:
    """An entity listing page of ``rows`` (``pageNumber`` + ``total``, or a cursor in ``nextUri``)."""
    total_mode = req.q("includeTotal") is None or bool_param(req.q("includeTotal"), "includeTotal")
    base = f"/{path}?pageSize={size}{extra}"
    if total_mode:
        number = positive_int(req.q("pageNumber"), "pageNumber", 1)
        start = (number - 1) * size
        count = max(1, -(-len(rows) // size))
        out: dict[str, Any] = {"entities": rows[start:start + size], "pageSize": size, "pageNumber": number,
                               "total": len(rows), "pageCount": count,
                               "firstUri": f"{base}&pageNumber=1", "lastUri": f"{base}&pageNumber={count}",
                               "selfUri": f"{base}&pageNumber={number}"}
        if number < count:
            out["nextUri"] = f"{base}&pageNumber={number + 1}"
        if number > 1:
            out["previousUri"] = f"{base}&pageNumber={number - 1}"
        return out
    base += "&includeTotal=false"
    cursor = req.q("cursor")
    start = decode_cursor(scope, cursor) if cursor else 0
    out = {"entities": rows[start:start + size], "pageSize": size,
           "selfUri": base + (f"&cursor={cursor}" if cursor else ""), "firstUri": base}
    if start + size < len(rows):
        out["nextUri"] = f"{base}&cursor={encode_cursor(scope, start + size)}"
    return out


# --- handlers -----------------------------------------------------------------------------------


class RecordingJobsApi(ApiHandlers):
    """The six ``/api/v2/recording/jobs`` endpoints."""

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        if settle not in state.settlers:
            state.settlers.append(settle)
        if publish_events not in state.settlers:  # after settle: the jobs first brought up to the clock
            state.settlers.append(publish_events)
        if decorate_from not in state.decorators:
            state.decorators.append(decorate_from)

    def _require_all(self, token: Token, wanted: tuple[str, ...]) -> None:
        granted = self.state.token_permissions(token)
        missing = [w for w in wanted if not perms.holds(granted, w)]
        if missing:
            raise errors.missing_permissions(missing)

    def _job(self, token: Token, job_id: str) -> RecordingJob:
        org = self.state.orgs.get(token.org)
        job = org.recording_jobs.get(job_id) if org else None
        if job is None:
            raise errors.not_found()  # the real code for an unknown job is [unknown]
        self.state.settle(org)  # type: ignore[arg-type]
        return job

    def _wire(self, job: RecordingJob) -> dict[str, Any]:
        client_user = self.state.settings.assumption("recordingJobClientUser") == "clientId"
        return job.wire(self.state.clock.now(), client_user)

    def _state_error(self, message: str) -> ApiError:
        status = 409 if self.state.settings.assumption("recordingJobStateError") == "conflict409" else 400
        return ApiError(status, INVALID_STATE, message)

    def _check_cap(self, org: OrgState, now: float, besides: str | None = None) -> None:
        cap = self.state.settings.recording_job_max_concurrent
        counted = ("PENDING", "PROCESSING", "READY") \
            if self.state.settings.assumption("recordingJobCapCountsReady") == "counted" else ("PENDING", "PROCESSING")
        busy = sum(1 for j in org.recording_jobs.values() if j.id != besides and j.state(now) in counted)
        if cap and busy >= cap:
            raise ApiError(400, CONCURRENCY,
                           f"At most {cap} recording jobs may be {' or '.join(counted)} at once per organization "
                           f"({busy} are now). Wait for one to finish, or cancel one (DELETE /{JOBS}/{{jobId}}).")

    def create(self, req: Request) -> Reply:
        token = req.bearer
        self._require_all(token, perms.RECORDING_JOB_ADD)
        body = req.json()
        granted = self.state.token_permissions(token)
        with self.state.lock:
            now = self.state.clock.now()
            q, analytics_q, window = parse_jobs_query(body, self.state, granted, now)
            org = self.state.org(token.org)
            self.state.settle(org)
            self._check_cap(org, now)
            job = discover(self.state, org, q, analytics_q, window, new_id(),
                           token.user_id if token.is_user else None, None if token.is_user else token.client_id, now)
            org.recording_jobs[job.id] = job
            return json_reply(202, self._wire(job))

    def get(self, req: Request) -> Reply:
        token = req.bearer
        self._require_all(token, perms.RECORDING_JOB_VIEW)
        with self.state.lock:
            return json_reply(200, self._wire(self._job(token, req.params["jobId"])))

    def execute(self, req: Request) -> Reply:
        token = req.bearer
        self._require_all(token, perms.RECORDING_JOB_EDIT)
        body = req.json()
        if not isinstance(body, dict) or "state" not in body:
            raise errors.bad_request("The body must be an ExecuteRecordingJobsQuery: {\"state\": \"PROCESSING\"}.")
        if body["state"] != "PROCESSING":
            raise errors.invalid_value(body["state"], "state", ["PROCESSING"])
        with self.state.lock:
            job = self._job(token, req.params["jobId"])
            now = self.state.clock.now()
            mine = job.user_id == token.user_id if token.is_user else (job.user_id is None and
                                                                       job.client_id == token.client_id)
            if not mine:
                raise ApiError(403, NOT_CREATOR, "Only the user who created a recording job may execute it; "
                                                 "create the job with the credentials that will execute it.")
            state = job.state(now)
            if state != "READY":
                hint = "wait until GET says READY" if state == "PENDING" else "create a new job"
                raise self._state_error(f"The job is {state}; only a READY job can be executed ({hint}).")
            org = self.state.org(token.org)
            self._check_cap(org, now, besides=job.id)
            job.executed_at = now
            job.rate = float(self.state.settings.recording_job_recordings_per_second)
            settle(self.state, org)
            return json_reply(200, self._wire(job))

    def cancel(self, req: Request) -> Reply:
        token = req.bearer
        self._require_all(token, perms.RECORDING_JOB_DELETE)
        with self.state.lock:
            job = self._job(token, req.params["jobId"])
            now = self.state.clock.now()
            state = job.state(now)
            if state not in LIVE:
                raise self._state_error(f"The job is {state}; only a PENDING, READY or PROCESSING job can be "
                                        "cancelled.")
            end_job(job, "CANCELLED", now)
            self.state.version += 1
        return empty_reply(204)

    def listing(self, req: Request) -> Reply:
        token = req.bearer
        self._require_all(token, perms.RECORDING_JOB_VIEW)
        size = positive_int(req.q("pageSize"), "pageSize", 25)
        sort_by = req.q("sortBy") or "userId"
        if sort_by not in SORT_BY:
            raise errors.invalid_value(sort_by, "sortBy", list(SORT_BY))
        wanted_state = req.q("state")
        if wanted_state and wanted_state not in STATES:
            raise errors.invalid_value(wanted_state, "state", list(STATES))
        job_type = req.q("jobType")
        if job_type and job_type not in ACTIONS:
            raise errors.invalid_value(job_type, "jobType", list(ACTIONS))
        mine = bool_param(req.q("showOnlyMyJobs"), "showOnlyMyJobs")
        me = (token.user_id if token.is_user else token.client_id) or ""
        with self.state.lock:
            org = self.state.orgs.get(token.org)
            if org is not None:
                self.state.settle(org)
            now = self.state.clock.now()
            jobs = list(org.recording_jobs.values()) if org else []
            jobs = [j for j in jobs if (not wanted_state or j.state(now) == wanted_state)
                    and (not job_type or j.query.action == job_type) and (not mine or j.creator_key() == me)]
            if sort_by == "userId":
                jobs.sort(key=lambda j: (j.creator_key(), j.submitted, j.id))
            else:
                jobs.sort(key=lambda j: (j.submitted, j.id))
            rows = [self._wire(j) for j in jobs]
        extra = f"&sortBy={sort_by}" + "".join(f"&{k}={v}" for k, v in (("state", wanted_state), ("jobType", job_type))
                                                if v) + ("&showOnlyMyJobs=true" if mine else "")
        return json_reply(200, _listing(req, JOBS, rows, size, "jobs", extra))

    def failed_recordings(self, req: Request) -> Reply:
        token = req.bearer
        self._require_all(token, perms.RECORDING_JOB_VIEW)
        size = positive_int(req.q("pageSize"), "pageSize", 25)
        if size > FAILED_PAGE_MAX:
            raise errors.invalid_value(req.q("pageSize"), "pageSize", [f"1 to {FAILED_PAGE_MAX}"])
        with self.state.lock:
            job = self._job(token, req.params["jobId"])
            rows = [{"conversation": {"id": cid, "selfUri": f"/api/v2/conversations/{cid}"},
                     "recording": {"id": rid, "selfUri": f"/api/v2/conversations/{cid}/recordings/{rid}"}}
                    for cid, rid in job.failed]
        return json_reply(200, _listing(req, f"{JOBS}/{job.id}/failedrecordings", rows, size, job.id))

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", JOBS, listing),
        Row("POST", JOBS, create),
        Row("GET", f"{JOBS}/{{jobId}}", get),
        Row("PUT", f"{JOBS}/{{jobId}}", execute),
        Row("DELETE", f"{JOBS}/{{jobId}}", cancel),
        Row("GET", f"{JOBS}/{{jobId}}/failedrecordings", failed_recordings),
    )


def end_job(job: RecordingJob, state: str, now: float, message: str | None = None) -> None:
    """CANCELLED or FAILED now: processing stops where it is (what was done stays done)."""
    job.override = state
    job.override_at = now
    job.error_message = message


def fail_job(state: SandboxState, org: str | None, job_id: str, message: str | None) -> RecordingJob | None:
    """The control plane's ``POST /_sandbox/recording-jobs/{jobId}/fail``: a live job of ``org`` (None:
    any org) becomes FAILED with ``message``. None when there is no such job; ValueError when finished."""
    with state.lock:
        for o in list(state.orgs.values()):
            job = o.recording_jobs.get(job_id)
            if job is None or org not in (None, o.name):
                continue
            state.settle(o)
            now = state.clock.now()
            current = job.state(now)
            if current not in LIVE:
                raise ValueError(f"the job is {current}; only a PENDING, READY or PROCESSING job can fail")
            end_job(job, "FAILED", now, message or "The job failed (set by the sandbox's control plane).")
            state.version += 1
            return job
    return None
