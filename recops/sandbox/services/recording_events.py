"""Recording-topic events the state's own sweep cannot see (issue 20; docs/sandbox.md §4.11).

The state (``model/state.py``) publishes a recording's ``fileState`` moves on
``v2.users.{uid}.conversations.{cid}.recordings`` and ``v2.users.{uid}.recordings`` for the
conversations it holds. Two kinds of change escape it, and are published here:

- **Recording jobs over generated histories** (services/recording_jobs.py): a job keeps its effect
  on a generated conversation as compact arrays and gives the conversation its dates each time it is
  built, so nothing is held whose state could be compared. ``publish_generated`` (a settler: it runs
  on every read and clock move of the org, after the jobs are brought up to the clock) finds the
  generated conversations whose file state may have moved since the listener last looked: entries a
  job processed since (the job's action applied, its date already passed), and entries whose action
  date fell between the last look and now (``actionDate``: every processed entry at once;
  ``actionAge``: the conversations whose start puts their date in the window, found by index range,
  as a history is ordered by start). For each, it asks the bus whether anyone wants one of its
  topics (``EventBus.wants``) before building the conversation twice (as it was at the last look,
  as it is now) and publishing what differs. Nothing is looked at or built while nobody listens,
  and a new listener starts from what is true when it arrives (``EventBus.epoch``: no replay).
- **Deletion protection** (services/deletion_protection.py): applying or revoking a legal hold moves
  a recording whose delete date has passed (``DELETED`` while unprotected); ``protection_changed``
  publishes that move when the PUT makes it, not at the next sweep.

Bodies, topics and users are ``model/event_bodies.py``'s, as for the state's own sweep.
"""

from __future__ import annotations

import bisect
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..model import event_bodies
from ..model.models import Conversation
from ..seeds.history import MAX_DURATION, GeneratedHistory
from .analytics import DAY
from .analytics_select import LOW, SHIFT
from .media import file_state

if TYPE_CHECKING:
    from ..model.state import OrgState, SandboxState
    from .recording_jobs import RecordingJob


def enabled(state: SandboxState) -> bool:
    return (state.events.listened and state.file_states is not None
            and state.settings.assumption("eventRecordingTopics") != "off")


def file_states(state: SandboxState, conv: Conversation, at: float) -> dict[str, str]:
    """Each recording's ``fileState`` of ``conv`` at ``at`` (its legal hold as it is now)."""
    held = state.is_protected(conv.org, conv.id)
    delay, restore = state.settings.transcoding_delay_seconds, state.settings.restore_seconds
    return {rec.id: file_state(conv, rec, at, delay, held, restore) for rec in conv.recordings}


def publish_changes(state: SandboxState, conv: Conversation, before: dict[str, str], after: dict[str, str]) -> int:
    """Publish each recording of ``conv`` whose state moved from ``before`` to ``after`` (with the
    state's ``publish_recording_move``, as its ``_sweep`` does); returns how many recordings moved.
    Under the state lock."""
    org = state.orgs.get(conv.org)
    users = event_bodies.agent_users(conv, org.users if org is not None else {})
    moved = 0
    for rec in conv.recordings:
        was, now = before.get(rec.id), after.get(rec.id)
        if was is None or now is None or was == now:
            continue
        moved += 1
        state.publish_recording_move(conv, rec, was, now, users)
    return moved


# --- recording jobs over generated histories --------------------------------------------------------


@dataclass
class _Look:
    """What a listener last saw of an org's generated conversations: when, and how far each job
    had processed then (job id -> entries)."""

    org: weakref.ref[OrgState]
    epoch: int
    mark: float
    done: dict[str, int] = field(default_factory=dict)


_LOOKS: dict[int, _Look] = {}  # id(OrgState) -> its look (OrgState is unhashable; a reset org is a new one)


def _look(org: OrgState) -> _Look | None:
    look = _LOOKS.get(id(org))
    return look if look is not None and look.org() is org else None


def _remember(org: OrgState, epoch: int, mark: float, done: dict[str, int]) -> None:
    key = id(org)
    _LOOKS[key] = _Look(weakref.ref(org, lambda _: _LOOKS.pop(key, None)), epoch, mark, done)


Decorate = Callable[..., None]  # recording_jobs.decorate_from(org, conv, key, index, upto=...)


