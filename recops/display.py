"""How recops's objects look, written once: for each object its plain lines, a rich renderable
for the terminal (what its ``__rich__`` returns) and escaped HTML for notebooks (what its
``_repr_html_`` returns). The CLI, the widgets and the notebooks show these objects through
them instead of formatting their own.

Nothing here shows a secret: errors are rendered from their (secret-free) message, remedy and
fields, never from the request; a raw exchange names its token's kind, never the token. Every
value goes into HTML through ``html.escape``. rich is imported only when something is rendered
for a terminal, so ``import recops`` stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from html import escape
from typing import TYPE_CHECKING, Any

from .errors import ApiError, RecopsError, TransportError

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.text import Text

    from .bulk import Outcomes
    from .diagnostics import RawExchange
    from .explain import Explanation
    from .export import ExportResult
    from .ledger import Ledger
    from .recording import Outcome, ParticipantState, RecordingsResult, RecordingStatus
    from .training import Check

STATE_STYLES = {"ACTIVE": "green", "PAUSED": "yellow", "NONE": "dim"}
STATE_COLORS = {"ACTIVE": "#137333", "PAUSED": "#b06000", "NONE": "#5f6368"}
RED, GREEN, AMBER, BLUE, GREY = "#a50e0e", "#137333", "#b06000", "#1a73e8", "#5f6368"
CELL = 'style="text-align:left;padding:1px 8px 1px 0;vertical-align:top"'


def _text(*parts: str | tuple[str, str]) -> Text:
    from rich.text import Text

    return Text.assemble(*parts)


def _lines(rows: Iterable[Text]) -> Any:
    from rich.console import Group

    return Group(*rows)


def _html_rows(rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of label → value, both escaped; rows with an empty value are left out."""
    body = "".join(f"<tr><th {CELL}>{escape(label)}</th><td {CELL}>{escape(str(value))}</td></tr>"
                   for label, value in rows if value not in (None, "", [], ()))
    return f'<table style="border-collapse:collapse;margin:2px 0">{body}</table>'


def _box(css_class: str, color: str, inner: str) -> str:
    return (f'<div class="{css_class}" style="border-left:4px solid {color};padding:2px 8px;margin:2px 0">'
            f"{inner}</div>")


def _badge(word: str, color: str, css_class: str = "recops-verdict") -> str:
    return f'<span class="{css_class}" style="font-weight:700;color:{color}">{escape(word)}</span>'


# --- errors ---------------------------------------------------------------------------------------


def error_head(error: BaseException) -> str:
    """``error [code]`` for an answer from Genesys, ``error`` for recops's own errors."""
    code = getattr(error, "code", None) if isinstance(error, ApiError) else None
    return f"error [{code}]" if code else "error"


def error_lines(error: BaseException) -> list[tuple[str, str]]:
    """(label, text) lines: what went wrong (status, code, request, Genesys's message, contextId),
    what to do (the remedy, naming the missing permissions), and whether the sandbox injected it."""
    message = error.message if isinstance(error, RecopsError) else f"{type(error).__name__}: {error}"
    lines = [(error_head(error), message)]
    remedy = getattr(error, "remedy", "") if isinstance(error, RecopsError) else ""
    if remedy:
        lines.append(("do", remedy))
    if isinstance(error, ApiError) and error.injected:
        lines.append(("note", "injected by the sandbox's fault injection (X-Sandbox-Fault: injected)"))
    return lines


def error_rich(error: BaseException) -> Any:
    styles = {"do": "yellow", "note": "dim"}
    return _lines(_text((f"{label}:", styles.get(label, "bold red")), " ", text)
                  for label, text in error_lines(error))


def error_html(error: BaseException) -> str:
    if isinstance(error, ApiError):
        head = (f"<b>{escape(type(error).__name__)}</b> {error.status} <code>{escape(error.code)}</code>"
                + (" <i>(injected by the sandbox)</i>" if error.injected else ""))
        request = f"{error.method} {error.path}".strip()
        rows: list[tuple[str, Any]] = [
            ("message", error.genesys_message), ("request", request), ("contextId", error.context_id),
            ("needs any of", ", ".join(error.permissions)),
            ("retry after", f"{error.retry_after:g} s" if error.retry_after is not None else None),
            ("do", error.remedy)]
    else:
        head = f"<b>{escape(type(error).__name__)}</b>"
        rows = [("message", error.message if isinstance(error, RecopsError) else str(error))]
        if isinstance(error, TransportError):
            rows.append(("request", f"{error.method} {error.path}".strip()))
        rows.append(("do", getattr(error, "remedy", "")))
    return _box("recops-error", RED, f'<div style="color:{RED}">{head}</div>{_html_rows(rows)}')


