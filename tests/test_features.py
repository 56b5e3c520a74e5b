"""The feature stage: one row per entity, numeric features, and the built-in RFM recipe."""

from __future__ import annotations

import duckdb
import pytest

from segsql import ConfigError, DataError, QueryError, config_from_dict
from segsql.sources import register_sources
from segsql.steps.features import build_features
from segsql.steps.preprocess import preprocess as fit_preprocessing

TRANSACTIONS = """\
cust,at,amount
a,2024-01-01,10.0
a,2024-01-11,30.0
b,2024-01-05,5.0
b,2024-02-01,100.0
c,2024-01-20,7.5
"""


def features_of(tmp_path, features, sources=None, preprocess=None, con=None):
    con = con or duckdb.connect()
    config = config_from_dict(
        {"sources": sources or {}, "features": features, "preprocess": preprocess or {}}, base_dir=tmp_path
    )
    register_sources(con, config)
    return con, build_features(con, config)


def test_rfm_counts_nothing_after_as_of(tmp_path):
    (tmp_path / "t.csv").write_text(TRANSACTIONS)
    con, feats = features_of(
        tmp_path,
        {
            "entity": "cust",
            "recipe": "rfm",
            "rfm": {"source": "t", "timestamp": "at", "amount": "amount", "as_of": "2024-01-21"},
        },
        sources={"t": {"path": "t.csv"}},
    )
    assert feats.columns == ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")
    rows = con.execute("SELECT * FROM segsql_features ORDER BY segsql_entity").fetchall()
    assert rows == [
        ("a", 10.0, 2.0, 40.0, 20.0, 20.0),
        ("b", 16.0, 1.0, 5.0, 5.0, 16.0),  # the February order is after as_of
        ("c", 1.0, 1.0, 7.5, 7.5, 1.0),
    ]
    assert feats.entity == "cust" and feats.entity_type == "VARCHAR"


def test_a_feature_query_can_come_from_a_file(tmp_path):
    (tmp_path / "f.sql").write_text("-- my features\nSELECT 1 AS id, 2 AS x UNION ALL SELECT 2, 3\n")
    con, feats = features_of(tmp_path, {"entity": "id", "file": "f.sql"})
    assert feats.n_rows == 2 and feats.columns == ("x",)


def test_duplicate_entities_are_an_error_showing_a_few_ids(tmp_path):
    query = "SELECT * FROM (VALUES (1, 2.0), (1, 3.0), (2, 1.0), (2, 1.0), (2, 5.0), (3, 1.0)) t(id, x)"
    with pytest.raises(DataError, match=r"2 entities appear more than once .* e\.g\. 2 ×3, 1 ×2"):
        features_of(tmp_path, {"entity": "id", "sql": query})


def test_non_numeric_feature_columns_are_named(tmp_path):
    query = "SELECT 1 AS id, 'f' AS gender, 2.0 AS x, DATE '2024-01-01' AS d"
    with pytest.raises(DataError, match=r"non-numeric feature columns: 'gender' \(VARCHAR\), 'd' \(DATE\)"):
        features_of(tmp_path, {"entity": "id", "sql": query, "columns": ["gender", "x", "d"]})


def test_by_default_every_numeric_column_but_the_entity_is_a_feature(tmp_path):
    query = "SELECT 1 AS id, 'f' AS gender, 2.0 AS x, 3::INTEGER AS y, 4.5::DECIMAL(9,2) AS z"
    _, feats = features_of(tmp_path, {"entity": "id", "sql": query})
    assert feats.columns == ("x", "y", "z")


def test_a_missing_entity_column_is_named(tmp_path):
    with pytest.raises(
        DataError, match=r"the entity column 'CustomerID' is not in the feature query's result"
    ):
        features_of(tmp_path, {"entity": "CustomerID", "sql": "SELECT 1 AS id, 2.0 AS x"})


def test_a_transform_for_an_unknown_column_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"\[features.transforms\] y: not a feature column"):
        features_of(
            tmp_path, {"entity": "id", "sql": "SELECT 1 AS id, 2.0 AS x", "transforms": {"y": "log1p"}}
        )


def test_nulls_with_impute_error_are_named_with_their_count(tmp_path):
    query = "SELECT * FROM (VALUES (1, 2.0), (2, NULL), (3, NULL)) t(id, x)"
    with pytest.raises(DataError, match=r"'x' has 2 NULLs and \[preprocess\] impute = \"error\""):
        con, feats = features_of(tmp_path, {"entity": "id", "sql": query})
        # the check belongs to the preprocess step, which knows the impute rule
        fit_preprocessing(con, config_from_dict({"features": {"entity": "id", "sql": query}}), feats)
    _, feats = features_of(tmp_path, {"entity": "id", "sql": query}, preprocess={"impute": "mean"})
    assert feats.null_counts == (2,)


def test_an_sql_error_names_the_query_and_shows_duckdbs_message(tmp_path):
    with pytest.raises(QueryError, match=r"\[features\] sql: .*nosuchtable"):
        features_of(tmp_path, {"entity": "id", "sql": "SELECT * FROM nosuchtable"})
