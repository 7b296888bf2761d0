"""Legal hold (deletion protection) over many conversations: ``protect``, ``revoke`` and the
check (``protected``), through ``PUT /api/v2/recordings/deletionprotection?protect=true|false``
and ``POST /api/v2/recordings/deletionprotection``, in batches of at most 100 ids [documented].

The org-wide cap of 1,000 protected conversations [documented] is enforced before any change:
Genesys has **no GET** of the protected conversations, so recops counts what it can honestly
know, and says so in the refusal:

1. before any request: more than 1,000 distinct ids can never all be protected → refused,
   nothing read or sent;
2. then the POST check (a read, no change) over the conversations recops knows (the given ids
   and those the journal protected): the ones protected now plus the new ones; over the cap →
   refused before any PUT.

Conversations protected outside recops (another tool, the admin UI) and not among the given ids
are not counted: the count is a lower bound, and the message says it is.

Each conversation's change is journaled (``lifecycle_changes``: intent before the PUT, outcome
after); ``failedUpdates`` of the answer become failed rows; a real org needs ``confirm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from recops.genesys.errors import ApiError, ConfirmationRequired, HoldCapExceeded, RecopsError

from .inputs import Ids, batches, conversation_ids
from .rows import RowsResult

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client

    from .journal import LifecycleJournal

MAX_IDS = 100  # conversation ids per request [documented]
ORG_CAP = 1000  # protected conversations per org [documented]
ENDPOINT = "PUT /api/v2/recordings/deletionprotection?protect={}"


@dataclass
class HoldResult(RowsResult):
    """One row per conversation: ``result`` protected / revoked / already / dry run / failed /
    invalid / in doubt / not sent, with Genesys's code and message for a failed update."""

    COLUMNS: ClassVar[dict[str, str]] = {"conversation_id": "string", "action": "string", "result": "string",
                                         "error_code": "string", "message": "string"}
    SHOWN: ClassVar[tuple[str, ...]] = ("conversation_id", "result", "error_code", "message")
    protected_count: int | None = None  # the count the cap check used (see count_basis)
    count_basis: str = ""

    def detail(self, r: dict[str, Any]) -> str:
        return ": ".join(str(r[c]) for c in ("error_code", "message") if r.get(c))


def _query(client: Client, ids: list[str]) -> Any:
    q = client.sdk().ConversationDeletionProtectionQuery()
    q.conversation_ids = list(ids)
    return q


def check(client: Client, ids: list[str]) -> set[str]:
    """The conversations among ``ids`` that are protected now (the POST check, 100 at a time)."""
    found: set[str] = set()
    for chunk in batches(ids, MAX_IDS):
        refs = client.call("POST", "/api/v2/recordings/deletionprotection",
                           client.recording_api.post_recordings_deletionprotection, _query(client, chunk))
        found.update(r.id for r in refs or [])
    return found


def protected_frame(client: Client, source: Any) -> pd.DataFrame:
    """``conversation_id``, ``protected`` (boolean; NA for a malformed id, for which nothing is sent)."""
    from recops.base.frames import typed_frame

    ids = conversation_ids(source)
    found = check(client, ids.valid) if ids.valid else set()
    rows = [{"conversation_id": c, "protected": c in found} for c in ids.valid]
    rows += [{"conversation_id": c, "protected": None} for c in ids.invalid]
    return typed_frame(rows, {"conversation_id": "string", "protected": "boolean"})


def _invalid_rows(ids: Ids, action: str) -> list[dict[str, Any]]:
    return [{"conversation_id": c, "action": action, "result": "invalid", "error_code": None,
             "message": "not a conversation id (a UUID): nothing was sent for it"} for c in ids.invalid]


def _basis(given: int, journal_known: int, target: str) -> str:
    return (f"the POST check over the {given + journal_known} conversation(s) recops knows on {target} "
            f"({given} given here, {journal_known} more that this journal protected and did not revoke); "
            "Genesys has no GET of protected conversations, so any protected outside recops and not given "
            "here are not counted (a lower bound)")


