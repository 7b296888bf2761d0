"""Orphan recordings from the client side (issue 19): list them, and re-attach one to its
conversation (``PUT /api/v2/orphanrecordings/{id}``), journaled, with a dry run and the real-org rail.

``list_orphans``: ``has_conversation=True`` pages ``?hasConversation=true`` (uncapped: the orphans whose
conversation is known); ``False`` pages the default list (every orphan, **capped at 500** by Genesys)
and keeps those naming no known conversation; ``None`` both, merged. 100 a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from recops.base.frames import typed_frame
from recops.genesys.errors import ConfirmationRequired, RecopsError

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client
    from recops.ops.journal import Journal

PAGE_SIZE = 100  # the sandbox's orphanPageSizeMax default; Genesys documents no maximum
LIST_CAP = 500  # the default list's cap [documented]
KNOWN = ("CONVERSATION_NOT_COMPLETE", "CONVERSATION_NOT_EVALUATED", "EVALUATED")
FRAME_COLUMNS = {
    "orphan_id": "string", "created": "datetime64[ns, UTC]", "orphan_status": "string", "media_type": "string",
    "conversation_id": "string", "recording_id": "string", "file_state": "string",
}
PATH = "/api/v2/orphanrecordings"


def _row(o: Any) -> dict[str, Any]:
    rec = getattr(o, "recording", None)
    return {"orphan_id": o.id, "created": o.created_time, "orphan_status": o.orphan_status,
            "media_type": o.media_type, "conversation_id": getattr(rec, "conversation_id", None),
            "recording_id": getattr(rec, "id", None), "file_state": o.file_state}


def _pages(client: Client, has_conversation: bool) -> tuple[list[dict[str, Any]], int]:
    """Every page of one list; returns the rows and the requests made."""
    rows: list[dict[str, Any]] = []
    number, requests = 1, 0
    kwargs: dict[str, Any] = {"has_conversation": True} if has_conversation else {}
    while True:
        page = client.call("GET", PATH, client.recording_api.get_orphanrecordings, page_size=PAGE_SIZE,
                           page_number=number, **kwargs)
        requests += 1
        rows += [_row(o) for o in page.entities or []]
        if not page.next_uri or not page.entities:
            return rows, requests
        number += 1


def fetch_orphans(client: Client, has_conversation: bool | None = None) -> tuple[list[dict[str, Any]], int, bool]:
    """The orphan rows, the requests made, and whether the capped list may have left some out."""
    rows: dict[str, dict[str, Any]] = {}
    requests, capped = 0, False
    if has_conversation in (None, True):
        known, n = _pages(client, True)
        requests += n
        rows.update({r["orphan_id"]: r for r in known})
    if has_conversation in (None, False):
        every, n = _pages(client, False)
        requests += n
        capped = len(every) >= LIST_CAP
        for r in every:
            if has_conversation is None or r["orphan_status"] not in KNOWN:
                rows.setdefault(r["orphan_id"], r)
    return sorted(rows.values(), key=lambda r: (r["created"] or datetime.min, r["orphan_id"])), requests, capped


def orphans_frame(client: Client, has_conversation: bool | None = None) -> pd.DataFrame:
    rows, _, capped = fetch_orphans(client, has_conversation)
    frame = typed_frame(rows, FRAME_COLUMNS)
    frame.attrs["notes"] = [f"the list without hasConversation=true stops at {LIST_CAP} orphans (Genesys's cap): "
                            "orphans naming no conversation beyond it are not shown"] if capped else []
    return frame


@dataclass(frozen=True)
class Reattached:
    """What ``reattach_orphan`` did (or, in a dry run, would do)."""

    orphan_id: str
    conversation_id: str | None
    recording_id: str | None
    target: str
    dry_run: bool
    journal_id: int | None = None
    file_state: str | None = None

    def __repr__(self) -> str:
        verb = "would re-attach" if self.dry_run else "re-attached"
        where = self.conversation_id or "the conversation its media names"
        jid = f", journal #{self.journal_id}" if self.journal_id is not None else ""
        return f"<Reattached: {verb} orphan {self.orphan_id} to {where} on {self.target}{jid}>"

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(repr(self))}</code>"


def reattach_orphan(client: Client, journal: Journal | None, orphan_id: str, conversation_id: str | None = None, *,
                    confirm: bool = False, dry_run: bool = False) -> Reattached:
    """Turn orphan ``orphan_id`` into a recording of ``conversation_id`` (default: the conversation
    its media names). On a real org it needs ``confirm`` (asked before anything is read or sent);
    ``dry_run`` reads the orphan and says what would be sent, journaling nothing. The intent is
    journaled before the PUT and its outcome after."""
    target = client.describe()
    if not client.target.is_sandbox and not confirm and not dry_run:
        raise ConfirmationRequired(f"re-attaching orphan {orphan_id} would change recordings on the {target}; "
                                   "nothing was read or sent")
    path = f"{PATH}/{orphan_id}"
    orphan = client.call("GET", path, client.recording_api.get_orphanrecording, orphan_id)
    named = getattr(getattr(orphan, "recording", None), "conversation_id", None)
    rid = getattr(getattr(orphan, "recording", None), "id", None)
    cid = conversation_id or named
    if dry_run:
        return Reattached(orphan_id, cid, rid, target, dry_run=True)
    body = client.sdk().OrphanUpdateRequest()
    if conversation_id:
        body.conversation_id = conversation_id
    jid = None
    if journal is not None:
        jid = journal.intent(target=target, principal=client.principal, action="reattach_orphan",
                             conversation_id=cid or "", participant_id=None, endpoint=f"PUT {path}",
                             request={"orphanId": orphan_id, "conversationId": conversation_id},
                             before="ORPHAN", desired="RECORDING")
    try:
        rec = client.call("PUT", path, client.recording_api.put_orphanrecording, orphan_id, body=body)
    except RecopsError as e:
        if journal is not None and jid is not None:
            status = getattr(e, "status", None)
            if isinstance(status, int) and 400 <= status < 500:
                journal.outcome(jid, status="failed", http_status=status, error_code=getattr(e, "code", None),
                                message=e.message)
            else:
                journal.note(jid, f"no clear answer, in doubt: {e.message}")
        raise
    if journal is not None and jid is not None:
        journal.outcome(jid, status="applied", after=rec.file_state, http_status=client.last_status(),
                        context_id=client.last_context_id(),
                        message=f"orphan {orphan_id} is recording {rec.id} of {rec.conversation_id}")
    return Reattached(orphan_id, rec.conversation_id, rec.id, target, dry_run=False, journal_id=jid,
                      file_state=rec.file_state)
