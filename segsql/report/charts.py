"""Chart functions: the result of a ``queries/report/charts/<name>.sql`` query → an Altair chart.

Pure functions, no file or database access: :mod:`segsql.report.writer` runs the
queries and writes the files. Each function takes the Polars frame of the query
of the same name; the frames are small (aggregates, or at most 5,000 sample
points), and are embedded in the chart's Vega-Lite spec as inline values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import polars as pl
from altair.utils.schemapi import debug_mode

__all__ = [
    "ChartSpec",
    "CHARTS",
    "elbow",
    "k_metrics",
    "sizes",
    "heatmap",
    "distributions",
    "levels",
    "projection",
    "transitions",
    "size_history",
    "RERUN_CHARTS",
    "PALETTE",
    "segment_colour",
]

# Vega's "tableau10", by segment number: segment n has colour n on the cards and in every
# chart, however many numbers a run skips (a new segment takes the next number, and so the
# next colour).
PALETTE = (
    "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
    "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac",
)  # fmt: skip

_CHOSEN = "#d62728"
_LINE = "#4c78a8"
_METRICS = {  # column → (title, which way is better)
    "silhouette": ("Silhouette", "higher is better"),
    "calinski_harabasz": ("Calinski-Harabasz", "higher is better"),
    "davies_bouldin": ("Davies-Bouldin", "lower is better"),
}


# segment names are long by design: show them whole; a legend goes below its chart, one
# segment a line, so that a wide chart's legend is never out of sight or cut (Vega's default
# labelLimit is 160 px)
_LABEL_AXIS = alt.Axis(labelLimit=360)

# Channels are written as Altair's channel objects (alt.X("p25:Q"), alt.Tooltip("label:N")),
# never as shorthand strings or dicts: Altair turns each of those into an object by matching
# it against every class of its schema, ~10 ms a time (bench/README.md, "Report and start-up").


def _white_when(test: str) -> alt.ColorValue:
    """Text colour: white where ``test`` holds (on a dark cell), else black."""
    return alt.ColorValue("black", condition={"test": test, "value": "white"})


def _legend(frame: pl.DataFrame) -> alt.Legend:
    return alt.Legend(labelLimit=max(600, _text_width(_labels(frame))), orient="bottom", direction="vertical")


def _data(frame: pl.DataFrame) -> alt.InlineData:
    """The frame as inline values; NaN and infinities (not JSON) become null.

    Passing values ourselves keeps the chart independent of Altair's global
    data transformer and its row limit: every frame here is already bounded.
    """
    rows = frame.to_dicts()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                row[key] = None
    with debug_mode(False):  # else Altair validates every row as it is given: a second at 5,000
        return alt.InlineData(values=rows)


def segment_colour(segment: int) -> str:
    """The colour of segment number ``segment`` (1-based), the same in every chart and run."""
    return PALETTE[(segment - 1) % len(PALETTE)]


def _colour_by_number(frame: pl.DataFrame) -> alt.Scale:
    """Each label the colour of its segment number, so a segment keeps it across runs whatever
    numbers a run skips (the cards use the same colours)."""
    pairs = frame.select("segment", "label").unique().sort("segment").rows()
    return alt.Scale(domain=[label for _, label in pairs], range=[segment_colour(s) for s, _ in pairs])


def _labels(frame: pl.DataFrame) -> list[str]:
    return frame.select("segment", "label").unique().sort("segment")["label"].to_list()


def _features(frame: pl.DataFrame) -> list[str]:
    return frame.select("position", "feature").unique().sort("position")["feature"].to_list()


def _chosen_k(frame: pl.DataFrame) -> int | None:
    chosen = frame.filter(pl.col("chosen"))["k"].unique().to_list()
    return int(chosen[0]) if chosen else None


def elbow(frame: pl.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Inertia against K, the chosen K marked. Columns: k, inertia, chosen."""
    k = _chosen_k(frame)
    base = alt.Chart(_data(frame)).encode(
        x=alt.X("k:O", title="K (number of segments)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("inertia:Q", title="inertia (within-segment sum of squares)"),
    )
    line = base.mark_line(color=_LINE, point=alt.OverlayMarkDef(color=_LINE, size=50))
    chosen = base.transform_filter("datum.chosen").mark_point(
        color=_CHOSEN, size=220, filled=True, shape="diamond"
    )
    label = (
        base.transform_filter("datum.chosen")
        .mark_text(align="left", dx=10, dy=-10, color=_CHOSEN, fontWeight="bold")
        .encode(text=alt.TextValue(f"chosen: K = {k}"))
    )
    return alt.layer(line, chosen, label).properties(title="Elbow: inertia against K", width=520, height=300)


def k_metrics(frame: pl.DataFrame) -> alt.HConcatChart:
    """Silhouette, Calinski-Harabasz and Davies-Bouldin against K, small multiples.

    Columns: metric, k, value, chosen.
    """
    panels = []
    for metric, (title, better) in _METRICS.items():
        part = frame.filter(pl.col("metric") == metric)
        base = alt.Chart(_data(part)).encode(
            x=alt.X("k:O", title="K", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False)),
        )
        line = base.mark_line(color=_LINE, point=alt.OverlayMarkDef(color=_LINE, size=40))
        chosen = base.transform_filter("datum.chosen").mark_point(
            color=_CHOSEN, size=200, filled=True, shape="diamond"
        )
        panels.append(
            alt.layer(line, chosen).properties(title=alt.Title(title, subtitle=better), width=220, height=200)
        )
    k = _chosen_k(frame)
    return alt.hconcat(*panels).properties(
        title=alt.Title("Quality of the segmentation against K", subtitle=f"chosen: K = {k}")
    )


