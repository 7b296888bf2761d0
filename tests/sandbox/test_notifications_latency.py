"""The notification socket's delivery never waits for the state lock (issue 20, latency): a socket's
task runs on the server's event loop, and a publisher in another thread holds the state lock while it
publishes (``model/events.py``). Before, the socket's task took that lock on every wake-up to check
its channel, so the event loop itself stopped until the publisher let go: the frame, and every HTTP
reply of the sandbox meanwhile, waited behind a change in another thread. Driven by a real
``websockets`` client against the served sandbox; channels and subscriptions through the SDK."""

from __future__ import annotations

import threading
import time

from websockets.sync.client import connect

from .test_notifications_socket import ORG, TOPIC, channel, notif, recv_event  # noqa: F401 (fixtures)


def test_a_frame_reaches_the_client_while_the_publisher_still_holds_the_state_lock(sb, channel):  # noqa: F811
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)  # the socket is registered once accepted
        got: list[dict] = []
        arrived = threading.Event()

        def read() -> None:
            got.append(recv_event(ws, timeout=10))
            arrived.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        with sb.state.lock:  # a change in another thread: it publishes, then carries on under the lock
            sb.state.events.publish(ORG, TOPIC, {"id": "c1", "recordingState": "paused"}, sb.state.clock.now())
            delivered_under_lock = arrived.wait(5)
        reader.join(10)
        assert delivered_under_lock, "the frame waited for the publisher's state lock (the event loop blocked on it)"
        assert got[0]["eventBody"] == {"id": "c1", "recordingState": "paused"}


def test_many_events_from_another_thread_arrive_in_order_with_one_wake_up_per_batch(sb, channel):  # noqa: F811
    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        with sb.state.lock:
            for n in range(50):
                sb.state.events.publish(ORG, TOPIC, {"id": "c1", "n": n}, sb.state.clock.now())
        assert [recv_event(ws)["eventBody"]["n"] for _ in range(50)] == list(range(50))


def test_http_replies_do_not_wait_behind_a_woken_socket_while_another_thread_holds_the_lock(sb, channel):  # noqa: F811
    """The loop stays free: a control-plane read that needs no state lock is answered while a
    publisher in another thread still holds it, just after waking the socket's task."""
    import http.client

    with connect(channel.connect_uri) as ws:
        time.sleep(0.1)
        answered = threading.Event()
        status: list[int] = []

        def health() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
            conn.request("GET", "/_sandbox/health")
            status.append(conn.getresponse().status)
            conn.close()
            answered.set()

        with sb.state.lock:
            sb.state.events.publish(ORG, TOPIC, {"id": "c1", "recordingState": "paused"}, sb.state.clock.now())
            time.sleep(0.2)  # the socket's task has woken (before: and blocked the loop on this lock)
            threading.Thread(target=health, daemon=True).start()
            answered_under_lock = answered.wait(5)
        assert answered_under_lock, "an HTTP reply waited for the publisher's state lock behind the socket's wake-up"
        assert status == [200]
        assert recv_event(ws)["eventBody"]["id"] == "c1"
