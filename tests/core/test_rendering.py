"""Each object renders itself — ``__rich__`` for the terminal, ``_repr_html_`` for notebooks —
checked on real objects from the sandbox: a status, outcomes, errors (from Genesys and recops's
own), a raw exchange, an explanation and the training self-checks. Terminal output is recorded
by a real rich Console 80 columns wide; HTML is parsed, and whatever the server or a user put
into a value (``<script>``) must come out as text, never as markup. No secret in either."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from rich.console import Console

import recops
from recops.genesys import errors
from recops.genesys.explain import explain
from recops.kit import training
from recops.ops.diagnostics import raw

from ..conftest import Demo

SCRIPT = "<script>alert('x')</script>"
VOID = {"br", "hr", "img", "input", "meta", "link", "wbr"}


def flat(text: str) -> str:
    """Text with its wrapping undone (any run of whitespace, line breaks included, as one space)."""
    return " ".join(text.split())


def terminal(obj: object, width: int = 80) -> str:
    console = Console(record=True, width=width, file=io.StringIO(), color_system="truecolor")
    console.print(obj)
    text = console.export_text()
    assert all(len(line) <= width for line in text.splitlines()), text
    return text


class Parsed(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.classes: list[str] = []
        self.text = ""
        self.open: list[str] = []
        self.feed(source)
        self.close()
        assert self.open == [], f"unclosed tags {self.open}"

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.classes += [v for k, v in attrs if k == "class" and v]
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open}"
        self.open.pop()

    def handle_data(self, data):
        self.text += data


def html_of(obj: object) -> Parsed:
    source = obj._repr_html_()
    assert isinstance(source, str) and source.startswith("<div")
    parsed = Parsed(source)
    assert "script" not in parsed.tags
    return parsed


@pytest.fixture
def rc(sb, tmp_path):
    return recops.connect(sandbox_url=sb.url, journal=tmp_path / "journal.sqlite")


def secrets_of(rc) -> list[str]:
    return [rc.client.api_client.access_token, Demo.SUPERVISOR[1], Demo.READONLY[1]]


# --- RecordingStatus --------------------------------------------------------------------------


def test_status_at_80_columns_shows_every_value_of_every_participant(rc):
    st = rc.status(Demo.ACTIVE)
    text = terminal(st)
    lines = text.splitlines()
    assert lines[:2] == [f"{Demo.ACTIVE} call:", "  recordingState ACTIVE, securePause False"]
    assert len(st.participants) == 2
    for p in st.participants:
        [at] = [i for i, line in enumerate(lines) if p.id in line]  # the id whole, on one line
        assert p.purpose in lines[at] and p.name in lines[at]
        values = lines[at + 1]
        assert p.state in values
        assert f"recording {'yes' if p.recording else 'no'}" in values
        assert f"ad hoc {'ON' if p.adhoc else 'OFF'}" in values and f"held {'yes' if p.held else 'no'}" in values
    for r in st.recordings:
        assert f"recording {r.id}: {r.file_state}" in text
    assert "┃" not in text  # no table squeezed into 80 columns


def test_status_on_a_wide_terminal_is_a_table(rc, demo):
    st = rc.status(demo.ADHOC)
    text = terminal(st, width=160)
    header = next(line for line in text.splitlines() if "participant" in line)
    for column in ("purpose", "name", "state", "recording", "ad hoc", "held"):
        assert column in header
    agent = next(line for line in text.splitlines() if demo.ADHOC_AGENT in line)
    assert "agent" in agent and "ON" in agent  # Ben's ad-hoc recorder is on


def test_status_of_other_media_ended_and_unreadable_recordings(sb, rc, tmp_path):
    email = terminal(rc.status(Demo.EMAIL))
    assert flat(email).startswith(f"{Demo.EMAIL} email: recordingState ACTIVE")
    assert email.count("recording unknown") == 2  # no per-participant flag on email
    assert flat(terminal(rc.status(Demo.ENDED))).startswith(f"{Demo.ENDED} call (ended): recordingState")
    client = sb.control.add_client(["conversation:communication:view"])
    blind = recops.connect(sandbox_url=sb.url, client_id=client["clientId"], client_secret=client["clientSecret"],
                           journal=tmp_path / "b.sqlite")
    st = blind.status(Demo.ACTIVE)
    assert st.recordings is None and st.recordings_note
    assert st.recordings_note in flat(terminal(st))
    assert st.recordings_note in html_of(st).text
    assert client["clientSecret"] not in terminal(st) + st._repr_html_()


def test_status_html_escapes_what_the_server_sent(sb, rc):
    conv = sb.control.add_conversation(recording=True, participants=[
        {"purpose": "customer", "name": SCRIPT}, {"purpose": "agent", "name": "Ava & <b>Co</b>"}])
    st = rc.status(conv["id"])
    parsed = html_of(st)
    assert SCRIPT in parsed.text and "Ava & <b>Co</b>" in parsed.text
    assert "recops-status" in parsed.classes and "recops-state" in parsed.classes
    assert parsed.tags.count("b") == 1  # only recops's own bold conversation id
    for p in st.participants:
        assert p.id in parsed.text
    assert SCRIPT in flat(terminal(st))  # the terminal shows it as text too (rich markup is not parsed)


# --- RecordingsResult -------------------------------------------------------------------------


def test_recordings_available_transcoding_and_none(rc):
    done = rc.recordings(Demo.ENDED)
    [r] = done.recordings
    text = flat(terminal(done, width=200))
    assert text.startswith(f"{r.id} AVAILABLE CUSTOMER_EXPERIENCE http")
    parsed = html_of(done)
    assert "recops-recordings" in parsed.classes and "table" in parsed.tags
    for value in (Demo.ENDED, r.id, "AVAILABLE", "CUSTOMER_EXPERIENCE", *done.uris[r.id]):
        assert value in parsed.text, value
    live = rc.recordings(Demo.ACTIVE)
    assert live.transcoding
    assert "still being prepared" in flat(terminal(live)) and "--wait" in flat(terminal(live))
    assert "still being prepared" in html_of(live).text and "wait=" in html_of(live).text
    none = rc.recordings(Demo.UNRECORDED)
    assert flat(terminal(none)) == f"{Demo.UNRECORDED}: no recordings"
    assert "no recordings" in html_of(none).text and "table" not in html_of(none).tags
    token = rc.client.api_client.access_token
    assert token not in terminal(done, width=200) + done._repr_html_()


# --- Outcome ------------------------------------------------------------------------------------


def test_outcomes_applied_skipped_and_dry_run(rc):
    applied = rc.pause(Demo.ACTIVE)
    skipped = rc.pause(Demo.ACTIVE)
    dry = rc.resume(Demo.ACTIVE, dry_run=True)
    for outcome, word in ((applied, "APPLIED"), (skipped, "NOTHING TO DO"), (dry, "DRY RUN")):
        assert terminal(outcome).strip().replace("\n", "") == outcome.summary()
        parsed = html_of(outcome)
        assert word in parsed.text and outcome.conversation_id in parsed.text
        assert "recops-outcome" in parsed.classes
        for secret in secrets_of(rc):
            assert secret not in parsed.text
    assert "ACTIVE → PAUSED" in html_of(applied).text and applied.context_id in html_of(applied).text
    assert f"#{applied.journal_id}" in html_of(applied).text
    assert "already PAUSED" in html_of(skipped).text
    assert '{"recordingState": "ACTIVE"}' in html_of(dry).text


# --- errors -------------------------------------------------------------------------------------


def test_api_error_shows_status_code_message_context_id_permissions_and_remedy(sb, tmp_path):
    readonly = recops.connect(sandbox_url=sb.url, client_id=Demo.READONLY[0], client_secret=Demo.READONLY[1],
                              journal=tmp_path / "j.sqlite")
    with pytest.raises(errors.PermissionDenied) as info:
        readonly.pause(Demo.ACTIVE)
    e = info.value
    text = flat(terminal(e))
    assert text.startswith(f"error [missing.any.permissions]: 403 missing.any.permissions on PUT /api/v2/"
                           f"conversations/calls/{Demo.ACTIVE}/recordingstate")
    assert "[conversation:recording:pauseOthers]" in text  # Genesys's brackets are not read as markup
    assert f"(contextId {e.context_id}) do: " in text
    assert "Needed (any one of): conversation:recording:pauseOthers" in text
    parsed = html_of(e)
    for value in ("PermissionDenied", "403", "missing.any.permissions", e.genesys_message, e.context_id,
                  "conversation:recording:pauseOthers", e.remedy, f"PUT {e.path}"):
        assert value in parsed.text, value
    assert "recops-error" in parsed.classes
    for secret in (Demo.READONLY[1], readonly.client.api_client.access_token):
        assert secret not in text and secret not in parsed.text


def test_an_error_message_with_markup_is_escaped(sb, rc):
    sb.control.fault(method="GET", path=f"/api/v2/conversations/{Demo.ACTIVE}", status=400, code="bad.request",
                     message=f"bad {SCRIPT} [bold]x[/bold]")
    with pytest.raises(errors.BadRequest) as info:
        rc.status(Demo.ACTIVE)
    e = info.value
    parsed = html_of(e)
    assert f"bad {SCRIPT} [bold]x[/bold]" in parsed.text
    assert "injected by the sandbox" in parsed.text
    text = flat(terminal(e))
    assert f"bad {SCRIPT} [bold]x[/bold]" in text and "note: injected" in text


def test_recops_own_and_transport_errors(rc, sdk):
    with pytest.raises(errors.InvalidTransition) as info:
        rc.pause(Demo.ENDED)
    text = flat(terminal(info.value))
    assert text.startswith(f"error: cannot pause conversation {Demo.ENDED}: the call has ended")
    assert "do: recording state can only change on a live conversation" in text
    assert "InvalidTransition" in html_of(info.value).text
    try:
        sdk.ApiClient(host="http://127.0.0.1:9").get_client_credentials_token("x", "y")
    except Exception as exc:  # urllib3's MaxRetryError, as the SDK raises it
        refused = errors.from_exception(exc, "POST", "/oauth/token")
    assert isinstance(refused, errors.ConnectionFailed)
    assert "POST /oauth/token" in html_of(refused).text and "read the state" in flat(terminal(refused))


# --- raw exchange, explanation ------------------------------------------------------------------------


def test_raw_exchange_renders_headers_and_body_never_the_token(sb, rc):
    ok = raw(rc, "GET", f"/api/v2/conversations/{Demo.ACTIVE}")
    token = rc.client.api_client.access_token
    for rendered in (terminal(ok, width=200), html_of(ok).text):
        assert f"> GET /api/v2/conversations/{Demo.ACTIVE}" in rendered and "< 200" in rendered
        assert "Bearer <the session's token>" in rendered and token not in rendered
        assert f"< inin-correlation-id: {ok.context_id}" in rendered
    sb.control.fault(method="GET", path=f"/api/v2/conversations/{Demo.PAUSED}", status=400, message=SCRIPT)
    bad = raw(rc, "GET", f"/api/v2/conversations/{Demo.PAUSED}", token="a-token-given-by-hand")
    parsed = html_of(bad)
    assert "< 400" in parsed.text and SCRIPT in parsed.text and "x-sandbox-fault: injected" in parsed.text
    assert "a-token-given-by-hand" not in parsed.text + terminal(bad, width=200)


def test_explanation_of_a_real_error_body(sdk, login, demo):
    from .helpers import recording_state, sdk_exception

    exc = sdk_exception(lambda: sdk.ConversationsApi(login(*demo.NOTHING)).put_conversations_call_recordingstate(
        demo.ACTIVE, recording_state(sdk, "PAUSED")))
    e = explain(exc.body)
    text = terminal(e, width=200)
    assert text.splitlines()[0] == "403 missing.any.permissions"
    assert str(e) == text.rstrip("\n")  # the terminal shows what str() says, only styled
    for label in ("meaning:", "needs any of: conversation:recording:pauseOthers", "do:", "evidence: [documented]",
                  f"contextId: {e.context_id}"):
        assert label in text
    parsed = html_of(e)
    for value in (e.meaning, e.remedy, e.evidence, e.context_id, "conversation:recording:pauseOthers"):
        assert value in parsed.text
    pasted = explain(f'{{"status": 400, "code": "x.y", "message": "{SCRIPT}"}}')
    assert SCRIPT in html_of(pasted).text


# --- training checks -------------------------------------------------------------------------------


def test_checks_say_passed_or_not_yet_in_words_and_colour(rc):
    right = training.check_state(rc, "exercise 1", Demo.PAUSED, "PAUSED")
    wrong = training.check_state(rc, "exercise 1", Demo.PAUSED, f"ACTIVE{SCRIPT}")
    assert right.passed and not wrong.passed
    assert terminal(right).startswith("✓ PASSED exercise 1: yes, it is PAUSED")
    assert terminal(wrong).startswith("✗ NOT YET exercise 1: not")
    assert str(right).startswith("✓ PASSED") and str(wrong).startswith("✗ NOT YET")
    console = Console(record=True, width=80, file=io.StringIO(), color_system="truecolor")
    console.print(right)
    console.print(wrong)
    styled = console.export_html(inline_styles=True)
    assert "PASSED" in styled and "NOT YET" in styled and "color: #008000" in styled and "color: #800000" in styled
    passed, not_yet = html_of(right), html_of(wrong)
    assert "PASSED" in passed.text and "NOT YET" not in passed.text
    assert "NOT YET" in not_yet.text and SCRIPT in not_yet.text
    assert 'class="recops-verdict" style="font-weight:700;color:#137333"' in right._repr_html_()
    assert 'color:#a50e0e">NOT YET' in wrong._repr_html_()