def sizes(frame: pl.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Segment sizes and shares. Columns: segment, label, size, share."""
    labels = _labels(frame)
    base = alt.Chart(_data(frame)).encode(
        y=alt.Y("label:N", sort=labels, title=None, axis=_LABEL_AXIS),
        x=alt.X("size:Q", title="entities"),
        tooltip=[alt.Tooltip("label:N"), alt.Tooltip("size:Q"), alt.Tooltip("share:Q", format=".1%")],
    )
    bars = base.mark_bar().encode(color=alt.Color("label:N", scale=_colour_by_number(frame), legend=None))
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text("share:Q", format=".1%"))
    return alt.layer(bars, text).properties(
        title="Segment sizes and shares", width=480, height=max(120, 32 * len(labels))
    )


def heatmap(frame: pl.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Feature × segment, coloured by the contrast in the model's space (``z_model``: after
    transform and winsorizing, what the names read), labelled with the segment's mean in
    original units; the tooltip has both contrasts and the means.

    A row per feature, a column per segment: its height grows with the features and its width
    with the segments only, so 20 features are 20 rows, every one shown, their words whole.
    Columns: segment, label, feature, position, mean, overall_mean, z, z_model.
    """
    labels, features = _labels(frame), _features(frame)
    finite = [abs(z) for z in frame["z_model"].to_list() if z is not None and math.isfinite(z)]
    top = max([1.0, *finite])
    base = alt.Chart(_data(frame)).encode(
        x=alt.X(
            "label:N",
            sort=labels,
            title=None,
            axis=alt.Axis(orient="top", labelAngle=-30, labelAlign="left", labelLimit=260),
        ),
        y=alt.Y("feature:N", sort=features, title=None, axis=alt.Axis(labelLimit=_text_width(features))),
        tooltip=[
            alt.Tooltip("label:N"),
            alt.Tooltip("feature:N"),
            alt.Tooltip("mean:Q", format=",.4~r"),
            alt.Tooltip("overall_mean:Q", format=",.4~r"),
            alt.Tooltip("z_model:Q", format=".2f", title="z (model's space)"),
            alt.Tooltip("z:Q", format=".2f", title="z (original units)"),
        ],
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "z_model:Q",
            scale=alt.Scale(scheme="redblue", reverse=True, domain=[-top, top]),
            title=["z: against the rest", "(sd, model's space)"],
            legend=alt.Legend(orient="right"),
        )
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("mean:Q", format=",.4~r"),
        color=_white_when(f"abs(datum.z_model) > {0.6 * top}"),
    )
    return alt.layer(cells, text).properties(
        # anchored at the start: a wide chart scrolls in its box, the title stays in view
        title=alt.Title(
            "Segment profiles",
            subtitle="cell: the segment's mean in original units; colour: how far it is from the rest",
            anchor="start",
            frame="bounds",
        ),
        width=max(240, 96 * len(labels)),
        height=max(120, 24 * len(features)),
    )


