"""Every SDK call recops makes, run through the partly loaded SDK (recops/api/sdk.py) against a sandbox.

Run as a script in a fresh interpreter (``python lazy_sdk_calls.py``, configured by environment:
``SANDBOX_URL``, ``AVA_TOKEN``, ``BEN_TOKEN``, ``CONVERSATIONS``, a JSON object media -> id, and
``LIFECYCLE``, a JSON object: ``ids``, recorded conversations for the recording jobs, the first one
AVAILABLE, ``interval`` around them, ``hold``, a conversation to protect), so
that no earlier full import of ``PureCloudPlatformClientV2`` can mask a name the lazy path misses.
It prints one JSON object: what each call returned and which SDK modules the process loaded.

``CALLS`` names every SDK class, model and method recops uses; tests/core/test_sdk_loader.py
checks that recops/ uses no other (so a new SDK call cannot skip this check). Importing this
module imports nothing from the SDK.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

ACTIVE = "c0a80001-0000-4000-8000-000000000001"  # demo: recorded call, Ava the agent
ACTIVE_AGENT = "c0a80001-0000-4000-8000-0000000001a1"
ADHOC = "c0a80001-0000-4000-8000-000000000004"  # demo: Ben's ad-hoc recording on
ADHOC_AGENT = "c0a80001-0000-4000-8000-0000000004a1"
ENDED = "c0a80001-0000-4000-8000-000000000006"  # demo: ended, recordings AVAILABLE
EMAIL = "c0a80001-0000-4000-8000-000000000007"
SUPERVISOR = ("sandbox-supervisor", "sandbox-supervisor-secret")
INTEGRATION = ("sandbox-integration", "sandbox-integration-secret")  # recording:*:*, the lifecycle's client
ORPHAN = "0a7f0000-0000-4000-8000-000000000001"  # demo: the recording of conversation ...011 (issue 19)
ORPHAN_OF = "c0a80001-0000-4000-8000-000000000011"

# SDK classes recops builds (models as request bodies, the API classes, the ApiClient)
CLASSES = ("ApiClient", "ConversationsApi", "RecordingApi", "AnalyticsApi", "UsersApi", "RoutingApi", "Conversation",
           "SetRecordingState", "MediaParticipantRequest", "ConversationQuery", "PagingSpec",
           "SegmentDetailQueryFilter", "SegmentDetailQueryPredicate", "AsyncConversationQuery",
           "BatchDownloadJobSubmission", "BatchDownloadRequest",
           # recops.lifecycle: recording jobs, deletion protection, retention dates
           "RecordingJobsQuery", "ConversationDetailQueryFilter", "ConversationDetailQueryClause",
           "ConversationDetailQueryPredicate", "ExecuteRecordingJobsQuery", "ConversationDeletionProtectionQuery",
           "Recording", "ApiNullValue",
           # recops.lifecycle: coverage and orphans
           "OrphanUpdateRequest",
           # recops.live: channels and subscriptions (issue 20)
           "NotificationsApi", "ChannelTopic")
ACTION_DATE = datetime(2031, 1, 1, tzinfo=timezone.utc)  # the jobs' and the retention PUT's date


class Ctx:
    def __init__(self, sdk: Any, url: str, conversations: dict[str, str], ava: str, ben: str,
                 lifecycle: dict[str, Any]) -> None:
        self.sdk = sdk
        self.url = url
        self.conversations = conversations
        self.lifecycle = lifecycle
        self.client = sdk.ApiClient(host=url).get_client_credentials_token(*SUPERVISOR)
        self.records = sdk.ApiClient(host=url).get_client_credentials_token(*INTEGRATION)
        self.ava = self._user(ava)
        self.ben = self._user(ben)
        self.job_id = ""
        self.batch_id = ""
        self.recording_job_id = ""

    def _user(self, token: str) -> Any:
        api = self.sdk.ApiClient(host=self.url)
        api.access_token = token
        return api

    def state(self, value: str) -> Any:
        body = self.sdk.SetRecordingState()
        body.recording_state = value
        return body


def _describe(value: Any, depth: int = 0) -> Any:
    """What came back: a model's class and module (and those of the models in its lists, which
    the SDK resolved by name), a list or a dict of those, or a plain value."""
    if isinstance(value, dict):
        return {k: _describe(v, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [_describe(v, depth) for v in value[:2]]
    if hasattr(value, "swagger_types"):
        out: dict[str, Any] = {"class": type(value).__name__, "module": type(value).__module__}
        if depth == 0:
            for attr in value.swagger_types:
                inner = getattr(value, attr, None)
                if isinstance(inner, list) and inner and hasattr(inner[0], "swagger_types"):
                    out[attr] = _describe(inner[0], depth + 1)
        return out
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return {"class": type(value).__name__, "module": type(value).__module__}


def _put_state(media: str, method: str) -> Callable[[Ctx], Any]:
    def call(c: Ctx) -> Any:
        api = c.sdk.ConversationsApi(c.client)
        return getattr(api, method)(c.conversations[media], c.state("PAUSED"))
    return call


def _details_query(c: Ctx) -> Any:
    sdk = c.sdk
    predicate = sdk.SegmentDetailQueryPredicate()
    predicate.type = "dimension"
    predicate.operator = "matches"
    predicate.dimension = "mediaType"
    predicate.value = "voice"
    segment_filter = sdk.SegmentDetailQueryFilter()
    segment_filter.type = "and"
    segment_filter.predicates = [predicate]
    query = sdk.ConversationQuery()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    query.interval = f"{(now - timedelta(days=2)).isoformat()}/{(now + timedelta(hours=1)).isoformat()}".replace(
        "+00:00", "Z")
    query.segment_filters = [segment_filter]
    paging = sdk.PagingSpec()
    paging.page_size = 25
    paging.page_number = 1
    query.paging = paging
    return sdk.AnalyticsApi(c.client).post_analytics_conversations_details_query(query)


def _submit_job(c: Ctx) -> Any:
    query = c.sdk.AsyncConversationQuery()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    query.interval = f"{(now - timedelta(days=40)).isoformat()}/{(now - timedelta(days=39)).isoformat()}".replace(
        "+00:00", "Z")
    query.order = "asc"
    query.order_by = "conversationStart"
    answer = c.sdk.AnalyticsApi(c.client).post_analytics_conversations_details_jobs(query)
    c.job_id = answer.job_id
    return answer


def _job_status(c: Ctx) -> Any:
    """Polled until the job leaves QUEUED/PENDING (as recops.history.jobs.wait does)."""
    api = c.sdk.AnalyticsApi(c.client)
    deadline = time.monotonic() + 60
    while True:
        status = api.get_analytics_conversations_details_job(c.job_id)
        if status.state not in ("QUEUED", "PENDING") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def _submit_batch(c: Ctx) -> Any:
    item = c.sdk.BatchDownloadRequest()
    item.conversation_id = ENDED
    body = c.sdk.BatchDownloadJobSubmission()
    body.batch_download_request_list = [item]
    answer = c.sdk.RecordingApi(c.client).post_recording_batchrequests(body)
    c.batch_id = answer.id
    return answer


def _batch_status(c: Ctx) -> Any:
    """Polled until Completed (as recops.export.pipeline does)."""
    api = c.sdk.RecordingApi(c.client)
    deadline = time.monotonic() + 60
    while True:
        status = api.get_recording_batchrequest(c.batch_id)
        if status.status == "Completed" or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def _patch_call(c: Ctx) -> Any:
    body = c.sdk.Conversation()
    body.recording_state = "PAUSED"
    return c.sdk.ConversationsApi(c.ava).patch_conversations_call(ACTIVE, body)


def _adhoc(method: str, cid: str, pid: str) -> Callable[[Ctx], Any]:
    def call(c: Ctx) -> Any:
        body = c.sdk.MediaParticipantRequest()
        body.recording = False
        api = c.sdk.ConversationsApi(c.ben if cid == ADHOC else c.ava)
        return getattr(api, method)(cid, pid, body)
    return call


def _recording_jobs_query(c: Ctx) -> Any:
    """As recops.lifecycle.job_query builds it: the conversation ids as predicates of an OR clause."""
    sdk = c.sdk
    clause = sdk.ConversationDetailQueryClause()
    clause.type = "or"
    clause.predicates = []
    for cid in c.lifecycle["ids"]:
        p = sdk.ConversationDetailQueryPredicate()
        p.type, p.dimension, p.operator, p.value = "dimension", "conversationId", "matches", cid
        clause.predicates.append(p)
    flt = sdk.ConversationDetailQueryFilter()
    flt.type = "or"
    flt.clauses = [clause]
    cq = sdk.AsyncConversationQuery()
    cq.interval = c.lifecycle["interval"]
    cq.conversation_filters = [flt]
    body = sdk.RecordingJobsQuery()
    body.action = "ARCHIVE"
    body.action_date = ACTION_DATE
    body.include_screen_recordings = True
    body.conversation_query = cq
    return body


def _create_recording_job(c: Ctx) -> Any:
    answer = c.sdk.RecordingApi(c.records).post_recording_jobs(_recording_jobs_query(c))
    c.recording_job_id = answer.id
    return answer


def _recording_job_until(*ended: str) -> Callable[[Ctx], Any]:
    """Polled while it is in none of ``ended`` (as recops.lifecycle.jobs waits and follows)."""
    def call(c: Ctx) -> Any:
        api = c.sdk.RecordingApi(c.records)
        deadline = time.monotonic() + 60
        while True:
            job = api.get_recording_job(c.recording_job_id)
            if job.state in ended or time.monotonic() > deadline:
                return job
            time.sleep(0.1)
    return call


def _execute_recording_job(c: Ctx) -> Any:
    body = c.sdk.ExecuteRecordingJobsQuery()
    body.state = "PROCESSING"
    return c.sdk.RecordingApi(c.records).put_recording_job(c.recording_job_id, body)


def _ready_job(c: Ctx) -> Any:
    job = _recording_job_until("READY", "FAILED", "CANCELLED")(c)
    return {"job": job, "state": job.state, "total_recordings": job.total_recordings}


def _failed_recordings(c: Ctx) -> Any:
    """After the executed job ended (the second conversation's recording is still uploading: it fails),
    read as recops.lifecycle.job_run.failed_recordings does."""
    job = _recording_job_until("FULFILLED", "FAILED", "CANCELLED")(c)
    listing = c.sdk.RecordingApi(c.records).get_recording_job_failedrecordings(c.recording_job_id, page_size=100,
                                                                               page_number=1, include_total=True)
    return {"listing": listing, "state": job.state,
            "failed": [getattr(e.conversation, "id", None) for e in listing.entities or []]}


def _cancel_recording_job(c: Ctx) -> Any:
    """A second job, cancelled while PENDING (as recops.lifecycle.jobs.cancel does)."""
    api = c.sdk.RecordingApi(c.records)
    job = api.post_recording_jobs(_recording_jobs_query(c))
    return api.delete_recording_job(job.id)


def _protection_query(c: Ctx, ids: list[str]) -> Any:
    query = c.sdk.ConversationDeletionProtectionQuery()
    query.conversation_ids = ids
    return query


def _set_retention(c: Ctx) -> Any:
    """As recops.lifecycle.retention does: the recording's archiveDate removed (an explicit null,
    ApiNullValue) and a deleteDate given."""
    sdk = c.sdk
    cid = c.lifecycle["ids"][0]
    api = sdk.RecordingApi(c.records)
    [meta] = api.get_conversation_recordingmetadata(cid)
    body = sdk.Recording()
    body.archive_date = sdk.ApiNullValue()
    body.delete_date = ACTION_DATE
    answer = api.put_conversation_recording(cid, meta.id, body)
    [now] = api.get_conversation_recordingmetadata(cid)
    return {"recording": answer, "archive_before": _iso(meta.archive_date), "archive_after": _iso(now.archive_date),
            "delete_after": _iso(now.delete_date)}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_protection(c: Ctx) -> Any:
    """As recops.lifecycle.hold.check does: which of these conversations are protected."""
    refs = c.sdk.RecordingApi(c.records).post_recordings_deletionprotection(
        _protection_query(c, [c.lifecycle["hold"], *c.lifecycle["ids"]]))
    return {"refs": refs, "ids": sorted(r.id for r in refs)}



def _retention_query(c: Ctx) -> Any:
    """As recops.lifecycle.coverage reads the recordings' dates (threshold 0 days, positional)."""
    page = c.sdk.RecordingApi(c.client).get_recordings_retention_query(0, page_size=500)
    return {"page": page, "rows": len(page.entities or [])}


