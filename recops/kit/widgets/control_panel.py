"""One conversation's recording controls: live state, Pause / Resume, and per-participant
Start / Stop of ad-hoc recording, each enabled only where the transition makes sense.

The state follows changes made by anyone (another session, the control plane's holds and
disconnects) through the live stream (``LiveFeed``: ``rc.watch(conversations=[id])``), or, when the
token cannot subscribe, by polling every ``poll_seconds``; the status line says which, and why.
A secure pause open longer than ``pause_limit`` seconds shows an alert until it is resumed."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import ipywidgets as w

from recops.base.display import state_badge_html
from recops.ops.participants import adhoc_rights

from .common import ClosesListeners, LogPanel, banner, confirm_box, guarded, live_status_html, pause_alert_html
from .live_feed import DEFAULT_POLL_SECONDS, PUSH, LiveFeed
from .pause_alerts import DEFAULT_PAUSE_LIMIT, PauseClock

if TYPE_CHECKING:
    from recops.live.transitions import Transition
    from recops.live.watch import WatchSettings
    from recops.ops.participants import AdhocRights
    from recops.ops.recording import Outcome, ParticipantState, RecordingStatus
    from recops.session import Session


class ControlPanel(ClosesListeners, w.VBox):
    """Start/Stop act with the session ``recops.ops.participants.adhoc_rights`` chooses: a user
    token of a participant, minted for the agent on the sandbox. ``participant_session``, if
    given, returns the session to use instead (None: the default choice). ``live=False`` polls
    instead of watching; ``pause_limit``: seconds a secure pause may stay open before the alert."""

    def __init__(self, session: Session, conversation_id: str,
                 participant_session: Callable[[RecordingStatus], Session | None] | None = None, *,
                 live: bool = True, poll_seconds: float = DEFAULT_POLL_SECONDS,
                 pause_limit: float = DEFAULT_PAUSE_LIMIT, watch_settings: WatchSettings | None = None) -> None:
        self.session = session
        self.conversation_id = conversation_id
        self._participant_session = participant_session
        self.status: RecordingStatus | None = None
        self.outcomes: list[Outcome] = []  # what the buttons did, in order (the training self-checks read it)
        self.log_panel = LogPanel(f"log — {conversation_id}")
        self.state_label = w.HTML()
        self.detail_label = w.Label()
        self.live_status = w.HTML()
        self.alert = w.HTML()
        self.pauses = PauseClock(pause_limit)
        self.pushed = 0  # transitions of this conversation that reached the panel
        self._refresh_lock = threading.RLock()
        self.confirm = confirm_box(session)
        self.pause_button = w.Button(description="Pause", icon="pause", tooltip="secure pause (PAUSED)")
        self.resume_button = w.Button(description="Resume", icon="play", tooltip="resume (ACTIVE)")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.pause_button.on_click(guarded(self.log_panel, lambda _: self._change("pause")))
        self.resume_button.on_click(guarded(self.log_panel, lambda _: self._change("resume")))
        self.refresh_button.on_click(guarded(self.log_panel, lambda _: self.refresh()))
        self.participant_rows = w.VBox()
        self.start_buttons: dict[str, w.Button] = {}
        self.stop_buttons: dict[str, w.Button] = {}
        self.listen_waits(session, self.log_panel.wait)
        super().__init__([
            banner(session),
            w.HTML(f"<b>conversation</b> <code>{html.escape(conversation_id)}</code>"),
            w.HBox([self.state_label, self.detail_label]),
            self.live_status,
            self.alert,
            self.confirm,
            w.HBox([self.pause_button, self.resume_button, self.refresh_button]),
            self.participant_rows,
            self.log_panel,
        ])
        self.add_class("recops-control-panel")
        # the watch first, then the read: a change between the two is either in the read or a transition
        self.feed = LiveFeed(session, [conversation_id], self._pushed, self.refresh, poll_seconds=poll_seconds,
                             on_tick=self._check_pauses, on_error=self.log_panel.error, on_status=self._show_status,
                             on_ended=self._ended, push=live, settings=watch_settings,
                             name=f"recops-panel-{conversation_id[:8]}")
        self.on_close(self.feed.close)
        guarded(self.log_panel, self.refresh)()

    # --- state ------------------------------------------------------------------------------

    @property
    def recording_state(self) -> str | None:
        return self.status.recording_state if self.status else None

    @property
    def live(self) -> bool:
        """Whether the state follows the live stream (else it is polled)."""
        return self.feed.mode == PUSH

    def refresh(self) -> None:
        with self._refresh_lock:
            self._refresh()

    def _refresh(self) -> None:
        st = self.session.status(self.conversation_id)
        self.status = st
        self.pauses.observe(self.conversation_id, st.secure_pause and not st.ended, datetime.now(timezone.utc),
                            since_known=False)
        self.state_label.value = f'<span style="font-size:1.2em">{state_badge_html(st.recording_state)}</span>'
        self.detail_label.value = st.detail()
        self.pause_button.disabled = st.ended or st.recording_state == "NONE" or st.secure_pause
        self.resume_button.disabled = st.ended or not st.secure_pause
        self._rows(st)

    # --- live ------------------------------------------------------------------------------------

    def _pushed(self, batch: list[Transition]) -> None:
        """Transitions from the stream (the feed's thread): note them, then one re-read for the rest
        of the panel (participants' ad-hoc flags are not in the events)."""
        mine = [t for t in batch if t.conversation_id == self.conversation_id]
        if not mine:
            return
        self.pushed += len(mine)
        for t in mine:
            self.pauses.observe(t.conversation_id, t.secure_pause, t.at)
            how = " (recovered after a gap)" if t.recovered else ""
            self.log_panel.write(f"pushed: participant …{t.participant_id[-4:]} {t.old or '?'} -> {t.new}"
                                 f"{', secure pause' if t.secure_pause else ''}{', held' if t.held else ''}{how}")
        self.refresh()
        self._check_pauses()

    def _ended(self, conversation_ids: list[str]) -> None:
        """The stream showed the call ended (a disconnect changes no recording state: no transition)."""
        if self.conversation_id in conversation_ids:
            self.log_panel.write("pushed: the conversation ended")
            self.refresh()
            self.pauses.forget(self.conversation_id)
            self._check_pauses()

    def _show_status(self, text: str, push: bool) -> None:
        self.live_status.value = live_status_html(text, push)

    def _check_pauses(self) -> None:
        value = pause_alert_html([a.text() for a in self.pauses.over(datetime.now(timezone.utc))])
        if self.alert.value != value:
            self.alert.value = value

    def _rights(self, st: RecordingStatus) -> AdhocRights:
        """Who may start/stop, and as whom: ``recops.ops.participants`` decides."""
        actor = self._participant_session(st) if self._participant_session is not None else None
        return adhoc_rights(self.session, st, actor=actor)

    def _rows(self, st: RecordingStatus) -> None:
        rights = self._rights(st)
        rows = []
        for p, may in zip(st.participants, rights.participants, strict=True):
            start = self.start_buttons.get(p.id) or self._button(p, "Start")
            stop = self.stop_buttons.get(p.id) or self._button(p, "Stop")
            start.disabled = not may.can_start
            stop.disabled = not may.can_stop
            why = f" ({may.reason})" if rights.actor is None and may.reason else ""
            label = w.HTML(p.html_line() + html.escape(why))
            rows.append(w.HBox([label, start, stop]))
        self.participant_rows.children = rows

    def _button(self, p: ParticipantState, verb: str) -> w.Button:
        button = w.Button(description=verb, tooltip=f"{verb} ad-hoc recording of {p.name or p.id}",
                          layout=w.Layout(width="70px"))
        action = verb.lower()
        button.on_click(guarded(self.log_panel, lambda _, pid=p.id: self._adhoc(action, pid)))
        (self.start_buttons if verb == "Start" else self.stop_buttons)[p.id] = button
        return button

    # --- actions ----------------------------------------------------------------------------

    def _change(self, verb: str) -> None:
        fn = self.session.pause if verb == "pause" else self.session.resume
        outcome = fn(self.conversation_id, confirm=self.confirm.value)
        self.outcomes.append(outcome)
        self.log_panel.write(outcome.summary())
        self.refresh()

    def _adhoc(self, verb: str, participant_id: str) -> None:
        assert self.status is not None
        rights = self._rights(self.status)
        actor = rights.actor
        if actor is None:
            self.log_panel.write(f"{verb}: {rights.reason}")
            return
        fn = actor.start if verb == "start" else actor.stop
        outcome = fn(self.conversation_id, participant_id, confirm=self.confirm.value)
        self.outcomes.append(outcome)
        self.log_panel.write(outcome.summary())
        self.refresh()
