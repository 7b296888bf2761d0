"""DuckDB views over the history store's Parquet files: one view per table, over its day files,
or over an empty table of its schema when no day is stored yet (so a query finds the columns)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


def parquet_view(con: Any, name: str, files: list[Path], schema: pa.Schema) -> None:
    """Create the view ``name`` on the DuckDB connection ``con`` over ``files``."""
    if files:
        listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        con.execute(f"create view {name} as select * from read_parquet([{listing}])")
    else:
        con.register(f"_{name}_empty", schema.empty_table())
        con.execute(f"create view {name} as select * from _{name}_empty")
