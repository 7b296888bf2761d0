"""The interval table's row: its columns, their types, and how a conversation becomes a row.

Every interval table is made of these rows: ``rc.interval(...)``'s DataFrame (``recops.history.tables``),
the Parquet cache (``recops.history.store``), and the rows read through the details query
(``recops.history.query``) or a details job (``recops.history.reader``). ``COLUMNS`` is the one list of
them; adding a column means a line there, its value in ``_row`` and a new ``SCHEMA_VERSION``
(days cached under the old schema are then read again).

A conversation comes in one of two shapes, read by the same ``_row``:

- ``model_row``: an SDK model (``AnalyticsConversation``), as the details query returns it;
- ``json_row``: plain JSON (camelCase keys, ISO-8601 strings), as ``recops.history.jobs.raw_pages``
  reads a job's results page. The SDK would turn each page into model objects (every
  conversation, participant, session, segment and metric an object with its own attribute
  maps): for a 1,000-conversation page that is several times the page's size, held while the
  page is converted. Reading the few fields a row needs from the JSON keeps memory per page
  close to the page's JSON, released with it.

Both give the same row for the same conversation, enumerations included (a value outside the
SDK's enumeration reads as ``"outdated_sdk_version"``, as the model holds it).

pyarrow is imported only when an Arrow schema or table is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pyarrow as pa

# the row schema's version: part of the cache's key (``recops.history.store``), so a new schema never
# reads days written under an older one
SCHEMA_VERSION = 1

# column -> kind, in table order
COLUMNS: dict[str, str] = {
    "conversation_id": "string",
    "conversation_start": "timestamp",
    "conversation_end": "timestamp",
    "ended": "bool",
    "direction": "string",
    "media_type": "string",
    "recorded": "bool",
    "queue_ids": "string",
    "user_ids": "string",
    "agents": "string",
    "participants": "int64",
}

# kind -> the pandas dtype of its column
PANDAS_DTYPES: dict[str, str] = {
    "string": "string",
    "timestamp": "datetime64[ns, UTC]",
    "bool": "boolean",
    "int64": "Int64",
}

# column -> pandas dtype (the DataFrame's, before ``recops.history.names`` adds the name columns)
DTYPES: dict[str, str] = {name: PANDAS_DTYPES[kind] for name, kind in COLUMNS.items()}

# the SDK models' enumerations: a value outside them reads as "outdated_sdk_version" there
DIRECTIONS = ("inbound", "outbound")
MEDIA_TYPES = ("callback", "chat", "cobrowse", "email", "internalmessage", "message", "screenmonitoring",
               "screenshare", "unknown", "video", "voice")
OUTDATED = "outdated_sdk_version"

Row = dict[str, Any]


def arrow_schema() -> pa.Schema:
    """The rows' Arrow schema (that of the cache's Parquet files)."""
    import pyarrow as pa

    kinds = {"string": pa.string(), "timestamp": pa.timestamp("us", tz="UTC"), "bool": pa.bool_(),
             "int64": pa.int64()}
    return pa.schema([(name, kinds[kind]) for name, kind in COLUMNS.items()])


def rows_to_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows (dicts with ``COLUMNS``) as an Arrow table of the rows' schema."""
    import pyarrow as pa

    rows = list(rows)
    schema = arrow_schema()
    return pa.table({name: pa.array([r.get(name) for r in rows], type=schema.field(name).type)
                     for name in schema.names}, schema=schema)


def enum(value: Any, allowed: tuple[str, ...]) -> str | None:
    """What the SDK model would hold for ``value``."""
    if value is None:
        return None
    value = str(value)
    return value if value.lower() in allowed else OUTDATED


def when(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp as a timezone-aware datetime (``Z`` is UTC)."""
    if not value:
        return None
    return datetime.fromisoformat(value)


class _Fields(NamedTuple):
    """Where one shape of a conversation keeps the fields a row is made of."""

    conversation_id: str
    conversation_start: str
    conversation_end: str
    originating_direction: str
    participants: str
    user_id: str
    participant_name: str
    sessions: str
    media_type: str
    recording: str
    segments: str
    queue_id: str


# an SDK model's attributes are the snake_case names; the API's JSON uses camelCase keys
_MODEL = _Fields(*_Fields._fields)
_JSON = _Fields("conversationId", "conversationStart", "conversationEnd", "originatingDirection", "participants",
                "userId", "participantName", "sessions", "mediaType", "recording", "segments", "queueId")


def _same(value: Any) -> Any:
    return value


def _row(conv: Any, f: _Fields, get: Callable[[Any, str], Any], time: Callable[[Any], datetime | None]) -> Row:
    """One row from a conversation of either shape (``f`` names its fields, ``get`` reads
    one, ``time`` makes a timestamp a datetime)."""
    media = None
    recorded = False
    queues: list[str] = []
    users: list[str] = []
    agents: list[str] = []
    participants = get(conv, f.participants) or []
    for p in participants:
        user = get(p, f.user_id)
        if user and user not in users:
            users.append(user)
            name = get(p, f.participant_name)
            if name:
                agents.append(name)
        for s in get(p, f.sessions) or []:
            media = media or enum(get(s, f.media_type), MEDIA_TYPES)
            recorded = recorded or bool(get(s, f.recording))
            for seg in get(s, f.segments) or []:
                queue = get(seg, f.queue_id)
                if queue and queue not in queues:
                    queues.append(queue)
    end = time(get(conv, f.conversation_end))
    return {
        "conversation_id": get(conv, f.conversation_id),
        "conversation_start": time(get(conv, f.conversation_start)),
        "conversation_end": end,
        "ended": end is not None,
        "direction": enum(get(conv, f.originating_direction), DIRECTIONS),
        "media_type": media,
        "recorded": recorded,
        "queue_ids": ",".join(queues) or None,
        "user_ids": ",".join(users) or None,
        "agents": ", ".join(agents) or None,
        "participants": len(participants),
    }


def model_row(conv: Any) -> Row:
    """One row from an SDK ``AnalyticsConversation`` (the details query's, or a job's through ``jobs.pages``)."""
    return _row(conv, _MODEL, getattr, _same)


def json_row(conv: dict[str, Any]) -> Row:
    """One row from a conversation as JSON (camelCase keys, as the API sends them)."""
    return _row(conv, _JSON, dict.get, when)
