"""The app mode's seat picker and apps, driven as a trainee would (values typed, buttons clicked)
against real sandboxes over loopback: a training room (three seats, in process), where the
picked seat's clicks change that seat's org only, and the demo sandbox, which needs no seat. Bad
input (a garbled card, a card from another room, wrong credentials) ends as one clear line in
the picker, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from recops.genesys import intervals
from recops.kit.widgets.apps import SeatApp, control_panels, walkthrough
from recops.kit.widgets.seat import SeatPicker, parse_card
from recops.sandbox.room import Room
from recops.sandbox.server import SandboxServer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def _room_server() -> Iterator[SandboxServer]:
    server = SandboxServer(scenario=None, room=Room(3)).start()
    yield server
    server.stop()


@pytest.fixture
def room(_room_server, tmp_path) -> tuple[SandboxServer, Path]:
    """The room, every seat back to its demo copy, and the folder of its seat cards."""
    _room_server.control.reset()
    _room_server.app.room.write_cards(tmp_path / "cards", _room_server.url)
    return _room_server, tmp_path / "cards"


def states(rs: SandboxServer, cid: str) -> dict[str, str]:
    """Each seat's recordingState of ``cid``, read by the trainer (admin token)."""
    return {org: rs.control.conversation(cid, org=org)["recordingState"] for org in ("seat-01", "seat-02", "seat-03")}


def test_in_a_room_the_picked_seat_pauses_its_own_call_only(room, demo):
    rs, cards = room
    picker = SeatPicker(sandbox_url=rs.url)
    assert picker.session is None and "training room" in picker.message  # a seat must be picked
    app = SeatApp(control_panels, picker)
    picker.card_text.value = (cards / "seat-02.json").read_text()
    picker.use_card.click()
    assert picker.message.startswith("seat 2 of room room-"), picker.message
    assert picker.session.client.principal == "client:seat-02-supervisor"
    assert picker.card_text.value == ""  # the pasted secret does not stay in the page
    panel = app.content.children[0]
    panel.pause_button.click()
    assert "PAUSED" in panel.state_label.value
    assert states(rs, demo.ACTIVE) == {"seat-01": "ACTIVE", "seat-02": "PAUSED", "seat-03": "ACTIVE"}
    panel.resume_button.click()
    assert states(rs, demo.ACTIVE) == {"seat-01": "ACTIVE", "seat-02": "ACTIVE", "seat-03": "ACTIVE"}


def test_in_a_room_the_walkthrough_checks_and_resets_the_seat_only(room, demo):
    rs, cards = room
    picker = SeatPicker(sandbox_url=rs.url)
    picker.url.value, picker.seat.value = rs.url, 3  # typed from the card
    seat3 = json.loads((cards / "seat-03.json").read_text())
    picker.client_id.value, picker.client_secret.value = seat3["clientId"], seat3["clientSecret"]
    app = SeatApp(walkthrough, picker)
    picker.use_fields.click()
    assert picker.message.startswith("seat 3 of room"), picker.message
    _ex1, ex2, _ex3, _ex4, _ex5a, _ex5b, ex6 = app.content.exercises
    reset_row = app.content.children[1]
    ex2.check_button.click()
    assert "NOT YET" in ex2.verdict.value
    ex2.children[1].pause_button.click()
    ex2.check_button.click()
    assert "PASSED" in ex2.verdict.value
    assert states(rs, demo.ACTIVE)["seat-03"] == "PAUSED"
    assert states(rs, demo.ACTIVE)["seat-01"] == "ACTIVE"
    ex6.check_button.click()
    assert "NOT YET" in ex6.verdict.value
    share = picker.session.interval(intervals.last(7 * 24), media_type="voice")["recorded"].mean()
    app.content.share.value = f"{100 * share:.4f}%"
    ex6.check_button.click()
    assert "PASSED" in ex6.verdict.value, ex6.verdict.value  # the share of this seat's own org
    reset_row.children[0].click()  # Start over: this seat back to its demo copy
    assert states(rs, demo.ACTIVE)["seat-03"] == "ACTIVE"


