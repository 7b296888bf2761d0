"""Generated history: a large seeded history that is never materialised.

``POST /_sandbox/seed {"generated": true, "count": 1000000, ...}`` registers one
``GeneratedHistory`` on the org instead of building a million ``Conversation`` objects. Every
conversation of it is a pure function of ``(seed, org, index)``:

- its start time grows with the index (index ``i`` starts inside the ``i``-th of ``count``
  equal slots of the interval), so an interval is an index range found by arithmetic;
- its other facts (duration, queue, agent, direction, recorded, secure pause, ad-hoc) come from
  a 64-bit hash of the index;
- its ids are UUIDs whose last group is the index, so an id leads back to its index.

A conversation is materialised (the same shape as the materialised seed builds: customer,
queue and agent legs; recording; secure pause; ad-hoc) only when a page is rendered or a
filter needs its segments. Memory is a few hundred bytes per history, whatever its count.
"""

from __future__ import annotations

import functools
import hashlib
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from ..model import analytics_wire as wire
from ..model.models import DEFAULT_ORG, Conversation, Participant, Recording, Session
from ..model.orphans import Orphan
from ..model.specs import reject_unknown
from .spec import GAP_RATIOS, gap_fields, seed_fields, seeded_file_state

if TYPE_CHECKING:
    from ..model.state import SandboxState

MASK64 = (1 << 64) - 1
DEFAULT_DIVISION = Conversation.__dataclass_fields__["division_id"].default
MAX_GENERATED = 10_000_000
MAX_DURATION = 900.0  # seconds; a conversation never lasts longer (the activity window uses it)


