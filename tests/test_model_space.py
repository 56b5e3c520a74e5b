"""Names, descriptions, recommendations and the heatmap read contrasts in the model's space (issue 13).

The model clusters transformed, winsorized, scaled values; a segment is set apart
by what set it apart there, while the numbers shown stay in original units, and a
large gap is said as a ratio ("50× the rest").
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import segsql
from segsql import sql
from segsql.report import charts
from segsql.steps import profiles as profiles_step

from .frames import frame_config

DATA = Path(__file__).parent.parent / "data"


def _retail(folder: Path, *, rules: str | None = None) -> Path:
    """The bundled retail demo as shipped, writing into ``folder``, with no report."""
    text = (DATA / "retail.toml").read_text()
    text = text.replace('path = "online_retail.csv"', f'path = "{(DATA / "online_retail.csv").as_posix()}"')
    text = text.replace('dir = "out/retail"', "report = false")
    if rules is not None:  # the demo's recommendations replaced
        text = text[: text.index("[[recommendations]]")] + rules
    path = folder / "retail.toml"
    path.write_text(text)
    return path


def _skewed(folder: Path, *, database: str = "skew.duckdb") -> Path:
    """200 entities whose cash is about 50× that of the 800 others (log-normal, log1p-transformed)."""
    rng = np.random.default_rng(11)
    cash = np.concatenate([rng.lognormal(np.log(5000), 0.3, 200), rng.lognormal(np.log(100), 0.3, 800)])
    visits = rng.normal(10, 2, 1000)
    lines = ["id,cash,visits"] + [
        f"{i},{c:.4f},{v:.4f}" for i, (c, v) in enumerate(zip(cash, visits, strict=True))
    ]
    (folder / "skew.csv").write_text("\n".join(lines) + "\n")
    path = folder / "skew.toml"
    path.write_text(
        f'[project]\nname = "skew"\ndatabase = "{database}"\n\n[sources.d]\npath = "skew.csv"\n\n'
        '[features]\nentity = "id"\nsql = "SELECT * FROM d"\n\n'
        '[features.transforms]\ncash = "log1p"\n\n'
        '[preprocess]\nscaling = "standard"\nwinsorize = [0.01, 0.99]\n\n'
        "[model]\nk = 2\nn_init = 3\n\n[output]\nreport = false\n"
    )
    return path


def test_the_retail_demos_best_customers_are_named_for_their_spend_or_frequency(tmp_path: Path) -> None:
    result = segsql.run(_retail(tmp_path))
    profiles = result.profiles
    means = {
        feature: dict(profiles.filter(feature=feature).select("segment", "mean").iter_rows())
        for feature in ("frequency", "monetary")
    }
    best = max(means["frequency"], key=means["frequency"].__getitem__)
    assert best == max(means["monetary"], key=means["monetary"].__getitem__)  # most orders, most spend
    name = dict(result.segment_summary.select("segment", "name").iter_rows())[best]
    parts = name.split(" · ")
    assert {"Frequent", "High spend"} & set(parts), name
    assert parts[0] in {"Frequent", "High spend"}, name


def test_recommendation_levels_read_the_contrast_in_the_models_space(tmp_path: Path) -> None:
    # the best customers' spend is 0.45 sd above the rest in raw units, under the 0.5
    # threshold; on the log scale the model clustered it is well above
    rules = '[[recommendations]]\nwhen = { monetary = "high" }\nsay = "Reward the big spenders."\n'
    result = segsql.run(_retail(tmp_path, rules=rules))
    profiles = result.profiles.filter(feature="monetary")
    best = max(profiles.iter_rows(named=True), key=lambda r: r["mean"])
    assert best["z"] < 0.5 <= best["z_model"]
    said = dict(result.segment_summary.select("segment", "recommendation").iter_rows())
    assert said[best["segment"]] == "Reward the big spenders."
    assert [s for s, text in said.items() if text == "Reward the big spenders."] == [best["segment"]]


def test_a_segment_whose_skewed_feature_is_50_times_the_rest_is_described_so(tmp_path: Path) -> None:
    result = segsql.run(_skewed(tmp_path))
    sizes = dict(result.segment_summary.select("segment", "size").iter_rows())
    # the ratio measured independently, from the CSV and the labels
    cash = {int(i): float(c) for i, c in np.loadtxt(tmp_path / "skew.csv", delimiter=",", skiprows=1)[:, :2]}
    labels = dict(result.segments.select("id", "segment").iter_rows())
    rich = max(sizes, key=lambda s: np.mean([cash[i] for i, t in labels.items() if t == s]))
    assert sizes[rich] == 200
    mine = np.mean([cash[i] for i, s in labels.items() if s == rich])
    rest = np.mean([cash[i] for i, s in labels.items() if s != rich])
    assert 40 < mine / rest < 60
    description = dict(result.segment_summary.select("segment", "description").iter_rows())[rich]
    assert description.startswith(f"Cash {mine / rest:.0f}× the rest ("), description
    poor = next(s for s in sizes if s != rich)
    poor_text = dict(result.segment_summary.select("segment", "description").iter_rows())[poor]
    assert f"cash 1/{mine / rest:.0f} of the rest" in poor_text.lower(), poor_text


def test_profiles_store_the_contrast_in_the_models_space_beside_the_raw_z(tmp_path: Path) -> None:
    result = segsql.run(_skewed(tmp_path))
    cash = np.loadtxt(tmp_path / "skew.csv", delimiter=",", skiprows=1)
    labels = dict(result.segments.select("id", "segment").iter_rows())
    segment = np.array([labels[int(i)] for i in cash[:, 0]])
    scaler = {r["feature"]: r for r in result.tables["scaler"].iter_rows(named=True)}
    for column, feature in ((1, "cash"), (2, "visits")):
        s = scaler[feature]
        raw = cash[:, column]
        moved = np.log1p(raw) if s["transform"] == "log1p" else raw
        scaled = (np.clip(moved, s["clip_low"], s["clip_high"]) - s["center"]) / s["scale"]
        for row in result.profiles.filter(feature=feature).iter_rows(named=True):
            inside = segment == row["segment"]
            z_model = (scaled[inside].mean() - scaled[~inside].mean()) / scaled.std()
            z = (raw[inside].mean() - raw[~inside].mean()) / raw.std()
            assert row["z_model"] == pytest.approx(z_model, rel=1e-9)
            assert row["z"] == pytest.approx(z, rel=1e-9)  # kept, in raw units
    # cash sets the segments apart far more on the log scale the model used than in raw units
    assert (result.profiles.filter(feature="cash")["z_model"].abs() > 1.5).all()


def test_an_older_profiles_table_gains_the_z_model_column(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "skew.duckdb")) as con:
        con.execute("CREATE SCHEMA segsql")
        con.execute(
            "CREATE TABLE segsql.profiles (run_id BIGINT, segment INTEGER, feature VARCHAR, mean DOUBLE, "
            "median DOUBLE, std DOUBLE, p25 DOUBLE, p75 DOUBLE, overall_mean DOUBLE, z DOUBLE)"
        )
    result = segsql.run(_skewed(tmp_path))
    assert result.profiles["z_model"].null_count() == 0


def test_the_heatmap_is_coloured_by_the_models_contrast_and_shows_original_units(tmp_path: Path) -> None:
    result = segsql.run(_skewed(tmp_path))
    with duckdb.connect(str(tmp_path / "skew.duckdb"), read_only=True) as con:
        frame = sql.relation(con, "report/charts/heatmap", {"run_id": result.run_id}, schema="segsql").pl()
    stored = {(r["segment"], r["feature"]): r for r in result.profiles.iter_rows(named=True)}
    for row in frame.iter_rows(named=True):
        assert row["z_model"] == stored[row["segment"], row["feature"]]["z_model"]
        assert row["mean"] == stored[row["segment"], row["feature"]]["mean"]
    rect, text = charts.heatmap(frame).to_dict()["layer"]
    assert rect["encoding"]["color"]["field"] == "z_model"
    assert text["encoding"]["text"]["field"] == "mean"  # original units on the cells
    tooltip = {t["field"] for t in rect["encoding"]["tooltip"]}
    assert {"mean", "overall_mean", "z", "z_model"} <= tooltip


def test_overall_figures_combined_from_the_segments_leave_missing_values_out(tmp_path: Path) -> None:
    # three groups far apart; `spend` is missing for every member of one group and a few others:
    # the profiles' overall mean and spread (combined from the segments') are those of the values
    rng = np.random.default_rng(5)
    centre = np.repeat([0.0, 10.0, 20.0], 100)
    visits = centre + rng.normal(0, 1, 300)
    spend = np.where(centre == 20.0, np.nan, centre * 3 + rng.normal(50, 4, 300))
    spend[[3, 150]] = np.nan  # NULL in the Parquet file
    frame = pd.DataFrame({"id": np.arange(300), "visits": visits, "spend": spend})
    sections = '[preprocess]\nscaling = "standard"\nimpute = "median"\n\n[model]\nk = 3\nn_init = 3'
    result = segsql.run(frame_config(tmp_path, frame, name="gaps", sections=sections))
    labels = dict(result.segments.select("id", "segment").iter_rows())
    segment = np.array([labels[i] for i in range(300)])
    rows = {r["segment"]: r for r in result.profiles.filter(feature="spend").iter_rows(named=True)}
    assert len(rows) == 3
    for s, row in rows.items():
        inside = segment == s
        assert row["overall_mean"] == pytest.approx(np.nanmean(spend), rel=1e-12)
        if np.isnan(spend[inside]).all():  # the group without spend: nothing to say of it
            assert row["mean"] is None and row["z"] is None
            continue
        z = (np.nanmean(spend[inside]) - np.nanmean(spend[~inside])) / np.nanstd(spend)
        assert row["mean"] == pytest.approx(np.nanmean(spend[inside]), rel=1e-12)
        assert row["std"] == pytest.approx(np.nanstd(spend[inside]), rel=1e-9)
        assert row["z"] == pytest.approx(z, rel=1e-9)


def test_profiles_taken_one_feature_at_a_time_are_those_of_one_pass(tmp_path: Path, monkeypatch) -> None:
    # a large run profiles its features one at a time (their exact quantiles cannot spill):
    # the same rows as all at once, whatever the number of values
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    together = segsql.run(_skewed(tmp_path / "a")).profiles.sort("segment", "feature")
    monkeypatch.setattr(profiles_step, "ONE_PASS_VALUES", 0)
    seen: list[int] = []
    execute = sql.execute

    def counting(con, query, /, *args, **kwargs):
        if query == "profiles/original":
            seen.append(len(kwargs["columns"]))
        return execute(con, query, *args, **kwargs)

    monkeypatch.setattr(sql, "execute", counting)
    apart = segsql.run(_skewed(tmp_path / "b")).profiles.sort("segment", "feature")
    assert seen == [1, 1]  # cash, then visits
    assert apart.columns == together.columns and apart.height == together.height == 4
    for column in apart.columns:
        left, right = together[column].to_list(), apart[column].to_list()
        if isinstance(left[0], float):
            assert right == pytest.approx(left, rel=1e-12), column
        else:
            assert right == left, column
