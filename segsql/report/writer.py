"""Write one self-contained HTML report of a run, its charts' Vega-Lite JSON and, on request,
their PNG and SVG images.

Reads the run's output tables through ``queries/report/charts/*.sql`` and
``queries/report/*.sql`` only, so a report can be rewritten at any time from
the database (opened read-only). The HTML inlines the Vega, Vega-Lite and
Vega-Embed libraries (the bundle vl-convert-python makes, as Altair's
``inline=True`` does): it opens with no network at all, and the browser draws
the charts from the specs embedded in it.

Where the time goes (bench/README.md, "Report and start-up"): vl-convert takes
about a second to build the JavaScript bundle, kept on disk (:func:`_javascript`)
and built, when it is not, on a thread while the queries run; drawing each chart
as SVG and PNG takes vl-convert's JavaScript engine another 1-3 s (holding the
GIL), which is why images are made only when asked for (``images=True``,
``segsql report --images``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import jinja2
import polars as pl
import vl_convert
from markupsafe import Markup

from segsql import sql
from segsql.config import Config, as_config, config_from_text
from segsql.connection import connect
from segsql.errors import ConfigError, DatabaseError, QueryError, SegsqlError
from segsql.report.charts import CHARTS, RERUN_CHARTS, ChartSpec, segment_colour
from segsql.scoring.rules import rule_words
from segsql.steps.naming import feature_noun
from segsql.version import __version__

__all__ = ["Report", "write_report"]


@dataclass(frozen=True)
class Reruns:
    """The "Since the previous run" section: the run's previous run, the frames of its charts,
    its drift and its lineage (empty frames when the run stored none: a previous run from
    before drift, or ``[lifecycle] match = false``, which writes no lineage)."""

    previous_run_id: int
    frames: dict[str, pl.DataFrame]
    drift: pl.DataFrame
    lineage: pl.DataFrame


@dataclass(frozen=True)
class Report:
    """What :func:`write_report` wrote: the HTML file and, per chart, its files: ``json`` always,
    ``svg`` and ``png`` when images were asked for."""

    run_id: int
    html: Path
    charts: dict[str, dict[str, Path]]


def write_report(
    config: Config | str | Path,
    *,
    run_id: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    images: bool = False,
) -> Report:
    """Write the report of run ``run_id`` (default: the latest successful run).

    Files go to ``[output] dir`` of ``config``, in a folder of the run's own,
    ``run-<run_id>/``: ``report.html`` and ``charts/<name>.vl.json``, and with
    ``images`` also ``charts/<name>.svg`` and ``.png`` (a few seconds more:
    vl-convert draws them); without, any images an earlier report left there
    are removed, so that the folder never holds images of another report.
    Reporting on one run never overwrites another run's
    report. The report of the database's latest successful run is also copied
    to ``report.html`` and ``charts/`` in ``[output] dir`` itself, a stable
    address for the latest; ``html`` is that copy then, else the run's own.
    The words (``[features.labels]``) are those of the config stored with the
    run, so a report of an old run reads as that run did; a stored config this
    version cannot read falls back to ``config``.
    """
    config = as_config(config)
    if con is None and config.database == ":memory:":
        raise DatabaseError(
            '[project] database is ":memory:", which keeps no runs to report on: use a database file'
        )
    with ThreadPoolExecutor(max_workers=1) as pool:
        with connect(config, con, read_only=True) as db:
            run = _run_row(db, config, run_id)
            # the JavaScript bundle is read from its cache or built by vl-convert in Rust, without
            # the GIL: on a thread it is ready by the time the queries and the charts' specs are
            javascript = pool.submit(_javascript)
            rid = run["run_id"]
            latest = sql.execute(db, "report/latest_run", schema=config.schema).fetchall()[0][0]
            frames = {
                chart.name: _frame(db, f"report/charts/{chart.name}", rid, config.schema) for chart in CHARTS
            }
            scaler = _with_diagnostics(
                db, _frame(db, "report/scaler", rid, config.schema), rid, config.schema
            )
            segments = _frame(db, "report/segments", rid, config.schema)
            segments = _with_rules(db, segments, rid, config.schema)
            reruns = _reruns(db, run, config.schema)
        words_from = _stored_config(config, run["config"])
        try:
            return _write_files(
                config,
                words_from,
                run,
                frames,
                scaler,
                segments,
                reruns,
                latest=rid == latest,
                images=images,
                javascript=javascript.result,
            )
        except OSError as exc:  # a read-only or full folder, a file where a folder is meant
            where = " → ".join(str(n) for n in (exc.filename, exc.filename2) if n is not None)
            raise SegsqlError(
                f"[output] dir {config.output_dir}: cannot write the report of run {rid}"
                f" ({where + ': ' if where else ''}{exc.strerror or exc})"
            ) from None


def _reruns(db: duckdb.DuckDBPyConnection, run: dict[str, Any], schema: str) -> Reruns | None:
    """What the section needs, or None for a run with no previous run (a first run, a run of
    other features, or a database from before reruns, whose runs table has no such column)."""
    previous = run.get("previous_run_id")
    if previous is None:
        return None
    rid = run["run_id"]
    return Reruns(
        previous_run_id=int(previous),
        frames={chart.name: _frame(db, f"report/charts/{chart.name}", rid, schema) for chart in RERUN_CHARTS},
        drift=_frame(db, "report/drift", rid, schema),
        lineage=_frame(db, "report/lineage", rid, schema),
    )


def _write_files(
    config: Config,
    words_from: Config,
    run: dict[str, Any],
    frames: dict[str, pl.DataFrame],
    scaler: pl.DataFrame,
    segments: pl.DataFrame,
    reruns: Reruns | None,
    *,
    latest: bool,
    images: bool,
    javascript: Callable[[], str],
) -> Report:
    rid = run["run_id"]
    out = config.output_dir / f"run-{rid}"
    chart_dir = out / "charts"
    chart_dir.mkdir(parents=True, exist_ok=True)
    specs: dict[str, dict[str, Any]] = {}
    written: dict[str, dict[str, Path]] = {}
    words = _feature_words(words_from, scaler["feature"].to_list())
    # a chart that needs rows and has none (the categories of a run without categorical features)
    # is left out, and so are its files from an earlier report
    left_out = tuple(chart for chart in CHARTS if chart.needs_rows and frames[chart.name].is_empty())
    drawn: list[tuple[ChartSpec, pl.DataFrame]] = [
        (chart, frames[chart.name]) for chart in CHARTS if chart not in left_out
    ]
    if reruns is not None:
        drawn += [(chart, reruns.frames[chart.name]) for chart in RERUN_CHARTS]
    for chart, frame in drawn:
        if "feature" in frame.columns:
            frame = frame.with_columns(pl.col("feature").replace(words))
        # validating against the Vega-Lite schema takes longer than drawing: tests/test_charts.py
        # validates every chart function's output instead
        spec = chart.draw(frame).to_dict(validate=False)
        specs[chart.name] = spec
        written[chart.name] = _write_chart(chart_dir, chart.name, spec, images=images)
    if reruns is None:  # a rewritten report of a first run: no stale section charts beside it
        _remove_charts(chart_dir, RERUN_CHARTS)
    _remove_charts(chart_dir, left_out)

    html = out / "report.html"
    html.write_text(
        _render(
            words_from,
            run,
            scaler=scaler,
            segments=segments,
            profile=frames["heatmap"],
            specs=specs,
            reruns=reruns,
            words=words,
            javascript=javascript(),
        ),
        encoding="utf-8",
    )
    if not latest:
        return Report(run_id=rid, html=html, charts=written)
    stable = config.output_dir
    if reruns is None:  # the latest run has no section: the previous latest's charts go
        _remove_charts(stable / "charts", RERUN_CHARTS)
    _remove_charts(stable / "charts", left_out)
    copies = {
        name: {kind: _copy(path, stable / "charts" / path.name) for kind, path in files.items()}
        for name, files in written.items()
    }
    if not images:  # the previous latest's images must not pass for this run's
        _remove_charts(stable / "charts", tuple(chart for chart, _ in drawn), suffixes=_IMAGES)
    return Report(run_id=rid, html=_copy(html, stable / "report.html"), charts=copies)


_IMAGES = (".svg", ".png")


def _remove_charts(
    folder: Path, charts: tuple[ChartSpec, ...], *, suffixes: tuple[str, ...] = (".vl.json", *_IMAGES)
) -> None:
    for chart in charts:
        for suffix in suffixes:
            (folder / f"{chart.name}{suffix}").unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> Path:
    """Copy a file whole: a reader of ``target`` sees the old file or the new one, never a part."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, partial)
    os.replace(partial, target)
    return target


