"""Scoring new rows in SQL: equal to scikit-learn, the assign macro, outputs, and bad input."""

from __future__ import annotations

import subprocess
import sys
from functools import cache

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.metrics import pairwise_distances_argmin
from typer.testing import CliRunner

import segsql
from segsql import DatabaseError, DataError, SegsqlError
from segsql.cli import app
from segsql.scoring.export import export_sql

from .conftest import DATA
from .scoring_data import DATASETS, Dataset, mall_customers, reference


@cache
def dataset(name: str) -> Dataset:
    return DATASETS[name]()


def _sorted(frame: pl.DataFrame, entity: str) -> pl.DataFrame:
    return frame.sort(entity)


SCALINGS = ["standard", "minmax", "robust"]


@pytest.mark.parametrize("scaling", SCALINGS)
@pytest.mark.parametrize("name", list(DATASETS))
def test_sql_scoring_equals_scikit_learn_predict_on_training_and_new_rows(name, scaling, tmp_path):
    check_scoring_equals_scikit_learn(dataset(name), scaling, tmp_path)


@pytest.mark.parametrize("scaling", SCALINGS)
def test_sql_scoring_equals_scikit_learn_predict_on_the_shared_mall_customers(shared_data, scaling, tmp_path):
    check_scoring_equals_scikit_learn(mall_customers(shared_data), scaling, tmp_path)


