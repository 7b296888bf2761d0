"""The end of a recording's life, on the client side: bulk recording jobs (DELETE, ARCHIVE,
EXPORT over a conversation query: plan from the job's own READY counts, a typed confirmation of
the exact recording count, execute, follow, reconcile), per-recording retention in bulk, legal
hold (deletion protection) in batches under the org's cap, orphan recordings, and coverage (every
conversation of an interval with its recordings' lifecycle and, where none is usable, why).

Every change goes through ``recops.api`` (the transport's pacing, retries and timeouts) and is
journaled (``recops.ops.journal``); coverage reads its days through ``recops.history``'s store.
The wire facts, with their evidence, are in ``docs/genesys-api.md``.
"""
