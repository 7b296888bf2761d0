"""``recops explain`` knows the lifecycle's codes and the invented routes and scopes that circulate
(generated pages: ``POST /api/v2/recordings/jobs``, a ``…/notifications/stream`` WebSocket,
``recording:job:control``), each pointing at the real one; through the real CLI too."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from recops import explain

from ..core.ops_helpers import REPO


@pytest.mark.parametrize(("text", "real"), [
    ("POST /api/v2/recordings/jobs", "/api/v2/recording/jobs"),
    ("curl -X POST https://api.mypurecloud.com/api/v2/recordings/jobs/abc", "/api/v2/recording/jobs"),
    ("wss://api.mypurecloud.com/api/v2/notifications/stream", "POST /api/v2/notifications/channels"),
    ("scope recording:job:control", "recording:job:add"),
])
def test_invented_names_point_at_the_real_ones(text, real):
    e = explain(text)
    assert real in e.remedy or real in e.meaning
    assert "pause" not in e.topic.lower()  # not the pause tutorial's answer


@pytest.mark.parametrize(("code", "word"), [
    ("recording.orphan.retention.data.invalid", "deleteDate"),
    ("recording.orphan.unknown.conversation", "conversationId"),
    ("recording.orphan.edit.permission.check.failed", "recording:orphan:edit"),
    ("recording.org.settings.request.invalid", "recordingPlaybackUrlTtl"),
    ("recording.protection.limit.exceeded", "recops hold revoke"),
])
def test_lifecycle_codes_are_known(code, word):
    e = explain(code)
    assert word in e.remedy and "Not in recops's catalogue" not in e.meaning


def test_cli_explains_the_plural_route():
    out = subprocess.run([sys.executable, "-m", "recops.cli", "explain", "POST /api/v2/recordings/jobs", "--json"],
                         capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "/api/v2/recording/jobs" in json.loads(out.stdout)["remedy"]
