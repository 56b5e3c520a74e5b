"""Categorical features (issue 14, item 1): indicators in SQL, scaled per block, replayed when scoring.

The acceptance test builds the same one-hot, weighted, scaled matrix with NumPy
alone and fits scikit-learn's KMeans on it with the run's K, n_init,
random_state and sample weights: the labels must be the run's (ARI 1.0), and
every centre and scale the run saved must be NumPy's to 1e-9. New rows with an
unseen level and a NULL level score the same in ``segsql score``, the
``assign`` macro and the exported query on a real PostgreSQL server.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlglot
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sqlglot import exp

import segsql
from segsql.scoring.export import DIALECTS, export_sql

from .conftest import DATA, SHARED_DATA, report_off
from .postgres import postgres_server

WHOLESALE_NUMERIC = ["Fresh", "Milk", "Grocery", "Frozen"]
WHOLESALE_TOML = """
[project]
name = "wholesale"
database = "run.duckdb"

[sources.wholesale]
path = "{path}"

[features]
entity = "customer_id"
sql = "SELECT *, 1 + customer_id % 3 AS wt FROM wholesale"
columns = {numeric}
categorical = ["Channel", "Region"]
min_level_share = 0.15
weight = "wt"

[features.transforms]
Fresh = "log1p"
Milk = "log1p"
Grocery = "log1p"
Frozen = "log1p"

[features.weights]
Region = 2.0
Milk = 0.5

