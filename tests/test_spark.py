"""The Spark engine (README, "Spark"): the same config on Spark gives the DuckDB engine's run.

One local Spark session (``local[2]``) serves every test here; the tests skip,
saying why, when pyspark or Java is missing. Each acceptance config runs once
under each engine, and every table is compared: labels, centroids, scaler,
profiles and summaries, values to 1e-9 relative.
"""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from pathlib import Path
from unittest import mock

import duckdb
import numpy as np
import polars as pl
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

import segsql
from segsql.config import RFM_FEATURES, config_from_dict
from segsql.errors import ConfigError, DatabaseError, QueryError

from .safety import kill, start_run, wait_for_pause

DATA = Path(__file__).resolve().parent.parent / "data"


def _why_not() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[test]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (apt-get install openjdk-17-jre-headless)"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("segsql tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("warehouse")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _both(
    data: dict, base_dir: Path, tmp: Path, spark, ran: list[str] | None = None, **spark_keys
) -> tuple[segsql.RunResult, segsql.RunResult]:
    """The config run by the DuckDB engine and by the Spark engine (a sample as large as the data);
    ``ran`` gets the names of the DuckDB query files the Spark run executed."""
    data = {**data, "output": {"dir": str(tmp / "out"), "report": False}}
    duck = {**data, "project": {**data["project"], "database": str(tmp / "duck.duckdb")}}
    on_spark = {
        **data,
        "project": {**data["project"], "database": str(tmp / "spark.duckdb"), "engine": "spark"},
        "model": {**data.get("model", {}), "sweep_sample": 0},
        "spark": {"output": str(tmp / "segments/"), **spark_keys},
    }
    a = segsql.run(config_from_dict(duck, base_dir=base_dir))
    config = config_from_dict(on_spark, base_dir=base_dir)
    execute = segsql.sql.execute

    def recorded(con, name, *args, **kwargs):
        if ran is not None:
            ran.append(name)
        return execute(con, name, *args, **kwargs)

    with mock.patch.object(segsql.sql, "execute", recorded):
        b = segsql.run(config, spark=spark)
    assert spark.range(3).count() == 3  # the caller's session is left running
    # `segsql query` (sandboxed: no file but the output folder) reads the segments view
    latest = segsql.query(config, "SELECT count(*) AS n FROM segsql.segments_latest")
    assert latest["n"].to_list() == [b.segments.height]
    return a, b


def _same(a: pl.DataFrame, b: pl.DataFrame, keys: list[str], what: str) -> None:
    a, b = a.drop("run_id").sort(keys), b.drop("run_id").sort(keys)
    assert a.columns == b.columns, what
    assert a.height == b.height, what
    for column in a.columns:
        x, y = a[column], b[column]
        if x.dtype.is_float() or y.dtype.is_float():
            np.testing.assert_allclose(
                x.cast(pl.Float64).to_numpy(),
                y.cast(pl.Float64).to_numpy(),
                rtol=1e-9,
                atol=1e-12,
                err_msg=f"{what}.{column}",
            )
        elif x.dtype.is_integer() and y.dtype.is_integer():
            assert (x.cast(pl.Int64) == y.cast(pl.Int64)).all(), f"{what}.{column}"
        else:
            assert x.to_list() == y.to_list(), f"{what}.{column}"


def _assert_same_run(a: segsql.RunResult, b: segsql.RunResult, entity: str) -> None:
    assert (a.k, a.k_choice) == (b.k, b.k_choice)
    sa, sb = a.segments.sort(entity), b.segments.sort(entity)
    assert adjusted_rand_score(sa["segment"], sb["segment"]) == 1.0
    _same(sa, sb, [entity], "segments")
    _same(a.tables["scaler"], b.tables["scaler"], ["feature"], "scaler")
    _same(a.tables["centroids"], b.tables["centroids"], ["segment", "feature"], "centroids")
    _same(a.profiles, b.profiles, ["segment", "feature"], "profiles")
    _same(a.segment_summary, b.segment_summary, ["segment"], "segment_summary")
    _same(a.k_sweep, b.k_sweep, ["k"], "k_sweep")
    if "features" in a.tables:  # the feature query's result, per entity
        _same(a.tables["features"], b.tables["features"], [entity], "features")


