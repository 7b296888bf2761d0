"""The ``recops`` command (typer + rich): one module per command group (``commands`` the root
and the single-conversation commands, ``many`` pause/resume on many ids, ``export``, ``room``,
``training``), with their shared plumbing (session, errors → exit codes, JSON, ids from a file)
in one place. Sub-apps import the plumbing, never the root.

The top layer beside the kit: may import everything below, never the kit's widgets.
"""

from .commands import app, main

__all__ = ["app", "main"]
