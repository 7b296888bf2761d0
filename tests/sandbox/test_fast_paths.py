"""The fast paths give the same answers as the slow ones: cached conversation bodies, the plain
path split, open-pause tracking, the JSON encoder and its fallback. (Speed itself is measured
in benchmarks/, never asserted here.)"""

from __future__ import annotations

import json

import pytest

from recops.sandbox import SandboxState
from recops.sandbox.http.wire import BadPath, dumps, split_path
from recops.sandbox.seeds.builders import create_conversation
from recops.sandbox.services import render

from .http_helpers import get_token, request


def _conv(state):
    return create_conversation(state, {"participants": [
        {"purpose": "customer", "name": "C"}, {"purpose": "agent", "name": "A", "userId": "u1"}]})


def test_a_cached_body_is_reused_until_the_conversation_changes():
    state = SandboxState()
    conv = _conv(state)
    cache = render.BodyCache(render.conversation)
    first = cache.body(conv)
    assert cache.body(conv) is first
    assert json.loads(first) == render.conversation(conv)
    state.set_recording_state(conv, "PAUSED")
    second = cache.body(conv)
    assert second is not first and json.loads(second)["recordingState"] == "PAUSED"
    state.update_participant(conv, conv.participants[1], {"muted": True})
    assert json.loads(cache.body(conv))["participants"][1]["calls"][0]["muted"] is True


def test_a_new_conversation_object_with_the_same_id_is_rendered_afresh():
    state = SandboxState()
    conv = _conv(state)
    cache = render.BodyCache(render.conversation)
    cache.body(conv)
    state.reset()
    again = create_conversation(state, {"id": conv.id, "recording": False})
    assert json.loads(cache.body(again))["recordingState"] == "NONE"


def test_the_cache_stays_bounded():
    state = SandboxState()
    cache = render.BodyCache(render.conversation, limit=3)
    convs = [_conv(state) for _ in range(5)]
    for c in convs:
        cache.body(c)
    assert len(cache._bodies) <= 3
    assert json.loads(cache.body(convs[0]))["id"] == convs[0].id


def test_get_conversation_over_http_follows_every_change(sb, demo):
    token = get_token(sb.url, *demo.SUPERVISOR)
    url = f"{sb.url}/api/v2/conversations/{demo.ACTIVE}"
    assert request("GET", url, token=token).body["recordingState"] == "ACTIVE"
    put = f"{sb.url}/api/v2/conversations/calls/{demo.ACTIVE}/recordingstate"
    assert request("PUT", put, token=token, json_body={"recordingState": "PAUSED"}).body == "PAUSED"
    assert request("GET", url, token=token).body["recordingState"] == "PAUSED"
    sb.control.disconnect(demo.ACTIVE)
    assert request("GET", url, token=token).body["endTime"]


@pytest.mark.parametrize("raw", [
    b"/api/v2/conversations/c0a80001-0000-4000-8000-000000000001", b"/a", b"/a/b.c/d~e/f_g-h",
    b"/a/%41", b"/a/b%20c", b"/.well-known/x", b"/a/.hidden",
])
def test_the_plain_path_split_agrees_with_the_decoding_one(raw):
    segments = split_path(raw)
    assert "/" + "/".join(segments) == raw.decode().replace("%41", "A").replace("%20", " ")


@pytest.mark.parametrize("raw", [b"/", b"", b"a/b", b"/a//b", b"/a/", b"/a/..", b"/a/.", b"/a/%2F", b"//"])
def test_unsafe_or_odd_paths_still_take_the_checked_way(raw):
    if raw == b"/":
        assert split_path(raw) == ()
        return
    with pytest.raises(BadPath):
        split_path(raw)


def test_many_pause_cycles_keep_exactly_one_open_pause_at_a_time():
    state = SandboxState()
    conv = _conv(state)
    for i in range(200):
        state.set_recording_state(conv, "PAUSED", now=conv.start_time + 2 * i)
        assert len(conv.open_pauses) == 1
        state.set_recording_state(conv, "ACTIVE", now=conv.start_time + 2 * i + 1)
        assert conv.open_pauses == []
    assert len(conv.pauses) == 200 and all(p.end == p.start + 1 for p in conv.pauses)
    state.set_held(conv, conv.participants[1], True)
    state.set_recording_state(conv, "PAUSED")
    state.set_held(conv, conv.participants[1], False)  # closes the hold pause only
    assert [p.reason for p in conv.open_pauses] == ["SecurePause"]


def test_dumps_is_compact_json_and_falls_back_for_huge_integers():
    assert dumps({"a": [1, "é"], "b": None}) == json.dumps({"a": [1, "é"], "b": None}, separators=(",", ":"),
                                                           ensure_ascii=False).encode()
    assert json.loads(dumps({"n": 2**70})) == {"n": 2**70}


def test_an_injected_body_with_a_huge_integer_is_served(sb, demo):
    sb.control.fault(path="/api/v2/conversations/*", status=500, body={"n": 2**70})
    token = get_token(sb.url, *demo.SUPERVISOR)
    r = request("GET", f"{sb.url}/api/v2/conversations/{demo.ACTIVE}", token=token)
    assert (r.status, r.body) == (500, {"n": 2**70})