def check_scoring_equals_scikit_learn(data: Dataset, scaling: str, tmp_path) -> None:
    """segsql score, the assign macro and the exported query against scikit-learn, row by row."""
    config = data.config(tmp_path, scaling)
    run = segsql.run(config)
    new = pd.concat([data.train, data.new_rows()], ignore_index=True)
    rows = tmp_path / "score_me.parquet"
    new.to_parquet(rows, index=False)

    scored = segsql.score(config, input=rows)
    assert isinstance(scored, pl.DataFrame)
    assert scored.columns == [
        data.entity,
        "segment",
        "segment_name",
        "distance",
        "second_distance",
        "is_outlier",
    ]
    assert scored[data.entity].to_list() == new[data.entity].to_list()  # every row, in input order

    ref = reference(data, scaling)
    # segsql numbers segments largest first; scikit-learn's own labels map one to one onto them
    trained = run.segments.sort(data.entity)
    pairs = set(zip(ref.kmeans.labels_.tolist(), trained["segment"].to_list(), strict=True))
    mapping = dict(pairs)
    assert len(pairs) == len(mapping) == len(set(mapping.values())) == data.k

    X = ref.scale(new[list(data.features)].to_numpy(dtype=float))
    predicted = np.array([mapping[label] for label in ref.kmeans.predict(X)])
    assert int((scored["segment"].to_numpy() != predicted).sum()) == 0

    # scikit-learn's argmin over segsql's own centroids, in segment order
    centroids = run.tables["centroids"].sort("segment")
    order = {f: i for i, f in enumerate(data.features)}
    C = np.zeros((data.k, len(data.features)))
    for row in centroids.iter_rows(named=True):
        C[row["segment"] - 1, order[row["feature"]]] = row["value_scaled"]
    assert int((scored["segment"].to_numpy() != pairwise_distances_argmin(X, C) + 1).sum()) == 0

    all_distances = np.sqrt(((X[:, None, :] - ref.kmeans.cluster_centers_[None, :, :]) ** 2).sum(axis=2))
    ordered = np.sort(all_distances, axis=1)
    np.testing.assert_allclose(scored["distance"].to_numpy(), ordered[:, 0], rtol=1e-9)
    np.testing.assert_allclose(scored["second_distance"].to_numpy(), ordered[:, 1], rtol=1e-9)

    # the training rows score as the run labelled them, at the distance it recorded
    again = scored.head(len(data.train)).sort(data.entity)
    assert again["segment"].to_list() == trained["segment"].to_list()
    np.testing.assert_allclose(again["distance"].to_numpy(), trained["distance"].to_numpy(), rtol=1e-9)

    # outliers: beyond the segment's 99th-percentile training distance, as stored with the run
    summary = run.segment_summary.sort("segment")
    for row in summary.iter_rows(named=True):
        members = trained.filter(pl.col("segment") == row["segment"])["distance"].to_numpy()
        assert row["p99_distance"] == pytest.approx(np.quantile(members, 0.99), rel=1e-12)
    p99 = dict(zip(summary["segment"].to_list(), summary["p99_distance"].to_list(), strict=True))
    expected = [
        d > p99[s] for s, d in zip(scored["segment"].to_list(), scored["distance"].to_list(), strict=True)
    ]
    assert scored["is_outlier"].to_list() == expected

    # the SQL macro (plain DuckDB) and the standalone exported query give the same rows
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("CREATE TABLE score_me AS SELECT * FROM read_parquet($p)", {"p": str(rows)})
        via_macro = con.sql("SELECT * FROM segsql.assign('score_me')").pl()
    assert via_macro.equals(scored)
    exported = export_sql(config, dialect="duckdb", table="score_me")
    with duckdb.connect() as bare:  # no segsql tables here: the query stands alone
        bare.execute("CREATE TABLE score_me AS SELECT * FROM read_parquet($p)", {"p": str(rows)})
        standalone = bare.sql(exported).pl()
    assert standalone[data.entity].to_list() == scored[data.entity].to_list()
    assert standalone["segment"].to_list() == scored["segment"].to_list()
    assert standalone["segment_name"].to_list() == scored["segment_name"].to_list()
    assert standalone["is_outlier"].to_list() == scored["is_outlier"].to_list()
    np.testing.assert_allclose(standalone["distance"].to_numpy(), scored["distance"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        standalone["second_distance"].to_numpy(), scored["second_distance"].to_numpy(), rtol=1e-12
    )


# --- one small run for everything else ----------------------------------------------


@pytest.fixture
def customers(tmp_path):
    """data/customers.csv with log1p, winsorizing and k = 4, run once into tmp_path/run.duckdb."""
    config = dataset("customers").config(tmp_path, "standard")
    segsql.run(config)
    return config


def _csv(tmp_path, text: str, name: str = "new.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


HEADER = "CustomerID,Annual_Income_K,Spending_Score,Purchase_Frequency\n"


def test_scoring_writes_parquet_and_csv_files_by_suffix(customers, tmp_path):
    rows = segsql.score(customers, input=DATA / "customers.csv")
    for suffix, read in ((".parquet", pl.read_parquet), (".csv", pl.read_csv)):
        out = tmp_path / f"scored{suffix}"
        summary = segsql.score(customers, input=DATA / "customers.csv", output=out)
        assert isinstance(summary, segsql.ScoreSummary)
        assert summary.rows == 200 and summary.written_to == str(out)
        assert summary.segments["rows"].sum() == 200
        written = read(out)
        assert written["CustomerID"].to_list() == rows["CustomerID"].to_list()
        assert written["segment"].to_list() == rows["segment"].to_list()
        np.testing.assert_allclose(written["distance"].to_numpy(), rows["distance"].to_numpy(), rtol=1e-15)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no partial files


def test_scoring_into_a_table_writes_it_in_the_run_database_and_replaces_it(customers, tmp_path):
    rows = segsql.score(customers, input=DATA / "customers.csv")
    segsql.score(customers, input=_csv(tmp_path, HEADER + "1,50,40,3\n"), into="main.scored")
    summary = segsql.score(customers, input=DATA / "customers.csv", into="main.scored")
    assert summary.written_to == "main.scored" and summary.rows == 200
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        table = con.sql("SELECT * FROM main.scored").pl()
    assert table.equals(rows)


def test_json_and_parquet_inputs_score_like_csv(customers, tmp_path):
    rows = segsql.score(customers, input=DATA / "customers.csv")
    with duckdb.connect() as con:
        for fmt in ("json", "parquet"):
            con.execute(
                f"COPY (SELECT * FROM read_csv($p)) TO '{tmp_path / ('in.' + fmt)}' (FORMAT {fmt})",
                {"p": str(DATA / "customers.csv")},
            )
    for fmt in ("json", "parquet"):
        assert segsql.score(customers, input=tmp_path / f"in.{fmt}").equals(rows), fmt


def test_a_table_in_the_run_database_can_be_scored(customers, tmp_path):
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("CREATE TABLE every AS SELECT * FROM read_csv($p)", {"p": str(DATA / "customers.csv")})
        con.execute("CREATE VIEW main.recent AS SELECT * FROM every WHERE CustomerID <= 10")
    scored = segsql.score(customers, table="recent")
    assert scored["CustomerID"].to_list() == list(range(1, 11))


def test_scoring_with_an_earlier_run_uses_that_runs_model(customers, tmp_path):
    text = customers.read_text().replace("k = 4\nk_range = [4, 4]", "k = 2\nk_range = [2, 2]")
    customers.write_text(text)
    segsql.run(customers)
    latest = segsql.score(customers, input=DATA / "customers.csv")
    first = segsql.score(customers, input=DATA / "customers.csv", run_id=1)
    # the two segments of run 2 keep the numbers of the run-1 segments they continue
    assert len(set(latest["segment"])) == 2 and set(latest["segment"]) <= {1, 2, 3, 4, 5, 6}
    assert sorted(set(first["segment"])) == [1, 2, 3, 4]
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("CREATE TABLE new_rows AS SELECT * FROM read_csv($p)", {"p": str(DATA / "customers.csv")})
        via_macro = con.sql("SELECT * FROM segsql.assign('new_rows', run := 1)").pl()
    assert via_macro.equals(first)


def test_a_row_far_from_every_segment_is_an_outlier(tmp_path):
    config = dataset("customers").config(tmp_path, "standard")
    config.write_text(config.read_text().replace("winsorize = [0.02, 0.98]", "winsorize = []"))
    segsql.run(config)
    scored = segsql.score(config, input=_csv(tmp_path, HEADER + "1,28.97,34.29,1.81\n2,5000,400,300\n"))
    assert scored["is_outlier"].to_list() == [False, True]
    assert scored["distance"][1] > 10 * scored["distance"][0]


def test_an_earlier_run_with_other_features_scores_with_its_own_features(customers, tmp_path):
    before = segsql.score(customers, input=DATA / "customers.csv")
    text = (
        customers.read_text()
        .replace(', "Purchase_Frequency"]', "]")
        .replace('"Purchase_Frequency" = "sqrt"', "")
    )
    customers.write_text(text)
    segsql.run(customers)  # run 2: two features
    assert segsql.score(customers, input=DATA / "customers.csv", run_id=1).equals(before)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("CREATE TABLE new_rows AS SELECT * FROM read_csv($p)", {"p": str(DATA / "customers.csv")})
        assert con.sql("SELECT count(*) FROM segsql.assign('new_rows')").fetchall() == [(200,)]
        with pytest.raises(duckdb.Error, match="run 1 has another entity or other features"):
            con.sql("SELECT * FROM segsql.assign('new_rows', run := 1)").fetchall()


def test_an_unknown_run_is_an_error(customers):
    with pytest.raises(DatabaseError, match="no run 99 in segsql.runs"):
        segsql.score(customers, input=DATA / "customers.csv", run_id=99)


def test_scoring_before_any_run_is_an_error(tmp_path):
    config = dataset("customers").config(tmp_path, "standard")
    duckdb.connect(str(tmp_path / "run.duckdb")).close()
    with pytest.raises(DatabaseError, match="no segsql runs"):
        segsql.score(config, input=DATA / "customers.csv")


# --- the SQL macro, with no Python in the query path ---------------------------------


def test_the_assign_macro_works_from_a_plain_duckdb_process(customers, tmp_path):
    db = tmp_path / "run.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE new_customers AS SELECT * FROM read_csv($p)", {"p": str(DATA / "customers.csv")}
        )
    program = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(db)!r}, read_only=True)\n"
        "query = \"SELECT segment, count(*) FROM segsql.assign('new_customers') GROUP BY ALL ORDER BY 1\"\n"
        "rows = con.execute(query).fetchall()\n"
        "assert not any(m.startswith('segsql') for m in sys.modules), 'segsql was imported'\n"
        "print(rows)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    expected = segsql.score(customers, input=DATA / "customers.csv").group_by("segment").len().sort("segment")
    assert done.stdout.strip() == str(
        list(zip(expected["segment"].to_list(), expected["len"].to_list(), strict=True))
    )