def _stored_config(config: Config, text: str | None) -> Config:
    """The config a run was made with, read from ``runs.config``; ``config`` when it cannot be read."""
    if not text:
        return config
    try:
        return config_from_text(text, base_dir=config.base_dir, path=config.path)
    except ConfigError:
        return config


def _feature_words(config: Config, features: list[str]) -> dict[str, str]:
    """Features → their ``[features.labels]`` words for the charts, when those tell every feature apart."""
    words = {f: feature_noun(f, config.features.labels) for f in features}
    return words if len(set(words.values())) == len(words) else {}


def _with_rules(
    db: duckdb.DuckDBPyConnection, segments: pl.DataFrame, run_id: int, schema: str
) -> pl.DataFrame:
    """The segments with their SQL rules (README, "Segment rules"); a run made before segsql wrote
    rules, or a database without the table, has none, and its cards say nothing of rules."""
    has_table = sql.execute(db, "writeback/table_columns", {"schema": schema, "table": "segment_rules"})
    rules = _frame(db, "rules/report", run_id, schema) if has_table.fetchall() else pl.DataFrame()
    if rules.is_empty():
        return segments.with_columns(
            rule_sql=pl.lit(None, pl.String),
            fidelity=pl.lit(None, pl.Float64),
            precision=pl.lit(None, pl.Float64),
        )
    return segments.join(rules, on="segment", how="left")


