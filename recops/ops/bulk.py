"""Pause or resume many conversations: one ``Outcome`` per id, in order, whatever fails.

``run_many(ops, "pause", ids)`` (behind ``Session.pause_many`` / ``resume_many``):

- each id goes through the single-id operation (``RecordingOps.pause``/``resume``): the state
  is read first, a no-op is skipped, every change is journaled (intent, then outcome);
- a bad id (not a UUID: nothing is sent), an unknown one (404), an ended call or any other
  error becomes an ``Outcome`` whose ``error`` says why; it never stops the others;
- an id repeated in the list is done once, at its first position; each repeat is reported as
  skipped ("repeated in the list"), with nothing sent or journaled;
- up to ``concurrency`` ids are worked on at once (as ``Session.states``); the transport paces
  every request from the ``inin-ratelimit-*`` headers and waits out a 429's Retry-After;
- ``on_progress(done, total, outcome)`` is called from the calling thread as each id finishes;
- on a real org, ``confirm`` is checked once, before anything is read or sent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from html import escape
from typing import TYPE_CHECKING, Any

from recops.api.settings import DEFAULT_CONCURRENCY
from recops.base.display import AMBER, GREEN, GREY, RED, badge, code, html_table, rich_table, rich_text
from recops.genesys.errors import ConfigError, ConfirmationRequired, RecopsError

from .recording import Failure, Outcome

if TYPE_CHECKING:
    import pandas as pd

    from .recording import RecordingOps

CONVERSATION_ID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ACTIONS = ("pause", "resume")
RESULTS = ("changed", "dry run", "skipped", "failed")
RESULT_STYLES = {"changed": ("green", GREEN), "dry run": ("yellow", AMBER), "skipped": ("dim", GREY),
                 "failed": ("red", RED)}  # result -> (rich style, HTML colour)

Progress = Callable[[int, int, Outcome], None]


class Outcomes(list[Outcome]):
    """The outcomes of a many-id operation, in the order of the ids, with a summary; renders
    itself as a table (``__rich__`` in a terminal, ``_repr_html_`` in a notebook)."""

    @staticmethod
    def result_of(outcome: Outcome) -> str:
        """``changed``, ``dry run``, ``skipped`` or ``failed``."""
        if outcome.error is not None:
            return "failed"
        if outcome.skipped:
            return "skipped"
        return "dry run" if outcome.dry_run else "changed"

    @property
    def counts(self) -> dict[str, int]:
        """How many ids were changed, skipped (no-ops, repeats), failed (and dry-run)."""
        found = Counter(self.result_of(o) for o in self)
        return {name: found.get(name, 0) for name in RESULTS}

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self if o.error is not None]

    def summary(self) -> str:
        counts = self.counts
        parts = [f"{counts[name]} {name}" for name in RESULTS if counts[name] or name != "dry run"]
        action = self[0].action if self else "change"
        return f"{action} on {len(self)} conversation(s): " + ", ".join(parts)

    def rows(self) -> list[dict[str, str]]:
        """One row per id: the result and its detail (before -> after, the reason, or the error)."""
        out = []
        for o in self:
            result = self.result_of(o)
            if o.error is not None:
                detail = o.error.describe()
            elif o.skipped:
                detail = o.reason or ""
            elif o.dry_run:
                detail = f"{o.before} -> would send {o.endpoint} {o.request}"
            else:
                detail = f"{o.before} -> {o.after or '?'}" + (f" ({o.reason})" if o.reason else "")
            out.append({"conversation_id": o.conversation_id, "result": result, "detail": detail})
        return out

    def to_dicts(self) -> list[dict[str, Any]]:
        return [o.to_dict() for o in self]

    def to_frame(self) -> pd.DataFrame:
        """One row per id: before, after, skipped, error (a Genesys code or the error's type)."""
        from recops.base.frames import typed_frame

        rows = [{"conversation_id": o.conversation_id, "action": o.action, "before": o.before, "after": o.after,
                 "skipped": o.skipped, "error": (o.error.code or o.error.error_type) if o.error else None,
                 "context_id": o.error.context_id if o.error else o.context_id} for o in self]
        return typed_frame(rows, FRAME_COLUMNS)

    def __rich__(self) -> Any:  # the summary as the title, then one row per id
        return rich_table(("conversation", "result", "detail"),
                          ((r["conversation_id"], rich_text((r["result"], RESULT_STYLES[r["result"]][0])), r["detail"])
                           for r in self.rows()), title=self.summary(), no_wrap={"conversation"})

    def _repr_html_(self) -> str:
        def cell(column: str, value: str) -> str:
            if column == "conversation":
                return code(value)
            return badge(value, RESULT_STYLES[value][1]) if column == "result" else escape(value)

        rows = [{"conversation": r["conversation_id"], "result": r["result"], "detail": r["detail"]}
                for r in self.rows()]
        return html_table(("conversation", "result", "detail"), rows, css_class="recops-outcomes",
                          caption=self.summary(), cell=cell)


FRAME_COLUMNS = {"conversation_id": "string", "action": "string", "before": "string", "after": "string",
                 "skipped": "boolean", "error": "string", "context_id": "string"}


def _failed(action: str, cid: str, target: str, error: RecopsError) -> Outcome:
    return Outcome(action, cid, target, "?", None, error=Failure.of(error))


def run_many(ops: RecordingOps, action: str, conversation_ids: Iterable[str], *, confirm: bool = False,
             dry_run: bool = False, concurrency: int = DEFAULT_CONCURRENCY,
             on_progress: Progress | None = None) -> Outcomes:
    """``action`` (pause or resume) on every id; see the module's docstring."""
    if action not in ACTIONS:
        raise ConfigError(f"unknown action {action!r}: {' or '.join(ACTIONS)}")
    if concurrency < 1:
        raise ConfigError("concurrency must be at least 1")
    ids = [str(i).strip() for i in conversation_ids]
    client = ops.client
    if not client.target.is_sandbox and not confirm and not dry_run:
        raise ConfirmationRequired(f"{action} on {len(ids)} conversation(s) would change recordings on the "
                                   f"{client.target.describe()}; nothing was read or sent")
    results: list[Outcome | None] = [None] * len(ids)
    first: dict[str, int] = {}
    todo: list[int] = []
    for index, cid in enumerate(ids):
        if cid in first:
            continue
        first[cid] = index
        todo.append(index)
    if not ids:
        return Outcomes()
    client.api_client  # noqa: B018 - authenticate once before fanning out
    target = client.describe()
    single = ops.pause if action == "pause" else ops.resume
    done = 0

    def finish(index: int, outcome: Outcome) -> None:
        nonlocal done
        results[index] = outcome
        done += 1
        if on_progress is not None:
            on_progress(done, len(ids), outcome)

    def one(cid: str) -> Outcome:
        if not CONVERSATION_ID_RE.fullmatch(cid):
            return _failed(action, cid, target, ConfigError(f"{cid!r} is not a conversation id (a UUID)",
                                                            "check the list; nothing was sent for it"))
        try:
            return single(cid, confirm=confirm, dry_run=dry_run)
        except RecopsError as e:
            return _failed(action, cid, target, e)

    with ThreadPoolExecutor(max_workers=min(concurrency, len(todo))) as pool:
        pending: dict[Future[Outcome], int] = {pool.submit(one, ids[i]): i for i in todo}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=pending.__getitem__):
                finish(pending.pop(future), future.result())
    for index, cid in enumerate(ids):
        if results[index] is None:
            earlier = results[first[cid]]
            assert earlier is not None
            finish(index, Outcome(action, cid, target, earlier.before, earlier.before, skipped=True,
                                  dry_run=dry_run, reason=f"repeated in the list: done once, at position "
                                                          f"{first[cid] + 1}"))
    return Outcomes(o for o in results if o is not None)
