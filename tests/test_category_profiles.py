"""Categorical features explained: level shares and lifts, "Mostly <level>", rules over raw levels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from sqlglot import exp

import segsql
from segsql import config_from_dict
from segsql.scoring.export import export_sql
from segsql.scoring.replay import indicator
from segsql.scoring.rules import case_of, case_query, parse_rule, rule_words
from segsql.steps.features import Categorical
from segsql.steps.naming import Contrast, describe_segments
from segsql.steps.rules import _rule, indicator_levels, tree_rules

from .frames import frame_config
from .postgres import postgres_server


def customers(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """Three groups; the first mostly PhD, a rare level ("Basic", under 1%) and NULLs in "(other)"."""
    rng = np.random.RandomState(seed)
    group = np.repeat([0, 1, 2], [250, 200, 150])
    centres = np.array([[30.0, 20.0], [70.0, 60.0], [110.0, 30.0]])
    X = centres[group] + rng.normal(0, 8, (n, 2))
    choices = {0: (["PhD", "Graduation"], [0.8, 0.2]), 1: (["Graduation", "Master"], [0.7, 0.3])}
    choices[2] = (["Master", "Graduation", "PhD"], [0.45, 0.45, 0.1])
    education = [rng.choice(*[np.array(choices[g][0]), None], p=choices[g][1]) for g in group]
    education = np.array(education, dtype=object)
    education[[5, 260, 470]] = "Basic"
    education[[7, 300, 480, 590]] = None
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "income": X[:, 0],
            "spend": X[:, 1],
            "Education": education,
            "w": rng.uniform(0.5, 3.0, n),
        }
    )


def write_config(tmp: Path, frame: pd.DataFrame, *, weight: bool) -> Path:
    features = 'columns = ["income", "spend"]\ncategorical = ["Education"]\n'
    features += 'weight = "w"' if weight else ""
    return frame_config(
        tmp, frame, name="categories", features=features, sections="[model]\nk = 3\nk_range = [2, 4]\n"
    )


@pytest.fixture(scope="module")
def weighted_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("categories")
    frame = customers()
    config = write_config(tmp, frame, weight=True)
    result = segsql.run(config)
    segments = result.segments.to_pandas()[["id", "segment"]]
    return result, frame.merge(segments, on="id"), config


@pytest.fixture(scope="module")
def unweighted_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("categories_unweighted")
    frame = customers(seed=8)
    result = segsql.run(write_config(tmp, frame, weight=False))
    return result, frame.merge(result.segments.to_pandas()[["id", "segment"]], on="id")


def level_of(frame: pd.DataFrame, kept: set[str]) -> pd.Series:
    return frame["Education"].where(frame["Education"].isin(kept), "(other)")


def expected_levels(frame: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Per segment and level: the weighted share of the segment at the level, and the lift over the rest."""
    kept = {"PhD", "Graduation", "Master"}
    level = level_of(frame, kept)
    rows = []
    for segment in sorted(frame["segment"].unique()):
        inside = (frame["segment"] == segment).to_numpy()
        for value in [*sorted(kept), "(other)"]:
            has = (level == value).to_numpy()
            share = weights[inside & has].sum() / weights[inside].sum()
            rest = weights[~inside & has].sum() / weights[~inside].sum()
            feature = f"Education={value}"
            rows.append({"segment": segment, "feature": feature, "share": share, "lift": share / rest})
    return pd.DataFrame(rows)


def observed_levels(result) -> pd.DataFrame:
    profiles = result.profiles.to_pandas()
    return profiles[profiles["source_column"] == "Education"][
        ["segment", "feature", "level", "share", "lift"]
    ]


