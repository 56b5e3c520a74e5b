"""A monthly rerun started warm (``[lifecycle] warm_start = true``) against the same rerun started cold.

    python bench/warm_start.py            # the retail RFM config, then generated blobs

Each case runs "last month" once, copies its database, then runs "this month"
on one copy cold and on the other warm, and prints the final fit's iterations
(``runs.n_iter``), its inertia and the model step's seconds. The retail case is
``data/retail.toml`` at two ``as_of`` dates a month apart; the blobs case is
200,000 rows × 5 features in 6 overlapping clusters, of which this month drops
5% of the rows, adds about as many new ones and moves one cluster by half a standard
deviation. Each case also reruns last month's data, warm and cold.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.datasets import make_blobs

import segsql

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"


def retail_config(folder: Path, *, warm: bool) -> Path:
    text = (DATA / "retail.toml").read_text()
    text = text.replace('path = "online_retail.csv"', f'path = "{(DATA / "online_retail.csv").as_posix()}"')
    text = text.replace('dir = "out/retail"', 'dir = "out/retail"\nreport = false')
    text += f"\n[lifecycle]\nwarm_start = {'true' if warm else 'false'}\n"
    path = folder / ("warm.toml" if warm else "cold.toml")
    path.write_text(text)
    return path


def blobs_config(folder: Path, points: Path, *, warm: bool) -> Path:
    path = folder / ("warm.toml" if warm else "cold.toml")
    path.write_text(
        f"""
[project]
name = "blobs"
database = "blobs.duckdb"
[sources.points]
path = "{points.as_posix()}"
[features]
entity = "id"
sql = "SELECT * FROM points"
[model]
k = 6
[output]
report = false
[lifecycle]
warm_start = {"true" if warm else "false"}
"""
    )
    return path


def blobs(folder: Path) -> tuple[Path, Path]:
    X, truth = make_blobs(n_samples=210_000, n_features=5, centers=6, cluster_std=3.0, random_state=11)
    rng = np.random.default_rng(11)
    ids = np.arange(1, X.shape[0] + 1)
    month1 = np.flatnonzero(rng.random(X.shape[0]) < 200_000 / 210_000)
    # this month: 5% of last month's rows gone, about as many new, and one cluster's members
    # moved by half a standard deviation of each feature
    gone = rng.choice(month1, size=10_000, replace=False)
    month2 = np.setdiff1d(np.arange(X.shape[0]), gone)
    moved = X + 0.5 * X.std(axis=0) * (truth == 0)[:, None]
    paths = []
    for name, rows, values in (("month1", month1, X), ("month2", month2, moved)):
        path = folder / f"{name}.parquet"
        frame = {"id": ids[rows]} | {f"f{j}": values[rows, j] for j in range(X.shape[1])}
        pl.DataFrame(frame).write_parquet(path)
        paths.append(path)
    return paths[0], paths[1]


def stats(result: segsql.RunResult) -> tuple[int, int, float, float]:
    """K, the final fit's iterations, its inertia, the model step's seconds (read at once:
    the database is about to be replaced)."""
    n_iter = int(result.tables["runs"]["n_iter"][0])
    return result.k, n_iter, result.metrics["inertia"], result.timings["model"]


def row(label: str, numbers: tuple[int, int, float, float]) -> str:
    k, n_iter, inertia, seconds = numbers
    return f"| {label} | {k} | {n_iter} | {inertia:.4f} | {seconds:.2f} |"


def rerun(folder: Path, database: str, first, second) -> tuple[tuple, tuple]:
    """Last month's run, then this month's on a copy of its database cold, and on another warm."""
    first()
    shutil.copy(folder / database, folder / "copy.duckdb")
    cold = stats(second(warm=False))
    shutil.move(folder / "copy.duckdb", folder / database)
    result = second(warm=True)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return cold, stats(result)


def main() -> None:
    print("| case | K | final fit iterations | inertia | model step (s) |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for first, second in (("2011-12-01", "2011-12-01"), ("2011-11-01", "2011-12-01")):
            cold, warm = rerun(
                folder,
                "retail.duckdb",
                lambda first=first: segsql.run(retail_config(folder, warm=False), as_of=first),
                lambda warm, second=second: segsql.run(retail_config(folder, warm=warm), as_of=second),
            )
            (folder / "retail.duckdb").unlink()
            what = "rerun on the same data" if first == second else f"as_of {first} then {second}"
            print(row(f"retail, {what}, cold", cold))
            print(row(f"retail, {what}, warm", warm))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        month1, month2 = blobs(folder)
        for data in (month1, month2):
            cold, warm = rerun(
                folder,
                "blobs.duckdb",
                lambda: segsql.run(blobs_config(folder, month1, warm=False)),
                lambda warm, data=data: segsql.run(blobs_config(folder, data, warm=warm)),
            )
            (folder / "blobs.duckdb").unlink()
            what = "rerun on the same data" if data == month1 else "5% of rows replaced, one cluster moved"
            print(row(f"blobs 200k × 5, {what}, cold", cold))
            print(row(f"blobs 200k × 5, {what}, warm", warm))


if __name__ == "__main__":
    main()
