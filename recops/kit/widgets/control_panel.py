"""One conversation's recording controls: live state, Pause / Resume, and per-participant
Start / Stop of ad-hoc recording, each enabled only where the transition makes sense."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as w

from recops.base.display import state_badge_html
from recops.ops.participants import adhoc_rights

from .common import ClosesListeners, LogPanel, banner, confirm_box, guarded

if TYPE_CHECKING:
    from recops.ops.participants import AdhocRights
    from recops.ops.recording import Outcome, ParticipantState, RecordingStatus
    from recops.session import Session


class ControlPanel(ClosesListeners, w.VBox):
    """Start/Stop act with the session ``recops.ops.participants.adhoc_rights`` chooses: a user
    token of a participant, minted for the agent on the sandbox. ``participant_session``, if
    given, returns the session to use instead (None: the default choice)."""

    def __init__(self, session: Session, conversation_id: str,
                 participant_session: Callable[[RecordingStatus], Session | None] | None = None) -> None:
        self.session = session
        self.conversation_id = conversation_id
        self._participant_session = participant_session
        self.status: RecordingStatus | None = None
        self.outcomes: list[Outcome] = []  # what the buttons did, in order (the training self-checks read it)
        self.log_panel = LogPanel(f"log — {conversation_id}")
        self.state_label = w.HTML()
        self.detail_label = w.Label()
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
            self.confirm,
            w.HBox([self.pause_button, self.resume_button, self.refresh_button]),
            self.participant_rows,
            self.log_panel,
        ])
        self.add_class("recops-control-panel")
        guarded(self.log_panel, self.refresh)()

    # --- state ------------------------------------------------------------------------------

    @property
    def recording_state(self) -> str | None:
        return self.status.recording_state if self.status else None

    def refresh(self) -> None:
        st = self.session.status(self.conversation_id)
        self.status = st
        self.state_label.value = f'<span style="font-size:1.2em">{state_badge_html(st.recording_state)}</span>'
        self.detail_label.value = st.detail()
        self.pause_button.disabled = st.ended or st.recording_state == "NONE" or st.secure_pause
        self.resume_button.disabled = st.ended or not st.secure_pause
        self._rows(st)

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
