"""DataFrames with a fixed schema: the same columns and dtypes whatever the rows hold (an empty
table included), so code and CSVs downstream can rely on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def typed_frame(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str]) -> pd.DataFrame:
    """``rows`` as a DataFrame with exactly ``columns`` (name -> pandas dtype), in that order."""
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=list(columns))
    for col, dtype in columns.items():
        if dtype.startswith("datetime64"):
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601").astype(dtype)
        else:
            frame[col] = frame[col].astype(dtype)
    return frame
