"""Inputs are read-only: `segsql run` and `segsql validate` never change a source file or source table.

Sources are CSV, Parquet and JSON files (read through temporary views) and
tables and views already in the run database (``table = …``). Before and after
each command, the files' bytes, modification times and modes, the data
folder's listing, and the source tables' definitions and rows must be equal.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from segsql.cli import app

CSV = "id,a,b\n" + "".join(f"{i},{i % 7}.5,{(i * 3) % 11}\n" for i in range(1, 61))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A data folder with one source of each kind, and a config joining them; returns the config."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text(CSV)
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM read_csv('{data / 'a.csv'}')) TO '{data / 'b.parquet'}'")
        con.execute(f"COPY (SELECT * FROM read_csv('{data / 'a.csv'}')) TO '{data / 'c.json'}'")
    database = tmp_path / "db" / "run.duckdb"
    database.parent.mkdir()
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA crm")
        con.execute(f"CREATE TABLE crm.people AS SELECT * FROM read_csv('{data / 'a.csv'}')")
        con.execute("CREATE VIEW crm.people_view AS SELECT id, a * 2 AS a2 FROM crm.people")
    config = tmp_path / "ro.toml"
    config.write_text(
        f'[project]\nname = "ro"\ndatabase = "{database}"\n\n'
        '[sources.a]\npath = "data/a.csv"\n\n'
        '[sources.b]\npath = "data/b.parquet"\n\n'
        '[sources.c]\npath = "data/c.json"\n\n'
        '[sources.t]\ntable = "crm.people"\n\n'
        '[sources.v]\ntable = "crm.people_view"\n\n'
        "[features]\n"
        'entity = "id"\n'
        'sql = "SELECT a.id, a.a, b.b, c.a AS ca, t.b AS tb, v.a2 FROM a JOIN b USING (id) '
        'JOIN c USING (id) JOIN t USING (id) JOIN v USING (id)"\n\n'
        "[model]\nk = 3\nk_range = [2, 3]\nn_init = 2\n"
    )
    return config


def _files(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode)
        for p in sorted(folder.rglob("*"))
    }


def _source_tables(database: Path) -> dict[str, object]:
    with duckdb.connect(str(database), read_only=True) as con:
        definitions = con.execute(
            "SELECT table_name, sql FROM duckdb_tables() WHERE schema_name = 'crm' "
            "UNION ALL SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'crm' ORDER BY 1"
        ).fetchall()
        rows = {
            name: con.execute(f"SELECT * FROM crm.{name} ORDER BY ALL").fetchall()
            for name in ("people", "people_view")
        }
    return {"definitions": definitions, "rows": rows}


@pytest.mark.parametrize("commands", [["validate"], ["run"], ["run", "run", "validate"]])
def test_run_and_validate_leave_every_source_file_and_table_as_it_was(project: Path, commands) -> None:
    data = project.parent / "data"
    database = project.parent / "db" / "run.duckdb"
    os.utime(data / "a.csv", ns=(1_000_000_000, 1_000_000_000))  # an mtime any rewrite would change
    files, tables = _files(data), _source_tables(database)
    for command in commands:
        result = CliRunner().invoke(app, [command, str(project)])
        assert result.exit_code == 0, result.stderr
    assert _files(data) == files  # bytes, mtimes, modes; and no new file beside the data
    assert _source_tables(database) == tables
    if "run" in commands:
        with duckdb.connect(str(database), read_only=True) as con:
            n = con.execute("SELECT count(*) FROM segsql.segments_latest").fetchall()
            assert n == [(60,)]


def test_validate_creates_no_database_when_there_is_none(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(CSV)
    config = tmp_path / "v.toml"
    config.write_text(
        '[project]\nname = "v"\n\n[sources.a]\npath = "a.csv"\n\n'
        '[features]\nentity = "id"\nsql = "SELECT * FROM a"\n'
    )
    result = CliRunner().invoke(app, ["validate", str(config)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "v.toml"]


def test_a_feature_query_cannot_write_to_a_source_table(project: Path) -> None:
    database = project.parent / "db" / "run.duckdb"
    tables = _source_tables(database)
    text = project.read_text()
    start = text.index("sql = ")
    end = text.index("\n", start)
    project.write_text(text[:start] + 'sql = "DELETE FROM crm.people RETURNING *"' + text[end:])
    result = CliRunner().invoke(app, ["run", str(project)])
    assert result.exit_code == 1
    assert "exactly one SELECT" in result.stderr
    assert _source_tables(database) == tables
