"""Issue 20 (W3): topics packed into channels within the limits, and notification events → typed
transitions (old → new, REST casing, once), with the SDK's own event and conversation models."""

from __future__ import annotations

import pytest

from recops.genesys.errors import ConfigError
from recops.live import topics
from recops.live.socket import short_id
from recops.live.transitions import Tracker, observe_conversation, observe_event

Q = "8c3f1d2e-0000-4000-8000-0000000000{:02d}"


def test_pack_fills_channels_to_the_limit_and_keeps_order():
    names = [topics.queue_topic(Q.format(i)) for i in range(7)]
    groups = topics.pack(names + names[:2], per_channel=3, max_channels=20)
    assert groups == [names[0:3], names[3:6], names[6:7]]
    assert topics.pack(names, per_channel=1000) == [names]


def test_pack_refuses_past_the_channel_cap_with_what_to_do():
    names = [topics.user_topic(Q.format(i)) for i in range(5)]
    with pytest.raises(ConfigError) as e:
        topics.pack(names, per_channel=2, max_channels=2)
    assert "3 channels, over the limit of 2" in str(e.value) and "watch fewer" in str(e.value)
    with pytest.raises(ConfigError, match="nothing to watch"):
        topics.pack([])


def test_topic_names_and_entities():
    assert topics.queue_topic("q1") == "v2.routing.queues.q1.conversations.calls"
    assert topics.user_topic("u1") == "v2.users.u1.conversations.calls"
    assert topics.entity_of("v2.routing.queues.q1.conversations.calls") == ("queue", "q1")
    assert topics.entity_of("v2.users.u1.conversations") == ("user", "u1")
    assert topics.entity_of("channel.metadata") is None
    assert topics.is_id(Q.format(1)) and not topics.is_id("Payments")


def _model(name: str, **attrs):
    """An SDK model (its constructors take no arguments; its setters check enum values)."""
    from recops.api.sdk import load

    obj = getattr(load(), name)()
    for k, v in attrs.items():
        setattr(obj, k, v)
    return obj


def _event(state: str, secure: bool, held: bool = False):
    agent = _model("QueueConversationCallEventTopicCallMediaParticipant",
                   id="p-agent", recording_state=state, secure_pause=secure, held=held, state="connected")
    return _model("QueueConversationCallEventTopicCallConversation",
                  id="c-1", recording_state=state, secure_pause=secure, participants=[agent])


def test_sdk_event_models_become_transitions_in_rest_casing_once():
    tr = Tracker()
    first = tr.feed(observe_event(_event("active", False)), "v2.routing.queues.q.conversations.calls")
    assert [(t.old, t.new) for t in first] == [(None, "ACTIVE")]
    paused = tr.feed(observe_event(_event("paused", True)), "topic")
    assert [(t.old, t.new, t.secure_pause, t.recovered) for t in paused] == [("ACTIVE", "PAUSED", True, False)]
    assert tr.feed(observe_event(_event("paused", True)), "topic") == []  # a repeat is no transition
    resumed = tr.feed(observe_event(_event("active", False)), "topic")
    assert [(t.old, t.new, t.secure_pause) for t in resumed] == [("PAUSED", "ACTIVE", False)]


def test_wire_json_body_and_rest_reread_share_one_tracker():
    tr = Tracker()
    body = {"id": "c-2", "recordingState": "active", "securePause": False,
            "participants": [{"id": "p1", "recordingState": "active", "held": False}]}
    tr.feed(observe_event(body), "v2.users.u.conversations.calls", baseline=True)
    call = _model("Call", recording_state="paused", secure_pause=True, held=False)
    conv = _model("Conversation", id="c-2", recording_state="PAUSED", secure_pause=True,
                  participants=[_model("Participant", id="p1", calls=[call])])
    got = tr.feed(observe_conversation(conv), "rest", recovered=True)
    assert [(t.conversation_id, t.participant_id, t.old, t.new, t.recovered, t.topic) for t in got] == [
        ("c-2", "p1", "ACTIVE", "PAUSED", True, "rest")]
    # the late event of the same change is no second transition
    assert tr.feed(observe_event({**body, "recordingState": "paused", "securePause": True, "participants": [
        {"id": "p1", "recordingState": "paused", "securePause": True}]}), "topic") == []


def test_channel_id_is_shown_shortened():
    cid = "streaming-2-aa5h48uk0srhpugh2994klj918"
    assert cid not in short_id(cid) and short_id(cid).startswith("streaming-")