def _text_width(words: list[str]) -> int:
    """Pixels enough for the longest of ``words`` at Vega's default 10-11 px label font, so
    that no feature's words are cut short (Vega's default limit is 180 px)."""
    return max(180, 7 * max((len(w) for w in words), default=0) + 10)


# a transformed feature's axis: the scale that undoes what the model saw (log1p: symlog, whose
# constant 1 is log1p's; values may be 0, which a log scale cannot place)
_AXIS_SCALE: dict[str, Literal["symlog", "sqrt"]] = {"log1p": "symlog", "sqrt": "sqrt"}
_AXIS_WORDS = {"log1p": "log scale", "sqrt": "square-root scale"}


def _shown(value: float, transform: str) -> float:
    """``value`` where the axis of ``transform`` places it, to compare distances along it."""
    if transform == "log1p":
        return math.copysign(math.log1p(abs(value)), value)
    if transform == "sqrt":
        return math.sqrt(max(value, 0.0))
    return value


def _axis_range(rows: list[dict[str, Any]], transform: str) -> tuple[float, float] | None:
    """The axis of one feature: every segment's 5th-95th percentile whisker, widened to the
    minimum or maximum unless that is a tail (farther than half the whiskers' span, measured
    along the axis): a skewed feature's last few rows must not flatten everything else.
    None: no quantiles kept ([output] min_group) or a constant feature, Vega picks the axis."""

    def finite(column: str) -> list[float]:
        return [r[column] for r in rows if r.get(column) is not None and math.isfinite(r[column])]

    lows, highs, mins, maxs = finite("p05"), finite("p95"), finite("min"), finite("max")
    if not lows or not highs:
        return None
    low, high = min(lows), max(highs)
    span = _shown(high, transform) - _shown(low, transform)
    if mins and _shown(low, transform) - _shown(min(mins), transform) <= 0.5 * span:
        low = min(mins)
    if maxs and _shown(max(maxs), transform) - _shown(high, transform) <= 0.5 * span:
        high = max(maxs)
    return (low, high) if high > low else None


