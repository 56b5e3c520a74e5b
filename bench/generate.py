"""Synthetic transactions for N customers, deterministic, written to Parquet in chunks.

Five behavioural groups (champions, loyal, new, at risk, lapsed) differ in how
often they buy, how recently, for how long and how much, so RFM features have
real structure to find. Customers are generated in fixed chunks of
``CHUNK`` customers, each from its own seeded generator, and each chunk is
written as row groups of one Parquet file: memory stays bounded by the chunk
(10,000,000 customers, about 110,000,000 transactions, need well under 1 GB),
and the file for N customers does not depend on the machine.

    python bench/generate.py 1000000 -o bench/data/tx_1m.parquet

Columns: customer_id BIGINT, ts TIMESTAMP, amount DOUBLE, n_items SMALLINT,
channel VARCHAR (web / store / app), store_id INTEGER. Every transaction is
before ``AS_OF`` (2025-01-01), the date the benchmark's RFM features use.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = np.datetime64("2025-01-01T00:00:00", "s")
CHUNK = 250_000
SEED = 20240601
CHANNELS = np.array(["web", "store", "app"])

# weight, mean transactions, recency (days) low/high, extra tenure (days) low/high,
# log-amount mean and sd, channel preferences (web, store, app)
GROUPS = [
    (0.15, 30.0, (0, 20), (300, 700), 4.2, 0.45, (0.3, 0.4, 0.3)),  # champions
    (0.25, 15.0, (5, 60), (200, 650), 3.6, 0.50, (0.2, 0.6, 0.2)),  # loyal
    (0.20, 3.0, (0, 30), (0, 60), 3.4, 0.60, (0.5, 0.1, 0.4)),  # new
    (0.20, 10.0, (150, 400), (200, 400), 3.8, 0.50, (0.3, 0.5, 0.2)),  # at risk
    (0.20, 2.0, (200, 700), (0, 300), 3.0, 0.70, (0.6, 0.3, 0.1)),  # lapsed
]


def chunk_table(first_id: int, n: int, chunk_index: int) -> pa.Table:
    """The transactions of customers first_id .. first_id + n - 1, time-ordered."""
    rng = np.random.default_rng([SEED, chunk_index])
    weights = np.array([g[0] for g in GROUPS])
    group = rng.choice(len(GROUPS), size=n, p=weights / weights.sum())
    param = lambda i: np.array([g[i] for g in GROUPS])  # noqa: E731
    mean_tx = param(1)[group]
    n_tx = 1 + rng.poisson(mean_tx - 1)
    rec_lo, rec_hi = (np.array([g[2][j] for g in GROUPS])[group] for j in (0, 1))
    ten_lo, ten_hi = (np.array([g[3][j] for g in GROUPS])[group] for j in (0, 1))
    recency = rec_lo + rng.random(n) * (rec_hi - rec_lo)
    span = ten_lo + rng.random(n) * (ten_hi - ten_lo)
    prefs = np.array([g[6] for g in GROUPS])[group]
    favourite = (rng.random(n)[:, None] > np.cumsum(prefs, axis=1)).sum(axis=1)

    owner = np.repeat(np.arange(n), n_tx)
    total = owner.shape[0]
    # the last transaction of each customer is exactly at its recency; the others spread over its span
    u = rng.random(total)
    is_last = np.zeros(total, dtype=bool)
    is_last[np.cumsum(n_tx) - 1] = True
    u[is_last] = 0.0
    days_ago = recency[owner] + u * span[owner]
    seconds = np.round(days_ago * 86400.0).astype(np.int64)
    ts = AS_OF - seconds.astype("timedelta64[s]") - np.timedelta64(1, "s")
    amount = np.round(np.exp(param(4)[group][owner] + param(5)[group][owner] * rng.standard_normal(total)), 2)
    n_items = (1 + rng.poisson(amount / 25.0)).astype(np.int16)
    same = rng.random(total) < 0.8  # mostly the favourite channel
    channel = np.where(same, favourite[owner], rng.integers(0, 3, total))
    home = rng.integers(1, 501, n)
    store_id = np.where(rng.random(total) < 0.9, home[owner], rng.integers(1, 501, total)).astype(np.int32)

    order = np.argsort(ts, kind="stable")
    return pa.table(
        {
            "customer_id": pa.array(first_id + owner[order], pa.int64()),
            "ts": pa.array(ts[order], pa.timestamp("s")),
            "amount": pa.array(amount[order], pa.float64()),
            "n_items": pa.array(n_items[order], pa.int16()),
            "channel": pa.DictionaryArray.from_arrays(
                pa.array(channel[order], pa.int8()), pa.array(CHANNELS)
            ),
            "store_id": pa.array(store_id[order], pa.int32()),
        }
    )


def generate(n_customers: int, path: Path) -> int:
    """Write the transactions of customers 1..n_customers to ``path``; return the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    rows = 0
    writer = None
    try:
        for index, first in enumerate(range(0, n_customers, CHUNK)):
            table = chunk_table(first + 1, min(CHUNK, n_customers - first), index)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=1_000_000)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("customers", type=int, help="how many customers")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the Parquet file to write")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = generate(args.customers, args.output)
    print(
        f"{args.output}: {args.customers} customers, {rows} transactions, {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
