"""The sync analytics reads: ``POST /api/v2/analytics/conversations/details/query`` and
``GET /api/v2/analytics/conversations/{id}/details``.

The query's validation, filters and paging rules are in analytics.py; an org holding
generated histories is selected through analytics_select.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors
from ..model import permissions as perms
from ..model.analytics_wire import analytics_conversation
from ..model.state import SandboxState
from .analytics import DetailsIndex, parse_query
from .analytics_select import SyncSelections
from .base import ApiHandlers


class AnalyticsQueryApi(ApiHandlers):
    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.details = DetailsIndex(state)
        self.generated = SyncSelections(state)

    def details_query(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.ANALYTICS_DETAILS)
        settings = self.state.settings
        query = parse_query(req.json(), settings, now=self.state.clock.now())
        with self.state.lock:
            org = self.state.orgs.get(token.org)
            if org is not None and org.histories:  # generated histories: analytics_select.py
                return json_reply(200, self.generated.details_page(org, query))
            convs = list(org.conversations.values()) if org else []
            matched = self.details.matches(token.org, query, convs, settings.assumption("analyticsIntervalMatching"))
            cap = settings.analytics_result_cap
            offset = (query.page_number - 1) * query.page_size
            if offset >= cap and settings.assumption("analyticsPastResultCap") == "reject":
                raise errors.bad_request(f"Paging is limited to the first {cap} results; narrow the interval "
                                         "or use an asynchronous details job.")
            page = matched[offset:min(offset + query.page_size, cap)] if offset < cap else []
            out: dict[str, Any] = {}
            if page:  # an empty result has no 'conversations' key [inferred]
                out["conversations"] = [analytics_conversation(c) for c in page]
            out["totalHits"] = len(matched)
            return json_reply(200, out)

    def analytics_details(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, perms.ANALYTICS_DETAILS)
        with self.state.lock:
            conv = self._conversation(token, req.params["cid"])
            return json_reply(200, analytics_conversation(conv))

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("POST", "api/v2/analytics/conversations/details/query", details_query),
        Row("GET", "api/v2/analytics/conversations/{cid}/details", analytics_details),
    )