def _with_diagnostics(
    db: duckdb.DuckDBPyConnection, scaler: pl.DataFrame, run_id: int, schema: str
) -> pl.DataFrame:
    """The scaler rows with each feature's diagnostics beside them (none for a database from
    before diagnostics), and a ``correlated`` column: the features it correlates with."""
    try:
        found = _frame(db, "report/diagnostics", run_id, schema)
    except QueryError:  # no diagnostics table yet
        return scaler
    own = found.filter(pl.col("other_feature").is_null()).drop("other_feature", "correlation")
    pairs = found.filter(pl.col("other_feature").is_not_null())
    correlated: dict[str, list[str]] = {}
    for row in pairs.iter_rows(named=True):
        said = f"{row['correlation']:.2f}"
        correlated.setdefault(row["feature"], []).append(f"{row['other_feature']} ({said})")
        correlated.setdefault(row["other_feature"], []).append(f"{row['feature']} ({said})")
    joined = scaler.join(own, on="feature", how="left")
    return joined.with_columns(
        pl.col("feature")
        .map_elements(lambda f: ", ".join(correlated.get(f, [])), return_dtype=pl.String)
        .alias("correlated")
    )


def _frame(db: duckdb.DuckDBPyConnection, query: str, run_id: int, schema: str) -> pl.DataFrame:
    return sql.relation(db, query, {"run_id": run_id}, schema=schema).pl()


def _run_row(db: duckdb.DuckDBPyConnection, config: Config, run_id: int | None) -> dict[str, Any]:
    try:
        rows = sql.relation(db, "report/run", {"run_id": run_id}, schema=config.schema).pl()
    except QueryError:  # no runs table: nothing was ever written to this schema
        rows = pl.DataFrame()
    if rows.is_empty():
        which = f"no successful run {run_id}" if run_id is not None else "no successful run yet"
        raise DatabaseError(f"{config.database} (schema {config.schema}): {which}")
    return rows.row(0, named=True)


def _vl_version() -> str:
    # "v6.4.1" → "6.4": the Vega-Lite version Altair writes specs for
    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def _write_chart(folder: Path, name: str, spec: dict[str, Any], *, images: bool) -> dict[str, Path]:
    paths = {"json": folder / f"{name}.vl.json"}
    paths["json"].write_text(json.dumps(spec, indent=2), encoding="utf-8")
    if not images:
        for suffix in _IMAGES:  # an earlier report's images of this run
            (folder / f"{name}{suffix}").unlink(missing_ok=True)
        return paths
    paths["svg"], paths["png"] = folder / f"{name}.svg", folder / f"{name}.png"
    svg = vl_convert.vegalite_to_svg(spec, vl_version=_vl_version())
    paths["svg"].write_text(svg, encoding="utf-8")
    # rasterising the SVG already made saves laying the chart out a second time
    paths["png"].write_bytes(vl_convert.svg_to_png(svg, scale=2))
    return paths


def _cache_dir() -> Path | None:
    """Where segsql keeps what it can build again: ``$XDG_CACHE_HOME/segsql``, else
    ``~/.cache/segsql``; None when there is no home to put it in."""
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return (Path(base) if base else Path.home() / ".cache") / "segsql"
    except RuntimeError:  # no home directory known
        return None


