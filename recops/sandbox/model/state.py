"""The sandbox's state: all orgs, the global client and token indexes, and every change.

Handlers never assign model fields: each change is a ``SandboxState`` method that takes the
one lock and bumps ``version`` (the cache key of the analytics index); the conversation
methods it calls bump ``Conversation.version`` (the rendered-body cache's key). A reset builds
its org(s) in a scratch state, without the lock, and only swaps them in under it
(``replace_org``, ``adopt``).
"""

from __future__ import annotations

import heapq
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import event_bodies
from .clock import Clock
from .events import EventBus
from .models import (
    DEFAULT_ORG,
    RECORDING_MEDIA,
    Conversation,
    OAuthClient,
    Participant,
    Queue,
    Recording,
    Token,
    User,
    derived_id,
    new_id,
)
from .permissions import DEFAULT_AGENT_PERMISSIONS
from .settings import SandboxSettings

if TYPE_CHECKING:  # the state holds generated histories; it never imports their module
    from ..seeds.history import GeneratedHistory

MINT_WINDOW_SECONDS = 60.0  # tokenMintsPerMinute counts mints in a fixed one-minute window per org
# The expiry heap keeps entries of tokens dropped before they expired (cap, reset); it is rebuilt
# from the live tokens once it holds twice as many entries plus this slack (amortised O(1) a mint).
EXPIRY_HEAP_SLACK = 1024


@dataclass
class OrgState:
    name: str
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    histories: list[GeneratedHistory] = field(default_factory=list)  # computed per index, never built whole
    # indices of generated conversations materialised by a write, per history key: they live
    # in ``conversations`` now, and the analytics selection skips them in their history
    materialised: dict[int, set[int]] = field(default_factory=dict)
    analytics_jobs: dict[str, Any] = field(default_factory=dict)  # analytics_jobs.DetailsJob by id
    batch_jobs: dict[str, Any] = field(default_factory=dict)  # batch_download.BatchJob by id
    protected: set[str] = field(default_factory=set)  # conversation ids under deletion protection (legal hold)
    recording_jobs: dict[str, Any] = field(default_factory=dict)  # services/recording_jobs.RecordingJob by id
    orphans: dict[str, Any] = field(default_factory=dict)  # orphans.Orphan by id (a scenario's; issue 19)
    orphans_gone: set[str] = field(default_factory=set)  # generated orphans deleted or attached since
    created: float = field(default_factory=time.time)  # wall time it was (re)built: the trainer board's start


