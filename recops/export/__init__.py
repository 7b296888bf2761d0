"""Recordings to disk, resumable: the plan (what to fetch, where, how much space), the pipeline
(batch-download requests, then the downloads through the shared transport), the durable state
that makes a killed run resume, and the manifest (CSV / JSON, SHA-256, status or reason; one
target per folder, cumulative: ``folder``).

Flows one way: plan → pipeline → state / manifest. May import ``recops.api``,
``recops.genesys``, ``recops.base`` and ``recops.history.reader`` (an interval's recorded calls);
never ops, the CLI or the kit.
"""
