"""No silently wrong result (issue 10, class 4): scales, overflow, time zones, NULL transactions, as_of.

Each test here is a way a run used to finish with exit 0 and a wrong answer: a
feature that is not constant called constant and left unscaled, ``inf`` means
from values near the double range, RFM recency that depends on the machine's
time zone, transactions with a NULL timestamp or amount dropped without a word,
an ``as_of`` time of day cut to midnight.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pytest

import segsql
from segsql import ConfigError, DataError, config_from_dict
from segsql.config import load_config
from segsql.session import Session
from segsql.sources import register_sources
from segsql.steps import profiles
from segsql.steps.features import build_features
from segsql.steps.matrix import load_matrix
from segsql.steps.preprocess import preprocess

ROOT = Path(__file__).resolve().parent.parent
# 2·Φ⁻¹(0.75): the interquartile range of a normal distribution with a standard deviation of 1
NORMAL_IQR = 1.3489795003921634


def _mostly_zeros_csv(path: Path) -> Path:
    """40 rows: `a` is 0 but for two rows (IQR 0, not constant), `b` has two clear groups."""
    rows = ["id,a,b,c"]
    for i in range(40):
        a = 1000.0 if i in (3, 27) else 0.0
        b = (1.0 if i < 20 else 10.0) + (i % 5) * 0.1
        rows.append(f"{i},{a},{b},7.0")
    path.write_text("\n".join(rows) + "\n")
    return path


def _config(tmp_path: Path, *, scaling: str = "robust", winsorize: list[float] | None = None, **features):
    return config_from_dict(
        {
            "project": {"database": ":memory:"},
            "sources": {"t": {"path": str(_mostly_zeros_csv(tmp_path / "t.csv"))}},
            "features": {"entity": "id", "sql": "SELECT * FROM t", **features},
            "preprocess": {"scaling": scaling, "winsorize": winsorize or []},
            "model": {"k": 2, "k_range": [2, 3], "n_init": 2},
            "output": {"report": False},
        },
        base_dir=tmp_path,
    )


def _preprocessed(config):
    con = duckdb.connect()
    register_sources(con, config)
    features = build_features(con, config)
    return con, features, preprocess(con, config, features)


# --- a zero scale falls back to a spread the data has ------------------------


def test_a_robust_scale_of_zero_on_a_varying_feature_falls_back_to_its_standard_deviation(tmp_path):
    result = segsql.run(_config(tmp_path, scaling="robust"))
    a = np.array([1000.0 if i in (3, 27) else 0.0 for i in range(40)])
    scaler = result.tables["scaler"].to_pandas().set_index("feature")
    assert scaler.loc["a", "scale"] == pytest.approx(NORMAL_IQR * a.std())
    assert scaler.loc["a", "center"] == 0.0
    assert scaler.loc["c", "scale"] == 1.0  # c is truly constant
    warnings = list(result.warnings)
    # (the diagnostics add their own advice about a's skew: not this test's subject)
    about_a = [w for w in warnings if "'a'" in w and "skewness" not in w and "distance variance" not in w]
    assert len(about_a) == 1 and "constant" not in about_a[0]
    assert "interquartile range is 0" in about_a[0] and "standard deviation" in about_a[0]
    assert [w for w in warnings if "'c'" in w] == [
        "feature 'c' is constant after preprocessing: scaled to 0, it does not influence the segments"
    ]
    assert json.loads(result.tables["runs"]["warnings"][0]) == warnings


@pytest.mark.parametrize("scaling", ["standard", "minmax", "robust", "none"])
def test_only_a_truly_constant_feature_is_called_constant_under_every_scaling(tmp_path, scaling):
    con, _, pre = _preprocessed(_config(tmp_path, scaling=scaling))
    constant = [w for w in pre.warnings if "constant" in w]
    assert len(constant) == 1 and constant[0].startswith("feature 'c' is constant after preprocessing")
    a, b, c = pre.scalers
    assert a.scale > 1.0 or scaling == "none"  # never "left unscaled" when it varies
    X = load_matrix(con, pre.columns)
    assert np.isfinite(X).all()
    assert len(set(X[:, 2])) == 1  # the constant stays one value, whatever the scaling


def test_a_feature_that_winsorizing_clips_to_one_value_is_said_to_be_so(tmp_path):
    _, _, pre = _preprocessed(_config(tmp_path, scaling="robust", winsorize=[0.1, 0.9]))
    about_a = [w for w in pre.warnings if "'a'" in w]
    assert about_a == [
        "feature 'a' is constant after winsorizing ([preprocess] winsorize = [0.1, 0.9] clips every "
        "value to 0.0): scaled to 0, it does not influence the segments"
    ]
    assert pre.scalers[0].scale == 1.0


# --- values near the limits of a double -------------------------------------


def _huge_config(tmp_path: Path, scaling: str):
    return config_from_dict(
        {
            "project": {"database": ":memory:"},
            "features": {
                "entity": "id",
                "sql": "SELECT range AS id, CASE WHEN range % 3 = 0 THEN 1e307 ELSE range * 1e306 END AS a, "
                "range % 7 * 1.0 AS b FROM range(40)",
            },
            "preprocess": {"scaling": scaling},
            "model": {"k": 2, "k_range": [2, 3], "n_init": 2},
            "output": {"report": False},
        },
        base_dir=tmp_path,
    )


@pytest.mark.parametrize("scaling", ["standard", "minmax", "robust", "none"])
def test_values_whose_sums_overflow_a_double_are_refused_naming_the_feature(tmp_path, scaling):
    with pytest.raises(DataError, match=r"feature column 'a' has values as large as 3.8e\+307.*overflow"):
        segsql.run(_huge_config(tmp_path, scaling))
    # large values that cannot overflow still run, and their profiles are finite
    config = config_from_dict(
        _huge_config(tmp_path, scaling).to_dict()
        | {"features": {"entity": "id", "sql": "SELECT range AS id, range % 9 * 1e140 AS a FROM range(40)"}},
        base_dir=tmp_path,
    )
    assert np.isfinite(segsql.run(config).profiles["std"].to_numpy()).all()


def test_profiles_refuse_a_statistic_that_overflows_rather_than_store_it(tmp_path):
    # the features step refuses such values first; the profiles check is the last line
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE segsql_features AS "
        "SELECT range AS segsql_entity, CASE WHEN range < 5 THEN 1.7e308 ELSE 0.0 END AS a FROM range(10)"
    )
    con.execute(
        "CREATE TEMP TABLE segsql_labels AS SELECT range AS segsql_entity, 1 AS segment FROM range(10)"
    )
    con.execute(  # the scaled values (the contrast in the model's space reads them)
        "CREATE TEMP TABLE segsql_scaled AS SELECT range AS segsql_entity, range AS segsql_row, "
        "CASE WHEN range < 5 THEN 1.0 ELSE -1.0 END AS a FROM range(10)"
    )
    session = Session(config=_huge_config(tmp_path, "standard"), con=con)

    class Pre:
        columns = ("a",)
        n_rows = 10

    class Unweighted:  # what profiles read of the features step: no sample weight, no categories
        weight = None
        categorical = ()

    with pytest.raises(DataError, match=r"feature 'a'.*overflow"):
        profiles.build(session, {"preprocess": Pre(), "features": Unweighted()})


def test_the_map_refuses_coordinates_that_overflow_rather_than_store_them(tmp_path):
    from types import SimpleNamespace

    from segsql.session import Matrix
    from segsql.steps import projection

    # the features step refuses such values first; the map's check is the last line
    X = np.array([[1e300, 0.0], [-1e300, 1.0], [1e300, 2.0], [-1e300, 3.0]])
    labels = np.array([1, 2, 1, 2])
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE segsql_scaled AS SELECT range AS segsql_row, range AS segsql_entity FROM range(4)"
    )
    session = Session(config=_huge_config(tmp_path, "none"), con=con)
    session.matrix = Matrix(X=X, labels=labels)
    results = {
        "model": SimpleNamespace(centers=np.array([[1e300, 1.0], [-1e300, 2.0]])),
        "preprocess": SimpleNamespace(columns=("a", "b"), n_rows=4),
        "lifecycle": SimpleNamespace(segments=(1, 2)),
    }
    with pytest.raises(DataError, match=r"2-D map of features 'a', 'b' is not finite"):
        projection.build(session, results)


# --- RFM: one day boundary, whatever the machine ------------------------------

TZ_SALES = """\
cust,at,amount
a,2024-01-10 12:00:00+00,30.0
a,2024-01-20 23:30:00+00,10.0
b,2024-01-05 08:00:00+00,5.0
c,2024-01-15 02:00:00+00,7.5
"""


def _rfm_config(tmp_path: Path, csv: str, *, model: dict | None = None, **rfm):
    (tmp_path / "sales.csv").write_text(csv)
    return config_from_dict(
        {
            "project": {"database": ":memory:"},
            "sources": {"sales": {"path": str(tmp_path / "sales.csv")}},
            "features": {
                "entity": "cust",
                "recipe": "rfm",
                "rfm": {"source": "sales", "timestamp": "at", "amount": "amount", "as_of": "2024-01-21"}
                | rfm,
            },
            "preprocess": {"impute": "error"},
            "model": model or {"k": 2, "k_range": [2, 3], "n_init": 2},
            "output": {"report": False},
        },
        base_dir=tmp_path,
    )


def _rfm_rows(config, con=None):
    con = con or duckdb.connect()
    register_sources(con, config)
    features = build_features(con, config)
    return features, con.execute("SELECT * FROM segsql_features ORDER BY segsql_entity").fetchall()


@pytest.mark.parametrize("machine", ["Asia/Tokyo", "America/Los_Angeles"])
def test_rfm_days_are_utc_days_whatever_the_sessions_time_zone(tmp_path, machine):
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{machine}'")
    _, rows = _rfm_rows(_rfm_config(tmp_path, TZ_SALES), con)
    assert rows == [
        ("a", 1.0, 2.0, 40.0, 20.0, 11.0),  # 23:30 UTC on the 20th is before as_of, one day ago
        ("b", 16.0, 1.0, 5.0, 5.0, 16.0),
        ("c", 6.0, 1.0, 7.5, 7.5, 6.0),
    ]


def test_rfm_features_are_the_same_under_two_machine_time_zones(tmp_path):
    _rfm_config(tmp_path, TZ_SALES)  # writes sales.csv
    script = textwrap.dedent(
        f"""
        import duckdb
        from segsql import config_from_dict
        from segsql.sources import register_sources
        from segsql.steps.features import build_features
        config = config_from_dict({{
            "sources": {{"sales": {{"path": {str(tmp_path / "sales.csv")!r}}}}},
            "features": {{"entity": "cust", "recipe": "rfm", "rfm": {{"source": "sales",
                "timestamp": "at", "amount": "amount", "as_of": "2024-01-21"}}}}}})
        con = duckdb.connect()
        register_sources(con, config)
        build_features(con, config)
        print(con.execute("SELECT * FROM segsql_features ORDER BY segsql_entity").fetchall())
        """
    )
    outputs = []
    for zone in ("Asia/Tokyo", "America/Los_Angeles"):
        env = os.environ | {"TZ": zone}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert "('a', 1.0, 2.0, 40.0, 20.0, 11.0)" in outputs[0]


def test_rfm_days_follow_the_configured_time_zone(tmp_path):
    _, rows = _rfm_rows(_rfm_config(tmp_path, TZ_SALES, time_zone="Europe/Paris"))
    # 23:30 UTC on the 20th is 00:30 on the 21st in Paris: after as_of (midnight), not counted
    assert rows[0] == ("a", 11.0, 1.0, 30.0, 30.0, 11.0)


def test_text_timestamps_with_an_offset_are_read_as_instants(tmp_path):
    # a text column (the sniffer cannot type it: two forms), with and without an offset
    csv = "cust,at,amount\na,2024-01-20T23:30:00Z,1.0\na,2024-01-21T00:30:00+02:00,1.0\n"
    csv += "b,2024-01-20 23:30:00,1.0"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Tokyo'")
    _, rows = _rfm_rows(_rfm_config(tmp_path, csv + "\n", time_zone="UTC"), con)
    # the +02:00 row is 22:30 UTC on the 20th; a time without an offset is taken as written
    assert [(r[0], r[1], r[2]) for r in rows] == [("a", 1.0, 2.0), ("b", 1.0, 1.0)]


def test_an_unknown_rfm_time_zone_is_refused_at_load(tmp_path):
    with pytest.raises(ConfigError, match=r"\[features.rfm\] time_zone: .*'Mars/Olympus'"):
        _rfm_config(tmp_path, TZ_SALES, time_zone="Mars/Olympus")


# --- RFM: NULL timestamps and amounts are counted, not lost --------------------

NULL_SALES = """\
cust,at,amount
a,2024-01-01,10.0
a,,30.0
b,2024-01-05,
b,2024-01-06,5.0
c,,7.0
c,2024-01-07,
d,2024-01-02,1.0
e,2024-01-03,2.0
f,2024-01-09,50.0
g,2024-01-12,60.0
"""


def test_transactions_without_a_timestamp_or_an_amount_are_reported_and_their_entities_counted(tmp_path):
    result = segsql.run(_rfm_config(tmp_path, NULL_SALES))
    warning = next(w for w in result.warnings if "NULL" in w)
    assert warning == (
        "[features.rfm] source 'sales': 2 transactions with a NULL timestamp ('at') and 2 with a "
        "NULL amount ('amount') are left out; 1 entity has no other transaction and gets no segment"
    )
    runs = result.tables["runs"]
    assert runs["dropped_rows"][0] == 1
    assert warning in json.loads(runs["warnings"][0])
    segments = result.segments.sort("cust")
    assert segments["cust"].to_list() == ["a", "b", "d", "e", "f", "g"]


def test_a_transaction_without_an_amount_is_not_counted_as_an_order(tmp_path):
    _, rows = _rfm_rows(_rfm_config(tmp_path, NULL_SALES))
    b = next(r for r in rows if r[0] == "b")
    assert b[2:5] == (1.0, 5.0, 5.0)  # frequency, monetary, average order: the one priced order


# --- RFM: as_of means what it says ------------------------------------------------

TIMED_SALES = """\
cust,at,amount
a,2024-01-21 10:00:00,10.0
a,2024-01-21 15:00:00,99.0
b,2024-01-05 08:00:00,5.0
"""


def test_an_as_of_with_a_time_of_day_counts_events_up_to_that_time(tmp_path):
    _, rows = _rfm_rows(_rfm_config(tmp_path, TIMED_SALES, as_of="2024-01-21T12:00:00"))
    assert rows[0] == ("a", 0.0, 1.0, 10.0, 10.0, 0.0)  # the 15:00 order is after as_of


def test_an_as_of_that_is_only_a_time_is_refused(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(
        '[features]\nentity = "c"\nrecipe = "rfm"\n[features.rfm]\nsource = "s"\n'
        'timestamp = "t"\namount = "a"\nas_of = 12:00:00\n'
    )
    with pytest.raises(ConfigError, match=r"\[features.rfm\] as_of: must be a date"):
        load_config(config)


def test_an_as_of_before_every_transaction_names_the_key_and_the_first_date(tmp_path):
    with pytest.raises(ConfigError) as caught:
        _rfm_rows(_rfm_config(tmp_path, TIMED_SALES, as_of="2023-12-31"))
    message = str(caught.value)
    assert "[features.rfm] as_of" in message and "2024-01-05 08:00:00" in message
    assert "queries/" not in message and "rfm.sql" not in message
