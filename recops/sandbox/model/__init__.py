"""The sandbox's model: entities (``models``), the one ``SandboxState`` and its lock (``state``),
the clock, settings and labelled assumptions, permissions, the error catalogue, spec checks,
and the analytics conversation's wire shape (``analytics_wire``).

No HTTP and no handlers here. Imports: only other modules of this package (a generated
history is reached through the objects the state holds, never imported at run time).
"""
