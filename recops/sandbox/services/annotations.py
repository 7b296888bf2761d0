"""Pause annotations on a recording (``Recording.annotations`` of ``GET …/recordings``).

The documented rules (docs/genesys-api.md, "Recording annotations"):

- one annotation per pause interval, ``reason`` ``SecurePause`` or ``Hold``;
- all pause annotations of one recording share one ``id``; hold annotations get a new random
  UUID on every read;
- ``realtimeLocation``: offset from the start of the recording *before* removing the pauses
  before it; ``absoluteLocation``: offset *after* removing the cumulative duration of all
  pauses before it, i.e. ``realtimeLocation`` minus the paused time before it [inferred from
  the two descriptions];
- a hold annotation exists only when hold suppression paused the recording (model/models.py opens a
  ``Hold`` pause only then);
- a pause still open when the call ends closes at the end of the recording (model/models.py
  ``Conversation._end``); on a recording still running it reads as lasting until now;
- screen recordings carry secure-pause annotations only with
  ``includePauseAnnotationsForScreenRecordings=true`` [documented parameter].

Where the sheet leaves a relation open, the choice is a switchable assumption (model/settings.py):
``annotationLocation`` (does ``location`` equal ``realtimeLocation`` or ``absoluteLocation``),
``pausedMediaRemoved`` (is paused time cut out of the media, so ``outputDurationMs`` and the
file are shorter) and ``metadataSystemAnnotations`` (do pause annotations also appear on
``/recordingmetadata``), ``pauseAnnotationUser`` (does a pause annotation name a ``user``:
the agent on the call) and ``annotationsEndpointPauses`` (does ``GET …/annotations`` list them).

Overlapping pauses (a hold during a secure pause) are two annotations; the paused time they
remove is their union, counted once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ..model.models import Conversation, Participant, Pause, Recording
from ..model.settings import SandboxSettings

ANNOTATION_TYPE = "System"  # Annotation.type has no documented values [unknown]; the sandbox's choice
NAMES = {"SecurePause": "Secure Pause", "Hold": "Hold"}


@dataclass(frozen=True)
class AnnotationRules:
    location: str = "realtime"  # annotationLocation: realtime | absolute
    paused_media_removed: bool = True  # pausedMediaRemoved: removed | kept
    screen_pauses: bool = False  # includePauseAnnotationsForScreenRecordings
    user: str = "absent"  # pauseAnnotationUser: absent | agent

    @classmethod
    def from_settings(cls, settings: SandboxSettings, screen_pauses: bool = False) -> AnnotationRules:
        return cls(
            location=settings.assumption("annotationLocation"),
            paused_media_removed=settings.assumption("pausedMediaRemoved") == "removed",
            screen_pauses=screen_pauses,
            user=settings.assumption("pauseAnnotationUser"),
        )


Span = tuple[Pause, float, float]  # a pause and its start/end clipped to the recording


def _clipped(conv: Conversation, rec: Recording, now: float, rules: AnnotationRules) -> list[Span]:
    """The pauses that apply to ``rec``, clipped to it, in start order."""
    if not conv.pauses:
        return []
    if rec.media == "screen" and not rules.screen_pauses:
        return []
    rec_end = rec.end if rec.end is not None else now
    out = []
    for pause in conv.pauses:
        if rec.media == "screen" and pause.reason != "SecurePause":
            continue  # only secure pauses are copied to screen recordings [documented wording]
        end = pause.end if pause.end is not None else now
        if pause.start > rec_end or end < rec.start or (end == rec.start and pause.start < rec.start):
            continue
        out.append((pause, max(pause.start, rec.start), min(end, rec_end)))
    out.sort(key=lambda x: x[1])
    return out


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _paused_before(merged: list[tuple[float, float]], t: float) -> float:
    return sum(min(end, t) - start for start, end in merged if start < t)


def paused_seconds(conv: Conversation, rec: Recording, now: float, rules: AnnotationRules) -> float:
    """Wall-clock time of ``rec`` during which it was paused (overlaps counted once)."""
    return sum(end - start for start, end in _union([(s, e) for _, s, e in _clipped(conv, rec, now, rules)]))


def media_ms(conv: Conversation, rec: Recording, now: float, rules: AnnotationRules) -> int:
    """Length of the recording's media (``outputDurationMs``, the served file): wall-clock length,
    less the paused time when paused media is removed."""
    end = rec.end if rec.end is not None else now
    wall = end - rec.start
    if rules.paused_media_removed:
        wall -= paused_seconds(conv, rec, now, rules)
    return max(0, round(wall * 1000))


def pause_id(rec: Recording) -> str:
    """The one id every pause annotation of ``rec`` shares (stable across reads)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"recops-sandbox/{rec.id}/pause"))


def _pauser(conv: Conversation, rec: Recording, pause: Pause) -> Participant | None:
    """The user participant on the call when ``pause`` began (``pauseAnnotationUser`` = agent):
    the recording's own participant first, then one with purpose agent, then any user."""
    def on_call(p: Participant) -> bool:
        return bool(p.user_id) and p.start_time <= pause.start and (p.end_time is None or p.end_time >= pause.start)

    candidates = [p for p in conv.participants if on_call(p)]
    candidates.sort(key=lambda p: (p.id != rec.participant_id, p.purpose != "agent"))
    return candidates[0] if candidates else None


def _user(p: Participant) -> dict[str, str]:
    return {"id": p.user_id or "", "name": p.name, "selfUri": f"/api/v2/users/{p.user_id}"}


def annotations(conv: Conversation, rec: Recording, now: float, rules: AnnotationRules) -> list[dict[str, Any]]:
    clipped = _clipped(conv, rec, now, rules)
    if not clipped:
        return []
    merged = _union([(s, e) for _, s, e in clipped])
    shared = pause_id(rec)
    out = []
    for pause, start, end in clipped:
        realtime = round((start - rec.start) * 1000)
        absolute = realtime - round(_paused_before(merged, start) * 1000)
        duration = round((end - start) * 1000)
        ident = shared if pause.reason == "SecurePause" else str(uuid.uuid4())  # Hold: new each read
        pauser = _pauser(conv, rec, pause) if rules.user == "agent" else None
        out.append({
            "id": ident,
            "name": NAMES.get(pause.reason, pause.reason),
            "type": ANNOTATION_TYPE,
            "location": realtime if rules.location == "realtime" else absolute,
            "durationMs": duration,
            "absoluteLocation": absolute,
            "absoluteDurationMs": duration,
            "realtimeLocation": realtime,
            "recordingLocation": absolute,
            "recordingDurationMs": duration,
            "reason": pause.reason,
            **({"user": _user(pauser)} if pauser is not None else {}),
            "selfUri": f"/api/v2/conversations/{conv.id}/recordings/{rec.id}/annotations/{ident}",
        })
    return out
