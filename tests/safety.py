"""Helpers for the crash and locking tests: big generated data, real `segsql run` processes, snapshots."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from segsql.testhook import ENV as PAUSE_ENV

# more rows than a DuckDB row group (122,880), so the write-back's big appends
# go to the database file before COMMIT (DuckDB's optimistic writes)
ROWS = 150_000


def write_blobs(folder: Path, *, rows: int = ROWS, seed: int = 0) -> Path:
    """A CSV of ``rows`` points around four centres in five dimensions."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 5, (4, 5))
    X = centers[rng.integers(0, 4, rows)] + rng.normal(0, 1, (rows, 5))
    path = folder / "blobs.csv"
    with path.open("w") as f:
        f.write("id,f1,f2,f3,f4,f5\n")
        np.savetxt(f, np.column_stack([np.arange(rows), X]), fmt=["%d"] + ["%.6f"] * 5, delimiter=",")
    return path


def write_config(
    folder: Path, data: Path, *, database: str = "run.duckdb", extra: str = "", name: str = "blobs.toml"
) -> Path:
    """A config segmenting ``data`` into four segments; ``extra`` goes into ``[project]``."""
    path = folder / name
    path.write_text(
        f'[project]\nname = "blobs"\ndatabase = "{database}"\n{extra}\n'
        f'[sources.blobs]\npath = "{data.as_posix()}"\n\n'
        '[features]\nentity = "id"\nsql = "SELECT * FROM blobs"\n\n'
        "[model]\nk = 4\nk_range = [2, 4]\nn_init = 2\nmetric_sample = 2000\n"
    )
    return path


def start_run(config: Path, *, pause_at: str | None = None) -> subprocess.Popen:
    """A real `segsql run` in a process of its own (its own process group, so it can be killed whole)."""
    env = {k: v for k, v in os.environ.items() if k != PAUSE_ENV}
    if pause_at:
        env[PAUSE_ENV] = pause_at
    return subprocess.Popen(
        [sys.executable, "-m", "segsql", "run", "--quiet", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        start_new_session=True,
    )


def wait_for_pause(proc: subprocess.Popen, point: str, timeout: float = 300) -> None:
    """Read the process's stderr until it says it paused at ``point``."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 1.0)
        if ready:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            seen.append(line)
            if line.startswith(f"segsql: paused at {point} "):
                return
    proc.kill()
    raise AssertionError(f"the run never paused at {point!r}; stderr: {''.join(seen)!r}")


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the run, and wait for it, so that its file lock is gone."""
    proc.kill()
    proc.wait(timeout=60)
    for stream in (proc.stdout, proc.stderr):
        stream.close()


def snapshot(database: Path) -> dict[str, object]:
    """Every table and view of the database: its definition and its rows, in a fixed order.

    Opened read-write on purpose: that is what the next run does, and it
    replays DuckDB's write-ahead log if a killed process left one.
    """
    with duckdb.connect(str(database)) as con:
        con.execute("PRAGMA database_size").fetchall()
        relations = con.execute(
            "SELECT schema_name, table_name, sql FROM duckdb_tables() WHERE NOT internal AND NOT temporary "
            "UNION ALL SELECT schema_name, view_name, sql FROM duckdb_views() "
            "WHERE NOT internal AND NOT temporary ORDER BY 1, 2"
        ).fetchall()
        snap: dict[str, object] = {}
        for schema, name, definition in relations:
            qualified = f'"{schema}"."{name}"'
            snap[f"{schema}.{name}:sql"] = definition
            snap[f"{schema}.{name}"] = con.sql(f"SELECT * FROM {qualified} ORDER BY ALL").pl()
        return snap


def same(a: dict[str, object], b: dict[str, object]) -> bool:
    """Whether two snapshots hold the same relations, definitions and rows."""
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, pl.DataFrame):
            if not (isinstance(other, pl.DataFrame) and value.equals(other, null_equal=True)):
                return False
        elif value != other:
            return False
    return True


def differences(a: dict[str, object], b: dict[str, object]) -> list[str]:
    """The keys whose content differs, for a readable assertion message."""
    return sorted(k for k in a.keys() | b.keys() if not same({k: a.get(k)}, {k: b.get(k)}))
