"""Queue and agent names next to their ids, looked up in batches and cached per session.

- Queues: ``GET /api/v2/routing/queues?id=a,b,…`` (``RoutingApi.get_routing_queues``), needs
  ``routing:queue:view``. Without it the tables still come back: the name column holds the id,
  and a note (``frame.attrs["notes"]``) names the permission that would give names.
- Users: ``GET /api/v2/users?id=a,b,…`` (``UsersApi.get_users``), at most 100 ids a request
  (400 ``max.user.ids`` beyond), ``state=any`` so agents who left still have their names;
  "requires no permissions".

One ``Names`` per client (``names_for(client)``, i.e. per session): each id is asked for once,
names not found are remembered as such, and a refused look-up is not retried, so a second table
costs no request. ``add_names(frame, session)`` adds a name column after each id column it knows
(``queue_id`` → ``queue_name``, ``queue_ids`` → ``queue_names``, ``user_id`` → ``agent_name``,
``user_ids`` → ``agent_names``, ``paused_by`` → ``paused_by_names``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import PermissionDenied, RecopsError

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client

BATCH = 100  # GET /api/v2/users: "Only 100 users can be requested at a time" (max.user.ids)
QUEUE_PERMISSION = "routing:queue:view"
QUEUES_PATH = "/api/v2/routing/queues"
USERS_PATH = "/api/v2/users"
SEPARATOR = ","  # how multi-valued id columns are joined (``queue_ids``, ``user_ids``)
NAME_SEPARATOR = ", "

# id column -> (name column, kind)
NAME_COLUMNS: dict[str, tuple[str, str]] = {
    "queue_id": ("queue_name", "queue"),
    "queue_ids": ("queue_names", "queue"),
    "user_id": ("agent_name", "user"),
    "user_ids": ("agent_names", "user"),
    "paused_by": ("paused_by_names", "user"),
}


class Names:
    """The queue and user names one client may read, cached for its lifetime."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._cache: dict[str, dict[str, str | None]] = {"queue": {}, "user": {}}
        self._refused: dict[str, str] = {}  # kind -> the note saying why there are no names
        self._lock = threading.Lock()
        self.requests = 0  # look-up requests sent (to show what the cache saves)

    @property
    def notes(self) -> list[str]:
        return list(self._refused.values())

    def queues(self, ids: Iterable[str]) -> dict[str, str | None]:
        """``{queue id: name}`` (None: not found, or names not readable: see ``notes``)."""
        return self._names("queue", ids)

    def users(self, ids: Iterable[str]) -> dict[str, str | None]:
        """``{user id: name}`` (None: not found, or names not readable: see ``notes``)."""
        return self._names("user", ids)

    def note(self, kind: str) -> str | None:
        return self._refused.get(kind)

    def remember(self, kind: str, names: Mapping[str, str | None]) -> None:
        """Names learnt elsewhere (e.g. an annotation's ``user.name``), so they are not asked for."""
        with self._lock:
            cache = self._cache[kind]
            for ident, name in names.items():
                if name and not cache.get(ident):
                    cache[ident] = name

    def _names(self, kind: str, ids: Iterable[str]) -> dict[str, str | None]:
        wanted = list(dict.fromkeys(i for i in ids if i))
        with self._lock:
            cache = self._cache[kind]
            missing = [i for i in wanted if i not in cache]
            if missing and kind not in self._refused:
                for start in range(0, len(missing), BATCH):
                    batch = missing[start:start + BATCH]
                    try:
                        found = self._lookup(kind, batch)
                    except PermissionDenied as e:
                        self._refused[kind] = _refused_note(kind, e)
                        break
                    except RecopsError as e:
                        self._refused[kind] = (f"{kind} names not looked up ({getattr(e, 'code', '') or e.message}): "
                                               f"the {kind} ids are shown instead")
                        break
                    for ident in batch:
                        cache[ident] = found.get(ident)  # None: not found (deleted, other division...)
            return {i: cache.get(i) for i in wanted}

    def _lookup(self, kind: str, batch: list[str]) -> dict[str, str | None]:
        client = self.client
        sdk = client.sdk()
        self.requests += 1
        if kind == "queue":
            routing_api = sdk.RoutingApi(client.api_client)
            listing = client.call("GET", QUEUES_PATH, routing_api.get_routing_queues, id=batch,
                                  page_size=len(batch), page_number=1)
        else:
            users_api = sdk.UsersApi(client.api_client)
            listing = client.call("GET", USERS_PATH, users_api.get_users, id=batch, page_size=len(batch),
                                  page_number=1, state="any")
        return {e.id: e.name for e in (listing.entities or []) if e.id}


