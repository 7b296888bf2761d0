"""Retention in bulk: new archive/delete dates (or none) for every recording of many
conversations, or for given recordings, through
``PUT /api/v2/conversations/{cid}/recordings/{rid}`` with a ``Recording`` body carrying only
the dates [documented]. A policy cannot change recordings that already exist; this can.

- the recordings and their current dates come from ``GET …/{cid}/recordingmetadata`` (one read
  per conversation), so every row shows before → after;
- clearing a date sends an explicit JSON ``null`` (the SDK drops ``None`` fields; its
  ``ApiNullValue`` is serialised as ``null``) [documented: facts sheet §2.1];
- a ``deleteDate`` for a conversation under legal hold is refused per recording, before
  anything is sent (the POST check, in batches of 100), with the reason;
- a recording whose dates would not change is ``unchanged`` (nothing sent);
- up to ``concurrency`` conversations are worked on at once (the transport paces every request
  from the rate-limit headers); rows come back in the order given;
- each PUT is journaled (``lifecycle_changes``, kind ``retention``: intent before, outcome after);
- ``dry_run`` reads but sends nothing and journals nothing; a real org needs ``confirm``.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from recops.api.settings import DEFAULT_CONCURRENCY
from recops.genesys.errors import ApiError, ConfigError, ConfirmationRequired, RecopsError

from .hold import check
from .inputs import UUID_RE, conversation_ids, recording_pairs
from .rows import RowsResult

if TYPE_CHECKING:
    from recops.api.client import Client

    from .journal import LifecycleJournal

FIELDS = {"archiveDate": "archive_date", "deleteDate": "delete_date"}
PROTECTED_REASON = ("refused: the conversation is under legal hold (deletion protection); revoke the protection "
                    "before giving its recordings a deleteDate. Nothing was sent")


@dataclass
class RetentionResult(RowsResult):
    """One row per recording: ``result`` changed / unchanged / dry run / refused / failed /
    invalid / in doubt, with the dates before and after."""

    COLUMNS: ClassVar[dict[str, str]] = {
        "conversation_id": "string", "recording_id": "string", "result": "string", "archive_before": "string",
        "archive_after": "string", "delete_before": "string", "delete_after": "string", "error_code": "string",
        "message": "string"}
    SHOWN: ClassVar[tuple[str, ...]] = ("conversation_id", "recording_id", "result", "archive_before",
                                        "archive_after", "delete_before", "delete_after", "message")

    def detail(self, r: dict[str, Any]) -> str:
        def d(value: Any) -> str:
            return "none" if value is None else str(value)[:16].replace("T", " ")

        dates = [f"{name} {d(r.get(f'{key}_before'))} -> {d(r.get(f'{key}_after'))}"
                 for name, key in (("archive", "archive"), ("delete", "delete"))
                 if r.get(f"{key}_before") != r.get(f"{key}_after") or r.get(f"{key}_after") is not None]
        return "; ".join([*dates, *([str(r["message"])] if r.get("message") else [])])


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_date(value: datetime | str | None, name: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ConfigError(f"{name} has no time zone", "give an aware datetime, or an ISO-8601 text ending in Z")
        return value
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{name} {value!r} is not an ISO-8601 date", "e.g. 2030-01-01T00:00:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _wanted(archive_date: Any, delete_date: Any, clear: Iterable[str]) -> dict[str, datetime | None]:
    """The dates to send: key -> a date, or None to clear it."""
    clear = tuple(clear)
    unknown = [c for c in clear if c not in FIELDS]
    if unknown:
        raise ConfigError(f"cannot clear {', '.join(unknown)}", f"clear takes {' and '.join(FIELDS)}")
    wanted: dict[str, datetime | None] = {}
    for key, value in (("archiveDate", archive_date), ("deleteDate", delete_date)):
        parsed = parse_date(value, key)
        if parsed is not None:
            if key in clear:
                raise ConfigError(f"{key} is both given and cleared", "give it, or clear it, not both")
            wanted[key] = parsed
    for key in clear:
        wanted[key] = None
    if not wanted:
        raise ConfigError("nothing to change", "give archive_date, delete_date, or clear=('deleteDate',...)")
    return wanted


def set_retention(client: Client, journal: LifecycleJournal, source: Any, *, archive_date: Any = None,
                  delete_date: Any = None, clear: Iterable[str] = (), dry_run: bool = False,
                  confirm: bool = False, concurrency: int = DEFAULT_CONCURRENCY) -> RetentionResult:
    """See the module's docstring."""
    wanted = _wanted(archive_date, delete_date, clear)
    pairs = recording_pairs(source)
    if pairs is not None:
        convs = list(dict.fromkeys(c for c, _ in pairs))
        only: set[tuple[str, str]] | None = set(pairs)
        invalid = [c for c in convs if not UUID_RE.fullmatch(c)]
        convs = [c for c in convs if UUID_RE.fullmatch(c)]
    else:
        ids = conversation_ids(source)
        convs, invalid, only = ids.valid, ids.invalid, None
    target = client.describe()
    if not client.target.is_sandbox and not confirm and not dry_run:
        raise ConfirmationRequired(f"setting retention on the recordings of {len(convs)} conversation(s) would change "
                                   f"them on the {target}; nothing was read or sent")
    change_text = ", ".join(f"{k} {'cleared' if v is None else iso(v)}" for k, v in wanted.items())
    result = RetentionResult(title=f"{'DRY RUN ' if dry_run else ''}retention ({change_text}) on "
                                   f"{len(convs) + len(invalid)} conversation(s) ({target})")
    result.rows += [{"conversation_id": c, "recording_id": None, "result": "invalid", "message":
                     "not a conversation id (a UUID): nothing was sent for it"} for c in invalid]
    if not convs:
        return result
    client.api_client  # noqa: B018 - authenticate first
    target = client.describe()
    held = check(client, convs) if wanted.get("deleteDate") is not None else set()
    principal = client.principal  # read once, before the threads

    def one(cid: str) -> list[dict[str, Any]]:
        return _conversation(client, journal, cid, wanted, only, cid in held, dry_run, target, principal)

    # up to ``concurrency`` conversations at once (the transport paces every request); rows in input order
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(convs)))) as pool:
        for rows in pool.map(one, convs):
            result.rows += rows
    return result


