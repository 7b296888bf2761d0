"""The app mode's seat picker and apps, driven as a trainee would (values typed, buttons clicked)
against a real sandbox over loopback: the demo sandbox needs no seat; bad input (a garbled card,
a card from another room, wrong credentials) ends as one clear line in the picker, never a
traceback; the apps' widgets act through the picked session."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from recops.widgets.apps import SeatApp, control_panels, walkthrough
from recops.widgets.seat import SeatPicker, parse_card

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def card(sb, demo, **changes) -> dict:
    base = {"room": "room-0000aaaa", "seat": 1, "url": sb.url, "org": "seat-01",
            "clientId": demo.SUPERVISOR[0], "clientSecret": demo.SUPERVISOR[1]}
    return base | changes


def test_on_the_demo_sandbox_the_picker_says_so_and_hands_over_a_session(sb, demo):
    picker = SeatPicker(sandbox_url=sb.url)
    assert picker.session is not None and picker.session.is_sandbox
    assert picker.message.startswith("demo sandbox")
    assert "recops-seat-ok" in picker.status.value
    assert picker.form.layout.display == "none"  # nothing to pick
    assert picker.session.status(demo.ACTIVE).recording_state == "ACTIVE"


def test_the_control_panel_app_pauses_through_the_picked_session(sb, demo):
    app = SeatApp(control_panels, SeatPicker(sandbox_url=sb.url))
    first, second = app.content.children
    assert (first.conversation_id, second.conversation_id) == (demo.ACTIVE, demo.ADHOC)
    first.pause_button.click()
    assert "PAUSED" in first.state_label.value
    assert sb.control.conversation(demo.ACTIVE)["securePause"] is True
    first.resume_button.click()
    assert sb.control.conversation(demo.ACTIVE)["recordingState"] == "ACTIVE"
    agent = next(p for p in second.status.participants if p.purpose == "agent")
    second.stop_buttons[agent.id].click()  # the agent's user token, minted on the sandbox
    assert "ERROR" not in "\n".join(second.log_panel.lines), second.log_panel.lines
    participant = next(p for p in sb.control.conversation(demo.ADHOC)["participants"] if p["id"] == agent.id)
    assert participant.get("recording") is False, participant


def test_the_walkthrough_app_checks_say_not_yet_then_passed(sb, demo):
    app = SeatApp(walkthrough, SeatPicker(sandbox_url=sb.url))
    _banner, _reset_row, _reset_log, ex1, ex2, ex4, ex5, ex6 = app.content.children
    ex1.check_button.click()
    assert "NOT YET" in ex1.verdict.value and "no answer yet" in ex1.verdict.value
    ex1.children[1].value = "PAUSED"  # the dropdown: conversation 2 is secure-paused
    ex1.check_button.click()
    assert "PASSED" in ex1.verdict.value

    ex2.check_button.click()
    assert "NOT YET" in ex2.verdict.value
    panel = ex2.children[1]
    panel.pause_button.click()
    ex2.check_button.click()
    assert "PASSED" in ex2.verdict.value, ex2.verdict.value
    ex4.check_button.click()
    assert "NOT YET" in ex4.verdict.value
    panel.resume_button.click()
    ex4.check_button.click()
    assert "PASSED" in ex4.verdict.value

    ex5.check_button.click()
    assert "NOT YET" in ex5.verdict.value
    stop_panel = ex5.children[1]
    agent = next(p for p in stop_panel.status.participants if p.purpose == "agent")
    stop_panel.stop_buttons[agent.id].click()
    ex5.check_button.click()
    assert "PASSED" in ex5.verdict.value, ex5.verdict.value

    share = ex6.children[1]
    share.value = "not a number"
    ex6.check_button.click()
    assert "NOT YET" in ex6.verdict.value
    assert not any("Traceback" in line for ex in (ex1, ex2, ex4, ex5, ex6) for line in ex.log_panel.lines)


@pytest.mark.parametrize("text, words", [
    ("{this is not json", "not JSON"),
    ("[1, 2]", "a card is a JSON object"),
    ('{"room": "room-1", "seat": 2}', "lacks url, clientId, clientSecret"),
])
def test_a_garbled_card_is_named_in_the_picker(sb, text, words):
    picker = SeatPicker(sandbox_url=sb.url)
    demo_session = picker.session
    picker.card_text.value = text
    picker.use_card.click()
    assert words in picker.message and "recops-seat-error" in picker.status.value
    assert "seat-NN.json" in picker.message  # what to do
    assert picker.session is demo_session  # nothing changed


def test_a_card_from_another_room_names_both(sb, demo):
    picker = SeatPicker(sandbox_url=sb.url)
    picker.card_text.value = json.dumps(card(sb, demo, room="room-0000bbbb"))
    picker.use_card.click()
    assert "room-0000bbbb" in picker.message and "not a room" in picker.message, picker.message
    assert "recops-seat-error" in picker.status.value


def test_wrong_credentials_are_refused_without_showing_the_secret(sb, demo):
    picker = SeatPicker(sandbox_url=sb.url)
    picker.card_text.value = json.dumps(card(sb, demo, clientSecret="s3cr3t-wrong"))
    picker.use_card.click()
    assert "refused the credentials of sandbox-supervisor" in picker.message, picker.message
    assert "copy the client id and secret" in picker.message
    assert "s3cr3t-wrong" not in picker.status.value


def test_an_uploaded_card_and_typed_fields_go_the_same_checks(sb, demo):
    picker = SeatPicker(sandbox_url=sb.url)
    picker.card_upload.value = ({"name": "seat-01.json", "type": "application/json", "size": 3,
                                 "content": memoryview(b"{}"),
                                 "last_modified": datetime.now(timezone.utc)},)
    assert "lacks room" in picker.message
    picker.client_id.value, picker.client_secret.value = "seat-03-supervisor", "x"
    picker.seat.value = 2
    picker.use_fields.click()
    assert "not seat 2's" in picker.message
    picker.client_id.value = demo.SUPERVISOR[0]
    picker.use_fields.click()
    assert "not a room" in picker.message  # the demo sandbox has no seats to pick


def test_no_sandbox_at_the_url_is_a_clear_message():
    picker = SeatPicker(sandbox_url="http://127.0.0.1:9")
    assert picker.session is None
    assert "no sandbox answers at http://127.0.0.1:9" in picker.message


def test_a_seat_card_file_that_is_missing_is_named(sb, tmp_path):
    picker = SeatPicker(sandbox_url=sb.url, card_path=str(tmp_path / "seat-07.json"))
    assert picker.session is None and "cannot read the seat card" in picker.message


def test_parse_card_never_shows_the_secret(sb, demo):
    parsed = parse_card(json.dumps(card(sb, demo, seat=3)))
    assert parsed.org == "seat-03" and demo.SUPERVISOR[1] not in repr(parsed)


@pytest.mark.parametrize("name", ["control_panel.ipynb", "walkthrough.ipynb"])
def test_the_app_notebooks_are_thin_without_outputs_and_paired(name):
    """notebooks/apps/: one code cell that builds the app (Voilà shows no code), no outputs, the
    text form in notebooks/apps/text/ by the repository's pairing."""
    from pathlib import Path

    import jupytext
    import nbformat

    apps = Path(__file__).resolve().parents[2] / "notebooks" / "apps"
    nb = nbformat.read(apps / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1 and code[0].outputs == [] and code[0].execution_count is None
    assert code[0].source.splitlines()[0] == f"from recops.widgets.apps import {name.removesuffix('.ipynb')}_app"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    text = jupytext.read(apps / "text" / name.replace(".ipynb", ".py"))
    assert nb.metadata["jupytext"]["formats"] == text.metadata["jupytext"]["formats"] == "ipynb,text//py:percent"
    assert [c.source for c in text.cells] == [c.source for c in nb.cells]
