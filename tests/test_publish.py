"""Publishing a run's tables to a lake (README, "Publishing" and "In a scheduled job").

Each table published to partitioned Parquet, Delta and Iceberg is read back
with DuckDB's ``read_parquet``, ``deltalake`` and ``pyiceberg``, and must hold
exactly the DuckDB table's rows of each run; publishing again replaces the
run's partition; a real ``segsql`` process killed while publishing leaves every
lake table readable at a whole version, and ``segsql publish`` completes it.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

import segsql
from segsql.cli import app
from segsql.config import OUTPUT_TABLES

from .conftest import report_off
from .safety import kill, start_run, wait_for_pause
from .test_as_of import RFM_CONFIG, sales_csv, sales_rows

publish_module = importlib.import_module("segsql.publish")  # `segsql.publish` is the verb

CUSTOMERS = Path(__file__).resolve().parent.parent / "data" / "customers.csv"

CONFIG = """\
[project]
name = "customers"
database = "run.duckdb"

[sources.customers]
path = "{data}"

[features]
entity = "CustomerID"
sql = "SELECT * FROM customers"

[model]
k = 4
k_range = [2, 4]
n_init = 2
"""

TARGETS = {
    "parquet": '[[publish]]\nformat = "parquet"\npath = "lake/parquet"\n',
    "delta": '[[publish]]\nformat = "delta"\npath = "lake/delta"\n',
    # relative paths in the catalog's properties are the config folder's; `name` is the catalog's
    "iceberg": (
        '[[publish]]\nformat = "iceberg"\nnamespace = "seg"\n'
        'catalog = { name = "t", uri = "sqlite:///lake/cat.db", warehouse = "lake/wh" }\n'
    ),
}


def write_config(folder: Path, formats: tuple[str, ...] = ("parquet", "delta", "iceberg")) -> Path:
    path = folder / "customers.toml"
    text = report_off(CONFIG.format(data=CUSTOMERS.as_posix()))
    path.write_text(text + "\n" + "\n".join(TARGETS[f] for f in formats))
    return path


# --- reading back -------------------------------------------------------------------------------


def duck_rows(folder: Path, table: str, run_id: int) -> tuple[list[str], list[tuple]]:
    """The DuckDB table's rows of a run, sorted, and its column names."""
    with duckdb.connect(str(folder / "run.duckdb"), read_only=True) as con:
        relation = con.sql(f"SELECT * FROM segsql.{table} WHERE run_id = {run_id}")
        return relation.columns, _sorted(relation.fetchall())


def lake_rows(folder: Path, fmt: str, table: str, run_id: int, columns: list[str]) -> list[tuple]:
    """A published table's rows of a run, read with that format's own reader, in DuckDB's column order."""
    if fmt == "parquet":
        glob = (folder / "lake" / "parquet" / table / "**" / "*.parquet").as_posix()
        with duckdb.connect() as con:
            names = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(
                f"SELECT {names} FROM read_parquet($glob, hive_partitioning = true) WHERE run_id = $run",
                {"glob": glob, "run": run_id},
            ).fetchall()
        return _sorted(rows)
    if fmt == "delta":
        from deltalake import DeltaTable

        data = DeltaTable(str(folder / "lake" / "delta" / table)).to_pyarrow_table()
    else:
        data = iceberg_table(folder, table).scan().to_arrow()
    import pyarrow.compute as pc

    data = data.filter(pc.equal(data["run_id"], run_id)).select(columns)
    return _sorted([tuple(row.values()) for row in data.to_pylist()])


def iceberg_table(folder: Path, table: str) -> Any:
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog(
        "t", uri=f"sqlite:///{folder}/lake/cat.db", warehouse=(folder / "lake" / "wh").as_uri()
    )
    return catalog.load_table(("seg", table))


def _sorted(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=repr)


def assert_published(folder: Path, fmt: str, run_id: int, tables: tuple[str, ...] = OUTPUT_TABLES) -> None:
    for table in tables:
        columns, expected = duck_rows(folder, table, run_id)
        assert lake_rows(folder, fmt, table, run_id, columns) == expected, (fmt, table, run_id)


# --- publishing -----------------------------------------------------------------------------------


def test_the_publishable_tables_are_the_tables_a_run_writes(tmp_path: Path) -> None:
    result = segsql.run(write_config(tmp_path, formats=()))
    with duckdb.connect(result.database, read_only=True) as con:
        written = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = ?", [result.schema]
            ).fetchall()
        }
    assert written - {"publishes"} == set(OUTPUT_TABLES)