def _tail(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def distributions(frame: pl.DataFrame) -> alt.VConcatChart:
    """Per feature, a box per segment: whiskers p05-p95, box p25-p75, median, min and max.

    A panel per feature, each with its own axis: a log (symlog) axis for a feature the model
    saw through ``log1p`` (a square-root one for ``sqrt``), running over the segments' whiskers
    (see :func:`_axis_range`); a minimum or maximum beyond the axis is a triangle at its end
    with the value written beside it ("max 250,000"). The legend sits below, its labels whole.
    Columns: feature, position, segment, label, min, p05, p25, median, p75, p95, max, mean,
    and transform (the run's scaler table; "none" when absent).
    """
    labels, features = _labels(frame), _features(frame)
    if "transform" not in frame.columns:
        frame = frame.with_columns(transform=pl.lit("none"))
    ranges: dict[str, tuple[float, float] | None] = {}
    rows = []
    for feature in features:
        part = frame.filter(pl.col("feature") == feature).to_dicts()
        transform = part[0]["transform"] or "none"
        ranges[feature] = span = _axis_range(part, transform)
        for row in part:
            low, high = span if span is not None else (-math.inf, math.inf)
            below = row["min"] is not None and row["min"] < low
            above = row["max"] is not None and row["max"] > high
            rows.append(
                {
                    **row,
                    "axis_low": low if span else None,
                    "axis_high": high if span else None,
                    "min_inside": not below,
                    "max_inside": not above,
                    "tail": " · ".join(
                        [*([f"min {_tail(row['min'])}"] if below else []),
                         *([f"max {_tail(row['max'])}"] if above else [])]
                    ) or None,
                }
            )  # fmt: skip
    # the panels are Vega-Lite written out, not Altair objects: Altair deep-copies every layer
    # several times as it layers and concatenates them, 0.1 s a feature (2 s at 20 features)
    y = {
        "field": "segment",
        "type": "ordinal",
        "sort": sorted(frame["segment"].unique().to_list()),
        "title": "segment",
    }
    colour = alt.Color(
        "label:N", scale=_colour_by_number(frame), title="segment", legend=_legend(frame)
    ).to_dict(validate=False)
    quantiles = ("min", "p05", "p25", "median", "p75", "p95", "max")
    label = {"field": "label", "type": "nominal"}
    tooltip = [label, *({"field": c, "type": "quantitative", "format": ",.4~r"} for c in quantiles)]
    tail_tooltip = [label, {"field": "tail", "type": "nominal"}]

    def at(field: str) -> dict[str, Any]:
        return {"field": field, "type": "quantitative"}

    panels = []
    for feature in features:
        transform = frame.filter(pl.col("feature") == feature)["transform"][0] or "none"
        span = ranges[feature]
        scale: dict[str, Any] = {"type": _AXIS_SCALE.get(transform, "linear"), "zero": False, "nice": False}
        if span is not None:
            scale["domain"] = list(span)
        words = _AXIS_WORDS.get(transform)
        x = {**at("p05"), "scale": scale, "title": f"{words} ({transform})" if words else None}
        this_feature = {"filter": {"field": "feature", "equal": feature}}

        def layer(mark: dict[str, Any], encoding: dict[str, Any], *filters: str) -> dict[str, Any]:
            return {
                "mark": mark,
                "encoding": {"y": y, **encoding},
                # B023: called at once, within the loop's iteration whose feature it filters on
                "transform": [this_feature, *({"filter": f} for f in filters)],  # noqa: B023
            }

        tick = {"type": "tick", "color": "#999", "size": 8}
        layers = [
            layer({"type": "rule", "color": "#555", "clip": True}, {"x": x, "x2": {"field": "p95"}}),
            layer(
                {"type": "bar", "size": 14, "clip": True},
                {"x": at("p25"), "x2": {"field": "p75"}, "color": colour, "tooltip": tooltip},
            ),
            layer(
                {"type": "tick", "color": "black", "size": 14, "thickness": 2, "clip": True},
                {"x": at("median")},
            ),
            layer(tick, {"x": at("min")}, "datum.min_inside"),
            layer(tick, {"x": at("max")}, "datum.max_inside"),
        ]
        if span is not None:
            triangle = {"type": "point", "filled": True, "color": "#555", "size": 60}
            layers += [
                layer(
                    {**triangle, "shape": "triangle-right"},
                    {"x": at("axis_high"), "tooltip": tail_tooltip},
                    "datum.tail != null",
                    "!datum.max_inside",
                ),
                layer(
                    {**triangle, "shape": "triangle-left"},
                    {"x": at("axis_low"), "tooltip": tail_tooltip},
                    "datum.tail != null",
                    "!datum.min_inside",
                ),
                layer(
                    {"type": "text", "align": "left", "dx": 8, "fontSize": 10, "color": "#555"},
                    {"x": at("axis_high"), "text": {"field": "tail", "type": "nominal"}},
                    "datum.tail != null",
                ),
            ]
        # Altair's concatenation takes Altair objects only: the panel as Vega-Lite's LayerSpec,
        # which Altair would validate as it is made (0.1 s a panel); the whole chart is validated
        # instead, by `to_dict()` (tests/test_charts.py)
        with debug_mode(False):
            panels.append(
                alt.LayerSpec(
                    layer=layers,
                    title={"text": feature, "anchor": "start", "fontSize": 12, "limit": 0},
                    width=440,
                    height=max(48, 20 * len(labels)),
                )
            )
    return alt.vconcat(
        *panels,
        data=_data(pl.DataFrame(rows, infer_schema_length=None)),
        title=alt.Title(
            "Distributions per segment",
            subtitle=[
                "box: 25th-75th percentile, black tick: median, line: 5th-95th, grey: min and max;",
                "a triangle: the min or max lies beyond the axis, at the value written beside it",
            ],
            anchor="start",
        ),
    )


def levels(frame: pl.DataFrame) -> alt.VConcatChart:
    """Per categorical column, a bar per segment split into the column's levels, by share.

    A panel per column, in config order, each with a legend of its own levels (in the
    scaler's order: the most common first, "(other)" last); a bar stops short of 100% by
    the share of the segment that has none of the levels (a run with no "(other)" group
    counts an unseen level and NULL as no level). The tooltip has the share and the lift.
    Columns: segment, label, source_column, level, position, share, lift.
    """
    labels = _labels(frame)
    columns = frame.sort("position")["source_column"].unique(maintain_order=True).to_list()
    panels = []
    for column in columns:
        part = frame.filter(pl.col("source_column") == column)
        order = part.sort("position")["level"].unique(maintain_order=True).to_list()
        panels.append(
            alt.Chart(_data(part))
            .mark_bar()
            .encode(
                y=alt.Y("label:N", sort=labels, title=None, axis=_LABEL_AXIS),
                x=alt.X(
                    "share:Q",
                    stack="zero",
                    scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%"),
                    title="share of the segment",
                ),
                color=alt.Color(
                    "level:N",
                    sort=order,
                    scale=alt.Scale(scheme="set2"),
                    title=column,
                    legend=alt.Legend(labelLimit=360),
                ),
                order=alt.Order("position:Q"),
                tooltip=[
                    alt.Tooltip("label:N"),
                    alt.Tooltip("level:N", title=column),
                    alt.Tooltip("share:Q", format=".1%"),
                    alt.Tooltip("lift:Q", format=".2f", title="lift (against the other segments)"),
                ],
            )
            .properties(title=column, width=480, height=max(60, 28 * len(labels)))
        )
    return alt.vconcat(*panels).resolve_scale(color="independent")


def projection(frame: pl.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """The 2-D PCA map: sample rows as dots, centroids as large diamonds.

    Columns: kind, entity, segment, label, pc1, pc2, variance_pc1, variance_pc2.
    """
    colour = alt.Color("label:N", scale=_colour_by_number(frame), title="segment", legend=_legend(frame))
    v1 = frame["variance_pc1"][0] if frame.height else 0.0
    v2 = frame["variance_pc2"][0] if frame.height else 0.0
    # the data goes on the layer chart, given once: on each layer, or through .properties(),
    # Altair would deep-copy its 5,000 rows at every step (0.15-0.4 s at 5,000 points)
    base = alt.Chart().encode(
        x=alt.X("pc1:Q", title=f"PC1 ({v1:.0%} of the variance)"),
        y=alt.Y("pc2:Q", title=f"PC2 ({v2:.0%} of the variance)"),
    )
    points = (
        base.transform_filter("datum.kind == 'point'")
        .mark_circle(size=14, opacity=0.45)
        .encode(color=colour, tooltip=[alt.Tooltip("entity:N"), alt.Tooltip("label:N")])
    )
    centres = (
        base.transform_filter("datum.kind == 'centroid'")
        .mark_point(shape="diamond", size=320, filled=True, stroke="black", strokeWidth=2.5, opacity=1)
        .encode(color=colour, tooltip=[alt.Tooltip("label:N")])
    )
    numbers = (
        base.transform_filter("datum.kind == 'centroid'")
        .mark_text(dx=12, dy=-12, fontWeight="bold")
        .encode(text=alt.Text("segment:N"))
    )
    n = frame.filter(pl.col("kind") == "point").height
    return alt.layer(
        points,
        centres,
        numbers,
        data=_data(frame),
        title=alt.Title(
            "Map of the segments (PCA of the scaled features)",
            subtitle=f"{n:,} entities (a seeded sample of at most 5,000) and the segment centres",
        ),
        width=520,
        height=420,
    )


def transitions(frame: pl.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """From × to: the entities that went from each previous segment to each segment of the run.

    Rows are the previous run's segments and "new" (entities only in this run), columns this
    run's segments and "gone" (entities only in the previous one); a cell's colour and text
    are its entities, its tooltip adds the share of the from segment.
    Columns: from_segment, to_segment, from_label, to_label, entities, share.
    """
    rows = _ordered(frame, "from_segment", "from_label", last="new")
    columns = _ordered(frame, "to_segment", "to_label", last="gone")
    top = max([1, *frame["entities"].to_list()])
    base = alt.Chart(_data(frame)).encode(
        x=alt.X(
            "to_label:N",
            sort=columns,
            title="this run",
            axis=alt.Axis(labelAngle=0, orient="top", labelLimit=200),
        ),
        y=alt.Y("from_label:N", sort=rows, title="previous run", axis=_LABEL_AXIS),
        tooltip=[
            alt.Tooltip("from_label:N", title="from"),
            alt.Tooltip("to_label:N", title="to"),
            alt.Tooltip("entities:Q", format=","),
            alt.Tooltip("share:Q", format=".1%", title="share of the from segment"),
        ],
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("entities:Q", scale=alt.Scale(scheme="blues", domain=[0, top]), title="entities")
    )
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text("entities:Q", format=","),
        color=_white_when(f"datum.entities > {0.55 * top}"),
    )
    return alt.layer(cells, text).properties(
        title=alt.Title(
            "Who moved where",
            subtitle="entities from each segment of the previous run (rows) to each segment of this run",
        ),
        width=max(200, 110 * len(columns)),
        height=max(100, 36 * len(rows)),
    )


def _ordered(frame: pl.DataFrame, number: str, label: str, *, last: str) -> list[str]:
    """Labels by segment number, the label of the NULL segment ("new", "gone") last."""
    pairs = frame.select(number, label).unique().sort(number, nulls_last=True).rows()
    return [text for _, text in pairs] or [last]


def size_history(frame: pl.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Each segment's size in every run of the same entity and features, a line per segment number.

    Columns: run_id, run_label, segment, label, name, size, share.
    """
    runs = frame.select("run_id", "run_label").unique().sort("run_id")["run_label"].to_list()
    colour = alt.Color("label:N", scale=_colour_by_number(frame), title="segment", legend=_legend(frame))
    base = alt.Chart(_data(frame)).encode(
        x=alt.X("run_label:N", sort=runs, title="run", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("size:Q", title="entities"),
        color=colour,
        tooltip=[
            alt.Tooltip("run_label:N"),
            alt.Tooltip("segment:O"),
            alt.Tooltip("name:N", title="name in that run"),
            alt.Tooltip("size:Q", format=","),
            alt.Tooltip("share:Q", format=".1%"),
        ],
    )
    return alt.layer(
        base.mark_line(),
        base.mark_point(filled=True, size=60),
    ).properties(
        title=alt.Title(
            "Segment sizes across runs",
            subtitle="every successful run of the same entity and features, up to this one",
        ),
        width=max(360, 90 * len(runs)),
        height=300,
    )


@dataclass(frozen=True)
class ChartSpec:
    """A chart of the report: its query (``queries/report/charts/<name>.sql``) and its function."""

    name: str
    title: str
    caption: str
    draw: Callable[[pl.DataFrame], Any]
    # drawn only when its query returns rows (the categories of a run that has categorical features)
    needs_rows: bool = False


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("sizes", "Segment sizes", "How many entities each segment holds.", sizes),
    ChartSpec(
        "heatmap",
        "Profiles",
        "Each segment's mean per feature; red is above the rest, blue below (z, in standard deviations"
        " in the space the model clustered).",
        heatmap,
    ),
    ChartSpec(
        "distributions",
        "Distributions",
        "Per feature, the spread of each segment, from quantiles computed in SQL over every row; a"
        " log1p feature on a log axis; the axis spans the whiskers, a longer tail is marked at its end.",
        distributions,
    ),
    ChartSpec(
        "levels",
        "Categories",
        "Per categorical feature, how each segment's rows divide among its levels; the tooltip has"
        " each level's lift against the other segments.",
        levels,
        needs_rows=True,
    ),
    ChartSpec(
        "projection",
        "Map",
        "PCA of the scaled features: at most 5,000 sampled entities and the segment centres.",
        projection,
    ),
    ChartSpec("elbow", "Elbow", "Inertia for each K of the sweep; the chosen K in red.", elbow),
    ChartSpec(
        "k_metrics",
        "K metrics",
        "Silhouette, Calinski-Harabasz and Davies-Bouldin for each K of the sweep; the chosen K in red.",
        k_metrics,
    ),
)

# the charts of the "Since the previous run" section, drawn only for a run that has a previous run
RERUN_CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        "transitions",
        "Transitions",
        "Entities from each segment of the previous run to each of this run; "
        "“new”: only in this run, “gone”: only in the previous one. Hover a cell for the share of its row.",
        transitions,
    ),
    ChartSpec(
        "size_history",
        "Segment sizes across runs",
        "Each segment's size in every successful run of the same entity and features up to this one; "
        "a segment keeps its number, and its colour, while it continues.",
        size_history,
    ),
)
