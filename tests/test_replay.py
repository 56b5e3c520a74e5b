"""The one scoring query: built from a saved model, the same on every path, bad input failing alike.

The first part runs the builder on hand-made models in DuckDB (and PostgreSQL),
checked against a NumPy replay of the same steps. The last part is the
acceptance test: for each kind of bad input, ``segsql score``, the ``assign``
macro, and the exported DuckDB and PostgreSQL queries give the same rows, or
all fail naming the column.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

import segsql
from segsql import DataError, SegsqlError, sql
from segsql.scoring.export import DIALECTS, export_sql
from segsql.scoring.macro import assign_body
from segsql.scoring.replay import OUTPUT_COLUMNS, named_table, number, raised, replay_query
from segsql.scoring.saved import SavedModel

from .postgres import load_rows, postgres_server
from .scoring_data import DATASETS, Dataset

NAN, INF = float("nan"), float("inf")


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    yield from postgres_server()


def hand_model(**changes: Any) -> SavedModel:
    """Two features, one log1p-transformed and winsorized, one sqrt-transformed and imputed; K = 3."""
    model = SavedModel(
        run_id=3,
        entity="id",
        features=("income", "visits (n)"),
        impute="median",
        transforms=("log1p", "sqrt"),
        impute_values=(3.5, 4.0),
        clip_low=(0.5, None),
        clip_high=(4.5, None),
        centers=(2.25, 1.9),
        scales=(1.1, 0.7),
        segments=(1, 2, 3),
        centroids=((-1.0, 0.5), (1.2, -0.3), (0.1, 1.4)),
        names=("Low", "High", None),
        p99=(1.5, 2.0, None),
    )
    return dataclasses.replace(model, **changes)


def numpy_scores(model: SavedModel, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The replay in NumPy, independently of the SQL: (id, segment, distance, second, is_outlier)."""
    out = []
    for entity, *raw in rows:
        x = []
        for i, value in enumerate(raw):
            v = model.impute_values[i] if value is None else float(value)
            v = {"log1p": math.log1p, "sqrt": math.sqrt}.get(model.transforms[i], float)(v)
            low, high = model.clip_low[i], model.clip_high[i]
            v = max(v, low) if low is not None else v
            v = min(v, high) if high is not None else v
            x.append((v - model.centers[i]) / model.scales[i])
        d = np.sqrt(((np.array(model.centroids) - np.array(x)) ** 2).sum(axis=1))
        j = int(np.argmin(d))
        p99 = model.p99[j]
        out.append(
            (entity, model.segments[j], d[j], np.sort(d)[1], None if p99 is None else bool(d[j] > p99))
        )
    return out


def run_duckdb(model: SavedModel, rows: Sequence[tuple[Any, ...]], con=None) -> list[tuple[Any, ...]]:  # noqa: ANN001
    con = con or duckdb.connect()
    columns = ", ".join(sql.quote_ident(c) + " DOUBLE" for c in model.features)
    con.execute(f"CREATE OR REPLACE TABLE new_rows ({sql.quote_ident(model.entity)} BIGINT, {columns})")
    if rows:
        con.executemany(f"INSERT INTO new_rows VALUES (?{', ?' * len(model.features)})", rows)
    query = replay_query(model, named_table(("new_rows",))).sql(dialect="duckdb")
    return con.execute(query).fetchall()


RNG = np.random.RandomState(3)
GOOD_ROWS = [
    (i, float(a), float(b))
    for i, (a, b) in enumerate(zip(RNG.uniform(0, 120, 60), RNG.uniform(0, 40, 60), strict=True), 1)
]


# --- the builder, on hand-made models ------------------------------------------------


def test_the_query_returns_the_columns_segsql_score_returns():
    tree = replay_query(hand_model(), named_table(("new_rows",)))
    assert tree.named_selects == ["id", *OUTPUT_COLUMNS]
    assert OUTPUT_COLUMNS == ("segment", "segment_name", "distance", "second_distance", "is_outlier")


