"""``rc.export`` through the real SDK against the sandbox: batches of at most 100, polled; files
whose SHA-256 equals the sandbox's bytes, written via a temp name; a manifest listing every
recording once; rows for what cannot be exported; 429s, 503s, cut bodies and expired links
survived; and a resume that never fetches a recorded file twice."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import recops
from recops.export.state import ExportState

from ..conftest import Demo
from .export_helpers import (
    BATCHES,
    batch_posts,
    check_files,
    clear,
    leftovers,
    manifest_json,
    media_entries,
    seed_recorded,
    table_of,
    truth,
)
from .ops_helpers import connect

BOGUS = "c0a80001-0000-4000-8000-00000000dead"


@pytest.fixture
def rc(sb, tmp_path):
    sb.control.settings(mediaMaxSeconds=2, batchDownloadDelaySeconds=0.2)  # small files, quick batches
    return connect(sb, None, tmp_path / "j.sqlite")


def test_ids_are_exported_with_a_manifest_whose_hashes_are_the_sandboxs_bytes(sb, rc, tmp_path):
    seeded = seed_recorded(sb.control, 3)
    dest = tmp_path / "out"
    seen: list[tuple[int, int]] = []
    clear(sb.control)
    result = rc.export([s.conversation_id for s in seeded], dest, progress=False,
                       on_progress=lambda done, total: seen.append((done, total)))
    recordings = [(s.conversation_id, rid) for s in seeded for rid in s.recording_ids]
    assert result.ok and result.counts == {"exported": len(recordings)}
    assert seen[-1] == (len(recordings), len(recordings))
    rows = manifest_json(dest)["recordings"]
    assert sorted((r["conversation_id"], r["recording_id"]) for r in rows) == sorted(recordings)
    check_files(sb.control, dest, rows)
    for r in rows:
        assert r["file"] == f"{r['conversation_id']}/{r['recording_id']}.wav"
        assert (r["media_type"], r["times_from"]) == ("audio/wav", "recording")
    csv = pd.read_csv(result.manifest_csv)
    assert sorted(csv["sha256"]) == sorted(r["sha256"] for r in rows)
    assert list(result.manifest["sha256"]) == [r["sha256"] for r in rows]
    assert leftovers(dest) == []
    # one batch for the three; downloads carry no bearer token and were each fetched once, whole
    assert len(batch_posts(sb.control)) == 1
    media = media_entries(sb.control)
    assert sorted((e["conversationId"], e["recordingId"]) for e in media) == sorted(recordings)
    assert all(e["status"] == 200 and e["complete"] and "tokenKind" not in e for e in media)
    assert "exported" in result.summary() and str(dest) in result.summary()


def test_more_than_100_recordings_go_in_batches_of_at_most_100(sb, rc, tmp_path):
    seeded = seed_recorded(sb.control, 130)
    frame = table_of(seeded, with_recordings=True)
    clear(sb.control)
    result = rc.export(frame, tmp_path / "out", concurrency=8, progress=False)
    assert result.counts == {"exported": len(frame)}
    assert len(batch_posts(sb.control)) == -(-len(frame) // 100)
    assert not [e for e in sb.control.requests() if e["path"].endswith("/recordingmetadata")]  # the table had times
    assert set(result.manifest["times_from"]) == {"conversation"}
    check_files(sb.control, tmp_path / "out", manifest_json(tmp_path / "out")["recordings"])


def test_what_cannot_be_exported_is_a_row_with_the_reason_and_the_rest_continue(sb, rc, tmp_path):
    ok, archived, deleted = seed_recorded(sb.control, 3)
    sb.control.set_file_state(archived.conversation_id, archived.recording_ids[0], "ARCHIVED")
    sb.control.set_file_state(deleted.conversation_id, deleted.recording_ids[0], "DELETED")
    ids = [ok.conversation_id, archived.conversation_id, "nonsense", deleted.conversation_id, BOGUS, Demo.UNRECORDED]
    clear(sb.control)
    result = rc.export(ids, tmp_path / "out", progress=False)
    by = {(r.conversation_id, r.recording_id): r for r in result.rows}
    assert by[(ok.conversation_id, ok.recording_ids[0])].status == "exported"
    arch = by[(archived.conversation_id, archived.recording_ids[0])]
    assert arch.status == "archived" and "ARCHIVED" in arch.error and "restore" in arch.error
    assert by[(deleted.conversation_id, deleted.recording_ids[0])].status == "deleted"
    assert by[("nonsense", None)].status == "invalid"
    assert by[(BOGUS, None)].status == "unknown"
    assert by[(Demo.UNRECORDED, None)].status == "no-recordings"
    assert not result.ok
    assert len(result.failures) == 5 and len(result.rows) == 6
    from rich.console import Console

    console = Console(width=220, record=True)
    console.print(result)
    text = console.export_text()
    assert result.summary() in text.replace("\n", " ") or "1 exported" in text
    assert text.index("archived") < text.index("exported  ")  # what needs attention first
    media = media_entries(sb.control)
    assert {e["conversationId"] for e in media} == {ok.conversation_id}  # nothing fetched for the others

    # from a table with times (no metadata read), the batch itself answers with an errorMsg
    result = rc.export(table_of([archived, deleted]), tmp_path / "table", progress=False)
    assert set(result.manifest["status"]) == {"failed"}
    assert result.manifest["error"].notna().all()


def test_429_on_batch_requests_is_waited_out(sb, rc, tmp_path):
    seeded = seed_recorded(sb.control, 2)
    sb.control.fault(method="POST", path=BATCHES, status=429, retryAfter=1, count=2)
    sb.control.fault(method="GET", path=f"{BATCHES}/*", status=429, retryAfter=1, count=1)
    clear(sb.control)
    waits = []
    stop = rc.on_wait(waits.append)
    result = rc.export(table_of(seeded), tmp_path / "out", progress=False)
    stop()
    assert result.ok
    posts = [e["status"] for e in batch_posts(sb.control)]
    assert posts == [429, 429, 200]
    assert [w.reason for w in waits if w.status == 429] == ["retry-after"] * 3


def test_503s_and_cut_bodies_on_downloads_are_retried(sb, rc, tmp_path):
    seeded = seed_recorded(sb.control, 4)
    sb.control.fault(method="GET", path="/media/batch/*", status=503, retryAfter=0, count=2)
    sb.control.fault(method="GET", path="/media/batch/*", action="truncate", count=3)
    clear(sb.control)
    waits = []
    stop = rc.on_wait(waits.append)
    result = rc.export(table_of(seeded), tmp_path / "out", progress=False)
    stop()
    assert result.ok, result.manifest[["status", "error"]]
    check_files(sb.control, tmp_path / "out", manifest_json(tmp_path / "out")["recordings"])
    media = media_entries(sb.control)
    assert sum(1 for e in media if e["status"] == 503) == 2
    retried = [w for w in waits if w.path.startswith("/media/batch/")]
    assert [w.status for w in retried].count(503) == 2 and len(retried) == 5  # 2 x 503, 3 x cut body
    assert all("Signature" not in w.path for w in retried)  # the signed query never leaves the downloader
    assert sum(1 for e in media if e["status"] == 200 and not e["complete"]) == 3
    assert leftovers(tmp_path / "out") == []


def test_links_that_expired_before_their_download_are_requested_again(sb, rc, tmp_path):
    seeded = seed_recorded(sb.control, 3)
    sb.control.settings(batchDownloadUrlTtlSeconds=1)
    # the first downloads arrive after their link's lifetime: the media host answers S3's 403
    sb.control.fault(method="GET", path="/media/batch/*", action="delay", latencyMs=2500, count=3)
    clear(sb.control)
    result = rc.export(table_of(seeded), tmp_path / "out", progress=False)
    assert result.ok, result.manifest[["status", "error"]]
    media = media_entries(sb.control)
    assert sum(1 for e in media if e["status"] == 403) == 3
    assert len(batch_posts(sb.control)) == 2  # the expired three, asked for again in one batch
    check_files(sb.control, tmp_path / "out", manifest_json(tmp_path / "out")["recordings"])


def test_a_crashed_export_resumes_without_fetching_a_recorded_file_twice(sb, rc, tmp_path):
    seeded = seed_recorded(sb.control, 6)
    frame = table_of(seeded)
    dest = tmp_path / "out"
    clear(sb.control)

    def crash(done: int, total: int) -> None:
        if done >= 2:
            raise RuntimeError("simulated crash")

    # downloads slow enough that the crash comes while some recordings are not fetched yet
    sb.control.fault(method="GET", path="/media/batch/*", action="delay", latencyMs=300, count=len(seeded))

    with pytest.raises(RuntimeError, match="simulated crash"):
        rc.export(frame, dest, concurrency=1, progress=False, on_progress=crash)
    first = manifest_json(dest)
    assert {r["status"] for r in first["recordings"]} <= {"exported", "failed"}
    assert leftovers(dest) == []
    state = ExportState(tmp_path / "exports.sqlite")
    complete = state.files(first["export_id"])
    state.close()
    assert len(complete) >= 2

    # what a kill between rename and record leaves: a final-named file with no record; and a stale .part
    unrecorded = next(s for s in seeded if (s.conversation_id, s.recording_ids[0]) not in complete)
    folder = dest / unrecorded.conversation_id
    folder.mkdir(exist_ok=True)
    (folder / f"{unrecorded.recording_ids[0]}.wav").write_bytes(
        sb.control.media(unrecorded.conversation_id, unrecorded.recording_ids[0]))
    (folder / f".{unrecorded.recording_ids[0]}.wav.part").write_bytes(b"half")
    mark = len(media_entries(sb.control))

    result = rc.export(frame, dest, progress=False)
    assert result.ok and result.export_id == first["export_id"]
    rows = manifest_json(dest)["recordings"]
    assert len(rows) == len(seeded)
    check_files(sb.control, dest, rows)
    again = media_entries(sb.control)[mark:]
    fetched = {(e["conversationId"], e["recordingId"]) for e in again}
    assert not fetched & set(complete)  # nothing recorded complete was fetched again
    assert (unrecorded.conversation_id, unrecorded.recording_ids[0]) not in fetched  # hashed, not fetched
    notes = {r["recording_id"]: r["note"] for r in rows}
    assert "hashed, not fetched" in notes[unrecorded.recording_ids[0]]
    assert sum(1 for n in notes.values() if n and "already complete" in n) == len(complete)
    assert leftovers(dest) == []

    # a recorded file that went missing is fetched again, and the row says so
    gone = rows[0]
    (dest / gone["file"]).unlink()
    mark = len(media_entries(sb.control))
    result = rc.export(frame, dest, progress=False)
    assert result.ok
    assert [(e["conversationId"], e["recordingId"]) for e in media_entries(sb.control)[mark:]] == [
        (gone["conversation_id"], gone["recording_id"])]
    row = next(r for r in result.rows if r.recording_id == gone["recording_id"])
    assert "missing" in row.note
    assert truth(sb.control, row.conversation_id, row.recording_id) == row.sha256

    # and one whose size changed (a file edited in place) too
    changed = rows[1]
    (dest / changed["file"]).write_bytes(b"not the recording")
    result = rc.export(frame, dest, progress=False)
    row = next(r for r in result.rows if r.recording_id == changed["recording_id"])
    assert "changed" in row.note and row.sha256 == changed["sha256"]
    check_files(sb.control, dest, manifest_json(dest)["recordings"])

    # the dry run now lists everything as complete and sends no batch
    clear(sb.control)
    dry = rc.export(frame, dest, dry_run=True, progress=False)
    assert dry.counts == {"exported": len(seeded)} and dry.estimated_bytes == 0
    assert batch_posts(sb.control) == [] and media_entries(sb.control) == []


def test_a_cancel_stops_cleanly_and_the_rerun_finishes(sb, rc, tmp_path):
    seeded = seed_recorded(sb.control, 5)
    token = recops.CancelToken()
    dest = tmp_path / "out"

    def cancel_after_one(done: int, total: int) -> None:
        if done >= 1:
            token.cancel()

    result = rc.export(table_of(seeded), dest, concurrency=1, progress=False, on_progress=cancel_after_one,
                       cancel=token)
    assert result.cancelled and "cancelled" in result.counts
    assert json.loads(result.manifest_json.read_text())["cancelled"] is True
    assert leftovers(dest) == []
    assert all(r.error for r in result.rows if r.status == "cancelled")
    result = rc.export(table_of(seeded), dest, progress=False)
    assert result.ok and not result.cancelled
    check_files(sb.control, dest, manifest_json(dest)["recordings"])


def test_the_demo_conversation_exports_through_the_session_api(sb, rc, tmp_path):
    result = rc.export(Demo.ENDED, tmp_path / "one", progress=False)
    assert result.ok and len(result.rows) >= 1
    assert isinstance(result, recops.ExportResult)