# --- recording status -----------------------------------------------------------------------------


def status_head(st: RecordingStatus) -> str:
    ended = " (ended)" if st.ended else ""
    media = f" {st.media_type}" if st.media_type else ""
    return f"{st.conversation_id}{media}{ended}: recordingState {st.recording_state}, securePause {st.secure_pause}"


def participant_values(p: ParticipantState) -> dict[str, str]:
    """What matters of a participant, as short words."""
    return {"participant": p.id, "purpose": p.purpose or "", "name": p.name or "", "state": p.state or "",
            "recording": "unknown" if p.recording is None else ("yes" if p.recording else "no"),
            "ad hoc": "ON" if p.adhoc else "OFF", "held": "yes" if p.held else "no"}


def recording_lines(st: RecordingStatus) -> list[str]:
    if st.recordings is not None:
        return [f"recording {r.id}: {r.file_state} {r.media or ''}".rstrip() for r in st.recordings]
    return [st.recordings_note] if st.recordings_note else []


class StatusView:
    """A conversation's status for the terminal: a table of participants when it fits the width,
    else two short lines per participant, so that every value is visible at 80 columns (and the
    participant id, which --participant takes, is never cut)."""

    def __init__(self, st: RecordingStatus) -> None:
        self.st = st

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        st = self.st
        style = f"bold {STATE_STYLES.get(st.recording_state, '')}".strip()
        head = status_head(st)
        where, _, state = head.partition(": ")
        rest = state.removeprefix(f"recordingState {st.recording_state}")
        if options.max_width >= len(head):
            yield _text((f"{where}: ", "bold"), "recordingState ", (st.recording_state, style), rest)
        else:  # narrow: the id on its own line, the state below it, no value cut by the wrap
            yield _text((f"{where}:", "bold"))
            yield _text("  recordingState ", (st.recording_state, style), rest)
        rows = [participant_values(p) for p in st.participants]
        if rows and options.max_width >= self._table_width(rows):
            yield self._table(rows)
        else:
            yield from self._compact(rows)
        for line in recording_lines(st):
            yield _text("  ", (line, "" if st.recordings is not None else "dim"))

    @staticmethod
    def _table_width(rows: list[dict[str, str]]) -> int:
        widths = [max(len(k), *(len(r[k]) for r in rows)) for k in rows[0]]
        return sum(widths) + 3 * len(widths) + 1

    @staticmethod
    def _table(rows: list[dict[str, str]]) -> Any:
        from rich.table import Table

        table = Table(*rows[0].keys())
        table.columns[0].no_wrap = True
        for r in rows:
            table.add_row(*r.values())
        return table

    @staticmethod
    def _compact(rows: list[dict[str, str]]) -> Iterator[Text]:
        purpose = max((len(r["purpose"]) for r in rows), default=0)
        for r in rows:
            yield _text("  ", (r["participant"], "bold"), "  ", r["purpose"].ljust(purpose), "  ", r["name"])
            yield _text("      ", r["state"] or "-", f" · recording {r['recording']} · ad hoc {r['ad hoc']}"
                        f" · held {r['held']}")


def state_badge_html(state: str) -> str:
    """The recording state as a coloured word (class ``recops-state``: the control panel's too)."""
    return (f'<span class="recops-state" style="font-weight:700;color:{STATE_COLORS.get(state, "#000")}">'
            f"{escape(state)}</span>")


def status_detail(st: RecordingStatus) -> str:
    return f"securePause {st.secure_pause}" + (", call ended" if st.ended else "")


def participant_html(p: ParticipantState) -> str:
    v = participant_values(p)
    return (f"{escape(p.name or p.id)} <i>{escape(v['purpose'])}</i> — {escape(v['state'])}, recording "
            f"{escape(v['recording'])}, ad hoc {v['ad hoc']}")


def status_html(st: RecordingStatus) -> str:
    media = f" {escape(st.media_type)}" if st.media_type else ""
    head = (f"<b><code>{escape(st.conversation_id)}</code></b>{media}{' (ended)' if st.ended else ''}: "
            f"recordingState {state_badge_html(st.recording_state)}, securePause {st.secure_pause}")
    rows = [participant_values(p) for p in st.participants]
    table = ""
    if rows:
        th = "".join(f"<th {CELL}>{escape(k)}</th>" for k in rows[0])
        tr = "".join("<tr>" + "".join(f"<td {CELL}><code>{escape(v)}</code></td>" if k == "participant"
                                      else f"<td {CELL}>{escape(v)}</td>" for k, v in r.items()) + "</tr>"
                     for r in rows)
        table = f'<table style="border-collapse:collapse;margin:2px 0"><tr>{th}</tr>{tr}</table>'
    files = "".join(f"<li>{escape(line)}</li>" for line in recording_lines(st))
    color = STATE_COLORS.get(st.recording_state, GREY)
    return _box("recops-status", color, f"<div>{head}</div>{table}" + (f"<ul>{files}</ul>" if files else ""))