def _orphans(c: Ctx) -> Any:
    """Both lists, as recops.lifecycle.orphans reads them: those with a conversation, then the capped one."""
    api = c.sdk.RecordingApi(c.client)
    known = api.get_orphanrecordings(page_size=25, page_number=1, has_conversation=True)
    every = api.get_orphanrecordings(page_size=25, page_number=1)
    return {"known": known, "listed": ORPHAN in {o.id for o in every.entities or []}}


def _reattach_orphan(c: Ctx) -> Any:
    """As recops.lifecycle.orphans.reattach_orphan does: an empty OrphanUpdateRequest, so the orphan
    becomes a recording of the conversation it names."""
    rec = c.sdk.RecordingApi(c.client).put_orphanrecording(ORPHAN, body=c.sdk.OrphanUpdateRequest())
    return {"recording": rec, "conversation_id": rec.conversation_id}


def _channel(c: Ctx) -> Any:
    return c.sdk.NotificationsApi(c.client).post_notifications_channels()


def _subscribe(c: Ctx) -> Any:
    """As recops.live.channels does: ChannelTopic models (no constructor arguments), ignoreErrors."""
    topic = c.sdk.ChannelTopic()
    topic.id = "v2.routing.queues.5a1e0000-0000-4000-8000-0000000000a1.conversations.calls"
    return c.sdk.NotificationsApi(c.client).put_notifications_channel_subscriptions(_channel(c).id, [topic],
                                                                                     ignore_errors=True)