def _recordings(client: Client, cid: str) -> list[Any]:
    path = f"/api/v2/conversations/{cid}/recordingmetadata"
    return list(client.call("GET", path, client.recording_api.get_conversation_recordingmetadata, cid) or [])


def _conversation(client: Client, journal: LifecycleJournal, cid: str, wanted: dict[str, datetime | None],
                  only: set[tuple[str, str]] | None, held: bool, dry_run: bool, target: str,
                  principal: str) -> list[dict[str, Any]]:
    try:
        recs = _recordings(client, cid)
    except RecopsError as e:
        return [{"conversation_id": cid, "recording_id": None, "result": "failed",
                 "error_code": getattr(e, "code", None), "message": f"its recordings could not be read: {e.message}"}]
    if only is not None:
        found = {r.id for r in recs}
        missing = [rid for c, rid in only if c == cid and rid not in found]
        recs = [r for r in recs if (cid, r.id) in only]
    else:
        missing = []
    rows: list[dict[str, Any]] = [{"conversation_id": cid, "recording_id": rid, "result": "failed",
                                   "message": "no such recording in this conversation"} for rid in missing]
    if not recs and not missing:
        rows.append({"conversation_id": cid, "recording_id": None, "result": "unchanged",
                     "message": "the conversation has no recording"})
    for rec in recs:
        before = {"archiveDate": iso(rec.archive_date), "deleteDate": iso(rec.delete_date)}
        after = dict(before) | {k: iso(v) for k, v in wanted.items()}
        row: dict[str, Any] = {"conversation_id": cid, "recording_id": rec.id, "archive_before": before["archiveDate"],
                               "archive_after": after["archiveDate"], "delete_before": before["deleteDate"],
                               "delete_after": after["deleteDate"], "error_code": None, "message": None}
        if held and wanted.get("deleteDate") is not None:
            row.update(result="refused", message=PROTECTED_REASON)
            if not dry_run:
                journal.refused([_entry(cid, rec.id, before, after, wanted)], target=target,
                                principal=principal, kind="retention", reason=PROTECTED_REASON)
        elif after == before:
            row.update(result="unchanged", message="the dates are already these: nothing sent")
        elif dry_run:
            row.update(result="dry run", message="would send PUT with " + ", ".join(
                f"{k}: {'null' if v is None else iso(v)}" for k, v in wanted.items()))
        else:
            row.update(_put(client, journal, cid, rec.id, before, after, wanted, target, principal))
        rows.append(row)
    return rows


def _entry(cid: str, rid: str, before: dict[str, Any], after: dict[str, Any],
           wanted: dict[str, datetime | None]) -> dict[str, Any]:
    import json

    return {"conversation_id": cid, "recording_id": rid,
            "endpoint": f"PUT /api/v2/conversations/{cid}/recordings/{rid}",
            "request": {k: iso(v) for k, v in wanted.items()}, "before": json.dumps(before),
            "desired": json.dumps(after)}


def _put(client: Client, journal: LifecycleJournal, cid: str, rid: str, before: dict[str, Any],
         after: dict[str, Any], wanted: dict[str, datetime | None], target: str, principal: str) -> dict[str, Any]:
    import json

    sdk = client.sdk()
    body = sdk.Recording()
    for key, value in wanted.items():
        setattr(body, FIELDS[key], sdk.ApiNullValue() if value is None else value)
    [entry] = journal.intents([_entry(cid, rid, before, after, wanted)], target=target, principal=principal,
                              kind="retention")
    path = f"/api/v2/conversations/{cid}/recordings/{rid}"
    try:
        answer = client.call("PUT", path, client.recording_api.put_conversation_recording, cid, rid, body)
    except ApiError as e:
        if e.status < 500:
            journal.outcomes([(entry, "failed", {"http_status": e.status, "error_code": e.code,
                                                 "message": e.genesys_message})])
            return {"result": "failed", "error_code": e.code, "message": e.genesys_message}
        return {"result": "in doubt", "error_code": e.code, "message": f"answered {e.status}, in doubt: read it again"}
    except RecopsError as e:
        return {"result": "in doubt", "message": f"no answer, in doubt: {e.message}"}
    now = {"archiveDate": iso(getattr(answer, "archive_date", None)),
           "deleteDate": iso(getattr(answer, "delete_date", None))}
    journal.outcomes([(entry, "applied", {"http_status": client.last_status(), "after": json.dumps(now)})])
    return {"result": "changed", "archive_after": now["archiveDate"], "delete_after": now["deleteDate"]}
