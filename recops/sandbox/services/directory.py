"""The emulated directory: ``GET /api/v2/users/me`` (the token's user) and the name lookups
``GET /api/v2/routing/queues[/{queueId}]`` and ``GET /api/v2/users[/{userId}]``.

Parameters, defaults, permissions and error codes are documented (docs/genesys-api.md, "Queue
and user lookups"); the maximum ``pageSize``, how an ``id`` list combines with paging and how
the ``name`` pattern compares are not, and are labelled choices here (model/settings.py
``directoryMaxPageSize``, ``directoryIdListPaging``, ``usersSortKey``: queues are documented
as sorted by name, users' sort key is not).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors
from ..model import permissions as perms
from ..model.clock import iso
from ..model.errors import ApiError
from ..model.models import Queue, User
from .base import ApiHandlers, positive_int

QUEUE_VIEW = ("routing:queue:view",)
HOME_DIVISION_ID = "00000000-0000-4000-8000-000000000001"  # every sandbox entity's division
HOME_DIVISION_NAME = "Home"  # its name [inferred: the default division of an org is "Home"]
MAX_USER_IDS = 100  # "Only 100 users can be requested at a time." [documented-2018]
USER_STATES = ("active", "inactive", "deleted", "any")  # GET /users ``state`` [documented]
USER_STATE_ONE = ("active", "deleted")  # GET /users/{id} ``state`` [documented]
QUEUE_SORT = ("asc", "desc")  # queues' sortOrder values, exactly [documented]
# users' sortOrder: the documented enum is ascending|descending with the default "ASC"
# [documented]; ASC (and its pair DESC [inferred]) are accepted as that default is
USER_SORT = ("ascending", "descending")
USER_SORT_ALIASES = {"ascending": False, "descending": True, "ASC": False, "DESC": True}

T = TypeVar("T")


# --- documented errors of these endpoints (SW18) ----------------------------------------------


def max_user_ids() -> ApiError:
    return ApiError(400, "max.user.ids", "Only 100 users can be requested at a time.")


def user_not_found() -> ApiError:
    return ApiError(404, "general.resource.not.found", "Unable to find a user with that userId")


def queue_not_found() -> ApiError:
    return ApiError(404, "resource.not.found", "The resource could not be found.")


# --- rendering -----------------------------------------------------------------------------


def _division(division_id: str) -> dict[str, str]:
    return {"id": division_id, "name": HOME_DIVISION_NAME,
            "selfUri": f"/api/v2/authorization/divisions/{division_id}"}


def render_queue(q: Queue) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.id, "name": q.name, "division": _division(q.division_id)}
    if q.description:
        out["description"] = q.description
    out["dateCreated"] = iso(q.date_created)
    out["dateModified"] = iso(q.date_created)
    out["selfUri"] = f"/api/v2/routing/queues/{q.id}"
    return out


def _username(user: User) -> str:
    local = ".".join(part.lower() for part in user.name.split() if part.isalnum()) or user.id[:8]
    return f"{local}@example.com"


def render_user(user: User, division_id: str) -> dict[str, Any]:
    address = _username(user)
    return {
        "id": user.id,
        "name": user.name,
        "division": _division(division_id),
        "email": address,
        "state": "active",
        "username": address,
        "version": 1,
        "acdAutoAnswer": False,
        "selfUri": f"/api/v2/users/{user.id}",
    }


# --- paging --------------------------------------------------------------------------------


def listing(items: Sequence[T], render: Callable[[T], dict[str, Any]], page_number: int, page_size: int,
            path: str, extra_query: str = "") -> dict[str, Any]:
    """An ``…EntityListing`` page: entities, sizes, total, pageCount and the page URIs
    [documented shape; the URI format is inferred]."""
    total = len(items)
    page_count = math.ceil(total / page_size) if total else 0
    first = (page_number - 1) * page_size
    page = items[first:first + page_size]

    def uri(number: int) -> str:
        return f"{path}?pageSize={page_size}&pageNumber={number}{extra_query}"

    out: dict[str, Any] = {
        "entities": [render(x) for x in page],
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "firstUri": uri(1),
        "selfUri": uri(page_number),
        "lastUri": uri(max(page_count, 1)),
    }
    if page_number < page_count:
        out["nextUri"] = uri(page_number + 1)
    if page_number > 1:
        out["previousUri"] = uri(page_number - 1)
    out["pageCount"] = page_count
    return out


def _id_list(req: Request, name: str) -> list[str]:
    """A list parameter: the SDK sends one comma-joined value [documented]; repeats also work."""
    out: list[str] = []
    for value in req.query.get(name, []):
        out += [part.strip() for part in value.split(",") if part.strip()]
    return out


def name_matcher(pattern: str) -> Callable[[str], bool]:
    """``name`` with leading and/or trailing ``*`` [documented]; the comparison ignores case and,
    without asterisks, is a whole-name match [inferred]."""
    body = pattern.strip("*").lower()
    lead, trail = pattern.startswith("*"), pattern.endswith("*") and len(pattern) > 1
    if lead and trail:
        return lambda name: body in name.lower()
    if lead:
        return lambda name: name.lower().endswith(body)
    if trail:
        return lambda name: name.lower().startswith(body)
    return lambda name: name.lower() == body


class DirectoryApi(ApiHandlers):
    def users_me(self, req: Request) -> Reply:
        """The token's user (``UserMe``, a few fields). Client credentials have no user: 400
        ``not.a.user`` [documented that it fails; the code is inferred]."""
        token = req.bearer
        if not token.is_user:
            raise errors.not_a_user()
        with self.state.lock:
            user = self.state.org(token.org).users.get(token.user_id or "")
            if user is None:
                raise errors.not_found()
            return json_reply(200, {"id": user.id, "name": user.name, "state": "active",
                                    "selfUri": f"/api/v2/users/{user.id}"})


    def _paging(self, req: Request) -> tuple[int, int]:
        page_size = positive_int(req.q("pageSize"), "pageSize", 25)
        page_number = positive_int(req.q("pageNumber"), "pageNumber", 1)
        limit = self.state.settings.assumption("directoryMaxPageSize")
        if limit != "unlimited" and page_size > int(limit):
            raise errors.bad_request(f"pageSize must be at most {limit}.")
        return page_number, page_size

    def _sort_desc(self, req: Request, accepted: dict[str, bool], choices: tuple[str, ...]) -> bool:
        """``sortOrder``: only the documented values (case as documented); anything else is
        400 ``invalid.value`` listing them (the generic 400 of every operation [documented-2018])."""
        value = req.q("sortOrder")
        if value is None:
            return False
        if value not in accepted:
            raise errors.invalid_value(value, "sortOrder", list(choices))
        return accepted[value]

    def _page_all_ids(self, ids: list[str], page_size: int) -> int:
        """With ``directoryIdListPaging`` = all, an id list is answered on one page."""
        if ids and self.state.settings.assumption("directoryIdListPaging") == "all":
            return max(page_size, len(ids))
        return page_size

    # --- queues ------------------------------------------------------------------------------

    def list_queues(self, req: Request) -> Reply:
        token = req.bearer
        self._require_any(token, QUEUE_VIEW)
        page_number, page_size = self._paging(req)
        desc = self._sort_desc(req, {"asc": False, "desc": True}, QUEUE_SORT)
        ids = _id_list(req, "id")
        divisions = set(_id_list(req, "divisionId"))
        pattern = req.q("name")
        match = name_matcher(pattern) if pattern else None
        with self.state.lock:
            queues = list(self.state.org(token.org).queues.values())
        if ids:
            wanted = set(ids)
            queues = [q for q in queues if q.id in wanted]
        if divisions:
            queues = [q for q in queues if q.division_id in divisions]
        if match is not None:
            queues = [q for q in queues if match(q.name)]
        queues.sort(key=lambda q: (q.name.lower(), q.id), reverse=desc)
        extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in (("name", pattern), ("sortOrder", req.q("sortOrder")))
                        if v) + (f"&id={quote(','.join(ids), safe='')}" if ids else "")
        size = self._page_all_ids(ids, page_size)
        return json_reply(200, listing(queues, render_queue, page_number, size, "/api/v2/routing/queues", extra))

    def get_queue(self, req: Request) -> Reply:
        token = req.bearer
        if not perms.holds_any(self.state.token_permissions(token), QUEUE_VIEW):
            raise errors.missing_permissions(list(QUEUE_VIEW))  # "Requires ALL" [documented]
        with self.state.lock:
            queue = self.state.org(token.org).queues.get(req.params["queueId"])
            if queue is None:
                raise queue_not_found()
            return json_reply(200, render_queue(queue))

    # --- users (no permission needed [documented]) -------------------------------------------

    def list_users(self, req: Request) -> Reply:
        token = req.bearer
        page_number, page_size = self._paging(req)
        desc = self._sort_desc(req, USER_SORT_ALIASES, USER_SORT)
        ids = _id_list(req, "id")
        if len(ids) > MAX_USER_IDS:
            raise max_user_ids()
        if ids and req.q("jabberId"):
            raise errors.bad_request("id and jabberId cannot be combined.")
        state = (req.q("state") or "active").lower()
        if state not in USER_STATES:
            raise errors.invalid_value(req.q("state"), "state", list(USER_STATES))
        with self.state.lock:
            org = self.state.org(token.org)
            users = list(org.users.values()) if state in ("active", "any") else []  # no inactive users
        if ids:
            wanted = set(ids)
            users = [u for u in users if u.id in wanted]
        if self.state.settings.assumption("usersSortKey") == "id":  # what users sort by is [unknown]
            users.sort(key=lambda u: u.id, reverse=desc)
        else:
            users.sort(key=lambda u: (u.name.lower(), u.id), reverse=desc)
        division = HOME_DIVISION_ID
        extra = f"&id={quote(','.join(ids), safe='')}" if ids else ""
        size = self._page_all_ids(ids, page_size)
        return json_reply(200, listing(users, lambda u: render_user(u, division), page_number, size,
                                       "/api/v2/users", extra))

    def get_user(self, req: Request) -> Reply:
        token = req.bearer
        state = (req.q("state") or "active").lower()
        if state not in USER_STATE_ONE:
            raise errors.invalid_value(req.q("state"), "state", list(USER_STATE_ONE))
        with self.state.lock:
            user = self.state.org(token.org).users.get(req.params["userId"])
            if user is None or state == "deleted":  # sandbox users are never deleted
                raise user_not_found()
            return json_reply(200, render_user(user, HOME_DIVISION_ID))

    # users/me before users/{userId}: "me" is no user id
    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("GET", "api/v2/users/me", users_me),
        Row("GET", "api/v2/routing/queues", list_queues),
        Row("GET", "api/v2/routing/queues/{queueId}", get_queue),
        Row("GET", "api/v2/users", list_users),
        Row("GET", "api/v2/users/{userId}", get_user),
    )
