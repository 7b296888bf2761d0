"""The Notifications API (issue 20): channels, subscriptions, available topics, and the
WebSocket at a channel's ``connectUri`` (``ws://<sandbox host>/channels/{id}``; the real one is
``wss://streaming.{region}/channels/{id}``), served by the same process (``sandbox.app``).

Facts: ``../shared/genesys-api-lifecycle.md`` §5. What the sheet leaves open is a setting
(``notification*`` in model/settings.py: lifetime, limits, heartbeat, socket_closing grace,
queue size) or a switchable assumption (``notification*`` keys), listed in docs/sandbox.md §6.

Channels belong to a user + application (the token's client and user) of one org; the id is the
only credential the socket takes, so it is 26 random lower-case alphanumerics (~134 bits).
A channel dies when it expires on the sandbox clock, is evicted (the 21st of a user + app, or
past a room's per-org cap: least recently used, preferring one without a socket), is expired by
a fault, or its org is reset (a reset org is a new ``OrgState``: channels remember the one they
were made in).

Delivery: while any socket is open, the service listens on ``state.events`` (model/events.py);
with none open ``EventBus.listened`` is false and publishers may skip building bodies.
``_on_event`` runs under the state lock in the publisher's thread and never blocks: it looks up
the channels of the event's org subscribed to its topic and appends one pre-built frame to each
live socket's bounded queue (``Socket.offer``). Each socket's task sends its queue in bus order, heartbeats,
and watches its channel's expiry (``socket_closing`` ``notificationSocketClosingSeconds`` before).
The task never waits for the state lock on the event loop (a publisher in another thread holds it
while it publishes: waiting stopped the whole loop); wakes from another thread go through the loop's
``Waker``, one ``call_soon_threadsafe`` per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors
from ..model import permissions as perms
from ..model.clock import iso
from ..model.errors import ApiError
from ..model.events import Event
from ..model.models import Token
from ..model.state import OrgState, SandboxState
from .base import ApiHandlers, bool_param

N = "api/v2/notifications"
_ID_ALPHABET = string.ascii_lowercase + string.digits
SOCKET_TICK_SECONDS = 0.1  # how often an idle socket checks its channel (expiry, eviction, faults)

# --- topics (§5.4): template, description, kind of the first {id}, permissions, parameter names -----

MEDIA = ("calls", "callbacks", "chats", "cobrowsesessions", "emails", "messages", "screenshares",
         "socialexpressions", "videos")
DETAIL_EVENTS = ("acd.start", "acd.end", "acw", "attributes", "contact", "customer.start", "customer.end",
                 "flow.start", "flow.end", "flow.outcome", "outbound", "user.start", "user.end",
                 "voicemail.start", "voicemail.end", "wrapup")


@dataclass(frozen=True)
class TopicSpec:
    template: str  # e.g. v2.users.{id}.conversations.calls
    description: str
    subject: str  # "user" | "queue" | "conversation": what the first {id} names
    permissions: tuple[str, ...]  # any one suffices (the sandbox's assumed table)
    parameters: tuple[str, ...]
    pattern: re.Pattern[str] = field(repr=False, compare=False, default=re.compile(""))
    emitted: bool = True  # False: accepted, never published (assumption eventUnemittedTopics)

    @property
    def requires_current_user_or_permission(self) -> bool:
        return self.subject == "user"


UNEMITTED = " (accepted; the sandbox never emits it: assumption eventUnemittedTopics)"


def _spec(template: str, description: str, subject: str, permissions: tuple[str, ...],
          parameters: tuple[str, ...], emitted: bool = True) -> TopicSpec:
    regex = "^" + re.escape(template).replace(re.escape("{id}"), "([^.?&]+)") + "$"
    return TopicSpec(template, description if emitted else description + UNEMITTED, subject, permissions,
                     parameters, re.compile(regex), emitted)


def _topic_specs() -> tuple[TopicSpec, ...]:
    view, rec = perms.CONVERSATION_VIEW, ("recording:recording:view",)
    out = [_spec("v2.users.{id}.conversations", "A user's conversations (ConversationEventTopicConversation)",
                 "user", view, ("userId",))]
    # what the sandbox publishes (docs/sandbox.md §4.11): calls on the media topics, every medium on
    # ….conversations, the recordings and archive/restore topics; the rest is accepted, never emitted
    out += [_spec(f"v2.users.{{id}}.conversations.{m}", f"A user's {m} conversations", "user", view, ("userId",),
                  m == "calls") for m in MEDIA]
    out.append(_spec("v2.routing.queues.{id}.conversations",
                     "A queue's conversations (QueueConversationEventTopicConversation)", "queue", view, ("queueId",)))
    out += [_spec(f"v2.routing.queues.{{id}}.conversations.{m}", f"A queue's {m} conversations", "queue", view,
                  ("queueId",), m == "calls") for m in MEDIA]
    out += [
        _spec("v2.users.{id}.conversations.{id}.recordings", "Recordings of a user's conversation "
              "(RecordingEventRecording)", "user", rec, ("userId", "conversationId")),
        _spec("v2.users.{id}.conversations.{id}.recordings.{id}", "Transcode complete "
              "(RecordingTranscodeCompleteTopicRecording)", "user", rec, ("userId", "conversationId", "recordingId"),
              False),
        _spec("v2.users.{id}.recordings", "Archive / restore of recordings (RecordingArchiveRestoreTopicRecording)",
              "user", rec, ("userId",)),
        _spec("v2.users.{id}.userrecordings", "A user's own recordings (AdhocRecordingTopicRecordingDataV2)",
              "user", rec, ("userId",), False),
    ]
    out += [_spec(f"v2.detail.events.conversation.{{id}}.{e}", f"Detail event {e} of a conversation",
                  "conversation", ("analytics:conversationDetail:view",), ("conversationId",), False)
            for e in DETAIL_EVENTS]
    return tuple(out)


TOPICS = _topic_specs()


def topic_spec(topic: str) -> tuple[TopicSpec, tuple[str, ...]] | None:
    for spec in TOPICS:
        m = spec.pattern.match(topic)
        if m is not None:
            return spec, m.groups()
    return None


# --- channels and sockets -----------------------------------------------------------------------

OwnerKey = tuple[str, str | None, str | None]  # org, client id, user id: "user + application"


@dataclass(eq=False)
class Channel:
    id: str
    org: str
    owner: OwnerKey
    token_value: str = field(repr=False)
    org_ref: OrgState | None = field(repr=False)
    expires: float  # sandbox clock
    used: int  # least-recently-used order (a counter)
    topics: dict[str, None] = field(default_factory=dict)  # ordered set
    socket: Socket | None = None
    delay: float = 0.0  # fault "delay": seconds each event waits before it is sent


def _frame(obj: dict[str, Any]) -> str:
    return orjson.dumps(obj).decode()


HEARTBEAT = _frame({"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}})
PONG = _frame({"topicName": "channel.metadata", "eventBody": {"message": "pong"}})


class Waker:
    """Wakes sockets' tasks on one event loop from any thread. On the loop's own thread a wake is a
    plain ``Event.set``; from another thread the sockets to wake are collected and the loop is
    woken once per batch (one ``call_soon_threadsafe``, not one per socket and event: a publish
    under the state lock to 40 sockets was 40 writes to the loop's self-pipe)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.thread = threading.get_ident()
        self._due: dict[Socket, None] = {}
        self._lock = threading.Lock()  # only around the batch: never held while waking

    def wake(self, sock: Socket) -> None:
        if threading.get_ident() == self.thread:
            sock.wake.set()
            return
        with self._lock:
            first = not self._due
            self._due[sock] = None
        if first:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the server stopped
                self.loop.call_soon_threadsafe(self._run)

    def _run(self) -> None:
        with self._lock:
            due, self._due = self._due, {}
        for sock in due:
            sock.wake.set()


class Socket:
    """One open WebSocket of a channel: a bounded queue of (due, frame) filled from any thread
    (``offer``, never blocking) and drained by its task on the event loop (``run``)."""

    def __init__(self, waker: Waker, maxlen: int, slow: str) -> None:
        self.waker = waker
        self.queue: deque[tuple[float, str]] = deque()
        self.maxlen = max(1, maxlen)
        self.slow = slow  # notificationSlowSocket: close | dropOldest
        self.wake = asyncio.Event()
        self.close_code: int | None = None  # set: the socket ends (None: open)
        self.close_reason = ""
        self.client_gone = False
        self.closing_sent = False
        self.close_at: float | None = None  # monotonic: a planned close (socket_closing sent)
        self.dropped = 0  # frames dropped (dropOldest)

    def offer(self, frame: str, due: float) -> None:
        if self.close_code is not None:
            return
        if len(self.queue) >= self.maxlen:
            if self.slow == "close":
                self.stop(1008, "notification queue overflow: the client reads too slowly")
                return
            self.queue.popleft()
            self.dropped += 1
        self.queue.append((due, frame))
        self.poke()

    def stop(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        self.poke()

    def poke(self) -> None:
        self.waker.wake(self)


Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


# --- the service ----------------------------------------------------------------------------------


class NotificationsApi(ApiHandlers):
    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.channels: dict[str, Channel] = {}
        self._subscribers: dict[tuple[str, str], dict[str, Channel]] = {}  # (org, topic) -> channels
        self._any_user: dict[tuple[str, str], int] = {}  # (org, v2.users.*.rest) -> subscriptions (``wants_topic``)
        self._used = itertools.count(1)
        self._global_delay = (0.0, state.settings)  # fault "delay" without a channel id, until a full reset
        # the bus is listened to only while a socket is open (no socket, no delivery: no replay), so
        # publishers may skip building bodies (``EventBus.listened``) when no client watches
        self._open_sockets = 0
        self._stop_listening: Callable[[], None] | None = None
        self._loop_waker: Waker | None = None  # the serving loop's (a restarted server: a new loop)

    # --- settings --------------------------------------------------------------------------

    def _setting(self, name: str) -> Any:
        return getattr(self.state.settings, name)

    # --- channel bookkeeping (under the state lock) ----------------------------------------------

    def _live(self, ch: Channel) -> bool:
        return (self.channels.get(ch.id) is ch and self.state.orgs.get(ch.org) is ch.org_ref
                and self.state.clock.now() < ch.expires)

    def _drop(self, ch: Channel, code: int, reason: str) -> None:
        with self.state.lock:
            if self.channels.get(ch.id) is ch:
                del self.channels[ch.id]
            self._set_topics(ch, {})
        if ch.socket is not None:
            ch.socket.stop(code, reason)

    def _set_topics(self, ch: Channel, topics: dict[str, None]) -> None:
        for t in ch.topics:
            subs = self._subscribers.get((ch.org, t))
            if subs is not None:
                subs.pop(ch.id, None)
                if not subs:
                    del self._subscribers[(ch.org, t)]
            wild = _any_user(t)
            if wild is not None:
                key = (ch.org, wild)
                self._any_user[key] -= 1
                if not self._any_user[key]:
                    del self._any_user[key]
        ch.topics = dict(topics)
        for t in ch.topics:
            self._subscribers.setdefault((ch.org, t), {})[ch.id] = ch
            wild = _any_user(t)
            if wild is not None:
                self._any_user[(ch.org, wild)] = self._any_user.get((ch.org, wild), 0) + 1

    def _sweep(self) -> None:
        """Forget dead channels (expired, org reset); their sockets see it on their next tick."""
        for ch in [c for c in self.channels.values() if not self._live(c)]:
            self._drop(ch, 1000, "channel expired")

    def _channel(self, req: Request) -> tuple[Token, Channel]:
        token = req.bearer
        ch = self.channels.get(req.params["channelId"])
        if ch is None or not self._live(ch) or ch.owner != _owner(token):
            if ch is not None and not self._live(ch):
                self._drop(ch, 1000, "channel expired")
            raise errors.not_found()
        ch.used = next(self._used)
        return token, ch

    def _evict_one(self, candidates: list[Channel]) -> None:
        """Least recently used, preferring one with no socket (the documented rule)."""
        victim = min(candidates, key=lambda c: (c.socket is not None and c.socket.close_code is None, c.used))
        self._drop(victim, 1000, "channel evicted: a newer channel took its place")

    # --- REST handlers -----------------------------------------------------------------------------

    def create_channel(self, req: Request) -> Reply:
        token = req.bearer
        with self.state.lock:
            self._sweep()
            owner = _owner(token)
            per_app = self._setting("notification_channels_per_app")
            mine = [c for c in self.channels.values() if c.owner == owner]
            while per_app and len(mine) >= per_app:
                self._evict_one(mine)
                mine = [c for c in self.channels.values() if c.owner == owner]
            per_org = self._setting("notification_channels_per_org")
            org_channels = [c for c in self.channels.values() if c.org == token.org]
            while per_org and len(org_channels) >= per_org:
                self._evict_one(org_channels)
                org_channels = [c for c in self.channels.values() if c.org == token.org]
            cid = "streaming-0-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(26))
            ch = Channel(cid, token.org, owner, token.value, self.state.orgs.get(token.org),
                         self.state.clock.now() + self._setting("notification_channel_ttl_seconds"),
                         next(self._used))
            self.channels[cid] = ch
        return json_reply(200, self._channel_wire(req, ch))

    def list_channels(self, req: Request) -> Reply:
        token = req.bearer
        which = req.q("includechannels") or "token"
        if which not in ("token", "oauthclient"):
            raise errors.invalid_value(which, "includechannels", ["token", "oauthclient"])
        with self.state.lock:
            self._sweep()
            owner = _owner(token)
            out = []
            for ch in self.channels.values():
                if ch.token_value == token.value:
                    out.append(self._channel_wire(req, ch))
                elif which == "oauthclient" and ch.owner == owner:
                    out.append({"expires": iso(ch.expires)})  # another token's: its id withheld [documented]
        return json_reply(200, {"entities": out})

    def head_channel(self, req: Request) -> Reply:
        with self.state.lock:
            self._channel(req)
        return Reply(200, b"", content_type=None)

    def get_subscriptions(self, req: Request) -> Reply:
        with self.state.lock:
            _, ch = self._channel(req)
            self._touch(ch)
            return json_reply(200, {"entities": [self._topic_wire(req, t) for t in ch.topics]})

    def post_subscriptions(self, req: Request) -> Reply:
        return self._subscribe(req, replace=False)

    def put_subscriptions(self, req: Request) -> Reply:
        return self._subscribe(req, replace=True)

    def delete_subscriptions(self, req: Request) -> Reply:
        with self.state.lock:
            _, ch = self._channel(req)
            self._set_topics(ch, {})
            self._touch(ch)
        return Reply(200, b"", content_type=None)

    def available_topics(self, req: Request) -> Reply:
        _ = req.bearer  # 401 without a token
        expand = {e for v in req.query.get("expand", []) for e in v.split(",") if e}
        known = {"description", "enforced", "schema", "visibility", "transports", "publicApiTemplateUriPaths",
                 "requiresPermissions", "permissionDetails", "topicParameters"}
        bad = sorted(expand - known)
        if bad:
            raise errors.invalid_value(bad[0], "expand", sorted(known))
        include_preview = req.q("includePreview")
        if include_preview is not None:
            bool_param(include_preview, "includePreview")
        enforced = self.state.settings.assumption("notificationTopicPermissions") == "enforced"
        out = []
        for spec in TOPICS:
            topic: dict[str, Any] = {"id": spec.template}
            if "description" in expand:
                topic["description"] = spec.description
            if "requiresPermissions" in expand:
                topic["requiresPermissions"] = list(spec.permissions) if enforced else []
                topic["requiresCurrentUserOrPermission"] = spec.requires_current_user_or_permission
            if "permissionDetails" in expand:
                topic["permissionDetails"] = [{
                    "type": "requiresPermissions", "permissions": list(spec.permissions) if enforced else [],
                    "allowsCurrentUser": spec.requires_current_user_or_permission, "enforced": enforced}]
            if "enforced" in expand:
                topic["enforced"] = enforced
            if "visibility" in expand:
                topic["visibility"] = "Public"
            if "transports" in expand:
                topic["transports"] = ["All"]
            if "topicParameters" in expand:
                topic["topicParameters"] = list(spec.parameters)
            if "schema" in expand:
                topic["schema"] = {}
            if "publicApiTemplateUriPaths" in expand:
                topic["publicApiTemplateUriPaths"] = []
            out.append(topic)
        return json_reply(200, {"entities": out})

    # --- subscribing ------------------------------------------------------------------------------

    def _subscribe(self, req: Request, replace: bool) -> Reply:
        ignore = bool_param(req.q("ignoreErrors"), "ignoreErrors")
        body = req.json()
        if not isinstance(body, list) or not all(isinstance(t, dict) and isinstance(t.get("id"), str) for t in body):
            raise errors.bad_request('The body must be a JSON array of topics: [{"id": "<topic>"}].')
        with self.state.lock:
            token, ch = self._channel(req)
            wanted = list(dict.fromkeys(t["id"] for t in body))  # duplicates count once (sandbox choice)
            for topic in wanted:
                if topic_spec(topic) is None:
                    raise _invalid_topic(topic)
            refused: dict[str, tuple[str, list[str]]] = {}
            for topic in wanted:
                why = self._refusal(token, topic)
                if why is not None:
                    refused[topic] = why
            if refused and not ignore:
                topic, (reason, missing) = next(iter(refused.items()))
                if missing and self.state.settings.assumption("notificationRefusedTopic") == "forbidden403":
                    raise errors.missing_any_permissions(missing)
                raise _invalid_topic(topic, reason)
            permitted = {t: None for t in wanted if t not in refused}
            topics = permitted if replace else {**ch.topics, **permitted}
            limit = self._setting("notification_topics_per_channel")
            if limit and len(topics) > limit:
                raise ApiError(400, "notification.subscription.too.many.subscriptions", "Too many subscriptions",
                               message_params={"limit": str(limit)})
            self._set_topics(ch, topics)
            self._touch(ch)
            entities = [self._topic_wire(req, t) for t in topics]
            entities += [self._topic_wire(req, t, refused[t]) for t in wanted if t in refused]
        return json_reply(200, {"entities": entities})

    def _refusal(self, token: Token, topic: str) -> tuple[str, list[str]] | None:
        """Why ``token`` may not take ``topic`` (reason, missing permissions), or None."""
        found = topic_spec(topic)
        assert found is not None
        spec, ids = found
        org = self.state.orgs.get(token.org)
        subject = ids[0]
        if not spec.emitted and self.state.settings.assumption("eventUnemittedTopics") == "rejected":
            return "The sandbox never emits this topic (sandbox assumption eventUnemittedTopics)", []
        if spec.subject == "user" and (org is None or subject not in org.users):
            return f"The topic names a user this organization does not have: {subject}", []
        if spec.subject == "queue" and (org is None or subject not in org.queues):
            return f"The topic names a queue this organization does not have: {subject}", []
        if self.state.settings.assumption("notificationTopicPermissions") != "enforced":
            return None
        if spec.subject == "user" and token.user_id == subject:
            return None  # requiresCurrentUserOrPermission
        if not perms.holds_any(self.state.token_permissions(token), spec.permissions):
            return "Missing permissions", list(spec.permissions)
        return None

    def _touch(self, ch: Channel) -> None:
        """Any subscription call keeps the channel alive for another lifetime [documented: re-subscribing]."""
        ch.expires = self.state.clock.now() + self._setting("notification_channel_ttl_seconds")
        if ch.socket is not None:
            ch.socket.closing_sent = False  # a socket_closing about the old expiry no longer applies
            ch.socket.close_at = None

    # --- wire views ---------------------------------------------------------------------------------

    @staticmethod
    def _connect_uri(req: Request, ch: Channel) -> str:
        base = req.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return f"{base}/channels/{ch.id}"

    def _channel_wire(self, req: Request, ch: Channel) -> dict[str, Any]:
        return {"connectUri": self._connect_uri(req, ch), "id": ch.id, "expires": iso(ch.expires)}

    @staticmethod
    def _topic_wire(req: Request, topic: str, refused: tuple[str, list[str]] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": topic, "state": "Permitted" if refused is None else "Rejected"}
        if refused is not None:
            out["rejectionReason"] = refused[0]
            if refused[1]:
                out["missingPermissions"] = refused[1]
        return out

    # --- delivery ------------------------------------------------------------------------------------

    def wants_topic(self, org: str, topic: str) -> bool:
        """Whether some channel of ``org`` subscribed ``topic`` (``EventBus.wants``: publishers ask
        before building costly bodies); ``v2.users.*.…`` asks about any user's."""
        if topic.startswith("v2.users.*."):
            return (org, topic) in self._any_user
        return (org, topic) in self._subscribers

    def _on_event(self, event: Event) -> None:
        """The bus listener: under the state lock, in the publisher's thread; never blocks."""
        subs = self._subscribers.get((event.org, event.topic))
        if not subs:
            return
        frame: str | None = None
        now = time.monotonic()
        every = self.global_delay
        for ch in subs.values():
            sock = ch.socket
            if sock is None or sock.close_code is not None or self.state.orgs.get(ch.org) is not ch.org_ref:
                continue
            if frame is None:
                frame = _frame({"topicName": event.topic, "version": self._setting("notification_event_version"),
                                "eventBody": event.body, "metadata": {"CorrelationId": str(uuid.uuid4())}})
            sock.offer(frame, now + max(ch.delay, every))

    @property
    def global_delay(self) -> float:
        """The delay fault of every channel; a full reset (new settings) ends it, as it ends other faults."""
        delay, settings = self._global_delay
        return delay if settings is self.state.settings else 0.0

    async def serve_socket(self, scope: dict[str, Any], receive: Receive, send: Send, channel_id: str) -> None:
        """A WebSocket scope at /channels/{channelId}: refused (unknown/expired) or served."""
        msg = await receive()
        if msg.get("type") != "websocket.connect":
            return
        with self.state.lock:
            ch = self.channels.get(channel_id)
            live = ch is not None and self._live(ch)
        if ch is None or not live:
            await self._refuse(scope, send)
            return
        sock = Socket(self._waker(), self._setting("notification_socket_queue_size"),
                      self.state.settings.assumption("notificationSlowSocket"))
        with self.state.lock:
            old, ch.socket = ch.socket, sock
            ch.used = next(self._used)
            self._open_sockets += 1
            if self._stop_listening is None:
                self._stop_listening = self.state.events.listen(self._on_event, wants=self.wants_topic)
        if old is not None:
            old.stop(int(self.state.settings.assumption("notificationTakeoverCloseCode")),
                     "another socket connected to this channel")
        await send({"type": "websocket.accept"})
        try:
            await self._run(ch, sock, receive, send)
        finally:
            with self.state.lock:
                if ch.socket is sock:
                    ch.socket = None
                self._open_sockets -= 1
                if not self._open_sockets and self._stop_listening is not None:
                    self._stop_listening()
                    self._stop_listening = None

    def _waker(self) -> Waker:
        loop = asyncio.get_running_loop()
        if self._loop_waker is None or self._loop_waker.loop is not loop:
            self._loop_waker = Waker(loop)
        return self._loop_waker

    async def _refuse(self, scope: dict[str, Any], send: Send) -> None:
        body = orjson.dumps({"message": "The channel does not exist or has expired.", "code": "not.found",
                             "status": 404})
        if (self.state.settings.assumption("notificationUnknownChannel") == "refuse404"
                and "websocket.http.response" in scope.get("extensions", {})):
            await send({"type": "websocket.http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "websocket.http.response.body", "body": body})
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": _frame({"result": "404", "status": "error",
                                                              "message": "channel not found"})})
        await send({"type": "websocket.close", "code": 1000, "reason": "channel not found"})

    async def _run(self, ch: Channel, sock: Socket, receive: Receive, send: Send) -> None:
        reader = asyncio.create_task(self._read(sock, receive))
        loop = asyncio.get_running_loop()
        next_beat = time.monotonic() + self._setting("notification_heartbeat_seconds")
        try:
            while True:
                sock.wake.clear()
                self._watch(ch, sock)
                if sock.close_code is not None:
                    break
                now = time.monotonic()
                while sock.queue and sock.queue[0][0] <= now:
                    await send({"type": "websocket.send", "text": sock.queue.popleft()[1]})
                beat = self._setting("notification_heartbeat_seconds")
                if beat and now >= next_beat:
                    await send({"type": "websocket.send", "text": HEARTBEAT})
                    next_beat = now + beat
                elif not beat:
                    next_beat = now + 3600
                timeout = min(SOCKET_TICK_SECONDS, max(0.0, next_beat - now))
                if sock.queue:
                    timeout = min(timeout, max(0.0, sock.queue[0][0] - now))
                if not sock.wake.is_set():  # a timer, not wait_for's task per wake-up
                    timer = loop.call_later(timeout, sock.wake.set)
                    try:
                        await sock.wake.wait()
                    finally:
                        timer.cancel()
        except OSError:
            sock.client_gone = True
        finally:
            reader.cancel()
        if not sock.client_gone:
            with contextlib.suppress(Exception):  # the client went away meanwhile
                await send({"type": "websocket.close", "code": sock.close_code or 1000, "reason": sock.close_reason})

    def _watch(self, ch: Channel, sock: Socket) -> None:
        """On every tick: the channel still live, its planned close announced and carried out."""
        if sock.close_code is not None:
            return
        # On the event loop: never wait for the state lock here. A publisher in another thread
        # holds it while it publishes, and waiting would stop the loop (this frame and every HTTP
        # reply) until it lets go. ``_live`` only reads (atomic dict look-ups); the bookkeeping of
        # an expired channel is done now if the lock is free, else by the next sweep (a dead
        # channel is never offered an event: its socket is stopped here).
        live = self._live(ch)
        if not live and self.state.lock.acquire(blocking=False):
            try:
                if self.channels.get(ch.id) is ch:
                    self._drop(ch, 1000, "channel expired")
            finally:
                self.state.lock.release()
        if not live:
            sock.stop(1000, "channel expired")
            return
        grace = self._setting("notification_socket_closing_seconds")
        if not sock.closing_sent and ch.expires - self.state.clock.now() <= grace:
            self.send_socket_closing(ch, sock, None)
        if sock.close_at is not None and time.monotonic() >= sock.close_at:
            sock.stop(1000, "planned close (socket_closing)")

    def send_socket_closing(self, ch: Channel, sock: Socket, seconds: float | None) -> None:
        """``v2.system.socket_closing`` now; the socket closes ``seconds`` later (default: at the
        channel's expiry for a planned close, the grace setting for a fault)."""
        until_expiry = max(0.0, ch.expires - self.state.clock.now())
        wait = seconds if seconds is not None else until_expiry
        body = {"channelId": ch.id, "organizationId": ch.org, "message": "The socket will close soon",
                "data": {"closeInSeconds": str(round(wait, 3))}}
        sock.queue.appendleft((0.0, _frame({"topicName": "v2.system.socket_closing",
                                            "version": self._setting("notification_event_version"),
                                            "eventBody": body,
                                            "metadata": {"CorrelationId": str(uuid.uuid4())}})))
        sock.closing_sent = True
        if seconds is not None:
            sock.close_at = time.monotonic() + seconds
        sock.poke()

    async def _read(self, sock: Socket, receive: Receive) -> None:
        while True:
            msg = await receive()
            kind = msg.get("type")
            if kind == "websocket.disconnect":
                sock.client_gone = True
                sock.stop(1000, "client closed")
                return
            text = msg.get("text")
            if text is None:
                continue
            try:
                data = orjson.loads(text)
            except orjson.JSONDecodeError:
                continue
            if isinstance(data, dict) and data.get("message") == "ping":
                sock.queue.append((0.0, PONG))
                sock.poke()

    # --- faults (the control plane's POST /_sandbox/notifications/faults: control/notifications.py) --

    FAULTS = ("drop", "delay", "socketClosing", "expire")

    def apply_fault(self, kind: str, channel_id: str | None, seconds: float | None, org: str | None) -> int:
        """Apply a fault to one channel (``channel_id``) or every channel (of ``org``, None: all);
        returns how many channels it touched. ``LookupError``: no such channel (of that org)."""
        with self.state.lock:
            self._sweep()
            if channel_id is not None:
                ch = self.channels.get(channel_id)
                if ch is None or org not in (None, ch.org):
                    raise LookupError(channel_id)
                targets = [ch]
            else:
                targets = [c for c in self.channels.values() if org in (None, c.org)]
                if kind == "delay" and org is None:
                    self._global_delay = (float(seconds or 0), self.state.settings)  # channels made later too
        for ch in targets:
            sock = ch.socket
            if kind == "drop" and sock is not None:
                sock.stop(1011, "dropped (sandbox fault)")
            elif kind == "delay":
                ch.delay = float(seconds or 0)
            elif kind == "socketClosing" and sock is not None:
                grace = seconds if seconds is not None else self._setting("notification_socket_closing_seconds")
                self.send_socket_closing(ch, sock, float(grace))
            elif kind == "expire":
                with self.state.lock:
                    ch.expires = self.state.clock.now()
                    self._drop(ch, 1000, "channel expired")
        return len(targets)

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("POST", f"{N}/channels", create_channel),
        Row("GET", f"{N}/channels", list_channels),
        Row("HEAD", f"{N}/channels/{{channelId}}", head_channel),
        Row("GET", f"{N}/channels/{{channelId}}/subscriptions", get_subscriptions),
        Row("POST", f"{N}/channels/{{channelId}}/subscriptions", post_subscriptions),
        Row("PUT", f"{N}/channels/{{channelId}}/subscriptions", put_subscriptions),
        Row("DELETE", f"{N}/channels/{{channelId}}/subscriptions", delete_subscriptions),
        Row("GET", f"{N}/availabletopics", available_topics),
    )


def _any_user(topic: str) -> str | None:
    """``v2.users.{id}.rest`` as ``v2.users.*.rest`` (None for other topics)."""
    if not topic.startswith("v2.users."):
        return None
    _, _, rest = topic[len("v2.users."):].partition(".")
    return f"v2.users.*.{rest}"


def _owner(token: Token) -> OwnerKey:
    return (token.org, token.client_id, token.user_id)


def _invalid_topic(topic: str, reason: str | None = None) -> ApiError:
    shown = topic if len(topic) <= 200 else topic[:200] + "…"
    return ApiError(400, "notification.invalid.topic", "The subscription topic is not valid.",
                    message_params={"topic": shown, **({"reason": reason} if reason else {})})


def mask_channel_id(channel_id: str) -> str:
    """A channel id as the request log shows it: enough to tell channels apart, not to connect."""
    return channel_id[:16] + "…" if len(channel_id) > 16 else channel_id
