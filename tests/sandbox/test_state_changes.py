"""Every state change goes through ``SandboxState``: its ``version`` moves with each one, the
conversation's own ``version`` moves when the conversation changes, and the analytics cache
empties itself - no caller has to remember to say "changed"."""

from __future__ import annotations

import pytest

from recops.sandbox import SandboxState
from recops.sandbox.model.models import Conversation
from recops.sandbox.seeds.builders import create_conversation
from recops.sandbox.services.analytics import DetailsIndex, parse_query

from .sdk_helpers import around_now, new_id


@pytest.fixture
def state() -> SandboxState:
    return SandboxState()


def _conv(state: SandboxState, **spec) -> Conversation:
    return create_conversation(state, {"participants": [
        {"purpose": "customer", "name": "C"}, {"purpose": "agent", "name": "A", "userId": "u1"}], **spec})


def _moves(state: SandboxState, conv: Conversation | None, change) -> tuple[bool, bool]:
    before = (state.version, conv.version if conv else 0)
    change()
    return state.version != before[0], (conv.version != before[1]) if conv else False


def test_each_conversation_change_moves_both_versions(state):
    conv = _conv(state)
    agent = conv.participants[1]
    changes = [
        lambda: state.set_recording_state(conv, "PAUSED"),
        lambda: state.set_recording_state(conv, "ACTIVE"),
        lambda: state.set_adhoc(conv, agent, True),
        lambda: state.set_held(conv, agent, True),
        lambda: state.update_participant(conv, agent, {"muted": True, "confined": True}),
        lambda: state.set_retention(conv, conv.recordings[0], {"deleteDate": 2e9}),
        lambda: state.disconnect(conv),
    ]
    for i, change in enumerate(changes):
        assert _moves(state, conv, change) == (True, True), i
    assert agent.session.muted and agent.session.confined and conv.ended
    assert conv.recordings[0].delete_date == 2e9


def test_a_repeat_that_changes_nothing_leaves_the_conversation_version(state):
    conv = _conv(state)
    state.set_recording_state(conv, "PAUSED")
    assert _moves(state, conv, lambda: state.set_recording_state(conv, "PAUSED"))[1] is False


def test_non_conversation_changes_move_the_state_version(state):
    client = state.add_client(["a:b:c"])
    user = state.add_user(user_id="u9")
    for change in (lambda: state.update_client(client, permissions=("x:y:z",), grants=()),
                   lambda: state.update_settings({"latencyMs": 5}),
                   lambda: state.advance_clock(10),
                   lambda: state.set_scenario("demo"),
                   lambda: state.add_user(user_id="u10"),
                   lambda: state.reset()):
        assert _moves(state, None, change)[0]
    assert client.permissions == ("x:y:z",) and client.grants == ()
    assert user.id == "u9"


def test_a_failed_change_raises_and_still_invalidates(state):
    conv = _conv(state)
    state.disconnect(conv)
    version = state.version
    with pytest.raises(Exception, match="disconnected"):
        state.set_recording_state(conv, "PAUSED")
    assert state.version > version


def test_details_index_empties_itself_when_the_state_changes(state):
    index = DetailsIndex(state)
    query = parse_query({"interval": around_now()}, state.settings)

    def matched() -> list[str]:
        convs = list(state.org().conversations.values())
        return [c.id for c in index.matches("sandbox-org", query, convs, "startInstant")]

    first = _conv(state)
    assert matched() == [first.id]
    second = _conv(state)  # nobody tells the index
    assert matched() == sorted([first.id, second.id], key=lambda cid: state.org().conversations[cid].start_time)


def test_a_new_conversation_appears_in_the_next_analytics_query(sb, sdk, supervisor):
    from .test_sdk_analytics import conv_filter, cpred, query, run

    analytics = sdk.AnalyticsApi(supervisor)
    tag = new_id()
    q = query(sdk, around_now(), conversation_filters=[conv_filter(sdk, "and", [cpred(sdk, "externalTag", tag)])])
    assert run(analytics, q) == set()
    cid = sb.control.add_conversation(externalTag=tag)["id"]
    assert run(analytics, q) == {cid}
    sb.control.disconnect(cid)
    reply = analytics.post_analytics_conversations_details_query(q)
    assert reply.conversations[0].conversation_end is not None
