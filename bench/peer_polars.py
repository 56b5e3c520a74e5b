"""The Polars peer: the same segmentation written by a careful engineer today, Polars + scikit-learn.

What someone who knows the tools writes for RFM segmentation of a large
transactions file, without segsql:

- a lazy Polars scan of the Parquet file (only the three columns read, the
  filter pushed into the scan) and one ``group_by`` for the same five features
  as segsql's ``rfm`` recipe (calendar days, as DuckDB's ``date_diff``), the
  same log1p transforms, collected with Polars' streaming engine;
- the same standard scaling (scikit-learn's ``StandardScaler``);
- the same K sweep as segsql's default: K = 2..10 fitted on a seeded sample of
  100,000 rows with the same k-means++ starts (``n_init``, segsql's
  ``sweep_n_init``) and ``random_state``, each K's silhouette by scikit-learn
  on the same 10,000-row sample (``sample_size``, ``random_state``);
- the final KMeans(n_init=10) at the best K on every row; labels to Parquet.

    python bench/peer_polars.py bench/data/tx_1m.parquet -o bench/out/1m/polars_labels.parquet

Prints one JSON line: chosen K, inertia, seconds per step.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

AS_OF = datetime(2025, 1, 1)
SEED = 42
SWEEP_SAMPLE = 100_000  # segsql's [model] sweep_sample
METRIC_SAMPLE = 10_000  # segsql's [model] metric_sample
FEATURES = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]


def features(path: Path) -> pl.DataFrame:
    as_of_day = pl.lit(date(2025, 1, 1))
    return (
        pl.scan_parquet(path)
        .select("customer_id", "ts", "amount")
        .filter(pl.col("ts") <= AS_OF, pl.col("amount").is_not_null())
        .group_by("customer_id")
        .agg(
            last=pl.col("ts").max(),
            first=pl.col("ts").min(),
            frequency=pl.len(),
            monetary=pl.col("amount").sum(),
        )
        .select(
            "customer_id",
            recency_days=(as_of_day - pl.col("last").dt.date()).dt.total_days(),
            frequency=pl.col("frequency").log1p(),
            monetary=pl.col("monetary").log1p(),
            avg_order_value=(pl.col("monetary") / pl.col("frequency")).log1p(),
            tenure_days=(as_of_day - pl.col("first").dt.date()).dt.total_days(),
        )
        .sort("customer_id")
        .collect(engine="streaming")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transactions", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--n-init", type=int, default=3, help="k-means++ starts per K in the sweep")
    args = parser.parse_args()
    t: dict[str, float] = {}
    start = time.perf_counter()

    frame = features(args.transactions)
    X = StandardScaler().fit_transform(frame.select(FEATURES).to_numpy().astype(np.float64))
    t["features"] = time.perf_counter() - start
    print(f"features: {t['features']:.1f} s", file=sys.stderr, flush=True)

    rng = np.random.RandomState(SEED)
    Xs = X[np.sort(rng.choice(X.shape[0], SWEEP_SAMPLE, replace=False))] if X.shape[0] > SWEEP_SAMPLE else X
    fits, silhouettes = 0.0, 0.0
    scores = {}
    for k in range(2, 11):
        s = time.perf_counter()
        km = KMeans(n_clusters=k, n_init=args.n_init, random_state=SEED).fit(Xs)
        fits += time.perf_counter() - s
        s = time.perf_counter()
        scores[k] = silhouette_score(Xs, km.labels_, sample_size=METRIC_SAMPLE, random_state=SEED)
        silhouettes += time.perf_counter() - s
    t["sweep_fits"], t["sweep_silhouettes"] = fits, silhouettes
    best = max(scores, key=lambda k: (scores[k], -k))

    s = time.perf_counter()
    final = KMeans(n_clusters=best, n_init=10, random_state=SEED).fit(X)
    t["final_fit"] = time.perf_counter() - s
    s = time.perf_counter()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"customer_id": frame["customer_id"], "segment": final.labels_}).write_parquet(args.output)
    t["write"] = time.perf_counter() - s
    t["total"] = time.perf_counter() - start
    print(json.dumps({"k": best, "inertia": float(final.inertia_), "seconds": t}))


if __name__ == "__main__":
    main()