def test_the_query_replays_preprocessing_and_finds_the_nearest_centroid_as_numpy_does():
    model = hand_model()
    rows = [*GOOD_ROWS, (100, None, None), (101, 1e6, 0.0)]  # imputed; far beyond the clip bound
    got = run_duckdb(model, rows)
    expected = numpy_scores(model, rows)
    assert [r[0] for r in got] == [r[0] for r in rows]  # every row, in input order
    assert [r[1] for r in got] == [r[1] for r in expected]
    names = dict(zip(model.segments, model.names, strict=True))
    assert [r[2] for r in got] == [names[r[1]] for r in expected]
    np.testing.assert_allclose([r[3] for r in got], [r[2] for r in expected], rtol=1e-12)
    np.testing.assert_allclose([r[4] for r in got], [r[3] for r in expected], rtol=1e-12)
    assert [r[5] for r in got] == [r[4] for r in expected]


def test_each_input_column_is_named_a_few_times_however_many_segments():
    # engines that inline the query's layers (PostgreSQL) copy every reference to a column
    # below; a check or a clip that named its value more than once made the exported query
    # take PostgreSQL minutes instead of seconds on 4,338 rows
    model = hand_model()
    text = replay_query(model, named_table(("new_rows",))).sql(dialect="postgres")
    for feature in model.features:
        assert text.count(f'"segsql_source"."{feature}"') <= 5, feature
    k = len(model.segments)
    # a value once where it is defined and once where it is clipped and scaled; a scaled
    # value once where it is defined and twice per centroid, in (x - c) * (x - c)
    named = {v: text.count(f'"{v}"') for v in ("v_0", "v_1", "x_0", "x_1")}
    assert named == {"v_0": 2, "v_1": 2, "x_0": 1 + 2 * k, "x_1": 1 + 2 * k}, named


def test_a_tie_goes_to_the_lowest_segment_number():
    # centroids 2 and 3 are equally far from the origin of the scaled space, and nearest
    model = hand_model(
        transforms=("none", "none"),
        clip_low=(None, None),
        clip_high=(None, None),
        centers=(0.0, 0.0),
        scales=(1.0, 1.0),
        centroids=((5.0, 5.0), (1.0, 0.0), (0.0, 1.0)),
    )
    assert run_duckdb(model, [(1, 0.0, 0.0)])[0][1] == 2
    assert run_duckdb(dataclasses.replace(model, segments=(3, 4, 5)), [(1, 0.0, 0.0)])[0][1] == 4


def test_a_null_is_replaced_by_the_runs_impute_value():
    model = hand_model()
    holes = run_duckdb(model, [(1, None, 9.0), (2, 30.0, None)])
    filled = run_duckdb(model, [(1, model.impute_values[0], 9.0), (2, 30.0, model.impute_values[1])])
    assert holes == filled


def test_a_row_with_a_null_is_left_out_under_the_drop_rule():
    model = hand_model(impute="drop", impute_values=(None, None))
    assert [r[0] for r in run_duckdb(model, [(1, None, 9.0), (2, 30.0, 4.0), (3, 30.0, None)])] == [2]


BAD_VALUES = [
    pytest.param(
        "income", None, 'feature column income is NULL and run 3\'s impute rule is "error"', id="null"
    ),
    pytest.param("income", NAN, "feature column income is NaN or infinite", id="nan"),
    pytest.param("visits (n)", INF, "feature column visits (n) is NaN or infinite", id="inf"),
    pytest.param("visits (n)", -INF, "feature column visits (n) is NaN or infinite", id="-inf"),
    pytest.param("income", -1.0, "feature column income is -1 or less, which log1p cannot take", id="log1p"),
    pytest.param(
        "visits (n)", -0.5, "feature column visits (n) is negative, which sqrt cannot take", id="sqrt"
    ),
]


def _row_with(model: SavedModel, column: str, value: float | None) -> tuple[Any, ...]:
    row = [99, 30.0, 9.0]
    row[1 + model.features.index(column)] = value
    return tuple(row)


@pytest.mark.parametrize(("column", "value", "message"), BAD_VALUES)
def test_bad_input_fails_the_query_with_a_message_naming_the_column(column, value, message):
    model = hand_model(impute="error", impute_values=(None, None))
    with pytest.raises(duckdb.Error) as caught:
        run_duckdb(model, [*GOOD_ROWS, _row_with(model, column, value)])
    assert raised(str(caught.value)) == message


