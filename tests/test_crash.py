"""Nothing lost: a `segsql run` killed with SIGKILL at any moment leaves the previous run intact.

A real `segsql run` process works on 150,000 generated rows (a few seconds)
over a database that already holds one successful run. It is killed at the
start of each stage, inside the write-back transaction with every row written
(``commit``), just after COMMIT (``committed``), and after fixed fractions of
a normal run's duration. After each kill the database must open, answer
queries, hold exactly what it held before (every table, view definition and
row), or, for a kill after COMMIT, that plus the complete new run; and a new
run on it must succeed. The pause points are ``segsql/testhook.py``.
"""

from __future__ import annotations

import shutil
import signal
import sys
import time
from pathlib import Path

import duckdb
import pytest

import segsql

from .safety import differences, kill, same, snapshot, start_run, wait_for_pause, write_blobs, write_config

# SIGKILL, process groups and select() on pipes: POSIX
pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and pipes")]

TABLES = ("runs", "k_sweep", "scaler", "centroids", "segments", "profiles", "segment_summary")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """One successful run by a real process: its database (closed), its snapshot, how long it took."""
    folder = tmp_path_factory.mktemp("crash_base")
    data = write_blobs(folder)
    config = write_config(folder, data)
    started = time.monotonic()
    proc = start_run(config)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    return {
        "data": data,
        "database": folder / "run.duckdb",
        "seconds": time.monotonic() - started,
        "snapshot": snapshot(folder / "run.duckdb"),
    }


@pytest.fixture
def workdir(base: dict, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the base database and a config writing to it: (config, database)."""
    shutil.copy(base["database"], tmp_path / "run.duckdb")
    return write_config(tmp_path, base["data"]), tmp_path / "run.duckdb"


def _run_rows(con: duckdb.DuckDBPyConnection, table: str, run_id: int):
    return con.sql(f"SELECT * FROM segsql.{table} WHERE run_id = {run_id} ORDER BY ALL").pl()


def assert_second_run_complete(database: Path, before: dict) -> None:
    """The database holds the first run unchanged and a complete second run, shown by every _latest view."""
    with duckdb.connect(str(database)) as con:
        assert con.execute("SELECT run_id, status FROM segsql.runs ORDER BY run_id").fetchall() == [
            (1, "success"),
            (2, "success"),
        ]
        for table in TABLES:
            assert _run_rows(con, table, 1).equals(
                before[f"segsql.{table}"].filter(run_id=1), null_equal=True
            ), table
            latest = con.sql(f"SELECT * FROM segsql.{table}_latest ORDER BY ALL").pl()
            assert latest.height > 0, table
            assert latest.equals(_run_rows(con, table, 2), null_equal=True), table
        n_segments = con.execute("SELECT count(*) FROM segsql.segments WHERE run_id = 2").fetchall()
        assert n_segments == [(150_000,)]


def assert_a_new_run_works(config: Path, expected_run_id: int) -> None:
    result = segsql.run(config)
    assert result.run_id == expected_run_id
    assert result.segments.height == 150_000


def test_the_base_run_wrote_every_table_and_view(base: dict) -> None:
    keys = set(base["snapshot"])
    for table in TABLES:
        assert f"segsql.{table}" in keys and f"segsql.{table}_latest" in keys
    assert base["snapshot"]["segsql.segments"].height == 150_000


@pytest.mark.parametrize("point", ["sources", "model", "writeback", "commit"])
def test_a_run_killed_before_commit_leaves_the_database_exactly_as_it_was(
    base: dict, workdir: tuple[Path, Path], point: str
) -> None:
    config, database = workdir
    proc = start_run(config, pause_at=point)
    wait_for_pause(proc, point)
    kill(proc)
    after = snapshot(database)
    assert same(after, base["snapshot"]), differences(after, base["snapshot"])
    if point == "commit":  # the most that can be pending: every row of the run written
        assert_a_new_run_works(config, expected_run_id=2)


def test_a_run_killed_just_after_commit_keeps_the_whole_new_run(
    base: dict, workdir: tuple[Path, Path]
) -> None:
    config, database = workdir
    proc = start_run(config, pause_at="committed")
    wait_for_pause(proc, "committed")
    kill(proc)
    assert_second_run_complete(database, base["snapshot"])
    assert_a_new_run_works(config, expected_run_id=3)


@pytest.mark.parametrize("fraction", [0.6, 0.9, 1.05])
def test_a_run_killed_at_an_arbitrary_moment_leaves_the_old_state_or_the_complete_new_run(
    base: dict, workdir: tuple[Path, Path], fraction: float
) -> None:
    # where in the run the kill lands depends on the machine's load; either
    # outcome is checked completely, and nothing in between is allowed
    config, database = workdir
    proc = start_run(config)
    time.sleep(base["seconds"] * fraction)
    kill(proc)
    after = snapshot(database)
    if not same(after, base["snapshot"]):
        assert_second_run_complete(database, base["snapshot"])


def test_a_run_interrupted_inside_the_transaction_rolls_back_and_says_so(
    base: dict, workdir: tuple[Path, Path]
) -> None:
    config, database = workdir
    proc = start_run(config, pause_at="commit")
    wait_for_pause(proc, "commit")
    proc.send_signal(signal.SIGINT)  # Ctrl-C, or a scheduler's polite stop
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert stderr.splitlines() == ["Error: interrupted; nothing was written"]
    after = snapshot(database)
    assert same(after, base["snapshot"]), differences(after, base["snapshot"])


def test_a_run_failing_inside_the_transaction_leaves_the_previous_run_as_it_was(
    base: dict, workdir: tuple[Path, Path]
) -> None:
    # the entity changes type between runs: write-back refuses, after it has begun
    config, database = workdir
    text = config.read_text().replace(
        "SELECT * FROM blobs", "SELECT CAST(id AS VARCHAR) AS id, * EXCLUDE (id) FROM blobs"
    )
    config.write_text(text)
    with pytest.raises(segsql.DatabaseError, match=r"segsql\.segments holds entities as \(id BIGINT\)"):
        segsql.run(config)
    after = snapshot(database)
    assert same(after, base["snapshot"]), differences(after, base["snapshot"])


@pytest.mark.parametrize("point", ["committed", "report"])
def test_a_run_interrupted_after_its_commit_says_the_run_was_saved(
    base: dict, workdir: tuple[Path, Path], point: str
) -> None:
    config, database = workdir
    proc = start_run(config, pause_at=point)
    wait_for_pause(proc, point)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert stderr.splitlines() == ["Error: interrupted after run 2 was saved (its tables are complete)"]
    assert_second_run_complete(database, base["snapshot"])
