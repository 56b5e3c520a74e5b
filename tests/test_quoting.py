"""The quoting helpers of segsql.sql: identifiers, qualified names, literals, template expansion.

Each helper's output is checked against DuckDB itself: a quoted name must
parse as exactly one identifier holding the original text, and a quoted
literal as exactly one string holding it.
"""

from __future__ import annotations

import duckdb
import pytest

from segsql import sql

NAMES = [
    "plain",
    "Annual Income (k$)",
    'a"b',
    '"',
    '""',
    "it's",
    'x"; DROP TABLE t; --',
    "-- comment",
    "/* c */",
    "new\nline",
    "back\\slash",
    "$1",
    "select",
    "ORDER",
    "Ünïcödé 客户 🙂",
    " ",
    "x" * 1000,
]


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as c:
        yield c


def test_an_identifier_is_always_double_quoted_with_inner_quotes_doubled():
    assert sql.quote_ident("a") == '"a"'
    assert sql.quote_ident('a"b') == '"a""b"'
    assert sql.quote_ident('"') == '""""'
    assert sql.quote_ident("it's") == '"it\'s"'


@pytest.mark.parametrize("bad", ["", "a\x00b"])
def test_an_empty_identifier_or_one_with_a_nul_is_refused(bad):
    with pytest.raises(ValueError):
        sql.quote_ident(bad)


@pytest.mark.parametrize("name", NAMES, ids=[repr(n)[:30] for n in NAMES])
def test_a_quoted_identifier_is_one_column_of_exactly_that_name_in_duckdb(con, name):
    statements = con.extract_statements(f"SELECT 1 AS {sql.quote_ident(name)}")
    assert len(statements) == 1
    assert con.execute(statements[0].query).description[0][0] == name


@pytest.mark.parametrize("name", NAMES, ids=[repr(n)[:30] for n in NAMES])
def test_a_quoted_literal_is_one_string_of_exactly_that_text_in_duckdb(con, name):
    statements = con.extract_statements(f"SELECT {sql.quote_literal(name)} AS v")
    assert len(statements) == 1
    assert con.execute(statements[0].query).fetchall() == [(name,)]


def test_a_literal_with_a_nul_is_refused():
    with pytest.raises(ValueError):
        sql.quote_literal("a\x00b")


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("customers", ("customers",)),
        ("main.customers", ("main", "customers")),
        ("db.main.customers", ("db", "main", "customers")),
        ('"odd.name"', ("odd.name",)),
        ('main."a ""quoted"" name"', ("main", 'a "quoted" name')),
        ('"x; DROP TABLE t; --".t', ("x; DROP TABLE t; --", "t")),
    ],
)
def test_a_table_name_splits_into_its_parts(name, parts):
    assert sql.split_name(name) == parts


@pytest.mark.parametrize("bad", ["", ".", "a.", ".a", "a..b", '"unclosed', 'a"b', "a; DROP TABLE t"])
def test_what_is_not_a_table_name_is_refused(bad):
    if bad == "a; DROP TABLE t":
        # a part without quotes may hold anything but dots and quotes: it is then quoted whole
        assert sql.quote_name(bad) == '"a; DROP TABLE t"'
        return
    with pytest.raises(ValueError):
        sql.split_name(bad)


def test_a_qualified_name_is_quoted_part_by_part(con):
    con.execute('CREATE SCHEMA IF NOT EXISTS "s.x"')
    con.execute('CREATE OR REPLACE TABLE "s.x"."t ""1""" AS SELECT 7 AS v')
    quoted = sql.quote_name('"s.x"."t ""1"""')
    assert quoted == '"s.x"."t ""1"""'
    assert con.execute(f"SELECT v FROM {quoted}").fetchall() == [(7,)]


def test_render_quotes_names_and_tuples_and_literals():
    text = "SELECT {{ columns: f(@col) AS x_@i }} FROM {{ t }} "
    text += "WHERE p = {{ literal: path }} AND {{ all: @col > 0 }}"
    got = sql.render(text, columns=['a"', "b"], t=("s", "t"), path="it's")
    assert got == (
        'SELECT f("a""") AS x_0,\n       f("b") AS x_1 FROM "s"."t" '
        'WHERE p = \'it\'\'s\' AND "a""" > 0 AND "b" > 0'
    )


def test_render_does_not_touch_markers_inside_a_column_name():
    # a name holding "@i", "@col" or a template marker is written out whole, once
    got = sql.render("{{ columns: @col AS c_@i }}", columns=["a@ib", "@col", "{{ x }}"])
    assert got == '"a@ib" AS c_0,\n       "@col" AS c_1,\n       "{{ x }}" AS c_2'


def test_render_needs_every_name_it_uses():
    with pytest.raises(KeyError):
        sql.render("SELECT * FROM {{ missing }}")


def test_a_comment_in_a_query_file_cannot_be_ended_by_a_name_holding_a_newline(monkeypatch, con):
    # query files are stripped of `--` comments before expansion
    monkeypatch.setattr(sql, "load", lambda name: "-- reads {{ t }}\nSELECT 1 AS one")
    text, _ = sql._prepare("x", None, (), {"t": "x\nDROP TABLE canary"})
    assert text == "SELECT 1 AS one"


def test_only_the_parameters_a_query_uses_are_bound(monkeypatch, con):
    # "$b" inside a quoted name or a string is not a parameter; DuckDB refuses excess parameters
    monkeypatch.setattr(sql, "load", lambda name: "SELECT $a AS a, '$c' AS c, {{ b }} FROM p")
    text, bound = sql._prepare("x", {"a": 1, "b": 2, "c": 3}, (), {"b": "$b"})
    assert text == """SELECT $a AS a, '$c' AS c, "$b" FROM p"""
    assert bound == {"a": 1}
    con.execute('CREATE OR REPLACE TABLE p AS SELECT 5 AS "$b"')
    assert con.execute(text, bound).fetchall() == [(1, "$c", 5)]
