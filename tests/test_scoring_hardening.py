"""Scoring against a hostile or careless user (issue 10): segsql's own tables, output names,
header-only files, and the exported query on a stock PostgreSQL server."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

import segsql
from segsql import ConfigError, DataError, SegsqlError
from segsql.scoring import OUTPUT_COLUMNS, RESERVED_ENTITY_NAMES
from segsql.scoring.export import export_sql
from segsql.scoring.replay import named_table, replay_query

from .postgres import load_frame, postgres_server
from .scoring_data import DATASETS, Dataset, wide_blobs
from .test_replay import hand_model


@cache
def _customers() -> Dataset:
    return DATASETS["customers"]()


@pytest.fixture(scope="module")
def customers(tmp_path_factory) -> Path:  # noqa: ANN001
    """The customers dataset run once; its rows as a Parquet file beside the config."""
    folder = tmp_path_factory.mktemp("customers")
    config = _customers().config(folder, "standard")
    segsql.run(config)
    _customers().train.to_parquet(folder / "rows.parquet", index=False)
    return config


def _schema_objects(config: Path) -> list[tuple[str, str, int]]:
    """Every table and view in the database with its column count, and the runs rows."""
    with duckdb.connect(str(config.parent / "run.duckdb"), read_only=True) as con:
        objects = con.execute(
            "SELECT table_schema, table_name, count(*) FROM information_schema.columns "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        runs = con.execute("SELECT count(*) FROM segsql.runs").fetchone()
    return [*objects, ("runs rows", "", runs[0] if runs else -1)]


# --- class 1: nothing overwrites segsql's own tables ---------------------------------------

OWN_SCHEMA_TARGETS = [
    "segsql.runs",  # the run history
    "segsql.segments_latest",  # a view
    "segsql.scored",  # a new name in the output schema
    "SEGSQL.Runs",  # DuckDB ignores case
    '"SegSql"."runs"',  # quoted, odd case
    '"segsql"."new ""odd"" name"',  # quoted, with quotes and a space
    "segsql_database.segsql.runs",  # with the run database's catalog
]


@pytest.mark.parametrize("target", OWN_SCHEMA_TARGETS)
def test_a_score_into_the_output_schema_is_refused_before_anything_is_written(customers, target):
    before = _schema_objects(customers)
    with pytest.raises(SegsqlError, match="schema where segsql keeps its runs") as caught:
        segsql.score(customers, input=customers.parent / "rows.parquet", into=target)
    assert str(caught.value).startswith(f"--into {target}: ")
    assert "\n" not in str(caught.value)
    assert _schema_objects(customers) == before


def test_with_main_as_the_output_schema_an_unqualified_into_is_refused(tmp_path):
    config = _customers().config(tmp_path, "standard")
    config.write_text(config.read_text().replace("[project]\n", '[project]\nschema = "main"\n'))
    segsql.run(config)
    _customers().train.to_parquet(tmp_path / "rows.parquet", index=False)
    for target in ("runs", "scored", "main.runs", "segsql_database.scored"):
        with pytest.raises(SegsqlError, match="schema where segsql keeps its runs"):
            segsql.score(config, input=tmp_path / "rows.parquet", into=target)
    # any other schema is still fine, qualified or through the search path
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("CREATE SCHEMA scores")
    summary = segsql.score(config, input=tmp_path / "rows.parquet", into="scores.new_rows")
    assert summary.rows == len(_customers().train)  # type: ignore[union-attr]


# --- class 4: output names never collide with input names ------------------------------------


@pytest.mark.parametrize("name", [*RESERVED_ENTITY_NAMES, "Is_Outlier", "SEGMENT"])
def test_an_entity_named_like_an_output_column_is_refused_at_load(tmp_path, name):
    data = _customers()
    renamed = dataclasses.replace(data, entity=name, train=data.train.rename(columns={data.entity: name}))
    config = renamed.config(tmp_path, "standard")
    with pytest.raises(ConfigError, match=r"\[features\] entity") as caught:
        segsql.validate(config)
    assert repr(name) in str(caught.value)
    with pytest.raises(ConfigError):
        segsql.run(config)
    assert not (tmp_path / "run.duckdb").exists()


@pytest.mark.parametrize("name", [*OUTPUT_COLUMNS, "Segment_Name"])
def test_a_saved_run_whose_entity_is_named_like_an_output_column_cannot_be_scored(name):
    # a run saved before the config refused such names: every scoring path builds this query
    with pytest.raises(DataError, match=f"entity column '{name}' has the name of a scoring output"):
        replay_query(hand_model(entity=name), named_table(("new_rows",)))


def test_score_and_export_refuse_a_saved_run_with_such_an_entity(customers, tmp_path):
    copy = tmp_path / "run.duckdb"
    copy.write_bytes((customers.parent / "run.duckdb").read_bytes())
    config = tmp_path / "customers.toml"
    config.write_text(customers.read_text())
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE segsql.runs SET entity = 'is_outlier'")
    rows = pd.read_parquet(customers.parent / "rows.parquet").rename(columns={"CustomerID": "is_outlier"})
    rows.to_parquet(tmp_path / "rows.parquet", index=False)
    with pytest.raises(DataError, match="'is_outlier' has the name of a scoring output column"):
        segsql.score(config, input=tmp_path / "rows.parquet")
    with pytest.raises(DataError, match="'is_outlier' has the name of a scoring output column"):
        export_sql(config, dialect="postgres")


# --- class 10: a header-only scoring file says it has no rows ---------------------------------


@pytest.mark.parametrize("text", ["CustomerID,Annual_Income_K,Spending_Score,Purchase_Frequency\n", ""])
def test_a_header_only_or_empty_scoring_file_says_it_has_no_rows(customers, tmp_path, text):
    path = tmp_path / "new.csv"
    path.write_text(text)
    with pytest.raises(DataError, match="has no rows to score") as caught:
        segsql.score(customers, input=path)
    assert str(path) in str(caught.value)
    # a typed input with no rows is not an error: it scores to no rows
    _customers().train.head(0).to_parquet(tmp_path / "none.parquet", index=False)
    scored = segsql.score(customers, input=tmp_path / "none.parquet")
    assert isinstance(scored, pl.DataFrame) and scored.height == 0


# --- class 9: the exported query on a stock PostgreSQL server ---------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    yield from postgres_server()


# EXPLAIN (VERBOSE) prints every expression the plan computes, so its length measures how far
# the planner expanded the query: 18 MB when the layers were flattened (20 features, K = 10),
# about 45 KB with each layer kept apart
PLAN_LIMIT = 500_000


@pytest.mark.service
def test_the_exported_query_runs_on_a_stock_postgres_at_20_features_and_k_10(postgres, tmp_path):
    import psycopg

    data = wide_blobs()
    config = data.config(tmp_path, "standard")
    segsql.run(config)
    new = pd.concat([data.train, data.new_rows(n=1000)], ignore_index=True)[[data.entity, *data.features]]
    new.to_parquet(tmp_path / "new.parquet", index=False)
    start = time.perf_counter()
    expected = segsql.score(config, input=tmp_path / "new.parquet")
    duck_seconds = time.perf_counter() - start
    assert isinstance(expected, pl.DataFrame)

    query = export_sql(config, dialect="postgres", table="segsql_input")
    with psycopg.connect(postgres) as conn:
        load_frame(conn, "segsql_input", new, data.entity)
        conn.execute("ANALYZE segsql_input")
        assert conn.execute("SHOW jit").fetchone() == ("on",)  # the server's defaults, untouched
        # a regression fails here rather than hang (JIT compiling a huge plan is not cancellable,
        # so the plan size is checked before the query runs)
        conn.execute("SET statement_timeout = '60s'")
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (VERBOSE) " + query).fetchall())
        assert len(plan) < PLAN_LIMIT, f"the plan is {len(plan):,} characters"
        start = time.perf_counter()
        cur = conn.execute(query)
        names = [d.name for d in cur.description]
        got = pd.DataFrame(cur.fetchall(), columns=names)
        pg_seconds = time.perf_counter() - start
    print(
        f"\n{len(new):,} rows: plan {len(plan):,} chars, "
        f"PostgreSQL {pg_seconds:.2f} s, DuckDB {duck_seconds:.2f} s"
    )
    assert names == expected.columns
    got = got.set_index(data.entity).loc[expected[data.entity].to_list()]
    assert got["segment"].tolist() == expected["segment"].to_list()  # row by row
    assert got["is_outlier"].tolist() == expected["is_outlier"].to_list()
