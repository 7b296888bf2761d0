"""The history bar's ``rows=`` count (issue 17's leftover): the bar the user is left looking at
shows the rows read, the same count as the table, never the count of a day before. The real
``rc.interval`` against the sandbox, its real tqdm bar written to stderr."""

from __future__ import annotations

import re
from datetime import timedelta

from .ops_helpers import connect, iso, sandbox_now, utc_midnight

ANALYTICS = ["analytics:conversationDetail:view"]


def test_the_last_bar_drawn_shows_the_final_row_count(sb, tmp_path, capsys):
    client = sb.control.add_client(ANALYTICS, org="bar-rows")
    first = utc_midnight(sandbox_now(sb)) - timedelta(days=8)
    interval = f"{iso(first)}/{iso(first + timedelta(days=4))}"
    sb.control.seed(org="bar-rows", count=4 * 30, seed=7, interval=interval)
    rc = connect(sb, (client["clientId"], client["clientSecret"]), tmp_path / "j.sqlite")
    capsys.readouterr()
    frame = rc.interval(interval, progress=True)
    drawn = [s for s in re.split(r"[\r\n]", capsys.readouterr().err) if "history" in s]
    assert drawn, "no history bar was drawn"
    last = drawn[-1]  # the last state drawn before the bar is cleared away
    assert "4/4" in last, last
    assert f"rows={len(frame)}" in last, f"the bar's last state {last!r}; the table has {len(frame)} rows"
