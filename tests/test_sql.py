"""segsql.sql: the one place that quotes, expands column lists and runs query files."""

from __future__ import annotations

import duckdb
import pytest

from segsql import QueryError, sql


@pytest.mark.parametrize(
    "name",
    ["plain", "Annual Income (k$)", 'say "hi"', "it's", "a;b", "select", "x -- y", "line\nbreak", "ünï 名前"],
)
def test_any_identifier_round_trips_through_duckdb(name):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({sql.quote_ident(name)} INTEGER)")
    assert con.execute("SELECT column_name FROM (DESCRIBE t)").fetchall() == [(name,)]


def test_an_empty_identifier_is_refused():
    with pytest.raises(ValueError):
        sql.quote_ident("")


def test_literals_double_their_quotes():
    con = duckdb.connect()
    value = "it's a 'path'.csv"
    assert con.execute(f"SELECT {sql.quote_literal(value)}").fetchall() == [(value,)]


def test_qualified_names_split_on_dots_outside_quotes():
    assert sql.split_name("main.customers") == ("main", "customers")
    assert sql.split_name('lake."odd.name"') == ("lake", "odd.name")
    with pytest.raises(ValueError):
        sql.split_name("a..b")


def test_render_expands_columns_and_names():
    text = "SELECT {{ columns: sum(@col) AS s_@i }} FROM {{ t }} WHERE {{ all: @col > 0 }}"
    assert sql.render(text, columns=["a", 'b"c'], t=("s", "t")) == (
        'SELECT sum("a") AS s_0,\n       sum("b""c") AS s_1 FROM "s"."t" WHERE "a" > 0 AND "b""c" > 0'
    )


def test_a_missing_template_name_is_a_programming_error():
    with pytest.raises(KeyError):
        sql.render("SELECT * FROM {{ table }}")


def test_execute_binds_only_the_parameters_a_query_uses():
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE segsql_features AS SELECT 1 AS segsql_entity, 2.0 AS x")
    row = sql.execute(con, "features/checks", {"unused": 1}, columns=["x"]).fetchall()[0]
    assert row[:3] == (1, 0, 0)


def test_a_failing_query_names_its_file():
    con = duckdb.connect()
    with pytest.raises(QueryError, match=r"^queries/features/checks.sql: .*segsql_features"):
        sql.execute(con, "features/checks", columns=["x"])


def test_a_newline_in_a_name_cannot_escape_a_query_files_comments():
    # the header comments of query files mention {{ ... }} markers; they are
    # removed before expansion, so a name with a newline stays inside its quotes
    con = duckdb.connect()
    con.execute("CREATE TABLE canary AS SELECT 1 AS x")
    hostile = "x\nDROP TABLE canary; --"
    con.execute(f"CREATE TABLE {sql.quote_ident(hostile)} AS SELECT 1 AS a")
    sql.execute(con, "sources/table", name="v", table=(hostile,))
    assert con.execute("SELECT * FROM canary").fetchall() == [(1,)]
    assert con.execute("SELECT * FROM v").fetchall() == [(1,)]


def test_the_feature_query_must_be_one_select():
    con = duckdb.connect()
    con.execute("CREATE TABLE canary AS SELECT 1 AS x")
    with pytest.raises(QueryError, match="exactly one SELECT"):
        sql.create_user_features(con, "SELECT 1 AS id; DROP TABLE canary", origin="[features] sql")
    with pytest.raises(QueryError, match="exactly one SELECT"):
        sql.create_user_features(con, "DROP TABLE canary", origin="[features] sql")
    assert con.execute("SELECT * FROM canary").fetchall() == [(1,)]


def test_every_query_file_opens_with_a_header_comment():
    from pathlib import Path

    root = Path(sql.__file__).resolve().parent.parent / "queries"
    files = sorted(root.rglob("*.sql"))
    assert files
    for path in files:
        first = path.read_text().splitlines()[0]
        assert first.startswith("-- "), path