def _refused_note(kind: str, error: PermissionDenied) -> str:
    if kind == "queue":
        perms = ", ".join(error.permissions) or QUEUE_PERMISSION
        return (f"queue names need the {perms} permission, which this client lacks "
                f"({error.status} {error.code}): queue ids are shown instead of names")
    perms = ", ".join(error.permissions) or "a user-read permission"
    return f"user names were refused ({error.status} {error.code}; {perms}): user ids are shown instead"


_SESSIONS: weakref.WeakKeyDictionary[Any, Names] = weakref.WeakKeyDictionary()
_SESSIONS_LOCK = threading.Lock()


def names_for(source: Any) -> Names:
    """The one ``Names`` of a session or client (created on first use)."""
    client = getattr(source, "client", source)
    with _SESSIONS_LOCK:
        names = _SESSIONS.get(client)
        if names is None:
            names = _SESSIONS[client] = Names(client)
        return names


def with_name_columns(columns: Mapping[str, str]) -> dict[str, str]:
    """A table schema (column -> dtype) with each known id column followed by its name column."""
    out: dict[str, str] = {}
    for col, dtype in columns.items():
        out[col] = dtype
        if col in NAME_COLUMNS and NAME_COLUMNS[col][0] not in columns:
            out[NAME_COLUMNS[col][0]] = "string"
    return out


def _split(value: Any) -> list[str]:
    if value is None or not isinstance(value, str):
        return []
    return [v.strip() for v in value.split(SEPARATOR) if v.strip()]


def add_names(frame: pd.DataFrame, source: Any) -> pd.DataFrame:
    """``frame`` with a name column after each id column it knows (filled in place if the
    column is already there). An id whose name cannot be had is shown as itself; why, is in
    ``frame.attrs["notes"]``. Returns the same frame."""
    names = names_for(source)
    present = [c for c in NAME_COLUMNS if c in frame.columns]
    wanted: dict[str, set[str]] = {"queue": set(), "user": set()}
    for col in present:
        for value in frame[col].dropna().unique():
            wanted[NAME_COLUMNS[col][1]].update(_split(value))
    found = {kind: (names.queues(ids) if kind == "queue" else names.users(ids)) if ids else {}
             for kind, ids in wanted.items()}
    notes = list(frame.attrs.get("notes", []))
    for col in present:
        name_col, kind = NAME_COLUMNS[col]
        lookup = found[kind]
        joined = {value: NAME_SEPARATOR.join(lookup.get(i) or i for i in _split(value))
                  for value in frame[col].dropna().unique()}
        values = frame[col].map(joined).astype("string")
        if name_col in frame.columns:
            frame[name_col] = values
        else:
            frame.insert(frame.columns.get_loc(col) + 1, name_col, values)
        note = names.note(kind)
        if note and joined and note not in notes:
            notes.append(note)
        unknown = sorted(i for i in {i for v in joined for i in _split(v)} if lookup.get(i) is None)
        if unknown and not note:
            text = f"{len(unknown)} {kind} id(s) have no name the API would give (not found): shown as ids"
            if text not in notes:
                notes.append(text)
    if notes:
        frame.attrs["notes"] = notes
    return frame


def show_notes(frame: pd.DataFrame, echo: Any = print) -> None:
    """Print a table's notes (names missing, and why), one line each."""
    for note in frame.attrs.get("notes", []):
        echo(f"note: {note}")
