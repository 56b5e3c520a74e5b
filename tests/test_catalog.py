"""The minimal config runs: the output schema may be named like the database file.

segsql attaches the run database under a fixed catalog name of its own, so a
schema named like the file (`segsql` in `segsql.duckdb`, the defaults of a
config with no `[project]` section) is never ambiguous. The few names DuckDB
itself gives catalogs in every connection (`temp`, `system`) and segsql's own
catalog name are refused when the config is loaded; on a caller's connection a
schema named like one of its catalogs is refused before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import segsql

CSV = "id,a,b\n" + "".join(f"{i},{i % 7}.5,{(i * 3) % 11}\n" for i in range(1, 41))
BODY = (
    '[sources.people]\npath = "people.csv"\n\n'
    '[features]\nentity = "id"\nsql = "SELECT * FROM people"\n\n'
    "[model]\nk = 2\nk_range = [2, 3]\nn_init = 1\n\n[output]\nreport = false\n"
)


def _config(folder: Path, project: str = "") -> Path:
    (folder / "people.csv").write_text(CSV)
    path = folder / "c.toml"
    path.write_text(project + BODY)
    return path


def test_a_config_without_a_project_section_runs_and_is_queried(tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = segsql.run(config)
    assert result.schema == "segsql" and Path(result.database) == tmp_path / "segsql.duckdb"
    assert segsql.run(config).run_id == 2
    assert segsql.query(config, "SELECT count(*) AS n FROM segsql.runs").to_dicts() == [{"n": 2}]
    assert segsql.list_runs(config)["run_id"].to_list() == [2, 1]
    # opened elsewhere under another catalog name (see the README), the views bind
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{tmp_path / 'segsql.duckdb'}' AS rundb (READ_ONLY); USE rundb")
        assert con.execute("SELECT count(*) FROM segsql.segments_latest").fetchall() == [(40,)]


def test_the_default_database_opened_directly_has_views_that_bind(tmp_path: Path) -> None:
    # `duckdb segsql.duckdb` names the catalog `segsql`, like the schema: the views' bodies
    # must not say `segsql.runs`, which is ambiguous there
    segsql.run(_config(tmp_path))
    with duckdb.connect(str(tmp_path / "segsql.duckdb"), read_only=True) as con:
        latest = con.execute("SELECT run_id FROM segsql.segsql.runs_latest").fetchall()
        assert latest == [(1,)]
        con.execute("USE segsql.segsql")
        assert con.execute("SELECT count(*) FROM segments_latest").fetchall() == [(40,)]


@pytest.mark.parametrize(
    ("database", "schema"),
    [("crm.duckdb", "crm"), ("crm.duckdb", "CRM"), (":memory:", "memory")],
)
def test_a_schema_named_like_a_database_runs(tmp_path: Path, database: str, schema: str) -> None:
    config = _config(tmp_path, f'[project]\nname = "c"\ndatabase = "{database}"\nschema = "{schema}"\n\n')
    assert segsql.run(config).segments.height == 40
    if database != ":memory:":
        segsql.run(config)
        frame = segsql.query(config, f'SELECT count(*) AS n FROM "{schema}".runs')
        assert frame.to_dicts() == [{"n": 2}]


@pytest.mark.parametrize("schema", ["temp", "System", "segsql_database"])
def test_a_schema_named_like_a_catalog_of_every_connection_is_refused_at_load(
    tmp_path: Path, schema: str
) -> None:
    config = _config(tmp_path, f'[project]\nschema = "{schema}"\n\n')
    with pytest.raises(segsql.ConfigError, match=r"\[project\] schema"):
        segsql.load_config(config)


def test_on_a_callers_connection_a_schema_named_like_its_catalog_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path, '[project]\nschema = "lake"\n\n')
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as con:
        with pytest.raises(segsql.DatabaseError, match=r"\[project\] schema 'lake'"):
            segsql.run(config, con=con)
        assert (
            con.execute("SELECT schema_name FROM duckdb_schemas() WHERE schema_name = 'lake'").fetchall()
            == []
        )
