"""The Notifications API's REST side through the unmodified SDK's ``NotificationsApi``
(issue 20; facts: ../shared/genesys-api-lifecycle.md §5.1-5.2): channels, subscriptions,
available topics, each limit and refusal."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.sandbox.sdk_helpers import api_error

from .notify_helpers import topics

SALES = "5a1e0000-0000-4000-8000-0000000000a1"
OTHER_ORG_AGENT = "0f0f0000-0000-4000-8000-0000000000a1"
CHANNEL_ID = re.compile(r"^streaming-0-[a-z0-9]{26}$")


@pytest.fixture
def notif(sdk, supervisor):
    return sdk.NotificationsApi(supervisor)


def head_status(api, channel_id: str) -> int:
    """HEAD …/channels/{id}: 200 (the SDK returns None) or the ApiException's status (no body)."""
    from PureCloudPlatformClientV2.rest import ApiException

    try:
        api.head_notifications_channel(channel_id)
    except ApiException as e:
        return e.status
    return 200


def queue_topic(qid: str = SALES) -> str:
    return f"v2.routing.queues.{qid}.conversations.calls"


def test_create_channel_is_a_documented_channel(sb, notif):
    ch = notif.post_notifications_channels()
    assert CHANNEL_ID.match(ch.id)
    assert ch.connect_uri == f"ws://127.0.0.1:{sb.port}/channels/{ch.id}"
    now = datetime.now(timezone.utc)
    assert timedelta(hours=23, minutes=59) < ch.expires - now <= timedelta(hours=24)
    assert head_status(notif, ch.id) == 200
    listed = notif.get_notifications_channels().entities
    assert [c.id for c in listed] == [ch.id]
    # the request log never shows the whole id (it admits to the socket)
    logged = [e["path"] for e in sb.control.requests(path="/notifications/channels/")]
    assert logged and all(ch.id not in p for p in logged)


def test_subscriptions_add_replace_clear(sdk, notif, demo):
    ch = notif.post_notifications_channels()
    got = notif.post_notifications_channel_subscriptions(ch.id, topics(sdk, queue_topic()))
    assert [(t.id, t.state) for t in got.entities] == [(queue_topic(), "Permitted")]
    user_topic = f"v2.users.{demo.AVA}.conversations"
    got = notif.post_notifications_channel_subscriptions(ch.id, topics(sdk, user_topic, queue_topic()))
    assert [t.id for t in got.entities] == [queue_topic(), user_topic]  # adds; a duplicate counts once
    got = notif.put_notifications_channel_subscriptions(ch.id, topics(sdk, user_topic))
    assert [t.id for t in got.entities] == [user_topic]  # replaces
    assert [t.id for t in notif.get_notifications_channel_subscriptions(ch.id).entities] == [user_topic]
    assert notif.delete_notifications_channel_subscriptions(ch.id) is None
    assert notif.get_notifications_channel_subscriptions(ch.id).entities == []


def test_invalid_topic_is_400(sdk, notif):
    ch = notif.post_notifications_channels()
    for bad in ("v2.users.nobody.presence", "V2.ROUTING.QUEUES.x.CONVERSATIONS", "nonsense", f"{queue_topic()}?x&y"):
        body = api_error(lambda b=bad: notif.post_notifications_channel_subscriptions(
            ch.id, topics(sdk, b), ignore_errors=True), 400, "notification.invalid.topic")
        assert body["message"] == "The subscription topic is not valid."
    assert notif.get_notifications_channel_subscriptions(ch.id).entities == []


def test_too_many_topics_is_400_and_changes_nothing(sb, sdk, notif):
    sb.control.settings(notificationTopicsPerChannel=3)
    ch = notif.post_notifications_channels()
    notif.put_notifications_channel_subscriptions(ch.id, topics(sdk, queue_topic()))
    many = [f"v2.detail.events.conversation.c{i}.acd.start" for i in range(3)]
    api_error(lambda: notif.post_notifications_channel_subscriptions(ch.id, topics(sdk, *many)),
              400, "notification.subscription.too.many.subscriptions")
    assert [t.id for t in notif.get_notifications_channel_subscriptions(ch.id).entities] == [queue_topic()]


