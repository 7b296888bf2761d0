"""``rc.watch`` end to end (issue 20, W3): the real SDK creates channels and subscriptions on the real
sandbox over loopback, the real websockets client reads the sandbox's socket, and recording changes
made through the SDK arrive as typed transitions; faults on the socket (drop, socket_closing) make
a gap whose missed transitions are re-read through REST, emitted once, marked recovered."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from recops.live.socket import SocketTimes
from recops.live.transitions import Transition
from recops.live.watch import Watch, WatchSettings

from ..conftest import Demo
from ..core.ops_helpers import connect

SALES = "5a1e0000-0000-4000-8000-0000000000a1"
FAST = WatchSettings(reconnect_delays=(0.1, 0.3), socket=SocketTimes(open_timeout=5, close_timeout=1))


def collect(w: Watch, want: int, timeout: float = 10.0) -> list[Transition]:
    out: list[Transition] = []
    deadline = time.monotonic() + timeout
    while len(out) < want and time.monotonic() < deadline:
        t = w.next(timeout=max(0.05, deadline - time.monotonic()))
        if t is not None:
            out.append(t)
    return out


def agent_moves(ts: list[Transition]) -> list[tuple[str | None, str, bool, bool]]:
    return [(t.old, t.new, t.secure_pause, t.recovered) for t in ts
            if t.conversation_id == Demo.ACTIVE and t.participant_id == Demo.ACTIVE_AGENT]


def quiet(w: Watch, seconds: float = 0.6) -> list[Transition]:
    """What else arrives in a short while (nothing, when nothing changed)."""
    return collect(w, 1_000, timeout=seconds)


def test_secure_pause_and_resume_arrive_as_paused_then_active(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    with rc.watch(queues=["Sales"], conversations=[Demo.ACTIVE], journal=True, settings=FAST) as w:
        assert w.queue_ids == [SALES] and len(w.channels) == 1 and not w.rejected
        rc.pause(Demo.ACTIVE)
        rc.resume(Demo.ACTIVE)
        got = collect(w, 4)
        moves = agent_moves(got)
        assert moves[:2] == [("ACTIVE", "PAUSED", True, False), ("PAUSED", "ACTIVE", False, False)], got
        assert {t.topic.split(".")[1] for t in got} <= {"routing", "users"} and not any(t.recovered for t in got)
        assert agent_moves(quiet(w)) == []  # each change once
    from recops.live.observed import Observed

    rows = Observed(tmp_path / "j.sqlite").rows(Demo.ACTIVE)
    assert [(r["old_state"], r["new_state"]) for r in rows if r["participant_id"] == Demo.ACTIVE_AGENT][:2] == [
        ("ACTIVE", "PAUSED"), ("PAUSED", "ACTIVE")]


def test_topics_past_a_shortened_limit_take_two_channels(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    settings = WatchSettings(topics_per_channel=2, socket=FAST.socket, reconnect_delays=FAST.reconnect_delays)
    with rc.watch(queues=["Sales", "Support"], users=[Demo.AVA], conversations=[Demo.ACTIVE],
                  settings=settings) as w:
        assert len(w.channels) == 2 and len({c.id for c in w.channels}) == 2
        assert [len(c.permitted) for c in w.channels] == [2, 1]
        rc.pause(Demo.ACTIVE)
        # Ava's user topic is on the second channel, the queue's on the first: one transition, not two
        assert agent_moves(collect(w, 2))[:1] == [("ACTIVE", "PAUSED", True, False)]
        assert agent_moves(quiet(w)) == []


def test_a_drop_recovers_the_missed_transition_once_marked_recovered(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    slow = WatchSettings(reconnect_delays=(1.5,), socket=FAST.socket)  # a gap long enough to miss a change
    with rc.watch(queues=["Sales"], conversations=[Demo.ACTIVE], settings=slow) as w:
        rc.pause(Demo.ACTIVE)
        assert agent_moves(collect(w, 2))[:1] == [("ACTIVE", "PAUSED", True, False)]
        sb.control.call("POST", "notifications/faults", {"kind": "drop"})
        time.sleep(0.3)
        rc.resume(Demo.ACTIVE)  # while no socket is open: never delivered (no replay)
        moves = agent_moves(collect(w, 2, timeout=10)) + agent_moves(quiet(w, 1.0))
        assert moves == [("PAUSED", "ACTIVE", False, True)], (moves, w.gaps)
        assert w.gaps and w.gaps[0].reason != "socket_closing"
        rc.pause(Demo.ACTIVE)  # and the new socket carries the next change as an event
        assert agent_moves(collect(w, 2))[:1] == [("ACTIVE", "PAUSED", True, False)]


def test_socket_closing_reconnects_on_the_same_channel_and_nothing_is_twice(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    with rc.watch(queues=["Sales"], conversations=[Demo.ACTIVE], settings=FAST) as w:
        channel = w.channels[0].id
        sb.control.call("POST", "notifications/faults", {"kind": "socketClosing"})
        rc.pause(Demo.ACTIVE)
        rc.resume(Demo.ACTIVE)
        moves = agent_moves(collect(w, 4, timeout=10)) + agent_moves(quiet(w, 1.5))
        assert [(m[0], m[1]) for m in moves] == [("ACTIVE", "PAUSED"), ("PAUSED", "ACTIVE")], (moves, w.gaps)
        assert "socket_closing" in [g.reason for g in w.gaps] and w.channels[0].id == channel


def test_renewal_before_expiry_resubscribes_and_rereads(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    margin = WatchSettings(renew_margin=timedelta(hours=24) - timedelta(seconds=1), socket=FAST.socket)
    with rc.watch(queues=["Sales"], conversations=[Demo.ACTIVE], settings=margin) as w:
        time.sleep(2.5)
        assert "renewed" in [g.reason for g in w.gaps]
        rc.pause(Demo.ACTIVE)
        assert agent_moves(collect(w, 2))[:1] == [("ACTIVE", "PAUSED", True, False)]


def test_cli_json_lines_then_ctrl_c_exits_130(sb, tmp_path: Path):
    import json
    import os
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env |= {"RECOPS_SANDBOX_URL": sb.url, "RECOPS_JOURNAL": str(tmp_path / "j.sqlite"),
            "PYTHONPATH": str(root) + os.pathsep + env.get("PYTHONPATH", ""), "HOME": str(tmp_path),
            "RECOPS_OUTPUT_DIR": str(tmp_path / "out")}
    proc = subprocess.Popen([sys.executable, "-m", "recops.cli", "watch", "--queue", "Sales", "--json"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        err = ""
        while "Ctrl-C stops" not in err and time.monotonic() < deadline and proc.poll() is None:
            err += proc.stderr.readline()
        assert "Ctrl-C stops" in err, err + (proc.stderr.read() if proc.poll() is not None else "")
        rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j2.sqlite")
        rc.pause(Demo.ACTIVE)
        import queue
        import threading

        out: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [out.put(line) for line in proc.stdout], daemon=True).start()
        lines, agent = [], []
        while not agent:
            lines.append(json.loads(out.get(timeout=15)))  # one line a participant whose state changed
            agent = [x for x in lines if x["participant_id"] == Demo.ACTIVE_AGENT]
        assert agent and agent[0]["new"] == "PAUSED" and agent[0]["recovered"] is False, lines
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 130
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_an_expired_channel_is_made_again_with_its_topics(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    slow = WatchSettings(reconnect_delays=(1.0,), socket=FAST.socket)
    with rc.watch(queues=["Sales"], conversations=[Demo.ACTIVE], settings=slow) as w:
        first = w.channels[0].id
        sb.control.call("POST", "notifications/faults", {"kind": "expire"})
        time.sleep(0.3)
        rc.pause(Demo.ACTIVE)  # in the gap: recovered from the re-read
        moves = agent_moves(collect(w, 2, timeout=10)) + agent_moves(quiet(w, 1.0))
        assert moves == [("ACTIVE", "PAUSED", True, True)], (moves, w.gaps)
        assert w.channels[0].id != first
        assert w.channels[0].permitted == [f"v2.routing.queues.{SALES}.conversations.calls",
                                           f"v2.users.{Demo.AVA}.conversations.calls"]
        rc.resume(Demo.ACTIVE)  # the new channel carries events
        assert agent_moves(collect(w, 2))[:1] == [("PAUSED", "ACTIVE", False, False)]


def test_nothing_subscribable_names_the_polling_fallback_and_the_rejected_topics(sb, tmp_path: Path):
    from recops.genesys.errors import ConfigError

    rc = connect(sb, Demo.NOTHING, tmp_path / "j.sqlite")  # a client with no permission at all
    with pytest.raises(ConfigError) as e:
        rc.watch(queues=[SALES], settings=FAST)
    text = str(e.value)
    assert "no topic could be subscribed" in text and f"v2.routing.queues.{SALES}" in text
    assert "poll instead" in text and "rc.states" in text


def test_drops_at_random_moments_keep_the_chain_unbroken_and_nothing_twice(sb, tmp_path: Path):
    """30 alternating changes with 5 drops among them: the agent's transitions form one chain (each
    old is the previous new, none repeated), the ones in gaps recovered, and it ends in the last state."""
    import itertools
    import random

    rng = random.Random(20)
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    settings = WatchSettings(reconnect_delays=(0.15,), socket=FAST.socket)
    drops_at = set(rng.sample(range(1, 29), 5))
    with rc.watch(queues=["Sales"], conversations=[Demo.ACTIVE], settings=settings) as w:
        for i in range(30):
            (rc.pause if i % 2 == 0 else rc.resume)(Demo.ACTIVE)
            if i in drops_at:
                sb.control.call("POST", "notifications/faults", {"kind": "drop"})
            time.sleep(rng.uniform(0.0, 0.25))
        got = collect(w, 1_000, timeout=4)
    chain = [(t.old, t.new, t.recovered) for t in got
             if t.conversation_id == Demo.ACTIVE and t.participant_id == Demo.ACTIVE_AGENT]
    assert chain and chain[0][0] == "ACTIVE" and chain[-1][1] == "ACTIVE", chain
    assert all(a[1] == b[0] and b[0] != b[1] for a, b in itertools.pairwise(chain)), chain
    assert len([g for g in w.gaps if g.reason != "renewed"]) >= 3  # a drop while already reconnecting is none
    assert any(r for _, _, r in chain) and len([c for c in chain if not c[2]]) >= 10, chain


def test_an_ended_conversation_is_re_read_no_more_after_a_gap(sb, tmp_path: Path):
    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    slow = WatchSettings(reconnect_delays=(0.5,), socket=FAST.socket)
    with rc.watch(queues=["Sales"], conversations=[Demo.ACTIVE, Demo.UNRECORDED], settings=slow) as w:
        assert set(w.tracker.conversations()) == {Demo.ACTIVE, Demo.UNRECORDED}
        sb.control.disconnect(Demo.UNRECORDED)
        collect(w, 1_000, timeout=0.8)
        sb.control.call("POST", "notifications/faults", {"kind": "drop"})
        deadline = time.monotonic() + 10
        while Demo.UNRECORDED in w.tracker.conversations() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert w.tracker.conversations() == [Demo.ACTIVE], w.gaps
        rc.pause(Demo.ACTIVE)  # the rest still flows
        assert agent_moves(collect(w, 2))[:1] == [("ACTIVE", "PAUSED", True, False)]


def test_close_watches_ends_every_open_watch_of_the_process(sb, tmp_path: Path):
    """A cell run twice leaves the first run's watches open: ``recops.close_watches()`` ends them all
    (sockets, threads, subscriptions), and a closed watch is no longer listed."""
    import threading

    import recops

    rc = connect(sb, Demo.SUPERVISOR, tmp_path / "j.sqlite")
    before = set(map(id, recops.open_watches()))
    first = rc.watch(conversations=[Demo.ACTIVE], settings=FAST)
    second = rc.watch(queues=["Sales"], settings=FAST)
    mine = {id(first), id(second)}
    assert mine <= set(map(id, recops.open_watches())) - before
    names = {t.name for w in (first, second) for t in w._threads}
    assert names and names <= {t.name for t in threading.enumerate()}
    assert recops.close_watches() >= 2
    assert not mine & set(map(id, recops.open_watches()))
    assert not names & {t.name for t in threading.enumerate()}
    rc.pause(Demo.ACTIVE)  # nothing reads it any more: no transition waits in a closed watch
    assert first.next(timeout=0.5) is None and second.next(timeout=0.2) is None
