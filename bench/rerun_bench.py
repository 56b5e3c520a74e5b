"""A monthly rerun, timed: the same config run twice into one database, before and after a change.

    python bench/rerun_bench.py --before /path/to/other/checkout [--rows 1000000] [--rounds 2]

Each round, for each checkout (this one and ``--before``), alternately: a fresh folder,
``segsql run`` once (the first run: nothing to compare with), then again with a later
``as_of`` (the rerun: the lifecycle, drift steps have a previous run to compare with). The
default benchmark config (`bench/segsql.toml`) with the report drawn, as a user runs it.
Prints the seconds and peak MB of each run (GNU time), and the medians.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _config(folder: Path, data: Path, as_of: str) -> Path:
    text = (HERE / "segsql.toml").read_text()
    text = text.replace('path = "data/tx_1m.parquet"', f'path = "{data.as_posix()}"')
    text = text.replace("as_of = 2025-01-01", f"as_of = {as_of}")
    text = text.replace("report = false", "report = true")
    path = folder / f"bench-{as_of}.toml"
    path.write_text(text)
    return path


def _timed(checkout: Path, config: Path) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "segsql", "run", "--quiet", str(config)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stderr)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return seconds, int(peak.group(1)) / 1024 if peak else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data = HERE / "data" / f"tx_{args.rows // 1_000_000}m.parquet"
    checkouts = {"before": args.before.resolve(), "after": HERE.parent}
    figures: dict[str, dict[str, list[tuple[float, float]]]] = {
        k: {"first": [], "rerun": []} for k in checkouts
    }
    for _ in range(args.rounds):
        for name, checkout in checkouts.items():
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                figures[name]["first"].append(_timed(checkout, _config(folder, data, "2024-12-01")))
                figures[name]["rerun"].append(_timed(checkout, _config(folder, data, "2025-01-01")))
            print(name, {k: v[-1] for k, v in figures[name].items()}, flush=True)
    for name, runs in figures.items():
        for kind, values in runs.items():
            seconds = statistics.median(v[0] for v in values)
            peak = statistics.median(v[1] for v in values)
            print(f"{name:6} {kind:5}: {seconds:6.2f} s  {peak:7.0f} MB  (median of {len(values)})")


if __name__ == "__main__":
    main()
