"""Recording operations through the library (``recops.connect``) against the real sandbox:
status, secure pause/resume, ad-hoc start/stop, recordings, dry run and the real-org
confirmation. The sandbox's control plane (its request log and its own view of each
conversation) is the ground truth."""

from __future__ import annotations

import pytest
import urllib3

import recops
from recops import (
    ConfirmationRequired,
    InvalidTransition,
    NotAUser,
    PermissionDenied,
    Settings,
)

from ..conftest import Demo
from .ops_helpers import (
    api_log,
    calls,
    clear_log,
    connect,
    context_ids,
    summary,
    writes,
)

PUT_CALL = "/api/v2/conversations/calls/{}/recordingstate"
PATCH_CALL = "/api/v2/conversations/calls/{}"
PATCH_PARTICIPANT = "/api/v2/conversations/calls/{}/participants/{}"
FILE_STATES = {"ARCHIVED", "AVAILABLE", "DELETED", "RESTORED", "RESTORING", "UPLOADING", "ERROR"}


@pytest.fixture
def journal_path(tmp_path):
    return tmp_path / "j.sqlite"


@pytest.fixture
def rc(sb, journal_path) -> recops.Session:
    """The supervisor's client-credentials session (holds conversation:recording:pauseOthers)."""
    return connect(sb, Demo.SUPERVISOR, journal_path)


# --- status -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cid", [Demo.ACTIVE, Demo.PAUSED, Demo.UNRECORDED, Demo.ADHOC, Demo.HELD, Demo.ENDED,
                                 Demo.EMAIL])
def test_status_matches_the_sandbox_own_view(sb, rc, cid):
    truth = summary(sb, cid)
    st = rc.status(cid)
    assert st.conversation_id == cid
    assert st.recording_state == truth["recordingState"]
    assert st.secure_pause is truth["securePause"]
    assert st.ended is truth["ended"]
    assert st.media_type == truth["mediaType"]
    got = {p.id: (p.purpose, p.user_id, p.state, p.adhoc, p.held) for p in st.participants}
    want = {p["id"]: (p["purpose"], p["userId"], p["state"], p["adhoc"], p["held"]) for p in truth["participants"]}
    assert got == want
    if st.media_type == "call":  # only a Call carries a participant's `recording` flag on the wire
        assert {p.id: p.recording for p in st.participants} == {p["id"]: p["recording"]
                                                                 for p in truth["participants"]}
    else:
        assert all(p.recording is None for p in st.participants)  # unknown, not False
    assert st.recordings is not None and st.recordings_note is None
    assert sorted(r.id for r in st.recordings) == sorted(truth["recordingIds"])
    assert all(r.file_state in FILE_STATES for r in st.recordings)
    # the contextId is the one of the conversation read the sandbox logged
    assert st.context_id in context_ids(sb, "GET", f"/api/v2/conversations/{cid}")


def test_status_flags_of_the_demo_states(rc):
    active = rc.status(Demo.ACTIVE)
    assert (active.recording_state, active.secure_pause, active.ended) == ("ACTIVE", False, False)
    assert {p.id for p in active.participants} == {Demo.ACTIVE_CUSTOMER, Demo.ACTIVE_AGENT}
    assert active.participant(Demo.ACTIVE_AGENT).user_id == Demo.AVA
    assert all(p.recording and not p.adhoc for p in active.participants)
    assert [r.file_state for r in active.recordings] == ["UPLOADING"]  # live: still being recorded

    paused = rc.status(Demo.PAUSED)
    assert (paused.recording_state, paused.secure_pause) == ("PAUSED", True)

    held = rc.status(Demo.HELD)  # hold suppression: PAUSED, but not a secure pause
    assert (held.recording_state, held.secure_pause) == ("PAUSED", False)
    assert held.participant(Demo.HELD_CUSTOMER).held

    adhoc = rc.status(Demo.ADHOC)
    agent = adhoc.participant(Demo.ADHOC_AGENT)
    assert agent.adhoc and agent.recording and agent.user_id == Demo.BEN
    assert not any(p.adhoc for p in adhoc.participants if p.id != Demo.ADHOC_AGENT)

    assert rc.status(Demo.UNRECORDED).recording_state == "NONE"
    ended = rc.status(Demo.ENDED)
    assert ended.ended and [r.file_state for r in ended.recordings] == ["AVAILABLE"]


