"""The matrix hand-off: DuckDB → Arrow → Polars → NumPy (segsql) against Arrow → NumPy directly.

    python bench/matrix_bench.py 1000000 10000000

For each row count, a ``segsql_scaled`` table of five DOUBLE features is made
in an in-memory DuckDB, then the whole matrix is read by
:func:`segsql.steps.matrix.load_matrix` and by the direct reader it replaced
(Arrow batches scattered straight into NumPy), alternately, five times each;
the median seconds and the ratio are printed. Both give the same matrix.
"""

from __future__ import annotations

import statistics
import sys
import time

import duckdb
import numpy as np

from segsql import sql
from segsql.steps.matrix import load_matrix

COLUMNS = ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")


def direct(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> np.ndarray:
    """The reader before the Polars hand-off: Arrow columns to NumPy, placed by row number."""
    n = sql.execute(con, "matrix/row_count").fetchall()[0][0]
    X = np.empty((n, len(columns)), dtype=np.float64)
    for batch in sql.relation(con, "matrix/matrix", columns=columns).to_arrow_reader(batch_size=1 << 20):
        rows = batch.column(0).to_numpy()
        for j in range(len(columns)):
            X[rows, j] = batch.column(j + 1).to_numpy(zero_copy_only=False)
    return X


def main(counts: list[int]) -> None:
    for n in counts:
        con = duckdb.connect()
        con.execute(
            "CREATE TEMP TABLE segsql_scaled AS SELECT range AS segsql_row, range AS segsql_entity, "
            + ", ".join(f"random() AS {c}" for c in COLUMNS)
            + " FROM range($n)",
            {"n": n},
        )
        times: dict[str, list[float]] = {"polars": [], "direct": []}
        for _ in range(5):
            for name, reader in (("polars", load_matrix), ("direct", direct)):
                start = time.perf_counter()
                X = reader(con, COLUMNS)
                times[name].append(time.perf_counter() - start)
        assert np.array_equal(load_matrix(con, COLUMNS), direct(con, COLUMNS)) and X.flags.c_contiguous
        p, d = statistics.median(times["polars"]), statistics.median(times["direct"])
        print(f"{n:>11,} rows × {len(COLUMNS)}: polars {p:.3f} s, direct {d:.3f} s, ratio {p / d:.2f}")
        con.close()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000])
