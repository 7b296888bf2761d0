"""Recording batch download requests, client side (``/api/v2/recording/batchrequests``).

- ``submit(client, items)``: ``POST`` at most :data:`MAX_ITEMS` items (a conversation, and
  optionally one of its recordings; a conversation alone asks for all its recordings) → job id.
- ``status(client, job_id)``: ``GET .../{jobId}`` → :class:`BatchStatus` (done when ``status``
  is ``Completed``; each result has a ``resultUrl`` or an ``errorMsg``).
- :class:`Poll`: the backoff between polls of one job (1 s, growing ×1.5 to 10 s).

Both go through the SDK on recops's transport, which paces requests from the rate-limit
headers and waits out a 429's ``Retry-After`` (a longer one is raised as ``RateLimited``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import ApiError

if TYPE_CHECKING:
    from recops.api.client import Client

BATCHES = "/api/v2/recording/batchrequests"
MAX_ITEMS = 100  # "List of up to 100 items requested" [documented]
FIRST_POLL = 1.0  # seconds before the first poll of a job; then x POLL_FACTOR, at most MAX_POLL
POLL_FACTOR = 1.5
MAX_POLL = 10.0


@dataclass(frozen=True)
class Item:
    """One requested item: a conversation's recording, or (``recording_id`` None) all of them."""

    conversation_id: str
    recording_id: str | None = None


@dataclass(frozen=True)
class BatchResult:
    conversation_id: str
    recording_id: str | None
    url: str | None
    content_type: str | None
    error: str | None


@dataclass(frozen=True)
class BatchStatus:
    job_id: str
    done: bool
    expected: int | None
    results: list[BatchResult]


def chunks(items: Sequence[Item], size: int = MAX_ITEMS) -> Iterator[list[Item]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def submit(client: Client, items: Iterable[Item]) -> str:
    sdk = client.sdk()
    requests = []
    for item in items:
        request = sdk.BatchDownloadRequest()
        request.conversation_id = item.conversation_id
        if item.recording_id:
            request.recording_id = item.recording_id
        requests.append(request)
    if not 0 < len(requests) <= MAX_ITEMS:
        raise ValueError(f"a batch holds 1 to {MAX_ITEMS} items, not {len(requests)}")
    body = sdk.BatchDownloadJobSubmission()
    body.batch_download_request_list = requests
    api = client.recording_api
    answer = client.call("POST", BATCHES, api.post_recording_batchrequests, body)
    if not answer or not answer.id:
        raise ApiError(0, "invalid.response", "the batch was accepted without an id", method="POST", path=BATCHES)
    return str(answer.id)


def status(client: Client, job_id: str) -> BatchStatus:
    api = client.recording_api
    answer = client.call("GET", f"{BATCHES}/{job_id}", api.get_recording_batchrequest, job_id)
    results = [_result(r) for r in (answer.results or [])]
    expected = answer.expected_result_count
    state = (answer.status or "").lower()
    done = state == "completed" or (state not in ("inprogress",) and expected is not None
                                    and (answer.result_count or 0) >= expected > 0)
    return BatchStatus(job_id, done, expected, results)


def _result(r: Any) -> BatchResult:
    return BatchResult(r.conversation_id or "", r.recording_id or None, r.result_url or None,
                       r.content_type or None, r.error_msg or None)


class Poll:
    """When to poll a job next: FIRST_POLL after submission, then growing to MAX_POLL."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self.delay = FIRST_POLL
        self.due = clock() + self.delay

    def next(self) -> None:
        self.delay = min(MAX_POLL, self.delay * POLL_FACTOR)
        self.due = self._clock() + self.delay
