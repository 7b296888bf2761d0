"""Legal hold through ``rc.protect`` / ``rc.revoke`` / ``rc.protected`` against the real sandbox:
batches of at most 100, the org's 1,000 cap refused before any change with the count shown,
failedUpdates as rows, the journal, dry run, and a real org refused without confirm."""

from __future__ import annotations

import pytest

from recops import ConfirmationRequired
from recops.genesys.errors import HoldCapExceeded

from ..conftest import Demo
from .helpers import clear_log, lifecycle_session, recorded_ids, sent

DP = "/api/v2/recordings/deletionprotection"
UNKNOWN = "c0a80001-0000-4000-8000-00000000dead"


def statuses_of(rc):
    return {r["conversation_id"]: r["status"] for r in rc.lifecycle_journal.changes(kind="protect")}


@pytest.fixture
def rc(sb, tmp_path):
    return lifecycle_session(sb, tmp_path / "journal.sqlite")


def test_protect_250_in_batches_of_100_then_check_and_revoke(sb, rc):
    ids = recorded_ids(sb, 250)
    clear_log(sb)
    result = rc.protect(ids)
    puts = sent(sb, "PUT", DP)
    assert len(puts) == 3 and all(r["status"] == 200 for r in puts)
    assert result.counts == {"protected": 250}
    assert result.frame["conversation_id"].tolist() == ids
    assert result.protected_count == 0 and "POST check" in result.count_basis

    checked = rc.protected([*ids, UNKNOWN, "nonsense"])
    assert checked["protected"].iloc[:250].all() and not checked["protected"].iloc[250]
    assert checked["protected"].isna().iloc[251]

    journal = rc.lifecycle_journal.changes(kind="protect")
    assert len(journal) == 250 and {r["status"] for r in journal} == {"applied"}
    assert rc.lifecycle_journal.protected_by_recops(rc.target) == set(ids)

    clear_log(sb)
    revoked = rc.revoke([*ids[:120], UNKNOWN])
    assert revoked.counts == {"revoked": 120, "already": 1}
    assert len(sent(sb, "PUT", DP)) == 2
    assert rc.protected(ids)["protected"].tolist() == [False] * 120 + [True] * 130
    assert rc.lifecycle_journal.protected_by_recops(rc.target) == set(ids[120:])


def test_failed_updates_become_rows_and_invalid_ids_are_never_sent(sb, rc):
    clear_log(sb)
    result = rc.protect([Demo.ENDED, UNKNOWN, "not-an-id", Demo.UNRECORDED])
    rows = {r["conversation_id"]: r for r in result.rows}
    assert rows[Demo.ENDED]["result"] == "protected"
    assert rows[UNKNOWN]["result"] == "failed" and rows[UNKNOWN]["error_code"] == "not.found"
    assert rows[Demo.UNRECORDED]["result"] == "failed"
    assert rows["not-an-id"]["result"] == "invalid"
    assert len(sent(sb, "PUT", DP)) == 1 and "not-an-id" not in statuses_of(rc)
    assert statuses_of(rc) == {Demo.ENDED: "applied", UNKNOWN: "failed", Demo.UNRECORDED: "failed"}


def test_dry_run_sends_no_change(sb, rc):
    clear_log(sb)
    result = rc.protect([Demo.ENDED, Demo.EMAIL], dry_run=True)
    assert result.counts == {"dry run": 2}
    assert sent(sb, "PUT", DP) == [] and rc.lifecycle_journal.changes() == []
    assert not rc.protected([Demo.ENDED])["protected"].any()


def test_cap_is_refused_before_any_change_with_the_count_shown(sb, rc, tmp_path):
    ids = recorded_ids(sb, 1005)
    rc.protect(ids[:990])
    # the POST check over what recops knows (these 15 and the 990 this journal protected) finds 990:
    # 15 more would pass 1,000, refused before any PUT, the count and what it is based on shown
    clear_log(sb)
    with pytest.raises(HoldCapExceeded) as err:
        rc.protect(ids[990:1005])
    message = err.value.message
    assert "at least 990 are protected now" in message and "no GET" in message
    assert "15 given here, 990 more that this journal protected" in message
    assert sent(sb, "PUT", DP) == [] and len(sent(sb, "POST", DP)) == 11
    # another journal (another machine or tool) knows nothing of those 990: its check over the given ids
    # finds them all the same (and says so in the count it shows)
    other = lifecycle_session(sb, tmp_path / "other-journal.sqlite")
    result = other.protect(ids[:1000])
    assert result.counts == {"already": 990, "protected": 10} and result.protected_count == 990
    assert "1000 given here, 0 more that this journal protected" in result.notes[0]
    # more ids than the cap: refused before any request at all
    clear_log(sb)
    with pytest.raises(HoldCapExceeded, match="whatever is protected now"):
        other.protect(ids + recorded_ids(sb, 1010)[1005:])
    assert [r for r in sent(sb, "", "") if r["path"].startswith("/api")] == []


def test_real_org_target_refuses_without_confirm_before_any_request(tmp_path):
    import recops

    rc = recops.connect(client_id="id", client_secret="secret", region="eu-west-1",
                        journal=tmp_path / "journal.sqlite")
    with pytest.raises(ConfirmationRequired):
        rc.protect([Demo.ENDED])
    with pytest.raises(ConfirmationRequired):
        rc.revoke([Demo.ENDED])


def test_a_result_renders_as_a_table_or_as_lines_and_as_html(sb, rc):
    from rich.console import Console

    result = rc.protect([Demo.ENDED, UNKNOWN])
    wide, narrow = Console(width=200, record=True), Console(width=60, record=True)
    wide.print(result)
    narrow.print(result)
    table = wide.export_text()
    assert "┃ conversation_id" in table and Demo.ENDED in table
    lines = narrow.export_text()
    assert "┃" not in lines and f"- {UNKNOWN}: failed" in lines
    assert "not.found: The conversation was not found." in " ".join(lines.split())
    html = result._repr_html_()
    assert "recops-lifecycle" in html and f"<code>{Demo.ENDED}</code>" in html and "protected" in html
