"""pandas tables of recording states, with stable columns and dtypes.

- ``states_frame(client, ids)``: the live state of each listed conversation (bounded
  concurrency; the transport paces requests from the rate-limit headers).
- ``interval_frame(client, interval, ...)``: recording flags of every conversation that started
  in an interval, through ``POST /api/v2/analytics/conversations/details/query``: every page,
  de-duplicated by conversationId (pages can shift while data arrives), intervals over 7 days
  split, and a chunk that hits the 10,000-result cap split again until it fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, RecopsError
from .recording import status

if TYPE_CHECKING:
    import pandas as pd

    from .client import Client

STATE_COLUMNS = {
    "conversation_id": "string",
    "recording_state": "string",
    "secure_pause": "boolean",
    "ended": "boolean",
    "media_type": "string",
    "participants": "Int64",
    "recorded_participants": "Int64",
    "adhoc_participants": "Int64",
    "recording_files": "Int64",
    "error": "string",
    "context_id": "string",
}
INTERVAL_COLUMNS = {
    "conversation_id": "string",
    "conversation_start": "datetime64[ns, UTC]",
    "conversation_end": "datetime64[ns, UTC]",
    "ended": "boolean",
    "direction": "string",
    "media_type": "string",
    "recorded": "boolean",
    "queue_ids": "string",
    "user_ids": "string",
    "agents": "string",
    "participants": "Int64",
}
MAX_DAYS = 7
PAGE_SIZE = 100
RESULT_CAP = 10_000
MIN_SPLIT = timedelta(minutes=15)


def _frame(rows: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(columns))
    for col, dtype in columns.items():
        if dtype.startswith("datetime64"):
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601").astype(dtype)
        else:
            frame[col] = frame[col].astype(dtype)
    return frame


def _state_row(client: Client, cid: str) -> dict[str, Any]:
    try:
        st = status(client, cid)
    except RecopsError as e:
        return {"conversation_id": cid, "error": getattr(e, "code", type(e).__name__),
                "context_id": getattr(e, "context_id", None)}
    return {
        "conversation_id": cid,
        "recording_state": st.recording_state,
        "secure_pause": st.secure_pause,
        "ended": st.ended,
        "media_type": st.media_type,
        "participants": len(st.participants),
        "recorded_participants": sum(p.recording for p in st.participants),
        "adhoc_participants": sum(p.adhoc for p in st.participants),
        "recording_files": None if st.recordings is None else len(st.recordings),
        "error": None,
        "context_id": st.context_id,
    }


def states_frame(client: Client, conversation_ids: Iterable[str], concurrency: int = 4) -> pd.DataFrame:
    """One row per id, in the order given (duplicates dropped); failures are rows with ``error``."""
    ids = list(dict.fromkeys(i.strip() for i in conversation_ids if i and i.strip()))
    if concurrency < 1:
        raise ConfigError("concurrency must be at least 1")
    client.api_client  # noqa: B018 - authenticate once before fanning out
    with ThreadPoolExecutor(max_workers=min(concurrency, max(1, len(ids)))) as pool:
        rows = list(pool.map(lambda cid: _state_row(client, cid), ids))
    return _frame(rows, STATE_COLUMNS)


# --- interval tables --------------------------------------------------------------------------


def parse_interval(interval: str | tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    if isinstance(interval, tuple):
        start, end = interval
    else:
        if not isinstance(interval, str) or interval.count("/") != 1:
            raise ConfigError(f"interval must be 'start/end' in ISO-8601, not {interval!r}",
                              "e.g. 2026-03-02T00:00:00Z/2026-03-03T00:00:00Z")
        try:
            start, end = (datetime.fromisoformat(p.strip().replace("Z", "+00:00")) for p in interval.split("/"))
        except ValueError:
            raise ConfigError(f"interval must be 'start/end' in ISO-8601, not {interval!r}") from None
    start = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
    end = end if end.tzinfo else end.replace(tzinfo=timezone.utc)
    if end <= start:
        raise ConfigError("the interval's end must be after its start")
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def chunks(start: datetime, end: datetime, days: int = MAX_DAYS) -> list[tuple[datetime, datetime]]:
    out = []
    step = timedelta(days=days)
    while start < end:
        out.append((start, min(end, start + step)))
        start += step
    return out


def _segment_filter(sdk: Any, queue_id: str | None, user_id: str | None, media_type: str | None,
                    recorded: bool | None) -> list[Any]:
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


def _row(conv: Any) -> dict[str, Any]:
    media = None
    recorded = False
    queues: list[str] = []
    users: list[str] = []
    agents: list[str] = []
    for p in conv.participants or []:
        if p.user_id and p.user_id not in users:
            users.append(p.user_id)
            if p.participant_name:
                agents.append(p.participant_name)
        for s in p.sessions or []:
            media = media or s.media_type
            recorded = recorded or bool(s.recording)
            for seg in s.segments or []:
                if seg.queue_id and seg.queue_id not in queues:
                    queues.append(seg.queue_id)
    return {
        "conversation_id": conv.conversation_id,
        "conversation_start": conv.conversation_start,
        "conversation_end": conv.conversation_end,
        "ended": conv.conversation_end is not None,
        "direction": conv.originating_direction,
        "media_type": media,
        "recorded": recorded,
        "queue_ids": ",".join(queues) or None,
        "user_ids": ",".join(users) or None,
        "agents": ", ".join(agents) or None,
        "participants": len(conv.participants or []),
    }


def _query_chunk(client: Client, start: datetime, end: datetime, filters: list[Any],
                 seen: dict[str, dict[str, Any]]) -> int:
    """All pages of one chunk into ``seen``; splits the chunk while it exceeds the result cap.
    Returns the number of requests made."""
    sdk = client.sdk()
    api = client.analytics_api
    path = "/api/v2/analytics/conversations/details/query"
    requests = 0
    page = 1
    fetched = 0
    while True:
        q = sdk.ConversationQuery()
        q.interval = f"{_iso(start)}/{_iso(end)}"
        q.order = "asc"
        q.order_by = "conversationStart"
        paging = sdk.PagingSpec()
        paging.page_size = PAGE_SIZE
        paging.page_number = page
        q.paging = paging
        if filters:
            q.segment_filters = filters
        result = client.call("POST", path, api.post_analytics_conversations_details_query, q)
        requests += 1
        total = result.total_hits or 0
        if page == 1 and total > RESULT_CAP and end - start > MIN_SPLIT:
            middle = start + (end - start) / 2
            return requests + _query_chunk(client, start, middle, filters, seen) + \
                _query_chunk(client, middle, end, filters, seen)
        convs = result.conversations or []
        for conv in convs:
            if conv.conversation_start is not None and start <= conv.conversation_start < end:
                seen[conv.conversation_id] = _row(conv)  # the latest page wins: data may still arrive
        fetched += len(convs)
        if not convs or fetched >= min(total, RESULT_CAP) or len(convs) < PAGE_SIZE:
            return requests
        page += 1


def interval_frame(client: Client, interval: str | tuple[datetime, datetime], *, queue_id: str | None = None,
                   user_id: str | None = None, media_type: str | None = None,
                   recorded: bool | None = None) -> pd.DataFrame:
    """Every conversation that started in ``interval`` (any length), one row each."""
    start, end = parse_interval(interval)
    sdk = client.sdk()
    filters = _segment_filter(sdk, queue_id, user_id, media_type, recorded)
    seen: dict[str, dict[str, Any]] = {}
    for a, b in chunks(start, end):
        _query_chunk(client, a, b, filters, seen)
    rows = sorted(seen.values(), key=lambda r: (r["conversation_start"], r["conversation_id"]))
    if recorded is False:
        rows = [r for r in rows if not r["recorded"]]
    return _frame(rows, INTERVAL_COLUMNS)


def ids_of(frame: pd.DataFrame) -> Sequence[str]:
    return [str(x) for x in frame["conversation_id"].tolist()]
