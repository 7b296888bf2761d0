"""Select and order an org's conversations for a details query or job, materialised conversations
and generated histories (seeds/history.py) alike, without materialising the generated ones.

A ``Selection`` is the ordered match list as a compact ``array('q')`` of entries
``source << 40 | index``: source 0 is the list of matching materialised conversations, source
``k >= 1`` the ``k``-th generated history of the org. Pages are rendered from it on demand.

Two interval semantics [documented]:
- ``start``: the sync query's ("conversations that started on a day touched by the interval",
  or strictly inside it, per the ``analyticsIntervalMatching`` assumption); the caller passes
  the bounds;
- ``activity``: the jobs' ("all conversations that had activity during the interval"): started
  before the interval's end and not ended before its start (a conversation still going counts).
  A job with ``startOfDayIntervalMatching`` uses the sync query's semantics instead [documented:
  "If you want the same behavior as for queries, you should set the startOfDayIntervalMatching
  flag"].

A job's window may also carry the data lake's availability date (``available``, the setting
``analyticsJobDataLagSeconds``): a conversation is in the lake, so in a job's results, once it
ended at or before that date; one still going or ended later is not there yet.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model import errors
from ..model.analytics_wire import analytics_conversation
from ..model.models import Conversation
from ..seeds.history import MAX_DURATION, GeneratedHistory
from .analytics import Query, _conv_row, _day_bounds, _rows_of

if TYPE_CHECKING:
    from ..model.state import OrgState, SandboxState

SHIFT = 40
LOW = (1 << SHIFT) - 1


@dataclass(frozen=True)
class Window:
    lo: float
    hi: float
    activity: bool  # jobs: overlap; sync (and startOfDayIntervalMatching jobs): start inside [lo, hi)
    available: float | None = None  # jobs under a data-lake lag: only conversations ended by then


def _in_lake(end: float | None, w: Window) -> bool:
    return w.available is None or (end is not None and end <= w.available)


def _in_window(start: float, end: float | None, w: Window) -> bool:
    if not _in_lake(end, w):
        return False
    if w.activity:
        return start < w.hi and (end is None or end > w.lo)
    return w.lo <= start < w.hi


def _matches(q: Query, conv: Conversation) -> bool:
    return _rows_match(q, _conv_row(conv), _rows_of(conv) if q.segment_filters else [])


def _rows_match(q: Query, conv_row: dict[str, Any], rows: list[dict[str, Any]]) -> bool:
    if not q.conversation_filter(conv_row):
        return False
    return all(any(f(r) for r in rows) for f in q.segment_filters)


@dataclass
class Selection:
    conversations: list[Conversation]
    histories: list[GeneratedHistory]
    entries: array

    def __len__(self) -> int:
        return len(self.entries)

    def render(self, offset: int, size: int, attributes: bool) -> list[dict[str, Any]]:
        """The page ``[offset, offset + size)`` as wire JSON. ``attributes``: the jobs' participant
        ``attributes`` map (AnalyticsConversation), omitted when empty [inferred]."""
        out = []
        for entry in self.entries[offset:offset + size]:
            src, idx = entry >> SHIFT, entry & LOW
            if src == 0:
                out.append(analytics_conversation(self.conversations[idx], attributes))
            else:
                out.append(self.histories[src - 1].render(idx, attributes))
        return out


def _history_entries(h: GeneratedHistory, q: Query, w: Window, filtered: bool, by_end: bool,
                     skip: set[int] | None = None) -> array | list[int] | range:
    """The indices of ``h`` that match, in order; ``skip``: indices materialised since (the org's
    conversations hold them now, so they are matched there, once)."""
    found = _history_matches(h, q, w, filtered, by_end)
    if w.available is not None:
        found = _lake_only(h, found, w)
    if skip:
        return array("q", (i for i in found if i not in skip))
    return found


def _lake_only(h: GeneratedHistory, found: array | list[int] | range, w: Window) -> array:
    """``found`` less what is not in the data lake yet: only a conversation that started within
    ``MAX_DURATION`` of the availability date can have ended after it, so only those are looked at."""
    assert w.available is not None
    sure = w.available - MAX_DURATION
    return array("q", (i for i in found if h.start_of(i) < sure or _in_lake(h.facts(i).end, w)))


def _history_matches(h: GeneratedHistory, q: Query, w: Window, filtered: bool, by_end: bool
                     ) -> array | list[int] | range:
    lo = w.lo - MAX_DURATION if w.activity else w.lo
    hi = w.hi if w.available is None else min(w.hi, w.available)  # started after it: not ended by it
    candidates = h.index_range(lo, hi)
    if not filtered and not by_end:
        if not w.activity:
            return candidates
        # activity: everything starting inside the window is in; only earlier starts need a look
        inside = h.first_starting_at_or_after(max(w.lo, lo))
        early = [i for i in range(candidates.start, inside) if _in_window(h.start_of(i), h.facts(i).end, w)]
        return array("q", early) + array("q", range(inside, candidates.stop))
    keep = []
    for i in candidates:
        f = h.facts(i)
        if not _in_window(f.start, f.end, w):
            continue
        if filtered and not _rows_match(q, *h.rows(i)):
            continue
        keep.append(i)
    if by_end:
        keep.sort(key=lambda i: (h.facts(i).end, i))
    return keep


def select(conversations: list[Conversation], histories: list[GeneratedHistory], q: Query, w: Window,
           filtered: bool, limit: int | None = None, materialised: dict[int, set[int]] | None = None) -> Selection:
    """The ordered matches of ``q`` in ``w``. ``filtered``: the query has conversation or segment
    filters (otherwise generated conversations are never built to be matched). ``materialised``:
    per history key, the indices a write materialised into ``conversations`` (``OrgState.materialised``)."""
    by_end = q.order_by == "conversationEnd"
    mats = [c for c in conversations if _in_window(c.start_time, c.end_time, w) and _matches(q, c)]
    if by_end:
        mats.sort(key=lambda c: (c.end_time is None, c.end_time or 0.0, c.id))
    else:
        mats.sort(key=lambda c: (c.start_time, c.id))
    sources: list[tuple[int, Any]] = [(0, mats)] if mats else []
    for k, h in enumerate(histories, start=1):
        idx = _history_entries(h, q, w, filtered, by_end, (materialised or {}).get(h.key))
        if len(idx):
            sources.append((k, idx))
    if len(sources) == 1:
        src, items = sources[0]
        base = src << SHIFT
        entries = array("q", range(len(items))) if src == 0 else array("q", (base | i for i in items))
    else:
        def keyed(src: int, items: Any) -> Iterator[tuple[tuple[Any, ...], int]]:
            if src == 0:
                for n, c in enumerate(items):
                    end_key = (c.end_time is None, c.end_time or 0.0)
                    yield ((*end_key, c.id) if by_end else (c.start_time, c.id)), n
                return
            h = histories[src - 1]
            base = src << SHIFT
            for i in items:
                f = h.facts(i)
                yield ((False, f.end, "") if by_end else (f.start, "")), base | i

        entries = array("q", (e for _, e in heapq.merge(*(keyed(s, it) for s, it in sources))))
    if q.descending:
        entries.reverse()
    if limit is not None and len(entries) > limit:
        del entries[limit:]
    return Selection(mats, list(histories), entries)


class SyncSelections:
    """The sync details query over an org that holds generated histories: the ordered matches
    per query body (without paging), kept while ``state.version`` stays put."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._version = -1
        self._cache: dict[tuple[str, str, str], Selection] = {}

    def selection(self, org: OrgState, q: Query) -> Selection:
        if self._version != self.state.version:
            self._cache.clear()
            self._version = self.state.version
        mode = self.state.settings.assumption("analyticsIntervalMatching")
        key = (org.name, q.cache_key, mode)
        hit = self._cache.get(key)
        if hit is None:
            lo, hi = _day_bounds(q.start, q.end) if mode == "startDay" else (q.start, q.end)
            hit = select(list(org.conversations.values()), list(org.histories), q, Window(lo, hi, activity=False),
                         q.filtered, materialised=org.materialised)
            if len(self._cache) > 16:
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def details_page(self, org: OrgState, q: Query) -> dict[str, Any]:
        """``AnalyticsConversationQueryResponse``: as ``AnalyticsQueryApi.details_query`` answers it."""
        settings = self.state.settings
        sel = self.selection(org, q)
        cap = settings.analytics_result_cap
        offset = (q.page_number - 1) * q.page_size
        if offset >= cap and settings.assumption("analyticsPastResultCap") == "reject":
            raise errors.bad_request(f"Paging is limited to the first {cap} results; narrow the interval "
                                     "or use an asynchronous details job.")
        out: dict[str, Any] = {}
        if offset < cap:
            page = sel.render(offset, min(q.page_size, cap - offset), attributes=False)
            if page:
                out["conversations"] = page
        out["totalHits"] = len(sel)
        return out
