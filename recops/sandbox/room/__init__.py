"""A training room: its seats, cards and bounds (``seats``), the ``/_room`` endpoints (``api``),
the trainer's board (``board``, its page in ``board_page``, pushed to the page by ``board_stream``)
and what each seat did, recorded as its requests are answered (``progress``, a final step of the
request pipeline).

Imports: ``sandbox.model``, ``sandbox.http``, ``sandbox.scenarios``, the control plane (for
types), and, for the board's hints, ``recops.genesys.explain`` (the Genesys facts that the client
side and the sandbox share).
"""

from __future__ import annotations

from .seats import Room, check_seats

__all__ = ["Room", "check_seats"]
