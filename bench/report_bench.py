"""Benchmark: chart and report generation for a 1,000,000-row run (not a test; figures in bench/README.md).

    python bench/report_bench.py                 # 1,000,000 synthetic customers
    python bench/report_bench.py --rows 200000   # smaller

Writes a synthetic feature file (four customer groups, four features) to
bench/data/, runs segsql on it with a small K sweep and the report switched off,
then times `segsql.write_report` on that run by itself, twice: the first call
in a process also builds the inlined Vega JavaScript bundle (cached after).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import polars as pl

import segsql

HERE = Path(__file__).resolve().parent

CONFIG = """\
[project]
name = "bench_{rows}"
database = "bench_{rows}.duckdb"

[sources.customers]
path = "customers_{rows}.parquet"

[features]
entity = "customer_id"
sql = "SELECT * FROM customers"

[features.labels]
income = "income"
spend = "spend"
visits = {{ name = "visits", high = "Frequent", low = "Occasional" }}
basket = "basket size"

[model]
k = 4
k_range = [3, 5]
n_init = 3
random_state = 42
sweep_sample = 100000
metric_sample = 10000

[output]
dir = "out/bench_{rows}"
report = false

[[recommendations]]
when = {{ income = "high", spend = "high" }}
say = "VIP programme"
"""


def make_customers(path: Path, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    centres = np.array([[40, 30, 4, 20], [60, 55, 10, 35], [90, 80, 20, 60], [120, 45, 7, 90]], dtype=float)
    spread = np.array([8, 10, 2, 8], dtype=float)
    group = rng.choice(4, size=rows, p=[0.35, 0.3, 0.2, 0.15])
    values = centres[group] + rng.normal(size=(rows, 4)) * spread
    pl.DataFrame(
        {
            "customer_id": np.arange(1, rows + 1, dtype=np.int64),
            "income": values[:, 0].round(1),
            "spend": values[:, 1].round(1),
            "visits": np.clip(values[:, 2], 0, None).round(0),
            "basket": values[:, 3].round(2),
        }
    ).write_parquet(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    data = HERE / "data"
    data.mkdir(exist_ok=True)
    parquet = data / f"customers_{args.rows}.parquet"
    if not parquet.exists():
        make_customers(parquet, args.rows, args.seed)
    config_path = data / f"bench_{args.rows}.toml"
    config_path.write_text(CONFIG.format(rows=args.rows))
    database = data / f"bench_{args.rows}.duckdb"
    database.unlink(missing_ok=True)
    config = segsql.load_config(config_path)

    start = time.perf_counter()
    result = segsql.run(config)
    run_seconds = time.perf_counter() - start
    print(f"{platform.processor() or platform.machine()}, segsql {segsql.__version__}")
    print(f"run: {args.rows:,} rows, K = {result.k}, {run_seconds:.1f} s")
    print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))

    for attempt in ("first (builds the JS bundle)", "second (bundle cached)"):
        start = time.perf_counter()
        report = segsql.write_report(config)
        seconds = time.perf_counter() - start
        size = report.html.stat().st_size / 1e6
        print(f"report, {attempt}: {seconds:.2f} s, {len(report.charts)} charts, report.html {size:.2f} MB")
    points = result.tables["projection"].filter(pl.col("kind") == "point").height
    print(f"map points: {points:,} of {args.rows:,} rows; report: {report.html}")


if __name__ == "__main__":
    main()
