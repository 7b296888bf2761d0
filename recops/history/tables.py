"""pandas tables of recording states, with stable columns and dtypes.

- ``states_frame(client, ids)``: the live state of each listed conversation (bounded
  concurrency; the transport paces requests from the rate-limit headers).
- ``interval_frame(client, interval, ...)``: recording flags of every conversation that started
  in an interval of any length and age, read (through the details query or the analytics jobs)
  and cached as Parquet by day by ``recops.history.reader.read_history``; its columns are the row
  schema's (``recops.history.rows``), with the name columns of ``recops.history.names``.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from recops.api.settings import DEFAULT_CONCURRENCY
from recops.base.frames import typed_frame
from recops.genesys.errors import ConfigError, RecopsError
from recops.ops.recording import status

from .names import add_names, with_name_columns
from .rows import DTYPES

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from recops.api.client import Client

STATE_COLUMNS = with_name_columns({
    "conversation_id": "string",
    "queue_ids": "string",
    "user_ids": "string",
    "recording_state": "string",
    "secure_pause": "boolean",
    "ended": "boolean",
    "media_type": "string",
    "participants": "Int64",
    "recorded_participants": "Int64",
    "adhoc_participants": "Int64",
    "recording_files": "Int64",
    "error": "string",
    "context_id": "string",
})
INTERVAL_COLUMNS = with_name_columns(DTYPES)  # the row schema (recops.history.rows), names after their ids


def _state_row(client: Client, cid: str) -> dict[str, Any]:
    try:
        st = status(client, cid)
    except RecopsError as e:
        return {"conversation_id": cid, "error": getattr(e, "code", type(e).__name__),
                "context_id": getattr(e, "context_id", None)}
    return {
        "conversation_id": cid,
        "queue_ids": ",".join(dict.fromkeys(p.queue_id for p in st.participants if p.queue_id)) or None,
        "user_ids": ",".join(dict.fromkeys(p.user_id for p in st.participants if p.user_id)) or None,
        "recording_state": st.recording_state,
        "secure_pause": st.secure_pause,
        "ended": st.ended,
        "media_type": st.media_type,
        "participants": len(st.participants),
        "recorded_participants": (None if any(p.recording is None for p in st.participants)
                                  else sum(bool(p.recording) for p in st.participants)),
        "adhoc_participants": sum(p.adhoc for p in st.participants),
        "recording_files": None if st.recordings is None else len(st.recordings),
        "error": None,
        "context_id": st.context_id,
    }


def states_frame(client: Client, conversation_ids: Iterable[str],
                 concurrency: int = DEFAULT_CONCURRENCY) -> pd.DataFrame:
    """One row per id, in the order given (duplicates dropped); failures are rows with ``error``."""
    ids = list(dict.fromkeys(i.strip() for i in conversation_ids if i and i.strip()))
    if concurrency < 1:
        raise ConfigError("concurrency must be at least 1")
    client.api_client  # noqa: B018 - authenticate once before fanning out
    with ThreadPoolExecutor(max_workers=min(concurrency, max(1, len(ids)))) as pool:
        rows = list(pool.map(lambda cid: _state_row(client, cid), ids))
    return add_names(typed_frame(rows, STATE_COLUMNS), client)


# --- interval tables --------------------------------------------------------------------------


def interval_frame(client: Client, interval: str | tuple[datetime, datetime], **options: Any) -> pd.DataFrame:
    """Every conversation that started in ``interval`` (any length, any age), one row each.

    Read day by day through the details query or the analytics jobs and cached as Parquet by day
    by ``recops.history.reader.read_history``, which takes and checks the ``options`` (filters, ``via``,
    ``cache_dir``, ``progress``, ``on_progress``, ``cancel``, ``page_size``, ``concurrency``)."""
    from .reader import read_history

    read = read_history(client, interval, **options)
    return add_names(arrow_frame(read.table(), INTERVAL_COLUMNS), client)


def arrow_frame(table: pa.Table, columns: dict[str, str]) -> pd.DataFrame:
    """An Arrow table as a DataFrame with exactly ``columns`` (missing ones all-NA)."""
    import pandas as pd

    frame = table.to_pandas()
    out = pd.DataFrame(index=range(len(frame)))
    for col, dtype in columns.items():
        out[col] = frame[col].astype(dtype) if col in frame else pd.Series(pd.NA, index=out.index, dtype=dtype)
    return out
