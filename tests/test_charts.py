"""Chart functions turn small query-shaped frames into valid Vega-Lite (schema-checked by Altair)."""

from __future__ import annotations

import json

import altair as alt
import polars as pl
import pytest

from segsql.report import charts

SWEEP = pl.DataFrame({
    "k": [2, 3, 4, 5],
    "inertia": [300.0, 200.0, 150.0, 130.0],
    "chosen": [False, True, False, False],
})  # fmt: skip

METRICS = pl.DataFrame({
    "metric": ["silhouette"] * 4 + ["calinski_harabasz"] * 4 + ["davies_bouldin"] * 4,
    "k": [2, 3, 4, 5] * 3,
    "value": [0.3, 0.45, 0.4, float("nan"), 150.0, 190.0, 180.0, 170.0, 1.1, 0.8, 0.9, 1.0],
    "chosen": [False, True, False, False] * 3,
})  # fmt: skip

LABELS = {1: "1 · High income", 2: "2 · Low income"}

SIZES = pl.DataFrame(
    {"segment": [1, 2], "label": list(LABELS.values()), "size": [60, 40], "share": [0.6, 0.4]}
)

HEATMAP = pl.DataFrame({
    "segment": [1, 1, 2, 2],
    "label": [LABELS[1], LABELS[1], LABELS[2], LABELS[2]],
    "feature": ["income", "visits", "income", "visits"],
    "position": [0, 1, 0, 1],
    "mean": [90.0, 5.0, 30.0, 6.0],
    "overall_mean": [66.0, 5.4, 66.0, 5.4],
    "z": [1.4, -0.1, -1.4, None],
    "z_model": [1.9, -0.2, -1.9, None],
})  # fmt: skip

DISTRIBUTIONS = pl.DataFrame({
    "feature": ["income", "income", "visits", "visits"],
    "position": [0, 0, 1, 1],
    "segment": [1, 2, 1, 2],
    "label": [LABELS[1], LABELS[2], LABELS[1], LABELS[2]],
    **{c: [float(i + j) for j in range(4)] for i, c in enumerate(("min", "p05", "p25", "median", "p75"))},
    "p95": [5.0, 6.0, 7.0, 8.0],
    "max": [7.0, 8.0, 9.0, 10.0],
    "mean": [3.0, 4.0, 5.0, 6.0],
})  # fmt: skip

PROJECTION = pl.DataFrame({
    "kind": ["point", "point", "point", "centroid", "centroid"],
    "entity": ["a", "b", "c", None, None],
    "segment": [1, 2, 1, 1, 2],
    "label": [LABELS[1], LABELS[2], LABELS[1], LABELS[1], LABELS[2]],
    "pc1": [0.1, -1.0, 0.3, 0.2, -1.0],
    "pc2": [0.0, 0.5, -0.2, -0.1, 0.5],
    "variance_pc1": [0.7] * 5,
    "variance_pc2": [0.2] * 5,
})  # fmt: skip