def test_status_of_an_unknown_conversation_is_not_found(rc):
    with pytest.raises(recops.NotFound) as info:
        rc.status("c0a80001-0000-4000-8000-00000000dead")
    assert info.value.status == 404 and info.value.context_id


# --- secure pause / resume with client credentials -------------------------------------------------


def test_pause_repeat_and_resume(sb, rc):
    clear_log(sb)
    out = rc.pause(Demo.ACTIVE)
    put = PUT_CALL.format(Demo.ACTIVE)
    assert (out.action, out.before, out.after, out.skipped, out.dry_run) == ("pause", "ACTIVE", "PAUSED", False, False)
    assert out.changed
    assert out.endpoint == f"PUT {put}"
    assert out.request == {"recordingState": "PAUSED"}
    assert out.target == f"SANDBOX at {sb.url}"
    assert out.context_id in context_ids(sb, "PUT", put)
    assert writes(sb) == [("PUT", put, 200)]
    truth = summary(sb, Demo.ACTIVE)
    assert (truth["recordingState"], truth["securePause"]) == ("PAUSED", True)

    clear_log(sb)
    again = rc.pause(Demo.ACTIVE)
    assert again.skipped and not again.changed
    assert (again.before, again.after, again.reason) == ("PAUSED", "PAUSED", "already PAUSED")
    assert again.endpoint is None and again.context_id is None
    assert writes(sb) == []  # the state was read, nothing was written
    assert [m for m, _, _ in calls(sb) if m != "POST"] == ["GET"]

    back = rc.resume(Demo.ACTIVE)
    assert (back.before, back.after, back.endpoint) == ("PAUSED", "ACTIVE", f"PUT {put}")
    truth = summary(sb, Demo.ACTIVE)
    assert (truth["recordingState"], truth["securePause"]) == ("ACTIVE", False)

    clear_log(sb)
    assert rc.resume(Demo.ACTIVE).reason == "already ACTIVE"
    assert writes(sb) == []


def test_resume_of_a_secure_pause(sb, rc):
    out = rc.resume(Demo.PAUSED)
    assert (out.before, out.after) == ("PAUSED", "ACTIVE")
    assert summary(sb, Demo.PAUSED)["securePause"] is False


def test_resume_under_hold_suppression_is_skipped_with_a_reason(sb, rc):
    clear_log(sb)
    out = rc.resume(Demo.HELD)
    assert out.skipped and out.before == "PAUSED"
    assert "hold suppression" in out.reason and "not by a secure pause" in out.reason
    assert writes(sb) == []
    assert summary(sb, Demo.HELD)["recordingState"] == "PAUSED"


def test_pause_under_hold_suppression_makes_it_a_secure_pause(sb, rc):
    """PAUSED by hold is not a secure pause: pausing is a real change (securePause turns on)."""
    out = rc.pause(Demo.HELD)
    assert not out.skipped and (out.before, out.after) == ("PAUSED", "PAUSED")
    assert summary(sb, Demo.HELD)["securePause"] is True


def test_pause_of_an_unrecorded_conversation_is_skipped(sb, rc):
    clear_log(sb)
    out = rc.pause(Demo.UNRECORDED)
    assert out.skipped and (out.before, out.after) == ("NONE", "NONE")
    assert "not being recorded" in out.reason
    assert writes(sb) == []


def test_pause_of_an_ended_call_is_refused_and_nothing_is_sent(sb, rc):
    clear_log(sb)
    with pytest.raises(InvalidTransition) as info:
        rc.pause(Demo.ENDED)
    assert "ended" in info.value.message and info.value.remedy
    assert writes(sb) == []
    assert rc.journal.entries() == []


def test_pause_without_pause_others_is_permission_denied_and_journaled(sb, journal_path):
    ro = connect(sb, Demo.READONLY, journal_path)
    clear_log(sb)
    with pytest.raises(PermissionDenied) as info:
        ro.pause(Demo.ACTIVE)
    e = info.value
    assert (e.status, e.code) == (403, "missing.any.permissions")
    assert e.permissions == ["conversation:recording:pauseOthers"]
    assert "conversation:recording:pauseOthers" in e.remedy
    put = PUT_CALL.format(Demo.ACTIVE)
    assert writes(sb) == [("PUT", put, 403)]
    assert e.context_id == context_ids(sb, "PUT", put)[0]
    [row] = ro.journal.entries()
    assert (row.status, row.http_status, row.error_code, row.context_id) == (
        "failed", 403, "missing.any.permissions", e.context_id)
    assert row.principal == f"client:{Demo.READONLY[0]}"
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "ACTIVE"


