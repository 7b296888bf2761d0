"""The ``/_sandbox`` control plane: its handlers and route rows (``plane``, and ``jobs`` for the
analytics jobs), and who may use it (``auth``: the admin token, a client's org, the bind check).

Imports: ``sandbox.model``, ``sandbox.http``, ``sandbox.seeds``, ``sandbox.scenarios``,
``sandbox.services`` (their views and the recording media); never the room (only for types).
"""
