"""The drift step: how far this run's data moved from the previous run's, measured in SQL.

Every run leaves ``feature_bins``: each feature's deciles in original units
(after imputing, before transform, clipping and scaling), each bin's share of
the run's rows, and the feature's mean and standard deviation. That is the
reference the next run is measured against. When the project has a previous
run (:func:`segsql.steps.lifecycle.previous_run`: same schema, entity and
features), the step also leaves ``drift`` rows against it:

``psi`` (per feature)
    the population stability index of this run's values over the previous
    run's bins: ``sum((a - e) * ln(a / e))``, with every share floored at
    :data:`SHARE_FLOOR` first, so that a bin empty on one side counts as a
    large, finite term (a share of 0 would make it infinite);
``mean_shift`` (per feature)
    ``(mean now - mean before) / std before``, NULL when the previous standard
    deviation is 0 (a constant feature);
``segment_share_psi``
    the same index over the segments' shares, by segment number (the numbers
    the lifecycle step kept), a segment on one side only counting with the floor;
``outlier_share``
    the share of this run's rows that the previous run's model flags as
    outliers: farther from its nearest previous centroid than that segment's
    ``p99_distance``. It is the one scoring query
    (:func:`segsql.scoring.replay.replay_query`, the previous run's saved
    model) run over this run's feature rows, so it flags exactly what
    ``segsql score`` with that run would.

A PSI at or above ``[lifecycle] drift_warn`` sets ``warn`` and becomes a
warning of the run, printed and stored in ``runs.warnings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from segsql import sql
from segsql.errors import DatabaseError, QueryError
from segsql.scoring.replay import named_table, raised, replay_query
from segsql.scoring.saved import saved_model
from segsql.session import Session
from segsql.steps.lifecycle import previous_run
from segsql.steps.preprocess import Preprocessed

__all__ = ["SHARE_FLOOR", "Drift", "measure"]

# a bin's share below this counts as this in a PSI: an empty bin on one side adds
# (e - 1e-4) * ln(e / 1e-4), about 0.7 for a decile (e = 0.1), instead of infinity
SHARE_FLOOR = 1e-4


@dataclass(frozen=True)
class Drift:
    """What the drift step measured: the run compared with (None: the first run) and its warnings."""

    previous_run_id: int | None
    warnings: tuple[str, ...] = ()


def measure(session: Session, results: Mapping[str, Any]) -> Drift:
    """The drift step: leave ``segsql_feature_bins``, and ``segsql_drift`` when there is a previous run."""
    con, schema, config = session.con, session.schema, session.config
    pre: Preprocessed = results["preprocess"]
    columns = pre.columns
    features = session.relation("features")
    values = {
        "drop": config.preprocess.impute == "drop",
        "features": list(columns),
        **{f"impute_{i}": s.impute_value for i, s in enumerate(pre.scalers)},
    }
    sql.execute(con, "drift/feature_bins", values, columns=columns, features=features)
    session.leave("feature_bins", "segsql_feature_bins")

    previous = previous_run(con, schema=schema, entity=results["features"].entity, features=columns)
    if previous is None:
        return Drift(previous_run_id=None)
    warn = config.lifecycle.drift_warn
    params = values | {"previous_run_id": previous, "floor": SHARE_FLOOR, "drift_warn": warn}
    sql.execute(con, "drift/drift_table")
    # a previous run made before feature_bins existed has no bins to compare with
    bins = (schema, "feature_bins")
    if _has_table(con, schema, "feature_bins") and sql.execute(
        con, "drift/has_bins", params, bins=bins
    ).fetchall()[0][0] == len(columns):
        sql.execute(con, "drift/features", params, columns=columns, features=features, bins=bins)
    # this run's shares as segment_summary.share holds them: of the weight when there is one
    from sqlglot import exp

    weighted = results["features"].weight is not None
    sql.execute(
        con,
        "drift/segments",
        params,
        labels=session.relation("labels"),
        summary=(schema, "segment_summary"),
        weight=exp.column("segsql_weight", table="s") if weighted else exp.Literal.number(1),
    )
    share, why_not = _outlier_share(session, previous, pre)
    if share is not None or why_not is not None:
        sql.execute(
            con, "drift/measure", {"previous_run_id": previous, "measure": "outlier_share", "value": share}
        )
    session.leave("drift", "segsql_drift")
    warned = sql.execute(con, "drift/warnings").fetchall()
    warnings = [
        f"drift: {f'feature {feature!r}' if feature is not None else 'segment shares'} PSI {value:.2f} "
        f"against run {previous} ([lifecycle] drift_warn = {warn:g})"
        for feature, value in warned
    ]
    if why_not is not None:
        warnings.append(why_not)
    return Drift(previous_run_id=previous, warnings=tuple(warnings))


def _outlier_share(session: Session, previous: int, pre: Preprocessed) -> tuple[float | None, str | None]:
    """The share of this run's rows the previous model flags, or None and why (None: nothing to say).

    A database whose previous run has no ``p99_distance`` (made by an older
    segsql) has nothing to flag with: no row. Rows the previous model cannot
    score (a NULL its impute rule refuses, a value its transform cannot take:
    the config changed between the runs) leave the share NULL, with a warning.
    """
    con, schema = session.con, session.schema
    try:
        model = saved_model(con, schema=schema, run_id=previous)
    except DatabaseError:
        return None, None
    if all(p is None for p in model.p99):
        return None, None
    # scored under segsql's own name for the entity, which no output column of the query
    # can clash with (the scoring query refuses an entity named "segment" and the like)
    model = replace(model, entity="segsql_entity")
    source = session.relation("features")
    if session.config.preprocess.impute == "drop":
        # the rows this run kept, whatever rule the previous run had
        sql.execute(con, "drift/rows", columns=pre.columns, features=source)
        source = "segsql_drift_rows"
    try:
        outliers, _ = sql.execute(
            con, "drift/outliers", replay=replay_query(model, named_table((source,)))
        ).fetchall()[0]
    except QueryError as exc:
        reason = raised(exc.reason) or exc.reason
        return (
            None,
            f"drift: run {previous}'s model cannot score this run's rows ({reason}): no outlier share",
        )
    return outliers / pre.n_rows, None


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(sql.execute(con, "writeback/table_columns", {"schema": schema, "table": table}).fetchall())