def test_email_conversation_uses_the_emails_recordingstate_put(sb, rc):
    clear_log(sb)
    out = rc.pause(Demo.EMAIL)
    path = f"/api/v2/conversations/emails/{Demo.EMAIL}/recordingstate"
    assert out.endpoint == f"PUT {path}" and out.after == "PAUSED"
    assert writes(sb) == [("PUT", path, 200)]
    assert summary(sb, Demo.EMAIL)["securePause"] is True


def test_demo_client_is_chosen_with_no_credentials(sb, journal_path):
    rc = connect(sb, None, journal_path)
    assert rc.client.principal == f"client:{Demo.SUPERVISOR[0]}"
    assert rc.pause(Demo.ACTIVE).after == "PAUSED"


# --- a participant's user token --------------------------------------------------------------------


def test_participant_user_token_pauses_through_the_call_patch(sb, rc):
    ava = rc.as_sandbox_user(Demo.AVA)
    assert ava.client.auth_kind == "user_token"
    clear_log(sb)
    out = ava.pause(Demo.ACTIVE)
    patch = PATCH_CALL.format(Demo.ACTIVE)
    assert out.endpoint == f"PATCH {patch}" and (out.before, out.after) == ("ACTIVE", "PAUSED")
    assert writes(sb) == [("PATCH", patch, 202)]  # secure pause through the calls PATCH: 202 (2018 spec)
    [entry] = [r for r in api_log(sb) if r["method"] == "PATCH"]
    assert (entry["tokenKind"], entry["principal"]) == ("user", Demo.AVA)
    assert out.context_id == entry["contextId"]
    assert summary(sb, Demo.ACTIVE)["securePause"] is True
    assert ava.resume(Demo.ACTIVE).endpoint == f"PATCH {patch}"
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "ACTIVE"
    # the same journal: the user session writes where the supervisor's does, never the token
    assert [e.principal for e in rc.journal.entries()] == [f"user:{Demo.AVA} (Ava Agent)"] * 2


# --- ad-hoc start / stop ------------------------------------------------------------------------------


def test_adhoc_stop_and_start_with_the_agent_user_token(sb, rc):
    ben = rc.as_sandbox_user(Demo.BEN)
    patch = PATCH_PARTICIPANT.format(Demo.ADHOC, Demo.ADHOC_AGENT)
    clear_log(sb)
    out = ben.stop(Demo.ADHOC, Demo.ADHOC_AGENT)
    assert (out.action, out.before, out.after, out.participant_id) == ("stop", "ON", "OFF", Demo.ADHOC_AGENT)
    assert out.endpoint == f"PATCH {patch}" and out.request == {"recording": False}
    assert writes(sb) == [("PATCH", patch, 202)]
    assert out.context_id in context_ids(sb, "PATCH", patch)

    def adhoc() -> bool:
        return next(p for p in summary(sb, Demo.ADHOC)["participants"] if p["id"] == Demo.ADHOC_AGENT)["adhoc"]

    assert adhoc() is False
    clear_log(sb)
    again = ben.stop(Demo.ADHOC, Demo.ADHOC_AGENT)
    assert again.skipped and again.reason == "ad-hoc recording already OFF"
    assert writes(sb) == []

    on = ben.start(Demo.ADHOC, Demo.ADHOC_AGENT)
    assert (on.before, on.after, on.request) == ("OFF", "ON", {"recording": True})
    assert adhoc() is True
    clear_log(sb)
    assert ben.start(Demo.ADHOC, Demo.ADHOC_AGENT).reason == "ad-hoc recording already ON"
    assert writes(sb) == []


def test_adhoc_start_by_the_agent_on_a_call_where_it_is_off(sb, rc):
    ava = rc.as_sandbox_user(Demo.AVA)
    out = ava.start(Demo.ACTIVE, Demo.ACTIVE_AGENT)
    assert (out.before, out.after) == ("OFF", "ON")
    assert rc.status(Demo.ACTIVE).participant(Demo.ACTIVE_AGENT).adhoc