def test_a_card_of_this_room_with_a_wrong_secret_is_refused(room):
    rs, cards = room
    picker = SeatPicker(sandbox_url=rs.url)
    bad = json.loads((cards / "seat-01.json").read_text()) | {"clientSecret": "s3cr3t-wrong"}
    picker.card_text.value = json.dumps(bad)
    picker.use_card.click()
    assert picker.session is None
    assert "refused these credentials" in picker.message and "copy the client id and secret" in picker.message
    assert "s3cr3t-wrong" not in picker.status.value


def test_a_card_of_another_room_names_both_rooms(room):
    rs, cards = room
    picker = SeatPicker(sandbox_url=rs.url)
    other = json.loads((cards / "seat-01.json").read_text()) | {"room": "room-0000bbbb"}
    picker.card_text.value = json.dumps(other)
    picker.use_card.click()
    room_id = rs.app.room.id
    assert "room-0000bbbb" in picker.message and room_id in picker.message, picker.message
    assert picker.session is None


def test_a_seat_card_file_in_the_environment_picks_the_seat_at_once(room, monkeypatch):
    rs, cards = room
    monkeypatch.setenv("RECOPS_SEAT_CARD", str(cards / "seat-01.json"))
    picker = SeatPicker(sandbox_url=rs.url)
    assert picker.session is not None and picker.message.startswith("seat 1 of room"), picker.message


def card(sb, demo, **changes) -> dict:
    base = {"room": "room-0000aaaa", "seat": 1, "url": sb.url, "org": "seat-01",
            "clientId": demo.SUPERVISOR[0], "clientSecret": demo.SUPERVISOR[1]}
    return base | changes


def test_on_the_demo_sandbox_the_picker_says_so_and_hands_over_a_session(sb, demo):
    picker = SeatPicker(sandbox_url=sb.url)
    assert picker.session is not None and picker.session.is_sandbox
    assert picker.message.startswith("demo sandbox")
    assert "recops-seat-ok" in picker.status.value
    assert picker.form.layout.display == "none"  # nothing to pick, folded …
    assert picker.toggle.layout.display != "none"  # … behind "Use a seat card…" (issue 17, item 12)
    picker.toggle.value = True
    assert picker.form.layout.display != "none" and picker.card_text.layout.display != "none"
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
    ex1, ex2, ex3, ex4, ex5a, ex5, ex6 = app.content.exercises
    ex1.check_button.click()
    assert "NOT YET" in ex1.verdict.value and "choose the state above" in ex1.verdict.value
    app.content.state.value = "ACTIVE"
    ex1.check_button.click()
    assert "NOT YET" in ex1.verdict.value and "Show state" in ex1.verdict.value  # the app's button, no code
    app.content.lookup_button.click()
    assert "PAUSED" in app.content.lookup_result.value
    app.content.state.value = "PAUSED"  # the dropdown: conversation 2 is secure-paused
    ex1.check_button.click()
    assert "PASSED" in ex1.verdict.value

    ex2.check_button.click()
    assert "NOT YET" in ex2.verdict.value
    panel = ex2.children[1]
    panel.pause_button.click()
    ex2.check_button.click()
    assert "PASSED" in ex2.verdict.value, ex2.verdict.value
    ex3.check_button.click()
    assert "NOT YET" in ex3.verdict.value and "click Pause again" in ex3.verdict.value
    app.content.again_button.click()
    ex3.check_button.click()
    assert "PASSED" in ex3.verdict.value and "sent nothing" in ex3.verdict.value, ex3.verdict.value
    ex4.check_button.click()
    assert "NOT YET" in ex4.verdict.value
    panel.resume_button.click()
    ex4.check_button.click()
    assert "PASSED" in ex4.verdict.value

    ex5a.check_button.click()
    assert "NOT YET" in ex5a.verdict.value and "Stop as the supervisor" in ex5a.verdict.value
    app.content.stop_as_supervisor.click()
    ex5a.check_button.click()
    assert "PASSED" in ex5a.verdict.value, ex5a.verdict.value
    ex5.check_button.click()
    assert "NOT YET" in ex5.verdict.value and "click Stop on the agent" in ex5.verdict.value
    stop_panel = ex5.children[1]
    agent = next(p for p in stop_panel.status.participants if p.purpose == "agent")
    stop_panel.stop_buttons[agent.id].click()
    ex5.check_button.click()
    assert "PASSED" in ex5.verdict.value, ex5.verdict.value

    share = app.content.share
    share.value = "not a number"
    ex6.check_button.click()
    assert "NOT YET" in ex6.verdict.value and "should be a number" in ex6.verdict.value
    app.content.load_button.click()
    table = app.content.calls_table.value
    assert "voice calls" in table and "recorded" in table
    truth = sb.control.conversations()  # the share is never in the NOT YET (issue 17, item 11)
    share.value = "0.01"
    ex6.check_button.click()
    assert "NOT YET" in ex6.verdict.value and "too low" in ex6.verdict.value, ex6.verdict.value
    assert "%" not in ex6.verdict.value.split("too low")[1] and "counts" not in ex6.verdict.value
    assert truth and not any("Traceback" in line for ex in app.content.exercises for line in ex.log_panel.lines)


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
    assert picker.session is None and "seat-07.json" in picker.message and "does not exist" in picker.message