def test_a_level_s_weighted_share_and_lift_per_segment_are_those_pandas_computes(weighted_run):
    result, frame, _ = weighted_run
    observed = observed_levels(result)
    assert set(observed["feature"]) == {f"Education={v}" for v in ("PhD", "Graduation", "Master", "(other)")}
    # the "(other)" group has no level, as in the scaler table
    assert observed.set_index("feature")["level"].isna().groupby(level=0).all().to_dict() == {
        "Education=(other)": True,
        "Education=Graduation": False,
        "Education=Master": False,
        "Education=PhD": False,
    }
    merged = expected_levels(frame, frame["w"].to_numpy()).merge(observed, on=["segment", "feature"])
    assert len(merged) == 12
    assert merged["share_y"].to_numpy() == pytest.approx(merged["share_x"].to_numpy(), rel=1e-9)
    assert merged["lift_y"].to_numpy() == pytest.approx(merged["lift_x"].to_numpy(), rel=1e-9)


def test_without_weights_the_share_is_the_share_of_members(unweighted_run):
    result, frame = unweighted_run
    merged = expected_levels(frame, np.ones(len(frame))).merge(
        observed_levels(result), on=["segment", "feature"]
    )
    assert len(merged) == 12
    assert merged["share_y"].to_numpy() == pytest.approx(merged["share_x"].to_numpy(), rel=1e-9)
    assert merged["lift_y"].to_numpy() == pytest.approx(merged["lift_x"].to_numpy(), rel=1e-9)
    assert result.segment_summary["weight"].null_count() == result.segment_summary.height
    numeric = result.profiles.filter(result.profiles["source_column"].is_null())
    assert set(numeric["feature"]) == {"income", "spend"}
    assert numeric["share"].null_count() == numeric["level"].null_count() == numeric.height


def test_a_segment_mostly_of_one_level_is_named_mostly_that_level(weighted_run):
    result, _, _ = weighted_run
    observed = observed_levels(result)
    phd = observed[observed["level"] == "PhD"].set_index("segment")
    top = int(phd["share"].idxmax())
    assert phd.loc[top, "share"] >= 0.5 and phd.loc[top, "lift"] >= 1.5
    names = dict(result.segment_summary.select("segment", "name").iter_rows())
    assert "Mostly PhD" in names[top].split(" · ")
    assert len(set(names.values())) == len(names)
    # no other segment is named after a level it is not mostly of
    for segment, name in names.items():
        for part in name.split(" · "):
            if part.startswith("Mostly "):
                row = observed[(observed["segment"] == segment) & (observed["level"] == part[7:])]
                assert row["share"].item() >= 0.5 and row["lift"].item() >= 1.5
    description = dict(result.segment_summary.select("segment", "description").iter_rows())[top]
    assert f"PhD for {phd.loc[top, 'share'] * 100:.0f}%" in description


def test_weighted_sizes_shares_and_weights_are_numpy_s(weighted_run):
    result, frame, _ = weighted_run
    summary = result.segment_summary.sort("segment").to_pandas()
    w, segment = frame["w"].to_numpy(), frame["segment"].to_numpy()
    for _, row in summary.iterrows():
        inside = segment == row["segment"]
        assert row["size"] == inside.sum()
        assert row["weight"] == pytest.approx(w[inside].sum(), rel=1e-12)
        assert row["share"] == pytest.approx(w[inside].sum() / w.sum(), rel=1e-12)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """A weight counts rows (rescaled to sum to n); linear between the values at the ranks around q·(n-1)."""
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    n = len(x)
    ends = np.cumsum(w) * n / w.sum()  # where each row's ranks end

    def at(rank: float) -> float:
        past = np.flatnonzero(ends > rank)
        return float(x[past[0]] if len(past) else x[-1])

    h = q * (n - 1)
    r0 = np.floor(h)
    return at(r0) + (h - r0) * (at(min(r0 + 1, n - 1)) - at(r0))