# --- recordings (the CLI's ``recops recordings``) ----------------------------------------------------


def recordings_lines(result: RecordingsResult) -> list[str]:
    cid = result.conversation_id
    if result.transcoding:
        head = [f"{cid}: recordings are still being prepared; retry later or pass --wait SECONDS"]
        return head + [f"{r.id} {r.file_state} {r.role or ''}".rstrip() for r in result.recordings]
    if not result.recordings:
        return [f"{cid}: no recordings"]
    return [f"{r.id} {r.file_state} {r.role or ''} {' '.join(result.uris.get(r.id, []))}".rstrip()
            for r in result.recordings]


def recordings_rich(result: RecordingsResult) -> Any:
    return _lines(_text(line) for line in recordings_lines(result))


# --- outcomes --------------------------------------------------------------------------------------


def outcome_verdict(o: Outcome) -> tuple[str, str, str]:
    """(word, rich style, HTML colour)."""
    if o.error is not None:
        return "FAILED", "red", RED
    if o.dry_run:
        return "DRY RUN", "cyan", BLUE
    if o.skipped:
        return "NOTHING TO DO", "yellow", AMBER
    return "APPLIED", "green", GREEN


def outcome_rich(o: Outcome) -> Any:
    _, style, _ = outcome_verdict(o)
    return _text((o.summary(), style))


def outcome_html(o: Outcome) -> str:
    word, _, color = outcome_verdict(o)
    change = f"{o.before} → {o.after or '?'}" if not o.dry_run else o.before
    rows = [("conversation", o.conversation_id), ("participant", o.participant_id), ("state", change),
            ("endpoint", o.endpoint), ("request", json.dumps(o.request) if o.request is not None else None),
            ("why", o.reason), ("error", o.error.describe() if o.error is not None else None),
            ("contextId", o.error.context_id if o.error is not None else o.context_id),
            ("journal", f"#{o.journal_id}" if o.journal_id is not None else None), ("target", o.target)]
    head = f"{_badge(word, color)} <b>{escape(o.action)}</b>"
    return _box("recops-outcome", color, f"<div>{head}</div>{_html_rows(rows)}")


RESULT_STYLES = {"changed": ("green", GREEN), "dry run": ("yellow", AMBER), "skipped": ("dim", GREY),
                 "failed": ("red", RED)}


def outcomes_rich(outcomes: Outcomes) -> Any:
    """A many-id operation: its summary as the title, then one row per id."""
    from rich.table import Column, Table

    table = Table(Column("conversation", no_wrap=True), "result", "detail", title=outcomes.summary(),
                  title_justify="left")
    for row in outcomes.rows():
        table.add_row(row["conversation_id"], _text((row["result"], RESULT_STYLES[row["result"]][0])),
                      row["detail"])
    return table


def outcomes_html(outcomes: Outcomes) -> str:
    body = "".join(
        f"<tr><td {CELL}><code>{escape(r['conversation_id'])}</code></td>"
        f"<td {CELL}>{_badge(r['result'], RESULT_STYLES[r['result']][1])}</td>"
        f"<td {CELL}>{escape(r['detail'])}</td></tr>"
        for r in outcomes.rows())
    return (f'<table class="recops-outcomes" style="border-collapse:collapse;margin:2px 0">'
            f'<caption style="text-align:left">{escape(outcomes.summary())}</caption>'
            f"<thead><tr><th {CELL}>conversation</th><th {CELL}>result</th><th {CELL}>detail</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")


# --- raw exchanges ---------------------------------------------------------------------------------


def exchange_lines(x: RawExchange) -> list[str]:
    lines = [f"> {x.method} {x.path}   (Authorization: {x.token})"]
    if x.request_body is not None:
        lines.append(f"> {json.dumps(x.request_body)}")
    lines.append(f"< {x.status}")
    lines += [f"< {k}: {v}" for k, v in x.headers.items()]
    if x.body not in (None, ""):
        lines.append(f"< {json.dumps(x.body) if not isinstance(x.body, str) else x.body}")
    return lines


def exchange_rich(x: RawExchange) -> Any:
    status_style = "bold green" if x.ok else "bold red"
    return _lines(_text((line, status_style if line == f"< {x.status}" else
                         "cyan" if line.startswith(">") else "")) for line in exchange_lines(x))