def test_an_imputed_null_is_not_bad_but_nan_still_is():
    model = hand_model()  # median rule: both features have an impute value
    assert len(run_duckdb(model, [(1, None, None)])) == 1
    with pytest.raises(duckdb.Error, match="feature column income is NaN or infinite"):
        run_duckdb(model, [(1, NAN, None)])


def test_the_checks_fail_at_run_time_only_so_good_rows_and_no_rows_pass():
    model = hand_model(impute="error", impute_values=(None, None))
    assert run_duckdb(model, []) == []
    assert len(run_duckdb(model, GOOD_ROWS)) == len(GOOD_ROWS)
    # PostgreSQL rejects a constant 'text'::float8 while parsing: every message cast depends on the row
    tree = replay_query(model, named_table(("new_rows",)))
    for case in tree.find_all(exp.Cast):
        if isinstance(case.this, exp.Case):
            assert list(case.this.find_all(exp.Column)), case.sql()


def test_every_constant_is_written_as_the_same_double_in_every_dialect():
    model = hand_model(centers=(0.1 + 0.2, -1 / 3), scales=(math.pi, 1e-300), p99=(2.5e300, 1e-5, None))
    constants = {
        abs(v)
        for v in (
            *model.impute_values,
            *model.clip_low,
            *model.clip_high,
            *model.centers,
            *model.scales,
            *(c for centroid in model.centroids for c in centroid),
            *model.p99,
        )
        if v is not None
    }
    for dialect in DIALECTS:
        text = replay_query(model, named_table(("lake", "sales", "new rows"))).sql(dialect=dialect)
        tree = sqlglot.parse_one(text, read=dialect)
        literals = {float(n.this) for n in tree.find_all(exp.Literal) if n.is_number}
        assert constants <= literals, dialect
        assert tree.sql(dialect=dialect) == text


def test_a_non_finite_constant_cannot_be_written():
    with pytest.raises(SegsqlError, match="non-finite constant"):
        number(NAN)
    assert number(-0.5).sql() == "(-0.5e0)"


def test_the_segsql_message_is_found_in_duckdb_and_postgres_errors():
    message = 'feature column it\'s "odd" is NULL and run 2\'s impute rule is "error"'
    duck = f"Conversion Error: Could not convert string 'segsql: {message}' to DOUBLE"
    pg = f'invalid input syntax for type double precision: "segsql: {message}"'
    assert raised(duck) == raised(pg) == message
    assert raised("Binder Error: no such column") is None


@pytest.mark.service
def test_the_query_fails_the_same_way_on_a_real_postgres(postgres):
    psycopg = pytest.importorskip("psycopg")
    model = hand_model(impute="error", impute_values=(None, None))
    query = replay_query(model, named_table(("new_rows",)), dialect="postgres").sql(dialect="postgres")
    with psycopg.connect(postgres) as conn:
        load_rows(conn, "new_rows", ["id", *model.features], GOOD_ROWS, entity="id")
        got = conn.execute(query).fetchall()
        np.testing.assert_allclose(
            [r[3] for r in got], [r[3] for r in run_duckdb(model, GOOD_ROWS)], rtol=1e-12
        )
        load_rows(conn, "new_rows", ["id", *model.features], [], entity="id")
        assert conn.execute(query).fetchall() == []
        for case in BAD_VALUES:
            column, value, message = case.values
            rows = [*GOOD_ROWS, _row_with(model, column, value)]
            load_rows(conn, "new_rows", ["id", *model.features], rows, entity="id")
            with pytest.raises(psycopg.Error) as caught:
                conn.execute(query).fetchall()
            conn.rollback()
            assert raised(str(caught.value)) == message, case.id


# --- the macro body ------------------------------------------------------------------


def _macro(con: duckdb.DuckDBPyConnection, latest: SavedModel, others=(), unusable=None) -> None:  # noqa: ANN001
    con.execute("CREATE SCHEMA IF NOT EXISTS segsql")
    body = assign_body(latest, list(others), unusable or {})
    sql.execute(con, "scoring/assign_macro", assign=("segsql", "assign"), body=body)


