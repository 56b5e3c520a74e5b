"""The floor: what segmenting a transactions file cannot go below.

DuckDB reads the transactions and aggregates the RFM features (with the
log1p transforms and standard scaling, in SQL) into a NumPy matrix, then one
scikit-learn KMeans fit (n_init=10) at the given K on every row. No sweep, no
metrics, nothing written (``--labels`` saves the labels, in customer order, after
the clock stops: they are the reference bench/run.py checks every contender against).

    python bench/floor.py bench/data/tx_1m.parquet --k 4
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb
import numpy as np
from sklearn.cluster import KMeans

QUERY = Path(__file__).with_name("floor.sql")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transactions", type=Path)
    parser.add_argument("--k", type=int, required=True)
    parser.add_argument("--labels", type=Path, help="save customer_id and label here (.npz), untimed")
    args = parser.parse_args()
    t: dict[str, float] = {}
    start = time.perf_counter()
    con = duckdb.connect()
    table = con.execute(QUERY.read_text(), {"path": str(args.transactions)}).to_arrow_table()
    X = np.column_stack([table.column(i).to_numpy() for i in range(1, table.num_columns)]).astype(np.float64)
    t["duckdb"] = time.perf_counter() - start
    s = time.perf_counter()
    km = KMeans(n_clusters=args.k, n_init=10, random_state=42).fit(X)
    t["fit"] = time.perf_counter() - s
    t["total"] = time.perf_counter() - start
    print(json.dumps({"k": args.k, "rows": X.shape[0], "inertia": float(km.inertia_), "seconds": t}))
    if args.labels:
        np.savez(args.labels, customer_id=table.column(0).to_numpy(), label=km.labels_)


if __name__ == "__main__":
    main()