[model]
k = 3
n_init = 4
random_state = 7
"""


def reference(
    frame: pd.DataFrame,
    *,
    numeric: list[str],
    categorical: list[str],
    weight: np.ndarray,
    weights: dict[str, float],
    min_level_share: float,
    log1p: bool,
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """The run's matrix by NumPy alone: weighted standard scaling, one indicator block per categorical.

    Returns X, the feature names, and each feature's centre and scale.
    """
    names, columns, centres, scales = [], [], [], []
    for column in numeric:
        x = frame[column].to_numpy(float)
        x = np.log1p(x) if log1p else x
        mean = np.average(x, weights=weight)
        std = np.sqrt(np.average((x - mean) ** 2, weights=weight)) / np.sqrt(weights.get(column, 1.0))
        names.append(column)
        columns.append((x - mean) / std)
        centres.append(mean)
        scales.append(std)
    for column in categorical:
        text = frame[column].map(lambda v: None if pd.isna(v) else str(v))
        counts = text.value_counts(dropna=True)
        share = counts / len(text)
        kept = sorted((level for level in counts.index if share[level] >= min_level_share),
                      key=lambda level: (-counts[level], level))  # fmt: skip
        blocks = [(f"{column}={level}", (text == level).to_numpy(float)) for level in kept]
        other = (~text.isin(kept)).to_numpy(float)
        if other.any():
            blocks.append((f"{column}=(other)", other))
        ps = [np.average(indicator, weights=weight) for _, indicator in blocks]
        s = np.sqrt(sum(p * (1 - p) for p in ps) / weights.get(column, 1.0))
        for (name, indicator), p in zip(blocks, ps, strict=True):
            names.append(name)
            columns.append((indicator - p) / s)
            centres.append(p)
            scales.append(s)
    return np.column_stack(columns), names, np.array(centres), np.array(scales)


def saved(database: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    with duckdb.connect(str(database), read_only=True) as con:
        scaler = con.execute("SELECT * FROM segsql.scaler ORDER BY position").df()
        segments = con.execute("SELECT * FROM segsql.segments").df()
        run = con.execute("SELECT k, weight_column, features FROM segsql.runs").df().iloc[0].to_dict()
    return scaler, segments, run


@pytest.fixture(scope="module")
def wholesale(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wholesale")
    config = folder / "wholesale.toml"
    text = WHOLESALE_TOML.format(path=(DATA / "wholesale.csv").as_posix(), numeric=WHOLESALE_NUMERIC)
    config.write_text(report_off(text))
    segsql.run(config)
    return config


def _check_against_scikit_learn(
    database: Path,
    frame: pd.DataFrame,
    *,
    entity: str,
    numeric: list[str],
    categorical: list[str],
    weight: np.ndarray,
    weights: dict[str, float],
    min_level_share: float,
    log1p: bool,
    n_init: int,
    random_state: int,
) -> None:
    frame = frame.sort_values(entity, ignore_index=True)
    weight = weight[frame.index.to_numpy()] if len(weight) == len(frame) else weight
    X, names, centres, scales = reference(
        frame,
        numeric=numeric,
        categorical=categorical,
        weight=weight,
        weights=weights,
        min_level_share=min_level_share,
        log1p=log1p,
    )
    scaler, segments, run = saved(database)
    assert scaler["feature"].tolist() == names
    np.testing.assert_allclose(scaler["center"].to_numpy(), centres, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(scaler["scale"].to_numpy(), scales, rtol=1e-9)
    model = KMeans(n_clusters=int(run["k"]), n_init=n_init, random_state=random_state)
    labels = model.fit(X, sample_weight=weight).labels_
    ours = segments.set_index(entity).loc[frame[entity], "segment"].to_numpy()
    assert adjusted_rand_score(labels, ours) == 1.0


def test_labels_equal_scikit_learns_on_the_one_hot_weighted_matrix_of_bundled_data(wholesale):
    """Needs the weighted fit (sample_weight threaded into KMeans, helper H2b's part of issue 14)."""
    frame = pd.read_csv(DATA / "wholesale.csv")
    frame = frame.sort_values("customer_id", ignore_index=True)
    _check_against_scikit_learn(
        wholesale.parent / "run.duckdb",
        frame,
        entity="customer_id",
        numeric=WHOLESALE_NUMERIC,
        categorical=["Channel", "Region"],
        weight=(1 + frame["customer_id"] % 3).to_numpy(float),
        weights={"Region": 2.0, "Milk": 0.5},
        min_level_share=0.15,
        log1p=True,
        n_init=4,
        random_state=7,
    )


def test_labels_equal_scikit_learns_on_the_marketing_dataset(tmp_path):
    """The issue's acceptance: Education and Marital_Status (with its rare levels) and a weight."""
    path = SHARED_DATA / "marketing_campaign.csv"
    if not path.exists():
        pytest.skip("../shared/data/marketing_campaign.csv is not here (a clone of the project alone)")
    numeric = ["Recency", "MntWines", "MntMeatProducts", "NumWebPurchases", "NumStorePurchases"]
    config = tmp_path / "marketing.toml"
    config.write_text(
        report_off(
            f"""
[project]
name = "marketing"
database = "run.duckdb"

[sources.marketing]
path = "{path.as_posix()}"

[features]
entity = "ID"
sql = "SELECT *, 1 + Kidhome + Teenhome AS household FROM marketing"
columns = {numeric}
categorical = ["Education", "Marital_Status"]
weight = "household"

[model]
k = 4
n_init = 3
random_state = 11
"""
        )
    )
    segsql.run(config)
    frame = pd.read_csv(path).sort_values("ID", ignore_index=True)
    _check_against_scikit_learn(
        tmp_path / "run.duckdb",
        frame,
        entity="ID",
        numeric=numeric,
        categorical=["Education", "Marital_Status"],
        weight=(1 + frame["Kidhome"] + frame["Teenhome"]).to_numpy(float),
        weights={},
        min_level_share=0.01,
        log1p=False,
        n_init=3,
        random_state=11,
    )
    scaler, _, _ = saved(tmp_path / "run.duckdb")
    # Marital_Status's Alone, Absurd and YOLO (7 of 2,240 rows) are its "(other)" group
    assert "Marital_Status=(other)" in scaler["feature"].tolist()


def test_the_scaler_and_runs_record_levels_weights_and_the_weight_column(wholesale):
    scaler, _, run = saved(wholesale.parent / "run.duckdb")
    indicators = scaler[scaler["source_column"].notna()]
    assert indicators["feature"].tolist() == [
        "Channel=1", "Channel=2", "Region=3", "Region=1", "Region=(other)"
    ]  # fmt: skip
    assert [None if pd.isna(v) else v for v in indicators["level"]] == ["1", "2", "3", "1", None]
    assert indicators["weight"].tolist() == [1.0, 1.0, 2.0, 2.0, 2.0]
    assert set(indicators["transform"]) == {"none"}
    assert indicators[["impute_value", "clip_low", "clip_high"]].isna().all().all()
    numeric = scaler[scaler["source_column"].isna()]
    assert numeric["weight"].tolist() == [1.0, 0.5, 1.0, 1.0] and numeric["level"].isna().all()
    assert run["weight_column"] == "wt" and "wt" not in run["features"]


def test_a_categorical_block_weighs_its_weight_in_the_scaled_matrix(wholesale):
    """Σ of a block's variances is its weight: Channel 1, Region 2 ([features.weights])."""
    with duckdb.connect(str(wholesale.parent / "run.duckdb"), read_only=True) as con:
        scaler = con.execute("SELECT feature, center, scale, source_column FROM segsql.scaler").fetchall()
    frame = pd.read_csv(DATA / "wholesale.csv")
    weight = (1 + frame["customer_id"] % 3).to_numpy(float)
    for column, expected in (("Channel", 1.0), ("Region", 2.0)):
        total = 0.0
        for name, center, scale, source in scaler:
            if source != column:
                continue
            level = name.split("=", 1)[1]
            kept = [n.split("=", 1)[1] for n, *_, s in scaler if s == column and not n.endswith("(other)")]
            x = frame[column].astype(str)
            indicator = (x == level) if level != "(other)" else ~x.isin(kept)
            scaled = (indicator.to_numpy(float) - center) / scale
            total += np.average(scaled**2, weights=weight)
        assert total == pytest.approx(expected, rel=1e-9)


# --- scoring new rows: an unseen level and a NULL level ---------------------------------------


def new_rows() -> pd.DataFrame:
    """Wholesale rows with their categories as text: every level, a rare one, an unseen one, NULLs."""
    frame = pd.read_csv(DATA / "wholesale.csv").head(12).copy()
    frame["customer_id"] = range(1001, 1013)
    frame["Channel"] = frame["Channel"].astype(str).astype(object)
    frame["Region"] = frame["Region"].astype(str).astype(object)
    frame.loc[0, "Region"] = "2"  # a rare level: the (other) group
    frame.loc[1, "Region"] = "9"  # unseen
    frame.loc[2, "Region"] = None
    frame.loc[[1, 2], WHOLESALE_NUMERIC] = frame.loc[0, WHOLESALE_NUMERIC].to_numpy()
    frame.loc[[1, 2], "Channel"] = frame.loc[0, "Channel"]
    frame.loc[3, "Channel"] = "7"  # unseen, and Channel has no (other) group: every indicator 0
    frame.loc[4, "Channel"] = None
    frame.loc[[4], WHOLESALE_NUMERIC] = frame.loc[3, WHOLESALE_NUMERIC].to_numpy()
    frame.loc[4, "Region"] = frame.loc[3, "Region"]
    return frame[["customer_id", "Channel", "Region", *WHOLESALE_NUMERIC]]


@pytest.fixture(scope="module")
def scored(wholesale) -> pd.DataFrame:
    rows = wholesale.parent / "new.parquet"
    new_rows().to_parquet(rows, index=False)
    return segsql.score(wholesale, input=rows).to_pandas().set_index("customer_id")


def test_an_unseen_level_and_a_null_score_as_the_other_group(scored):
    rare, unseen, null = scored.loc[[1001, 1002, 1003]].itertuples(index=False)
    assert unseen.segment == null.segment == rare.segment
    assert unseen.distance == null.distance == rare.distance
    assert unseen.second_distance == null.second_distance == rare.second_distance
    # without an (other) group in the run, an unseen level and NULL are alike: no level at all
    assert scored.loc[1004, "distance"] == scored.loc[1005, "distance"]


def test_the_macro_scores_unseen_and_null_levels_as_segsql_score_does(wholesale, scored):
    with duckdb.connect(str(wholesale.parent / "run.duckdb"), read_only=True) as con:
        con.register("new_frame", new_rows())
        con.execute("CREATE TEMP TABLE new_rows AS SELECT * FROM new_frame")
        got = con.execute("SELECT * FROM segsql.assign('new_rows')").df().set_index("customer_id")
    got = got.loc[scored.index]
    assert got["segment"].tolist() == scored["segment"].tolist()
    np.testing.assert_array_equal(got["distance"].to_numpy(), scored["distance"].to_numpy())


def test_a_level_with_a_quote_is_escaped_in_every_replay(tmp_path, write_config):
    """Levels are string literals in the scoring query: one with a quote must stay one literal."""
    kinds = ["O'Brien", "plain", "a\\b"]
    rows = "id,a,b,kind\n" + "".join(f"{i},{i % 7}.5,{(i * 3) % 11},{kinds[i % 3]}\n" for i in range(60))
    config = write_config(
        """
        [project]
        database = "run.duckdb"
        [sources.people]
        path = "people.csv"
        [features]
        entity = "id"
        sql = "SELECT * FROM people"
        categorical = ["kind"]
        [model]
        k = 2
        n_init = 2
        """,
        people__csv=rows,
    )
    run = segsql.run(config)
    trained = dict(zip(run.segments["id"].to_list(), run.segments["segment"].to_list(), strict=True))
    got = segsql.score(config, input=tmp_path / "people.csv")
    assert dict(zip(got["id"].to_list(), got["segment"].to_list(), strict=True)) == trained
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        levels = [
            r[0] for r in con.execute("SELECT level FROM segsql.scaler WHERE level IS NOT NULL").fetchall()
        ]
        con.execute(
            "CREATE TEMP TABLE again AS SELECT * FROM read_csv($p)", {"p": str(tmp_path / "people.csv")}
        )
        macro = dict(con.execute("SELECT id, segment FROM segsql.assign('again')").fetchall())
    assert set(levels) == {"O'Brien", "plain", "a\\b"}
    assert macro == trained
    # the next run's drift measure scores its rows with this run's model, levels and all
    segsql.run(config)
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        share = con.execute("SELECT value FROM segsql.drift WHERE measure = 'outlier_share'").fetchall()
        (warnings,) = con.execute("SELECT warnings FROM segsql.runs WHERE run_id = 2").fetchone()
    assert len(share) == 1 and 0 < share[0][0] < 0.1 and "cannot score" not in warnings
    # every dialect's export reads back with each level as one string literal, unchanged
    for dialect in DIALECTS:
        tree = sqlglot.parse_one(export_sql(config, dialect=dialect), read=dialect)
        strings = {node.this for node in tree.find_all(exp.Literal) if node.is_string}
        assert set(levels) <= strings, dialect


@pytest.fixture(scope="module")
def postgres():
    yield from postgres_server()


@pytest.mark.service
def test_the_postgres_export_scores_unseen_and_null_levels_as_segsql_score_does(postgres, wholesale, scored):
    import psycopg
    from psycopg import sql as pgsql

    frame = new_rows()
    query = export_sql(wholesale, dialect="postgres", table="segsql_input")
    types = {"customer_id": "BIGINT", "Channel": "TEXT", "Region": "TEXT"}
    with psycopg.connect(postgres) as conn, conn.cursor() as cur:
        definition = pgsql.SQL(", ").join(
            pgsql.SQL("{} {}").format(pgsql.Identifier(c), pgsql.SQL(types.get(c, "DOUBLE PRECISION")))
            for c in frame.columns
        )
        cur.execute("DROP TABLE IF EXISTS segsql_input")
        cur.execute(pgsql.SQL("CREATE TABLE segsql_input ({})").format(definition))
        with cur.copy("COPY segsql_input FROM STDIN") as copy:
            for row in frame.astype(object).itertuples(index=False):
                copy.write_row(tuple(None if v is None or (isinstance(v, float) and np.isnan(v)) else v
                                     for v in row))  # fmt: skip
        cur.execute(query)
        got = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description]).set_index("customer_id")
    got = got.loc[scored.index]
    assert got["segment"].tolist() == scored["segment"].tolist()
    np.testing.assert_allclose(got["distance"].to_numpy(float), scored["distance"].to_numpy(), rtol=1e-9)


def test_a_database_from_before_categorical_features_scores_and_is_upgraded(customers_config, tmp_path):
    """A scaler table without source_column, level and weight: every feature numeric, as it was."""
    segsql.run(customers_config)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        for column in ("source_column", "level", "weight"):
            con.execute(f"ALTER TABLE segsql.scaler DROP COLUMN {column}")
        con.execute("ALTER TABLE segsql.runs DROP COLUMN weight_column")
    rows = pd.read_csv(DATA / "customers.csv").head(20)
    rows.to_csv(tmp_path / "new.csv", index=False)
    before = segsql.score(customers_config, input=tmp_path / "new.csv")
    assert before.height == 20
    segsql.run(customers_config)
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT run_id, count(*) FILTER (WHERE source_column IS NULL AND level IS NULL), "
            "list(DISTINCT weight) FROM segsql.scaler GROUP BY run_id ORDER BY run_id"
        ).fetchall()
        features = con.execute("SELECT features FROM segsql.runs WHERE run_id = 2").fetchone()[0]
    n = features.count('"') // 2
    # the old run's rows have no weight recorded; the new run's are complete
    assert rows == [(1, n, [None]), (2, n, [1.0])]
