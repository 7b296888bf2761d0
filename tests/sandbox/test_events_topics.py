"""Topics the sandbox lists in availabletopics but never publishes on (issue 20): a subscriber is
told so, by availabletopics' description (assumption eventUnemittedTopics ``accepted``) or by the
subscription itself (``rejected``), through the unmodified SDK."""

from __future__ import annotations

import pytest

from .notify_helpers import topics

ORG_QUEUE = "5a1e0000-0000-4000-8000-0000000000a1"
NEVER = ("v2.users.{id}.conversations.emails", "v2.routing.queues.{id}.conversations.chats",
         "v2.users.{id}.conversations.{id}.recordings.{id}", "v2.users.{id}.userrecordings",
         "v2.detail.events.conversation.{id}.acd.start")
EMITTED = ("v2.users.{id}.conversations.calls", "v2.users.{id}.conversations", "v2.routing.queues.{id}.conversations",
           "v2.routing.queues.{id}.conversations.calls", "v2.users.{id}.conversations.{id}.recordings",
           "v2.users.{id}.recordings")


@pytest.fixture
def notif(sdk, supervisor):
    return sdk.NotificationsApi(supervisor)


def test_available_topics_say_which_the_sandbox_never_emits(notif):
    listed = {t.id: t.description for t in notif.get_notifications_availabletopics(expand=["description"]).entities}
    for template in NEVER:
        assert "never emits" in listed[template] and "eventUnemittedTopics" in listed[template], template
    for template in EMITTED:
        assert "never emits" not in listed[template], template


def test_subscribing_to_a_never_emitted_topic(sb, sdk, notif, demo):
    ch = notif.post_notifications_channels()
    emails = f"v2.users.{demo.AVA}.conversations.emails"
    calls = f"v2.routing.queues.{ORG_QUEUE}.conversations.calls"
    got = notif.put_notifications_channel_subscriptions(ch.id, topics(sdk, emails, calls))
    assert [(t.id, t.state) for t in got.entities] == [(emails, "Permitted"), (calls, "Permitted")]  # accepted

    sb.control.settings(assumptions={"eventUnemittedTopics": "rejected"})
    got = notif.put_notifications_channel_subscriptions(ch.id, topics(sdk, emails, calls), ignore_errors=True)
    states = {t.id: (t.state, t.rejection_reason) for t in got.entities}
    assert states[calls] == ("Permitted", None)
    assert states[emails][0] == "Rejected" and "never emits" in states[emails][1]
    assert [t.id for t in notif.get_notifications_channel_subscriptions(ch.id).entities] == [calls]
    with pytest.raises(sdk.rest.ApiException) as refused:
        notif.post_notifications_channel_subscriptions(
            ch.id, topics(sdk, f"v2.detail.events.conversation.{demo.ACTIVE}.acd.start"))
    assert refused.value.status == 400
    assert "notification.invalid.topic" in refused.value.body and "never emits" in refused.value.body
