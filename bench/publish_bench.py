"""Time publishing the benchmark run's tables to partitioned Parquet, Delta and Iceberg.

    python bench/publish_bench.py                # bench/data/tx_1m.parquet (make it with bench/run.py)

One `segsql.run` of bench/segsql.toml (1,000,000 customers) into a scratch
folder, then `segsql.publish` of that run to one target of each format, twice
(the first publish creates the tables; the second replaces the run's partition).
Reported: seconds per publish and the rows of the `segments` table published.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tomllib
from pathlib import Path

import segsql

HERE = Path(__file__).resolve().parent

TARGETS = {
    "parquet": {"format": "parquet", "path": "lake/parquet"},
    "delta": {"format": "delta", "path": "lake/delta"},
    "iceberg": {
        "format": "iceberg",
        "namespace": "bench",
        "catalog": {"uri": "sqlite:///lake/catalog.db", "warehouse": "lake/warehouse"},
    },
}


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "data" / "tx_1m.parquet"
    base = tomllib.loads((HERE / "segsql.toml").read_text())
    base["sources"]["transactions"]["path"] = str(data.resolve())
    with tempfile.TemporaryDirectory(dir=HERE / "out") as folder:
        base["project"]["database"] = "bench.duckdb"
        started = time.perf_counter()
        result = segsql.run(segsql.config_from_dict(base, base_dir=folder))
        seconds = time.perf_counter() - started
        print(f"run {result.run_id}: {seconds:.1f} s, {result.segments.height} customers")
        for fmt, target in TARGETS.items():
            config = segsql.config_from_dict({**base, "publish": [target]}, base_dir=folder)
            for attempt in ("first publish", "republish"):
                started = time.perf_counter()
                published = segsql.publish(config, run_id=result.run_id)
                seconds = time.perf_counter() - started
                rows = sum(p.rows for p in published.tables if p.table == "segments")
                print(f"{fmt:8s} {attempt:14s} {seconds:6.2f} s  ({rows} segments rows, 12 tables)")


if __name__ == "__main__":
    main()
