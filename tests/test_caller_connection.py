"""A caller's connection (``con=``) stays the caller's.

segsql refuses a connection that is closed or inside the caller's open
transaction before it runs anything, with a ``DatabaseError``, and leaves that
transaction usable. It never replaces a caller's temporary object (a source
view named like the caller's own temp view is refused, by name), and it removes
every temporary view, table and macro it created, whether the call succeeds or
fails.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

import segsql

CSV = "id,a,b\n" + "".join(f"{i},{i % 7}.5,{(i * 3) % 11}\n" for i in range(1, 41))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "cards.csv").write_text(CSV)
    path = tmp_path / "c.toml"
    path.write_text(
        '[project]\nname = "c"\ndatabase = "run.duckdb"\n\n'
        '[sources.cards]\npath = "cards.csv"\n\n'
        '[features]\nentity = "id"\nsql = "SELECT * FROM cards"\n\n'
        "[model]\nk = 2\nk_range = [2, 3]\nn_init = 1\n\n"
        f'[output]\nreport = false\ndir = "{tmp_path / "out"}"\n'
    )
    return path


def _temp_objects(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return set(
        con.execute(
            "SELECT 'view', view_name FROM duckdb_views() WHERE temporary AND NOT internal "
            "UNION ALL SELECT 'table', table_name FROM duckdb_tables() WHERE temporary "
            "UNION ALL SELECT function_type, function_name FROM duckdb_functions() "
            "WHERE database_name = 'temp' "
            "UNION ALL SELECT 'sequence', sequence_name FROM duckdb_sequences() WHERE temporary"
        ).fetchall()
    )


VERBS: dict[str, Callable[[Path, duckdb.DuckDBPyConnection], Any]] = {
    "run": lambda c, con: segsql.run(c, con=con),
    "validate": lambda c, con: segsql.validate(c, con=con),
    "score": lambda c, con: segsql.score(c, input=c.parent / "cards.csv", con=con),
    "query": lambda c, con: segsql.query(c, "SELECT count(*) FROM segsql.runs", con=con),
    "list_runs": lambda c, con: segsql.list_runs(c, con=con),
    "write_report": lambda c, con: segsql.write_report(c, con=con),
    "export_sql": lambda c, con: segsql.export_sql(c, con=con),
}


@pytest.mark.parametrize("verb", VERBS)
def test_a_call_inside_the_callers_open_transaction_is_refused_and_the_transaction_survives(
    config: Path, verb: str
) -> None:
    with duckdb.connect(str(config.parent / "run.duckdb")) as con:
        segsql.run(config, con=con)
        con.execute("CREATE TABLE mine (x INTEGER)")
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO mine VALUES (1)")
        with pytest.raises(segsql.DatabaseError, match="open transaction"):
            VERBS[verb](config, con)
        # the caller's work goes on and commits
        con.execute("INSERT INTO mine VALUES (2)")
        con.execute("COMMIT")
        assert con.execute("SELECT x FROM mine ORDER BY x").fetchall() == [(1,), (2,)]
        assert con.execute("SELECT count(*) FROM segsql.runs").fetchall() == [(1,)]


def test_a_run_in_a_callers_transaction_writes_nothing(config: Path) -> None:
    with duckdb.connect(str(config.parent / "run.duckdb")) as con:
        con.execute("BEGIN TRANSACTION")
        with pytest.raises(segsql.DatabaseError, match="open transaction"):
            segsql.run(config, con=con)
        con.execute("ROLLBACK")
        schemas = con.execute("SELECT schema_name FROM duckdb_schemas() WHERE NOT internal").fetchall()
        assert ("segsql",) not in schemas
        assert _temp_objects(con) == set()


def test_a_source_named_like_a_callers_temp_view_is_refused_and_the_view_kept(config: Path) -> None:
    with duckdb.connect() as con:
        con.execute("CREATE TEMP VIEW cards AS SELECT 'mine' AS owner")
        with pytest.raises(segsql.SegsqlError, match=r"temporary view 'cards'.*\[sources\.cards\]"):
            segsql.run(config, con=con)
        with pytest.raises(segsql.SegsqlError, match="'cards'"):
            segsql.validate(config, con=con)
        assert con.execute("SELECT owner FROM cards").fetchall() == [("mine",)]
        assert _temp_objects(con) == {("view", "cards")}


@pytest.mark.parametrize(
    "create", ["CREATE TEMP TABLE CARDS AS SELECT 1 AS x", "CREATE TEMP MACRO segsql_transform(x) AS x"]
)
def test_any_callers_temp_object_segsql_would_replace_is_refused(config: Path, create: str) -> None:
    with duckdb.connect() as con:
        con.execute(create)
        before = _temp_objects(con)
        with pytest.raises(segsql.DatabaseError):
            segsql.run(config, con=con)
        assert _temp_objects(con) == before


def test_a_run_leaves_no_temporary_object_in_the_callers_connection(config: Path) -> None:
    with duckdb.connect() as con:
        con.execute("CREATE TEMP VIEW mine AS SELECT 1 AS x")
        before = _temp_objects(con)
        result = segsql.run(config, con=con)
        assert result.segments.height == 40
        assert _temp_objects(con) == before
        segsql.validate(config, con=con)
        segsql.score(config, input=config.parent / "cards.csv", con=con)
        assert _temp_objects(con) == before
        # a second run on the same connection is not refused by what the first one left
        assert segsql.run(config, con=con).run_id == 2


def test_a_failed_run_leaves_no_temporary_object_either(config: Path) -> None:
    config.write_text(config.read_text().replace("SELECT * FROM cards", "SELECT id, nope FROM cards"))
    with duckdb.connect() as con:
        with pytest.raises(segsql.QueryError):
            segsql.run(config, con=con)
        assert _temp_objects(con) == set()
        # and the connection is usable, outside any transaction
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


@pytest.mark.parametrize("verb", ["run", "validate", "query", "list_runs"])
def test_a_closed_connection_is_named_as_closed(config: Path, verb: str) -> None:
    con = duckdb.connect()
    con.close()
    with pytest.raises(segsql.DatabaseError) as caught:
        VERBS[verb](config, con)
    assert "closed" in str(caught.value) and "con=" in str(caught.value)
    assert "cards.csv" not in str(caught.value)
