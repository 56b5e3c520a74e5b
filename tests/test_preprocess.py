"""Preprocessing in SQL matches NumPy / scikit-learn, and its parameters are kept."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from segsql import DataError, config_from_dict
from segsql.steps.features import build_features
from segsql.steps.matrix import load_matrix
from segsql.steps.preprocess import preprocess

VALUES = [3.0, None, 10.0, 0.5, 42.0, 7.0, None, 1.0, 18.0, 2.5]
OTHER = [1.0, 2.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0]


def prepared(tmp_path, *, impute="mean", scaling="standard", transforms=None, winsorize=None):
    con = duckdb.connect()
    con.execute("CREATE TABLE t (id INTEGER, x DOUBLE, y DOUBLE)")
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?)",
        [(i, x, y) for i, (x, y) in enumerate(zip(VALUES, OTHER, strict=True))],
    )
    config = config_from_dict(
        {
            "sources": {"src": {"table": "t"}},
            "features": {"entity": "id", "sql": "SELECT * FROM src", "transforms": transforms or {}},
            "preprocess": {"impute": impute, "scaling": scaling, "winsorize": winsorize or []},
        },
        base_dir=tmp_path,
    )
    from segsql.sources import register_sources

    register_sources(con, config)
    features = build_features(con, config)
    pre = preprocess(con, config, features)
    return pre, load_matrix(con, pre.columns)


def reference(impute, transform=None, winsorize=None):
    x = np.array([np.nan if v is None else v for v in VALUES])
    y = np.array(OTHER)
    keep = ~np.isnan(x) if impute == "drop" else np.ones_like(x, dtype=bool)
    x, y = x[keep], y[keep]
    fill = {"mean": np.nanmean(x), "median": np.nanmedian(x), "zero": 0.0, "drop": 0.0}[impute]
    x = np.where(np.isnan(x), fill, x)
    X = np.column_stack([x, y])
    if transform == "log1p":
        X = np.log1p(X)
    elif transform == "sqrt":
        X = np.sqrt(X)
    if winsorize:
        X = np.clip(X, np.quantile(X, winsorize[0], axis=0), np.quantile(X, winsorize[1], axis=0))
    return X


@pytest.mark.parametrize("impute", ["mean", "median", "zero", "drop"])
@pytest.mark.parametrize(
    ("scaling", "scaler"), [("standard", StandardScaler), ("minmax", MinMaxScaler), ("robust", RobustScaler)]
)
def test_sql_scaling_matches_scikit_learn(tmp_path, impute, scaling, scaler):
    _, X = prepared(tmp_path, impute=impute, scaling=scaling)
    expected = scaler().fit_transform(reference(impute))
    np.testing.assert_allclose(X, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("transform", ["log1p", "sqrt"])
def test_transforms_and_winsorizing_match_numpy(tmp_path, transform):
    pre, X = prepared(tmp_path, transforms={"x": transform, "y": transform}, winsorize=[0.1, 0.9])
    expected = StandardScaler().fit_transform(reference("mean", transform, [0.1, 0.9]))
    np.testing.assert_allclose(X, expected, rtol=1e-12, atol=1e-12)
    assert pre.scalers[0].clip_low is not None and pre.scalers[0].clip_high > pre.scalers[0].clip_low


def test_the_fitted_parameters_are_kept_for_replay(tmp_path):
    pre, _ = prepared(tmp_path, impute="median", scaling="standard", transforms={"y": "log1p"})
    x, y = pre.scalers
    assert (x.feature, x.transform, y.transform) == ("x", "none", "log1p")
    assert x.impute_value == pytest.approx(np.nanmedian([v for v in VALUES if v is not None]))
    assert y.center == pytest.approx(np.log1p(OTHER).mean())
    assert y.scale == pytest.approx(np.log1p(OTHER).std())


def test_dropping_rows_with_nulls_is_counted(tmp_path):
    pre, X = prepared(tmp_path, impute="drop")
    assert pre.dropped_rows == 2 and pre.n_rows == 8 and X.shape == (8, 2)


def test_log1p_of_values_at_or_below_minus_one_is_refused(tmp_path):
    con = duckdb.connect()
    config = config_from_dict(
        {
            "features": {
                "entity": "id",
                "sql": "SELECT * FROM (VALUES (1, -1.0), (2, 3.0)) t(id, x)",
                "transforms": {"x": "log1p"},
            }
        },
        base_dir=tmp_path,
    )
    features = build_features(con, config)
    with pytest.raises(DataError, match=r"feature 'x' has values <= -1 \(-1.0\); log1p cannot take them"):
        preprocess(con, config, features)


def test_a_constant_feature_is_centred_not_divided_and_reported(tmp_path):
    con = duckdb.connect()
    config = config_from_dict(
        {
            "features": {
                "entity": "id",
                "sql": "SELECT range AS id, 5.0 AS c, range * 1.0 AS x FROM range(10)",
            }
        },
        base_dir=tmp_path,
    )
    features = build_features(con, config)
    pre = preprocess(con, config, features)
    assert pre.scalers[0].scale == 1.0
    assert "feature 'c' is constant" in pre.warnings[0]
    X = load_matrix(con, pre.columns)
    assert np.all(X[:, 0] == 0.0) and np.isfinite(X).all()