def test_the_macro_scores_with_the_chosen_run_and_plans_one_branch_only():
    latest = hand_model(run_id=5)
    first = hand_model(
        run_id=2, segments=(1, 2), centroids=((0.0, 0.0), (1.0, 1.0)), names=("A", "B"), p99=(1.0, None)
    )
    con = duckdb.connect()
    _macro(con, latest, [first], {4: "has another entity or other features than the latest run"})
    direct = run_duckdb(latest, GOOD_ROWS, con)
    assert con.execute("SELECT * FROM segsql.assign('new_rows')").fetchall() == direct
    assert con.execute("SELECT * FROM segsql.assign('new_rows', run := 5)").fetchall() == direct
    assert con.execute("SELECT * FROM segsql.assign('new_rows', run := 2)").fetchall() == run_duckdb(
        first, GOOD_ROWS, con
    )
    for run in ("NULL", "2"):
        plan = con.execute(f"EXPLAIN SELECT * FROM segsql.assign('new_rows', run := {run})").fetchall()[0][1]
        assert plan.count("Seq Scan") == 1 and plan.count("new_rows") == 1, plan
    with pytest.raises(duckdb.Error, match="run 4 has another entity or other features"):
        con.execute("SELECT * FROM segsql.assign('new_rows', run := 4)").fetchall()
    with pytest.raises(duckdb.Error, match="no successful run 7"):
        con.execute("SELECT * FROM segsql.assign('new_rows', run := 7)").fetchall()


def test_the_macro_reads_a_feature_named_like_its_parameters_from_the_rows():
    model = hand_model(entity="tbl", features=("run", "visits (n)"))
    con = duckdb.connect()
    _macro(con, model)
    direct = run_duckdb(model, GOOD_ROWS, con)
    assert con.execute("SELECT * FROM segsql.assign('new_rows')").fetchall() == direct


def test_the_macro_fails_on_bad_input_as_the_query_does():
    model = hand_model(impute="error", impute_values=(None, None))
    con = duckdb.connect()
    _macro(con, model)
    run_duckdb(model, [(1, None, 4.0)][:0], con)  # create the table, empty
    con.execute("INSERT INTO new_rows VALUES (1, NULL, 4.0)")
    with pytest.raises(duckdb.Error, match="feature column income is NULL"):
        con.execute("SELECT * FROM segsql.assign('new_rows')").fetchall()


# --- acceptance: every scoring path, the same rows or the same failure ---------------


@cache
def _customers() -> Dataset:
    return DATASETS["customers"]()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:  # noqa: ANN001
    """The customers dataset run once per impute rule (error, mean, drop)."""
    configs = {}
    for rule in ("error", "mean", "drop"):
        folder = tmp_path_factory.mktemp(f"impute-{rule}")
        config = dataclasses.replace(_customers(), impute=rule).config(folder, "standard")
        segsql.run(config)
        configs[rule] = config
    return configs


FEATURES = ("Annual_Income_K", "Spending_Score", "Purchase_Frequency")
# (rule, column, value, what the paths must agree on: "rows", "left out" or the failure's words)
CASES = [
    pytest.param("mean", "Spending_Score", None, "rows", id="null-imputed-by-mean"),
    pytest.param("drop", "Spending_Score", None, "left out", id="null-dropped"),
    pytest.param("error", "Spending_Score", None, "NULL", id="null-under-error"),
    pytest.param("error", "Spending_Score", NAN, "NaN or infinite", id="nan"),
    pytest.param("mean", "Spending_Score", NAN, "NaN or infinite", id="nan-is-not-imputed"),
    pytest.param("error", "Spending_Score", INF, "NaN or infinite", id="+inf"),
    pytest.param("error", "Purchase_Frequency", -INF, "NaN or infinite", id="-inf"),
    pytest.param("error", "Annual_Income_K", -1.0, "log1p", id="log1p-of-minus-one"),
    pytest.param("error", "Annual_Income_K", -7.5, "log1p", id="log1p-below-minus-one"),
    pytest.param("error", "Purchase_Frequency", -0.25, "sqrt", id="sqrt-of-a-negative"),
]


