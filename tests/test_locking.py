"""Two runs at once on one database: the second fails at once, clearly, or waits its turn.

DuckDB lets one process write a database file and locks it while open. A run
holding the database is a real `segsql run` process stopped at the start of
its model stage (``segsql/testhook.py``), or two real runs started together.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import segsql

from .safety import kill, same, snapshot, start_run, wait_for_pause, write_blobs, write_config

# SIGKILL, process groups and select() on pipes: POSIX
pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and pipes")]

ROWS = 5_000


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    """(config, database) with one successful run in the database."""
    config = write_config(tmp_path, write_blobs(tmp_path, rows=ROWS))
    segsql.run(config)
    return config, tmp_path / "run.duckdb"


def _segsql(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "segsql", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("command", [["run", "--quiet"], ["validate"], ["query", "{config}", "SELECT 1"]])
def test_a_second_process_fails_at_once_naming_the_database_and_the_holder(
    project: tuple[Path, Path], command: list[str]
) -> None:
    config, database = project
    before = snapshot(database)
    holder = start_run(config, pause_at="model")
    try:
        wait_for_pause(holder, "model")
        args = [a.replace("{config}", str(config)) for a in command]
        if "{config}" not in " ".join(command):
            args.append(str(config))
        second = _segsql(*args)
    finally:
        kill(holder)
    assert second.returncode == 1
    assert second.stderr.splitlines() == [
        f"Error: {database}: the database is in use by another process "
        f"(PID {holder.pid}; another segsql run?); [project] lock_timeout = 0 s, so not waiting"
    ]
    assert "Traceback" not in second.stdout + second.stderr
    assert same(snapshot(database), before)  # neither process changed or broke the file


def test_with_a_lock_timeout_the_second_run_waits_its_bound_then_fails_clearly(
    project: tuple[Path, Path],
) -> None:
    config, database = project
    waiting = write_config(
        config.parent, config.parent / "blobs.csv", extra="lock_timeout = 1.5", name="w.toml"
    )
    holder = start_run(config, pause_at="model")
    try:
        wait_for_pause(holder, "model")
        second = _segsql("run", "--quiet", str(waiting))
    finally:
        kill(holder)
    assert second.returncode == 1
    assert second.stderr.splitlines() == [
        f"Error: {database}: the database is in use by another process "
        f"(PID {holder.pid}; another segsql run?); waited 1.5 s ([project] lock_timeout)"
    ]


def test_two_runs_started_together_with_a_lock_timeout_both_succeed_one_after_the_other(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, write_blobs(tmp_path, rows=ROWS), extra="lock_timeout = 120")
    first, second = start_run(config), start_run(config)
    for proc in (first, second):
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        runs = con.execute("SELECT run_id, status FROM segsql.runs ORDER BY run_id").fetchall()
        assert runs == [(1, "success"), (2, "success")]
        per_run = con.execute(
            "SELECT run_id, count(*) FROM segsql.segments GROUP BY run_id ORDER BY run_id"
        ).fetchall()
        assert per_run == [(1, ROWS), (2, ROWS)]


def test_a_run_killed_while_another_waits_leaves_the_waiting_run_to_succeed(
    project: tuple[Path, Path],
) -> None:
    config, database = project
    waiting = write_config(
        config.parent, config.parent / "blobs.csv", extra="lock_timeout = 120", name="w.toml"
    )
    holder = start_run(config, pause_at="commit")
    wait_for_pause(holder, "commit")
    second = start_run(waiting)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            second.wait(timeout=3)  # still waiting for the lock (it has 120 s)
    finally:
        kill(holder)
    _, stderr = second.communicate(timeout=300)
    assert second.returncode == 0, stderr
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT max(run_id), count(*) FROM segsql.runs").fetchall() == [(2, 2)]
