"""Property-based tests (hypothesis): the SQL preprocessing against NumPy and scikit-learn, and quoting.

The preprocessing stage (``segsql.preprocess``: impute, transform, winsorize,
scale, all DuckDB SQL) runs on generated float columns with NULLs, and must
give the matrix that NumPy gives for impute and winsorize (``np.quantile``,
linear interpolation) followed by scikit-learn's ``StandardScaler``,
``MinMaxScaler`` or ``RobustScaler``. Values are drawn on a 0.01 grid so that a
column is either constant or spread enough for both sides to agree on it.

The quoting helper must make any string (without NUL) a DuckDB identifier
that reads back as itself.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from segsql import config_from_dict, sql
from segsql.steps.features import Features
from segsql.steps.preprocess import NORMAL_IQR, preprocess

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


@st.composite
def feature_tables(draw):
    """(columns of floats or None, transform per column, impute, winsorize, scaling)."""
    n = draw(st.integers(2, 30))
    p = draw(st.integers(1, 3))
    impute = draw(st.sampled_from(["mean", "median", "zero", "drop"]))
    transforms = draw(st.lists(st.sampled_from(["none", "log1p", "sqrt"]), min_size=p, max_size=p))
    columns = []
    for how in transforms:
        low = 0 if how != "none" else -100_000  # log1p and sqrt take non-negative values here
        value = st.integers(low, 100_000).map(lambda v: v / 100)
        cells = draw(st.lists(st.one_of(value, value, value, st.none()), min_size=n, max_size=n))
        if all(c is None for c in cells):
            cells[draw(st.integers(0, n - 1))] = draw(value)
        columns.append(cells)
    if impute == "drop" and not any(all(col[r] is not None for col in columns) for r in range(n)):
        r = draw(st.integers(0, n - 1))
        for col in columns:
            col[r] = 1.0 if col[r] is None else col[r]
    winsorize = draw(
        st.one_of(
            st.just([]),
            st.tuples(st.integers(0, 49), st.integers(51, 100)).map(lambda t: [t[0] / 100, t[1] / 100]),
        )
    )
    scaling = draw(st.sampled_from(["standard", "minmax", "robust", "none"]))
    return columns, transforms, impute, winsorize, scaling


def _reference(columns, transforms, impute, winsorize, scaling) -> np.ndarray:
    X = np.array([[np.nan if v is None else v for v in col] for col in columns], dtype=float).T
    if impute == "drop":
        X = X[~np.isnan(X).any(axis=1)]
    else:
        for j in range(X.shape[1]):
            fill = {"mean": np.nanmean, "median": np.nanmedian, "zero": lambda c: 0.0}[impute](X[:, j])
            X[np.isnan(X[:, j]), j] = fill
    for j, how in enumerate(transforms):
        X[:, j] = {"log1p": np.log1p, "sqrt": np.sqrt, "none": lambda c: c}[how](X[:, j])
    if winsorize:
        for j in range(X.shape[1]):
            low, high = np.quantile(X[:, j], winsorize)
            X[:, j] = np.clip(X[:, j], low, high)
    if scaling == "none":
        return X
    scaled = SCALERS[scaling]().fit_transform(X)
    for j in range(X.shape[1]):  # segsql's fallback: a zero IQR of a column that varies → 1.349·σ
        q1, q3 = np.quantile(X[:, j], [0.25, 0.75])
        if scaling == "robust" and np.ptp(X[:, j]) > 0 and q1 == q3:
            scaled[:, j] = (X[:, j] - np.median(X[:, j])) / (NORMAL_IQR * X[:, j].std())
    return scaled


def _segsql(columns, transforms, impute, winsorize, scaling) -> np.ndarray:
    names = [f"c{j}" for j in range(len(columns))]
    per_column = dict(zip(names, transforms, strict=True))
    config = config_from_dict(
        {
            "features": {"entity": "id", "sql": "SELECT 1", "transforms": per_column},
            "preprocess": {"scaling": scaling, "impute": impute, "winsorize": winsorize},
        }
    )
    n = len(columns[0])
    table = pa.table(
        {"segsql_entity": pa.array(range(n), pa.int64())}
        | {name: pa.array(col, pa.float64()) for name, col in zip(names, columns, strict=True)}
    )
    features = Features(
        entity="id",
        entity_type="BIGINT",
        columns=tuple(names),
        n_rows=n,
        null_counts=tuple(sum(v is None for v in col) for col in columns),
        origin="generated",
    )
    with duckdb.connect() as con:
        con.register("generated", table)
        con.execute("CREATE TEMP TABLE segsql_features AS SELECT * FROM generated")
        pre = preprocess(con, config, features)
        assert all(s.scale > 0 for s in pre.scalers)  # never a division by zero
        arrays = con.sql("SELECT * FROM segsql_scaled ORDER BY segsql_row").fetchnumpy()
        return np.column_stack([np.asarray(arrays[name], dtype=float) for name in names])


@SETTINGS
@given(feature_tables())
def test_sql_preprocessing_matches_numpy_and_scikit_learn(table) -> None:
    expected = _reference(*table)
    got = _segsql(*table)
    assert got.shape == expected.shape
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-8)


@SETTINGS
@given(st.lists(st.integers(-1000, 1000).map(lambda v: v / 10), min_size=2, max_size=20))
def test_a_constant_column_is_centred_to_zero_under_every_scaling(values) -> None:
    constant = [3.5] * len(values)
    for scaling in ("standard", "minmax", "robust"):
        got = _segsql([values, constant], ["none", "none"], "mean", [], scaling)
        assert (got[:, 1] == 0).all()


IDENTIFIER_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), min_size=1)


@SETTINGS
@given(IDENTIFIER_TEXT)
def test_any_string_round_trips_as_a_column_name_through_duckdb(name: str) -> None:
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE t AS SELECT 42 AS {sql.quote_ident(name)}")
        assert con.execute("SELECT column_name FROM (DESCRIBE t)").fetchall() == [(name,)]
        assert con.execute(f"SELECT {sql.quote_ident(name)} FROM t").fetchall() == [(42,)]


@SETTINGS
@given(IDENTIFIER_TEXT, IDENTIFIER_TEXT)
def test_any_strings_round_trip_as_a_schema_and_table_name(schema: str, table: str) -> None:
    with duckdb.connect() as con:
        qualified = sql.render("{{ t }}", t=(schema, table))
        con.execute(f"CREATE SCHEMA {sql.quote_ident(schema)}")
        con.execute(f"CREATE TABLE {qualified} AS SELECT 1 AS x")
        found = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name = $s", {"s": schema}
        ).fetchall()
        assert found == [(schema, table)]
        assert con.execute(f"SELECT x FROM {qualified}").fetchall() == [(1,)]


@SETTINGS
@given(st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])))
def test_any_string_round_trips_as_a_literal(value: str) -> None:
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {sql.quote_literal(value)}").fetchall() == [(value,)]


@SETTINGS
@given(st.lists(IDENTIFIER_TEXT, min_size=1, max_size=5, unique_by=lambda s: s.lower()))
def test_a_column_list_expands_to_the_columns_in_order(names: list[str]) -> None:
    with duckdb.connect() as con:
        select = ", ".join(f"{i} AS {sql.quote_ident(n)}" for i, n in enumerate(names))
        con.execute(f"CREATE TABLE t AS SELECT {select}")
        text = sql.render("SELECT {{ columns: @col + 100 * @i AS v_@i }} FROM t", columns=names)
        assert con.execute(text).fetchall() == [tuple(101 * i for i in range(len(names)))]
