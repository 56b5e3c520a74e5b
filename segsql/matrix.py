"""The scaled table → Arrow → Polars → a float64 NumPy matrix, rows in entity order."""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from . import sql

__all__ = ["load_matrix"]


def load_matrix(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> np.ndarray:
    """Row ``r`` of the result is the entity with ``segsql_row = r`` in ``segsql_scaled``.

    Entity ids stay in DuckDB; labels go back by row number.
    """
    table = sql.relation(con, "matrix/matrix", columns=columns).to_arrow_table()
    frame = pl.from_arrow(table)
    # scikit-learn copies anything that is not C-ordered float64; do it once here
    return np.ascontiguousarray(frame.to_numpy(), dtype=np.float64)
