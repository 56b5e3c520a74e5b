"""End to end: the seed's published numbers, scikit-learn equivalence, determinism."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import RobustScaler, StandardScaler

import segsql
from segsql import DataError

from .conftest import DATA, copy_config

# ../shared/seed/README.md, "Published values of that recipe on that data"
PUBLISHED = {
    2: (332.2527, 0.3701), 3: (234.1656, 0.3645), 4: (152.1728, 0.4465),
    5: (119.3729, 0.4444), 6: (99.1409, 0.4279), 7: (89.2077, 0.3981),
    8: (79.8204, 0.3438), 9: (71.3191, 0.3363), 10: (66.5644, 0.3203),
}  # fmt: skip
PUBLISHED_SEGMENTS = [  # size, (income, spending score, frequency) means
    (71, (55.3, 58.3, 11.6)), (50, (24.5, 29.3, 4.8)), (46, (89.0, 79.7, 19.8)), (33, (117.9, 51.5, 8.4)),
]  # fmt: skip


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    from .conftest import DATA

    tmp = tmp_path_factory.mktemp("seed")
    text = (
        (DATA / "customers.toml")
        .read_text()
        .replace('path = "customers.csv"', f'path = "{DATA / "customers.csv"}"')
    )
    path = tmp / "customers.toml"
    path.write_text(text)
    return segsql.run(path)


def test_the_seed_recipe_reproduces_the_published_sweep(seed_run):
    sweep = {row["k"]: row for row in seed_run.k_sweep.iter_rows(named=True)}
    assert sorted(sweep) == list(range(2, 11))
    for k, (inertia, silhouette) in PUBLISHED.items():
        assert round(sweep[k]["inertia"], 4) == inertia, k
        assert round(sweep[k]["silhouette"], 4) == silhouette, k
    assert [k for k, row in sweep.items() if row["chosen"]] == [4]


def test_the_seed_recipe_reproduces_the_published_segments(seed_run):
    assert seed_run.k == 4
    summary = seed_run.segment_summary.sort("segment")
    assert summary["size"].to_list() == [71, 50, 46, 33]
    assert summary["share"].to_list() == pytest.approx([0.355, 0.25, 0.23, 0.165])
    means = seed_run.profiles.pivot(on="feature", index="segment", values="mean").sort("segment")
    for row, (_, expected) in zip(means.iter_rows(named=True), PUBLISHED_SEGMENTS, strict=True):
        got = (row["Annual_Income_K"], row["Spending_Score"], row["Purchase_Frequency"])
        assert tuple(round(v, 1) for v in got) == expected


def test_seed_inertia_and_silhouette_are_recorded_with_the_run(seed_run):
    run = seed_run.tables["runs"].row(0, named=True)
    assert round(run["inertia"], 4) == 152.1728
    assert round(run["silhouette"], 4) == 0.4465
    assert run["status"] == "success" and run["k"] == 4 and run["input_rows"] == 200
    assert seed_run.segments.height == 200


def test_the_bundled_customers_csv_is_what_the_generator_makes(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "c.csv"
    subprocess.run([sys.executable, str(DATA / "make_customers.py"), "-o", str(out)], check=True)
    assert out.read_bytes() == (DATA / "customers.csv").read_bytes()


# --- scikit-learn equivalence ------------------------------------------------


def _sklearn_labels(X: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    km = KMeans(n_clusters=k, n_init=10, random_state=42).fit(X)
    return km.labels_, km.inertia_


def _compare(result: segsql.RunResult, entity: str, ids: np.ndarray, X: np.ndarray) -> None:
    labels, inertia = _sklearn_labels(X, result.k)
    ours = result.segments.sort(entity)
    assert ours[entity].to_numpy().tolist() == ids.tolist()
    assert adjusted_rand_score(labels, ours["segment"].to_numpy()) == 1.0
    assert result.metrics["inertia"] == pytest.approx(inertia, rel=1e-9)


def test_labels_equal_scikit_learn_on_the_seed_customers(seed_run):
    frame = pd.read_csv(DATA / "customers.csv").sort_values("CustomerID")
    X = StandardScaler().fit_transform(frame[["Annual_Income_K", "Spending_Score", "Purchase_Frequency"]])
    _compare(seed_run, "CustomerID", frame["CustomerID"].to_numpy(), X)


def test_labels_equal_scikit_learn_on_wholesale_with_log_winsorize_and_robust_scaling(tmp_path):
    result = segsql.run(copy_config("wholesale.toml", tmp_path))
    frame = pd.read_csv(DATA / "wholesale.csv").sort_values("customer_id")
    columns = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    logged = np.log(1 + frame[columns].to_numpy(dtype=float))
    low, high = np.quantile(logged, 0.01, axis=0), np.quantile(logged, 0.99, axis=0)
    X = RobustScaler().fit_transform(np.clip(logged, low, high))
    _compare(result, "customer_id", frame["customer_id"].to_numpy(), X)


def _rfm_reference(invoices: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """RFM in pandas, written independently of queries/features/rfm.sql."""
    as_of_ts = pd.Timestamp(as_of)
    kept = invoices[invoices["InvoiceDate"] <= as_of_ts]
    grouped = kept.groupby("CustomerID")
    frame = pd.DataFrame(
        {
            "recency_days": (as_of_ts - grouped["InvoiceDate"].max()).dt.days,
            "frequency": grouped.size(),
            "monetary": grouped["TotalPrice"].sum(),
            "tenure_days": (as_of_ts - grouped["InvoiceDate"].min()).dt.days,
        }
    )
    frame["avg_order_value"] = frame["monetary"] / frame["frequency"]
    return frame.reset_index().sort_values("CustomerID")


def test_rfm_labels_equal_scikit_learn_on_real_retail_invoices(tmp_path):
    result = segsql.run(copy_config("retail.toml", tmp_path))
    invoices = pd.read_csv(DATA / "online_retail.csv", parse_dates=["InvoiceDate"])
    frame = _rfm_reference(invoices, "2011-12-10")
    assert result.tables["runs"]["input_rows"][0] == len(frame) == 4338
    columns = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]
    values = frame[columns].to_numpy(dtype=float)
    values[:, 1:4] = np.log(1 + values[:, 1:4])
    X = StandardScaler().fit_transform(values)
    _compare(result, "CustomerID", frame["CustomerID"].to_numpy(), X)


def test_mall_customers_with_spaces_dollars_and_parentheses_in_names(shared_data, tmp_path, write_config):
    config = write_config(
        f"""
        [project]
        database = "mall.duckdb"
        [sources."mall (2024)"]
        path = "{shared_data / "Mall_Customers.csv"}"
        [features]
        entity = "CustomerID"
        sql = 'SELECT * FROM "mall (2024)"'
        columns = ["Annual Income (k$)", "Spending Score (1-100)"]
        [features.labels]
        "Annual Income (k$)" = "income"
        [model]
        k = 5
        """
    )
    result = segsql.run(config)
    frame = pd.read_csv(shared_data / "Mall_Customers.csv").sort_values("CustomerID")
    X = StandardScaler().fit_transform(frame[["Annual Income (k$)", "Spending Score (1-100)"]])
    _compare(result, "CustomerID", frame["CustomerID"].to_numpy(), X)
    assert set(result.profiles["feature"]) == {"Annual Income (k$)", "Spending Score (1-100)"}
    centroids = result.tables["centroids"]
    assert set(centroids["feature"]) == {"Annual Income (k$)", "Spending Score (1-100)"}


def test_a_column_name_with_quotes_works_end_to_end(write_config):
    csv = 'id,"say ""hi""",it\'s;x,plain\n' + "".join(
        f"{i},{i % 7},{(i * 3) % 11},{i % 5}\n" for i in range(1, 60)
    )
    config = write_config(
        """
        [project]
        database = ":memory:"
        [sources.data]
        path = "odd.csv"
        [features]
        entity = "id"
        sql = "SELECT * FROM data"
        [model]
        k = 3
        k_range = [2, 4]
        """,
        odd__csv=csv,
    )
    result = segsql.run(config)
    assert set(result.profiles["feature"]) == {'say "hi"', "it's;x", "plain"}
    assert result.segments.height == 59