def test_adhoc_with_the_supervisor_client_is_permission_denied(sb, rc):
    clear_log(sb)
    with pytest.raises(PermissionDenied) as info:
        rc.start(Demo.ACTIVE, Demo.ACTIVE_AGENT)
    assert info.value.status == 403 and "conversation:call:record" in info.value.permissions
    assert writes(sb) == [("PATCH", PATCH_PARTICIPANT.format(Demo.ACTIVE, Demo.ACTIVE_AGENT), 403)]
    assert rc.journal.entries()[-1].status == "failed"


def test_adhoc_with_an_integration_client_needs_a_user(sb, journal_path):
    integ = connect(sb, Demo.INTEGRATION, journal_path)
    with pytest.raises(NotAUser) as info:
        integ.stop(Demo.ADHOC, Demo.ADHOC_AGENT)
    e = info.value
    assert (e.status, e.code) == (400, "not.a.user")
    assert "user token" in e.remedy and "recordingstate" in e.remedy
    row = integ.journal.entries()[-1]
    assert (row.status, row.error_code, row.http_status) == ("failed", "not.a.user", 400)
    assert summary(sb, Demo.ADHOC)["participants"][1]["adhoc"] is True


def test_unknown_participant_is_refused_listing_the_participants(sb, rc):
    ben = rc.as_sandbox_user(Demo.BEN)
    clear_log(sb)
    with pytest.raises(InvalidTransition) as info:
        ben.start(Demo.ADHOC, "not-a-participant")
    text = str(info.value)
    assert "not-a-participant" in text
    for pid in (p["id"] for p in summary(sb, Demo.ADHOC)["participants"]):
        assert pid in text
    assert writes(sb) == []


def test_adhoc_on_an_ended_call_is_refused(sb, rc):
    ended = rc.status(Demo.ENDED)
    clear_log(sb)
    with pytest.raises(InvalidTransition):
        rc.start(Demo.ENDED, ended.participants[-1].id)
    assert writes(sb) == []


# --- dry run -------------------------------------------------------------------------------------------


def test_dry_run_sends_nothing_and_journals_nothing(sb, rc):
    ben = rc.as_sandbox_user(Demo.BEN)
    clear_log(sb)
    pause = rc.pause(Demo.ACTIVE, dry_run=True)
    resume = rc.resume(Demo.PAUSED, dry_run=True)
    stop = ben.stop(Demo.ADHOC, Demo.ADHOC_AGENT, dry_run=True)
    for out in (pause, resume, stop):
        assert out.dry_run and not out.changed and out.after is None and out.journal_id is None
        assert "DRY RUN" in out.summary()
    assert pause.endpoint == f"PUT {PUT_CALL.format(Demo.ACTIVE)}"
    assert pause.request == {"recordingState": "PAUSED"}
    assert resume.request == {"recordingState": "ACTIVE"}
    assert stop.endpoint == f"PATCH {PATCH_PARTICIPANT.format(Demo.ADHOC, Demo.ADHOC_AGENT)}"
    assert writes(sb) == []
    assert rc.journal.entries() == []
    assert summary(sb, Demo.ACTIVE)["recordingState"] == "ACTIVE"
    assert summary(sb, Demo.PAUSED)["recordingState"] == "PAUSED"


def test_dry_run_of_a_no_op_says_so_and_journals_nothing(sb, rc):
    ben = rc.as_sandbox_user(Demo.BEN)
    clear_log(sb)
    outs = [rc.pause(Demo.PAUSED, dry_run=True), rc.resume(Demo.HELD, dry_run=True),
            rc.pause(Demo.UNRECORDED, dry_run=True), ben.start(Demo.ADHOC, Demo.ADHOC_AGENT, dry_run=True)]
    for out in outs:
        assert out.skipped and out.dry_run and not out.changed and out.journal_id is None
        assert out.summary().startswith("DRY RUN ") and "nothing to do" in out.summary()
    assert writes(sb) == []
    assert rc.journal.entries() == []


# --- the real-org confirmation ----------------------------------------------------------------------


def real_org_session(journal_path) -> recops.Session:
    """A session whose settings point at a real org (eu-west-1). Building it sends nothing:
    the client authenticates on first use, which these tests never reach."""
    settings = Settings.load(env={"GENESYSCLOUD_REGION": "eu-west-1",
                                  "GENESYSCLOUD_OAUTHCLIENT_ID": "real-client-id",
                                  "GENESYSCLOUD_OAUTHCLIENT_SECRET": "real-client-secret-value"},
                             journal_path=str(journal_path))
    return recops.Session(settings, journal=journal_path)


