"""Pieces every recops widget uses: the SANDBOX / REAL ORG banner, the log panel, and the
rule that callback output goes to an ``Output`` widget (never lost in the kernel log)."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from recops.genesys.errors import error_lines

if TYPE_CHECKING:
    from recops.api.transport import Wait
    from recops.session import Session


def banner(session: Session) -> w.HTML:
    """A visible banner: green for the sandbox, red for a real org."""
    if session.is_sandbox:
        style = "background:#e6f4ea;color:#137333;border:1px solid #137333"
        where = session.target.removeprefix("SANDBOX").strip()
        text = f"SANDBOX — the local emulator {where}; nothing here can reach a real org"
    else:
        style = "background:#fce8e6;color:#a50e0e;border:2px solid #a50e0e"
        where = session.target.removeprefix("REAL ORG").strip()
        text = f"REAL ORG — {where}; every change needs your confirmation"
    return w.HTML(f'<div class="recops-banner" style="{style};padding:4px 8px;border-radius:4px;'
                  f'font-weight:600">{html.escape(text)}</div>')


class LogPanel(w.VBox):
    """Timestamped lines, errors with their remedy and contextId. Thread-safe."""

    def __init__(self, title: str = "log", height: str = "160px") -> None:
        self.output = w.Output(layout=w.Layout(max_height=height, overflow="auto", border="1px solid #ddd"))
        self.lines: list[str] = []
        self._lock = threading.Lock()
        super().__init__([w.HTML(f"<b>{html.escape(title)}</b>"), self.output])

    def write(self, text: str) -> None:
        line = f"{datetime.now().strftime('%H:%M:%S')} {text}"
        with self._lock:
            self.lines.append(line)
            self.output.append_stdout(line + "\n")

    def error(self, error: BaseException) -> None:
        """The error as it renders itself (what went wrong, contextId, then what to do)."""
        (head, message), *rest = error_lines(error)
        self.write(f"{head.replace('error', 'ERROR', 1)}: {message}")  # "ERROR [code]: ..."
        for label, text in rest:
            self.write(f"  {label}: {text}")

    def wait(self, wait: Wait) -> None:
        self.write(wait.describe())

    def clear(self) -> None:
        with self._lock:
            self.lines.clear()
            self.output.clear_output()


class ClosesListeners:
    """Mix-in for a widget that listens to a session (``Session.on_wait``) or to a live stream
    (``on_close(feed.close)``): ``close()`` removes its listeners and closes its streams, so a
    closed widget is no longer called (nor kept alive) by the session, and leaves no thread or
    socket behind."""

    def listen_waits(self, session: Session, fn: Callable[[Wait], None]) -> None:
        self.on_close(session.on_wait(fn))

    def on_close(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` when the widget is closed (e.g. a ``LiveFeed``'s ``close``)."""
        if not hasattr(self, "_unsubscribers"):
            self._unsubscribers: list[Callable[[], None]] = []
        self._unsubscribers.append(fn)

    def close(self) -> None:
        for unsubscribe in getattr(self, "_unsubscribers", []):
            unsubscribe()
        self._unsubscribers = []
        super().close()  # type: ignore[misc]


def close_tree(widget: object) -> None:
    """Close ``widget`` and every widget under it (children first): a container's ``close()`` leaves
    its children open, and a ``ClosesListeners`` child left open keeps its session listener and its
    live stream (socket, thread) until the kernel ends."""
    for child in getattr(widget, "children", ()) or ():
        close_tree(child)
    close = getattr(widget, "close", None)
    if callable(close):
        close()


def live_status_html(text: str, push: bool) -> str:
    """The widget's live status line: green ``live (push)``, grey ``polling every N s: why``."""
    color = "#137333" if push else "#5f6368"
    icon = "&#9679;" if push else "&#8635;"
    return (f'<span class="recops-live-status" data-mode="{"push" if push else "polling"}" '
            f'style="color:{color};font-size:0.9em">{icon} {html.escape(text)}</span>')


def pause_alert_html(lines: list[str]) -> str:
    """The secure pause alert (empty when no pause is over its limit)."""
    if not lines:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return ('<div class="recops-pause-alert" style="background:#fce8e6;color:#a50e0e;border:1px solid #a50e0e;'
            f'padding:4px 8px;border-radius:4px"><b>&#9888; secure pause over the limit</b><ul>{items}</ul></div>')


def guarded(log: LogPanel, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A button callback that reports failures in ``log`` instead of the kernel's stderr."""

    def run(*args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as e:  # everything reaches the user's log panel
            log.error(e)
            return None

    return run


def confirm_box(session: Session) -> w.Checkbox:
    """Hidden on the sandbox; on a real org, changes are sent only while it is ticked."""
    box = w.Checkbox(value=False, description="I confirm changes on the REAL ORG", indent=False)
    if session.is_sandbox:
        box.value = True
        box.layout.display = "none"
    return box