def test_the_assign_macro_names_a_null_feature_when_the_rule_is_error(customers, tmp_path):
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute(
            "CREATE TABLE holes AS SELECT 1 AS CustomerID, 50.0 AS Annual_Income_K, "
            "NULL::DOUBLE AS Spending_Score, 3.0 AS Purchase_Frequency"
        )
        with pytest.raises(duckdb.Error, match="feature column Spending_Score is NULL"):
            con.sql("SELECT * FROM segsql.assign('holes')").fetchall()
        with pytest.raises(duckdb.Error, match="no successful run 7"):
            con.sql("SELECT * FROM segsql.assign('holes', run := 7)").fetchall()


def test_the_assign_macro_follows_the_latest_run(customers, tmp_path):
    text = customers.read_text().replace("k = 4\nk_range = [4, 4]", "k = 3\nk_range = [3, 3]")
    customers.write_text(text)
    segsql.run(customers)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("CREATE TABLE new_rows AS SELECT * FROM read_csv($p)", {"p": str(DATA / "customers.csv")})
        segments = con.sql("SELECT DISTINCT segment FROM segsql.assign('new_rows') ORDER BY 1").fetchall()
    assert segments == [(1,), (2,), (3,)]


def test_a_database_made_before_scoring_existed_is_upgraded_by_the_next_run(customers, tmp_path):
    db = str(tmp_path / "run.duckdb")
    with duckdb.connect(db) as con:
        con.execute("DROP MACRO TABLE segsql.assign")
        con.execute("ALTER TABLE segsql.segment_summary DROP COLUMN p99_distance")
        con.execute("ALTER TABLE segsql.runs DROP COLUMN impute")
    with pytest.raises(DatabaseError, match=r"has no (impute|p99_distance) column .*run `segsql run` once"):
        segsql.score(customers, input=DATA / "customers.csv")
    segsql.run(customers)
    latest = segsql.score(customers, input=DATA / "customers.csv")
    old = segsql.score(customers, input=DATA / "customers.csv", run_id=1)
    assert latest["is_outlier"].null_count() == 0
    assert old["is_outlier"].null_count() == 200  # the old run has no stored p99 distances
    assert old["segment"].to_list() == latest["segment"].to_list()


