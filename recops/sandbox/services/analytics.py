"""``POST /api/v2/analytics/conversations/details/query``: validation, filters, paging.

Emulated: ``interval`` (required, at most 7 days), ``conversationFilters`` and
``segmentFilters`` (``and``/``or``, ``clauses``, dimension predicates with ``matches``,
``exists``, ``notExists``), ``order``, ``orderBy`` (``conversationStart``/``conversationEnd``),
``paging`` (default page size 25; one over ``analyticsMaxPageSize``, 200, is served as that many
under the ``analyticsPageSizeOverMax`` assumption), the 10,000-result cap and ``totalHits``.
Not emulated (answered 501 ``sandbox.not.emulated`` saying so): property/metric predicates,
``range``, aggregations, evaluation/survey/resolution filters, the real API's other dimensions
and ``orderBy`` values. A value the real API rejects too is 400 ``invalid.value`` listing the
real API's allowable values, never the sandbox's subset.

A segment filter matches a conversation when one segment, seen with its session and
participant, satisfies it [documented semantics of segment filters; details inferred].
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..model import errors
from ..model.clock import parse_interval
from ..model.models import MEDIA_TYPES, Conversation
from ..model.settings import SandboxSettings
from ..model.state import SandboxState

DAY = 86400.0

CONVERSATION_DIMENSIONS = {
    "conversationId", "conversationEnd", "conversationStart", "conversationInitiator",
    "divisionId", "externalTag", "originatingDirection",
}
SEGMENT_DIMENSIONS = {
    "mediaType", "purpose", "userId", "queueId", "recording", "direction", "segmentType",
    "ani", "dnis", "participantName", "segmentEnd",
}
OPERATORS = ("matches", "exists", "notExists")
FILTER_TYPES = ("and", "or")
ORDER_BY = ("conversationStart", "conversationEnd")
UNSUPPORTED_KEYS = ("aggregations", "evaluationFilters", "surveyFilters", "resolutionFilters")

# What the real API accepts (the enums of SDK 269.0.0's models [documented] PYPI). A value in
# these lists that the sandbox does not emulate is 501 sandbox.not.emulated; a value outside
# them is 400 invalid.value listing *these* values, never the sandbox's subset.
GENESYS_PREDICATE_TYPES = ("dimension", "property", "metric")
GENESYS_ORDER_BY = ("conversationStart", "conversationEnd", "segmentStart", "segmentEnd")
GENESYS_CONVERSATION_DIMENSIONS = (
    "accessAttribute", "conversationEnd", "conversationId", "conversationInitiator", "conversationStart",
    "customerParticipation", "divisionId", "externalTag", "mediaStatsMinConversationMos",
    "originatingDirection", "originatingSocialMediaPublic",
)
GENESYS_SEGMENT_DIMENSIONS = (
    "addressFrom", "addressTo", "agentAssistantId", "agentOwned", "ani", "authenticated",
    "bargedParticipantId", "callbackNumber", "callbackScheduledTime", "canonicalExternalContactId", "cleared",
    "coachedParticipantId", "conference", "deliveryPushed", "deliveryStatus", "destinationAddress",
    "destinationConversationId", "detectedSpeechEnd", "detectedSpeechStart", "direction", "disconnectType",
    "dnis", "edgeId", "engagementSource", "errorCode", "exitReason", "extendedDeliveryStatus",
    "externalContactId", "externalOrganizationId", "flaggedReason", "flowId", "flowName", "flowOutType",
    "flowOutcome", "flowOutcomeId", "flowOutcomeValue", "flowVersion", "groupId", "journeyActionId",
    "journeyActionMapId", "journeyCustomerId", "journeyCustomerIdType", "journeyCustomerSessionId",
    "mediaCount", "mediaType", "messageType", "monitoredParticipantId", "outboundCampaignId",
    "outboundContactId", "outboundContactListId", "participantName", "protocolCallId", "provider", "purpose",
    "queueId", "recording", "remote", "remoteNameDisplayable", "requestedLanguageId", "requestedRouting",
    "requestedRoutingSkillId", "scoredAgentId", "screenMonitoredUserId", "screenRecording", "scriptId",
    "segmentEnd", "segmentType", "sessionDnis", "sipResponseCode", "skillExpressionId", "snippetRecording",
    "subject", "teamId", "transferTargetAddress", "transferTargetName", "transferType", "usedRouting",
    "userId", "wrapUpCode", "wrapUpNote",
)

Row = dict[str, Any]
Matcher = Callable[[Row], bool]


@dataclass(frozen=True)
class Query:
    start: float
    end: float
    conversation_filter: Matcher
    segment_filters: tuple[Matcher, ...]
    descending: bool
    order_by: str
    page_size: int
    page_number: int
    cache_key: str
    filtered: bool = False  # has conversation or segment filters


def _rows_of(conv: Conversation) -> list[Row]:
    rows: list[Row] = []
    for p in conv.participants:
        s = p.session
        rows.append({
            "mediaType": MEDIA_TYPES[s.media][1],
            "purpose": p.purpose,
            "userId": p.user_id,
            "queueId": conv.queue_id if p.purpose in ("acd", "agent") else None,
            "recording": "true" if (s.ever_recorded and s.media == "call") else None,
            "direction": s.direction,
            "segmentType": "ivr" if p.purpose == "ivr" else "interact",
            "ani": p.ani,
            "dnis": p.dnis,
            "participantId": p.id,
            "participantName": p.name,
            "sessionId": s.id,
            "segmentEnd": "set" if p.end_time is not None else None,
        })
    return rows


def _conv_row(conv: Conversation) -> Row:
    return {
        "conversationId": conv.id,
        "conversationEnd": "set" if conv.end_time is not None else None,
        "conversationStart": "set",
        "conversationInitiator": conv.participants[0].purpose if conv.participants else None,
        "divisionId": conv.division_id,
        "externalTag": conv.external_tag,
        "originatingDirection": conv.direction,
    }


def _predicate(pred: Any, dims: set[str], where: str) -> Matcher:
    if not isinstance(pred, dict):
        raise errors.bad_request(f"{where}: each predicate must be an object.")
    ptype = pred.get("type", "dimension")
    if ptype not in GENESYS_PREDICATE_TYPES:
        raise errors.invalid_value(ptype, "type", list(GENESYS_PREDICATE_TYPES))
    if ptype != "dimension":
        raise errors.not_emulated(f"{where}: a {ptype!r} predicate", "Use 'dimension' predicates.")
    if "range" in pred:
        raise errors.not_emulated(f"{where}: a 'range' predicate")
    dim = pred.get("dimension")
    if dim not in dims:
        real = GENESYS_CONVERSATION_DIMENSIONS if where == "conversationFilters" else GENESYS_SEGMENT_DIMENSIONS
        if dim in real:
            raise errors.not_emulated(f"{where}: the dimension {dim!r}",
                                      f"Emulated dimensions: {', '.join(sorted(dims))}.")
        raise errors.invalid_value(dim, "dimension", list(real))
    op = pred.get("operator", "matches")
    if op not in OPERATORS:
        raise errors.invalid_value(op, "operator", list(OPERATORS))
    if op == "exists":
        return lambda row: row.get(dim) is not None
    if op == "notExists":
        return lambda row: row.get(dim) is None
    value = pred.get("value")
    if isinstance(value, bool):
        value = "true" if value else "false"
    if not isinstance(value, str):
        raise errors.bad_request(f"{where}: a 'matches' predicate on {dim!r} needs a string 'value'.")
    if dim == "recording" and value == "false":
        return lambda row: row.get(dim) is None
    return lambda row: row.get(dim) == value


def _combine(kind: Any, parts: list[Matcher], where: str) -> Matcher:
    if kind not in FILTER_TYPES:
        raise errors.invalid_value(kind, "type", list(FILTER_TYPES))
    if not parts:
        raise errors.bad_request(f"{where}: a filter needs 'predicates' or 'clauses'.")
    if kind == "and":
        return lambda row: all(m(row) for m in parts)
    return lambda row: any(m(row) for m in parts)


def _filter(flt: Any, dims: set[str], where: str) -> Matcher:
    if not isinstance(flt, dict):
        raise errors.bad_request(f"{where}: each filter must be an object.")
    parts: list[Matcher] = []
    clauses = flt.get("clauses") or []
    preds = flt.get("predicates") or []
    if not isinstance(clauses, list) or not isinstance(preds, list):
        raise errors.bad_request(f"{where}: 'clauses' and 'predicates' must be arrays.")
    for clause in clauses:
        if not isinstance(clause, dict):
            raise errors.bad_request(f"{where}: each clause must be an object.")
        cpreds = clause.get("predicates") or []
        if not isinstance(cpreds, list):
            raise errors.bad_request(f"{where}: clause 'predicates' must be an array.")
        parts.append(_combine(clause.get("type"), [_predicate(p, dims, where) for p in cpreds], where))
    parts.extend(_predicate(p, dims, where) for p in preds)
    return _combine(flt.get("type"), parts, where)


def parse_query(body: Any, settings: SandboxSettings, now: float | None = None, sync: bool = True) -> Query:
    """``now``: check the sync query's 35-day rule against it. ``sync=False`` (an async job's
    query, analytics_jobs.py): no 7-day, 35-day or paging rules."""
    if not isinstance(body, dict):
        raise errors.bad_request("The body must be a ConversationQuery object.")
    for key in UNSUPPORTED_KEYS:
        if body.get(key):
            raise errors.not_emulated(f"'{key}' in a details query")
    interval = body.get("interval")
    if interval is None:
        raise errors.bad_request("'interval' is required.")
    try:
        start, end = parse_interval(interval)
    except ValueError:
        raise errors.invalid_date("interval") from None
    if end <= start:
        raise errors.bad_request("The interval end must be after its start.")
    max_days = settings.analytics_max_interval_days
    if sync and now is not None and settings.analytics_max_past_days:
        _check_past_days(start, now, settings.analytics_max_past_days)
    if sync and end - start > max_days * DAY:
        # The real code for this is unknown; bad.request is the sandbox's choice.
        raise errors.bad_request(f"The interval may span at most {max_days} days.")
    conv_filters = body.get("conversationFilters") or []
    seg_filters = body.get("segmentFilters") or []
    if not isinstance(conv_filters, list) or not isinstance(seg_filters, list):
        raise errors.bad_request("'conversationFilters' and 'segmentFilters' must be arrays.")
    cfs = [_filter(f, CONVERSATION_DIMENSIONS, "conversationFilters") for f in conv_filters]
    sfs = tuple(_filter(f, SEGMENT_DIMENSIONS, "segmentFilters") for f in seg_filters)
    order = body.get("order", "asc")
    if order not in ("asc", "desc", "unordered"):
        raise errors.invalid_value(order, "order", ["asc", "desc", "unordered"])
    order_by = body.get("orderBy", "conversationStart")
    if order_by not in GENESYS_ORDER_BY:
        raise errors.invalid_value(order_by, "orderBy", list(GENESYS_ORDER_BY))
    if order_by not in ORDER_BY:
        raise errors.not_emulated(f"orderBy {order_by!r}", f"Emulated: {', '.join(ORDER_BY)}.")
    paging = (body.get("paging") or {}) if sync else {}
    if not isinstance(paging, dict):
        raise errors.bad_request("'paging' must be an object {pageSize, pageNumber}.")
    size = paging.get("pageSize", 25)
    number = paging.get("pageNumber", 1)
    for name, value in (("pageSize", size), ("pageNumber", number)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise errors.invalid_value(value, f"paging.{name}", ["a whole number >= 1"])
    cap = settings.analytics_max_page_size
    if sync and size > cap:
        # Genesys's blog calls 200 the maximum, its downloader tutorial sends 300 (docs/genesys-api.md)
        if settings.assumption("analyticsPageSizeOverMax") == "reject":
            raise errors.bad_request(f"pageSize may be at most {cap} (sandbox setting analyticsMaxPageSize).")
        size = cap  # clamp: pages of at most the cap, numbered by it
    key_body = {k: v for k, v in body.items() if k != "paging"}
    return Query(
        start=start,
        end=end,
        conversation_filter=(lambda row: all(f(row) for f in cfs)),
        segment_filters=sfs,
        descending=order == "desc",
        order_by=order_by,
        page_size=size,
        page_number=number,
        cache_key=json.dumps(key_body, sort_keys=True, default=str),
        filtered=bool(conv_filters or seg_filters),
    )


def _check_past_days(start: float, now: float, max_past_days: int) -> None:
    """"interval start dates up to 35 days in the past (including today)" [documented]: today is
    the first of the 35 UTC days, so the earliest start is midnight 34 days before today. The real
    error code is unknown; 400 bad.request is the sandbox's choice."""
    today = datetime.fromtimestamp(now, tz=timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    earliest = today.timestamp() - (max_past_days - 1) * DAY
    if start < earliest:
        raise errors.bad_request(
            f"The interval may start at most {max_past_days} days in the past (including today), "
            f"i.e. not before {datetime.fromtimestamp(earliest, tz=timezone.utc):%Y-%m-%dT%H:%M:%SZ}; "
            "use an asynchronous details job (POST /api/v2/analytics/conversations/details/jobs) for older data.")


def _day_bounds(start: float, end: float) -> tuple[float, float]:
    d0 = datetime.fromtimestamp(start, tz=timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    d1 = datetime.fromtimestamp(end, tz=timezone.utc)
    d1_floor = d1.replace(hour=0, minute=0, second=0, microsecond=0)
    upper = d1_floor.timestamp() + (DAY if d1 > d1_floor else 0.0)
    return d0.timestamp(), upper


class DetailsIndex:
    """Matches queries over an org's conversations, caching the full ordered match list per
    query body (without paging), so paging 10,000 results stays cheap. The cache empties
    itself whenever ``state.version`` moved (every state change bumps it)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._version = -1
        self._cache: dict[tuple[str, str, str], list[Conversation]] = {}

    def matches(self, org: str, q: Query, conversations: list[Conversation], interval_matching: str
                ) -> list[Conversation]:
        if self._version != self.state.version:
            self._cache.clear()
            self._version = self.state.version
        # the matching mode is part of the key: switching the assumption changes no conversation
        key = (org, q.cache_key, interval_matching)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if interval_matching == "startDay":
            lo, hi = _day_bounds(q.start, q.end)
        else:
            lo, hi = q.start, q.end
        out = []
        for conv in conversations:
            if not (lo <= conv.start_time < hi):
                continue
            if not q.conversation_filter(_conv_row(conv)):
                continue
            if q.segment_filters:
                rows = _rows_of(conv)
                if not all(any(f(r) for r in rows) for f in q.segment_filters):
                    continue
            out.append(conv)
        if q.order_by == "conversationEnd":
            out.sort(key=lambda c: (c.end_time is None, c.end_time or 0.0, c.id), reverse=q.descending)
        else:
            out.sort(key=lambda c: (c.start_time, c.id), reverse=q.descending)
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = out
        return out