# method name -> the call, made as recops makes it (same API class, same body model)
CALLS: dict[str, Callable[[Ctx], Any]] = {
    # recops.live (issue 20)
    "post_notifications_channels": _channel,
    "put_notifications_channel_subscriptions": _subscribe,
    "get_notifications_channels": lambda c: c.sdk.NotificationsApi(c.client).get_notifications_channels(),
    "head_notifications_channel": lambda c: c.sdk.NotificationsApi(c.client).head_notifications_channel(_channel(c).id),
    "delete_notifications_channel_subscriptions": lambda c: c.sdk.NotificationsApi(
        c.client).delete_notifications_channel_subscriptions(_channel(c).id),
    "get_client_credentials_token": lambda c: c.sdk.ApiClient(host=c.url).get_client_credentials_token(*SUPERVISOR),
    "get_conversation": lambda c: c.sdk.ConversationsApi(c.client).get_conversation(ACTIVE),
    "get_conversations": lambda c: c.sdk.ConversationsApi(c.ava).get_conversations(),
    "get_users_me": lambda c: c.sdk.UsersApi(c.ava).get_users_me(),
    "get_users": lambda c: c.sdk.UsersApi(c.client).get_users(id=["7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1001"], page_size=1,
                                                              page_number=1, state="any"),
    "get_routing_queues": lambda c: c.sdk.RoutingApi(c.client).get_routing_queues(
        id=["00000000-0000-4000-8000-00000000q001"], page_size=1, page_number=1),
    "get_conversation_recordingmetadata": lambda c: c.sdk.RecordingApi(c.client).get_conversation_recordingmetadata(
        ENDED),
    "get_conversation_recordings": lambda c: c.sdk.RecordingApi(c.client).get_conversation_recordings(ENDED),
    "post_analytics_conversations_details_query": _details_query,
    "put_conversations_call_recordingstate": _put_state("call", "put_conversations_call_recordingstate"),
    "put_conversations_callback_recordingstate": _put_state("callback", "put_conversations_callback_recordingstate"),
    "put_conversations_email_recordingstate": _put_state("email", "put_conversations_email_recordingstate"),
    "put_conversations_message_recordingstate": _put_state("message", "put_conversations_message_recordingstate"),
    "put_conversations_social_recordingstate": _put_state("social", "put_conversations_social_recordingstate"),
    "put_conversations_video_recordingstate": _put_state("video", "put_conversations_video_recordingstate"),
    "patch_conversation_recordingstate": lambda c: c.sdk.ConversationsApi(c.client).patch_conversation_recordingstate(
        EMAIL, c.state("ACTIVE")),
    "post_analytics_conversations_details_jobs": _submit_job,
    "get_analytics_conversations_details_job": _job_status,
    "get_analytics_conversations_details_job_results": lambda c: c.sdk.AnalyticsApi(
        c.client).get_analytics_conversations_details_job_results(c.job_id, page_size=10),
    "delete_analytics_conversations_details_job": lambda c: c.sdk.AnalyticsApi(
        c.client).delete_analytics_conversations_details_job(c.job_id),
    "get_analytics_conversations_details_jobs_availability": lambda c: c.sdk.AnalyticsApi(
        c.client).get_analytics_conversations_details_jobs_availability(),
    "post_recording_batchrequests": _submit_batch,
    "get_recording_batchrequest": _batch_status,
    "patch_conversations_call": _patch_call,
    "patch_conversations_call_participant": _adhoc("patch_conversations_call_participant", ADHOC, ADHOC_AGENT),
    "patch_conversation_participant": _adhoc("patch_conversation_participant", ACTIVE, ACTIVE_AGENT),
    # recops.lifecycle (jobs.py, job_run.py, job_reconcile.py, hold.py, retention.py)
    "post_recording_jobs": _create_recording_job,
    "get_recording_job": _ready_job,
    "get_recording_jobs": lambda c: c.sdk.RecordingApi(c.records).get_recording_jobs(
        page_size=25, page_number=1, show_only_my_jobs=True, include_total=True, state="READY"),
    "put_recording_job": _execute_recording_job,
    "get_recording_job_failedrecordings": _failed_recordings,
    "delete_recording_job": _cancel_recording_job,
    "put_recordings_deletionprotection": lambda c: c.sdk.RecordingApi(c.records).put_recordings_deletionprotection(
        protect=True, body=_protection_query(c, [c.lifecycle["hold"]])),
    "post_recordings_deletionprotection": _check_protection,
    "put_conversation_recording": _set_retention,
    # recops.lifecycle (coverage.py, orphans.py; issue 19, engineer C)
    "get_recordings_retention_query": _retention_query,
    "get_orphanrecordings": _orphans,
    "get_orphanrecording": lambda c: c.sdk.RecordingApi(c.client).get_orphanrecording(ORPHAN),
    "put_orphanrecording": _reattach_orphan,
}


def main() -> int:
    from recops.api import sdk as loader

    sdk = loader.load()
    ctx = Ctx(sdk, os.environ["SANDBOX_URL"], json.loads(os.environ["CONVERSATIONS"]),
              os.environ["AVA_TOKEN"], os.environ["BEN_TOKEN"], json.loads(os.environ["LIFECYCLE"]))
    results: dict[str, Any] = {}
    for name, call in CALLS.items():
        try:
            results[name] = {"ok": _describe(call(ctx))}
        except Exception as e:  # reported, not raised: the test shows every failure at once
            results[name] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
    classes = {name: getattr(sdk, name).__module__ for name in CLASSES}
    modules = loader.loaded_modules()
    print(json.dumps({"lazy": loader.is_lazy(), "results": results, "classes": classes, "modules": modules}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