def test_parse_card_never_shows_the_secret(sb, demo):
    parsed = parse_card(json.dumps(card(sb, demo, seat=3)))
    assert parsed.seat == 3 and demo.SUPERVISOR[1] not in repr(parsed)


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
    assert code[0].source.splitlines()[0] == f"from recops.kit.widgets.apps import {name.removesuffix('.ipynb')}_app"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    text = jupytext.read(apps / "text" / name.replace(".ipynb", ".py"))
    assert nb.metadata["jupytext"]["formats"] == text.metadata["jupytext"]["formats"] == "ipynb,text//py:percent"
    assert [c.source for c in text.cells] == [c.source for c in nb.cells]


def test_with_credentials_set_the_picker_names_the_real_org_and_picks_no_seat(monkeypatch):
    monkeypatch.setenv("RECOPS_CLIENT_ID", "someone")
    monkeypatch.setenv("RECOPS_CLIENT_SECRET", "s3cr3t-org")
    monkeypatch.setenv("RECOPS_REGION", "eu-west-1")
    picker = SeatPicker(sandbox_url="")
    assert picker.session is not None and not picker.session.is_sandbox
    assert picker.message.startswith("no seat: REAL ORG") and "confirmation" in picker.message, picker.message
    assert "s3cr3t-org" not in picker.status.value


def test_start_over_brings_every_panel_back_to_what_its_check_sees(sb, demo):
    """Issue 17, item 11: after Start over, exercise 5b's panel shows the agent's ad-hoc
    recording ON again (Stop enabled), as its Check reports, and no verdict is left."""
    app = SeatApp(walkthrough, SeatPicker(sandbox_url=sb.url))
    walk = app.content
    agent = next(p for p in walk.ex5_panel.status.participants if p.purpose == "agent")
    walk.ex5_panel.stop_buttons[agent.id].click()
    walk.ex2_panel.pause_button.click()
    walk.exercises[5].check_button.click()
    assert "PASSED" in walk.exercises[5].verdict.value
    walk.reset_button.click()
    assert "ad hoc ON" in walk.ex5_panel.participant_rows.children[1].children[0].value
    assert walk.ex5_panel.stop_buttons[agent.id].disabled is False
    assert "ACTIVE" in walk.ex2_panel.state_label.value and walk.ex2_panel.pause_button.disabled is False
    assert all(ex.verdict.value == "" for ex in walk.exercises)
    walk.exercises[5].check_button.click()
    assert "NOT YET" in walk.exercises[5].verdict.value and "is ON" in walk.exercises[5].verdict.value