def test_a_real_org_target_is_named_without_any_request(journal_path):
    session = real_org_session(journal_path)
    assert not session.is_sandbox
    assert session.target.startswith("REAL ORG in eu-west-1")
    assert "api.mypurecloud.ie" in session.target
    assert session.client.base_url is None  # no connection was made


@pytest.mark.parametrize("action", ["pause", "resume", "start", "stop"])
def test_a_real_org_write_needs_confirmation_before_anything_is_read_or_sent(journal_path, action):
    """Through the public verbs: without ``confirm`` the change is refused before the client is
    even built — no login, no state read, no journal row — so no test can reach a real org."""
    session = real_org_session(journal_path)
    verb = getattr(session, action)
    args = (Demo.ACTIVE,) if action in ("pause", "resume") else (Demo.ACTIVE, Demo.ACTIVE_AGENT)
    with pytest.raises(ConfirmationRequired) as info:
        verb(*args)
    assert "REAL ORG in eu-west-1" in info.value.message and "nothing was read or sent" in info.value.message
    assert "--yes" in info.value.remedy and "confirm=True" in info.value.remedy
    assert "real-client-secret-value" not in str(info.value)
    assert session.client._api is None and session.client.base_url is None  # never connected
    assert session.journal.entries() == []


def test_the_sandbox_needs_no_confirmation(sb, rc):
    assert rc.is_sandbox
    assert rc.pause(Demo.ACTIVE, confirm=False).after == "PAUSED"


# --- recordings --------------------------------------------------------------------------------------


def test_recordings_of_an_ended_call_are_available_with_uris(sb, rc):
    res = rc.recordings(Demo.ENDED)
    assert res.state == "available" and not res.transcoding
    assert [r.id for r in res.recordings] == summary(sb, Demo.ENDED)["recordingIds"]
    assert all(r.file_state == "AVAILABLE" for r in res.recordings)
    for r in res.recordings:
        [uri] = res.uris[r.id]
        assert uri.startswith(sb.url)
        media = urllib3.request("GET", uri, retries=False, timeout=10)
        assert media.status == 200 and media.data[:4] == b"RIFF"


def test_recordings_of_a_live_call_say_transcoding_not_none(sb, rc):
    res = rc.recordings(Demo.ACTIVE)
    assert res.state == "transcoding" and res.transcoding
    assert res.recordings == () and res.uris == {}
    statuses = [r["status"] for r in api_log(sb) if r["path"].endswith(f"{Demo.ACTIVE}/recordings")]
    assert statuses == [202]


def test_recordings_of_an_unrecorded_call_are_none(rc):
    res = rc.recordings(Demo.UNRECORDED)
    assert (res.state, res.recordings) == ("none", ())


def test_recordings_listed_before_they_are_ready_are_still_transcoding(sb, rc):
    """Should the API list unready files at once (the sandbox's ``listUnready`` assumption)
    instead of answering 202, files still UPLOADING are not "available"; waiting polls."""
    sb.control.settings(assumptions={"recordingsWhileActive": "listUnready"}, transcodingDelaySeconds=1)
    live = rc.recordings(Demo.ACTIVE)
    assert live.state == "transcoding"
    assert [r.file_state for r in live.recordings] == ["UPLOADING"] and not any(live.uris.values())
    sb.control.disconnect(Demo.ACTIVE)
    later = rc.recordings(Demo.ACTIVE, wait=5)
    assert later.state == "available" and all(r.file_state == "AVAILABLE" for r in later.recordings)
    assert all(later.uris[r.id] for r in later.recordings)


def test_recordings_after_a_disconnect_become_available_while_waiting(sb, rc):
    sb.control.settings(transcodingDelaySeconds=1)
    sb.control.disconnect(Demo.ACTIVE)
    first = rc.recordings(Demo.ACTIVE)
    assert first.state == "transcoding"
    later = rc.recordings(Demo.ACTIVE, wait=5)
    assert later.state == "available"
    assert [r.id for r in later.recordings] == summary(sb, Demo.ACTIVE)["recordingIds"]
    assert all(later.uris[r.id] for r in later.recordings)
