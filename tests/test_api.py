"""The public API has one shape: a config path or a Config, `con=` as a keyword, SegsqlError only."""

from __future__ import annotations

import importlib.metadata
import inspect

import duckdb
import polars as pl
import pytest

import segsql
from segsql import SegsqlError

from .conftest import DATA, copy_config

VERBS = ("run", "validate", "query", "list_runs", "write_report", "score", "export_sql", "diff")


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """data/customers.toml run once, reachable as the relative path a user would type."""
    config = copy_config("customers.toml", tmp_path)
    monkeypatch.chdir(tmp_path)
    segsql.run("customers.toml")
    return config


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_that_touches_a_database_takes_con_as_a_keyword_only(verb):
    parameters = inspect.signature(getattr(segsql, verb)).parameters
    assert parameters["con"].kind is inspect.Parameter.KEYWORD_ONLY, verb


def test_run_refuses_a_positional_connection(customers_config):
    with pytest.raises(TypeError), duckdb.connect() as con:
        segsql.run(customers_config, con)  # type: ignore[misc]


@pytest.mark.report
def test_write_report_takes_a_config_path(demo, tmp_path):
    report = segsql.write_report("customers.toml")
    assert report.run_id == 1 and report.html.is_file()


def test_query_takes_a_config_path(demo):
    assert segsql.query("customers.toml", "SELECT 1 AS one").to_dicts() == [{"one": 1}]


def test_list_runs_reads_a_callers_connection(demo, tmp_path):
    with duckdb.connect(str(tmp_path / "customers.duckdb")) as con:
        runs = segsql.list_runs("customers.toml", con=con)
    assert runs["run_id"].to_list() == [1]


def test_every_verb_takes_a_config_object_too(demo):
    config = segsql.load_config("customers.toml")
    assert segsql.validate(config).n_rows == 200
    assert segsql.list_runs(config).height == 1
    assert isinstance(segsql.score(config, input=DATA / "customers.csv"), pl.DataFrame)
    assert "SELECT" in segsql.export_sql(config)


@pytest.mark.parametrize("verb", VERBS)
def test_anything_but_a_path_or_a_config_is_a_segsql_error(verb):
    with pytest.raises(SegsqlError, match="expected a config file path or a segsql.Config"):
        getattr(segsql, verb)(42, **({"text": "SELECT 1"} if verb == "query" else {}))


def test_the_version_is_the_package_metadatas():
    assert segsql.__version__ == importlib.metadata.version("segsql")


def test_a_query_error_carries_its_parts_as_fields(demo):
    with pytest.raises(segsql.QueryError) as caught:
        segsql.query("customers.toml", "SELECT nosuchcolumn FROM segsql.runs")
    assert caught.value.query == "query" and "nosuchcolumn" in caught.value.reason


def test_run_tables_are_read_when_first_asked_for(demo, monkeypatch):
    from segsql import pipeline

    reads: list[str] = []
    original = pipeline.RunTables._read
    monkeypatch.setattr(
        pipeline.RunTables, "_read", lambda self, db, table: reads.append(table) or original(self, db, table)
    )
    result = segsql.run("customers.toml")
    assert reads == []  # nothing read back, segments least of all
    assert result.segment_summary.height == 4 and reads == ["segment_summary"]
    assert result.segments.height == 200 and reads == ["segment_summary", "segments"]
