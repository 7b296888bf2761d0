"""``recops.ops.participants.adhoc_rights``: who may start/stop each participant's ad-hoc recording,
and with which session, decided against the real sandbox; the chosen session's PATCH works."""

from __future__ import annotations

import pytest

import recops
from recops.ops.participants import NEEDS_USER_TOKEN, adhoc_rights, recording_agent

from ..conftest import Demo
from .ops_helpers import api_log, clear_log, connect, summary


@pytest.fixture
def rc(sb, tmp_path) -> recops.Session:
    return connect(sb, Demo.SUPERVISOR, tmp_path / "journal.sqlite")


def adhoc_on(sb, cid: str, pid: str) -> bool:
    return next(p for p in summary(sb, cid)["participants"] if p["id"] == pid)["adhoc"]


def test_on_the_sandbox_the_agent_acts_with_a_minted_token(sb, rc):
    st = rc.status(Demo.ACTIVE)
    rights = adhoc_rights(rc, st)
    assert rights.actor is not None and rights.actor is not rc and rights.reason is None
    assert rights.actor.client.auth_kind == "user_token"
    assert rights.actor_participant_id == Demo.ACTIVE_AGENT == recording_agent(st).id
    customer = rights.of(Demo.ACTIVE_CUSTOMER)
    assert (customer.can_start, customer.can_stop, customer.reason) == (True, False, None)
    assert rights.allows("start", Demo.ACTIVE_CUSTOMER) and not rights.allows("stop", Demo.ACTIVE_CUSTOMER)
    assert adhoc_rights(rc, st).actor is rights.actor  # minted once per user

    clear_log(sb)
    out = rights.actor.start(Demo.ACTIVE, Demo.ACTIVE_CUSTOMER)
    assert (out.before, out.after) == ("OFF", "ON") and adhoc_on(sb, Demo.ACTIVE, Demo.ACTIVE_CUSTOMER)
    [patch] = [r for r in api_log(sb) if r["method"] == "PATCH"]
    assert (patch["tokenKind"], patch["principal"]) == ("user", Demo.AVA)
    after = adhoc_rights(rc, rc.status(Demo.ACTIVE)).of(Demo.ACTIVE_CUSTOMER)
    assert (after.can_start, after.can_stop) == (False, True)


def test_nothing_is_possible_on_an_ended_call_or_other_media(rc):
    ended = adhoc_rights(rc, rc.status(Demo.ENDED))
    assert all(not (r.can_start or r.can_stop) and r.reason == "the call has ended" for r in ended.participants)
    email = adhoc_rights(rc, rc.status(Demo.EMAIL))
    assert all(not (r.can_start or r.can_stop) for r in email.participants)
    assert all("calls only (this is email)" in (r.reason or "") for r in email.participants)
    with pytest.raises(recops.InvalidTransition):
        email.of("no-such-participant")


def test_a_user_token_acts_itself_only_on_its_own_call(sb, rc):
    ava = rc.as_sandbox_user(Demo.AVA)
    mine = adhoc_rights(ava, ava.status(Demo.ACTIVE))
    assert mine.actor is ava and mine.actor_participant_id == Demo.ACTIVE_AGENT
    assert mine.allows("start", Demo.ACTIVE_AGENT)
    assert ava.start(Demo.ACTIVE, Demo.ACTIVE_AGENT).after == "ON"

    theirs = adhoc_rights(ava, rc.status(Demo.ADHOC))  # Ben's call
    assert theirs.actor is None and Demo.AVA in (theirs.reason or "") and "not an active participant" in theirs.reason
    assert all(not (r.can_start or r.can_stop) and r.reason == theirs.reason for r in theirs.participants)


def test_client_credentials_on_a_real_org_name_the_token_needed(rc, tmp_path):
    st = rc.status(Demo.ACTIVE)  # read on the sandbox; decided for a real org's session
    real = recops.Session(recops.Settings.load(env={"GENESYSCLOUD_REGION": "eu-west-1",
                                                    "GENESYSCLOUD_OAUTHCLIENT_ID": "real-client-id",
                                                    "GENESYSCLOUD_OAUTHCLIENT_SECRET": "real-secret"}),
                          journal=tmp_path / "real.sqlite")
    rights = adhoc_rights(real, st)
    assert rights.actor is None and rights.reason == NEEDS_USER_TOKEN
    assert all(r.reason == NEEDS_USER_TOKEN for r in rights.participants)
    assert real.client._api is None  # decided without a request

    given = adhoc_rights(real, st, actor=rc)
    assert given.actor is rc and given.of(Demo.ACTIVE_AGENT).can_start
