"""Benchmark: score 1,000,000 rows in DuckDB with a saved segsql model.

Makes a synthetic feature table (seeded NumPy: five blobs, six features, two
of them skewed and log1p-transformed, winsorized, standard scaling), fits
k-means on a 50,000-row sample of it with `segsql run`, then scores every row
three ways and prints the median wall time of each:

- ``segsql.score(..., into=...)``: the library call behind ``segsql score --into``
  (and ``output=`` a Parquet file, ``--output``);
- ``CREATE TABLE ... AS SELECT * FROM segsql.assign('features')``: the SQL macro;
- the query of ``segsql export-sql --dialect duckdb``, run as it is.

    python bench/score_bench.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

import segsql
from segsql.scoring.export import export_sql

FEATURES = ["spend", "visits", "basket", "tenure", "returns", "support"]


def make_features(n: int, seed: int = 42) -> pa.Table:
    rng = np.random.RandomState(seed)
    centers = rng.normal(0, 3, (5, len(FEATURES)))
    X = centers[rng.randint(0, 5, n)] + rng.normal(0, 1, (n, len(FEATURES)))
    columns = {"customer_id": np.arange(1, n + 1, dtype=np.int64)}
    for j, name in enumerate(FEATURES):
        columns[name] = np.exp(X[:, j] / 2) * 100 if name in ("spend", "basket") else X[:, j]
    return pa.table(columns)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="segsql-bench-"))
    db = tmp / "bench.duckdb"
    with duckdb.connect(str(db)) as con:
        frame = make_features(args.rows)
        con.register("frame", frame)
        con.execute("CREATE TABLE features AS SELECT * FROM frame")
        con.execute(
            "CREATE TABLE train_sample AS SELECT * FROM features USING SAMPLE 50000 ROWS (reservoir, 42)"
        )
    config = tmp / "bench.toml"
    config.write_text(
        f"""
[project]
name = "bench"
database = "{db.as_posix()}"
[sources.train]
table = "main.train_sample"
[features]
entity = "customer_id"
sql = "SELECT * FROM train"
columns = {FEATURES!r}
[features.transforms]
spend = "log1p"
basket = "log1p"
[preprocess]
scaling = "standard"
winsorize = [0.01, 0.99]
[model]
k = 5
k_range = [5, 5]
random_state = 42
""".replace("'", '"')
    )
    start = time.perf_counter()
    segsql.run(config)
    fit = time.perf_counter() - start
    query = export_sql(config, dialect="duckdb", table="features")

    results = {
        "segsql.score(into=...)": timed(
            lambda: segsql.score(config, table="features", into="scored"), args.repeat
        ),
        "segsql.score(output=....parquet)": timed(
            lambda: segsql.score(config, table="features", output=tmp / "scored.parquet"), args.repeat
        ),
    }
    with duckdb.connect(str(db)) as con:
        results["segsql.assign macro (CTAS)"] = timed(
            lambda: con.execute(
                "CREATE OR REPLACE TABLE scored_macro AS SELECT * FROM segsql.assign('features')"
            ),
            args.repeat,
        )
        results["export-sql duckdb query (CTAS)"] = timed(
            lambda: con.execute(f"CREATE OR REPLACE TABLE scored_export AS {query.rstrip().rstrip(';')}"),
            args.repeat,
        )
        same = con.execute(
            "SELECT count(*) FROM scored s JOIN scored_export e USING (customer_id) "
            "WHERE s.segment = e.segment"
        ).fetchall()[0][0]
        threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    print(
        f"{args.rows:,} rows, {len(FEATURES)} features, K = 5; DuckDB {duckdb.__version__}, "
        f"{threads} threads, {os.cpu_count()} CPUs; fit on 50,000 rows took {fit:.2f} s"
    )
    for name, times in results.items():
        print(
            f"  {name:34s} median {statistics.median(times):.2f} s  "
            f"(runs: {', '.join(f'{t:.2f}' for t in times)})"
        )
    print(f"  export query and segsql score agree on {same:,} of {args.rows:,} rows")


if __name__ == "__main__":
    main()
