"""The analytics details query, read whole: ``POST /api/v2/analytics/conversations/details/query``.

``conversation_rows(client, start, end, ...)`` returns one row (``recops.history.rows.json_row``) per
conversation that started in the interval: every page, de-duplicated by conversationId (pages can
shift while data arrives), intervals over 7 days split, and a chunk that hits the 10,000-result
cap split again while that narrows it (the query matches whole days, so below a day it does not:
such a chunk is read in ascending and descending order, which reaches up to 20,000; beyond that it
is an error, not a short table).

Pages are read as plain JSON through the SDK's ``ApiClient`` (as ``jobs.raw_pages`` reads a job's):
building an SDK model per conversation, participant, session, segment and metric was nine tenths of
a page's time (12,000 conversations: 34 of 37 s).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import RecopsError
from recops.genesys.intervals import chunks, iso

from .rows import json_row, when

if TYPE_CHECKING:
    from recops.api.client import Client

MAX_DAYS = 7
PAGE_SIZE = 100
RESULT_CAP = 10_000
MIN_SPLIT = timedelta(minutes=15)


def segment_filters(sdk: Any, queue_id: str | None = None, user_id: str | None = None,
                    media_type: str | None = None, recorded: bool | None = None) -> list[Any]:
    """The SDK segment filters for recops's table filters (the same for the query and jobs)."""
    filters = []

    def pred(dimension: str, value: str | None = None, operator: str = "matches") -> Any:
        p = sdk.SegmentDetailQueryPredicate()
        p.type = "dimension"
        p.dimension = dimension
        p.operator = operator
        if value is not None:
            p.value = value
        return p

    for dimension, value in (("queueId", queue_id), ("userId", user_id), ("mediaType", media_type)):
        if value:
            f = sdk.SegmentDetailQueryFilter()
            f.type = "and"
            f.predicates = [pred(dimension, value)]
            filters.append(f)
    if recorded:  # recorded=False is filtered on our side: "no session recorded" is not a segment filter
        f = sdk.SegmentDetailQueryFilter()
        f.type = "and"
        f.predicates = [pred("recording", operator="exists")]
        filters.append(f)
    return filters


class _NotNarrowed(Exception):
    """A sub-interval's query counts as many results as its parent's: the API matches whole
    days (§2.1: conversations that started on a day the interval touches), so splitting the
    interval further cannot bring it under the result cap."""


def _split_point(start: datetime, end: datetime) -> datetime:
    """The middle of the interval, moved to the nearest UTC midnight strictly inside it, if
    any: halves then touch fewer days, which is what narrows a day-matching query."""
    middle = start + (end - start) / 2
    floor = middle.replace(hour=0, minute=0, second=0, microsecond=0)
    inside = [m for m in (floor, floor + timedelta(days=1)) if start < m < end]
    return min(inside, key=lambda m: abs(m - middle)) if inside else middle


QUERY_PATH = "/api/v2/analytics/conversations/details/query"


def _page(client: Client, start: datetime, end: datetime, filters: list[Any], page: int,
          order: str) -> dict[str, Any]:
    """One page of the query as the API sends it (camelCase JSON)."""
    sdk = client.sdk()
    q = sdk.ConversationQuery()
    q.interval = f"{iso(start)}/{iso(end)}"
    q.order = order
    q.order_by = "conversationStart"
    paging = sdk.PagingSpec()
    paging.page_size = PAGE_SIZE
    paging.page_number = page
    q.paging = paging
    if filters:
        q.segment_filters = filters
    api = client.analytics_api.api_client
    result = client.call("POST", QUERY_PATH, api.call_api, QUERY_PATH, "POST", {}, {},
                         {"Accept": "application/json", "Content-Type": "application/json"}, body=q,
                         response_type="object", auth_settings=["PureCloud OAuth"])
    return result or {}


def _keep(result: dict[str, Any], start: datetime, end: datetime, seen: dict[str, dict[str, Any]]) -> int:
    convs = result.get("conversations") or []
    for conv in convs:
        began = when(conv.get("conversationStart"))
        if began is not None and start <= began < end and conv.get("conversationId"):
            seen[conv["conversationId"]] = json_row(conv)  # the latest page wins: data may still arrive
    return len(convs)


def _pages(client: Client, start: datetime, end: datetime, filters: list[Any], seen: dict[str, dict[str, Any]],
           order: str, limit: int, first: Any = None) -> int:
    """Pages of one query, from page 1 (``first``, if already fetched), until ``limit``
    results, the result cap or a short page. Returns the number of requests made."""
    requests = 0
    page = 1
    fetched = 0
    while True:
        if first is not None and page == 1:
            result = first
        else:
            result = _page(client, start, end, filters, page, order)
            requests += 1
        n = _keep(result, start, end, seen)
        fetched += n
        if not n or fetched >= min(limit, RESULT_CAP) or n < PAGE_SIZE:
            return requests
        page += 1


def _query_chunk(client: Client, start: datetime, end: datetime, filters: list[Any],
                 seen: dict[str, dict[str, Any]], parent_total: int | None = None) -> int:
    """All pages of one chunk into ``seen``. Returns the number of requests made.

    A chunk over the result cap is split in two while splitting narrows it. When it cannot
    (the API matches whole days, or the chunk is already short), it is read in both orders:
    ascending then descending paging reaches up to twice the cap. Beyond that the query
    cannot return every conversation, and this says so rather than return a partial table."""
    first = _page(client, start, end, filters, 1, "asc")
    requests = 1
    total = first.get("totalHits") or 0
    if total <= RESULT_CAP:
        return requests + _pages(client, start, end, filters, seen, "asc", total, first)
    if parent_total is not None and total >= parent_total:
        raise _NotNarrowed
    if end - start > MIN_SPLIT:
        middle = _split_point(start, end)
        try:
            return requests + _query_chunk(client, start, middle, filters, seen, total) + \
                _query_chunk(client, middle, end, filters, seen, total)
        except _NotNarrowed:
            pass  # read this chunk in both orders instead
    if total > 2 * RESULT_CAP:
        raise RecopsError(
            f"{total} conversations match {iso(start)}/{iso(end)}, more than the analytics details "
            f"query can return for it ({RESULT_CAP} per query, {2 * RESULT_CAP} reading both ways), and "
            "a shorter interval does not narrow it",
            "narrow the table with filters (queue, user, media type) or use the analytics details "
            "jobs API (POST /api/v2/analytics/conversations/details/jobs) for this interval")
    requests += _pages(client, start, end, filters, seen, "asc", RESULT_CAP, first)
    # descending, only as far as the ascending pages could not reach (one page of margin,
    # since totalHits is approximate)
    return requests + _pages(client, start, end, filters, seen, "desc", total - RESULT_CAP + PAGE_SIZE)


def conversation_rows(client: Client, start: datetime, end: datetime, *, queue_id: str | None = None,
                      user_id: str | None = None, media_type: str | None = None,
                      recorded: bool | None = None) -> list[dict[str, Any]]:
    """One row per conversation that started in ``[start, end)``, by start time then id."""
    filters = segment_filters(client.sdk(), queue_id, user_id, media_type, recorded)
    seen: dict[str, dict[str, Any]] = {}
    for a, b in chunks(start, end, MAX_DAYS):
        _query_chunk(client, a, b, filters, seen)
    rows = sorted(seen.values(), key=lambda r: (r["conversation_start"], r["conversation_id"]))
    if recorded is False:  # "no session recorded" is not a segment filter: filtered here
        rows = [r for r in rows if not r["recorded"]]
    return rows
