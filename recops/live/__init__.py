"""The live path (issue 20): recording state pushed through the Notifications API.

``rc.watch(queues=..., users=..., conversations=...)`` gives a ``Watch``: an iterable of typed
``Transition`` (conversation, participant, old → new recording state as REST spells it, secure
pause, hold, time, topic, recovered). Underneath:

- ``topics``: queues, users and conversations → topic names (``v2.routing.queues.{id}.conversations.calls``,
  ``v2.users.{id}.conversations.calls``), packed into as few channels as the limits allow;
- ``channels``: channels and subscriptions through the SDK's ``NotificationsApi`` (``ignoreErrors``,
  Rejected topics reported), renewed before they expire;
- ``socket``: one WebSocket per channel (``websockets.sync``), heartbeat watchdog, ping, reconnect on
  ``v2.system.socket_closing`` or a drop; the channel id is a credential and is shown shortened;
- ``transitions``: event bodies and REST re-reads → transitions, one per change, never twice;
- ``watch``: the stream; after any gap (start, reconnect, renewal) the known conversations are re-read
  through REST and the missed transitions are emitted marked ``recovered=True``;
- ``collect``: a watch read for a bounded count or time into a pandas frame (the notebooks' view).

A layer between ``recops.session`` and ``recops.lifecycle`` (pyproject's import-linter contract):
it imports ``recops.history`` (names), ``recops.ops``, ``recops.api``, ``recops.genesys``, ``recops.base``.
See docs/live.md.
"""
