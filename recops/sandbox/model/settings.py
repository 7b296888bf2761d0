"""Runtime settings of the sandbox and its labelled assumptions.

Settings are operational knobs (rate limit, latency, token lifetime, transcoding
delay). Assumptions are the places where the real Genesys Cloud behaviour is not
documented and the sandbox had to choose; each has an evidence tag, a default and
the alternatives, so a support engineer can switch the sandbox to the other reading
(``PUT /_sandbox/settings {"assumptions": {...}}``) instead of trusting an invention.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Assumption:
    key: str
    default: str
    choices: tuple[str, ...]
    evidence: str  # "inferred" | "unknown" | "documented"
    text: str


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "recordingStateWriteWhenNone",
        "noop",
        ("noop", "reject"),
        "unknown",
        "Pause/resume on a conversation that is not being recorded (recordingState NONE). "
        "noop: PUT answers 200 \"NONE\", PATCH answers 202, nothing changes. "
        "reject: 400 bad.request.",
    ),
    Assumption(
        "permissionCheckOrder",
        "permissionsFirst",
        ("permissionsFirst", "userContextFirst"),
        "unknown",
        "Which check wins on a user-context endpoint called with client credentials that "
        "also lack the permission: 403 missing.any.permissions (permissionsFirst) or "
        "400 not.a.user (userContextFirst).",
    ),
    Assumption(
        "participantPatchNonParticipant",
        "notParticipant404",
        ("notParticipant404", "forbidden403"),
        "inferred",
        "A user who is not an active participant PATCHes a participant (ad-hoc start/stop). "
        "notParticipant404: 404 conversation.error.not.conversation.participant (listed for "
        "that operation in 2018). forbidden403: 403 "
        "conversation.error.forbidden.not.active.participant (as the calls PATCH).",
    ),
    Assumption(
        "genericParticipantPatchUserContext",
        "notRequired",
        ("notRequired", "required"),
        "unknown",
        "PATCH /conversations/{id}/participants/{pid} (the generic route, not /calls) called with "
        "client credentials. The 2018 spec lists no not.a.user for it (it does for the calls route). "
        "notRequired: accepted with a listed permission. required: 400 not.a.user, as the calls route.",
    ),
    Assumption(
        "callsPatchNeedsPausePermission",
        "true",
        ("true", "false"),
        "inferred",
        "PATCH /conversations/calls/{id} with recordingState also needs the UI permission "
        "'Conversation > Recording > Pause', taken to be conversation:recording:pause; a user "
        "without it gets 403 missing.permissions.",
    ),
    Assumption(
        "analyticsIntervalMatching",
        "startDay",
        ("startDay", "startInstant"),
        "documented",
        "The details query matches conversations that started on a (UTC) day the interval "
        "touches (startDay, as documented) or strictly inside the interval (startInstant).",
    ),
    Assumption(
        "analyticsPastResultCap",
        "emptyPage",
        ("emptyPage", "reject"),
        "unknown",
        "A details-query page beyond the 10,000-result cap: an empty page with totalHits "
        "(emptyPage) or 400 bad.request (reject).",
    ),
    Assumption(
        "analyticsPageSizeOverMax",
        "clamp",
        ("clamp", "reject"),
        "inferred",
        "A details-query pageSize over analyticsMaxPageSize (200: Genesys's blog calls it the "
        "maximum, while its recordings-downloader tutorial sends 300). clamp: served as pages of "
        "the maximum, numbered by it (both Genesys samples work). reject: 400 bad.request.",
    ),
    Assumption(
        "analyticsJobResultsNotReady",
        "badRequest400",
        ("badRequest400", "notFound404"),
        "unknown",
        "GET .../details/jobs/{id}/results before the job is FULFILLED (or once it FAILED, was "
        "CANCELLED or EXPIRED). No public source shows the answer; the documented flow reads "
        "results only once FULFILLED. badRequest400: 400 bad.request naming the state (the job "
        "exists). notFound404: 404 not.found.",
    ),
    Assumption(
        "analyticsJobDelete",
        "remove",
        ("remove", "cancel"),
        "unknown",
        "DELETE .../details/jobs/{id} (204): the job is gone, later reads are 404 (remove), or "
        "it stays with state CANCELLED (cancel).",
    ),
    Assumption(
        "recordingsWhileActive",
        "accepted202",
        ("accepted202", "listUnready"),
        "inferred",
        "GET .../recordings while some recording is not yet AVAILABLE (call still going or "
        "transcoding): wait up to maxWaitMs, then 202 with no body (accepted202), or list "
        "them at once with fileState UPLOADING (listUnready).",
    ),
)

ASSUMPTIONS += (
    Assumption(
        "directoryMaxPageSize",
        "500",
        ("100", "500", "unlimited"),
        "unknown",
        "The largest pageSize GET /api/v2/users and GET /api/v2/routing/queues accept (a public "
        "client pages users with 500); a larger one is 400 bad.request.",
    ),
    Assumption(
        "directoryIdListPaging",
        "paged",
        ("paged", "all"),
        "unknown",
        "GET /api/v2/users or /routing/queues with an id list: paged as any listing (paged: "
        "pageSize, default 25, applies) or every requested entity on one page (all).",
    ),
)

ASSUMPTIONS += (
    Assumption(
        "annotationLocation",
        "realtime",
        ("realtime", "absolute"),
        "unknown",
        "Annotation.location of a pause annotation: the wall-clock offset from the recording's "
        "start (realtime, = realtimeLocation) or the offset in the played-back media after "
        "removing the earlier pauses (absolute, = absoluteLocation).",
    ),
    Assumption(
        "pausedMediaRemoved",
        "removed",
        ("removed", "kept"),
        "inferred",
        "Paused time is cut out of the recording's media (removed: outputDurationMs and the "
        "served file are the wall-clock length less the paused time, as absoluteLocation's "
        "wording implies) or kept as silence (kept: the wall-clock length).",
    ),
    Assumption(
        "metadataSystemAnnotations",
        "excluded",
        ("excluded", "included"),
        "inferred",
        "GET …/recordingmetadata 'does not return … system annotations'; pause and hold "
        "annotations are taken to be those (excluded) or not (included: the same pause "
        "annotations as GET …/recordings).",
    ),
)

ASSUMPTIONS += (
    Assumption(
        "batchExpectedResultCount",
        "discovered",
        ("discovered", "known"),
        "unknown",
        "BatchDownloadJobStatusResult.expectedResultCount 'could change as recordings are being "
        "discovered and processed'. discovered: each submitted item counts 1 until its first result "
        "is processed, then its number of results (a conversation-only item: one per recording). "
        "known: the final number from the first read.",
    ),
)

# issue 18 (items 4, 6, 9): the recordings/users side, where the evidence leaves the choice open
# issue 19: deletion protection (legal hold) and the retention query, where the evidence is silent
ASSUMPTIONS += (
    Assumption(
        "protectionUnknownConversation",
        "failedUpdate",
        ("failedUpdate", "notFound"),
        "unknown",
        "PUT /api/v2/recordings/deletionprotection with a conversation id that is unknown or has no "
        "recording ('a conversation with no recording cannot be protected' [documented]). failedUpdate: "
        "200, the id listed in ManageDeleteProtectionResult.failedUpdates with the sandbox's own codes "
        "not.found / recording.not.found, the others applied. notFound: 404 not.found, nothing applied.",
    ),
    Assumption(
        "protectionCapAnswer",
        "reject",
        ("reject", "failedUpdates"),
        "unknown",
        "PUT ?protect=true that would pass the org's 1000 protected conversations [documented cap]. "
        "reject: 400 bad.request naming the cap and the current count, nothing applied. failedUpdates: "
        "200, the ids past the cap listed in failedUpdates (the sandbox's own code "
        "recording.protection.limit.exceeded), the others applied.",
    ),
    Assumption(
        "protectedDeleteDate",
        "refused",
        ("refused", "kept"),
        "unknown",
        "PUT …/recordings/{rid} with a deleteDate on a protected conversation (protection 'blocks "
        "manual deletion' [documented]; the answer is not). refused: 400 bad.request, nothing "
        "changed. kept: the date is stored but does not apply while protected (like a policy date).",
    ),
    Assumption(
        "retentionThresholdMeasure",
        "creationToDeleteDate",
        ("creationToDeleteDate", "creationToNow"),
        "unknown",
        "GET /api/v2/recordings/retention/query?retentionThresholdDays=N: 'recordings retained longer "
        "than N days'. creationToDeleteDate: deleteDate minus creationTime > N days (no deleteDate, "
        "or protected: kept indefinitely, listed). creationToNow: now minus creationTime > N days.",
    ),
)

ASSUMPTIONS += (
    Assumption(
        "pauseAnnotationUser",
        "absent",
        ("absent", "agent"),
        "unknown",
        "Annotation.user is the 'User that created this annotation (if any)' [documented]; whether "
        "a pause or hold annotation names one is not. absent: no user. agent: the user participant "
        "on the call when the pause began (the recording's own participant first, then purpose "
        "agent). The demo scenario turns agent on so the ledger's 'paused by' column shows names.",
    ),
    Assumption(
        "annotationsEndpointPauses",
        "listed",
        ("listed", "bookmarksOnly"),
        "unknown",
        "GET …/recordings/{rid}/annotations[/{annotationId}] (documented for bookmark annotations). "
        "listed: the recording's pause and hold annotations, as on GET …/recordings/{rid}; a hold's "
        "id changes on every read, so its selfUri is 404 on a later read [documented id rule]. "
        "bookmarksOnly: pause annotations are not listed (the sandbox has no bookmarks: [] and 404).",
    ),
    Assumption(
        "usersSortKey",
        "name",
        ("name", "id"),
        "unknown",
        "What GET /api/v2/users sorts by (sortOrder is 'Ascending or descending sort order' of an "
        "undocumented key; queues document 'results are sorted by name'): name (ignoring case, as "
        "queues) or id.",
    ),
    Assumption(
        "batchContentType",
        "audioWav",
        ("audioWav", "byMedia"),
        "unknown",
        "BatchDownloadJobResult.contentType (real values undocumented; 'original format/codec'). "
        "audioWav: audio/wav for every result, the file the media host serves. byMedia: audio/wav "
        "(audio), video/webm (screen), message/rfc822 (email, as emailFormatId EML), application/zip "
        "(chat and messaging, as chatFormatId/messageFormatId ZIP); the served bytes stay the WAV.",
    ),
)

# issue 19, recording jobs (engineer J): the jobs' rules and the file-state clock, where the evidence is silent
ASSUMPTIONS += (
    Assumption(
        "recordingJobCapCountsReady",
        "notCounted",
        ("notCounted", "counted"),
        "unknown",
        "The two-jobs-per-org cap names PENDING and PROCESSING jobs [documented]. notCounted: a READY job "
        "waiting for its PUT does not count. counted: it does. Past the cap, POST (and PUT) answer 400 with "
        "the sandbox's own code recording.job.concurrency.limit.",
    ),
    Assumption(
        "recordingJobStateError",
        "badRequest400",
        ("badRequest400", "conflict409"),
        "unknown",
        "PUT on a job that is not READY, or DELETE on a FULFILLED/FAILED/CANCELLED job: 400 or 409, with the "
        "sandbox's own code recording.job.invalid.state naming the state.",
    ),
    Assumption(
        "recordingJobPastActionDate",
        "accepted",
        ("accepted", "rejected"),
        "unknown",
        "A DELETE/ARCHIVE job whose actionDate is already past. accepted: the action takes effect as soon as "
        "the job processes each recording. rejected: 400 bad.request at POST.",
    ),
    Assumption(
        "recordingJobUnavailable",
        "failed",
        ("failed", "skipped"),
        "unknown",
        "A recording that is not AVAILABLE when the job reaches it (UPLOADING, RESTORING or ERROR). failed: "
        "counted in totalFailedRecordings and listed by failedrecordings. skipped: counted in "
        "totalSkippedRecordings. Protected conversations and recordings whose action is already applied "
        "(DELETED; ARCHIVED for ARCHIVE) are always skipped.",
    ),
    Assumption(
        "recordingJobClientUser",
        "absent",
        ("absent", "clientId"),
        "unknown",
        "RecordingJob.user of a job created with a client-credentials token (Genesys's tutorials do this; "
        "what 'user' then holds is not shown). absent: no user. clientId: {id: the OAuth client id}.",
    ),
)

# --- orphans, seeded gaps and the retention query over generated histories (issue 19, engineer C) ---
ASSUMPTIONS += (
    Assumption(
        "orphanHasConversation",
        "knownConversation",
        ("knownConversation", "namesAConversation"),
        "unknown",
        "GET /api/v2/orphanrecordings?hasConversation=true (the flag's meaning is undocumented). "
        "knownConversation: the orphans whose conversation the org knows (orphanStatus "
        "CONVERSATION_NOT_COMPLETE, CONVERSATION_NOT_EVALUATED, EVALUATED). namesAConversation: also "
        "UNKNOWN_CONVERSATION orphans (their metadata names an id the org does not know). Without "
        "hasConversation=true every orphan is listed, the first 500 only [documented cap].",
    ),
    Assumption(
        "orphanPageSizeMax",
        "100",
        ("100", "500"),
        "unknown",
        "The largest pageSize GET /api/v2/orphanrecordings accepts (undocumented; 100 is the common "
        "Genesys list cap); a larger one is 400 invalid.value. The list is ordered by createdTime "
        "(sortBy=createdTime, the default) or id (sortBy=id); other sortBy values are 400; expand is "
        "ignored; nextPage/previousPage carry a page number.",
    ),
    Assumption(
        "orphanMediaTranscode",
        "firstRequest",
        ("firstRequest", "ready"),
        "unknown",
        "GET /api/v2/orphanrecordings/{id}/media answers 202 'Transcoding orphan media' [documented] "
        "for an undocumented time. firstRequest: the first request starts transcoding; 202 (with the "
        "Recording, no media URI) for 5 s of sandbox clock, then 200 with a mediaUri. ready: 200 at once.",
    ),
    Assumption(
        "orphanAfterRemoval",
        "notFound",
        ("notFound", "gone"),
        "unknown",
        "An orphan after PUT (it became a conversation's recording) or DELETE: GET/PUT/DELETE of its id "
        "answer 404 not.found (notFound), or 410 gone (gone).",
    ),
    Assumption(
        "retentionQueryUploading",
        "excluded",
        ("excluded", "listed"),
        "unknown",
        "Whether GET /api/v2/recordings/retention/query lists recordings still UPLOADING (not yet "
        "stored, so not yet retained): excluded or listed. DELETED recordings are never listed. Rows "
        "come in the order: the org's held conversations by start, then each generated history by "
        "index; the cursor is the sandbox's opaque token.",
    ),
)

# --- notification events: which changes publish what (issue 20, engineer W2; model/event_bodies.py) ---
ASSUMPTIONS += (
    Assumption(
        "eventConversationRecordingStateCase",
        "lower",
        ("lower", "upper"),
        "unknown",
        "The casing of the conversation-level recordingState on v2.users.{id}.conversations and "
        "v2.routing.queues.{id}.conversations (a free string in ConversationEventTopicConversation): "
        "lower (none|active|paused, like the call topics, whose enum is documented lower case) or "
        "upper (ACTIVE|PAUSED|NONE, like REST Conversation).",
    ),
    Assumption(
        "eventDuplicates",
        "changed",
        ("changed", "every"),
        "unknown",
        "When a conversation change publishes. changed: on each topic whose eventBody differs from "
        "before the change (a no-op write, e.g. PAUSED again, publishes nothing). every: on every "
        "topic of the conversation at each write that changed it at all (e.g. retention dates).",
    ),
    Assumption(
        "eventUserParticipants",
        "agents",
        ("agents", "connected"),
        "unknown",
        "Whose v2.users.{id}.conversations(.calls) topics a conversation change publishes on: agents "
        "(every participant with a user of this org, also after it disconnected) or connected (only "
        "participants still connected before/after the change; the change that disconnects one is "
        "its last). Queue topics: the conversation's queue and each participant's queue, always. "
        "Order: each user (participant order), then each queue; per entity the .calls topic first, "
        "then .conversations; one event per topic per API request (a PATCH changing several fields "
        "publishes the final state once).",
    ),
    Assumption(
        "eventRecordingTopics",
        "fileStateChanges",
        ("fileStateChanges", "off"),
        "unknown",
        "v2.users.{id}.conversations.{cid}.recordings (RecordingEventRecording) publishes when a "
        "recording's fileState changes (transcoding done, a date passing on the clock, a mark, a "
        "job); v2.users.{id}.recordings (RecordingArchiveRestoreTopicRecording) when it becomes or "
        "leaves ARCHIVED/RESTORING/RESTORED. Users: the agent participants (eventUserParticipants "
        "agents). off: neither topic publishes. Changes by the passing of wall time alone are seen "
        "at the next read or clock move of the org (the sandbox settles lazily).",
    ),
)

# issue 20, the Notifications API (services/notifications.py; docs/sandbox.md "Notifications")
ASSUMPTIONS += (
    Assumption(
        "notificationRefusedTopic",
        "forbidden403",
        ("forbidden403", "invalidTopic400"),
        "unknown",
        "POST/PUT .../subscriptions without ignoreErrors=true naming a topic the token may not take. "
        "forbidden403: 403 missing.any.permissions when a permission is missing (a topic naming another "
        "org's user or queue is 400 notification.invalid.topic either way). invalidTopic400: 400 "
        "notification.invalid.topic for both. With ignoreErrors=true such topics come back Rejected "
        "(rejectionReason, missingPermissions) and the rest are subscribed [inferred].",
    ),
    Assumption(
        "notificationTopicPermissions",
        "enforced",
        ("enforced", "none"),
        "unknown",
        "Which permissions a topic demands (undocumented per topic). enforced: user and queue "
        "conversation topics need conversation:communication:view (a user token may take its own "
        "v2.users.{id}.* topics without it), recording topics recording:recording:view, detail events "
        "analytics:conversationDetail:view. none: any token of the org may take any topic.",
    ),
    Assumption(
        "notificationTakeoverCloseCode",
        "1000",
        ("1000", "1001", "4000"),
        "unknown",
        "The WebSocket close code the first socket of a channel gets when a second socket connects "
        "(one socket per channel [documented]; the code is not).",
    ),
    Assumption(
        "notificationUnknownChannel",
        "refuse404",
        ("refuse404", "result404Close"),
        "unknown",
        "A socket opened on an unknown, evicted or expired channel. refuse404: the upgrade is refused "
        "with HTTP 404. result404Close: accepted, one {\"result\":\"404\",\"status\":\"error\"} "
        "message, then closed (code 1000), as third-party clients report.",
    ),
    Assumption(
        "notificationSlowSocket",
        "close",
        ("close", "dropOldest"),
        "unknown",
        "A socket whose queue holds notificationSocketQueueSize undelivered events when another one "
        "arrives (the reader is too slow). close: the socket is closed with code 1008 (the client must "
        "reconnect and re-read, as after any gap). dropOldest: the oldest queued event is dropped.",
    ),
)

ASSUMPTION_BY_KEY = {a.key: a for a in ASSUMPTIONS}


def _default_assumptions() -> dict[str, str]:
    return {a.key: a.default for a in ASSUMPTIONS}


@dataclass
class SandboxSettings:
    """Operational knobs; every field is also a key of ``PUT /_sandbox/settings`` (camelCase)."""

    rate_limit_per_minute: int = 300
    latency_ms: int = 0
    token_lifetime_seconds: int = 86399
    transcoding_delay_seconds: float = 3.0
    max_wait_cap_ms: int = 5000
    max_body_bytes: int = 1_048_576
    analytics_max_page_size: int = 200  # the details query's; "Maximum number of records per page" (BLOG)
    analytics_max_interval_days: int = 7
    analytics_result_cap: int = 10_000
    analytics_max_past_days: int = 35  # sync query: start at most 35 days back, today included [documented]
    # async details jobs (services/analytics_jobs.py); each value is [unknown] (docs/sandbox.md)
    analytics_job_delay_seconds: float = 3.0  # QUEUED -> PENDING at half, FULFILLED at the end
    analytics_job_expiry_seconds: int = 86_400  # FULFILLED -> EXPIRED after this
    analytics_job_max_concurrent: int = 0  # QUEUED/PENDING jobs per org; 0 = no cap
    analytics_job_default_page_size: int = 100
    analytics_job_max_page_size: int = 1000
    analytics_job_max_interval_days: int = 0  # 0 = no limit
    # the data lake's lag: jobs hold conversations ended by now - lag, availability says so; 0 = off.
    # Genesys documents only "up to 48 hours" (recording jobs); the 1 h default is [unknown]
    analytics_job_data_lag_seconds: float = 3600.0
    request_log_size: int = 10_000
    # recording batch downloads (services/batch_downloads.py) and their media host (services/media.py)
    batch_download_delay_seconds: float = 1.0  # results appear over this time [inferred timing]
    batch_download_url_ttl_seconds: int = 3600  # recordingBatchDownloadUrlTtl default, 60 min [documented]
    media_max_seconds: float = 0  # served WAV length cap; 0 = as long as the recording (sandbox sizing)
    # a seat's share of the room's memory (docs/sandbox.md, "Limits the room adds"); 0 = none, the
    # default of a plain sandbox; a training room turns them on (ROOM_LIMITS, ``for_room``)
    token_mints_per_minute: int = 0  # tokens minted per org per minute (/oauth/token + /_sandbox/tokens)
    live_tokens_per_org: int = 0  # live tokens an org holds; past it its oldest token is dropped
    media_downloads_per_org: int = 0  # media-host downloads of an org in flight at once
    region: str = "us-east-1"
    # issue 19, recording jobs and the recording lifecycle clock (services/recording_jobs.py; each [unknown])
    recording_job_ready_seconds: float = 2.0  # PENDING -> READY (query + recording discovery)
    recording_job_recordings_per_second: float = 100.0  # PROCESSING speed; 0 = all at once
    recording_job_data_lag_seconds: float = 0.0  # data lake lag of job queries (Genesys: "up to 48 h")
    recording_job_max_concurrent: int = 2  # PENDING + PROCESSING jobs per org [documented: two]
    sensitive_data_redaction: int = 0  # 1: the org redacts PCI/PII (includeRecordingsWithSensitiveData rule)
    restore_seconds: float = 60.0  # RESTORING -> RESTORED after a new archiveDate on an ARCHIVED recording
    # issue 20: a recording's fileState moved by wall time alone is looked for at an org's read at most
    # this often (sandbox clock seconds); clock moves and changes always look (model/state.py _sweep)
    event_file_sweep_seconds: float = 1.0
    export_folder: str = ""  # EXPORT jobs write here ({folder}/{orgId}/year=...); "" = no bucket, exports fail
    # issue 20, notifications (services/notifications.py): documented limits as defaults, timings [3P]
    notification_channel_ttl_seconds: float = 86_400.0  # 24 h, renewed by any subscription call
    notification_channels_per_app: int = 20  # per user + application; the 21st evicts one
    notification_topics_per_channel: int = 1000
    notification_heartbeat_seconds: float = 30.0  # 0 = no heartbeats
    notification_socket_closing_seconds: float = 60.0  # socket_closing this long before a planned close
    notification_socket_queue_size: int = 10_000  # undelivered events per socket (notificationSlowSocket)
    notification_channels_per_org: int = 0  # a room's cap (channels, so sockets, per seat); 0 = none
    notification_event_version: str = "2"  # the envelope's "version" [unknown]
    # issue 20, the trainer board's push stream (room/board_stream.py; each the room's own choice)
    board_stream_max_streams: int = 8  # GET /_room/board/stream open at once; the next one is 429
    board_stream_keepalive_seconds: float = 15.0  # a ": keep-alive" comment when idle this long; 0 = none
    board_stream_min_interval_seconds: float = 0.25  # at most one snapshot per this long (bursts coalesce)
    board_stream_recheck_seconds: float = 5.0  # while streamed, the board is recomputed at least this often
    assumptions: dict[str, str] = field(default_factory=_default_assumptions)

    @classmethod
    def for_room(cls) -> SandboxSettings:
        """The settings of a training room: the defaults plus ``ROOM_LIMITS``."""
        return cls(**ROOM_LIMITS)

    def assumption(self, key: str) -> str:
        return self.assumptions[key]

    def to_wire(self) -> dict[str, Any]:
        return {_camel(k): v for k, v in asdict(self).items()}

    def update_from_wire(self, patch: dict[str, Any]) -> None:
        """Apply a camelCase patch; ``ValueError`` names the bad key or value."""
        if not isinstance(patch, dict):
            raise ValueError("settings must be a JSON object")
        by_camel = {_camel(f.name): f for f in fields(self)}
        staged: dict[str, Any] = {}
        for key, value in patch.items():
            f = by_camel.get(key)
            if f is None:
                raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(by_camel))}")
            if f.name == "assumptions":
                staged["assumptions"] = self._checked_assumptions(value)
                continue
            current = getattr(self, f.name)
            if isinstance(current, str):
                if not isinstance(value, str) or not value:
                    raise ValueError(f"setting {key!r} must be a non-empty string")
                staged[f.name] = value
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"setting {key!r} must be a number >= 0")
            if isinstance(current, int) and not float(value).is_integer():
                raise ValueError(f"setting {key!r} must be a whole number")
            staged[f.name] = type(current)(value)
        if staged.get("rate_limit_per_minute", self.rate_limit_per_minute) < 1:
            raise ValueError("setting 'rateLimitPerMinute' must be at least 1")
        if staged.get("batch_download_url_ttl_seconds", self.batch_download_url_ttl_seconds) < 1:
            raise ValueError("setting 'batchDownloadUrlTtlSeconds' must be at least 1 (Genesys allows 120 to 3600)")
        for name, value in staged.items():
            setattr(self, name, value)

    def _checked_assumptions(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise ValueError("'assumptions' must be an object of key -> choice")
        merged = dict(self.assumptions)
        for key, choice in value.items():
            a = ASSUMPTION_BY_KEY.get(key)
            if a is None:
                raise ValueError(f"unknown assumption {key!r}; known: {', '.join(ASSUMPTION_BY_KEY)}")
            if choice not in a.choices:
                raise ValueError(f"assumption {key!r} takes one of {', '.join(a.choices)}, not {choice!r}")
            merged[key] = choice
        return merged


# What a training room sets (every figure the room's own choice; docs/sandbox.md §1.3, "Limits the
# room adds"). Genesys's token endpoint has a limit of its own (token.rate.per.minute) whose value is
# [unknown] (genesys-api.md §4.2).
ROOM_LIMITS: dict[str, Any] = {
    # 60 mints a minute per seat: recops mints one token per session and one more when it is
    # refused, so a class never comes near it; a minting loop gets 429 after 60 tokens a minute
    "token_mints_per_minute": 60,
    # 500 live tokens per seat, about 0.5 MB (a token, its index entries and its rate-limit window:
    # ~1 KB) of the 8 MB the room reserves per seat (room/seats.py PER_SEAT_BYTES)
    "live_tokens_per_org": 500,
    # 4 downloads at once per seat: recops export's own default concurrency (api/settings.py
    # DEFAULT_CONCURRENCY), so an export never trips it; each streamed download holds ~128 KB
    "media_downloads_per_org": 4,
    # 40 notification channels per seat (two user + app pairs' worth; each channel, its topics and a
    # socket's queue stay well under 100 KB): past it the seat's least recently used channel goes
    "notification_channels_per_org": 40,
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def assumptions_wire(current: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "key": a.key,
            "value": current.get(a.key, a.default),
            "default": a.default,
            "choices": list(a.choices),
            "evidence": a.evidence,
            "text": a.text,
        }
        for a in ASSUMPTIONS
    ]
