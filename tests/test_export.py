"""The exported scoring query: every dialect, exact constants, and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlglot
from sqlglot import exp
from typer.testing import CliRunner

import segsql
from segsql import SegsqlError
from segsql.cli import app
from segsql.scoring.export import DIALECTS, export_sql

from .conftest import DATA
from .postgres import load_frame, postgres_server
from .scoring_data import DATASETS, Dataset


@cache
def dataset(name: str) -> Dataset:
    return DATASETS[name]()


@pytest.fixture
def wholesale(tmp_path) -> Path:
    config = dataset("wholesale").config(tmp_path, "robust")
    segsql.run(config)
    return config


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back_to_the_same_query(wholesale, dialect):
    text = export_sql(wholesale, dialect=dialect, table="lake.sales.new rows")
    assert text.endswith(";\n") and text.count(";") == 1
    tree = sqlglot.parse_one(text, read=dialect)
    assert tree.sql(dialect=dialect, pretty=True) + ";\n" == text
    # the columns segsql score returns, under the same names
    assert tree.named_selects == [
        "customer_id", "segment", "segment_name", "distance", "second_distance", "is_outlier"
    ]  # fmt: skip
    table = next(t for t in tree.find_all(exp.Table) if t.name == "new rows")
    assert (table.catalog, table.db) == ("lake", "sales")


def test_every_constant_of_the_model_is_in_the_query_exactly(wholesale, tmp_path):
    text = export_sql(wholesale, dialect="postgres")
    literals = {float(node.this) for node in sqlglot.parse_one(text, read="postgres").find_all(exp.Literal)
                if node.is_number}  # fmt: skip
    import duckdb

    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        constants = con.execute(
            "SELECT clip_low, clip_high, center, scale FROM segsql.scaler "
            "UNION ALL SELECT value_scaled, NULL, NULL, NULL FROM segsql.centroids "
            "UNION ALL SELECT p99_distance, NULL, NULL, NULL FROM segsql.segment_summary"
        ).fetchall()
    for row in constants:
        for value in row:
            if value is not None:
                assert abs(value) in literals, value  # negatives are written as a positive literal


def test_identifiers_from_the_config_are_quoted_by_sqlglot(tmp_path):
    data = dataset("synthetic")
    config = data.config(tmp_path, "standard")
    segsql.run(config)
    for dialect in DIALECTS:
        tree = sqlglot.parse_one(export_sql(config, dialect=dialect), read=dialect)
        columns = {c.name for c in tree.find_all(exp.Column)}
        assert {"spend ($)", 'it\'s "odd"', "id"} <= columns
        assert all(c.this.quoted for c in tree.find_all(exp.Column))


def test_an_unknown_dialect_or_table_name_is_an_error(wholesale):
    with pytest.raises(SegsqlError, match="--dialect: must be one of duckdb, postgres"):
        export_sql(wholesale, dialect="oracle")
    with pytest.raises(SegsqlError, match="--table: not a table name"):
        export_sql(wholesale, table='bad"name')


def test_the_export_sql_command_prints_the_query(wholesale):
    result = CliRunner().invoke(
        app, ["export-sql", str(wholesale), "--dialect", "trino", "--table", "new_rows"]
    )
    assert result.exit_code == 0, result.output
    assert result.output == export_sql(wholesale, dialect="trino", table="new_rows")
    assert 'FROM "new_rows"' in result.output


# --- a real PostgreSQL server ------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    yield from postgres_server()


POSTGRES_CASES = [
    ("customers", "standard"),
    ("wholesale", "robust"),
    ("retail_rfm", "minmax"),
    ("synthetic", "standard"),
]


@pytest.mark.service
@pytest.mark.parametrize(("name", "scaling"), POSTGRES_CASES)
def test_the_exported_postgres_query_gives_duckdbs_labels_on_a_real_server(postgres, name, scaling, tmp_path):
    import psycopg

    data = dataset(name)
    config = data.config(tmp_path, scaling)
    segsql.run(config)
    new = pd.concat([data.train, data.new_rows()], ignore_index=True)
    rows = tmp_path / "new.parquet"
    new[[data.entity, *data.features]].to_parquet(rows, index=False)
    expected = segsql.score(config, input=rows)

    query = export_sql(config, dialect="postgres", table="segsql_input")
    with psycopg.connect(postgres) as conn:
        load_frame(conn, "segsql_input", new[[data.entity, *data.features]], data.entity)
        with conn.cursor() as cur:
            cur.execute(query)
            names = [d.name for d in cur.description]
            got = pd.DataFrame(cur.fetchall(), columns=names)
    assert names == expected.columns
    assert len(got) == expected.height == len(new)
    got = got.set_index(data.entity).loc[expected[data.entity].to_list()]
    mismatches = int((got["segment"].to_numpy() != expected["segment"].to_numpy()).sum())
    assert mismatches == 0
    assert got["segment_name"].tolist() == expected["segment_name"].to_list()
    assert got["is_outlier"].tolist() == expected["is_outlier"].to_list()
    np.testing.assert_allclose(got["distance"].to_numpy(float), expected["distance"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(
        got["second_distance"].to_numpy(float), expected["second_distance"].to_numpy(), rtol=1e-9
    )


@pytest.mark.service
def test_the_bundled_customers_csv_scores_the_same_in_postgres(postgres, tmp_path):
    """The seed customers straight from data/customers.csv, the run's config unchanged."""
    import psycopg

    text = (DATA / "customers.toml").read_text()
    text = text.replace('path = "customers.csv"', f'path = "{(DATA / "customers.csv").as_posix()}"')
    config = tmp_path / "customers.toml"
    config.write_text(text.replace('database = "customers.duckdb"', 'database = "run.duckdb"'))
    run = segsql.run(config)
    frame = pd.read_csv(DATA / "customers.csv")
    with psycopg.connect(postgres) as conn:
        load_frame(conn, "customers", frame, "CustomerID")
        with conn.cursor() as cur:
            cur.execute(export_sql(config, dialect="postgres", table="customers"))
            got = dict((row[0], row[1]) for row in cur.fetchall())
    trained = dict(zip(run.segments["CustomerID"].to_list(), run.segments["segment"].to_list(), strict=True))
    assert got == trained
