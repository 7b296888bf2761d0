"""What the notification tests share: a subscription body from topic names."""

from __future__ import annotations

from typing import Any


def topics(sdk: Any, *names: str) -> list[Any]:
    """``ChannelTopic``s of ``names``, the body of ``PUT/POST …/channels/{id}/subscriptions``."""
    out = []
    for name in names:
        t = sdk.ChannelTopic()
        t.id = name
        out.append(t)
    return out
