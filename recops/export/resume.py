"""What one export has completed: the files earlier runs recorded, checked against the
destination, and the files this run records — the resume step of ``recops.export.run`` (step 3)
and the only writer of its progress store (``recops.export.state``) during a run.

- :meth:`Completions.prepare`: the recordings an earlier run's batch named for a conversation
  the input gives times for; stale ``.part`` files in ``dest`` are removed.
- :meth:`Completions.settle`: is a recording already in ``dest``? Recorded complete with its
  size still there: ``exported``, not fetched. Recorded but missing or changed: removed and
  forgotten, fetched again (the row's note says so). Under its final name but unrecorded (a run
  killed between rename and record): hashed and recorded, not fetched.
- :meth:`Completions.record` / :meth:`Completions.named`: this run's finished files and the
  recordings its batches named, each batch of them in one transaction.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from .downloads import EXTENSIONS, file_sha256, is_part
from .manifest import Row
from .plan import Source, Wanted, needs_metadata
from .state import CompleteFile, ExportState


class Completions:
    """One export's complete files (``export`` is its id, ``dest`` its destination); a dry run
    reads the store and the disk and changes neither."""

    def __init__(self, state: ExportState, export: str, dest: Path, dry_run: bool) -> None:
        self.state, self.export, self.dest, self.dry_run = state, export, dest, dry_run
        self.known = state.files(export)  # read once: (conversation, recording) -> what earlier runs completed

    def prepare(self, plan: Source) -> None:
        """Recordings the input or an earlier run named, for conversations with times; then the
        stale ``.part`` files go (a download or manifest cut short by an earlier run)."""
        resolved = self.state.conversations(self.export)
        for w in plan.wanted:
            if needs_metadata(w):
                continue
            ids = w.recording_ids if w.recording_ids is not None else resolved.get(w.conversation_id)
            if ids is not None:
                w.name_recordings(ids)
        if not self.dry_run:
            for part in [p for p in self.dest.rglob(".*") if is_part(p)]:
                with contextlib.suppress(FileNotFoundError):
                    part.unlink()

    def settle_all(self, wanted: list[Wanted]) -> None:
        for w in wanted:
            for row in (w.recordings or {}).values():
                if row.status == "pending":
                    self.settle(row)

    def settle(self, row: Row) -> bool:
        """Is this recording already in ``dest``? (recorded complete by an earlier run, with its
        size; or final-named but unrecorded, then hashed and recorded). Settles the row when it is."""
        assert row.recording_id
        record = self.known.pop((row.conversation_id, row.recording_id), None)
        if record is not None:
            path = self.dest / record.file
            if path.is_file() and path.stat().st_size == record.bytes:
                row.file, row.bytes, row.sha256, row.media_type = record.file, record.bytes, record.sha256, \
                    record.media_type
                row.settle("exported")
                row.note = "already complete (an earlier run)"
                return True
            state = "changed" if path.exists() else "missing"
            if not self.dry_run:
                # the file under our name is not what was recorded: removed (else a later run would take
                # it for one renamed but not recorded), then fetched again
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                self.state.forget(self.export, row.conversation_id, row.recording_id)
            row.note = f"{'would be ' if self.dry_run else ''}fetched again: {record.file} was {state}"
            return False
        found = self._final_file(row)
        if found is None:
            return False
        if self.dry_run:
            row.note = f"{found.name} is there but not recorded: it would be hashed and recorded"
            return False
        size, digest = file_sha256(found)
        media = next((k for k, v in EXTENSIONS.items() if v == found.suffix[1:]), None)
        rel = found.relative_to(self.dest).as_posix()
        self.state.complete(self.export, row.conversation_id, row.recording_id, file=rel, size=size, sha256=digest,
                            media_type=media)
        row.file, row.bytes, row.sha256, row.media_type = rel, size, digest, media
        row.settle("exported")
        row.note = "found complete but unrecorded (an earlier run stopped after its rename): hashed, not fetched"
        return True

    def record(self, files: list[tuple[Row, CompleteFile]]) -> None:
        """Record finished files in one transaction (one fsync of the store for many files), then
        settle their rows. Each is renamed and its directory fsync'd already: a run killed before
        this leaves them under their final names, and the next run hashes them (``settle``)."""
        self.state.complete_many(self.export, [f for _, f in files])
        for row, f in files:
            row.file, row.bytes, row.sha256, row.media_type = f.file, f.bytes, f.sha256, f.media_type
            row.settle("exported")

    def named(self, recordings: dict[str, list[str]]) -> None:
        """The recordings a batch named, per conversation-only item, in one transaction."""
        self.state.resolved_many(self.export, recordings)

    def _final_file(self, row: Row) -> Path | None:
        folder = self.dest / row.conversation_id
        if not folder.is_dir():
            return None
        return next((p for p in sorted(folder.glob(f"{row.recording_id}.*")) if not is_part(p) and p.is_file()), None)
