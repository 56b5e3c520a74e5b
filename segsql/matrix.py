"""The scaled table → Arrow → a float64 NumPy matrix, rows in entity order."""

from __future__ import annotations

import duckdb
import numpy as np

from . import sql

__all__ = ["load_matrix"]


def load_matrix(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> np.ndarray:
    """Row ``r`` of the result is the entity with ``segsql_row = r`` in ``segsql_scaled``.

    Entity ids stay in DuckDB; labels go back by row number. Each Arrow batch
    is scattered into one preallocated C-ordered float64 matrix (what
    scikit-learn wants, so it copies nothing), instead of sorting in DuckDB and
    copying through a data frame.
    """
    n = sql.execute(con, "matrix/row_count").fetchall()[0][0]
    X = np.empty((n, len(columns)), dtype=np.float64)
    reader = sql.relation(con, "matrix/matrix", columns=columns).to_arrow_reader(batch_size=1 << 20)
    for batch in reader:
        rows = batch.column(0).to_numpy()
        for j in range(len(columns)):
            X[rows, j] = batch.column(j + 1).to_numpy(zero_copy_only=False)
    return X
