"""Benchmark: chart and report generation for a 1,000,000-row run (not a test; figures in bench/README.md).

    python bench/report_bench.py                 # 1,000,000 synthetic customers
    python bench/report_bench.py --rows 200000   # smaller

Writes a synthetic feature file (four customer groups, four features) to
bench/data/, runs segsql on it with a small K sweep and the report switched off,
then times `segsql.write_report` on that run by itself (what the run's report
step does, and `segsql report`):

- with the JavaScript bundle not yet kept on disk (an empty cache folder: it is
  built, on a thread, while the queries run), then with it kept (read back);
- with `images=True` (`segsql report --images`: every chart as SVG and PNG).

The first report in the process also imports Altair (about 0.2 s), as a run does.
Last, in a fresh process, where vl-convert's time goes: its engine's start, the
bundle, and SVG and PNG chart by chart (``--vl-convert DIR`` alone does that for
the ``*.vl.json`` files in DIR).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
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


def vl_convert_costs(folder: Path) -> None:
    """Seconds vl-convert takes: its engine's start, each chart's SVG and PNG, the JS bundle."""
    start = time.perf_counter()
    import altair as alt
    import vl_convert

    print(f"vl-convert {vl_convert.__version__}: import (with Altair) {time.perf_counter() - start:.2f} s")
    vl = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    tiny = {
        "data": {"values": [{"a": 1}]},
        "mark": "point",
        "encoding": {"x": {"field": "a", "type": "quantitative"}},
    }
    for what in ("first call (starts the engine), a one-point chart", "the same chart again"):
        start = time.perf_counter()
        vl_convert.vegalite_to_svg(tiny, vl_version=vl)
        print(f"  {what}: {time.perf_counter() - start:.3f} s")
    total_svg = total_png = 0.0
    for path in sorted(folder.glob("*.vl.json")):
        spec = json.loads(path.read_text())
        start = time.perf_counter()
        svg = vl_convert.vegalite_to_svg(spec, vl_version=vl)
        middle = time.perf_counter()
        vl_convert.svg_to_png(svg, scale=2)
        end = time.perf_counter()
        total_svg, total_png = total_svg + middle - start, total_png + end - middle
        name = path.name.removesuffix(".vl.json")
        print(f"  {name}: SVG {middle - start:.3f} s, PNG from it {end - middle:.3f} s")
    print(f"  every chart: SVG {total_svg:.2f} s, PNG {total_png:.2f} s")
    for what in ("JS bundle, built", "JS bundle, again in the process"):
        start = time.perf_counter()
        code = vl_convert.javascript_bundle(vl_version=vl)  # type: ignore[call-arg]
        print(f"  {what}: {time.perf_counter() - start:.3f} s ({len(code) / 1e6:.2f} MB)")


def main() -> None:
    if sys.argv[1:2] == ["--vl-convert"]:
        vl_convert_costs(Path(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5, help="reports to time of each kind")
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

    from segsql.report import writer

    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="segsql-bench-cache-")  # nothing kept yet

    def timed(**kwargs: bool) -> tuple[float, segsql.Report]:
        writer._javascript.cache_clear()  # as in a new process: the bundle is read or built again
        start = time.perf_counter()
        report = segsql.write_report(config, **kwargs)
        return time.perf_counter() - start, report

    seconds, report = timed()
    size = report.html.stat().st_size / 1e6
    print(f"report, first in the process (imports Altair; builds the JS bundle): {seconds:.2f} s")
    print(f"  {len(report.charts)} charts, report.html {size:.2f} MB")
    kept = [timed()[0] for _ in range(args.repeat)]
    print(f"report, the bundle kept on disk: median {statistics.median(kept):.2f} s of {args.repeat}")
    images = [timed(images=True)[0] for _ in range(args.repeat)]
    print(f"report --images (SVG and PNG too): median {statistics.median(images):.2f} s of {args.repeat}")
    points = result.tables["projection"].filter(pl.col("kind") == "point").height
    print(f"map points: {points:,} of {args.rows:,} rows; report: {report.html}")
    subprocess.run([sys.executable, __file__, "--vl-convert", str(report.html.parent / "charts")], check=True)


if __name__ == "__main__":
    main()
