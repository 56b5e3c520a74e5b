"""The ``features`` output table: each run's per-entity feature values, in original units."""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import segsql
from segsql import DatabaseError
from segsql.config import config_from_dict

# 40 customers in three groups; customer 7 has no income (imputed by the run, NULL as given)
ROWS = "\n".join(
    f"{i},{'' if i == 7 else 20 + (i % 3) * 40 + i * 0.25},{(i % 3) * 30 + (i % 5)},{'c' + str(i % 3)}"
    for i in range(1, 41)
)
CSV = "customer,income,score,tier\n" + ROWS + "\n"


def _config(folder: Path, columns: str, *, extra: str = "") -> Path:
    (folder / "people.csv").write_text(CSV)
    path = folder / "segsql.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "people"
            database = "run.duckdb"

            [sources.people]
            path = "people.csv"

            [features]
            entity = "customer"
            sql = '''SELECT customer, income, score, score * 2 + 1 AS double_score, tier,
                customer % 4 AS w FROM people'''
            columns = {columns}
            {extra}

            [preprocess]
            impute = "median"

            [model]
            k = 3
            k_range = [2, 3]
            n_init = 2

            [output]
            report = false
            """
        )
    )
    return path


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, segsql.RunResult]:
    folder = tmp_path_factory.mktemp("features_table")
    config = _config(folder, '["income", "score"]')
    return config, segsql.run(config)


def test_a_runs_features_table_holds_what_the_feature_query_returned(first_run):
    config, result = first_run
    stored = result.tables["features"]
    assert stored.columns == ["run_id", "customer", "income", "score"]
    expected = (
        duckdb.sql(
            f"SELECT customer, CAST(income AS DOUBLE) AS income, CAST(score AS DOUBLE) AS score "
            f"FROM read_csv('{config.parent / 'people.csv'}') ORDER BY customer"
        )
        .pl()
        .with_columns(pl.lit(result.run_id, dtype=pl.Int64).alias("run_id"))
        .select(stored.columns)
    )
    # original units: the NULL the run imputed is stored as NULL, the entity keeps its own type
    assert_frame_equal(stored.sort("customer"), expected)
    assert stored.filter(pl.col("customer") == 7)["income"].to_list() == [None]


def test_profiles_recomputed_from_features_and_segments_equal_the_profiles_means(first_run):
    config, result = first_run
    recomputed = segsql.query(
        config,
        "SELECT s.segment, avg(f.income) AS income, avg(f.score) AS score "
        "FROM segsql.features_latest AS f JOIN segsql.segments_latest AS s USING (run_id, customer) "
        "GROUP BY s.segment ORDER BY s.segment",
    )
    means = result.profiles.pivot(on="feature", index="segment", values="mean").sort("segment")
    assert_frame_equal(recomputed, means.select(recomputed.columns), check_dtypes=False)


def test_a_later_run_with_a_new_feature_adds_its_column_and_keeps_the_earlier_rows(tmp_path):
    config = _config(tmp_path, '["income", "score"]')
    first = segsql.run(config)
    config = _config(tmp_path, '["income", "score", "double_score"]')
    second = segsql.run(config)
    stored = second.tables["features"]
    assert stored["double_score"].to_list() == (stored["score"] * 2 + 1).to_list()
    earlier = segsql.query(
        config,
        "SELECT count(*) AS n, count(double_score) AS given FROM segsql.features "
        f"WHERE run_id = {first.run_id}",
    )
    assert earlier.row(0) == (40, 0)


def test_a_stored_feature_of_another_type_is_refused_and_the_run_writes_nothing(tmp_path):
    config = _config(tmp_path, '["income", "score"]')
    segsql.run(config)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("ALTER TABLE segsql.features ALTER score TYPE VARCHAR")
        before = con.execute("SELECT count(*) FROM segsql.features").fetchall()
    with pytest.raises(DatabaseError, match=r"segsql\.features.*'score'.*VARCHAR.*DOUBLE"):
        segsql.run(config)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        assert con.execute("SELECT count(*) FROM segsql.runs").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM segsql.features").fetchall() == before


def test_a_categorical_column_is_stored_as_its_text_and_the_weight_beside_it(tmp_path):
    config = _config(tmp_path, '["income", "score"]', extra='categorical = ["tier"]\nweight = "w"')
    stored = segsql.run(config).tables["features"].sort("customer")
    assert stored.columns == ["run_id", "customer", "income", "score", "tier", "w"]
    assert stored["tier"].dtype == pl.String and stored["w"].dtype == pl.Float64
    assert stored["tier"].to_list()[:4] == ["c1", "c2", "c0", "c1"]
    assert stored["w"].to_list()[:4] == [1.0, 2.0, 3.0, 0.0]


def test_the_features_table_can_be_published():
    config = config_from_dict(
        {
            "features": {"entity": "id", "sql": "SELECT 1 AS id"},
            "publish": [{"format": "parquet", "path": "lake", "tables": ["features", "segments"]}],
        }
    )
    assert config.publish[0].published == ("features", "segments")
