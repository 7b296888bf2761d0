"""Realistic pauses for seeded history: secure pauses of card-payment length, holds (which pause
the recording only on a trunk with hold suppression), some secure pauses never resumed before
the call ended. Deterministic: every draw comes from the seed's one ``random.Random``.

``plan_pauses`` only draws numbers (a ``PausePlan``: times, no state), so a compact history
store can keep the plan; ``apply_pauses`` replays a plan through the ``SandboxState`` methods,
exactly as live pause/resume and hold calls would, so seeded recordings carry the same
annotations (services/annotations.py) as live ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ..model.models import Conversation, Participant
from ..model.state import SandboxState

# seed spec key -> default share of conversations (securePauseRatio is parsed by builders.py)
PAUSE_SEED_KEYS: dict[str, float] = {
    "holdRatio": 0.2,  # calls with a hold (pauses the recording only with hold suppression)
    "holdSuppressionRatio": 0.5,  # calls on a trunk with hold suppression
    "unresumedPauseRatio": 0.15,  # secure pauses still open when the call ends
}
SECURE_PAUSE_SECONDS = (30.0, 120.0)  # a card payment
HOLD_SECONDS = (15.0, 90.0)
SECOND_PAUSE_RATIO = 0.15  # a secure-paused call pauses a second time (a retried payment)


@dataclass(frozen=True)
class PauseRatios:
    secure_pause: float
    hold: float = PAUSE_SEED_KEYS["holdRatio"]
    hold_suppression: float = PAUSE_SEED_KEYS["holdSuppressionRatio"]
    unresumed: float = PAUSE_SEED_KEYS["unresumedPauseRatio"]

    @classmethod
    def from_spec(cls, spec: dict[str, Any], secure_pause: float) -> PauseRatios:
        values = {}
        for key, default in PAUSE_SEED_KEYS.items():
            value = spec.get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"'{key}' must be a number from 0 to 1")
            values[key] = float(value)
        return cls(secure_pause, values["holdRatio"], values["holdSuppressionRatio"],
                   values["unresumedPauseRatio"])


SecureSpan = tuple[float, float | None]  # (paused at, resumed at | None: never resumed)


@dataclass(frozen=True)
class PausePlan:
    hold_suppression: bool = False
    secure: tuple[SecureSpan, ...] = ()
    holds: tuple[tuple[float, float], ...] = ()  # (held at, taken off hold at)


NO_PAUSES = PausePlan()
SUPPRESSION_ONLY = PausePlan(hold_suppression=True)  # a suppression trunk, no pause on this call


def plan_pauses(rng: random.Random, ratios: PauseRatios, answered: float, end: float,
                recorded: bool) -> PausePlan:
    """Pauses of one call the agent answered at ``answered`` that ends at ``end``."""
    suppression = rng.random() < ratios.hold_suppression
    secure: list[SecureSpan] = []
    if recorded and rng.random() < ratios.secure_pause:
        secure = _secure_pauses(rng, ratios, answered + 10, end - 5)
    holds: list[tuple[float, float]] = []
    if rng.random() < ratios.hold:
        length = rng.uniform(*HOLD_SECONDS)
        room = end - 5 - length - (answered + 5)
        if room > 0:
            at = answered + 5 + rng.random() * room
            if not any(at < (r if r is not None else end) and p < at + length for p, r in secure):
                holds.append((at, at + length))  # holds never overlap a secure pause here
    if not (secure or holds):
        return SUPPRESSION_ONLY if suppression else NO_PAUSES
    return PausePlan(suppression, tuple(secure), tuple(holds))


def _secure_pauses(rng: random.Random, ratios: PauseRatios, first: float, last: float) -> list[SecureSpan]:
    out: list[SecureSpan] = []
    start = first
    for n in range(2):
        if n and rng.random() >= SECOND_PAUSE_RATIO:
            break
        if rng.random() < ratios.unresumed:  # the call ends mid-payment, still paused
            if last - start < 5:
                break
            out.append((max(start, last - rng.uniform(5, SECURE_PAUSE_SECONDS[1])), None))
            break
        length = rng.uniform(*SECURE_PAUSE_SECONDS)
        room = last - start - length
        if room <= 0:
            length = last - start - 5  # a short call: the payment fills what is left
            if length < 20:
                break
            room = 5.0
        at = start + rng.random() * room
        out.append((at, at + length))
        start = at + length + 5
    return out


def apply_pauses(state: SandboxState, conv: Conversation, plan: PausePlan, held: Participant) -> None:
    """Replay ``plan`` on an added, still active conversation (``held`` is put on hold); the
    conversation's ``hold_suppression`` must already match the plan."""
    if plan is NO_PAUSES or plan is SUPPRESSION_ONLY:
        return
    for paused, resumed in plan.secure:
        state.set_recording_state(conv, "PAUSED", paused, "noop")
        if resumed is not None:
            state.set_recording_state(conv, "ACTIVE", resumed, "noop")
    for on, off in plan.holds:
        state.set_held(conv, held, True, on)
        state.set_held(conv, held, False, off)
