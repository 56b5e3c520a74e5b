"""Sources become temp views named after their key, from files of any kind or tables."""

from __future__ import annotations

import duckdb
import pytest

from segsql import SourceError, config_from_dict
from segsql.sources import register_sources


def config_for(tmp_path, sources):
    return config_from_dict(
        {"sources": sources, "features": {"entity": "id", "sql": "SELECT 1 AS id"}}, base_dir=tmp_path
    )


def test_csv_parquet_json_and_globs_become_views(tmp_path):
    con = duckdb.connect()
    con.execute(f"COPY (SELECT range AS id FROM range(3)) TO '{tmp_path / 'a.parquet'}'")
    con.execute(f"COPY (SELECT range AS id FROM range(3, 5)) TO '{tmp_path / 'b.parquet'}'")
    (tmp_path / "c.csv").write_text("id,x\n1,2\n")
    (tmp_path / "d.json").write_text('[{"id": 1, "x": 2.5}]')
    config = config_for(
        tmp_path,
        {"pq": {"path": "*.parquet"}, "csv": {"path": "c.csv"}, "js": {"path": "d.json"}},
    )
    register_sources(con, config)
    assert con.execute("SELECT count(*) FROM pq").fetchall() == [(5,)]
    assert con.execute("SELECT * FROM csv").fetchall() == [(1, 2)]
    assert con.execute("SELECT * FROM js").fetchall() == [(1, 2.5)]


def test_source_views_are_temporary_and_leave_the_database_alone(tmp_path):
    (tmp_path / "c.csv").write_text("id,x\n1,2\n")
    db = tmp_path / "x.duckdb"
    with duckdb.connect(str(db)) as con:
        register_sources(con, config_for(tmp_path, {"c": {"path": "c.csv"}}))
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall() == [(0,)]


def test_zero_padded_text_ids_stay_text(shared_data, tmp_path):
    con = duckdb.connect()
    register_sources(con, config_for(tmp_path, {"cd": {"path": str(shared_data / "CDNOW_master.csv")}}))
    assert con.execute("SELECT any_value(typeof(customer_id)), min(customer_id) FROM cd").fetchall() == [
        ("VARCHAR", "00001")
    ]


def test_an_existing_table_can_be_a_source(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA lake; CREATE TABLE lake.people AS SELECT 7 AS id")
    register_sources(con, config_for(tmp_path, {"people": {"table": "lake.people"}}))
    assert con.execute("SELECT * FROM people").fetchall() == [(7,)]


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(SourceError, match=r"nope\.csv: file not found \(\[sources\.x\] path = 'nope.csv'\)"):
        register_sources(duckdb.connect(), config_for(tmp_path, {"x": {"path": "nope.csv"}}))


def test_a_missing_table_is_named(tmp_path):
    with pytest.raises(SourceError, match=r"\[sources\.x\] table main\.nope"):
        register_sources(duckdb.connect(), config_for(tmp_path, {"x": {"table": "main.nope"}}))


def test_an_empty_source_is_an_error(tmp_path):
    (tmp_path / "empty.csv").write_text("id,x\n")
    with pytest.raises(SourceError, match=r"empty\.csv: the source \[sources\.e\] has no rows"):
        register_sources(duckdb.connect(), config_for(tmp_path, {"e": {"path": "empty.csv"}}))


@pytest.mark.parametrize("table", ["train", "main.train", "memory.main.train"])
def test_a_source_may_be_named_after_the_table_it_reads(tmp_path, table):
    con = duckdb.connect()
    con.execute("CREATE TABLE main.train AS SELECT 1 AS id")
    register_sources(con, config_for(tmp_path, {"train": {"table": table}}))
    assert con.execute("SELECT * FROM train").fetchall() == [(1,)]


def test_a_table_in_an_attached_database_can_be_a_source(tmp_path):
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'lake.duckdb'}' AS lake")
    con.execute("CREATE TABLE lake.people AS SELECT 3 AS id")
    register_sources(con, config_for(tmp_path, {"people": {"table": "lake.people"}}))
    assert con.execute("SELECT * FROM people").fetchall() == [(3,)]
