"""The room under a class's load (a CI-sized run of benchmarks/room_load.py): 30 trainees at once,
each working the walkthrough's calls through the real SDK against one room sandbox process, plus
the trainer's board as its page holds it (the push stream). No request fails, and every seat ends
exactly as its own trainee left it. (Latency is the benchmark's figure, never asserted here.)"""

from __future__ import annotations

from benchmarks.room_load import expected_final, run_room_load


def test_thirty_trainees_at_once_leave_no_error_and_no_cross_seat_effect():
    result = run_room_load(trainees=30, seconds=10.0, think=0.5)

    assert result.errors == {}
    assert min(result.passes) >= 1, result.passes  # every trainee got through the walkthrough at least once
    # the board's stream delivered the first board and the changes the seats made throughout
    assert result.board_source.endswith("(push)") and result.board_pushed >= 3, result.board_pushed
    assert result.final_states == {seat: expected_final(seat) for seat in range(1, 31)}
    # the seats' own actions differ, so a leak between seats would show in the states above
    assert len(set(result.final_states.values())) == 4
    assert result.peak_per_minute < 300
