"""The hostile seat of benchmarks/room_abuse.py against a real room process, for a few seconds: its
downloads stream whole WAVs through a batch job's signed link, and every reply it gets is counted
in the right column (a 429 of the per-token limit with its Retry-After, which it honours). The
benchmark's figures are never asserted here."""

from __future__ import annotations

import json
import time

from benchmarks.common import clean_env
from benchmarks.room_abuse import DOWNLOADS, GETS, HostileSeat, Plan, longest_recording
from recops.sandbox.control_client import SandboxClient
from recops.sandbox.process import room_process

BUDGET = 10  # the room's per-token limit for this test: the GET loop's 11th request is a 429


def test_the_hostile_seat_downloads_whole_wavs_and_counts_429s_with_retry_after(tmp_path):
    conversation, size = longest_recording()
    assert size > 5_000_000  # a long recording: the demo org's longest is about 7 MB
    with room_process(2, tmp_path / "cards", env=clean_env()) as room:
        trainer = SandboxClient(room.url, admin_token=(tmp_path / "cards" / "admin-token").read_text().strip())
        trainer.settings(batchDownloadDelaySeconds=0, rateLimitPerMinute=BUDGET)
        plan = Plan(attacks=("media", "gets"), downloads=3, get_tokens=1, gets_per_minute=600,
                    conversation=conversation, media_bytes=size, warmup=0.0, seconds=4.0)
        seat = HostileSeat(room.url, json.loads((tmp_path / "cards" / "seat-01.json").read_text()), plan)
        got = seat.run(time.monotonic() + plan.seconds)

    assert got["stuck"] == 0
    assert got["downloads"] >= 3, seat.rows[DOWNLOADS].counts
    assert got["bytes"] == got["downloads"] * size  # every one whole, each exactly the recording's WAV
    assert seat.rows[DOWNLOADS].column("2xx") == got["downloads"]
    # a room that bounds a seat's concurrent downloads refuses the rest with 429 + Retry-After
    assert set(seat.rows[DOWNLOADS].counts) <= {"2xx", "429 with Retry-After"}, seat.rows[DOWNLOADS].counts
    # 600/min against a budget of 10: ten answers, then a 429 whose Retry-After (the window's
    # remaining ~56 s) the loop waits out, past the end of the run
    assert seat.rows[GETS].counts == {"2xx": BUDGET, "429 with Retry-After": 1}
    assert all(o.column("5xx") == o.column("no reply") == 0 for o in seat.rows.values()), seat.rows
