"""Queue and user names: GET /api/v2/routing/queues[/{id}] and GET /api/v2/users[/{id}] through
the unmodified SDK (paging, name filters, id lists, errors, permissions)."""

from __future__ import annotations

import pytest

from recops.sandbox.control_client import SandboxControlError

from .sdk_helpers import Raw, api_error, assert_success_headers, new_id

SALES = "5a1e0000-0000-4000-8000-0000000000a1"
SUPPORT = "5a1e0000-0000-4000-8000-0000000000a2"
BILLING = "5a1e0000-0000-4000-8000-0000000000a3"
ALL = ["Billing", "Claims", "Retention", "Sales", "Support", "Technical Support"]


# --- queues ----------------------------------------------------------------------------------


def test_queue_listing_has_the_demo_names_sorted(sdk, supervisor, routing):
    listing = routing.get_routing_queues()
    assert_success_headers(supervisor, 200)
    assert isinstance(listing, sdk.QueueEntityListing)
    # the scenario's three live queues and the three its history seed named
    assert [q.name for q in listing.entities] == ALL
    assert {q.name: q.id for q in listing.entities}["Sales"] == SALES
    assert (listing.page_number, listing.page_size, listing.total, listing.page_count) == (1, 25, 6, 1)
    assert listing.next_uri is None and listing.previous_uri is None
    sales = next(q for q in listing.entities if q.id == SALES)
    assert sales.self_uri == f"/api/v2/routing/queues/{SALES}"
    assert sales.division.name == "Home" and sales.division.id
    desc = routing.get_routing_queues(sort_order="desc")
    assert [q.name for q in desc.entities] == ALL[::-1]


def test_queue_paging(routing):
    first = routing.get_routing_queues(page_size=4)
    second = routing.get_routing_queues(page_size=4, page_number=2)
    assert [q.name for q in first.entities] == ALL[:4]
    assert [q.name for q in second.entities] == ALL[4:]
    assert first.page_count == second.page_count == 2 and first.total == 6
    assert first.next_uri and "pageNumber=2" in first.next_uri and first.previous_uri is None
    assert second.next_uri is None and "pageNumber=1" in second.previous_uri
    beyond = routing.get_routing_queues(page_size=4, page_number=5)
    assert beyond.entities == [] and beyond.total == 6


@pytest.mark.parametrize(("pattern", "names"), [
    ("Sales", ["Sales"]),
    ("sales", ["Sales"]),
    ("S*", ["Sales", "Support"]),
    ("*es", ["Sales"]),
    ("*l*", ["Billing", "Claims", "Sales", "Technical Support"]),
    ("*SUPPORT", ["Support", "Technical Support"]),
    ("Sal", []),
])
def test_queue_name_filter_with_asterisks(routing, pattern, names):
    assert [q.name for q in routing.get_routing_queues(name=pattern).entities] == names


def test_queue_id_list(routing):
    listing = routing.get_routing_queues(id=[SUPPORT, BILLING, new_id()])
    assert sorted(q.id for q in listing.entities) == sorted([SUPPORT, BILLING])
    assert listing.total == 2


def test_one_queue_and_its_404(sdk, supervisor, routing):
    queue = routing.get_routing_queue(BILLING)
    assert isinstance(queue, sdk.Queue)
    assert (queue.id, queue.name) == (BILLING, "Billing")
    body = api_error(lambda: routing.get_routing_queue(new_id()), 404, "resource.not.found")
    assert body["message"] == "The resource could not be found."


def test_queues_need_routing_queue_view(sdk, login, demo):
    readonly = sdk.RoutingApi(login(*demo.READONLY))
    body = api_error(lambda: readonly.get_routing_queues(), 403, "missing.any.permissions")
    assert "routing:queue:view" in body["message"]
    body = api_error(lambda: readonly.get_routing_queue(SALES), 403, "missing.permissions")
    assert "routing:queue:view" in body["message"]
    # a wildcard role grants it
    assert sdk.RoutingApi(login(*demo.INTEGRATION)).get_routing_queue(SALES).name == "Sales"


def test_queues_of_another_org_are_unknown(sdk, login, demo):
    other = sdk.RoutingApi(login(*demo.OTHER_ORG))
    assert SALES not in [q.id for q in other.get_routing_queues().entities]
    api_error(lambda: other.get_routing_queue(SALES), 404, "resource.not.found")


def test_seeded_queues_are_named_apart_from_the_scenarios(sb, routing):
    seeded = sb.control.seed(count=5, seed=11, queues=2, agents=2)
    # the demo's own seed took Retention, Technical Support and Claims after Sales/Support/Billing
    listing = routing.get_routing_queues(id=seeded["queueIds"])
    assert sorted(q.name for q in listing.entities) == ["Collections", "Onboarding"]
    names = [q.name for q in routing.get_routing_queues(page_size=100).entities]
    assert len(names) == len(set(names)) == 8