def test_every_published_table_reads_back_as_the_duckdb_table_of_each_run(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    first, second = segsql.run(config), segsql.run(config)
    assert (first.run_id, second.run_id) == (1, 2)
    for fmt in ("parquet", "delta", "iceberg"):
        for run_id in (1, 2):
            assert_published(tmp_path, fmt, run_id)
    # the segments table keeps the entity under its own name and type
    assert "CustomerID" in iceberg_table(tmp_path, "segments").schema().column_names
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        recorded = con.execute(
            "SELECT run_id, format, count(*), sum(rows) FILTER (WHERE table_name = 'segments') "
            "FROM segsql.publishes GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        deltas = con.execute(
            "SELECT count(*) FROM segsql.publishes WHERE format = 'delta' AND version IS NULL"
        ).fetchall()
    assert recorded == [
        (r, f, len(OUTPUT_TABLES), 200) for r in (1, 2) for f in ("delta", "iceberg", "parquet")
    ]
    assert deltas == [(0,)]


def test_publishing_a_run_again_replaces_its_partition_and_nothing_else(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    segsql.run(config)
    segsql.run(config)
    from deltalake import DeltaTable

    before = DeltaTable(str(tmp_path / "lake" / "delta" / "segments")).version()
    result = segsql.publish(config, run_id=1)
    assert {p.table for p in result.tables} == set(OUTPUT_TABLES) and result.run_id == 1
    assert DeltaTable(str(tmp_path / "lake" / "delta" / "segments")).version() == before + 1
    for fmt in ("parquet", "delta", "iceberg"):
        for run_id in (1, 2):
            assert_published(tmp_path, fmt, run_id)
    parts = sorted(
        p.relative_to(tmp_path / "lake" / "parquet") for p in (tmp_path / "lake" / "parquet").rglob("*")
    )
    assert [p for p in parts if p.suffix == ".parquet" and p.parts[0] == "segments"] == [
        Path("segments/run_id=1/part-0.parquet"),
        Path("segments/run_id=2/part-0.parquet"),
    ]
    assert not (tmp_path / "lake" / "parquet" / publish_module.ASIDE).exists()


def test_the_tables_key_limits_what_is_published(tmp_path: Path) -> None:
    config = write_config(tmp_path, ("parquet",))
    config.write_text(config.read_text() + 'tables = ["segments", "segment_summary"]\n')
    result = segsql.run(config)
    assert sorted(p.name for p in (tmp_path / "lake" / "parquet").iterdir()) == [
        "segment_summary",
        "segments",
    ]
    assert_published(tmp_path, "parquet", result.run_id, ("segments", "segment_summary"))


def test_segsql_publish_republishes_the_latest_run_and_says_what_it_published(tmp_path: Path) -> None:
    config = write_config(tmp_path, ("delta",))
    segsql.run(config)
    result = CliRunner().invoke(app, ["publish", str(config)])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(OUTPUT_TABLES)
    assert lines[4] == f"Published run 1 segments → delta {tmp_path / 'lake' / 'delta'} (200 rows, version 1)"
    assert_published(tmp_path, "delta", 1)


# --- failures -------------------------------------------------------------------------------------


def test_a_failed_publish_after_the_commit_keeps_the_run_and_says_how_to_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, ("delta",))
    write = publish_module._Delta.write

    def failing(self: Any, db: Any, schema: str, table: str, run_id: int) -> Any:
        if table == "segments":
            raise OSError("the lake's disk is full")
        return write(self, db, schema, table, run_id)

    monkeypatch.setattr(publish_module._Delta, "write", failing)
    result = CliRunner().invoke(app, ["run", "--quiet", str(config)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: run 1 was saved; publishing to delta {tmp_path / 'lake' / 'delta'} failed (table segments: "
        f"OSError: the lake's disk is full): run segsql publish {config} --run 1 to retry"
    ]
    assert segsql.list_runs(config)["run_id"].to_list() == [1]
    assert duck_rows(tmp_path, "segments", 1)[1]
    monkeypatch.undo()
    assert CliRunner().invoke(app, ["publish", str(config), "--run", "1"]).exit_code == 0
    assert_published(tmp_path, "delta", 1)


@pytest.mark.parametrize(("fmt", "package"), [("delta", "deltalake"), ("iceberg", "pyiceberg")])
def test_a_lake_target_without_the_lake_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, package: str
) -> None:
    config = write_config(tmp_path, (fmt,))
    monkeypatch.setitem(sys.modules, package, None)  # `import deltalake` now raises ImportError
    monkeypatch.setitem(sys.modules, f"{package}.catalog", None)
    with pytest.raises(segsql.PublishError) as caught:
        segsql.run(config)
    message = str(caught.value)
    assert f'format = "{fmt}" needs the {package} package' in message
    assert "install 'segsql[lake]'" in message and "run 1 was saved" in message


# --- killed while publishing ----------------------------------------------------------------------

# where a real process is killed: before the first table, between two tables (runs … centroids
# published, segments not), and inside a Parquet table's write (its file written aside)
BEFORE = ("runs", "k_sweep", "scaler", "centroids")
KILLS = [
    ("parquet", "publish"),
    ("parquet", "publish:segments"),
    ("parquet", "publish:segments:aside"),
    ("delta", "publish"),
    ("delta", "publish:segments"),
    ("iceberg", "publish"),
    ("iceberg", "publish:segments"),
]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and pipes")
@pytest.mark.parametrize(("fmt", "point"), KILLS, ids=[f"{f}-{p}" for f, p in KILLS])
def test_a_publish_killed_leaves_whole_tables_and_segsql_publish_completes_it(
    tmp_path: Path, fmt: str, point: str
) -> None:
    config = write_config(tmp_path, (fmt,))
    segsql.run(config)  # run 1, published
    proc = start_run(config, pause_at=point)  # run 2, killed while it publishes
    wait_for_pause(proc, point)
    os.killpg(proc.pid, signal.SIGKILL)
    kill(proc)
    assert segsql.list_runs(config)["run_id"].to_list() == [2, 1]  # the run was committed
    done = BEFORE if point.startswith("publish:segments") else ()
    for table in OUTPUT_TABLES:
        columns, _ = duck_rows(tmp_path, table, 2)
        published = lake_rows(tmp_path, fmt, table, 2, columns)
        # each lake table is readable, run 1 whole, run 2 either whole or not there
        assert lake_rows(tmp_path, fmt, table, 1, columns) == duck_rows(tmp_path, table, 1)[1], table
        assert published == (duck_rows(tmp_path, table, 2)[1] if table in done else []), table
    if point.endswith(":aside"):
        assert any((tmp_path / "lake" / "parquet" / publish_module.ASIDE).rglob("*.parquet"))
    finished = subprocess.run(
        [sys.executable, "-m", "segsql", "publish", str(config), "--run", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr
    for run_id in (1, 2):
        assert_published(tmp_path, fmt, run_id)
    assert not (tmp_path / "lake" / "parquet" / publish_module.ASIDE).exists()


# --- a job an orchestrator runs -------------------------------------------------------------------


def segment_customers(config: str | Path, as_of: str | date) -> int:
    """The README's scheduled job ("In a scheduled job"), as an Airflow or Dagster task calls it."""
    try:
        return segsql.run(config, as_of=as_of).run_id
    except segsql.PublishError as failed:  # the run is saved: publish it again
        return segsql.publish(config, run_id=failed.run_id).run_id


def test_a_scheduled_job_runs_twice_and_a_retry_completes_a_publish_that_failed_midway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "sales.csv").write_text(sales_csv(sales_rows()))
    config = project / "monthly.toml"
    text = report_off(RFM_CONFIG.format(source='path = "sales.csv"'))
    config.write_text(text + "\n" + TARGETS["delta"] + "\n" + TARGETS["parquet"])
    elsewhere = tmp_path / "scheduler"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a scheduler's working directory is not the project's

    assert segment_customers(config, "2024-04-01") == 1
    # the second month: publishing fails once between two tables of the Delta target
    write, failures = publish_module._Delta.write, []

    def fails_once(self: Any, db: Any, schema: str, table: str, run_id: int) -> Any:
        if table == "segments" and not failures:
            failures.append(run_id)
            raise OSError("connection to the object store reset")
        return write(self, db, schema, table, run_id)

    monkeypatch.setattr(publish_module._Delta, "write", fails_once)
    assert segment_customers(config, date(2024, 7, 1)) == 2
    assert failures == [2]
    assert not list(elsewhere.iterdir())  # nothing written in the working directory
    for fmt in ("delta", "parquet"):
        for run_id in (1, 2):
            assert_published(project, fmt, run_id)
    with duckdb.connect(str(project / "run.duckdb"), read_only=True) as con:
        as_of = con.execute("SELECT run_id, as_of::DATE FROM segsql.runs ORDER BY run_id").fetchall()
    assert as_of == [(1, date(2024, 4, 1)), (2, date(2024, 7, 1))]