@pytest.mark.parametrize("name", ["customers", "wholesale", "retail"])
def test_a_bundled_config_on_spark_gives_the_duckdb_engines_run(name, spark, tmp_path):
    data = tomllib.loads((DATA / f"{name}.toml").read_text())
    ran: list[str] = []
    a, b = _both(data, DATA, tmp_path, spark, ran)
    _assert_same_run(a, b, data["features"]["entity"])
    # the profiles and the summary's sizes were Spark SQL: DuckDB aggregated no row for them
    assert {"profiles/model_space", "profiles/profiles", "profiles/summary"}.isdisjoint(ran)
    assert {"spark/profile_stats", "spark/summary"} <= set(ran)


def _transactions(folder: Path) -> Path:
    """Orders of 150 customers over two years, with a few NULL customers, amounts and timestamps."""
    rng = np.random.default_rng(3)
    n = 2500
    days = rng.integers(0, 700, size=n)
    when = (np.datetime64("2023-01-01T08:00") + days.astype("timedelta64[D]")).astype(str)
    amount = np.round(rng.gamma(2.0, 30.0, size=n), 2).astype(object)
    amount[rng.choice(n, 5, replace=False)] = None
    when = when.astype(object)
    when[rng.choice(n, 4, replace=False)] = None
    customer = rng.integers(1, 151, size=n).astype(object)
    customer[rng.choice(n, 3, replace=False)] = None
    frame = pl.DataFrame(
        {"customer": customer.tolist(), "at": when.tolist(), "amount": amount.tolist()},
        schema={"customer": pl.Int64, "at": pl.Utf8, "amount": pl.Float64},
    )
    path = folder / "orders.csv"
    frame.write_csv(path)
    return path


@pytest.mark.parametrize("amount", [True, False], ids=["every-feature", "no-amount"])
def test_the_rfm_recipes_every_feature_on_spark_is_the_duckdb_recipes(amount, spark, tmp_path):
    path = _transactions(tmp_path)
    rfm = {"source": "orders", "timestamp": "at", "as_of": "2024-12-01", "trend_days": 60}
    if amount:
        rfm |= {"amount": "amount", "features": list(RFM_FEATURES)}
    data = {
        "project": {"name": "orders"},
        "sources": {"orders": {"path": str(path)}},
        "features": {"entity": "customer", "recipe": "rfm", "rfm": rfm, "weights": {"frequency": 1.5}},
        "model": {"k": 3},
    }
    a, b = _both(data, tmp_path, tmp_path, spark)
    _assert_same_run(a, b, "customer")
    assert a.warnings == b.warnings
    assert "3 transactions with a NULL entity ('customer')" in a.warnings[0]


def test_mall_customers_on_spark_give_the_duckdb_engines_run(shared_data, spark, tmp_path):
    data = {
        "project": {"name": "mall"},
        "sources": {"mall": {"path": str(shared_data / "Mall_Customers.csv")}},
        "features": {
            "entity": "CustomerID",
            "sql": "SELECT * FROM mall",
            "columns": ["Annual Income (k$)", "Spending Score (1-100)"],
        },
        "model": {"k": 5},
        "segments": {"min_size": 30},  # a small segment merged by the DuckDB steps, after Spark's fit
    }
    duck_sql = data
    tmp = tmp_path
    a = segsql.run(
        config_from_dict(
            {
                **duck_sql,
                "project": {"database": str(tmp / "d.duckdb")},
                "output": {"dir": str(tmp), "report": False},
            }
        )
    )
    b = segsql.run(
        config_from_dict(
            {
                **data,
                "project": {"database": str(tmp / "s.duckdb"), "engine": "spark"},
                "output": {"dir": str(tmp), "report": False},
            }
        ),
        spark=spark,
    )
    _assert_same_run(a, b, "CustomerID")


def test_a_delta_source_is_read_through_its_file_list(spark, tmp_path):
    pytest.importorskip("deltalake")
    from deltalake import write_deltalake

    frame = pl.read_csv(DATA / "customers.csv")
    write_deltalake(str(tmp_path / "customers_delta"), frame.to_arrow())
    write_deltalake(str(tmp_path / "customers_delta"), frame.head(50).to_arrow(), mode="overwrite")
    data = tomllib.loads((DATA / "customers.toml").read_text())
    data["sources"] = {
        "customers": {"path": str(tmp_path / "customers_delta"), "format": "delta", "version": 0}
    }
    a, b = _both(data, DATA, tmp_path, spark)
    assert b.segments.height == 200  # version 0, not the 50 rows of version 1
    _assert_same_run(a, b, "CustomerID")
    assert b.segments["segment"].n_unique() < 5