def _mix(x: int) -> int:
    """splitmix64's finaliser: a well-spread 64-bit hash of ``x``."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def _unit(h: int) -> float:
    return (h >> 11) * (1.0 / (1 << 53))


class Facts(NamedTuple):
    """The filterable facts of one generated conversation (cheap: no objects built). Times are
    whole milliseconds, so pages can format them without ``datetime``."""

    index: int
    start_ms: int
    duration_ms: int
    queue: int
    agent: int
    recorded: bool
    inbound: bool
    paused: bool
    adhoc: bool

    @property
    def start(self) -> float:
        return self.start_ms / 1000

    @property
    def duration(self) -> float:
        return self.duration_ms / 1000

    @property
    def end(self) -> float:
        return (self.start_ms + self.duration_ms) / 1000


@functools.lru_cache(maxsize=4096)
def _day_prefix(day: int) -> str:
    return datetime.fromtimestamp(day * 86400, tz=timezone.utc).strftime("%Y-%m-%dT")


def iso_ms(ms: int) -> str:
    """``clock.iso(ms / 1000)`` for whole milliseconds, without ``datetime``."""
    day, rest = divmod(ms, 86_400_000)
    hour, rest = divmod(rest, 3_600_000)
    minute, rest = divmod(rest, 60_000)
    sec, milli = divmod(rest, 1000)
    return f"{_day_prefix(day)}{hour:02d}:{minute:02d}:{sec:02d}.{milli:03d}Z"


@dataclass(frozen=True)
class GeneratedHistory:
    org: str
    seed: int
    count: int
    start: float
    end: float
    recorded_ratio: float
    secure_pause_ratio: float
    adhoc_ratio: float
    queue_ids: tuple[str, ...]
    agents: tuple[tuple[str, str], ...]  # (userId, name)
    key: int  # hash of (org, seed): the ids' prefix and the facts' salt
    archived_ratio: float = 0.0  # shares of recordings marked ARCHIVED / DELETED (spec.seeded_file_state)
    deleted_ratio: float = 0.0
    # the seeded gaps (spec.GAP_RATIOS; issue 19): orphaned recordings, orphans naming no
    # conversation, recordings left UPLOADING
    orphaned_ratio: float = 0.0
    stray_orphan_ratio: float = 0.0
    transcoding_ratio: float = 0.0

    # --- index <-> time and id ----------------------------------------------------------------

    @property
    def slot(self) -> float:
        return (self.end - self.start) / self.count

    def start_ms(self, i: int) -> int:
        return int((self.start + (i + _unit(_mix(self.key ^ (i * 0xD1B54A32D192ED03 & MASK64))) * 0.999) * self.slot)
                   * 1000)

    def start_of(self, i: int) -> float:
        """Never decreasing with ``i`` (strictly increasing while a slot is over a millisecond)."""
        return self.start_ms(i) / 1000

    def first_starting_at_or_after(self, t: float) -> int:
        """The smallest index whose start is >= ``t`` (``count`` if none)."""
        if t <= self.start:
            return 0
        i = min(self.count, max(0, int((t - self.start) / self.slot) - 1))
        while i < self.count and self.start_of(i) < t:
            i += 1
        while i > 0 and self.start_of(i - 1) >= t:
            i -= 1
        return i

    def index_range(self, lo: float, hi: float) -> range:
        """Indices whose start is in ``[lo, hi)``."""
        return range(self.first_starting_at_or_after(lo), self.first_starting_at_or_after(hi))

    @functools.cached_property
    def _prefixes(self) -> tuple[str, ...]:
        out = []
        for kind in range(16):
            h = _mix(self.key ^ kind)
            out.append(f"{h >> 32:08x}-{(h >> 16) & 0xFFFF:04x}-4{(h >> 4) & 0xFFF:03x}-{8 | kind & 3:x}{kind:03x}-")
        return tuple(out)

    def _id(self, kind: int, i: int) -> str:
        return f"{self._prefixes[kind]}{i:012x}"

    def conversation_id(self, i: int) -> str:
        return self._id(0, i)

    def index_of(self, conversation_id: str) -> int | None:
        prefix = self._id(0, 0)[:-12]
        if not conversation_id.startswith(prefix) or len(conversation_id) != len(prefix) + 12:
            return None
        try:
            i = int(conversation_id[-12:], 16)
        except ValueError:
            return None
        return i if 0 <= i < self.count else None

    # --- facts and conversations ---------------------------------------------------------------

    def facts(self, i: int) -> Facts:
        h1 = _mix(self.key + 2 * i + 1)
        h2 = _mix(h1)
        # an orphaned conversation's recording never reached it: analytics reads it as not recorded
        recorded = _unit(h2) < self.recorded_ratio and not self.orphan_slot(i)
        return Facts(
            index=i,
            start_ms=self.start_ms(i),
            duration_ms=45_000 + int(_unit(h1) * (MAX_DURATION - 45.0) * 1000),
            queue=(h1 >> 3) % len(self.queue_ids),
            agent=(h2 >> 7) % len(self.agents),
            recorded=recorded,
            inbound=((h2 >> 17) & 0xFFFF) < 0.85 * 0x10000,
            paused=recorded and ((h2 >> 33) & 0xFFFF) < self.secure_pause_ratio * 0x10000,
            adhoc=((h2 >> 49) & 0x7FFF) < self.adhoc_ratio * 0x8000,
        )

    def _extras(self, f: Facts) -> tuple[int, str, int]:
        """(agent answer time in ms, customer ANI, a hash for the secure-pause times)."""
        h = _mix(self.key ^ (f.index << 1) ^ 0x5BD1E995)
        agent_ms = f.start_ms + min(5000 + int(_unit(h) * 55_000), f.duration_ms // 3)
        return agent_ms, f"tel:+1317555{(h & 0xFFFF) % 10000:04d}", _mix(h)

    def conversation(self, i: int) -> Conversation:
        """Conversation ``i``, built as the materialised seed builds one (ended): customer,
        queue (``acd``, ends when the agent answers) and agent legs, policy recording, a
        secure pause inside, an agent's ad-hoc recording."""
        f = self.facts(i)
        begin, duration = f.start, f.duration
        queue = self.queue_ids[f.queue]
        agent_id, agent_name = self.agents[f.agent]
        agent_ms, ani, h = self._extras(f)
        agent_start = agent_ms / 1000

        def leg(kind: int, purpose: str, name: str, start: float, user: str | None, q: str | None) -> Participant:
            return Participant(
                id=self._id(kind, i), purpose=purpose, name=name, start_time=start,
                session=Session(id=self._id(kind + 8, i), media="call", state="connected", direction="inbound",
                                connected_time=start),
                user_id=user, queue_id=q, ani=ani if purpose == "customer" else None,
            )

        parts = [
            leg(1, "customer", "Customer", begin, None, None),
            leg(2, "acd", "Queue", begin, None, queue),
            leg(3, "agent", agent_name, agent_start, agent_id, queue),
        ]
        parts[0].attributes = self.attributes(i)  # participant data, as the jobs' pages show it
        parts[1].session.state = "disconnected"
        parts[1].end_time = agent_start
        parts[1].session.disconnected_time = agent_start
        parts[1].session.disconnect_type = "transfer"
        conv = Conversation(id=self.conversation_id(i), org=self.org, media_type="call", start_time=begin,
                            participants=parts, policy_recording=f.recorded, queue_id=queue,
                            direction="inbound" if f.inbound else "outbound")
        if f.recorded:  # (an orphaned one is not: its recording is an orphan naming it, ``orphan``)
            conv.recordings.append(Recording(id=self._id(4, i), conversation_id=conv.id, role="CUSTOMER_EXPERIENCE",
                                             start=begin))
            for p in parts:
                p.session.ever_recorded = True
        if f.paused:
            p_at = begin + duration * (0.2 + 0.3 * _unit(h))
            resume = min(p_at + 10.0 + 50.0 * _unit(_mix(h)), begin + duration * 0.9)
            conv.set_recording_state("PAUSED", p_at, "noop")
            conv.set_recording_state("ACTIVE", resume, "noop")
        if f.adhoc:
            conv.set_adhoc(parts[2], True, agent_start + 5)
            conv.recordings[-1].id = parts[2].session.adhoc_recording_id = self._id(5, i)
        conv.disconnect(f.end)
        for rec in conv.recordings:  # as SandboxState.set_file_state marks a materialised seed's
            rec.file_state = seeded_file_state(self.seed, rec.id, self.archived_ratio, self.deleted_ratio,
                                               self.transcoding_ratio)
            if rec.file_state == "ARCHIVED":
                rec.archive_date = rec.end
            elif rec.file_state == "DELETED":
                rec.delete_date = rec.end
        return conv

    def render(self, i: int, attributes: bool) -> dict[str, Any]:
        """``analytics_wire.analytics_conversation(self.conversation(i), attributes)`` without
        building the conversation (the results pages of a large job): the same renderer, fed
        with the facts. tests/sandbox/test_generated_history.py holds the two equal."""
        f = self.facts(i)
        agent_ms, ani, _ = self._extras(f)
        queue = self.queue_ids[f.queue]
        agent_id, agent_name = self.agents[f.agent]
        s_begin, s_end, s_agent = iso_ms(f.start_ms), iso_ms(f.start_ms + f.duration_ms), iso_ms(agent_ms)
        pid = self._id
        recorded = f.recorded
        return wire.conversation(
            self.conversation_id(i), s_begin, s_end, "customer", DEFAULT_DIVISION, None,
            "inbound" if f.inbound else "outbound", [
                wire.participant(pid(1, i), "Customer", "customer", None, pid(9, i), "voice", "inbound", ani, None,
                                 recorded, wire.segment(s_begin, s_end, "interact", None, "endpoint"),
                                 self.attributes(i) if attributes else None),
                wire.participant(pid(2, i), "Queue", "acd", None, pid(10, i), "voice", "inbound", None, None,
                                 recorded, wire.segment(s_begin, s_agent, "interact", queue, "transfer")),
                wire.participant(pid(3, i), agent_name, "agent", agent_id, pid(11, i), "voice", "inbound", None, None,
                                 recorded or f.adhoc, wire.segment(s_agent, s_end, "interact", queue, "endpoint")),
            ])

    def rows(self, i: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """``analytics._conv_row`` and ``analytics._rows_of`` of conversation ``i`` without building
        it (filters over a large history); tests/sandbox/test_generated_history.py holds them equal."""
        f = self.facts(i)
        _, ani, _ = self._extras(f)
        queue = self.queue_ids[f.queue]
        agent_id, agent_name = self.agents[f.agent]
        rec = "true" if f.recorded else None
        conv_row = {
            "conversationId": self.conversation_id(i), "conversationEnd": "set", "conversationStart": "set",
            "conversationInitiator": "customer", "divisionId": DEFAULT_DIVISION, "externalTag": None,
            "originatingDirection": "inbound" if f.inbound else "outbound",
        }

        def row(kind: int, purpose: str, name: str, user: str | None, q: str | None, recording: str | None,
                caller: str | None) -> dict[str, Any]:
            return {"mediaType": "voice", "purpose": purpose, "userId": user, "queueId": q, "recording": recording,
                    "direction": "inbound", "segmentType": "interact", "ani": caller, "dnis": None,
                    "participantId": self._id(kind, i), "participantName": name, "sessionId": self._id(kind + 8, i),
                    "segmentEnd": "set"}

        return conv_row, [
            row(1, "customer", "Customer", None, None, rec, ani),
            row(2, "acd", "Queue", None, queue, rec, None),
            row(3, "agent", agent_name, agent_id, queue, "true" if f.recorded or f.adhoc else None, None),
        ]

    # --- seeded gaps: orphans (issue 19) --------------------------------------------------------

    @property
    def orphan_stride(self) -> int:
        """One conversation in every ``orphan_stride`` has its recording orphaned (0: none)."""
        return max(1, round(1 / self.orphaned_ratio)) if self.orphaned_ratio > 0 else 0

    def orphan_slot(self, i: int) -> bool:
        s = self.orphan_stride
        return s > 0 and i % s == self.key % s

    def _would_record(self, i: int) -> bool:
        """Conversation ``i`` was recorded (its recording may since be an orphan)."""
        return _unit(_mix(_mix(self.key + 2 * i + 1))) < self.recorded_ratio

    def orphaned_indices(self, lo: int = 0, hi: int | None = None) -> list[int]:
        """The indices in ``[lo, hi)`` whose (recorded) conversation's recording is an orphan."""
        s = self.orphan_stride
        hi = self.count if hi is None else min(hi, self.count)
        if s == 0 or lo >= hi:
            return []
        first = lo + (self.key % s - lo) % s
        return [i for i in range(first, hi, s) if self._would_record(i)]

    @property
    def stray_count(self) -> int:
        return round(self.stray_orphan_ratio * self.count)

    def stray_created(self, k: int) -> float:
        return self.start + (k + 0.5) * (self.end - self.start) / self.stray_count

    def named_orphan_id(self, i: int) -> str:
        return self._id(13, i)

    def stray_orphan_id(self, k: int) -> str:
        return self._id(12, k)

    def orphan_keys(self) -> list[tuple[float, str]]:
        """(createdTime, id) of every orphan of this history, without building one."""
        keys = [((self.start_ms(i) + self.facts(i).duration_ms) / 1000 + 60.0, self.named_orphan_id(i))
                for i in self.orphaned_indices()]
        keys += [(self.stray_created(k), self.stray_orphan_id(k)) for k in range(self.stray_count)]
        return keys

    def orphan(self, orphan_id: str) -> Orphan | None:
        """The orphan with this id, built for this read (None: not one of this history's)."""
        for kind in (12, 13):
            prefix = self._prefixes[kind]
            if orphan_id.startswith(prefix) and len(orphan_id) == len(prefix) + 12:
                try:
                    n = int(orphan_id[-12:], 16)
                except ValueError:
                    return None
                if kind == 13 and n < self.count and self.orphan_slot(n) and self._would_record(n):
                    f = self.facts(n)
                    rec = Recording(id=self._id(4, n), conversation_id=self.conversation_id(n),
                                    role="CUSTOMER_EXPERIENCE", start=f.start, end=f.end)
                    return Orphan(id=orphan_id, org=self.org, created=f.end + 60.0,
                                  status="CONVERSATION_NOT_COMPLETE", recording=rec, ready_at=f.end + 60.0)
                if kind == 12 and n < self.stray_count:
                    created = self.stray_created(n)
                    duration = 60.0 + 30.0 * (n % 5)
                    named = "" if n % 2 == 0 else self._id(14, n)  # UNKNOWN: an id no conversation has
                    rec = Recording(id=self._id(6, n), conversation_id=named, role="CUSTOMER_EXPERIENCE",
                                    start=created - duration - 60.0, end=created - 60.0)
                    return Orphan(id=orphan_id, org=self.org, created=created, recording=rec, ready_at=created,
                                  status="NO_CONVERSATION" if n % 2 == 0 else "UNKNOWN_CONVERSATION")
                return None
        return None

    def attributes(self, i: int) -> dict[str, str]:
        """The customer participant's attributes (participant data) of conversation ``i``:
        made-up, deterministic values so the jobs' ``attributes`` map is not always empty."""
        h = _mix(self.key ^ (i * 7 + 3))
        return {"customerTier": ("gold", "silver", "bronze")[h % 3], "caseRef": f"CASE-{h % 1_000_000:06d}"}


def parse_generated(spec: dict[str, Any], now: float) -> dict[str, Any]:
    """Validate a generated seed spec; ``ValueError`` says what to send instead."""
    known = {"count", "seed", "interval", "org", "recordedRatio", "securePauseRatio", "adhocRatio",
             "queues", "agents", "generated", "archivedRatio", "deletedRatio", *GAP_RATIOS}
    reject_unknown(spec, known, "seed")
    out = seed_fields(spec, now, max_count=MAX_GENERATED,
                      count_error=f"'count' of a generated history must be a whole number from 1 to {MAX_GENERATED}")
    gap_fields(spec, out)
    org = spec.get("org") or DEFAULT_ORG
    if not isinstance(org, str):
        raise ValueError("'org' must be a non-empty string")
    out["org"] = org
    return out


def build_history(p: dict[str, Any]) -> GeneratedHistory:
    rng = random.Random(p["seed"])

    def rid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    queues = tuple(rid() for _ in range(p["queues"]))
    agents = tuple((rid(), f"Agent {i + 1:02d}") for i in range(p["agents"]))
    digest = hashlib.blake2b(f"{p['org']}\0{p['seed']}\0{p['start']}\0{p['count']}".encode(), digest_size=8).digest()
    return GeneratedHistory(
        org=p["org"], seed=p["seed"], count=p["count"], start=p["start"], end=p["end"],
        recorded_ratio=p["recordedRatio"], secure_pause_ratio=p["securePauseRatio"],
        adhoc_ratio=p["adhocRatio"], queue_ids=queues, agents=agents,
        key=int.from_bytes(digest, "big"), archived_ratio=p["archivedRatio"], deleted_ratio=p["deletedRatio"],
        orphaned_ratio=p.get("orphanedRatio", 0.0), stray_orphan_ratio=p.get("strayOrphanRatio", 0.0),
        transcoding_ratio=p.get("transcodingRatio", 0.0),
    )


def seed_generated(state: SandboxState, spec: dict[str, Any]) -> dict[str, Any]:
    """``POST /_sandbox/seed {"generated": true, ...}``: register a generated history (and its
    agents as users). Takes milliseconds whatever the count."""
    t0 = time.perf_counter()
    params = parse_generated(spec, state.clock.now())
    history = build_history(params)
    with state.lock:
        org = state.org(history.org)
        for h in org.histories:
            if h.key == history.key:
                raise ValueError("this generated history (same org, seed, interval and count) already exists")
        for uid, name in history.agents:
            if uid not in org.users:
                state.add_user(org=history.org, user_id=uid, name=name)
        state.add_history(history)
    return {
        "created": history.count,
        "generated": True,
        "org": history.org,
        "firstId": history.conversation_id(0),
        "lastId": history.conversation_id(history.count - 1),
        "queueIds": list(history.queue_ids),
        "agentIds": [a for a, _ in history.agents],
        "seconds": round(time.perf_counter() - t0, 3),
    }