def exchange_html(x: RawExchange) -> str:
    color = GREEN if x.ok else RED
    out = []
    for line in exchange_lines(x):
        if line == f"< {x.status}":
            out.append(f'<b style="color:{color}">{escape(line)}</b>')
        else:
            out.append(escape(line))
    body = "\n".join(out)
    return _box("recops-exchange", color, f'<pre style="margin:0;white-space:pre-wrap">{body}</pre>')


# --- explanations ----------------------------------------------------------------------------------


def explanation_head(e: Explanation) -> str:
    return " ".join(str(x) for x in (e.status, e.code) if x) or e.topic


def explanation_lines(e: Explanation) -> list[tuple[str, str]]:
    lines = [("meaning", e.meaning)]
    if e.permissions:
        lines.append(("needs any of", ", ".join(e.permissions)))
    lines += [("do", e.remedy), ("evidence", e.evidence)]
    if e.context_id:
        lines.append(("contextId", f"{e.context_id} (quote it to Genesys support)"))
    return lines


def explanation_text(e: Explanation) -> str:
    return "\n".join([explanation_head(e), *(f"  {label + ':':<9} {text}" for label, text in explanation_lines(e))])


def explanation_rich(e: Explanation) -> Any:
    styles = {"do": "yellow", "evidence": "dim"}
    rows = [_text((explanation_head(e), "bold"))]
    rows += [_text((f"  {label + ':':<9} ", styles.get(label, "bold")), text) for label, text in explanation_lines(e)]
    return _lines(rows)


def explanation_html(e: Explanation) -> str:
    head = f"<b>{escape(explanation_head(e))}</b>" + (f" <i>{escape(e.topic)}</i>" if e.topic != e.code else "")
    return _box("recops-explanation", BLUE, f"<div>{head}</div>{_html_rows(explanation_lines(e))}")


# --- training self-checks -------------------------------------------------------------------------


def check_verdict(c: Check) -> tuple[str, str, str, str]:
    """(glyph, word, rich style, HTML colour): the word carries the verdict, the glyph only decorates."""
    return ("✓", "PASSED", "bold green", GREEN) if c.passed else ("✗", "NOT YET", "bold red", RED)


def check_text(c: Check) -> str:
    glyph, word, _, _ = check_verdict(c)
    return f"{glyph} {word} {c.exercise}: {c.detail}"


def check_rich(c: Check) -> Any:
    glyph, word, style, _ = check_verdict(c)
    return _text((f"{glyph} {word}", style), " ", (c.exercise, "bold"), f": {c.detail}")


def check_html(c: Check) -> str:
    glyph, word, _, color = check_verdict(c)
    inner = (f'<span aria-hidden="true" style="color:{color}">{glyph}</span> {_badge(word, color)} '
             f"<b>{escape(c.exercise)}</b>: {escape(c.detail)}")
    return _box("recops-check", color, inner)


# --- the pause ledger ------------------------------------------------------------------------------

LEDGER_SUMMARY = (("conversations", "recorded conversations (ended)"), ("recordings", "recordings read"),
                  ("secure_pauses", "secure pauses"), ("secure_paused_s", "securely paused (s)"),
                  ("hold_paused_s", "hold-suppressed (s)"), ("open_at_end", "secure pause open at call end"),
                  ("unpaused_conversations", "recorded with no secure pause"),
                  ("not_read", "not read (transcoding/error)"))
LEDGER_ROWS = 20


def ledger_rows(ledger: Ledger, limit: int = LEDGER_ROWS) -> list[dict[str, str]]:
    """The recordings with the most securely paused time, as display strings."""
    t = ledger.table
    paused = t[t["pause_count"].fillna(0) > 0].sort_values("secure_paused_ms", ascending=False).head(limit)

    def text(value: Any) -> str:
        return "" if value is None or (not isinstance(value, str) and value != value) or str(value) == "<NA>" \
            else str(value)

    rows = [{"conversation": text(r["conversation_id"]), "queue": text(r["queue_names"]),
             "agent": text(r["agent_names"]), "pauses": text(r["pause_count"]),
             "secure s": f"{r['secure_paused_ms'] / 1000:.1f}", "hold s": f"{r['hold_paused_ms'] / 1000:.1f}",
             "paused": "" if text(r["paused_share"]) == "" else f"{r['paused_share']:.0%}",
             "open at end": "yes" if r["open_at_end"] is True else "",
             "paused by": text(r["paused_by_names"])} for r in paused.to_dict("records")]
    if not any(r["paused by"] for r in rows):  # the annotations named nobody: no empty column
        for r in rows:
            del r["paused by"]
    return rows


