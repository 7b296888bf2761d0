"""The ``/_sandbox`` control plane: its handlers and route rows (``plane``, and ``jobs`` for the
analytics jobs), who may use it (``auth``: the admin token, a client's org, the bind check), and
each seat's share of it (``fairness``: a per-seat rate limit, 429 with ``Retry-After``).

Imports: ``sandbox.model``, ``sandbox.http``, ``sandbox.seeds``, ``sandbox.scenarios``,
``sandbox.services`` (their views and the recording media); never the room (only for types).
"""