def test_one_thousand_topics_by_default(sdk, notif):
    ch = notif.post_notifications_channels()
    thousand = [f"v2.detail.events.conversation.c{i}.acw" for i in range(1000)]
    assert len(notif.put_notifications_channel_subscriptions(ch.id, topics(sdk, *thousand)).entities) == 1000
    api_error(lambda: notif.post_notifications_channel_subscriptions(ch.id, topics(sdk, queue_topic())),
              400, "notification.subscription.too.many.subscriptions")


def test_rejected_with_ignore_errors_else_refused(sb, sdk, login, demo):
    nothing = sdk.NotificationsApi(login(*demo.NOTHING))
    ch = nothing.post_notifications_channels()
    got = nothing.post_notifications_channel_subscriptions(
        ch.id, topics(sdk, queue_topic(), f"v2.detail.events.conversation.{demo.ACTIVE}.acw"), ignore_errors=True)
    by_id = {t.id: t for t in got.entities}
    rejected = by_id[queue_topic()]
    assert rejected.state == "Rejected"
    assert rejected.missing_permissions == ["conversation:communication:view"]
    assert rejected.rejection_reason
    assert nothing.get_notifications_channel_subscriptions(ch.id).entities == []  # nothing subscribed
    body = api_error(lambda: nothing.post_notifications_channel_subscriptions(ch.id, topics(sdk, queue_topic())),
                     403, "missing.any.permissions")
    assert "conversation:communication:view" in body["message"]
    sb.control.settings(assumptions={"notificationRefusedTopic": "invalidTopic400"})
    api_error(lambda: nothing.post_notifications_channel_subscriptions(ch.id, topics(sdk, queue_topic())),
              400, "notification.invalid.topic")
    sb.control.settings(assumptions={"notificationTopicPermissions": "none"})
    got = nothing.post_notifications_channel_subscriptions(ch.id, topics(sdk, queue_topic()))
    assert [t.state for t in got.entities] == ["Permitted"]


def test_a_user_may_take_its_own_topics(sdk, as_user, demo):
    cleo = sdk.NotificationsApi(as_user(demo.CLEO))  # no recording:recording:view
    ch = cleo.post_notifications_channels()
    own = f"v2.users.{demo.CLEO}.userrecordings"
    other = f"v2.users.{demo.AVA}.userrecordings"
    got = cleo.post_notifications_channel_subscriptions(ch.id, topics(sdk, own, other), ignore_errors=True)
    assert {t.id: t.state for t in got.entities} == {own: "Permitted", other: "Rejected"}


def test_another_orgs_topics_and_channels_are_refused(sdk, notif, login, demo):
    ch = notif.post_notifications_channels()
    theirs = f"v2.users.{OTHER_ORG_AGENT}.conversations.calls"
    got = notif.post_notifications_channel_subscriptions(ch.id, topics(sdk, theirs), ignore_errors=True)
    assert [(t.id, t.state) for t in got.entities] == [(theirs, "Rejected")]
    assert not got.entities[0].missing_permissions
    api_error(lambda: notif.post_notifications_channel_subscriptions(ch.id, topics(sdk, theirs)),
              400, "notification.invalid.topic")
    other = sdk.NotificationsApi(login(*demo.OTHER_ORG))
    assert head_status(other, ch.id) == 404
    api_error(lambda: other.get_notifications_channel_subscriptions(ch.id), 404, "not.found")
    api_error(lambda: other.post_notifications_channel_subscriptions(ch.id, topics(sdk, queue_topic())),
              404, "not.found")
    assert other.get_notifications_channels(includechannels="oauthclient").entities == []