def ledger_rich(ledger: Ledger) -> Any:
    from rich.table import Column, Table

    summary = ledger.summary()
    head = Table("", Column("", justify="right"), title="pause ledger", title_justify="left", show_header=False)
    head.add_row("interval", ledger.interval)
    for key, label in LEDGER_SUMMARY:
        head.add_row(label, str(summary[key]))
    rows = ledger_rows(ledger)
    parts: list[Any] = [head]
    if rows:
        detail = Table(*[Column(k, no_wrap=k == "conversation") for k in rows[0]],
                       title="recordings with the most securely paused time", title_justify="left")
        for r in rows:
            detail.add_row(*r.values())
        parts.append(detail)
    parts.extend(_text(("note: ", "yellow"), n) for n in ledger.notes)
    return _lines(parts)


def ledger_html(ledger: Ledger) -> str:
    summary = ledger.summary()
    head = _html_rows((label, summary[key]) for key, label in LEDGER_SUMMARY)
    rows = ledger_rows(ledger)
    detail = ""
    if rows:
        cols = list(rows[0])
        detail = ('<table class="recops-ledger" style="border-collapse:collapse;margin:2px 0"><thead><tr>'
                  + "".join(f"<th {CELL}>{escape(c)}</th>" for c in cols) + "</tr></thead><tbody>"
                  + "".join("<tr>" + "".join(f"<td {CELL}>{escape(r[c])}</td>" for c in cols) + "</tr>"
                            for r in rows) + "</tbody></table>")
    notes = "".join(f"<div>note: {escape(n)}</div>" for n in ledger.notes)
    return _box("recops-ledger", BLUE, f"<div><b>pause ledger {escape(ledger.interval)}</b></div>{head}{detail}{notes}")


# --- recording exports -----------------------------------------------------------------------------

EXPORT_ROWS = 20  # rows shown: those not exported first (they need attention), then the rest
EXPORT_STYLES = {"exported": ("green", GREEN), "pending": ("cyan", BLUE), "cancelled": ("yellow", AMBER)}


def export_rows(result: ExportResult, limit: int = EXPORT_ROWS) -> list[dict[str, str]]:
    """The rows to show, as display strings: failures first, at most ``limit``."""
    from .manifest import FINE_STATUSES

    rows = sorted(result.rows, key=lambda r: r.status in FINE_STATUSES)[:limit]
    return [{"conversation": r.conversation_id, "recording": r.recording_id or "", "status": r.status,
             "file": r.file or "", "bytes": "" if r.bytes is None else str(r.bytes),
             "detail": r.error or r.note or ""} for r in rows]


def _export_more(result: ExportResult, shown: int) -> str:
    where = f"; full list: {result.manifest_csv}" if result.manifest_csv else ""
    return f"... {len(result.rows) - shown} more row(s){where}" if len(result.rows) > shown else ""


def export_rich(result: ExportResult) -> Any:
    from rich.table import Column, Table

    rows = export_rows(result)
    table = Table(Column("conversation", no_wrap=True), Column("recording", no_wrap=True), "status", "file",
                  Column("bytes", justify="right"), "detail", title=result.summary(), title_justify="left")
    for r in rows:
        table.add_row(r["conversation"], r["recording"], _text((r["status"], EXPORT_STYLES.get(r["status"],
                      ("red", RED))[0])), r["file"], r["bytes"], r["detail"])
    parts: list[Any] = [table]
    if more := _export_more(result, len(rows)):
        parts.append(_text((more, "dim")))
    return _lines(parts)


def export_html(result: ExportResult) -> str:
    rows = export_rows(result)
    cols = ("conversation", "recording", "status", "file", "bytes", "detail")
    body = "".join(
        "<tr>" + "".join(
            f"<td {CELL}>{_badge(r[c], EXPORT_STYLES.get(r[c], ('red', RED))[1])}</td>" if c == "status"
            else f"<td {CELL}><code>{escape(r[c])}</code></td>" if c in ("conversation", "recording")
            else f"<td {CELL}>{escape(r[c])}</td>" for c in cols) + "</tr>"
        for r in rows)
    more = _export_more(result, len(rows))
    return (f'<table class="recops-export" style="border-collapse:collapse;margin:2px 0">'
            f'<caption style="text-align:left">{escape(result.summary())}</caption>'
            f"<thead><tr>{''.join(f'<th {CELL}>{c}</th>' for c in cols)}</tr></thead>"
            f"<tbody>{body}</tbody></table>" + (f"<div>{escape(more)}</div>" if more else ""))
