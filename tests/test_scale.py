"""What keeps large runs bounded: DuckDB's memory limit, the matrix hand-off, blockwise distances."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

import segsql
from segsql import ConfigError, config_from_dict
from segsql.connection import connect
from segsql.steps.fit.in_memory import distances as _distances
from segsql.steps.matrix import load_matrix


def _config(**project):
    return config_from_dict(
        {"project": {"database": ":memory:", **project}, "features": {"entity": "id", "sql": "x"}}
    )


def test_project_memory_limit_is_given_to_the_duckdb_connection():
    with connect(_config(memory_limit="512MB")) as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit in {"488.2 MiB", "512.0 MB", "488.2MiB"}  # DuckDB shows it in its own units


def test_without_memory_limit_duckdb_keeps_its_default():
    with connect(_config()) as con, duckdb.connect() as plain:
        ours = con.execute("SELECT current_setting('memory_limit')").fetchall()
        assert ours == plain.execute("SELECT current_setting('memory_limit')").fetchall()


def test_a_callers_connection_keeps_its_own_memory_limit():
    con = duckdb.connect(config={"memory_limit": "1GB"})
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()
    with connect(_config(memory_limit="200MB"), con) as same:
        assert same.execute("SELECT current_setting('memory_limit')").fetchall() == before


@pytest.mark.parametrize("bad", ["lots", "4", "GB", "-1GB"])
def test_a_memory_limit_that_is_not_a_size_is_a_config_error_naming_the_key(bad):
    with pytest.raises(ConfigError, match=r"\[project\] memory_limit: must be a size"):
        _config(memory_limit=bad)


def test_the_matrix_puts_each_row_at_its_row_number_whatever_the_scan_order():
    con = duckdb.connect()
    rng = np.random.default_rng(0)
    order = rng.permutation(5000)
    values = rng.standard_normal((5000, 2))
    con.register("shuffled", {"segsql_row": order, "a": values[:, 0], "b b": values[:, 1]})
    con.execute(
        'CREATE TEMP TABLE segsql_scaled AS SELECT segsql_row, 0 AS segsql_entity, a, "b b" FROM shuffled'
    )
    X = load_matrix(con, ("a", "b b"))
    assert X.flags.c_contiguous and X.dtype == np.float64
    expected = np.empty_like(values)
    expected[order] = values
    assert np.array_equal(X, expected)


def test_blockwise_distances_equal_the_direct_formula():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200_000, 3))
    centers = rng.standard_normal((4, 3))
    labels = rng.integers(1, 5, X.shape[0])
    direct = np.sqrt(((X - centers[labels - 1]) ** 2).sum(axis=1))
    np.testing.assert_allclose(_distances(X, centers, labels), direct, rtol=1e-14)


def test_a_run_with_a_memory_limit_gives_the_same_segments(customers_config):
    plain = segsql.run(customers_config)
    text = customers_config.read_text().replace(
        'database = "run.duckdb"', 'database = "run.duckdb"\nmemory_limit = "256MB"'
    )
    customers_config.write_text(text)
    limited = segsql.run(customers_config)
    assert limited.segments.drop("run_id").equals(plain.segments.drop("run_id"))