def test_bad_queue_paging_is_400(routing):
    api_error(lambda: routing.get_routing_queues(page_size=0), 400, "invalid.value")
    api_error(lambda: routing.get_routing_queues(page_size=501), 400, "bad.request")


# --- users -----------------------------------------------------------------------------------


def test_users_by_id_list_need_no_permission(sdk, login, demo):
    nothing = sdk.UsersApi(login(*demo.NOTHING))
    listing = nothing.get_users(id=[demo.AVA, demo.BEN, new_id()])
    assert isinstance(listing, sdk.UserEntityListing)
    assert [u.name for u in listing.entities] == ["Ava Agent", "Ben Agent"]
    assert listing.total == 2
    ava = listing.entities[0]
    assert ava.id == demo.AVA and ava.state == "active" and ava.self_uri == f"/api/v2/users/{demo.AVA}"
    assert ava.email == "ava.agent@example.com"


def test_users_paging_and_sort(users):
    everyone = users.get_users(page_size=100)
    names = [u.name for u in everyone.entities]
    assert names == sorted(names, key=str.lower)
    assert {"Ava Agent", "Ben Agent", "Cleo Agent", "Sam Supervisor"} <= set(names)
    assert len(names) == everyone.total >= 12  # 4 scenario users + 8 seeded agents
    first = users.get_users()
    assert first.page_size == 25 and first.page_number == 1
    pages = [users.get_users(page_size=5, page_number=n) for n in range(1, everyone.total // 5 + 2)]
    assert [u.name for p in pages for u in p.entities] == names
    assert pages[0].page_count == -(-everyone.total // 5)
    desc = users.get_users(page_size=100, sort_order="descending")
    assert [u.name for u in desc.entities] == names[::-1]


def test_seeded_agents_have_person_names(sb, users):
    seeded = sb.control.seed(count=3, seed=5, agents=3, queues=1)
    listing = users.get_users(id=seeded["agentIds"])
    names = [u.name for u in listing.entities]
    assert len(names) == 3 and all(len(n.split()) == 2 and not n.startswith("Agent") for n in names)


def test_more_than_100_user_ids_is_400(users):
    body = api_error(lambda: users.get_users(id=[new_id() for _ in range(101)]), 400, "max.user.ids")
    assert body["message"] == "Only 100 users can be requested at a time."
    assert users.get_users(id=[new_id() for _ in range(100)]).entities == []


def test_user_state_filter(users, demo):
    assert users.get_users(id=[demo.AVA], state="any").total == 1
    assert users.get_users(id=[demo.AVA], state="deleted").entities == []
    api_error(lambda: users.get_users(state="gone"), 400, "invalid.value")


def test_one_user_and_its_404(sdk, supervisor, users, demo):
    cleo = users.get_user(demo.CLEO)
    assert isinstance(cleo, sdk.User) and cleo.name == "Cleo Agent"
    body = api_error(lambda: users.get_user(new_id()), 404, "general.resource.not.found")
    assert body["message"] == "Unable to find a user with that userId"
    api_error(lambda: sdk.UsersApi(supervisor).get_user(demo.AVA, state="deleted"), 404,
              "general.resource.not.found")


def test_users_me_still_routes_before_a_user_id(sb, sdk, as_user, demo):
    me = sdk.UsersApi(as_user(demo.AVA)).get_users_me()
    assert me.id == demo.AVA


def test_id_list_on_one_page_when_so_assumed(sb, users):
    ids = sb.control.seed(count=1, seed=9, agents=30, queues=1)["agentIds"]
    assert len(users.get_users(id=ids).entities) == 25
    sb.control.settings(assumptions={"directoryIdListPaging": "all"})
    assert len(users.get_users(id=ids).entities) == 30


def test_list_param_is_one_comma_joined_value(sb, supervisor, demo):
    raw = Raw(sb.url)
    resp = raw.request("GET", f"/api/v2/users?id={demo.AVA}%2C{demo.CLEO}", token=supervisor.access_token)
    assert resp.status == 200
    assert sorted(u["id"] for u in raw.json(resp)["entities"]) == sorted([demo.AVA, demo.CLEO])


def test_control_plane_adds_a_named_queue_and_names_are_per_org(sb, sdk, supervisor, routing, login, demo):
    added = sb.control.add_queue("Complaints", description="escalated calls")
    queue = routing.get_routing_queue(added["queueId"])
    assert (queue.name, queue.description) == ("Complaints", "escalated calls")
    assert [q.id for q in routing.get_routing_queues(name="compl*").entities] == [added["queueId"]]
    with pytest.raises(SandboxControlError):
        sb.control.add_queue("Again", queueId=added["queueId"])
    other = sdk.UsersApi(login(*demo.OTHER_ORG))
    api_error(lambda: other.get_user(demo.AVA), 404, "general.resource.not.found")
    assert demo.AVA not in [u.id for u in other.get_users(page_size=100).entities]