def test_twenty_first_channel_evicts_the_least_recently_used(sdk, notif, supervisor):
    made = [notif.post_notifications_channels().id for _ in range(20)]
    notif.get_notifications_channel_subscriptions(made[0])  # used: now the most recent but one
    newest = notif.post_notifications_channels().id
    assert head_status(notif, made[1]) == 404  # the LRU went
    assert head_status(notif, made[0]) == 200
    ids = {c.id for c in notif.get_notifications_channels().entities}
    assert ids == (set(made) - {made[1]}) | {newest}


def test_includechannels_oauthclient_withholds_other_tokens_ids(sdk, login, demo):
    one = sdk.NotificationsApi(login(*demo.SUPERVISOR))
    two = sdk.NotificationsApi(login(*demo.SUPERVISOR))  # another token of the same client
    mine, theirs = one.post_notifications_channels(), two.post_notifications_channels()
    assert [c.id for c in one.get_notifications_channels().entities] == [mine.id]
    listed = one.get_notifications_channels(includechannels="oauthclient").entities
    assert [c.id for c in listed] == [mine.id, None] and listed[1].expires == theirs.expires
    api_error(lambda: one.get_notifications_channels(includechannels="everyone"), 400, "invalid.value")


def test_lifetime_on_the_sandbox_clock_extended_by_subscribing(sb, sdk, login, demo):
    def fresh():  # tokens live 24 h on the same clock; any token of the same client + user may use the channel
        return sdk.NotificationsApi(login(*demo.SUPERVISOR))

    ch = fresh().post_notifications_channels()
    sb.control.advance_clock(23 * 3600)
    fresh().put_notifications_channel_subscriptions(ch.id, topics(sdk, queue_topic()))  # another 24 h
    sb.control.advance_clock(23 * 3600)
    assert head_status(fresh(), ch.id) == 200
    sb.control.advance_clock(3600 + 1)
    api = fresh()
    assert head_status(api, ch.id) == 404
    assert api.get_notifications_channels(includechannels="oauthclient").entities == []


def test_a_reset_ends_the_orgs_channels(sb, sdk, notif, login, demo):
    ch = notif.post_notifications_channels()
    sb.control.reset()
    assert head_status(sdk.NotificationsApi(login(*demo.SUPERVISOR)), ch.id) == 404


def test_available_topics_with_their_requirements(notif):
    plain = notif.get_notifications_availabletopics().entities
    ids = {t.id for t in plain}
    assert {"v2.users.{id}.conversations", "v2.users.{id}.conversations.calls",
            "v2.routing.queues.{id}.conversations", "v2.routing.queues.{id}.conversations.calls",
            "v2.users.{id}.conversations.{id}.recordings", "v2.users.{id}.recordings",
            "v2.users.{id}.userrecordings", "v2.detail.events.conversation.{id}.acw"} <= ids
    assert all(t.requires_permissions is None for t in plain)
    full = {t.id: t for t in notif.get_notifications_availabletopics(
        expand=["requiresPermissions", "permissionDetails", "topicParameters", "description"]).entities}
    queue = full["v2.routing.queues.{id}.conversations.calls"]
    assert queue.requires_permissions == ["conversation:communication:view"]
    assert queue.topic_parameters == ["queueId"]
    assert queue.description
    assert full["v2.users.{id}.conversations.{id}.recordings"].topic_parameters == ["userId", "conversationId"]
    assert full["v2.users.{id}.conversations"].requires_current_user_or_permission is True


def test_the_banner_says_where_sockets_are_and_where_the_real_ones_are():
    from recops.sandbox.app import SandboxApp
    from recops.sandbox.server import announce_banner

    lines: list[str] = []
    announce_banner(SandboxApp(), "http://127.0.0.1:8765", announce=lines.append)
    line = next(x for x in lines if "notification sockets" in x)
    assert "ws://127.0.0.1:8765/channels/{channelId}" in line and "wss://streaming.{region}" in line