# --- determinism, connections, failures ----------------------------------------


def test_the_same_config_run_twice_gives_identical_segments(customers_config):
    first = segsql.run(customers_config)
    second = segsql.run(customers_config)
    assert second.run_id == first.run_id + 1
    assert first.segments.drop("run_id").equals(second.segments.drop("run_id"))
    assert first.tables["centroids"].drop("run_id").equals(second.tables["centroids"].drop("run_id"))


def test_latest_views_show_only_the_latest_run(customers_config):
    segsql.run(customers_config)
    second = segsql.run(customers_config)
    with duckdb.connect(str(customers_config.parent / "run.duckdb"), read_only=True) as con:
        for table in ("segments", "k_sweep", "scaler", "centroids", "profiles", "segment_summary", "runs"):
            ids = con.execute(f"SELECT DISTINCT run_id FROM segsql.{table}_latest").fetchall()
            assert ids == [(second.run_id,)], table
        assert con.execute("SELECT count(*) FROM segsql.segments").fetchall() == [(400,)]


def test_a_callers_connection_is_written_to_and_left_open(customers_config):
    con = duckdb.connect()
    result = segsql.run(customers_config, con=con)
    assert con.execute("SELECT count(*) FROM segsql.segments_latest").fetchall() == [(200,)]
    assert result.k == 4
    assert not (customers_config.parent / "run.duckdb").exists()