def _other_room(tmp_path: Path) -> tuple[SandboxServer, Path]:
    server = SandboxServer(scenario=None, room=Room(2)).start()
    server.app.room.write_cards(tmp_path / "other-cards", server.url)
    return server, tmp_path / "other-cards"


def test_a_card_of_a_restarted_room_asks_for_the_new_rooms_card(tmp_path):
    """Issue 17, item 12: the trainer restarted the room at the same address (new id, new
    credentials): the old card is not a typing mistake, it is the old room's card."""
    first, old_cards = _other_room(tmp_path)
    port, old_id = first.port, first.app.room.id
    old = json.loads((old_cards / "seat-01.json").read_text())
    first.stop()
    second = SandboxServer(scenario=None, room=Room(2), port=port).start()
    try:
        new_id = second.app.room.id
        picker = SeatPicker(sandbox_url=second.url)
        picker.card_text.value = json.dumps(old)
        picker.use_card.click()
        assert picker.session is None
        message = picker.message
        assert f"room {old_id}, which is not running at {second.url} any more" in message, message
        assert f"room {new_id} runs there now" in message and f"ask the trainer for your seat card of room {new_id}" \
            in message, message
        assert "copy the client id" not in message
        assert old["clientSecret"] not in picker.status.value
    finally:
        second.stop()


def test_a_valid_card_of_another_room_is_refused_naming_both_rooms(room, tmp_path):
    """Issue 17, item 12: the app serves one room; a valid card of another never switches rooms."""
    rs, cards = room
    other, other_cards = _other_room(tmp_path)
    try:
        picker = SeatPicker(sandbox_url=rs.url)
        foreign = json.loads((other_cards / "seat-01.json").read_text())
        picker.card_text.value = json.dumps(foreign)
        picker.use_card.click()
        assert picker.session is None, picker.message
        assert other.app.room.id in picker.message and rs.app.room.id in picker.message, picker.message
        assert "recops-seat-error" in picker.status.value and foreign["clientSecret"] not in picker.status.value
        picker.card_text.value = (cards / "seat-02.json").read_text()  # this room's card works
        picker.use_card.click()
        assert picker.message.startswith(f"seat 2 of room {rs.app.room.id}"), picker.message
        picker.toggle.value = True  # a seat in use: another room's card is refused too
        picker.card_text.value = json.dumps(foreign)
        picker.use_card.click()
        assert other.app.room.id in picker.message and picker.session.client.principal == "client:seat-02-supervisor"
    finally:
        other.stop()


def test_switching_seats_closes_the_previous_seats_panels_and_their_streams(room):
    """A trainee who picks seat 2, then seat 3, keeps no stream of seat 2's panels open: each
    panel's live feed (a socket and its threads) is closed when the seat's panels are replaced."""
    import threading

    rs, cards = room

    def watch_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("recops-watch-")}

    before = watch_threads()  # other tests' widgets may still be open in this process
    picker = SeatPicker(sandbox_url=rs.url)
    app = SeatApp(control_panels, picker)
    picker.card_text.value = (cards / "seat-02.json").read_text()
    picker.use_card.click()
    seat2 = list(app.content.children)
    assert seat2 and all(p.feed.watch is not None for p in seat2)  # each panel follows its call by push
    assert watch_threads() - before
    picker.card_text.value = (cards / "seat-03.json").read_text()
    picker.use_card.click()
    assert picker.message.startswith("seat 3 of room"), picker.message
    assert all(p.feed.closed and p.feed.watch is None for p in seat2)
    assert all(p.feed.watch is not None for p in app.content.children)
    for panel in app.content.children:
        panel.close()
    for _ in range(50):  # the feeds' threads end within a few seconds of their close
        if not watch_threads() - before:
            break
        threading.Event().wait(0.2)
    assert not watch_threads() - before