@cache
def _javascript() -> str:
    """Vega, Vega-Lite and Vega-Embed in one script.

    vl-convert takes about a second to bundle it, and the bundle depends only on the
    vl-convert and Vega-Lite versions: it is kept in the cache folder (:func:`_cache_dir`)
    under a name with both, after a line with its SHA-256, written whole or not at all. A
    folder that cannot be written, or a file whose digest does not match, only costs the
    second again.
    """
    vl = _vl_version()
    folder = _cache_dir()
    version = vl_convert.__version__  # type: ignore[attr-defined]  # (not in its stub)
    cached = None if folder is None else folder / f"vega-bundle-{version}-vl{vl}.js"
    if cached is not None:
        try:
            header, _, code = cached.read_text(encoding="utf-8").partition("\n")
        except (OSError, UnicodeDecodeError):
            header, code = "", ""
        if code and header == _digest_line(code):
            return code
    # the stub wants a snippet, the function does not: the default one defines vegaEmbed globally
    code = vl_convert.javascript_bundle(vl_version=vl)  # type: ignore[call-arg]
    if cached is not None:
        _keep(cached, f"{_digest_line(code)}\n{code}")
    return code


def _keep(path: Path, text: str) -> None:
    """Write ``path`` whole (a file aside, then renamed), or leave it as it was."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, aside = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as part:
            part.write(text)
        os.replace(aside, path)
    except OSError:
        Path(aside).unlink(missing_ok=True)


def _digest_line(code: str) -> str:
    return f"// sha256 {hashlib.sha256(code.encode('utf-8')).hexdigest()}"


def _json_in_script(value: Any) -> str:
    # JSON inside <script> must not close the element or open an HTML comment: "<\/" is "</"
    return json.dumps(value).replace("</", "<\\/").replace("<!--", "<\\u0021--")


def _javascript_in_script(code: str) -> str:
    # only "</script" ends the element; "<\/script" means the same in a JS string or regex
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:,.4g}" if abs(value) >= 1 else f"{value:.4g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _section(reruns: Reruns, words: dict[str, str]) -> dict[str, Any]:
    """The template's view of the section: its charts, drift rows (features in their words) and
    lineage rows."""
    drift = [
        {**row, "feature": words.get(row["feature"], row["feature"])}
        for row in reruns.drift.iter_rows(named=True)
    ]
    return {
        "previous_run_id": reruns.previous_run_id,
        "charts": RERUN_CHARTS,
        "drift": drift,
        "warned": sum(1 for row in drift if row["warn"]),
        "lineage": list(reruns.lineage.iter_rows(named=True)),
    }


def _render(
    config: Config,
    run: dict[str, Any],
    *,
    scaler: pl.DataFrame,
    segments: pl.DataFrame,
    profile: pl.DataFrame,
    specs: dict[str, dict[str, Any]],
    reruns: Reruns | None,
    words: dict[str, str],
    javascript: str,
) -> str:
    labels = config.features.labels
    profiles: dict[int, list[dict[str, Any]]] = {}
    for row in profile.iter_rows(named=True):
        profiles.setdefault(row["segment"], []).append(row)
    words_for = {row["feature"]: feature_noun(row["feature"], labels) for row in scaler.iter_rows(named=True)}
    cards = [
        {
            **s,
            "colour": segment_colour(s["segment"]),
            "stability": s.get("stability"),
            "profile": profiles.get(s["segment"], []),
            # a rule's advice, or nothing; a run stored before NULL meant "no rule matched"
            # repeated the description instead
            "matched": s["recommendation"] is not None and s["recommendation"] != s["description"],
            "rule": rule_words(s["rule_sql"], words_for) if s["rule_sql"] else None,
        }
        for s in segments.iter_rows(named=True)
    ]
    # the $schema URL is for editors; nothing in the page should even name a remote address
    embedded = {name: {k: v for k, v in spec.items() if k != "$schema"} for name, spec in specs.items()}
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["number"] = _number
    env.filters["label"] = lambda feature: feature_noun(feature, labels)
    template = env.from_string(
        resources.files("segsql.report").joinpath("template.html.j2").read_text(encoding="utf-8")
    )
    return template.render(
        run=run,
        sources=json.loads(run["sources"] or "{}"),
        features=json.loads(run["features"] or "[]"),
        warnings=json.loads(run["warnings"] or "[]"),
        scaler=list(scaler.iter_rows(named=True)),
        cards=cards,
        has_rules=bool(config.recommendations),
        charts=[chart for chart in CHARTS if chart.name in specs],
        reruns=None if reruns is None else _section(reruns, words),
        generated=datetime.now().replace(microsecond=0),
        version=__version__,
        javascript=Markup(_javascript_in_script(javascript)),
        specs=Markup(_json_in_script(embedded)),
    )