def change(client: Client, journal: LifecycleJournal, action: str, source: Any, *, confirm: bool = False,
           dry_run: bool = False) -> HoldResult:
    """``action`` is ``protect`` or ``revoke``; see the module's docstring."""
    protect = action == "protect"
    ids = conversation_ids(source)
    target_text = client.describe()
    if not client.target.is_sandbox and not confirm and not dry_run:
        raise ConfirmationRequired(f"{action} on {len(ids.valid)} conversation(s) would change legal hold on the "
                                   f"{target_text}; nothing was read or sent")
    rows: dict[str, dict[str, Any]] = {}
    result = HoldResult(title=f"{'DRY RUN ' if dry_run else ''}{action} on {len(ids.valid) + len(ids.invalid)} "
                              f"conversation(s) ({target_text})")
    if not ids.valid:
        result.rows = _invalid_rows(ids, action)
        return result
    if protect and len(ids.valid) > ORG_CAP:
        # before any request: more distinct conversations than the cap can never all be protected
        raise HoldCapExceeded(f"protecting {len(ids.valid)} conversations would pass the org's cap of {ORG_CAP} "
                              "protected conversations whatever is protected now; nothing was read or sent")
    client.api_client  # noqa: B018 - authenticate first
    target = client.describe()
    known = journal.protected_by_recops(target)
    journal_known = known - set(ids.valid)
    now = check(client, sorted(set(ids.valid) | journal_known))
    if protect:
        new = [c for c in ids.valid if c not in now]
        result.protected_count = len(now)
        result.count_basis = _basis(len(ids.valid), len(journal_known), target)
        if len(now) + len(new) > ORG_CAP:
            raise HoldCapExceeded(
                f"protecting {len(new)} more conversation(s) would pass the org's cap of {ORG_CAP}: at least "
                f"{len(now)} are protected now, counted by {result.count_basis}. Nothing was changed")
        result.notes.append(f"protected now: at least {len(now)} (+{len(new)} new) of the org's cap of {ORG_CAP}; "
                            f"counted by {result.count_basis}")
        todo = new
        for c in ids.valid:
            if c in now:
                rows[c] = {"conversation_id": c, "action": action, "result": "already", "error_code": None,
                           "message": "already protected: nothing sent"}
    else:
        todo = [c for c in ids.valid if c in now]
        for c in ids.valid:
            if c not in now:
                rows[c] = {"conversation_id": c, "action": action, "result": "already", "error_code": None,
                           "message": "not protected: nothing sent"}
    endpoint = ENDPOINT.format("true" if protect else "false")
    if dry_run:
        for c in todo:
            rows[c] = {"conversation_id": c, "action": action, "result": "dry run", "error_code": None,
                       "message": f"would send {endpoint} (in a batch of at most {MAX_IDS})"}
    else:
        _send(client, journal, action, todo, target, rows)
    result.rows = [rows[c] for c in ids.valid] + _invalid_rows(ids, action)
    return result


def _send(client: Client, journal: LifecycleJournal, action: str, todo: list[str], target: str,
          rows: dict[str, dict[str, Any]]) -> None:
    protect = action == "protect"
    endpoint = ENDPOINT.format("true" if protect else "false")
    principal = client.principal
    done_word = "protected" if protect else "revoked"
    stopped: RecopsError | None = None
    for chunk in batches(todo, MAX_IDS):
        if stopped is not None:
            for c in chunk:
                rows[c] = {"conversation_id": c, "action": action, "result": "not sent", "error_code": None,
                           "message": f"not sent: an earlier batch failed ({stopped.message})"}
            continue
        entry_ids = journal.intents([{"conversation_id": c, "endpoint": endpoint, "request": {"conversationIds": [c]},
                                      "before": "unprotected" if protect else "protected",
                                      "desired": "protected" if protect else "unprotected"} for c in chunk],
                                    target=target, principal=principal, kind=action)
        try:
            answer = client.call("PUT", "/api/v2/recordings/deletionprotection",
                                 client.recording_api.put_recordings_deletionprotection, protect=protect,
                                 body=_query(client, chunk))
        except ApiError as e:
            stopped = e
            sure = e.status < 500
            journal.outcomes([(i, "failed", {"http_status": e.status, "error_code": e.code,
                                             "message": e.genesys_message}) for i in entry_ids] if sure else [])
            for c in chunk:
                rows[c] = {"conversation_id": c, "action": action, "result": "failed" if sure else "in doubt",
                           "error_code": e.code, "message": e.genesys_message}
            continue
        except RecopsError as e:  # no answer: the batch may or may not have been applied (left at intent)
            stopped = e
            for c in chunk:
                rows[c] = {"conversation_id": c, "action": action, "result": "in doubt", "error_code": None,
                           "message": f"no answer, in doubt: {e.message} (check with rc.protected)"}
            continue
        failed = {f.conversation.id: f for f in (getattr(answer, "failed_updates", None) or [])
                  if getattr(f, "conversation", None) is not None}
        status = client.last_status()
        updates = []
        for entry_id, c in zip(entry_ids, chunk, strict=True):
            f = failed.get(c)
            if f is not None:
                updates.append((entry_id, "failed", {"http_status": status, "error_code": f.error_code,
                                                     "message": f.error_message}))
                rows[c] = {"conversation_id": c, "action": action, "result": "failed", "error_code": f.error_code,
                           "message": f.error_message}
            else:
                updates.append((entry_id, "applied", {"http_status": status, "after": done_word}))
                rows[c] = {"conversation_id": c, "action": action, "result": done_word, "error_code": None,
                           "message": None}
        journal.outcomes(updates)
