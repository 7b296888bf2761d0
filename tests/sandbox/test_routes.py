"""The one route table: matching on raw, separately decoded segments, planes, and the table's
rows reaching their handlers (the end-to-end behaviour is in the other test files)."""

from __future__ import annotations

import pytest

from recops.sandbox import SandboxApp
from recops.sandbox.control.jobs import AnalyticsJobsControl
from recops.sandbox.control.notifications import NotificationsControl
from recops.sandbox.http.routes import API, CONTROL, MEDIA, OAUTH, OTHER, ROOM, Route, RouteTable, plane_of
from recops.sandbox.http.wire import BadPath, split_path
from recops.sandbox.services import SERVICES
from recops.sandbox.services.base import ApiHandlers
from recops.sandbox.services.conversations import ConversationsApi
from recops.sandbox.services.media import MediaHost
from recops.sandbox.services.oauth import OAuthApi
from recops.sandbox.services.orphans import OrphanMediaHost


def _handler(name):
    return lambda req: name


def test_first_row_wins_so_literal_segments_come_before_captures():
    table = RouteTable([
        Route("GET", ("c", "calls"), _handler("list calls")),
        Route("GET", ("c", "{cid}"), _handler("one")),
    ])
    route, params = table.find("GET", ("c", "calls"))
    assert route.handler(None) == "list calls" and params == {}
    route, params = table.find("GET", ("c", "abc"))
    assert route.handler(None) == "one" and params == {"cid": "abc"}


def test_other_method_or_length_is_unmatched():
    table = RouteTable([Route("GET", ("c", "{cid}"), _handler("one"))])
    assert table.find("DELETE", ("c", "abc")) is None
    assert table.find("GET", ("c", "abc", "more")) is None
    assert table.find("GET", ("c",)) is None


def test_a_capture_gets_one_decoded_segment_never_a_slash():
    table = RouteTable([Route("GET", ("c", "{cid}"), _handler("one"))])
    # %20 decodes inside its segment; an encoded slash is refused before routing
    assert table.find("GET", split_path(b"/c/a%20b"))[1] == {"cid": "a b"}
    for raw in (b"/c/a%2Fb", b"/c/..", b"/c/%2e%2e", b"/c//x"):
        with pytest.raises(BadPath):
            split_path(raw)


def test_planes_by_prefix():
    assert plane_of(("api", "v2", "conversations")) is API
    assert plane_of(("oauth", "token")) is OAUTH
    assert plane_of(("_sandbox", "health")) is CONTROL
    assert plane_of(("media", "batch", "j", "c", "r.wav")) is MEDIA
    assert plane_of(("api", "v1")) is OTHER and plane_of(()) is OTHER
    assert API.authenticated and API.faults and API.logged
    assert OAUTH.faults and OAUTH.logged and not OAUTH.authenticated
    assert not (CONTROL.faults or CONTROL.authenticated or CONTROL.logged)
    assert MEDIA.faults and MEDIA.logged and MEDIA.media and not MEDIA.authenticated  # signed URLs: no token


def test_every_row_is_a_handler_of_an_api_class_or_the_control_plane():
    app = SandboxApp()
    rows = app.routes.routes
    assert len({(r.method, r.pattern) for r in rows}) == len(rows)  # no duplicate rows
    for r in rows:
        owner = r.handler.__self__
        # an /api/v2 row belongs to some ApiHandlers class over the app's one state, a /media row
        # to the media host over it
        if r.plane is CONTROL:
            assert owner is app.control or isinstance(owner, (AnalyticsJobsControl, NotificationsControl)), r
            assert owner.state is app.state, r
        elif r.plane is ROOM:  # a training room's rows (room/api.py, room/board.py) act through the control plane
            assert owner.control is app.control, r
        else:
            kind = {MEDIA: (MediaHost, OrphanMediaHost), OAUTH: OAuthApi}.get(r.plane, ApiHandlers)
            assert isinstance(owner, kind), r
            assert owner.state is app.state, r
            assert app.services[type(owner)] is owner, r  # the app's one object of that service
        assert r.plane is not OTHER
    conversations = app.services[ConversationsApi]
    assert app.routes.find("PATCH", ("api", "v2", "conversations", "calls", "x", "participants", "p"))[0] \
        .handler == conversations.patch_call_participant
    assert app.routes.find("PATCH", ("api", "v2", "conversations", "x", "participants", "p"))[0] \
        .handler == conversations.patch_participant


def test_each_service_carries_its_own_rows_and_the_table_is_theirs_in_order():
    app = SandboxApp()
    assert list(app.services) == list(SERVICES)
    expected = []
    for cls in SERVICES:
        assert cls.ROUTES, cls
        for row in cls.ROUTES:
            # the handler is the service's own method, defined in the service's own module
            assert row.handler.__module__ == cls.__module__, (cls, row)
            expected.append((row.method, "/" + row.path.strip("/")))
        for other in SERVICES:  # composition, not inheritance: no service is another's base
            assert other is cls or not issubclass(cls, other), (cls, other)
    api_rows = [(r.method, r.path) for r in app.routes.routes if r.plane in (API, OAUTH, MEDIA)]
    assert api_rows == expected
    # control-plane and room rows follow, from their own classes
    assert [r.path for r in app.routes.routes[len(expected):]][:1] == ["/_sandbox/health"]