def test_weighted_profile_means_spreads_and_quantiles_are_numpy_s(weighted_run):
    result, frame, _ = weighted_run
    x = np.random.RandomState(3).normal(size=101)  # the reference: equal weights give numpy's quantiles
    assert weighted_quantile(x, np.full(101, 2.5), 0.25) == pytest.approx(np.quantile(x, 0.25), rel=1e-12)
    profiles = result.profiles.to_pandas().set_index(["segment", "feature"])
    w, income = frame["w"].to_numpy(), frame["income"].to_numpy()
    for segment in sorted(frame["segment"].unique()):
        inside = frame["segment"].to_numpy() == segment
        row = profiles.loc[(segment, "income")]
        mean = np.average(income[inside], weights=w[inside])
        assert row["mean"] == pytest.approx(mean, rel=1e-12)
        assert row["std"] == pytest.approx(
            np.sqrt(np.average((income[inside] - mean) ** 2, weights=w[inside]))
        )
        for column, q in (("p05", 0.05), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p95", 0.95)):
            assert row[column] == pytest.approx(weighted_quantile(income[inside], w[inside], q), rel=1e-12)
        assert row["min"] == income[inside].min() and row["max"] == income[inside].max()
        assert row["overall_mean"] == pytest.approx(np.average(income, weights=w), rel=1e-12)
        rest = np.average(income[~inside], weights=w[~inside])
        overall_std = np.sqrt(np.average((income - np.average(income, weights=w)) ** 2, weights=w))
        assert row["z"] == pytest.approx((mean - rest) / overall_std, rel=1e-9)


def test_the_stored_rules_run_on_raw_rows_and_catch_the_members_measured_on_indicators(weighted_run):
    result, frame, config = weighted_run
    rules = result.tables["segment_rules"].sort("segment").to_pandas()
    query = export_sql(config, dialect="duckdb", table="raw_rows", rules=True)
    with duckdb.connect() as con:
        con.register("raw_rows", frame.drop(columns="segment"))
        predicted = dict(con.execute(query).fetchall())
    said = frame["id"].map(predicted)
    for _, row in rules.iterrows():
        member, caught = frame["segment"] == row["segment"], said == row["segment"]
        assert (member & caught).sum() / member.sum() == pytest.approx(row["fidelity"], rel=1e-12)


def categorical_rows(n: int = 500, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A categorical column whose levels decide the labels, with a rare level and NULLs (the "(other)"
    group), and a numeric column."""
    rng = np.random.RandomState(seed)
    education = rng.choice(
        np.array(["PhD", "Master", "Graduation", "Basic"], dtype=object), n, p=[0.3, 0.3, 0.35, 0.05]
    )
    education[rng.rand(n) < 0.05] = None
    x = rng.normal(size=n)
    other = pd.isna(education) | (education == "Basic")
    y = np.where(education == "PhD", 1, np.where(other, 2, 3))
    y = np.where((x > 1.0) & (education != "PhD"), 4, y)
    return pd.DataFrame({"id": np.arange(n), "x": x, "Education": education}), y


def test_a_rule_over_raw_levels_catches_the_rows_its_indicator_rule_catches():
    frame, y = categorical_rows()
    category = Categorical("Education", ("Graduation", "Master", "PhD", None))
    features = ["x", *category.indicators]
    raw_column = exp.column("Education", quoted=True)
    encoded = {
        name: indicator(raw_column, level, category.kept)
        for level, name in zip(category.levels, category.indicators, strict=True)
    }
    with duckdb.connect() as con:
        # new rows too: an unseen level scores as "(other)" in both forms
        rows = pd.concat(
            [
                frame,
                pd.DataFrame({"id": [10_000, 10_001], "x": [0.0, 2.0], "Education": ["Doctor", "Doctor"]}),
            ]
        )
        con.register("raw", rows)
        select = exp.select("*", *(exp.alias_(e, n, quoted=True) for n, e in encoded.items())).from_("raw")
        con.execute(f"CREATE TABLE encoded AS {select.sql(dialect='duckdb')}")
        columns = exp.select(*(exp.column(f, quoted=True) for f in features)).from_("encoded").order_by("id")
        X = np.column_stack(list(con.execute(columns.sql(dialect="duckdb")).fetchnumpy().values()))
        X = X[: len(frame)]
        paths = tree_rules(X, y, features, max_depth=3, random_state=0)
        segments = sorted(paths)
        raw_texts = [
            (s, _rule(paths[s], levels=indicator_levels([category])).sql(dialect="duckdb")) for s in segments
        ]
        over_indicators = case_of([(s, _rule(paths[s])) for s in segments])
        by_indicators = con.execute(
            f"SELECT id, {over_indicators.sql(dialect='duckdb')} FROM encoded ORDER BY id"
        ).fetchall()
        by_raw = con.execute(
            case_query(raw_texts, entity="id", source=exp.to_table("raw")).sql(dialect="duckdb")
            + " ORDER BY id"
        ).fetchall()
    assert by_raw == by_indicators
    assert [s for _, s in by_raw[: len(frame)]] == list(y)  # the tree learnt the levels exactly
    text = " ".join(t for _, t in raw_texts)
    assert "'PhD'" in text and "IS NULL" in text and "Education=" not in text
    assert all(parse_rule(t) is not None for _, t in raw_texts)
    said = rule_words(dict(raw_texts)[2])
    assert "Education not in (Graduation, Master, PhD) or Education is missing" in said


def contrast(segment, feature, z, *, share=None, lift=None, level=None, mean=None, other=False):
    source = "Education" if level is not None or other else None
    rest = share / lift if share is not None and lift else None
    return Contrast(
        segment, feature, mean if source is None else share, None, z, rest, source, level, share, lift
    )


def test_a_level_common_to_every_segment_or_the_other_group_never_names_a_segment():
    config = config_from_dict({"features": {"entity": "id", "sql": "x"}})
    texts = describe_segments(
        [
            contrast(1, "income", 0.6, mean=10.0),
            contrast(1, "Education=Graduation", 1.4, share=0.7, lift=1.2, level="Graduation"),
            contrast(2, "income", -0.6, mean=5.0),
            contrast(2, "Education=(other)", 1.5, share=0.8, lift=4.0, level=None, other=True),
            contrast(3, "income", 0.1, mean=7.0),
            contrast(3, "Education=PhD", 1.1, share=0.55, lift=2.0, level="PhD"),
        ],
        config=config,
    )
    assert texts[1].name == "High income"
    assert texts[2].name == "Low income"
    assert texts[3].name == "Mostly PhD"
    assert texts[1].description.startswith("Education: Graduation for 70% (against 58% for the rest)")
    labelled = config_from_dict(
        {"features": {"entity": "id", "sql": "x", "labels": {"Education=PhD": "doctors", "Kids=1": "x"}}}
    )
    rows = [
        contrast(1, "Education=PhD", 1.1, share=0.55, lift=2.0, level="PhD"),
        contrast(2, "x", -0.6, mean=1.0),
    ]
    numbered = Contrast(3, "Kids=1", 0.9, None, 1.0, 0.1, "Kids", "1", 0.9, 9.0)
    named = describe_segments(
        [*rows, numbered], config=config_from_dict({"features": {"entity": "id", "sql": "x"}})
    )
    assert named[1].name == "Mostly PhD" and named[3].name == "Mostly Kids 1"
    assert describe_segments(rows, config=labelled)[1].name == "Mostly doctors"
    assert "other levels for 80%" in texts[2].description


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    yield from postgres_server()


@pytest.mark.service
def test_rules_over_raw_levels_give_the_same_segment_per_row_in_postgres(postgres):
    import psycopg
    from psycopg import sql as pgsql

    frame, y = categorical_rows(seed=1)
    frame["Education"] = frame["Education"].replace({"Master": "Master's \\ degree"})  # a quote, a backslash
    category = Categorical("Education", ("Graduation", "Master's \\ degree", "PhD", None))
    encoded = np.column_stack(
        [frame["x"].to_numpy()]
        + [
            (frame["Education"] == level).to_numpy(dtype=float)
            if level is not None
            else (~frame["Education"].isin(category.kept)).to_numpy(dtype=float)
            for level in category.levels
        ]
    )
    paths = tree_rules(encoded, y, ["x", *category.indicators], max_depth=3, random_state=0)
    texts = [
        (s, _rule(paths[s], levels=indicator_levels([category])).sql(dialect="duckdb")) for s in sorted(paths)
    ]
    new = pd.concat([frame, pd.DataFrame({"id": [10_000], "x": [0.5], "Education": ["Doctor"]})])
    query = case_query(texts, entity="id", source=exp.to_table("segsql_input"))
    with duckdb.connect() as con:
        con.register("segsql_input", new)
        expected = dict(con.execute(query.sql(dialect="duckdb")).fetchall())
    with psycopg.connect(postgres) as conn, conn.cursor() as cur:
        cur.execute('CREATE TABLE segsql_input (id BIGINT, x DOUBLE PRECISION, "Education" TEXT)')
        table = pgsql.SQL("COPY segsql_input (id, x, {}) FROM STDIN").format(pgsql.Identifier("Education"))
        with cur.copy(table) as copy:
            for row in new.astype(object).itertuples(index=False):
                copy.write_row(tuple(row))
        cur.execute(query.sql(dialect="postgres"))
        got = dict(cur.fetchall())
    assert got == expected
    assert [expected[i] for i in frame["id"]] == list(y)


def test_the_weighted_one_hot_run_labels_rows_as_scikit_learn_on_the_same_matrix(weighted_run):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from threadpoolctl import threadpool_limits

    result, frame, _ = weighted_run
    frame = frame.sort_values("id")
    kept = {"PhD", "Graduation", "Master"}
    columns = []
    for s in result.tables["scaler"].sort("position").iter_rows(named=True):
        if s["source_column"] is None:
            raw = frame[s["feature"]].to_numpy()
        elif s["level"] is None:
            raw = (~frame["Education"].isin(kept)).to_numpy(dtype=float)
        else:
            raw = (frame["Education"] == s["level"]).to_numpy(dtype=float)
        columns.append((raw - s["center"]) / s["scale"])
    X = np.column_stack(columns)
    with threadpool_limits(limits=1, user_api="openmp"):
        ours = KMeans(n_clusters=3, n_init=10, random_state=42).fit(X, sample_weight=frame["w"].to_numpy())
    assert adjusted_rand_score(ours.labels_, frame["segment"].to_numpy()) == 1.0
    assert result.metrics["inertia"] == pytest.approx(ours.inertia_, rel=1e-9)


def test_no_warning_advises_transforming_or_dropping_a_level_of_a_categorical_feature(weighted_run):
    result, _, _ = weighted_run
    # "Education=(other)" (1% of the rows) is skewed and near-constant by construction
    diagnostics = result.tables["diagnostics"].to_pandas().set_index(["feature", "measure"])["value"]
    assert diagnostics[("Education=(other)", "skewness")] > 3
    about_levels = [w for w in result.warnings if "Education=" in w]
    assert about_levels == []


def test_the_report_draws_each_segments_levels_and_drops_the_chart_when_the_features_have_none(tmp_path):
    frame = customers()
    config = write_config(tmp_path, frame, weight=False)
    config.write_text(config.read_text().replace("report = false", 'report = true\ndir = "out"'))
    first = segsql.run(config)
    out = tmp_path / "out"
    spec = json.loads((out / "charts" / "levels.vl.json").read_text())
    (panel,) = spec["vconcat"]
    assert panel["title"] == "Education"
    data = panel.get("data", spec.get("data"))  # Altair lifts one panel's data to the top
    drawn = {(r["segment"], r["level"]): r["share"] for r in spec["datasets"][data["name"]]}
    profiles = first.profiles.filter(pl.col("source_column") == "Education")
    stored = {(r["segment"], r["level"] or "(other)"): r["share"] for r in profiles.iter_rows(named=True)}
    assert drawn == stored and len(drawn) == 3 * 4  # three segments × PhD, Graduation, Master, (other)
    assert 'id="chart-levels"' in first.report.read_text()

    # the same project without its categorical feature: no categories chart, none left from before
    config.write_text(config.read_text().replace('categorical = ["Education"]', ""))
    second = segsql.run(config)
    assert 'id="chart-levels"' not in second.report.read_text()
    assert not (out / "charts" / "levels.vl.json").exists()
    assert (out / f"run-{first.run_id}" / "charts" / "levels.vl.json").exists()  # the first run's own
