"""Settling the legal-hold and retention changes left in doubt (``lifecycle_changes`` rows at
``intent``: the request left, its answer never came) by READING the live state, like
``recops.ops.reconcile`` does for recording-state changes:

- ``protect`` / ``revoke``: the POST check (100 at a time) says whether each conversation is
  protected now: ``resolved-applied`` when that is what was asked, else ``resolved-not-applied``;
- ``retention``: the recording's dates (``…/recordingmetadata``) are compared with the dates
  asked for.

A change younger than ``settle_after`` seconds (default: connect + read timeout) may still be in
flight, and rows of a process still running on this host are not touched: both stay in doubt.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import RecopsError
from recops.ops.journal import pid_alive

from .hold import check
from .retention import iso

if TYPE_CHECKING:
    import pandas as pd

    from recops.api.client import Client

    from .journal import LifecycleJournal

COLUMNS = {"id": "Int64", "kind": "string", "conversation_id": "string", "recording_id": "string",
           "status": "string", "note": "string"}


def reconcile_changes(client: Client, journal: LifecycleJournal, settle_after: float | None = None) -> pd.DataFrame:
    from recops.base.frames import typed_frame

    if settle_after is None:
        settle_after = client.settings.connect_timeout + client.settings.read_timeout
    client.api_client  # noqa: B018 - authenticate (and resolve the target's description) first
    target, host, now = client.describe(), socket.gethostname(), datetime.now(timezone.utc)
    doubt = [r for r in journal.changes(target=target) if r["status"] == "intent"
             and not (r["host"] == host and r["pid"] != os.getpid() and pid_alive(r["pid"]))]
    rows: list[dict[str, Any]] = []
    young = [r for r in doubt if (now - datetime.fromisoformat(r["started_at"])).total_seconds() < settle_after]
    for r in young:
        rows.append(_row(r, "intent", f"may still be in flight: reconcile again after {settle_after:.0f} s"))
    ripe = [r for r in doubt if r not in young]
    holds = [r for r in ripe if r["kind"] in ("protect", "revoke")]
    updates: list[tuple[int, str, dict[str, Any]]] = []
    if holds:
        try:
            protected = check(client, sorted({r["conversation_id"] for r in holds}))
        except RecopsError as e:
            rows += [_row(r, "intent", f"still in doubt: {e.message}") for r in holds]
        else:
            for r in holds:
                now_protected = r["conversation_id"] in protected
                applied = now_protected == (r["kind"] == "protect")
                state = "protected" if now_protected else "unprotected"
                status = "resolved-applied" if applied else "resolved-not-applied"
                updates.append((r["id"], status, {"after": state, "message": f"reconciled by the POST check: {state}"}))
                rows.append(_row(r, status, state))
    for r in (r for r in ripe if r["kind"] == "retention"):
        try:
            metas = client.call("GET", f"/api/v2/conversations/{r['conversation_id']}/recordingmetadata",
                                client.recording_api.get_conversation_recordingmetadata, r["conversation_id"])
        except RecopsError as e:
            rows.append(_row(r, "intent", f"still in doubt: {e.message}"))
            continue
        meta = next((m for m in metas or [] if m.id == r["recording_id"]), None)
        now_dates = {"archiveDate": iso(getattr(meta, "archive_date", None)),
                     "deleteDate": iso(getattr(meta, "delete_date", None))}
        asked = json.loads(r["request"] or "{}")
        applied = meta is not None and all(now_dates.get(k) == v for k, v in asked.items())
        status = "resolved-applied" if applied else "resolved-not-applied"
        updates.append((r["id"], status, {"after": json.dumps(now_dates),
                                          "message": "reconciled by reading the recording's dates"}))
        rows.append(_row(r, status, json.dumps(now_dates)))
    journal.outcomes(updates)
    return typed_frame(rows, COLUMNS)


def _row(r: dict[str, Any], status: str, note: str) -> dict[str, Any]:
    return {"id": r["id"], "kind": r["kind"], "conversation_id": r["conversation_id"],
            "recording_id": r["recording_id"], "status": status, "note": note}