def _rows(column: str, value: float | None) -> list[tuple[Any, ...]]:
    """Twenty customers as they are, then one new customer (id 9001) with ``column`` = ``value``."""
    train = _customers().train.head(20)
    rows = [tuple(r) for r in train[["CustomerID", *FEATURES]].itertuples(index=False)]
    bad = [9001, 40.0, 60.0, 4.0]
    bad[1 + FEATURES.index(column)] = value
    return [(int(r[0]), *map(float, r[1:])) for r in rows] + [tuple(bad)]


def _arrow(rows: list[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    return pa.table(
        {"CustomerID": pa.array(columns[0], pa.int64())}
        | {f: pa.array(columns[1 + i], pa.float64()) for i, f in enumerate(FEATURES)}
    )


def _attempt(fn) -> pl.DataFrame | Exception:  # noqa: ANN001
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - compared below, whatever the engine raised
        return exc


def _score(config: Path, rows: list[tuple[Any, ...]], tmp: Path) -> pl.DataFrame:
    path = tmp / "new_rows.parquet"
    pq.write_table(_arrow(rows), path)
    return segsql.score(config, input=path)


def _macro_rows(config: Path, rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    with duckdb.connect(str(config.parent / "run.duckdb")) as con:
        con.register("rows_in", _arrow(rows))
        con.execute("CREATE OR REPLACE TABLE new_rows AS SELECT * FROM rows_in")
        return con.sql("SELECT * FROM segsql.assign('new_rows')").pl()


def _export_duckdb(config: Path, rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    query = export_sql(config, dialect="duckdb", table="new_rows")
    with duckdb.connect() as con:
        con.register("rows_in", _arrow(rows))
        con.execute("CREATE TABLE new_rows AS SELECT * FROM rows_in")
        return con.sql(query).pl()


def _export_postgres(config: Path, rows: list[tuple[Any, ...]], dsn: str) -> pl.DataFrame:
    import psycopg

    query = export_sql(config, dialect="postgres", table="new_rows")
    with psycopg.connect(dsn) as conn:
        load_rows(conn, "new_rows", ["CustomerID", *FEATURES], rows, entity="CustomerID")
        try:
            cur = conn.execute(query)
            names = [d.name for d in cur.description]
            return pl.DataFrame(cur.fetchall(), schema=names, orient="row")
        finally:
            conn.rollback()


@pytest.mark.service
@pytest.mark.parametrize(("rule", "column", "value", "expect"), CASES)
def test_score_the_macro_and_the_exported_queries_agree_on_bad_input(
    runs, postgres, tmp_path, rule, column, value, expect
):
    config = runs[rule]
    rows = _rows(column, value)
    results = {
        "segsql score": _attempt(lambda: _score(config, rows, tmp_path)),
        "assign macro": _attempt(lambda: _macro_rows(config, rows)),
        "export duckdb": _attempt(lambda: _export_duckdb(config, rows)),
        "export postgres": _attempt(lambda: _export_postgres(config, rows, postgres)),
    }
    if expect in ("rows", "left out"):
        failed = {path: repr(r) for path, r in results.items() if isinstance(r, Exception)}
        assert not failed
        reference = results["segsql score"]
        ids = [r[0] for r in rows]
        assert reference["CustomerID"].to_list() == (ids if expect == "rows" else ids[:-1])
        for path, frame in results.items():
            assert frame.columns == reference.columns, path
            for name in ("CustomerID", "segment", "segment_name", "is_outlier"):
                assert frame[name].to_list() == reference[name].to_list(), (path, name)
            for name in ("distance", "second_distance"):
                np.testing.assert_allclose(
                    frame[name].to_numpy(), reference[name].to_numpy(), rtol=1e-12, err_msg=f"{path} {name}"
                )
        return
    for path, result in results.items():
        assert isinstance(result, Exception), (path, result)
        text = str(result)
        assert column in text and expect in text, (path, text)
    assert isinstance(results["segsql score"], DataError)  # the counted message of its pre-check
    in_query = {path: raised(str(r)) for path, r in results.items() if path != "segsql score"}
    assert len(set(in_query.values())) == 1, in_query  # one message, word for word, on every engine
    assert next(iter(in_query.values())).startswith(f"feature column {column} ")