def _candidates(job: RecordingJob, look: _Look, now: float) -> Iterable[tuple[GeneratedHistory, int]]:
    """The generated conversations of ``job`` whose file state may have moved since ``look``."""
    entries, histories = job.entries, job.histories
    seen = look.done.get(job.id, 0)
    done = job.done
    for k in range(min(seen, done), done):  # processed since: the action applied (its date may have passed)
        e = entries[k]
        if e >> SHIFT:
            yield histories[(e >> SHIFT) - 1], e & LOW
    q = job.query
    if q.action == "EXPORT" or not seen:  # an export date moves no file state
        return
    if q.action_date is not None:
        if look.mark < q.action_date <= now:
            for k in range(min(seen, done)):
                e = entries[k]
                if e >> SHIFT:
                    yield histories[(e >> SHIFT) - 1], e & LOW
        return
    if q.action_age is None:
        return
    age = q.action_age * DAY  # a recording's date: its start + age; it starts within its conversation
    for key, (indices, ks) in job.by_history.items():
        h = next((x for x in histories if x.key == key), None)
        if h is None:
            continue
        span = h.index_range(look.mark - age - MAX_DURATION, now - age + 0.001)
        lo, hi = bisect.bisect_left(indices, span.start), bisect.bisect_left(indices, span.stop)
        for j in range(lo, hi):
            if ks[j] < seen:
                f = h.facts(indices[j])  # the policy recording starts with it, an ad hoc one before its end
                first, last = f.start + age, (f.end if f.adhoc else f.start) + age
                if last > look.mark and first <= now:
                    yield h, indices[j]


def publish_generated(state: SandboxState, org: OrgState, decorate: Decorate) -> None:
    """The settler: publish the file-state moves of generated conversations that the org's
    recording jobs made since a listener last looked (see the module's docstring)."""
    if not enabled(state):
        return  # nothing looked at; a listener arriving later starts afresh (``EventBus.epoch``)
    with state.lock:
        now = state.clock.now()
        jobs = [j for j in org.recording_jobs.values() if j.by_history and j.executed_at is not None]
        look = _look(org)
        if look is None or look.epoch != state.events.epoch:  # first sight: remember, publish nothing
            _remember(org, state.events.epoch, now, {j.id: j.done for j in jobs})
            return
        if all(look.done.get(j.id, 0) == j.done for j in jobs) and \
                now < look.mark + state.settings.event_file_sweep_seconds:
            return  # no job moved, and the dates are looked at once per eventFileSweepSeconds (as reads sweep)
        wants = state.events.wants
        checked: set[tuple[int, int]] = set()
        archived_for: dict[int, set[str]] = {}  # history key -> its agents whose archive topic is wanted
        for job in jobs:
            for h, idx in _candidates(job, look, now):
                if h.key not in archived_for:
                    archived_for[h.key] = {uid for uid, _ in h.agents
                                           if wants(org.name, event_bodies.archive_topic(uid))}
                # cheap first: the conversation's own topic for any user; the agent (facts) only if needed
                if not (wants(org.name, event_bodies.recording_topic("*", h.conversation_id(idx))) or (
                        archived_for[h.key] and h.agents[h.facts(idx).agent][0] in archived_for[h.key])):
                    continue
                if (h.key, idx) in checked or idx in org.materialised.get(h.key, ()):
                    continue  # seen through another job; a materialised one is the state's own (its sweep)
                checked.add((h.key, idx))
                was = h.conversation(idx)
                decorate(org, was, h.key, idx, upto=look.done)
                conv = h.conversation(idx)
                decorate(org, conv, h.key, idx)
                publish_changes(state, conv, file_states(state, was, look.mark), file_states(state, conv, now))
        look.mark = now
        look.done = {j.id: j.done for j in jobs}


# --- deletion protection ------------------------------------------------------------------------------


def protection_changed(state: SandboxState, org: str, conversation_ids: list[str], change: Callable[[], None]) -> None:
    """Apply ``change`` (a legal hold put on or lifted from ``conversation_ids``) and publish the file
    states it moves at once. Under the state lock."""
    if not enabled(state) or state.settings.assumption("eventProtectionMoves") == "atSweep":
        change()
        return
    held = {}
    for cid in conversation_ids:
        conv = state.conversation(org, cid)
        if conv is None:
            continue
        o = state.orgs.get(org)
        if o is not None and cid in o.conversations:
            state._sweep(conv)  # its state as a listener knows it (first sight: remembered)
            held[cid] = (conv, None)
        else:
            held[cid] = (conv, file_states(state, conv, state.clock.now()))
    change()
    for conv, before in held.values():
        if before is None:
            state._sweep(conv)
        else:
            publish_changes(state, conv, before, file_states(state, conv, state.clock.now()))
