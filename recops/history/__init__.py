"""Any interval into Parquet and then DataFrames: the analytics details query (paging,
splitting), the analytics jobs, the one row schema of the interval table, the day-by-day
reader and its Parquet cache with a DuckDB view, queue and agent names, and the pause ledger
(with its cache of final conversations' pause facts: ``ledger_store``), and coverage's cache of
finished days (``coverage_store``: the views ``coverage`` and ``orphans``; issue 19); the two
caches share their Arrow types, and every cache its durable JSON writes (``cache_files``).

May import ``recops.api``, ``recops.genesys``, ``recops.base`` and the live state it joins
(``recops.ops``); never export, the CLI or the kit.
"""
