"""The asynchronous analytics details jobs, client side (``/api/v2/analytics/conversations/details/jobs``).

- ``submit``: ``POST .../jobs`` with an ``AsyncConversationQuery`` → the job id (202).
- ``wait``: ``GET .../jobs/{id}`` with backoff until ``FULFILLED``; ``FAILED``, ``CANCELLED``
  and ``EXPIRED`` are terminal and raise ``JobFailed`` naming the job and what to do.
- ``pages``: ``GET .../jobs/{id}/results`` with ``pageSize``, passing each returned ``cursor``;
  no cursor means the results are finished [inferred: what public clients do].
- ``delete``: ``DELETE .../jobs/{id}`` (cancels a running job, frees a finished one).
- ``availability``: ``GET .../jobs/availability`` → the time before which the data lake is complete.

Between polls and pages ``cancel()`` is asked; a true answer raises ``Cancelled``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import ApiError, BadRequest, Cancelled, JobFailed, NotFound, PermissionDenied, RecopsError
from recops.genesys.intervals import iso

if TYPE_CHECKING:
    from recops.api.client import Client

JOBS = "/api/v2/analytics/conversations/details/jobs"
PAGE_SIZE = 1000  # what public clients send [inferred]; no maximum is documented
FIRST_POLL = 0.1  # seconds; then x1.3 each poll, at most MAX_POLL
POLL_FACTOR = 1.3
MAX_POLL = 3.0
TERMINAL = ("FAILED", "CANCELLED", "EXPIRED")

CancelCheck = Callable[[], bool]


def never() -> bool:
    return False


def _check(cancel: CancelCheck) -> None:
    if cancel():
        raise Cancelled


def submit(client: Client, start: datetime, end: datetime, filters: list[Any]) -> str:
    sdk = client.sdk()
    q = sdk.AsyncConversationQuery()
    q.interval = f"{iso(start)}/{iso(end)}"
    q.order = "asc"
    q.order_by = "conversationStart"
    if filters:
        q.segment_filters = filters
    api = client.analytics_api
    answer = client.call("POST", JOBS, api.post_analytics_conversations_details_jobs, q)
    if not answer or not answer.job_id:
        raise ApiError(0, "invalid.response", "the job was accepted without a job id", method="POST", path=JOBS)
    return answer.job_id


def status(client: Client, job_id: str) -> Any:
    api = client.analytics_api
    return client.call("GET", f"{JOBS}/{job_id}", api.get_analytics_conversations_details_job, job_id)


def wait(client: Client, job_id: str, cancel: CancelCheck = never, sleep: Callable[[float], None] = time.sleep) -> Any:
    """The job's status once ``FULFILLED``; ``JobFailed`` if it ends otherwise."""
    delay = FIRST_POLL
    while True:
        st = status(client, job_id)
        state = (st.state or "").upper()
        if state == "FULFILLED":
            return st
        if state in TERMINAL:
            raise JobFailed(job_id, state, st.error_message or "")
        _check(cancel)
        sleep(delay)
        _check(cancel)
        delay = min(MAX_POLL, delay * POLL_FACTOR)


def pages(client: Client, job_id: str, page_size: int = PAGE_SIZE, cancel: CancelCheck = never) -> Iterator[list[Any]]:
    """Each page's conversations (SDK models), in order, until the cursor runs out."""
    api = client.analytics_api
    path = f"{JOBS}/{job_id}/results"
    cursor = None
    while True:
        _check(cancel)
        try:
            page = client.call("GET", path, api.get_analytics_conversations_details_job_results, job_id,
                               cursor=cursor, page_size=page_size)
        except (NotFound, BadRequest) as e:  # the job may have ended under us: say which and why
            raise _gone(client, job_id, e) from e
        yield page.conversations or []
        cursor = page.cursor
        if not cursor:
            return


def raw_pages(client: Client, job_id: str, page_size: int = PAGE_SIZE,
              cancel: CancelCheck = never) -> Iterator[list[dict[str, Any]]]:
    """As ``pages``, but each page's conversations as plain JSON (camelCase dicts), not SDK
    models: the same request through the SDK's ``ApiClient``, without building a model object
    per conversation, participant, session, segment and metric (``recops.history.rows``)."""
    api = client.analytics_api.api_client
    path = f"{JOBS}/{job_id}/results"
    cursor = None
    while True:
        _check(cancel)
        query: dict[str, Any] = {"pageSize": page_size}
        if cursor:
            query["cursor"] = cursor
        try:
            page = client.call("GET", path, api.call_api, f"{JOBS}/{{jobId}}/results", "GET", {"jobId": job_id},
                               query, {"Accept": "application/json", "Content-Type": "application/json"},
                               response_type="object", auth_settings=["PureCloud OAuth"])
        except (NotFound, BadRequest) as e:
            raise _gone(client, job_id, e) from e
        page = page or {}
        conversations = page.get("conversations") or []
        cursor = page.get("cursor")
        del page
        yield conversations
        del conversations  # not held while the next page is read
        if not cursor:
            return


def _gone(client: Client, job_id: str, error: ApiError) -> RecopsError:
    """``JobFailed`` if the job has ended (or is gone), else the results request's own error."""
    try:
        st = status(client, job_id)
    except NotFound:
        return JobFailed(job_id, "EXPIRED", f"its results are gone ({error.status} {error.code})")
    except RecopsError:
        return error
    state = (st.state or "").upper()
    return JobFailed(job_id, state, st.error_message or "") if state in TERMINAL else error


def delete(client: Client, job_id: str) -> None:
    """Delete (or cancel) the job; failures are ignored: it expires by itself anyway."""
    api = client.analytics_api
    with contextlib.suppress(RecopsError):
        client.call("DELETE", f"{JOBS}/{job_id}", api.delete_analytics_conversations_details_job, job_id)


def availability(client: Client) -> datetime | None:
    """The time before which the data lake holds every conversation; None if this principal
    may not ask (it needs analytics:conversationDetail:view)."""
    api = client.analytics_api
    try:
        answer = client.call("GET", f"{JOBS}/availability",
                             api.get_analytics_conversations_details_jobs_availability)
    except PermissionDenied:
        return None
    return answer.data_availability_date if answer else None
