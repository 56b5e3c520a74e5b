"""Scoring new transactions through a run's RFM recipe: ``segsql score --transactions``."""

from __future__ import annotations

import re
import textwrap
import warnings
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import segsql
from segsql.cli import app
from segsql.transactions import recipe_features

SCORED = ["customer", "segment", "segment_name", "distance", "second_distance", "is_outlier"]


def _transactions(customers: range, *, separator: str = ",") -> str:
    """Three kinds of customers: recent and frequent, lapsed, new and big-spending."""
    lines = [separator.join(["customer", "day", "amount"])]
    for c in customers:
        kind = c % 3
        orders = (8 + c % 4, 2 + c % 2, 1 + c % 2)[kind]
        last = date(2024, 6, 1) - timedelta(days=(2 + c % 5, 150 + c % 20, 1 + c % 3)[kind])
        for n in range(orders):
            when = last - timedelta(days=n * (9 + c % 3))
            amount = (20.0 + c % 7, 12.5 + c % 3, 300.0 + 10 * (c % 5))[kind] + n
            lines.append(separator.join([str(c), when.isoformat(), f"{amount:.2f}"]))
    return "\n".join(lines) + "\n"


def _config(folder: Path, *, separator: str = ",") -> Path:
    (folder / "sales.csv").write_text(_transactions(range(1, 46), separator=separator))
    path = folder / "shop.toml"
    delimiter = "" if separator == "," else f'delimiter = "{separator}"'
    path.write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "shop"
            database = "shop.duckdb"

            [sources.sales]
            path = "sales.csv"
            {delimiter}

            [features]
            entity = "customer"
            recipe = "rfm"

            [features.rfm]
            source = "sales"
            timestamp = "day"
            amount = "amount"
            as_of = 2024-06-02

            [features.transforms]
            monetary = "log1p"

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
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, segsql.RunResult]:
    config = _config(tmp_path_factory.mktemp("shop"))
    return config, segsql.run(config)


def _stored_features(result: segsql.RunResult, folder: Path, *, days: int = 0) -> Path:
    """The run's features table as a feature file, recency and tenure ``days`` later."""
    features = result.tables["features"].drop("run_id")
    later = features.with_columns(pl.col("recency_days", "tenure_days") + days)
    path = folder / f"features_{days}.parquet"
    later.write_parquet(path)
    return path


def test_scoring_transactions_gives_each_customer_the_runs_features_and_their_segment(shop, tmp_path):
    config, result = shop
    features = recipe_features(config, transactions=config.parent / "sales.csv")
    stored = result.tables["features"].drop("run_id").sort("customer")
    # the same values; the features table keeps every numeric feature as DOUBLE
    assert_frame_equal(features.sort("customer"), stored, check_dtypes=False, check_exact=True)

    scored = segsql.score(config, transactions=config.parent / "sales.csv")
    assert isinstance(scored, pl.DataFrame) and scored.columns == SCORED
    by_features = segsql.score(config, input=_stored_features(result, tmp_path))
    assert_frame_equal(scored.sort("customer"), by_features.sort("customer"))
    # the run's own customers land in the run's segments
    segments = result.segments.select("customer", "segment").sort("customer")
    assert_frame_equal(scored.select("customer", "segment").sort("customer"), segments)


def test_as_of_moves_the_recipe_date_for_new_transactions(shop, tmp_path):
    config, result = shop
    later = segsql.score(config, transactions=config.parent / "sales.csv", as_of="2024-06-12")
    by_features = segsql.score(config, input=_stored_features(result, tmp_path, days=10))
    assert_frame_equal(later.sort("customer"), by_features.sort("customer"))


def test_the_cli_scores_a_transactions_file_into_a_file(shop, tmp_path):
    config, result = shop
    new = tmp_path / "new.csv"
    new.write_text(_transactions(range(40, 61)))
    out = tmp_path / "scored.csv"
    args = ["score", str(config), "--transactions", str(new), "--as-of", "2024-06-02", "--output", str(out)]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    assert "Scored 21 rows" in outcome.output
    assert pl.read_csv(out).columns == SCORED


# two sales to no customer and one without an amount, after the run's own sales
_LEFT_OUT = ",2024-05-01,10.00\n,2024-05-03,12.00\n7,2024-05-02,\n"
_TOLD = (
    "[features.rfm] source 'sales': 2 transactions with a NULL entity ('customer') "
    "and 1 with a NULL amount ('amount') are left out"
)


def test_transactions_the_recipe_leaves_out_are_told_as_a_warning_as_a_run_records_them(shop, tmp_path):
    config, _ = shop
    sales = config.parent / "sales.csv"
    messy = tmp_path / "messy.csv"
    messy.write_text(sales.read_text() + _LEFT_OUT)
    with pytest.warns(segsql.SegsqlWarning) as caught:
        scored = segsql.score(config, transactions=messy)
    assert [str(w.message) for w in caught if issubclass(w.category, segsql.SegsqlWarning)] == [_TOLD]
    # the lines left out change nothing else
    assert_frame_equal(scored.sort("customer"), segsql.score(config, transactions=sales).sort("customer"))
    with pytest.warns(segsql.SegsqlWarning, match=re.escape(_TOLD)):
        recipe_features(config, transactions=messy)
    with warnings.catch_warnings():
        warnings.simplefilter("error", segsql.SegsqlWarning)  # a clean file: nothing to tell
        segsql.score(config, transactions=sales)


def test_the_cli_prints_each_warning_of_a_transactions_file_as_one_line(shop, tmp_path):
    config, _ = shop
    messy = tmp_path / "messy.csv"
    messy.write_text((config.parent / "sales.csv").read_text() + _LEFT_OUT)
    out = tmp_path / "scored.parquet"
    args = ["score", str(config), "--transactions", str(messy), "--output", str(out)]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stderr == f"Warning: {_TOLD}\n"
    assert "Scored 45 rows" in outcome.stdout and pl.read_parquet(out).height == 45


def test_new_transactions_are_read_with_the_sources_reader_options(tmp_path):
    config = _config(tmp_path, separator=";")
    result = segsql.run(config)
    new = tmp_path / "new.txt"
    new.write_text(_transactions(range(1, 46), separator=";"))
    scored = segsql.score(config, transactions=new)
    assert_frame_equal(
        scored.select("customer", "segment").sort("customer"),
        result.segments.select("customer", "segment").sort("customer"),
    )


def test_a_callers_own_view_named_like_the_transactions_source_is_never_replaced(shop):
    config, _ = shop
    with duckdb.connect(str(config.parent / "shop.duckdb")) as con:
        con.execute("CREATE TEMP VIEW sales AS SELECT 'mine' AS owner")
        with pytest.raises(segsql.DatabaseError, match="temporary object 'sales'"):
            segsql.score(config, transactions=config.parent / "sales.csv", con=con)
        assert con.execute("SELECT owner FROM sales").fetchall() == [("mine",)]
        con.execute("DROP VIEW sales")
        assert segsql.score(config, transactions=config.parent / "sales.csv", con=con).height == 45
        # nothing segsql made is left behind in the caller's connection
        assert con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal"
        ).fetchall() == [(0,)]


def test_the_recipe_is_replayed_at_the_as_of_the_run_was_given(tmp_path):
    config = _config(tmp_path)
    result = segsql.run(config, as_of="2024-06-12")  # not the config's 2024-06-02
    features = recipe_features(config, transactions=config.parent / "sales.csv")
    stored = result.tables["features"].drop("run_id").sort("customer")
    assert_frame_equal(features.sort("customer"), stored, check_dtypes=False, check_exact=True)
