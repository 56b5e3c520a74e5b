"""The one matrix reader: DuckDB → Arrow → Polars → float64 NumPy, rows in entity order.

Every reader of scaled rows goes through here: the whole matrix (the in-memory
fit), a seeded sample of rows (the K sweep, the silhouette, the map of a
streamed run) and fixed-size blocks (the streamed fit). DuckDB hands Arrow
batches over without a copy, Polars wraps them without a copy, and each batch
becomes float64 NumPy once, placed at its rows' numbers (``segsql_row``) in a
preallocated C-ordered matrix, which is what scikit-learn wants, so it copies
nothing more. Entity ids stay in DuckDB; labels go back by row number.
With ``[features] weight`` the rows' sample weights are read the same way
(``segsql_scaled.segsql_weight``), one float64 vector in row order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from segsql import sql
from segsql.config import Config

__all__ = ["blocks", "labelled_rows", "load_matrix", "load_weights", "rows", "seeded_rows", "weighted"]

_BATCH = 1 << 20  # rows per Arrow batch when reading a whole relation


def seeded_rows(n: int, size: int, random_state: int) -> np.ndarray | None:
    """The sorted row numbers of a seeded sample of ``size`` of ``n`` rows; None when that is every row.

    ``RandomState(random_state).permutation(n)[:size]`` is the draw NumPy's
    ``RandomState.choice(n, size, replace=False)`` and scikit-learn's
    ``silhouette_score(sample_size=…)`` make, so a sample here is theirs.

    >>> seeded_rows(10, 3, 42), seeded_rows(10, 0, 42), seeded_rows(10, 10, 42)
    (array([1, 5, 8]), None, None)
    >>> choice = np.random.RandomState(7).choice(1000, 10, replace=False)
    >>> bool((seeded_rows(1000, 10, 7) == np.sort(choice)).all())
    True
    """
    if not size or n <= size:
        return None
    return np.sort(np.random.RandomState(random_state).permutation(n)[:size])


def load_matrix(con: duckdb.DuckDBPyConnection, columns: Sequence[str]) -> np.ndarray:
    """The whole of ``segsql_scaled``: row ``r`` of the result is the entity with ``segsql_row = r``.

    Batches arrive in no particular order (cheaper than a sort in DuckDB); each
    is placed by its row numbers.
    """
    n = sql.execute(con, "matrix/row_count").fetchall()[0][0]
    X = np.empty((n, len(columns)), dtype=np.float64)
    for frame in _frames(sql.relation(con, "matrix/matrix", columns=columns)):
        _place(X, frame.to_series(0).to_numpy(), frame, 1)
    return X


def weighted(config: Config) -> bool:
    """Whether the run's rows carry sample weights (``[features] weight``)."""
    return config.features.weight is not None


def load_weights(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    """Each row's sample weight (``segsql_scaled.segsql_weight``), at its row number."""
    n = sql.execute(con, "matrix/row_count").fetchall()[0][0]
    w = np.empty(n, dtype=np.float64)
    for frame in _frames(sql.relation(con, "matrix/weights")):
        w[frame.to_series(0).to_numpy()] = frame.to_series(1).to_numpy()
    return w


def rows(con: duckdb.DuckDBPyConnection, columns: Sequence[str], row_numbers: np.ndarray) -> np.ndarray:
    """The scaled rows with these (sorted) row numbers, in that order."""
    X, _ = _chosen(con, "matrix/rows", columns, row_numbers, labelled=False)
    return X


def labelled_rows(
    con: duckdb.DuckDBPyConnection, query: str, columns: Sequence[str], row_numbers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Chosen rows and their segments from ``query`` (``segsql_row, segment, features…``)."""
    X, labels = _chosen(con, query, columns, row_numbers, labelled=True)
    assert labels is not None
    return X, labels


def blocks(con: duckdb.DuckDBPyConnection, columns: Sequence[str], size: int) -> Iterator[np.ndarray]:
    """Every scaled row in entity order, in blocks of exactly ``size`` rows (the last one shorter).

    The block size is fixed, not Arrow's, so that a fit on the blocks does not
    depend on how DuckDB happened to batch the rows. ``segsql_scaled`` is written
    in row order, and DuckDB returns a table's rows in that order unless
    ``preserve_insertion_order`` is off, so the rows are read without a sort (a
    sort of every row on every pass of the streamed fit; checked by row number).
    """
    in_order = sql.execute(con, "matrix/insertion_order").fetchall()[0][0]
    query = "matrix/in_order" if in_order else "matrix/ordered"
    first = 1 if query == "matrix/in_order" else 0
    carry = np.empty((0, len(columns)))
    expected = 0
    for frame in _frames(sql.relation(con, query, columns=columns), batch_size=size):
        if first:
            numbers = frame.to_series(0).to_numpy()
            if numbers.shape[0] and not (
                numbers[0] == expected and numbers[-1] == expected + numbers.shape[0] - 1
            ):
                raise AssertionError("segsql_scaled was not read in row order")
            expected += numbers.shape[0]
        columns_of = [series.to_numpy() for series in frame.get_columns()[first:]]
        part = np.column_stack(columns_of).astype(np.float64, copy=False)
        carry = np.concatenate([carry, part]) if carry.shape[0] else part
        while carry.shape[0] >= size:
            yield np.ascontiguousarray(carry[:size])
            carry = carry[size:]
    if carry.shape[0]:
        yield np.ascontiguousarray(carry)


def _chosen(
    con: duckdb.DuckDBPyConnection,
    query: str,
    columns: Sequence[str],
    row_numbers: np.ndarray,
    *,
    labelled: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    X = np.empty((row_numbers.shape[0], len(columns)))
    labels = np.empty(row_numbers.shape[0], dtype=np.int64) if labelled else None
    first = 2 if labelled else 1
    with sql.registered(con, "segsql_rows_in", pa.table({"segsql_row": pa.array(row_numbers, pa.int64())})):
        frames = list(_frames(sql.relation(con, query, columns=columns)))
    for frame in frames:
        at = np.searchsorted(row_numbers, frame.to_series(0).to_numpy())
        _place(X, at, frame, first)
        if labels is not None:
            labels[at] = frame.to_series(1).to_numpy()
    return X, labels


def _frames(relation: duckdb.DuckDBPyRelation, *, batch_size: int = _BATCH) -> Iterator[pl.DataFrame]:
    for batch in relation.to_arrow_reader(batch_size=batch_size):
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        yield frame


def _place(X: np.ndarray, at: np.ndarray, frame: pl.DataFrame, first: int) -> None:
    """Put columns ``first…`` of a batch (by position: names are the user's) at rows ``at`` of ``X``.

    Column by column: a float64 Polars column without NULLs is a NumPy view of
    the Arrow buffer, so the only copy is the one into ``X``.
    """
    for j, series in enumerate(frame.get_columns()[first:]):
        X[at, j] = series.to_numpy()
