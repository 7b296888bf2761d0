"""``Session.pause_many`` / ``resume_many`` against the real sandbox: one Outcome per id in
order, bad ids reported without stopping the rest, journaled like the single-id verbs, paced,
and rendered as a table (rich and HTML)."""

from __future__ import annotations

import pytest
from rich.console import Console

import recops
from recops import ConfirmationRequired
from recops.ops.bulk import Outcomes

from ..conftest import Demo
from .ops_helpers import api_log, clear_log, connect, summary, writes

BOGUS = "c0a80001-0000-4000-8000-00000000dead"
PUT = "/api/v2/conversations/calls/{}/recordingstate"


@pytest.fixture
def rc(sb, tmp_path) -> recops.Session:
    return connect(sb, None, tmp_path / "journal.sqlite")


def test_pause_many_reports_every_id_in_order_and_does_the_rest(sb, rc):
    ids = [Demo.ACTIVE, "not-a-conversation", Demo.PAUSED, BOGUS, Demo.ENDED, Demo.UNRECORDED, Demo.ACTIVE,
           Demo.HELD]
    clear_log(sb)
    seen: list[tuple[int, int, str]] = []
    outcomes = rc.pause_many(ids, on_progress=lambda done, total, o: seen.append((done, total, o.conversation_id)))

    assert isinstance(outcomes, Outcomes)
    assert [o.conversation_id for o in outcomes] == ids
    assert [Outcomes.result_of(o) for o in outcomes] == [
        "changed", "failed", "skipped", "failed", "failed", "skipped", "skipped", "changed"]
    active, malformed, paused, bogus, ended, unrecorded, repeat, held = outcomes
    assert (active.before, active.after) == ("ACTIVE", "PAUSED")
    assert (held.before, held.after) == ("PAUSED", "PAUSED") and held.changed  # hold-suppressed -> secure pause
    assert malformed.error is not None and malformed.error.error_type == "ConfigError"
    assert bogus.error is not None and (bogus.error.status, bogus.error.code) == (404, "not.found")
    assert bogus.error.context_id in [r["contextId"] for r in api_log(sb)]
    assert ended.error is not None and ended.error.error_type == "InvalidTransition"
    assert paused.skipped and "already PAUSED" in (paused.reason or "")
    assert unrecorded.skipped and "NONE" in (unrecorded.reason or "")
    assert repeat.skipped and "repeated in the list" in (repeat.reason or "") and repeat.journal_id is None
    assert outcomes.counts == {"changed": 2, "dry run": 0, "skipped": 3, "failed": 3}

    # the sandbox: both changes made, each id's PUT sent once, nothing sent for the malformed id
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "PAUSED"
    assert summary(sb, Demo.HELD)["securePause"] is True
    assert sorted(writes(sb)) == sorted([("PUT", PUT.format(Demo.ACTIVE), 200), ("PUT", PUT.format(Demo.HELD), 200)])
    assert not any("not-a-conversation" in r["path"] for r in api_log(sb))

    # journaled as the single-id verbs: applied changes and skipped no-ops, nothing for failures or repeats
    entries = {(e.conversation_id, e.status) for e in rc.journal.entries()}
    assert entries == {(Demo.ACTIVE, "applied"), (Demo.HELD, "applied"), (Demo.PAUSED, "skipped"),
                       (Demo.UNRECORDED, "skipped")}
    assert [o.journal_id for o in outcomes if o.journal_id] == [
        e.id for e in sorted(rc.journal.entries(), key=lambda e: ids.index(e.conversation_id))]

    # progress: once per id, counting up to the total
    assert [(d, t) for d, t, _ in seen] == [(i, len(ids)) for i in range(1, len(ids) + 1)]
    assert sorted(cid for _, _, cid in seen) == sorted(ids)


def test_an_api_error_on_one_write_does_not_stop_the_others(sb, rc):
    sb.control.fault(method="PUT", path=PUT.format(Demo.ACTIVE), status=403, code="missing.any.permissions")
    failed, held = rc.pause_many([Demo.ACTIVE, Demo.HELD], concurrency=1)
    assert failed.error is not None and (failed.error.status, failed.error.code) == (403, "missing.any.permissions")
    assert failed.error.error_class() is recops.PermissionDenied
    assert "failed, missing.any.permissions" in failed.summary()
    assert held.changed and summary(sb, Demo.HELD)["securePause"] is True
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "ACTIVE"
    journal = {e.conversation_id: e for e in rc.journal.entries()}
    assert journal[Demo.ACTIVE].status == "failed" and journal[Demo.ACTIVE].error_code == "missing.any.permissions"
    assert journal[Demo.HELD].status == "applied"


def test_dry_run_sends_and_journals_nothing(sb, rc):
    clear_log(sb)
    outcomes = rc.pause_many([Demo.ACTIVE, Demo.PAUSED], dry_run=True)
    assert [Outcomes.result_of(o) for o in outcomes] == ["dry run", "skipped"]
    assert outcomes[0].endpoint == f"PUT {PUT.format(Demo.ACTIVE)}"
    assert writes(sb) == [] and rc.journal.entries() == []
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "ACTIVE"


def test_rate_limit_waits_are_waited_out_and_reported(sb, rc):
    waits: list = []
    rc.on_wait(waits.append)
    sb.control.fault(method="PUT", path="/api/v2/conversations/*/recordingstate", status=429, retryAfter=1)
    outcomes = rc.pause_many([Demo.ACTIVE, Demo.HELD])
    assert all(o.changed for o in outcomes), outcomes.summary()
    assert any(w.reason == "retry-after" and w.status == 429 for w in waits)


def test_a_real_org_batch_needs_confirmation_before_anything(tmp_path):
    settings = recops.Settings.load(env={"GENESYSCLOUD_REGION": "eu-west-1",
                                         "GENESYSCLOUD_OAUTHCLIENT_ID": "real-client-id",
                                         "GENESYSCLOUD_OAUTHCLIENT_SECRET": "real-secret"})
    session = recops.Session(settings, journal=tmp_path / "j.sqlite")
    with pytest.raises(ConfirmationRequired) as info:
        session.pause_many([Demo.ACTIVE, Demo.PAUSED])
    assert "2 conversation(s)" in info.value.message and "nothing was read or sent" in info.value.message
    assert session.client._api is None and session.journal.entries() == []


def test_outcomes_render_as_rich_and_html_tables(sb, rc):
    outcomes = rc.pause_many([Demo.ACTIVE, Demo.PAUSED, "<bad>"])
    console = Console(record=True, width=200, color_system=None)
    console.print(outcomes)
    text = console.export_text()
    assert "pause on 3 conversation(s): 1 changed, 1 skipped, 1 failed" in text
    assert Demo.ACTIVE in text and "ACTIVE -> PAUSED" in text and "already PAUSED" in text
    assert "ConfigError: '<bad>' is not a conversation id" in text
    page = outcomes._repr_html_()
    assert page.count("<tr>") == 4 and "&lt;bad&gt;" in page and "<bad>" not in page
    assert "1 changed, 1 skipped, 1 failed" in page
    frame = outcomes.to_frame()
    assert list(frame["error"].astype(object).fillna("-")) == ["-", "-", "ConfigError"]
