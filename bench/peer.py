"""The peer: the seed tutorial's recipe scaled up, by hand, in pandas and scikit-learn.

What a data scientist writes today for RFM segmentation of a transactions file:
pandas groupby features (the same five as segsql's ``rfm`` recipe, with the
same log1p transforms), StandardScaler, a K sweep 2..10 of KMeans(n_init=10)
on every row with the silhouette on a 10,000-row sample, the final fit at the
best K, labels to Parquet.

    python bench/peer.py bench/data/tx_1m.parquet -o bench/out/peer_labels.parquet

Prints one JSON line: chosen K, inertia, seconds per step.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

AS_OF = pd.Timestamp("2025-01-01")
SEED = 42


def features(path: Path) -> pd.DataFrame:
    tx = pd.read_parquet(path, columns=["customer_id", "ts", "amount"])
    tx = tx[tx["ts"] <= AS_OF]
    g = tx.groupby("customer_id")
    frame = pd.DataFrame(
        {
            # calendar days, as segsql's rfm recipe (DuckDB date_diff('day', …))
            "recency_days": (AS_OF - g["ts"].max().dt.normalize()).dt.days,
            "frequency": g.size(),
            "monetary": g["amount"].sum(),
            "tenure_days": (AS_OF - g["ts"].min().dt.normalize()).dt.days,
        }
    )
    frame["avg_order_value"] = frame["monetary"] / frame["frequency"]
    return frame.sort_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transactions", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    t: dict[str, float] = {}
    start = time.perf_counter()

    frame = features(args.transactions)
    columns = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]
    values = frame[columns].to_numpy(dtype=float)
    values[:, 1:4] = np.log1p(values[:, 1:4])
    X = StandardScaler().fit_transform(values)
    t["features"] = time.perf_counter() - start
    print(f"features: {t['features']:.1f} s", file=sys.stderr, flush=True)  # how far a capped run got

    fits, silhouettes = 0.0, 0.0
    scores = {}
    for k in range(2, 11):
        s = time.perf_counter()
        km = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(X)
        fits += time.perf_counter() - s
        s = time.perf_counter()
        scores[k] = silhouette_score(X, km.labels_, sample_size=10_000, random_state=SEED)
        silhouettes += time.perf_counter() - s
        print(f"K = {k}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    t["sweep_fits"], t["sweep_silhouettes"] = fits, silhouettes
    best = max(scores, key=lambda k: (scores[k], -k))

    s = time.perf_counter()
    final = KMeans(n_clusters=best, n_init=10, random_state=SEED).fit(X)
    t["final_fit"] = time.perf_counter() - s
    s = time.perf_counter()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"customer_id": frame.index, "segment": final.labels_}).to_parquet(args.output)
    t["write"] = time.perf_counter() - s
    t["total"] = time.perf_counter() - start
    print(json.dumps({"k": best, "inertia": float(final.inertia_), "seconds": t}))


if __name__ == "__main__":
    main()