# --- bad input: one line naming the column, nothing written --------------------------


def _nothing_written(tmp_path, out) -> None:
    assert not out.exists()
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name = 'scored'").fetchall()
    assert tables == []


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        (
            "CustomerID,Annual_Income_K,Purchase_Frequency\n1,50,3\n",
            r"feature column 'Spending_Score' is missing \(run 1 needs 'CustomerID', 'Annual_Income_K'",
        ),
        (
            "id,Annual_Income_K,Spending_Score,Purchase_Frequency\n1,50,40,3\n",
            "entity column 'CustomerID' is missing",
        ),
        (HEADER + "1,50,lots,3\n", "feature column 'Spending_Score' is VARCHAR, not numeric"),
        (
            HEADER + "1,50,,3\n2,60,,4\n3,55,40,2\n",
            "feature column 'Spending_Score' has 2 NULLs and run 1's impute rule is \"error\"",
        ),
        (
            HEADER + "1,-3,40,3\n",
            r"feature column 'Annual_Income_K' has values \(-3.0\) that log1p cannot take",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_column_and_nothing_is_written(customers, tmp_path, csv, message):
    path = _csv(tmp_path, csv)
    out = tmp_path / "scored.parquet"
    for target in ({"output": out}, {"into": "scored"}):
        with pytest.raises(DataError, match=message) as caught:
            segsql.score(customers, input=path, **target)
        assert "\n" not in str(caught.value)
        _nothing_written(tmp_path, out)


def test_nulls_are_imputed_with_the_runs_values(tmp_path):
    data = dataset("synthetic")
    config = data.config(tmp_path, "standard")
    segsql.run(config)
    row = data.train.iloc[[0]].copy()
    row["visits"], row["score"] = np.nan, np.nan
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        medians = dict(con.execute("SELECT feature, impute_value FROM segsql.scaler").fetchall())
    filled = row.copy()
    filled["visits"], filled["score"] = medians["visits"], medians["score"]
    row.to_parquet(tmp_path / "holes.parquet", index=False)
    filled.to_parquet(tmp_path / "filled.parquet", index=False)
    assert medians["visits"] == np.nanmedian(data.train["visits"])
    holes = segsql.score(config, input=tmp_path / "holes.parquet")
    assert holes.equals(segsql.score(config, input=tmp_path / "filled.parquet"))


def test_rows_with_nulls_are_left_out_when_the_rule_is_drop(tmp_path, write_config):
    config = dataset("customers").config(tmp_path, "standard")
    config.write_text(config.read_text().replace('impute = "error"', 'impute = "drop"'))
    segsql.run(config)
    scored = segsql.score(config, input=_csv(tmp_path, HEADER + "1,50,,3\n2,60,40,4\n"))
    assert scored["CustomerID"].to_list() == [2]


def test_an_output_that_is_not_parquet_or_csv_is_refused_before_scoring(customers, tmp_path):
    with pytest.raises(SegsqlError, match=r"must end in \.parquet, \.pq or \.csv"):
        segsql.score(customers, input=DATA / "customers.csv", output=tmp_path / "x.xlsx")
    with pytest.raises(SegsqlError, match="exactly one of an input file or a table"):
        segsql.score(customers)


def test_a_missing_input_file_is_an_error_naming_it(customers, tmp_path):
    with pytest.raises(segsql.SourceError, match="nope.csv: file not found"):
        segsql.score(customers, input=tmp_path / "nope.csv")


# --- the command ---------------------------------------------------------------------


def test_the_score_command_prints_rows_or_a_summary(customers, tmp_path):
    runner = CliRunner()
    shown = runner.invoke(app, ["score", str(customers), "--input", str(DATA / "customers.csv"), "-f", "csv"])
    assert shown.exit_code == 0, shown.output
    assert (
        shown.output.splitlines()[0] == "CustomerID,segment,segment_name,distance,second_distance,is_outlier"
    )
    assert len(shown.output.splitlines()) == 201
    written = runner.invoke(
        app, ["score", str(customers), "-i", str(DATA / "customers.csv"), "--into", "scored"]
    )
    assert written.exit_code == 0, written.output
    assert "Scored 200 rows with run 1 → scored" in written.output


def test_the_score_command_reports_bad_input_in_one_line(customers, tmp_path):
    path = _csv(tmp_path, "CustomerID,Annual_Income_K,Purchase_Frequency\n1,50,3\n")
    result = CliRunner().invoke(app, ["score", str(customers), "--input", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "'Spending_Score' is missing" in result.output
    assert len(result.output.strip().splitlines()) == 1
