"""The order of notification events when the sandbox clock and an API write change the same
conversation from two threads (issue 20): each publishes under the state lock, so the events
come out in the order the changes were applied, on the bus and on a real WebSocket alike.

Thread A moves the clock (a restoring recording becomes RESTORED on it); thread B archives and
restores the same recording through the unmodified SDK (PUT …/recordings/{rid}). Every event is a
change from the one before it (a publication out of order would repeat or skip a state), the
clock time of the events never goes back, the socket delivers them in the bus's order, and the
last one says what REST says."""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any

from websockets.sync.client import connect

from .notify_helpers import topics

ROUNDS = 25


def test_a_clock_sweep_and_an_api_write_on_one_conversation_publish_in_applied_order(sb, sdk, login, demo):
    sb.control.settings(restoreSeconds=3)
    conv = sb.control.add_conversation(recording=True, startedSecondsAgo=12 * 86400, ended=True, durationSeconds=30,
                                       participants=[{"purpose": "customer", "name": "C"},
                                                     {"purpose": "agent", "name": "Ava", "userId": demo.AVA}])
    cid = conv["id"]
    rid = sb.control.conversation(cid)["recordingIds"][0]
    api_client = login(*demo.INTEGRATION)
    recordings = sdk.RecordingApi(api_client)
    notif = sdk.NotificationsApi(api_client)
    names = [f"v2.users.{demo.AVA}.conversations.{cid}.recordings", f"v2.users.{demo.AVA}.recordings"]
    ch = notif.post_notifications_channels()
    notif.put_notifications_channel_subscriptions(ch.id, topics(sdk, *names))

    bus: list[Any] = []
    stop = sb.state.events.listen(bus.append)
    errors: list[BaseException] = []

    def clock() -> None:
        try:
            for _ in range(2 * ROUNDS):
                sb.control.advance_clock(2)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def writer() -> None:
        try:
            for _ in range(ROUNDS):
                for date in ("2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z"):  # archive, then restore
                    rec = sdk.Recording()
                    rec.archive_date = date
                    recordings.put_conversation_recording(cid, rid, rec)
        except BaseException as exc:
            errors.append(exc)

    try:
        with connect(ch.connect_uri) as ws:
            time.sleep(0.1)
            threads = [threading.Thread(target=clock), threading.Thread(target=writer)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert not errors, errors
            sb.control.advance_clock(4)  # the last restore, if any, completes on the clock
            final = recordings.get_conversation_recording(cid, rid).file_state
            mine = [e for e in bus if e.org == "sandbox-org" and e.topic in names]
            frames = []
            while len(frames) < len(mine):
                msg = json.loads(ws.recv(timeout=5))
                if msg.get("topicName") != "channel.metadata":
                    frames.append(msg)
    finally:
        stop()

    assert [e.seq for e in bus] == sorted(e.seq for e in bus)
    ats = [e.at for e in bus]
    assert ats == sorted(ats), "an event was published with a clock time before an earlier event's"
    assert [(f["topicName"], f["eventBody"]) for f in frames] == [(e.topic, e.body) for e in mine]  # bus order
    states = [e.body["fileState"] for e in mine if e.topic == names[0] and e.body["id"] == rid]
    assert len(states) >= ROUNDS  # (an archive while RESTORING moves it only when the restore ends, on the clock)
    assert "RESTORED" in states  # the clock's moves were interleaved with the writes
    assert all(a != b for a, b in itertools.pairwise(states)), states  # each event a change from the last
    allowed = {("AVAILABLE", "ARCHIVED"), ("ARCHIVED", "RESTORING"), ("RESTORING", "RESTORED"),
               ("RESTORING", "ARCHIVED"), ("RESTORED", "ARCHIVED")}
    assert all((a, b) in allowed for a, b in itertools.pairwise(states)), states
    assert states[-1] == final