class SandboxState:
    """All orgs, plus the global token and client indexes. One lock guards everything.

    Every change goes through a method here: it takes the lock and bumps ``version``, so a
    cache keyed on it (the analytics ``DetailsIndex``) can never serve a stale answer, and the
    conversation methods it calls bump ``Conversation.version`` (the rendered-body cache).
    """

    def __init__(self, settings: SandboxSettings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or SandboxSettings()
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.orgs: dict[str, OrgState] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.tokens: dict[str, Token] = {}
        # token bookkeeping (``_issue``): each org's token values, oldest first (the live-token
        # cap drops from the front); a heap of (expires_at, value) so that pruning the expired
        # costs O(expired); each org's mint window (start, count) for tokenMintsPerMinute
        self._org_tokens: dict[str, OrderedDict[str, None]] = {}
        self._expiries: list[tuple[float, str]] = []
        self._mints: dict[str, tuple[float, int]] = {}
        self._downloads: dict[str, int] = {}  # media downloads in flight per org (take_download_slot)
        self.version = 0  # bumped by every mutating method (cache key)
        self.scenario: str | None = None
        # what the services hook onto reads (services/recording_jobs.py): ``settlers`` bring an org's
        # running work up to the clock before a read; ``decorators`` give a generated conversation,
        # built for one read, what was done to it without materialising it (a job's dates)
        self.settlers: list[Callable[[SandboxState, OrgState], None]] = []
        self.decorators: list[Callable[[OrgState, Conversation, int, int], None]] = []
        self.events = EventBus()  # notification events (model/events.py; issue 20)
        # a recording's fileState now (services/media.live_file_state, set by the recordings service),
        # and the last one seen of each recording while anyone listens: the recording topics publish
        # a change of it (``_sweep``)
        self.file_states: Callable[[SandboxState, Conversation, Recording], str] | None = None
        self._files_seen: dict[tuple[str, str, str], str] = {}
        self._swept: dict[str, float] = {}  # each org's last sweep on a read (sandbox clock)

    # --- orgs, clients, users, tokens -------------------------------------------------------

    def org(self, name: str = DEFAULT_ORG) -> OrgState:
        org = self.orgs.get(name)
        if org is None:
            org = self.orgs[name] = OrgState(name)
        return org

    def add_client(
        self,
        permissions: list[str] | tuple[str, ...],
        org: str = DEFAULT_ORG,
        name: str = "sandbox client",
        client_id: str | None = None,
        secret: str | None = None,
        grants: tuple[str, ...] = ("client_credentials",),
        token_lifetime_seconds: int | None = None,
    ) -> OAuthClient:
        with self.lock:
            cid = client_id or new_id()
            if cid in self.clients:
                raise ValueError(f"client id {cid!r} already exists")
            client = OAuthClient(
                client_id=cid,
                secret=secret or secrets.token_urlsafe(32),
                org=org,
                name=name,
                permissions=tuple(permissions),
                grants=grants,
                token_lifetime_seconds=token_lifetime_seconds,
            )
            self.clients[cid] = client
            self.org(org).clients[cid] = client
            self.version += 1
            return client

    def add_user(
        self,
        org: str = DEFAULT_ORG,
        user_id: str | None = None,
        name: str | None = None,
        permissions: tuple[str, ...] | list[str] = DEFAULT_AGENT_PERMISSIONS,
    ) -> User:
        with self.lock:
            uid = user_id or new_id()
            user = User(id=uid, org=org, name=name or f"Agent {uid[:8]}", permissions=tuple(permissions))
            self.org(org).users[uid] = user
            self.version += 1
            return user

    def add_queue(self, org: str = DEFAULT_ORG, queue_id: str | None = None, name: str | None = None,
                  description: str | None = None) -> Queue:
        """A routing queue; a queue id a conversation names but no one declared gets one with
        a placeholder name (``Queue 5a1e0000``)."""
        with self.lock:
            qid = queue_id or new_id()
            queue = Queue(id=qid, org=org, name=name or f"Queue {qid[:8]}", date_created=self.clock.now(),
                          description=description)
            self.org(org).queues[qid] = queue
            self.version += 1
            return queue

    def issue_client_token(self, client: OAuthClient) -> Token:
        lifetime = client.token_lifetime_seconds or self.settings.token_lifetime_seconds
        return self._issue(Token(
            value=secrets.token_urlsafe(48), org=client.org, kind="client_credentials",
            expires_at=self.clock.now() + lifetime, client_id=client.client_id,
        ))

    def issue_user_token(self, user: User, lifetime: int | None = None) -> Token:
        return self._issue(Token(
            value=secrets.token_urlsafe(48), org=user.org, kind="user",
            expires_at=self.clock.now() + (lifetime or self.settings.token_lifetime_seconds),
            user_id=user.id,
        ))

    def _issue(self, token: Token) -> Token:
        """Keep ``token``: the expired tokens of every org go first (O(expired)); past the
        ``liveTokensPerOrg`` setting (0: no cap) the org's oldest tokens are dropped (they answer
        401, and recops logs in again)."""
        with self.lock:
            self._prune_expired(self.clock.now())
            self.tokens[token.value] = token
            own = self._org_tokens.setdefault(token.org, OrderedDict())
            own[token.value] = None
            heapq.heappush(self._expiries, (token.expires_at, token.value))
            cap = self.settings.live_tokens_per_org
            while cap > 0 and len(own) > cap:
                self._forget_token(next(iter(own)))
            if len(self._expiries) > 2 * len(self.tokens) + EXPIRY_HEAP_SLACK:
                self._expiries = [(t.expires_at, v) for v, t in self.tokens.items()]
                heapq.heapify(self._expiries)
            return token

    def _prune_expired(self, now: float) -> None:
        heap = self._expiries
        while heap and heap[0][0] <= now:
            _, value = heapq.heappop(heap)
            token = self.tokens.get(value)
            if token is not None and token.expires_at <= now:
                self._forget_token(value)

    def _forget_token(self, value: str) -> None:
        token = self.tokens.pop(value, None)
        if token is None:
            return
        own = self._org_tokens.get(token.org)
        if own is not None:
            own.pop(value, None)
            if not own:
                del self._org_tokens[token.org]

    def live_tokens(self, org: str) -> int:
        """How many unexpired tokens ``org`` holds (a count; never the values)."""
        with self.lock:
            self._prune_expired(self.clock.now())
            return len(self._org_tokens.get(org, ()))

    def mint_wait(self, org: str) -> int:
        """Spend one mint of ``org``'s budget (the ``tokenMintsPerMinute`` setting; 0: none): 0 when
        the token may be minted, else the whole seconds until the org's window ends (a refused
        mint does not count). The window survives a reset of the org, so a reset buys no mints."""
        limit = self.settings.token_mints_per_minute
        if limit <= 0:
            return 0
        with self.lock:
            now = self.clock.now()
            start, count = self._mints.get(org, (now, 0))
            if not start <= now < start + MINT_WINDOW_SECONDS:
                start, count = now, 0
            if count >= limit:
                return max(1, math.ceil(start + MINT_WINDOW_SECONDS - now))
            self._mints[org] = (start, count + 1)
            return 0

    # --- media downloads in flight ------------------------------------------------------------

    def take_download_slot(self, org: str) -> bool:
        """One of ``org``'s download slots (the ``mediaDownloadsPerOrg`` setting; 0: no bound),
        False when all are taken. Every slot taken is given back (``give_download_slot``)."""
        limit = self.settings.media_downloads_per_org
        with self.lock:
            busy = self._downloads.get(org, 0)
            if limit > 0 and busy >= limit:
                return False
            self._downloads[org] = busy + 1
            return True

    def give_download_slot(self, org: str) -> None:
        with self.lock:
            busy = self._downloads.get(org, 0) - 1
            if busy > 0:
                self._downloads[org] = busy
            else:
                self._downloads.pop(org, None)

    def token_permissions(self, token: Token) -> tuple[str, ...]:
        """Permissions are read live, so changing a client's roles affects existing tokens."""
        if token.is_user:
            user = self.org(token.org).users.get(token.user_id or "")
            return user.permissions if user else ()
        client = self.clients.get(token.client_id or "")
        return client.permissions if client else ()

    def authenticate(self, token_value: str) -> Token | None:
        token = self.tokens.get(token_value)
        if token is None or token.expires_at <= self.clock.now():
            return None
        return token

    # --- conversations ----------------------------------------------------------------------

    def conversation(self, org: str, conversation_id: str) -> Conversation | None:
        """A materialised conversation, else a generated one built for this read. A change to a
        generated one, made through a method here, materialises it (``_changed``)."""
        o = self.orgs.get(org)
        if o is None:
            return None
        self.settle(o)
        conv = o.conversations.get(conversation_id)
        if conv is None and o.histories:
            found = _generated(o, conversation_id)
            if found is not None:
                conv = found[0].conversation(found[1])
                for decorate in self.decorators:
                    decorate(o, conv, found[0].key, found[1])
        return conv

    def settle(self, org: OrgState) -> None:
        """Bring ``org``'s running work (recording jobs) up to the clock (cheap when none runs)."""
        for settle in self.settlers:
            settle(self, org)
        if self.events.listened and self.file_states is not None:
            now = self.clock.now()
            if now >= self._swept.get(org.name, 0.0) + self.settings.event_file_sweep_seconds:
                with self.lock:
                    self._swept[org.name] = now
                    for conv in list(org.conversations.values()):
                        self._sweep(conv)

    def add_conversation(self, conv: Conversation) -> Conversation:
        with self.lock:
            org = self.org(conv.org)
            if conv.id in org.conversations:
                raise ValueError(f"conversation {conv.id} already exists")
            if conv.policy_recording:
                media, subtype = RECORDING_MEDIA.get(conv.media_type, ("audio", "Trunk"))
                conv.recordings.insert(0, Recording(
                    id=derived_id("recording", conv.id, "policy"), conversation_id=conv.id, role="CUSTOMER_EXPERIENCE",
                    start=conv.start_time, media=media, subtype=subtype,
                ))
                for p in conv.participants:
                    p.session.ever_recorded = True
            for p in conv.participants:
                if p.user_id and p.user_id not in org.users:
                    self.add_user(org=conv.org, user_id=p.user_id, name=p.name)
                if p.queue_id and p.queue_id not in org.queues:
                    self.add_queue(org=conv.org, queue_id=p.queue_id)
            if conv.queue_id and conv.queue_id not in org.queues:
                self.add_queue(org=conv.org, queue_id=conv.queue_id)
            org.conversations[conv.id] = conv
            self.version += 1
            if self.events.listened:
                self._publish(conv, {})
            return conv

    def add_history(self, history: GeneratedHistory) -> GeneratedHistory:
        """A generated history (seeds/history.py) joins its org's conversations."""
        with self.lock:
            self.org(history.org).histories.append(history)
            self.version += 1
            return history

    # --- analytics details jobs (services/analytics_jobs.py); they change no conversation, so no version bump

    def add_analytics_job(self, job: Any) -> Any:
        with self.lock:
            self.org(job.org).analytics_jobs[job.id] = job
            return job

    def remove_analytics_job(self, job: Any) -> None:
        with self.lock:
            self.org(job.org).analytics_jobs.pop(job.id, None)

    def end_analytics_job(self, job: Any, state: str, message: str | None = None) -> None:
        """FAILED / EXPIRED / CANCELLED now, whatever the job's timeline says."""
        with self.lock:
            job.end(state, self.clock.now(), message)

    # --- recording batch downloads (services/batch_downloads.py): planned at submission, no version bump

    def add_batch_job(self, job: Any) -> Any:
        with self.lock:
            self.org(job.org).batch_jobs[job.id] = job
            return job

    def set_file_state(self, conv: Conversation, rec: Recording, file_state: str | None,
                       when: float | None = None) -> None:
        """Mark a recording ``ARCHIVED`` or ``DELETED`` (``None``/``AVAILABLE``: back to its
        natural state, its archive/delete dates that have passed dropped); an archive or delete
        date is set to ``when`` (default now) if it had none."""
        with self.lock:
            before, seen = conv.version, self._seen(conv)
            try:
                now = self.clock.now() if when is None else when
                dates: dict[str, float | None] = {}
                if file_state == "ARCHIVED" and rec.archive_date is None:
                    dates["archiveDate"] = now
                if file_state == "DELETED" and rec.delete_date is None:
                    dates["deleteDate"] = now
                rec.file_state = None if file_state in (None, "AVAILABLE") else file_state
                if rec.file_state is None:  # back to AVAILABLE: dates already passed would undo it (media.file_state)
                    rec.restored_at = None
                    if rec.archive_date is not None and rec.archive_date <= now:
                        dates["archiveDate"] = None
                    if rec.delete_date is not None and rec.delete_date <= now:
                        dates["deleteDate"] = None
                conv.set_retention(rec, dates, False)  # bumps the conversation's version
            finally:
                self._changed(conv, before, seen)

    def update_client(self, client: OAuthClient, permissions: tuple[str, ...] | None = None,
                      grants: tuple[str, ...] | None = None) -> OAuthClient:
        """New permissions and/or grants; existing tokens see them at once (read live)."""
        with self.lock:
            if permissions is not None:
                client.permissions = permissions
            if grants is not None:
                client.grants = grants
            self.version += 1
            return client

    def update_settings(self, patch: dict[str, Any]) -> SandboxSettings:
        """Apply a camelCase settings patch (``ValueError`` names a bad key or value)."""
        with self.lock:
            self.settings.update_from_wire(patch)
            self.version += 1
            return self.settings

    def advance_clock(self, seconds: float) -> float:
        with self.lock:
            if self.events.listened and self.file_states is not None:
                for org in list(self.orgs.values()):
                    for conv in list(org.conversations.values()):
                        self._sweep(conv)
            offset = self.clock.advance(seconds)
            for org in list(self.orgs.values()):
                self.settle(org)
            self.version += 1
            return offset

    # --- conversation changes (the state machine lives on Conversation) ----------------------

    def set_recording_state(self, conv: Conversation, desired: str, now: float | None = None,
                            when_none: str | None = None) -> str:
        """Secure pause/resume; ``when_none`` defaults to the ``recordingStateWriteWhenNone``
        assumption. Returns the resulting state."""
        with self.lock:
            before, seen = conv.version, self._seen(conv)
            try:
                return conv.set_recording_state(
                    desired, self.clock.now() if now is None else now,
                    when_none or self.settings.assumption("recordingStateWriteWhenNone"))
            finally:
                self._changed(conv, before, seen)

    def set_adhoc(self, conv: Conversation, p: Participant, on: bool, now: float | None = None) -> None:
        with self.lock:
            before, seen = conv.version, self._seen(conv)
            try:
                conv.set_adhoc(p, on, self.clock.now() if now is None else now)
            finally:
                self._changed(conv, before, seen)

    def set_held(self, conv: Conversation, p: Participant, held: bool, now: float | None = None) -> None:
        with self.lock:
            before, seen = conv.version, self._seen(conv)
            try:
                conv.set_held(p, held, self.clock.now() if now is None else now)
            finally:
                self._changed(conv, before, seen)

    def disconnect(self, conv: Conversation, participant: Participant | None = None,
                   now: float | None = None) -> None:
        with self.lock:
            before, seen = conv.version, self._seen(conv)
            try:
                conv.disconnect(self.clock.now() if now is None else now, participant)
            finally:
                self._changed(conv, before, seen)

    def update_participant(self, conv: Conversation, p: Participant, changes: dict[str, Any]) -> None:
        """A ``MediaParticipantRequest``'s changes (recording, held, muted, confined, state
        ``disconnected``), validated by the caller, applied in that order."""
        with self.lock:
            before, seen = conv.version, self._seen(conv)
            try:
                now = self.clock.now()
                if "recording" in changes:
                    conv.set_adhoc(p, changes["recording"], now)
                if "held" in changes:
                    conv.set_held(p, changes["held"], now)
                if "muted" in changes or "confined" in changes:
                    conv.set_media_flags(p, changes.get("muted"), changes.get("confined"))
                if changes.get("state") == "disconnected":
                    conv.disconnect(now, p)
            finally:
                self._changed(conv, before, seen)

    def is_protected(self, org: str, conversation_id: str) -> bool:
        o = self.orgs.get(org)
        return o is not None and conversation_id in o.protected

    def set_protection(self, org: str, conversation_ids: list[str], protect: bool) -> None:
        """Apply (or revoke) deletion protection on these conversations of ``org``."""
        with self.lock:
            held = self.org(org).protected
            if protect:
                held.update(conversation_ids)
            else:
                held.difference_update(conversation_ids)
            self.version += 1

    def set_retention(self, conv: Conversation, rec: Recording, dates: dict[str, float | None],
                      clear_export: bool = False) -> None:
        with self.lock:
            before, seen = conv.version, self._seen(conv)
            try:
                conv.set_retention(rec, dates, clear_export)
            finally:
                self._changed(conv, before, seen)

    def restore_recording(self, conv: Conversation, rec: Recording) -> None:
        """An ARCHIVED recording starts restoring now (its new archiveDate is set by ``set_retention``):
        a control-plane ARCHIVED mark is lifted, the dates' clock takes over (media.file_state)."""
        with self.lock:
            before, seen = conv.version, self._seen(conv)
            try:
                rec.file_state = None
                rec.restored_at = self.clock.now()
                conv.version += 1
            finally:
                self._changed(conv, before, seen)

    # --- orphan recordings (services/orphans.py; issue 19) -------------------------------------

    def add_orphan(self, orphan: Any) -> Any:
        with self.lock:
            self.org(orphan.org).orphans[orphan.id] = orphan
            self.version += 1
            return orphan

    def drop_orphan(self, org: str, orphan_id: str) -> None:
        """The orphan ceases to exist (deleted, or attached to a conversation)."""
        with self.lock:
            o = self.org(org)
            if o.orphans.pop(orphan_id, None) is None:
                o.orphans_gone.add(orphan_id)
            self.version += 1

    def detach_recording(self, conv: Conversation, rec: Recording) -> None:
        """A scenario's recording that became an orphan leaves ``conv``; with none left, the
        conversation reads as never recorded (analytics' flag), as a generated orphaned one does."""
        with self.lock:
            conv.recordings.remove(rec)
            if not conv.recordings:
                conv.policy_recording = False
                for p in conv.participants:
                    p.session.ever_recorded = False
            conv._touch()
            self.version += 1

    def attach_recording(self, conv: Conversation, rec: Recording) -> None:
        """An orphan's recording joins ``conv`` (a generated conversation is materialised)."""
        with self.lock:
            before, seen = conv.version, self._seen(conv)
            try:
                rec.conversation_id = conv.id
                conv.recordings.append(rec)
                conv._touch()
            finally:
                self._changed(conv, before, seen)

    def _changed(self, conv: Conversation, before: int, seen: dict[str, Any] | None = None) -> None:
        """After every change to a conversation (under the lock, even one that raised half way):
        ``version`` bumped, and a *generated* conversation (built for one read, held in no org)
        that the change touched (its version moved from ``before``) materialised: it joins its
        org's conversations, so the change is kept and every later read, the analytics query
        and the jobs see the one changed copy (its history skips its index from then on).
        Never a 200 whose change is dropped."""
        if conv.version != before:
            self._keep(conv)
        self.version += 1
        if seen is not None and conv.version != before:
            self._publish(conv, seen)
        if seen is not None and self.file_states is not None:
            self._sweep(conv)

    # --- notification events (model/event_bodies.py; issue 20) -------------------------------

    def _events_of(self, conv: Conversation) -> list[tuple[str, dict[str, Any]]]:
        o = self.orgs.get(conv.org)
        return event_bodies.conversation_events(
            conv, o.users if o is not None else {},
            self.settings.assumption("eventConversationRecordingStateCase"),
            self.settings.assumption("eventUserParticipants"))

    def _seen(self, conv: Conversation) -> dict[str, Any] | None:
        """What ``conv``'s topics say now, when anyone listens (else None: no body is built)."""
        if not self.events.listened:
            return None
        if self.file_states is not None:
            self._sweep(conv)  # the file states before the change (a change of wall time published first)
        return dict(self._events_of(conv))

    def _publish(self, conv: Conversation, seen: dict[str, Any]) -> None:
        """Publish on each topic whose body differs from ``seen`` (the ``eventDuplicates``
        assumption ``every``: on every topic at each change of the conversation)."""
        every = self.settings.assumption("eventDuplicates") == "every"
        at = self.clock.now()
        now = self._events_of(conv)
        if any(t not in dict(now) for t in seen):  # eventUserParticipants connected: a user's last event
            bodies = {t.rsplit(".", 1)[1]: b for t, b in now}
            now = [(t, bodies[t.rsplit(".", 1)[1]]) for t in self._topics_in_order(conv)
                   if t in seen or t in dict(now)]
        for topic, body in now:
            if every or seen.get(topic) != body:
                self.events.publish(conv.org, topic, body, at)

    def _sweep(self, conv: Conversation) -> None:
        """Publish each recording of ``conv`` whose fileState moved since it was last seen (first
        sight: remembered, not published): ``v2.users.{uid}.conversations.{cid}.recordings``, and
        ``v2.users.{uid}.recordings`` when it enters or leaves ARCHIVED/RESTORING/RESTORED, for each
        agent user of the org (the ``eventRecordingTopics`` assumption; ``off``: none)."""
        if self.file_states is None or self.settings.assumption("eventRecordingTopics") == "off":
            return
        users: list[str] | None = None
        for rec in conv.recordings:
            key = (conv.org, conv.id, rec.id)
            now = self.file_states(self, conv, rec)
            was = self._files_seen.get(key)
            self._files_seen[key] = now
            if was is None or was == now:
                continue
            if users is None:
                o = self.orgs.get(conv.org)
                users = event_bodies.agent_users(conv, o.users if o is not None else {})
            self.publish_recording_move(conv, rec, was, now, users)

    def publish_recording_move(self, conv: Conversation, rec: Recording, was: str, now: str,
                               users: list[str]) -> None:
        """Publish ``rec``'s move from fileState ``was`` to ``now``: on each agent user's
        ``…conversations.{cid}.recordings``, and on ``…recordings`` when it enters or leaves
        ARCHIVED/RESTORING/RESTORED. Under the state lock."""
        body = event_bodies.recording(conv, rec, now, event_bodies.media_uri(conv, rec, now))
        archive = {was, now} & event_bodies.ARCHIVE_STATES
        at = self.clock.now()
        for uid in users:
            self.events.publish(conv.org, event_bodies.recording_topic(uid, conv.id), body, at)
            if archive:
                self.events.publish(conv.org, event_bodies.archive_topic(uid), body, at)

    def _topics_in_order(self, conv: Conversation) -> list[str]:
        o = self.orgs.get(conv.org)
        return [t for t, _ in event_bodies.conversation_events(conv, o.users if o is not None else {})]

    def _keep(self, conv: Conversation) -> None:
        org = self.orgs.get(conv.org)
        if org is None or conv.id in org.conversations:
            return
        found = _generated(org, conv.id)
        if found is not None:
            history, index = found
            org.conversations[conv.id] = conv
            org.materialised.setdefault(history.key, set()).add(index)

    def all_conversations(self) -> list[Conversation]:
        return [c for o in self.orgs.values() for c in o.conversations.values()]

    def reset(self, settings: SandboxSettings | None = None, restart_clock: bool = False) -> None:
        """Forget every org, client, token and conversation; optionally new settings and the
        clock back to wall time."""
        with self.lock:
            self.orgs.clear()
            self.clients.clear()
            self.tokens.clear()
            self._org_tokens.clear()
            self._expiries.clear()
            self._mints.clear()
            self._files_seen.clear()
            self._swept.clear()
            if settings is not None:
                self.settings = settings
            if restart_clock:
                self.clock.reset()
            self.version += 1
            self.scenario = None

    def drop_org(self, name: str) -> None:
        """Forget one org: its clients (from the global index too), its tokens, users,
        conversations, histories and jobs; the other orgs are untouched (a room's seat reset)."""
        with self.lock:
            org = self.orgs.pop(name, None)
            if org is not None:
                for cid in org.clients:
                    self.clients.pop(cid, None)
            for value in list(self._org_tokens.get(name, ())):
                self._forget_token(value)
            for key in [k for k in self._files_seen if k[0] == name]:
                del self._files_seen[key]
            self.version += 1

    # --- swapping in what was built elsewhere (a reset: built in a scratch state, off this lock) --

    def replace_org(self, name: str, org: OrgState | None) -> OrgState | None:
        """Org ``name`` dropped (``drop_org``) and ``org`` in its place (None: none), its clients
        joined to the global index. ``org`` was built in a scratch ``SandboxState`` sharing this
        one's settings and clock, without this lock; only this swap holds it (dict operations).
        Returns the old org, so the caller may free it elsewhere (a served reset: off the event
        loop). ``ValueError``, nothing changed, when one of its client ids is another org's."""
        with self.lock:
            if org is not None:
                taken = [cid for cid in org.clients if cid in self.clients and self.clients[cid].org != name]
                if taken:
                    raise ValueError(f"client id {taken[0]!r} already exists")
            old = self.orgs.get(name)
            self.drop_org(name)
            if org is not None:
                org.created = time.time()  # in place from now on (the board counts from here)
                self.orgs[name] = org
                self.clients.update(org.clients)
            self.version += 1
            return old

    def adopt(self, built: SandboxState) -> list[OrgState]:
        """Become ``built`` (a full reset, built in a scratch state without this lock): its
        orgs, clients, settings and scenario; every old token goes and the clock is back to wall
        time (``built`` used a fresh clock). The same lock, clock and token bookkeeping remain.
        Returns the old orgs, so the caller may free them elsewhere (30 seats: ~40 ms)."""
        with self.lock:
            old = list(self.orgs.values())
            self.reset(settings=built.settings, restart_clock=True)
            self.orgs.update(built.orgs)
            self.clients.update(built.clients)
            for token in built.tokens.values():  # a scenario mints none; kept if one ever does
                self._issue(token)
            self.scenario = built.scenario
            self.version += 1
            return old

    def set_scenario(self, name: str | None) -> None:
        with self.lock:
            self.scenario = name
            self.version += 1


def _generated(org: OrgState, conversation_id: str) -> tuple[GeneratedHistory, int] | None:
    """The generated history holding this id, and the id's index in it."""
    for history in org.histories:
        index = history.index_of(conversation_id)
        if index is not None:
            return history, index
    return None
