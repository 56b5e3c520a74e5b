"""`segsql query` and the feature query are read-only in fact, by DuckDB's own sandbox.

A query (``segsql query``, ``segsql.query``) is one statement on the run
database opened read-only, with DuckDB's external access off and its settings
locked: it cannot write a file (``COPY … TO``, ``EXPORT DATABASE``), attach a
database (another one, or the run database again through a hard link),
install or load an extension, or change a setting. On a caller's connection
it runs in a read-only transaction. The feature query and the source views
are evaluated in a read-only transaction: they read files, but cannot write
to any database (a sequence's ``nextval``).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

import segsql

CSV = "id,a,b\n" + "".join(f"{i},{i % 7}.5,{(i * 3) % 11}\n" for i in range(1, 41))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A config over one CSV, run once; the database also holds a canary table and a sequence."""
    (tmp_path / "people.csv").write_text(CSV)
    config = tmp_path / "p.toml"
    config.write_text(
        '[project]\nname = "p"\ndatabase = "run.duckdb"\n\n'
        '[sources.people]\npath = "people.csv"\n\n'
        '[features]\nentity = "id"\nsql = "SELECT * FROM people"\n\n'
        "[model]\nk = 2\nk_range = [2, 3]\nn_init = 1\n\n[output]\nreport = false\n"
    )
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("CREATE TABLE main.canary AS SELECT 42 AS alive")
        con.execute("CREATE SEQUENCE main.counter")
    segsql.run(config)
    return config


def _state(database: Path) -> tuple[object, ...]:
    with duckdb.connect(str(database), read_only=True) as con:
        return (
            con.execute("SELECT alive FROM main.canary").fetchall(),
            con.execute("SELECT run_id, status FROM segsql.runs ORDER BY 1").fetchall(),
            con.execute("SELECT count(*) FROM segsql.segments").fetchall(),
            # the sequence's next value, read without advancing it
            con.execute("SELECT start_value, last_value FROM duckdb_sequences()").fetchall(),
        )


def _refused(config: Path, text: str, **kwargs) -> segsql.QueryError:
    with pytest.raises(segsql.QueryError) as caught:
        segsql.query(config, text, **kwargs)
    return caught.value


@pytest.mark.parametrize("target", ["people.csv", "p.toml", "new.csv"])
def test_a_query_cannot_copy_into_any_file(project: Path, target: str) -> None:
    path = project.parent / target
    before = path.read_bytes() if path.exists() else None
    error = _refused(project, f"COPY (SELECT 1 AS x) TO '{path}' (FORMAT csv)")
    assert "read-only" in str(error)
    assert (path.read_bytes() if path.exists() else None) == before


def test_a_query_cannot_attach_another_database(project: Path) -> None:
    other = project.parent / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    _refused(project, f"ATTACH '{other}' AS other")
    _refused(project, f"ATTACH '{other}' AS other; DROP TABLE other.t")
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_a_query_cannot_attach_the_run_database_again_through_a_hard_link(project: Path) -> None:
    database = project.parent / "run.duckdb"
    before = _state(database)
    link = project.parent / "link.duckdb"
    os.link(database, link)
    _refused(project, f"ATTACH '{link}' AS l")
    _refused(project, f"ATTACH '{link}' AS l; DROP TABLE l.segsql.runs; DROP TABLE l.main.canary")
    assert _state(database) == before


def test_a_query_cannot_export_the_database(project: Path) -> None:
    folder = project.parent / "export"
    _refused(project, f"EXPORT DATABASE '{folder}'")
    assert not folder.exists()


def test_a_query_cannot_install_or_load_an_extension(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # where DuckDB would install extensions
    fake = tmp_path / "fake.duckdb_extension"
    fake.write_bytes(b"\0" * 1024)
    assert "read-only" in str(_refused(project, f"INSTALL '{fake}'"))
    assert "read-only" in str(_refused(project, f"LOAD '{fake}'"))
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    "statement", ["SET enable_external_access = true", "RESET enable_external_access", "SET threads = 1"]
)
def test_a_query_cannot_change_a_setting(project: Path, statement: str) -> None:
    assert "locked" in _refused(project, statement).reason


@pytest.mark.parametrize(
    "text", ["SELECT 1; SELECT 2", "SELECT 1 AS x; DROP TABLE segsql.runs", "", "-- only a comment"]
)
def test_a_query_is_exactly_one_statement(project: Path, text: str) -> None:
    before = _state(project.parent / "run.duckdb")
    assert "one SQL statement" in _refused(project, text).reason
    assert _state(project.parent / "run.duckdb") == before
    # one statement, with a trailing semicolon and a comment, reads the run database
    frame = segsql.query(project, "SELECT count(*) AS n FROM segsql.segments_latest; -- all")
    assert frame.to_dicts() == [{"n": 40}]


def test_a_query_on_a_callers_connection_writes_nothing(project: Path) -> None:
    database = project.parent / "run.duckdb"
    before = _state(database)
    with duckdb.connect(str(database)) as con:
        _refused(project, "INSERT INTO main.canary VALUES (0)", con=con)
        _refused(project, "DROP TABLE segsql.runs", con=con)
        _refused(project, "SELECT nextval('main.counter') AS n", con=con)
        _refused(project, f"COPY (SELECT 1) TO '{project.parent / 'x.csv'}'", con=con)
        assert segsql.query(project, "SELECT alive FROM main.canary", con=con).to_dicts() == [{"alive": 42}]
        # the caller's connection is as it was: outside any transaction, writable by its owner
        con.execute("INSERT INTO main.canary VALUES (7)")
        con.execute("DELETE FROM main.canary WHERE alive = 7")
    assert _state(database) == before
    assert not (project.parent / "x.csv").exists()


def _feature_sql(config: Path, text: str) -> None:
    body = config.read_text()
    start = body.index("sql = ")
    end = body.index("\n", start)
    config.write_text(body[:start] + f'sql = "{text}"' + body[end:])


def test_the_feature_query_cannot_advance_a_sequence(project: Path) -> None:
    database = project.parent / "run.duckdb"
    before = _state(database)
    _feature_sql(project, "SELECT id, a, b FROM people WHERE nextval('main.counter') > 0")
    with pytest.raises(segsql.QueryError) as caught:
        segsql.run(project)
    assert "[features] sql" in str(caught.value) and "read-only" in str(caught.value)
    assert _state(database) == before
    # reading is untouched: a file, a table of the run database, the source views
    extra = project.parent / "extra.csv"
    extra.write_text("id,c\n" + "".join(f"{i},{i * 2}\n" for i in range(1, 41)))
    _feature_sql(
        project,
        f"SELECT p.id, p.a, e.c FROM people p JOIN read_csv('{extra}') e USING (id) "
        "WHERE p.id IN (SELECT id FROM segsql.segments)",
    )
    assert segsql.run(project).segments.height == 40


def test_a_source_view_cannot_advance_a_sequence(project: Path) -> None:
    database = project.parent / "run.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(
            "CREATE VIEW main.counted AS SELECT * "
            f"FROM read_csv('{project.parent / 'people.csv'}') WHERE nextval('main.counter') > 0"
        )
    before = _state(database)
    body = project.read_text().replace('path = "people.csv"', 'table = "main.counted"')
    project.write_text(body.replace('sql = "SELECT * FROM people"', 'sql = "SELECT id, a, b FROM people"'))
    with pytest.raises(segsql.SegsqlError, match="read-only"):
        segsql.run(project)
    assert _state(database) == before