def _blobs(folder: Path, n: int = 3000) -> Path:
    rng = np.random.default_rng(7)
    centres = np.array([[0, 0, 0], [10, 10, 0], [0, 10, 10], [10, 0, 10]], dtype=float)
    X = np.concatenate([c + rng.normal(size=(n // 4, 3)) for c in centres])
    frame = pl.DataFrame({"id": np.arange(1, X.shape[0] + 1), "a": X[:, 0], "b": X[:, 1], "c": X[:, 2]})
    path = folder / "blobs.parquet"
    frame.write_parquet(path)
    return path


def test_mllib_fit_on_separated_groups_agrees_with_scikit_learn(spark, tmp_path):
    path = _blobs(tmp_path)
    config = config_from_dict(
        {
            "project": {"database": str(tmp_path / "s.duckdb"), "engine": "spark"},
            "sources": {"blobs": {"path": str(path)}},
            "features": {"entity": "id", "sql": "SELECT * FROM blobs"},
            "model": {"k": 4, "sweep_sample": 500, "random_state": 1},
            "spark": {"fit": "mllib"},
            "output": {"dir": str(tmp_path / "out"), "report": False},
        }
    )
    result = segsql.run(config, spark=spark)
    frame = pl.read_parquet(path).sort("id")
    X = frame.select("a", "b", "c").to_numpy()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    reference = KMeans(4, n_init=10, random_state=0).fit_predict(X)
    labels = result.segments.sort("id")["segment"].to_numpy()
    assert adjusted_rand_score(reference, labels) >= 0.99
    # every row was assigned by Spark, and the output folder holds this run
    assert (tmp_path / "out" / "segments" / "run_id=1").is_dir()


def test_segments_go_to_a_spark_table_and_the_database_shows_them(spark, tmp_path):
    data = tomllib.loads((DATA / "customers.toml").read_text())
    data["project"] |= {"database": str(tmp_path / "s.duckdb"), "engine": "spark"}
    data["output"] = {"dir": str(tmp_path / "out"), "report": False}
    data["spark"] = {"output": "segsql_test_segments"}
    config = config_from_dict(data, base_dir=DATA)
    first, second = segsql.run(config, spark=spark), segsql.run(config, spark=spark)
    in_spark = spark.sql(
        "SELECT run_id, count(*) FROM segsql_test_segments GROUP BY run_id ORDER BY 1"
    ).collect()
    assert [tuple(r) for r in in_spark] == [(1, 200), (2, 200)]
    assert (
        second.segments.sort("CustomerID")["segment"].to_list()
        == first.segments.sort("CustomerID")["segment"].to_list()
    )
    # `segsql query`, which may read no file, reads the table's folder (the view's comment says
    # where it is), and that folder only
    counted = segsql.query(config, "SELECT run_id, count(*) AS n FROM segsql.segments GROUP BY 1 ORDER BY 1")
    assert counted.rows() == [(1, 200), (2, 200)]
    with pytest.raises(QueryError, match="read-only"):
        segsql.query(config, f"SELECT count(*) FROM read_csv('{DATA / 'customers.csv'}')")


def _groups(path: Path, sizes: dict[str, int]) -> None:
    """Four well-separated groups of customers (ids 1000 * group + i), ``sizes[group]`` of each."""
    rng = np.random.default_rng(11)
    centres = {"A": (0.0, 0.0), "B": (10.0, 0.0), "C": (0.0, 10.0), "D": (10.0, 10.0)}
    rows = [
        (1000 * g + i, *rng.normal(centres[name], 0.8))
        for g, (name, n) in enumerate(sizes.items())
        for i in range(n)
    ]
    pl.DataFrame(rows, schema=["id", "x", "y"], orient="row").write_csv(path)


def test_a_spark_rerun_keeps_the_segment_numbers_and_profiles_them_as_duckdb_does(spark, tmp_path):
    data = {
        "project": {"name": "rerun"},
        "sources": {"d": {"path": str(tmp_path / "d.csv")}},
        "features": {"entity": "id", "sql": "SELECT * FROM d"},
        "model": {"k": 4, "n_init": 3},
    }
    _groups(tmp_path / "d.csv", {"A": 400, "B": 300, "C": 200, "D": 100})
    first_duck, first_spark = _both(data, tmp_path, tmp_path, spark)
    # three in four of A leave: numbered afresh (largest first), B would be segment 1
    _groups(tmp_path / "d.csv", {"A": 100, "B": 300, "C": 200, "D": 100})
    a, b = _both(data, tmp_path, tmp_path, spark)
    _assert_same_run(a, b, "id")  # the labels Spark wrote and its profiles are the renumbered ones
    for first, rerun in ((first_duck, a), (first_spark, b)):
        before = dict(
            first.segments.select((pl.col("id") // 1000).alias("group"), "segment").unique().iter_rows()
        )
        after = dict(
            rerun.segments.select((pl.col("id") // 1000).alias("group"), "segment").unique().iter_rows()
        )
        assert before == after == {0: 1, 1: 2, 2: 3, 3: 4}
        assert rerun.segment_summary.sort("segment")["size"].to_list() == [100, 300, 200, 100]
    lineage = b.tables["segment_lineage"].sort("segment")
    assert lineage["previous_segment"].to_list() == [1, 2, 3, 4]


def test_categorical_features_are_refused_under_spark_naming_the_key(spark, tmp_path):
    config = config_from_dict(
        {
            "project": {"database": str(tmp_path / "s.duckdb"), "engine": "spark"},
            "sources": {"c": {"path": str(DATA / "customers.csv")}},
            "features": {"entity": "CustomerID", "sql": "SELECT * FROM c", "categorical": ["Gender"]},
            "output": {"dir": str(tmp_path), "report": False},
        }
    )
    with pytest.raises(ConfigError, match=r"\[features\] categorical"):
        segsql.run(config, spark=spark)


# --- killed runs -------------------------------------------------------------------------------


def _write_killable(folder: Path) -> Path:
    config = folder / "spark.toml"
    config.write_text(
        f"""
[project]
database = "run.duckdb"
engine = "spark"
[sources.customers]
path = "{DATA / "customers.csv"}"
[features]
entity = "CustomerID"
sql = "SELECT * FROM customers"
columns = ["Annual_Income_K", "Spending_Score", "Purchase_Frequency"]
[model]
k = 4
random_state = 42
[spark]
master = "local[1]"
output = "./segments"
[spark.conf]
"spark.ui.enabled" = false
"spark.ui.showConsoleProgress" = false
"spark.sql.shuffle.partitions" = 2
"spark.sql.warehouse.dir" = "{folder / "warehouse"}"
[output]
dir = "out"
report = false
"""
    )
    return config


def _state(folder: Path) -> tuple[object, object]:
    """The run database's runs and segments (through the view), and run 1's Parquet files."""
    con = duckdb.connect(str(folder / "run.duckdb"), read_only=True)
    try:
        runs = con.sql("SELECT run_id, status FROM segsql.runs ORDER BY run_id").fetchall()
        segments = con.sql("SELECT * FROM segsql.segments ORDER BY ALL").fetchall()
    finally:
        con.close()
    files = sorted(
        (str(p.relative_to(folder / "segments")), p.read_bytes())
        for p in (folder / "segments").glob("run_id=1/*.parquet")
    )
    return (runs, segments), files


@pytest.fixture(scope="module")
def killable(spark, tmp_path_factory) -> tuple[Path, object]:
    """A folder with one successful Spark run (database and output folder), and its state."""
    folder = tmp_path_factory.mktemp("spark_killed")
    segsql.run(_write_killable(folder), spark=spark)
    return folder, _state(folder)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("point", ["spark:aside", "commit"])
def test_a_spark_run_killed_leaves_the_previous_run_whole(point, killable, spark, tmp_path):
    base, before = killable
    shutil.copy(base / "run.duckdb", tmp_path / "run.duckdb")
    shutil.copytree(base / "segments", tmp_path / "segments")
    config = _write_killable(tmp_path)
    proc = start_run(config, pause_at=point)  # a real `segsql run`, its own Spark, killed whole
    wait_for_pause(proc, point)
    kill(proc)
    assert _state(tmp_path) == before  # runs, the segments view and run 1's files, byte for byte
    if point == "commit":  # its run_id=2 folder is in place, uncommitted: the next run replaces it
        assert (tmp_path / "segments" / "run_id=2").is_dir()
        again = segsql.run(config, spark=spark)
        assert again.run_id == 2
        assert again.segments.height == 200


def test_a_duckdb_run_on_a_spark_runs_database_is_refused_naming_the_view(killable, tmp_path):
    base, _ = killable
    shutil.copy(base / "run.duckdb", tmp_path / "run.duckdb")
    shutil.copytree(base / "segments", tmp_path / "segments")
    config = _write_killable(tmp_path)
    config.write_text(config.read_text().replace('engine = "spark"\n', ""))
    with pytest.raises(DatabaseError, match=r"segsql\.segments .* view over a Spark engine"):
        segsql.run(config)
