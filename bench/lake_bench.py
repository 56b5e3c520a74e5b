"""Peak memory of `segsql run` over one transactions source as Parquet, as a Delta table and as Iceberg.

    python bench/lake_bench.py [--rows 2000000] [--rounds 2]

The first ``--rows`` transactions of ``bench/data/tx_1m.parquet`` (make it with
``python bench/generate.py 1000000 -o bench/data/tx_1m.parquet``) are written, in a
temporary folder, as one Parquet file, as a Delta table (deltalake) and as an Iceberg
table in a local SQL catalog (pyiceberg), in batches. The benchmark config
(``bench/segsql.toml``, report off) is run over each by the CLI under GNU time;
the script prints each run's seconds and peak resident memory (max RSS), the
medians, and checks that the three runs give the same segments.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent


def _write(folder: Path, rows: int) -> dict[str, str]:
    """The three copies of the data; returns format → the [sources.transactions] lines."""
    from deltalake import write_deltalake
    from pyiceberg.catalog import load_catalog

    source = HERE / "data" / "tx_1m.parquet"
    con = duckdb.connect()
    query = f"SELECT * FROM read_parquet('{source}') LIMIT {rows}"
    con.execute(f"COPY ({query}) TO '{folder / 'tx.parquet'}' (FORMAT parquet)")
    table = con.sql(f"SELECT * FROM read_parquet('{folder / 'tx.parquet'}')").to_arrow_table()
    write_deltalake(folder / "tx_delta", table)
    (folder / "warehouse").mkdir()
    catalog = load_catalog(
        "bench",
        type="sql",
        uri=f"sqlite:///{folder / 'catalog.db'}",
        warehouse=f"file://{folder / 'warehouse'}",
    )
    catalog.create_namespace("bench")
    catalog.create_table("bench.tx", schema=table.schema).append(table)
    del table
    return {
        "parquet": f'path = "{folder / "tx.parquet"}"',
        "delta": f'path = "{folder / "tx_delta"}"\nformat = "delta"',
        "iceberg": (
            'format = "iceberg"\ntable = "bench.tx"\n'
            f'catalog = {{ name = "bench", type = "sql", uri = "sqlite:///{folder / "catalog.db"}" }}'
        ),
    }


def _config(folder: Path, name: str, source: str) -> Path:
    text = (HERE / "segsql.toml").read_text()
    text = text.replace('path = "data/tx_1m.parquet"', source)
    text = text.replace('database = "out/bench.duckdb"', f'database = "{folder / name}.duckdb"')
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def _timed(config: Path) -> tuple[float, float]:
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "segsql", "run", "--quiet", str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return seconds, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = _write(folder, args.rows)
        configs = {name: _config(folder, name, source) for name, source in sources.items()}
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in configs}
        for round_ in range(args.rounds):
            for name, config in configs.items():
                seconds, peak = _timed(config)
                figures[name].append((seconds, peak))
                print(f"round {round_ + 1} {name:8s} {seconds:6.1f} s  {peak:7.0f} MB", flush=True)
        for name, runs in figures.items():
            seconds = statistics.median(s for s, _ in runs)
            peak = statistics.median(p for _, p in runs)
            print(f"median  {name:8s} {seconds:6.1f} s  {peak:7.0f} MB")
        segments = {}
        for name in configs:
            with duckdb.connect(str(folder / f"{name}.duckdb"), read_only=True) as con:
                segments[name] = con.execute(
                    "SELECT customer_id, segment FROM segsql.segments WHERE run_id = 1 ORDER BY customer_id"
                ).fetchall()
        same = all(rows == segments["parquet"] for rows in segments.values())
        print(f"same segments in every format: {same} ({len(segments['parquet'])} customers)")


if __name__ == "__main__":
    main()
