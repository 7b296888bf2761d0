"""The body of ``POST /api/v2/recording/jobs`` (a ``RecordingJobsQuery``), built and checked
before anything is sent.

- ``action``: ``DELETE``, ``ARCHIVE`` or ``EXPORT`` [documented]; exactly one of ``action_date``
  / ``action_age`` (recops asks for one, so a plan always says when; the API's default is not
  documented); ``EXPORT`` needs ``integration_id`` [documented]; ``clear_export`` only with
  ``DELETE`` [documented].
- what: an ``interval`` (+ ``queue``: a ``segmentFilters`` predicate on ``queueId``), or
  conversation ids (or a frame's ``conversation_id`` column). Ids become one
  ``conversationFilters`` entry of type ``or`` whose ``clauses`` hold **100 ``conversationId``
  predicates each** (recops's own piece size: the API documents no predicate limit), at most
  ``MAX_IDS`` ids a job; a longer list is refused with what to do (plan it in several jobs, two
  at a time: the org runs at most two jobs at once [documented]). The query still needs an
  interval covering the ids: given, or from the frame's ``conversation_start`` (the day around
  its first and last start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import ConfigError

from .inputs import batches, conversation_ids
from .retention import iso, parse_date

if TYPE_CHECKING:
    from recops.api.client import Client

ACTIONS = ("DELETE", "ARCHIVE", "EXPORT")
IDS_PER_CLAUSE = 100  # conversationId predicates per clause [recops's own choice]
MAX_IDS = 10_000  # ids per job [recops's own choice: 100 clauses]


@dataclass(frozen=True)
class JobQuery:
    body: Any  # the SDK's RecordingJobsQuery
    action: str
    ids: list[str]  # the conversation ids it names (empty for an interval query)
    interval: str
    wire: dict[str, Any]  # the JSON sent, for the journal and the plan


def _interval(interval: Any, frame: Any) -> str:
    from recops.genesys.intervals import parse_interval

    if interval is not None:
        start, end = parse_interval(interval)
        return f"{iso(start)}/{iso(end)}"
    if frame is not None and "conversation_start" in getattr(frame, "columns", ()):
        import pandas as pd

        starts = pd.to_datetime(frame["conversation_start"], utc=True).dropna()
        if len(starts):
            first = starts.min().to_pydatetime().replace(hour=0, minute=0, second=0, microsecond=0)
            last = starts.max().to_pydatetime().replace(hour=0, minute=0, second=0, microsecond=0)
            return f"{iso(first)}/{iso(last + timedelta(days=1))}"
    raise ConfigError("conversation ids need an interval that covers them",
                      "pass interval='START/END', or a frame with a conversation_start column (rc.interval(...))")


def build(client: Client, action: str, *, interval: Any = None, queue: str | None = None, ids: Any = None,
          frame: Any = None, action_date: Any = None, action_age: int | None = None, integration_id: str | None = None,
          include_screen: bool = True, clear_export: bool = False) -> JobQuery:
    action = str(action).upper()
    if action not in ACTIONS:
        raise ConfigError(f"unknown job action {action!r}", f"use one of {', '.join(ACTIONS)}")
    if (action_date is None) == (action_age is None):
        raise ConfigError("say when the action happens: give action_date or action_age (days after each "
                          "recording's creation), not both and not neither",
                          "e.g. action_date='2026-12-31T00:00:00Z' (CLI: --action-date)")
    if action == "EXPORT" and not integration_id:
        raise ConfigError("an EXPORT job needs integration_id (the AWS S3 integration)", "pass integration_id=...")
    if clear_export and action != "DELETE":
        raise ConfigError("clear_export goes with DELETE only")
    if ids is not None and frame is not None:
        raise ConfigError("give ids or frame, not both")
    source = frame if frame is not None else ids
    named: list[str] = []
    if source is not None:
        parsed = conversation_ids(source)
        if parsed.invalid:
            raise ConfigError(f"{len(parsed.invalid)} value(s) are not conversation ids, e.g. {parsed.invalid[0]!r}",
                              "fix the list; nothing was sent")
        named = parsed.valid
        if not named:
            raise ConfigError("no conversation ids given", "pass ids, a frame, or an interval")
        if len(named) > MAX_IDS:
            raise ConfigError(f"{len(named)} conversation ids are more than one job takes ({MAX_IDS})",
                              f"plan them in pieces of {MAX_IDS} (at most two jobs run at once in an org), "
                              "or use an interval (+ queue)")
        if queue:
            raise ConfigError("queue goes with an interval, not with ids")
    elif interval is None:
        raise ConfigError("a job needs an interval (+ queue) or conversation ids", "pass interval=... or ids=...")
    when = _interval(interval, frame)
    sdk = client.sdk()
    cq = sdk.AsyncConversationQuery()
    cq.interval = when
    if named:
        flt = sdk.ConversationDetailQueryFilter()
        flt.type = "or"
        flt.clauses = []
        for piece in batches(named, IDS_PER_CLAUSE):
            clause = sdk.ConversationDetailQueryClause()
            clause.type = "or"
            clause.predicates = []
            for cid in piece:
                p = sdk.ConversationDetailQueryPredicate()
                p.type, p.dimension, p.operator, p.value = "dimension", "conversationId", "matches", cid
                clause.predicates.append(p)
            flt.clauses.append(clause)
        cq.conversation_filters = [flt]
    elif queue:
        from recops.history.query import segment_filters

        cq.segment_filters = segment_filters(sdk, queue_id=queue)
    body = sdk.RecordingJobsQuery()
    body.action = action
    if action_date is not None:
        parsed_date = parse_date(action_date, "action_date")
        assert parsed_date is not None
        body.action_date = parsed_date.astimezone(timezone.utc)
    else:
        if int(action_age) < 0:  # type: ignore[arg-type]
            raise ConfigError("action_age is a number of days, 0 or more")
        body.action_age = int(action_age)  # type: ignore[arg-type]
    if integration_id:
        body.integration_id = integration_id
    body.include_screen_recordings = bool(include_screen)
    if clear_export:
        body.clear_export = True
    body.conversation_query = cq
    wire = client.api_client.sanitize_for_serialization(body)
    return JobQuery(body, action, named, when, wire)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
