"""Sample weights in preprocessing (issue 14, item 2): every statistic weighted, as documented.

The feature and preprocess steps run on a small generated frame; each scaler
value is checked against NumPy computing the README's definitions (the
weighted mean and population standard deviation, and the weighted quantile of
queries/preprocess/weighted_quantiles.sql) independently.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from segsql.config import config_from_dict
from segsql.steps.features import build_features
from segsql.steps.preprocess import preprocess


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The README's weighted quantile: a weight counts rows, rescaled to sum to n; type 7 between ranks."""
    keep = w > 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    n = len(x)
    ends = np.cumsum(w) * n / w.sum()  # each row covers the ranks up to here
    h = q * (n - 1)
    r0 = np.floor(h)
    r1 = min(r0 + 1, n - 1)
    x0, x1 = x[np.argmax(ends > r0)], x[np.argmax(ends > r1)]
    return float(x0 + (h - r0) * (x1 - x0))


def frame(seed: int = 3, n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "id": np.arange(n),
            "a": rng.lognormal(2, 1, n).round(2),
            "b": rng.integers(0, 6, n).astype(float),  # many ties: quantiles between equal values
            "w": rng.integers(0, 5, n).astype(float),  # some rows weigh 0
            "kind": rng.choice(["x", "y", "z"], n, p=[0.6, 0.3, 0.1]),
        }
    )
    data.loc[[4, 17], "a"] = np.nan
    return data


def prepared(data: pd.DataFrame, **features) -> tuple[duckdb.DuckDBPyConnection, object]:
    """The features and preprocess steps over ``data`` (as the view ``people``)."""
    pre = features.pop("preprocess", {})
    config = config_from_dict(
        {
            "features": {"entity": "id", "sql": "SELECT * FROM people", "columns": ["a", "b"], **features},
            "preprocess": pre,
        }
    )
    con = duckdb.connect()
    con.register("people", data)
    found = build_features(con, config)
    return con, preprocess(con, config, found)


def scalers(pre) -> dict[str, tuple]:
    """Per feature: impute value, clip bounds, centre, scale (NaN where there is none)."""
    return {
        s.feature: tuple(
            np.nan if v is None else v for v in (s.impute_value, s.clip_low, s.clip_high, s.center, s.scale)
        )
        for s in pre.scalers
    }


def test_weighted_standard_scaling_is_numpys_weighted_mean_and_std():
    data = frame()
    con, pre = prepared(data, weight="w", categorical=["kind"], preprocess={"impute": "mean"})
    w = data["w"].to_numpy()
    got = scalers(pre)
    for column in ("a", "b"):
        x = data[column].to_numpy()
        known = ~np.isnan(x)
        fill = np.average(x[known], weights=w[known])
        x = np.where(known, x, fill)
        mean = np.average(x, weights=w)
        std = np.sqrt(np.average((x - mean) ** 2, weights=w))
        assert got[column][0] == pytest.approx(fill, rel=1e-12)
        assert got[column][3:] == pytest.approx((mean, std), rel=1e-12)
    for level in ("x", "y", "z"):
        share = np.average((data["kind"] == level).to_numpy(float), weights=w)
        assert got[f"kind={level}"][3] == pytest.approx(share, rel=1e-12)
    # the weight travels beside the features, and is not one
    assert pre.weight == "w" and "w" not in pre.columns
    weights = con.execute("SELECT segsql_weight FROM segsql_scaled ORDER BY segsql_row").fetchnumpy()
    np.testing.assert_array_equal(weights["segsql_weight"], w)


def test_robust_scaling_winsorizing_and_median_imputation_use_the_weighted_quantile():
    data = frame()
    _, pre = prepared(
        data, weight="w", preprocess={"scaling": "robust", "impute": "median", "winsorize": [0.05, 0.9]}
    )
    w = data["w"].to_numpy()
    got = scalers(pre)
    for column in ("a", "b"):
        x = data[column].to_numpy()
        known = ~np.isnan(x)
        fill = weighted_quantile(x[known], w[known], 0.5)
        x = np.where(known, x, fill)
        low, high = weighted_quantile(x, w, 0.05), weighted_quantile(x, w, 0.9)
        x = np.clip(x, low, high)
        median = weighted_quantile(x, w, 0.5)
        iqr = weighted_quantile(x, w, 0.75) - weighted_quantile(x, w, 0.25)
        assert got[column] == pytest.approx((fill, low, high, median, iqr), rel=1e-12, nan_ok=True)


def test_unit_weights_give_the_unweighted_preprocessing():
    data = frame().assign(w=1.0)
    settings = {"scaling": "robust", "impute": "median", "winsorize": [0.1, 0.95]}
    _, weighted = prepared(data, weight="w", preprocess=settings)
    _, plain = prepared(data.drop(columns="w"), preprocess=settings)
    for column, values in scalers(plain).items():
        assert scalers(weighted)[column] == pytest.approx(values, rel=1e-12, nan_ok=True)


def test_multiplying_every_weight_by_a_constant_changes_nothing():
    data = frame()
    settings = {"scaling": "robust", "impute": "median", "winsorize": [0.05, 0.9]}
    _, once = prepared(data, weight="w", preprocess=settings)
    _, scaled = prepared(data.assign(w=data["w"] * 1000.0), weight="w", preprocess=settings)
    for column, values in scalers(once).items():
        assert scalers(scaled)[column] == pytest.approx(values, rel=1e-12, nan_ok=True)


def test_a_row_of_weight_zero_is_scaled_but_counts_for_nothing():
    data = frame().assign(w=lambda d: d["w"] + 1)
    far = pd.DataFrame({"id": [999], "a": [1e6], "b": [50.0], "w": [0.0], "kind": ["x"]})
    _, without = prepared(data, weight="w", preprocess={"impute": "mean"})
    con, with_far = prepared(
        pd.concat([data, far], ignore_index=True), weight="w", preprocess={"impute": "mean"}
    )
    for column, values in scalers(without).items():
        assert scalers(with_far)[column] == pytest.approx(values, rel=1e-12, nan_ok=True)
    row = con.execute("SELECT a FROM segsql_scaled WHERE segsql_entity = 999").fetchall()
    assert row and row[0][0] > 100


def test_a_feature_weight_divides_its_scale_by_its_square_root():
    data = frame().assign(w=1.0)
    _, plain = prepared(data, categorical=["kind"], preprocess={"impute": "zero"})
    _, weighted = prepared(
        data, categorical=["kind"], weights={"a": 4.0, "kind": 9.0}, preprocess={"impute": "zero"}
    )
    before, after = scalers(plain), scalers(weighted)
    assert after["a"][4] == pytest.approx(before["a"][4] / 2, rel=1e-15)
    assert after["b"] == before["b"]
    for level in ("x", "y", "z"):
        assert after[f"kind={level}"][4] == pytest.approx(before[f"kind={level}"][4] / 3, rel=1e-15)