LEVELS = pl.DataFrame({
    "segment": [1, 2, 1, 2, 1, 2, 1, 2, 1, 2],
    "label": [LABELS[1], LABELS[2]] * 5,
    "source_column": ["Education"] * 6 + ["Region"] * 4,
    "level": ["PhD", "PhD", "Master", "Master", "(other)", "(other)", "North", "North", "South", "South"],
    "position": [2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
    "share": [0.7, 0.1, 0.2, 0.6, 0.1, 0.3, 0.5, 0.25, 0.5, 0.75],
    "lift": [7.0, 0.14, 0.33, 3.0, 0.33, 3.0, 2.0, 0.5, 0.67, 1.5],
})  # fmt: skip

FRAMES = {
    "elbow": SWEEP, "k_metrics": METRICS, "sizes": SIZES, "heatmap": HEATMAP,
    "distributions": DISTRIBUTIONS, "levels": LEVELS, "projection": PROJECTION,
}  # fmt: skip


def _rows(spec: dict, part: dict | None = None) -> list[dict]:
    """The inline rows of ``part`` (default: the top level) of a spec; Altair moves them to datasets."""
    data = (part or spec)["data"]
    return spec["datasets"][data["name"]] if "name" in data else data["values"]


@pytest.mark.parametrize("name", [c.name for c in charts.CHARTS])
def test_every_chart_function_returns_a_valid_altair_chart(name):
    spec_of = {c.name: c for c in charts.CHARTS}[name]
    chart = spec_of.draw(FRAMES[name])
    assert isinstance(chart, alt.TopLevelMixin)
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert spec["$schema"].endswith(".json")
    json.dumps(spec, allow_nan=False)  # strict JSON: no NaN leaks into a chart


def test_every_chart_has_a_query_file_of_its_name():
    from segsql import sql

    for chart in charts.CHARTS:
        assert "$run_id" in sql.load(f"report/charts/{chart.name}"), chart.name


def test_the_elbow_marks_the_chosen_k():
    spec = charts.elbow(SWEEP).to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert texts[0]["encoding"]["text"] == {"value": "chosen: K = 3"}
    assert any(
        t.get("filter") == "datum.chosen" for layer in spec["layer"] for t in layer.get("transform", [])
    )


def test_k_metrics_draws_one_panel_per_metric_and_nan_becomes_null():
    spec = charts.k_metrics(METRICS).to_dict()
    assert [p["title"]["text"] for p in spec["hconcat"]] == [
        "Silhouette",
        "Calinski-Harabasz",
        "Davies-Bouldin",
    ]
    assert [p["title"]["subtitle"] for p in spec["hconcat"]][2] == "lower is better"
    silhouette = [row["value"] for row in _rows(spec, spec["hconcat"][0])]
    assert silhouette[:3] == [0.3, 0.45, 0.4] and silhouette[3] is None


def test_the_heatmap_is_coloured_by_z_and_labelled_with_the_mean():
    spec = charts.heatmap(HEATMAP).to_dict()
    rect, text = spec["layer"]
    assert rect["encoding"]["color"]["field"] == "z_model"  # the contrast in the model's space
    assert rect["encoding"]["color"]["scale"]["domain"] == [-1.9, 1.9]
    assert text["encoding"]["text"]["field"] == "mean"
    # a row per feature (every feature shown, however many), a column per segment
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["income", "visits"]
    assert spec["layer"][0]["encoding"]["x"]["sort"] == [LABELS[1], LABELS[2]]


def test_segments_keep_one_colour_across_charts():
    colours = [charts.segment_colour(1), charts.segment_colour(2)]
    for frame, draw in (
        (SIZES, charts.sizes),
        (DISTRIBUTIONS, charts.distributions),
        (PROJECTION, charts.projection),
    ):
        text = json.dumps(draw(frame).to_dict())
        assert json.dumps({"domain": [LABELS[1], LABELS[2]], "range": colours})[1:-1] in text, draw


def test_a_segments_colour_follows_its_number_when_a_run_skips_numbers():
    # a rerun whose segments are 1, 2 and 4 (3 ended): 4 keeps the colour of number 4
    frame = pl.DataFrame({"segment": [1, 2, 4], "label": ["1 · a", "2 · b", "4 · d"], "size": [5, 4, 3],
                          "share": [0.4, 0.33, 0.27]})  # fmt: skip
    scale = json.dumps(charts.sizes(frame).to_dict())
    expected = [charts.segment_colour(s) for s in (1, 2, 4)]
    assert json.dumps(expected) in scale and expected[2] == charts.PALETTE[3]


def test_distributions_draw_boxes_from_quantiles_not_rows():
    spec = charts.distributions(DISTRIBUTIONS).to_dict()
    assert len(spec["vconcat"]) == 2  # a panel per feature, each with an axis of its own
    layers = spec["vconcat"][0]["layer"]
    fields = {
        (layer["encoding"]["x"]["field"], layer["encoding"].get("x2", {}).get("field")) for layer in layers
    }
    assert ("p25", "p75") in fields and ("p05", "p95") in fields
    assert ("median", None) in fields and ("min", None) in fields and ("max", None) in fields
    assert len(_rows(spec)) == DISTRIBUTIONS.height


def test_the_map_separates_points_and_centroids_and_names_the_variance():
    spec = charts.projection(PROJECTION).to_dict()
    filters = [t["filter"] for layer in spec["layer"] for t in layer.get("transform", [])]
    assert filters == ["datum.kind == 'point'", "datum.kind == 'centroid'", "datum.kind == 'centroid'"]
    assert spec["layer"][0]["encoding"]["x"]["title"] == "PC1 (70% of the variance)"
    assert len(_rows(spec)) == 5


def test_charts_do_not_need_altairs_row_limit_lifted():
    # 5,000 points plus centroids is above Altair's default 5,000-row limit
    n = 5003
    frame = pl.DataFrame(
        {
            "kind": ["point"] * 5000 + ["centroid"] * 3,
            "entity": [str(i) for i in range(n)],
            "segment": [1 + i % 3 for i in range(n)],
            "label": [f"{1 + i % 3} · s" for i in range(n)],
            "pc1": [float(i) for i in range(n)],
            "pc2": [0.0] * n,
            "variance_pc1": [0.5] * n,
            "variance_pc2": [0.3] * n,
        }
    )
    spec = charts.projection(frame).to_dict()
    assert len(_rows(spec)) == n


def test_the_categories_chart_has_a_panel_and_a_legend_of_its_own_levels_per_column():
    spec = charts.levels(LEVELS).to_dict()
    panels = spec["vconcat"]
    assert [panel["title"] for panel in panels] == ["Education", "Region"]
    assert spec["resolve"]["scale"]["color"] == "independent"
    education = panels[0]["encoding"]
    # the levels in the scaler's order, "(other)" last; bars stacked by share, as a percentage
    assert education["color"]["sort"] == ["PhD", "Master", "(other)"]
    assert education["x"]["field"] == "share" and education["x"]["stack"] == "zero"
    assert education["x"]["scale"]["domain"] == [0, 1]
    rows = _rows(spec, panels[0])
    assert {(r["label"], r["level"]): r["share"] for r in rows} == {
        (r["label"], r["level"]): r["share"]
        for r in LEVELS.filter(pl.col("source_column") == "Education").to_dicts()
    }
