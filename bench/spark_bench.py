"""The Spark engine on the benchmark's data: `segsql run` with `[project] engine = "spark"`.

    python bench/spark_bench.py 10000000            # bench/data/tx_10m.parquet, local[2]
    python bench/spark_bench.py 1000000 --master "local[2]" --driver-memory 6g

It writes bench/out/spark_<size>/segsql.toml (bench/segsql.toml with the Spark
engine, the report left out so that the figure is the run's), runs
``segsql run --quiet`` on it in a child process, and prints the wall time and
the peak memory of the process tree (the Python driver and Spark's JVM, which
in local mode is the driver and the executors), sampled every 100 ms from
/proc, with the run's per-step seconds from its ``runs`` row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent


def _label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _rss(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("customers", type=int)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--fit", default="sample", choices=("sample", "mllib"))
    args = parser.parse_args()
    size = _label(args.customers)
    data = HERE / "data" / f"tx_{size}.parquet"
    if not data.exists():
        sys.exit(f"{data} is missing: python bench/generate.py {args.customers} -o {data}")
    out = HERE / "out" / f"spark_{size}"
    out.mkdir(parents=True, exist_ok=True)
    for old in ("bench.duckdb", "bench.duckdb.wal"):
        (out / old).unlink(missing_ok=True)
    text = (HERE / "segsql.toml").read_text()
    text = text.replace('database = "out/bench.duckdb"', 'database = "bench.duckdb"\nengine = "spark"')
    text = text.replace('path = "data/tx_1m.parquet"', f'path = "{data}"')
    text = text.replace('dir = "out/bench"', 'dir = "."\nreport = false')
    text += (
        f'\n[spark]\nmaster = "{args.master}"\nfit = "{args.fit}"\noutput = "./segments"\n'
        f'conf = {{ "spark.driver.memory" = "{args.driver_memory}", "spark.ui.enabled" = false, '
        f'"spark.ui.showConsoleProgress" = false, "spark.sql.warehouse.dir" = "{out / "warehouse"}" }}\n'
    )
    config = out / "segsql.toml"
    config.write_text(text)
    env = {**os.environ, "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1")}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "segsql", "run", "--quiet", str(config)], env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss(_tree(proc.pid)))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    if code:
        sys.exit(f"segsql run failed ({code})")
    con = duckdb.connect(str(out / "bench.duckdb"), read_only=True)
    timings, k = con.execute("SELECT timings, k FROM segsql.runs ORDER BY run_id DESC LIMIT 1").fetchone()
    con.close()
    print(
        json.dumps(
            {
                "customers": args.customers,
                "master": args.master,
                "fit": args.fit,
                "seconds": round(seconds, 1),
                "peak_memory_gb": round(peak / 2**30, 2),
                "k": k,
                "steps": json.loads(timings),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
