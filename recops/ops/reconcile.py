"""Settling in-doubt changes (journal rows left at ``intent``) by reading the live state."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import RecopsError

from .recording import status

if TYPE_CHECKING:
    from recops.api.client import Client

    from .journal import Journal


def reconcile(client: Client, journal: Journal, settle_after: float | None = None) -> list[dict[str, Any]]:
    """Settle every in-doubt change by reading the live state: applied if the state is the one
    desired, not applied otherwise. Returns what was decided.

    A change younger than ``settle_after`` seconds (default: the connect + read timeout) may
    still be in flight — a killed process's request can reach the server after it died — so it
    is left in doubt rather than settled on a read that could come too early."""
    if settle_after is None:
        settle_after = client.settings.connect_timeout + client.settings.read_timeout
    decided: list[dict[str, Any]] = []
    now = datetime.now(timezone.utc)
    for entry in journal.in_doubt():
        age = (now - datetime.fromisoformat(entry.started_at)).total_seconds()
        if age < settle_after:
            decided.append({"id": entry.id, "conversation_id": entry.conversation_id, "status": "intent",
                            "note": f"still in doubt: started {age:.0f} s ago, may still be in flight; "
                                    f"reconcile again after {settle_after:.0f} s"})
            continue
        try:
            st = status(client, entry.conversation_id, with_recordings=False)
            if entry.participant_id:
                now_state = "ON" if st.participant(entry.participant_id).adhoc else "OFF"
            else:
                now_state = st.recording_state
        except RecopsError as e:
            decided.append({"id": entry.id, "conversation_id": entry.conversation_id, "status": "intent",
                            "note": f"still in doubt: {e.message}"})
            continue
        applied = now_state == entry.desired_state
        status_text = "resolved-applied" if applied else "resolved-not-applied"
        journal.outcome(entry.id, status=status_text, after=now_state,
                        message=f"reconciled by reading the state: {now_state}")
        decided.append({"id": entry.id, "conversation_id": entry.conversation_id, "status": status_text,
                        "state": now_state})
    return decided
