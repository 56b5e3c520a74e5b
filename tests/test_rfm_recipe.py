"""The RFM recipe as data comes: dates as integers or text in any format, logs without amounts,
and the features it can compute besides recency, frequency and monetary value."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

import segsql
from segsql import ConfigError, config_from_dict
from segsql.sources import register_sources
from segsql.steps.features import build_features

NEW = ["interpurchase_mean_days", "interpurchase_std_days", "order_trend"]


def features_of(tmp_path, rfm, *, text, sources=None):
    (tmp_path / "t.csv").write_text(text)
    rfm = {"source": "t", "timestamp": "at", "amount": "amount", "as_of": "2024-06-01", **rfm}
    rfm = {k: v for k, v in rfm.items() if v is not None}
    config = config_from_dict(
        {
            "sources": sources or {"t": {"path": "t.csv"}},
            "features": {"entity": "id", "recipe": "rfm", "rfm": rfm},
        },
        base_dir=tmp_path,
    )
    con = duckdb.connect()
    register_sources(con, config)
    features = build_features(con, config)
    return features, con.execute("SELECT * FROM segsql_features ORDER BY segsql_entity").fetchall()


ISO = "id,at,amount\na,2024-01-05,10\na,2024-03-01,5\nb,2024-05-30,2\n"


# --- timestamp_format --------------------------------------------------------------------------


def test_integer_yyyymmdd_dates_with_a_timestamp_format_give_the_iso_dates_features(tmp_path):
    _, iso = features_of(tmp_path, {}, text=ISO)
    integers = (
        ISO.replace("2024-01-05", "20240105")
        .replace("2024-03-01", "20240301")
        .replace("2024-05-30", "20240530")
    )
    _, got = features_of(tmp_path, {"timestamp_format": "%Y%m%d"}, text=integers)
    assert got == iso and iso[0] == ("a", 92, 2, 15.0, 7.5, 148)


def test_text_dates_in_another_form_are_read_with_the_format(tmp_path):
    _, iso = features_of(tmp_path, {}, text=ISO)
    text = (
        ISO.replace("2024-01-05", "5 Jan 2024")
        .replace("2024-03-01", "1 Mar 2024")
        .replace("2024-05-30", "30 May 2024")
    )
    assert features_of(tmp_path, {"timestamp_format": "%d %b %Y"}, text=text)[1] == iso


def test_a_format_for_a_column_the_reader_already_reads_as_dates_says_where_the_format_goes(tmp_path):
    # DuckDB's CSV reader detects 30/05/2024 as a date itself: the format belongs to the source
    text = (
        ISO.replace("2024-01-05", "05/01/2024")
        .replace("2024-03-01", "01/03/2024")
        .replace("2024-05-30", "30/05/2024")
    )
    with pytest.raises(
        ConfigError,
        match=r"timestamp_format: .*'at' of source 't' is read as DATE.*\[sources\.t\] date_format",
    ):
        features_of(tmp_path, {"timestamp_format": "%d/%m/%Y"}, text=text)
    sources = {"t": {"path": "t.csv", "date_format": "%d/%m/%Y"}}
    assert features_of(tmp_path, {}, text=text, sources=sources)[1] == features_of(tmp_path, {}, text=ISO)[1]


def test_a_format_with_an_offset_is_an_instant_placed_in_the_time_zone(tmp_path):
    # 23:30 at -05:00 is the next day in UTC: one day less of recency than the wall-clock date says
    text = "id,at,amount\na,2024-05-30 23:30 -0500,1\n"
    _, rows = features_of(tmp_path, {"timestamp_format": "%Y-%m-%d %H:%M %z"}, text=text)
    assert rows == [("a", 1, 1, 1.0, 1.0, 1)]
    _, rows = features_of(
        tmp_path, {"timestamp_format": "%Y-%m-%d %H:%M %z", "time_zone": "America/Los_Angeles"}, text=text
    )
    assert rows == [("a", 2, 1, 1.0, 1.0, 2)]


def test_an_integer_timestamp_without_a_format_suggests_timestamp_format(tmp_path):
    with pytest.raises(
        ConfigError,
        match=r"\[features\.rfm\] timestamp: .*'at' of source 't' is BIGINT.*timestamp_format = \"%Y%m%d\"",
    ):
        features_of(tmp_path, {}, text="id,at,amount\na,20240105,1\n")


def test_a_value_the_format_does_not_fit_is_named(tmp_path):
    with pytest.raises(segsql.QueryError, match=r"\[features\.rfm\].*2024-01-0x.*%Y%m%d"):
        features_of(
            tmp_path, {"timestamp_format": "%Y%m%d"}, text="id,at,amount\na,20240105,1\nb,2024-01-0x,2\n"
        )


@pytest.mark.parametrize(
    ("bad", "reason"), [("%Q", "not a strptime format DuckDB can use: '%Q'"), ("", "at least 1")]
)
def test_a_timestamp_format_duckdb_cannot_use_is_refused_at_load(tmp_path, bad, reason):
    with pytest.raises(ConfigError) as caught:
        features_of(tmp_path, {"timestamp_format": bad}, text=ISO)
    assert caught.value.key == "features.rfm.timestamp_format" and reason in str(caught.value)


# --- without amounts ---------------------------------------------------------------------------


def test_a_dates_only_log_gives_the_features_that_need_no_amount(tmp_path):
    features, rows = features_of(
        tmp_path, {"amount": None}, text="id,at\na,2024-01-05\na,2024-03-01\nb,2024-05-30\n"
    )
    assert features.columns == ("recency_days", "frequency", "tenure_days")
    assert rows == [("a", 92, 2, 148), ("b", 2, 1, 2)]


def test_without_amount_a_null_timestamp_is_the_only_thing_left_out(tmp_path):
    features, rows = features_of(tmp_path, {"amount": None}, text="id,at\na,2024-01-05\na,\nb,\n")
    assert rows == [("a", 148, 1, 148)]
    assert features.dropped_entities == 1
    assert features.warnings == (
        "[features.rfm] source 't': 2 transactions with a NULL timestamp ('at') are left out; "
        "1 entity has no other transaction and gets no segment",
    )


def test_transactions_of_no_entity_are_left_out_and_counted(tmp_path):
    # a real log has sales to no known customer (a quarter of the UCI Online Retail file): they
    # cannot be attributed, so they count for no one, as a transaction without a date is placed nowhere
    text = "id,at,amount\na,2024-01-05,10\n,2024-02-01,99\na,2024-03-01,5\n,2024-05-31,7\nb,2024-05-30,2\n"
    features, rows = features_of(tmp_path, {}, text=text)
    clean = tmp_path / "clean"
    clean.mkdir()
    _, without = features_of(clean, {}, text=ISO)  # the same log without them
    assert rows == without
    assert [r[0] for r in rows] == ["a", "b"]
    assert features.dropped_entities == 0
    assert features.warnings == (
        "[features.rfm] source 't': 2 transactions with a NULL entity ('id') are left out",
    )


def test_a_log_whose_transactions_have_no_entity_says_so(tmp_path):
    with pytest.raises(segsql.DataError, match=r"no transaction has an entity \('id'\)"):
        features_of(tmp_path, {}, text="id,at,amount\n,2024-01-05,10\n,2024-02-01,3\n")


def test_a_dates_only_log_runs_the_recipe_to_completion(tmp_path):
    rng = np.random.default_rng(3)
    lines = [
        f"c{c},{np.datetime64('2024-01-01') + int(d)}"
        for c in range(40)
        for d in rng.integers(0, 150, size=rng.integers(1, 6))
    ]
    (tmp_path / "visits.csv").write_text("id,at\n" + "\n".join(lines) + "\n")
    (tmp_path / "c.toml").write_text(
        '[project]\ndatabase = ":memory:"\n[sources.visits]\npath = "visits.csv"\n'
        '[features]\nentity = "id"\nrecipe = "rfm"\n'
        '[features.rfm]\nsource = "visits"\ntimestamp = "at"\nas_of = 2024-06-01\n'
        "[model]\nk = 3\nn_init = 2\n[output]\nreport = false\n"
    )
    result = segsql.run(tmp_path / "c.toml")
    assert set(result.profiles["feature"]) == {"recency_days", "frequency", "tenure_days"}
    assert result.segments.height == 40


# --- choosing the features, and the new ones -----------------------------------------------------


def test_features_are_the_ones_listed_in_their_order(tmp_path):
    features, rows = features_of(tmp_path, {"features": ["order_trend", "frequency"]}, text=ISO)
    assert features.columns == ("order_trend", "frequency")
    assert rows == [("a", -1.0, 2), ("b", 1.0, 1)]  # a: both orders 90 to 179 days before


@pytest.mark.parametrize(
    ("rfm", "fragments"),
    [
        ({"features": ["recency_days", "velocity"]}, ("'velocity'", "order_trend")),
        ({"features": []}, ("at least one",)),
        ({"features": ["frequency", "frequency"]}, ("twice",)),
        ({"amount": None, "features": ["recency_days", "monetary"]}, ("'monetary'", "amount")),
        ({"trend_days": 0}, ("greater than or equal to 1",)),
    ],
)
def test_a_feature_list_the_recipe_cannot_compute_is_refused_naming_the_key(tmp_path, rfm, fragments):
    with pytest.raises(ConfigError) as caught:
        features_of(tmp_path, rfm, text=ISO)
    assert caught.value.key.startswith("features.rfm.")
    assert all(f in str(caught.value) for f in fragments), str(caught.value)


def _independent(log: pd.DataFrame, as_of: str, window: int) -> pd.DataFrame:
    """The new features by their definitions (README, rfm.sql), in pandas."""
    log = log[log["at"] <= pd.Timestamp(as_of)].copy()
    log["day"] = log["at"].dt.normalize()
    log["before"] = (pd.Timestamp(as_of).normalize() - log["day"]).dt.days
    out = {}
    for entity, rows in log.groupby("id"):
        days = np.sort(rows["day"].unique())
        gaps = np.diff(days).astype("timedelta64[D]").astype(float)
        tenure = float(rows["before"].max())
        recent = int((rows["before"] < window).sum())
        previous = int(((rows["before"] >= window) & (rows["before"] < 2 * window)).sum())
        out[entity] = {
            "interpurchase_mean_days": gaps.mean() if len(gaps) else tenure,
            "interpurchase_std_days": gaps.std() if len(gaps) else 0.0,
            "order_trend": (recent - previous) / (recent + previous) if recent + previous else 0.0,
        }
    return pd.DataFrame.from_dict(out, orient="index").sort_index()


@pytest.mark.parametrize("window", [90, 30])
def test_the_new_features_match_their_definitions(tmp_path, window):
    rng = np.random.default_rng(11)
    rows = []
    for c in range(60):
        for _ in range(rng.integers(1, 9)):
            at = pd.Timestamp("2023-10-01") + pd.Timedelta(minutes=int(rng.integers(0, 330 * 24 * 60)))
            rows.append((f"c{c:02d}", at, 1.0))
    rows.append(("c00", rows[0][1].normalize() + pd.Timedelta(hours=23), 1.0))  # a second order that day
    log = pd.DataFrame(rows, columns=["id", "at", "amount"])
    text = log.assign(at=log["at"].dt.strftime("%Y-%m-%d %H:%M:%S")).to_csv(index=False)
    as_of = "2024-07-15 12:00:00"
    _, got = features_of(tmp_path, {"features": NEW, "as_of": as_of, "trend_days": window}, text=text)
    expected = _independent(log, as_of, window)
    assert [r[0] for r in got] == list(expected.index)
    for column, i in zip(NEW, range(1, 4), strict=True):
        assert [r[i] for r in got] == pytest.approx(expected[column].tolist(), rel=1e-12, abs=1e-12), column
    # the data has entities with one order day, with recent orders only, and with both windows
    assert (expected["interpurchase_std_days"] == 0).any() and expected["order_trend"].nunique() >= 3


def test_a_timestamp_format_holding_quotes_is_a_literal(tmp_path):
    text = "id,at,amount\na,2024'01'05 x,1\n"
    _, rows = features_of(tmp_path, {"timestamp_format": "%Y'%m'%d x"}, text=text)
    assert rows == [("a", 148, 1, 1.0, 1.0, 148)]
