"""Channels and subscriptions through the SDK's ``NotificationsApi``.

Each group of topics (``topics.pack``) gets one channel (``POST /api/v2/notifications/channels``)
and its list (``PUT …/channels/{id}/subscriptions?ignoreErrors=true``: replaces the list, and a refused
topic comes back ``Rejected`` instead of failing the call). Renewal is the same PUT before
``expires`` (re-subscribing keeps a channel alive [documented, §5.2]).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import PermissionDenied

from .socket import short_id

if TYPE_CHECKING:
    from recops.api.client import Client

CHANNELS_PATH = "/api/v2/notifications/channels"
POLLING_FALLBACK = ("nothing could be subscribed: the live path is not available to this token; "
                    "poll instead (rc.states([...]) or the control panel's refresh)")


@dataclass
class Channel:
    id: str
    connect_uri: str
    expires: datetime | None
    topics: list[str]
    permitted: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # topic -> reason (missing permissions)

    def __repr__(self) -> str:  # the id is a credential
        return f"Channel({short_id(self.id)}, {len(self.permitted)} topics, expires {self.expires})"

    def due(self, margin: timedelta, now: datetime | None = None) -> bool:
        """Whether the channel should be renewed (within ``margin`` of ``expires``)."""
        if self.expires is None:
            return False
        exp = self.expires if self.expires.tzinfo else self.expires.replace(tzinfo=timezone.utc)
        return (now or datetime.now(timezone.utc)) >= exp - margin


class Channels:
    def __init__(self, client: Client) -> None:
        self.client = client

    def _api(self) -> Any:
        return self.client.sdk().NotificationsApi(self.client.api_client)

    def create(self, topics: list[str]) -> Channel:
        api = self._api()
        made = self.client.call("POST", CHANNELS_PATH, api.post_notifications_channels)
        channel = Channel(made.id, made.connect_uri, made.expires, list(topics))
        self.subscribe(channel)
        return channel

    def subscribe(self, channel: Channel) -> Channel:
        """(Re)place the channel's subscriptions; sorts them into permitted and rejected, and
        takes the channel's new ``expires`` (renewal)."""
        sdk = self.client.sdk()
        api = self._api()
        body = []
        for t in channel.topics:  # the SDK's models take no constructor arguments
            topic = sdk.ChannelTopic()
            topic.id = t
            body.append(topic)
        path = f"{CHANNELS_PATH}/{{channelId}}/subscriptions"
        listing = self.client.call("PUT", path, api.put_notifications_channel_subscriptions, channel.id, body,
                                   ignore_errors=True)
        permitted, rejected = [], {}
        for t in listing.entities or []:
            if (t.state or "Permitted") == "Rejected":
                missing = ", ".join(t.missing_permissions or [])
                rejected[t.id] = t.rejection_reason or (f"missing {missing}" if missing else "rejected")
            else:
                permitted.append(t.id)
        channel.permitted, channel.rejected = permitted, rejected
        try:
            listed = self.client.call("GET", CHANNELS_PATH, api.get_notifications_channels)
            for c in listed.entities or []:
                if c.id == channel.id and c.expires is not None:
                    channel.expires = c.expires
        except PermissionDenied:
            pass
        return channel

    def exists(self, channel: Channel) -> bool:
        from recops.genesys.errors import NotFound

        try:
            self.client.call("HEAD", f"{CHANNELS_PATH}/{{channelId}}", self._api().head_notifications_channel,
                             channel.id)
            return True
        except NotFound:
            return False
