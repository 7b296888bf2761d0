"""Topic names for the live path, and how they are packed into channels.

Limits [documented, genesys-api-lifecycle.md §5.2]: 1,000 topics a channel, 20 channels per user and
application (the 21st silently evicts one: recops never creates it, it refuses with what to do).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from recops.genesys.errors import ConfigError

if TYPE_CHECKING:
    from recops.api.client import Client

TOPICS_PER_CHANNEL = 1000
MAX_CHANNELS = 20
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_QUEUE_TOPIC = re.compile(r"^v2\.routing\.queues\.([^.]+)\.conversations")
_USER_TOPIC = re.compile(r"^v2\.users\.([^.]+)\.conversations")


def queue_topic(queue_id: str) -> str:
    return f"v2.routing.queues.{queue_id}.conversations.calls"


def user_topic(user_id: str) -> str:
    return f"v2.users.{user_id}.conversations.calls"


def is_id(value: str) -> bool:
    return bool(_UUID.match(value))


def entity_of(topic: str) -> tuple[str, str] | None:
    """``("queue", id)`` or ``("user", id)`` for a conversation topic, else None."""
    m = _QUEUE_TOPIC.match(topic)
    if m:
        return "queue", m.group(1)
    m = _USER_TOPIC.match(topic)
    return ("user", m.group(1)) if m else None


def pack(topics: Iterable[str], per_channel: int = TOPICS_PER_CHANNEL,
         max_channels: int = MAX_CHANNELS) -> list[list[str]]:
    """The topics (duplicates dropped, order kept) in as few channels as ``per_channel`` allows;
    more than ``max_channels`` would need is refused (a 21st channel evicts one silently)."""
    if per_channel < 1 or max_channels < 1:
        raise ConfigError("topics per channel and channels must be at least 1",
                          f"got {per_channel} topics a channel, {max_channels} channels")
    unique = list(dict.fromkeys(t for t in topics if t))
    if not unique:
        raise ConfigError("nothing to watch", "name at least one queue, user or conversation "
                          "(recops watch --queue NAME|ID, rc.watch(queues=[...]))")
    groups = [unique[i:i + per_channel] for i in range(0, len(unique), per_channel)]
    if len(groups) > max_channels:
        raise ConfigError(
            f"{len(unique)} topics need {len(groups)} channels, over the limit of {max_channels} "
            f"({per_channel} topics each)",
            "watch fewer queues or users at once (split them between several API clients or users: "
            "the limit is per user and application), or watch their queues instead of each agent")
    return groups


def resolve_queues(client: Client, queues: Sequence[str]) -> list[str]:
    """Queue ids from ids or exact names (``GET /api/v2/routing/queues?name=``)."""
    ids: list[str] = []
    for q in queues:
        q = q.strip()
        if not q:
            continue
        if is_id(q):
            ids.append(q)
            continue
        api = client.sdk().RoutingApi(client.api_client)
        listing = client.call("GET", "/api/v2/routing/queues", api.get_routing_queues, name=q,
                              page_size=25, page_number=1)
        found = [e.id for e in (listing.entities or []) if e.id and (e.name or "").lower() == q.lower()]
        if not found:
            raise ConfigError(f"no queue named {q!r}", "give the queue's exact name or its id "
                              "(rc.store / GET /api/v2/routing/queues lists them)")
        ids.extend(found[:1])
    return ids


def conversation_users(client: Client, conversation_ids: Sequence[str]) -> list[str]:
    """The users (agents) on these conversations, whose user topics carry their events."""
    from recops.ops.recording import status

    users: list[str] = []
    for cid in conversation_ids:
        st = status(client, cid, with_recordings=False)
        users.extend(p.user_id for p in st.participants if p.user_id)
    return list(dict.fromkeys(users))
