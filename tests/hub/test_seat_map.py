"""recops.kit.hub: the seat map and a user's home, as jupyterhub_config.py uses them (bad input gets a
clear error saying what to do)."""

from __future__ import annotations

import json

import pytest

from recops.genesys.errors import ConfigError
from recops.kit import hub, workcopy


def test_a_seat_map_gives_each_user_one_seat(tmp_path):
    seats = tmp_path / "seats.json"
    seats.write_text(json.dumps({"ann": 1, "bob": 2}))
    assert hub.load_seat_map(seats) == {"ann": 1, "bob": 2}
    assert hub.seat_of({"ann": 1}, "ann", seats) == 1
    with pytest.raises(ConfigError, match=r"'zoe' has no seat .*add \"zoe\": <seat number>"):
        hub.seat_of({"ann": 1}, "zoe", seats)


@pytest.mark.parametrize(("content", "message"), [
    (None, "no seat map at"),
    ("{", "is not valid JSON"),
    ("[]", "must be a non-empty JSON object"),
    ('{"ann": 0}', "gives user 'ann' the seat 0"),
    ('{"ann": "1"}', "gives user 'ann' the seat '1'"),
    ('{"ann": 1, "bob": 1}', "gives seat 1 to both 'ann' and 'bob'"),
])
def test_a_bad_seat_map_says_what_to_fix(tmp_path, content, message):
    seats = tmp_path / "seats.json"
    if content is not None:
        seats.write_text(content)
    with pytest.raises(ConfigError, match=message) as caught:
        hub.load_seat_map(seats)
    assert caught.value.remedy


def test_a_user_home_gets_their_card_and_the_notebooks_once(tmp_path):
    card = tmp_path / "cards" / "seat-02.json"
    card.parent.mkdir()
    card.write_text('{"seat": 2}')
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    shipped = workcopy.shipped_dir() / "01_getting_started.ipynb"
    (notebooks / "01.ipynb").write_bytes(shipped.read_bytes())
    home = tmp_path / "home" / "bob"
    assert hub.card_path(card.parent, 2) == card

    env = hub.prepare_user(home, card, notebooks)
    assert env == {"RECOPS_SEAT_CARD": str(home / hub.CARD_NAME)}
    assert (home / hub.CARD_NAME).read_text() == '{"seat": 2}'
    assert (home / hub.CARD_NAME).stat().st_mode & 0o777 == 0o600
    copied = json.loads((home / "notebooks" / "01.ipynb").read_text())
    assert "jupytext" in json.loads(shipped.read_text())["metadata"]  # the repository's pairing ...
    assert "jupytext" not in copied["metadata"]  # ... is not the trainee's: no text/ folder in their home
    assert copied["cells"] == json.loads(shipped.read_text())["cells"]
    (home / "notebooks" / "01.ipynb").write_text("my work")
    hub.prepare_user(home, card, notebooks)  # a restart keeps the trainee's work
    assert (home / "notebooks" / "01.ipynb").read_text() == "my work"

    with pytest.raises(ConfigError, match=r"no seat card at .*start the room first"):
        hub.prepare_user(home, card.parent / "seat-09.json", notebooks)