def test_a_failed_run_leaves_the_previous_tables_exactly_as_they_were(customers_config, tmp_path):
    segsql.run(customers_config)
    db = str(customers_config.parent / "run.duckdb")

    def snapshot() -> dict[str, list]:
        with duckdb.connect(db, read_only=True) as con:
            return {
                t: con.execute(f"SELECT * FROM segsql.{t} ORDER BY ALL").fetchall()
                for t in ("runs", "segments", "k_sweep", "centroids", "profiles", "segment_summary", "scaler")
            }

    before = snapshot()
    bad = customers_config.read_text().replace("k = 4", "k = 500")
    customers_config.write_text(bad)
    with pytest.raises(DataError, match="k = 500 but there are only 200 rows"):
        segsql.run(customers_config)
    assert snapshot() == before


def test_a_failure_inside_the_write_transaction_rolls_back(customers_config, monkeypatch):
    first = segsql.run(customers_config)
    import segsql.steps.writeback as writeback

    def boom(*args, **kwargs):
        raise RuntimeError("disk full, say")

    # the last thing written before COMMIT
    monkeypatch.setattr(writeback, "create_assign_macro", boom)
    with pytest.raises(RuntimeError):
        segsql.run(customers_config)
    with duckdb.connect(str(customers_config.parent / "run.duckdb"), read_only=True) as con:
        assert con.execute("SELECT max(run_id), count(*) FROM segsql.runs").fetchall() == [(first.run_id, 1)]
        assert con.execute("SELECT count(*) FROM segsql.segments").fetchall() == [(200,)]


def test_run_result_frames_are_polars(seed_run):
    assert isinstance(seed_run.segments, pl.DataFrame)
    assert seed_run.segments.columns == ["run_id", "CustomerID", "segment", "distance"]
    assert seed_run.segments["CustomerID"].dtype == pl.Int64


def test_zero_padded_text_ids_stay_text_in_the_segments_table(shared_data, write_config):
    config = write_config(
        f"""
        [project]
        database = ":memory:"
        [sources.purchases]
        path = "{shared_data / "CDNOW_master.csv"}"
        [features]
        entity = "customer_id"
        recipe = "rfm"
        [features.rfm]
        source = "purchases"
        timestamp = "date"
        amount = "dollar_value"
        as_of = 1998-07-01
        [features.transforms]
        monetary = "log1p"
        frequency = "log1p"
        [model]
        k = 3
        k_range = [2, 3]
        n_init = 2
        """
    )
    result = segsql.run(config)
    segments = result.segments.sort("customer_id")
    assert segments["customer_id"].dtype == pl.String
    assert segments["customer_id"][0] == "00001"
    assert segments.height == 23570
