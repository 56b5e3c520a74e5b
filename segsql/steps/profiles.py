"""The profiles step: each feature's distribution per segment, in SQL, in original units.

Beside the raw-unit ``z``, each segment × feature has ``z_model``, its contrast
with the rest in the space the model clustered (after transform, winsorizing
and scaling): what the names, the recommendations and the heatmap's colour
read, since a log-transformed spend that sets a segment apart can look slight
in raw units. ``[output] min_group`` withholds the quantiles of small segments.
With ``[features] weight`` the means, standard deviations, quantiles and
contrasts are weighted (``queries/profiles/profiles_weighted.sql``).
Each indicator column of a categorical feature also gets its categorical
column, level, share (the indicator's mean) and lift over the rest.
Names and recommendations are the next step (:mod:`segsql.steps.naming`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from segsql import sql
from segsql.errors import DataError
from segsql.session import Session
from segsql.steps.features import Features

__all__ = ["ONE_PASS_VALUES", "Profiles", "build", "finish", "levels_frame"]


@dataclass(frozen=True)
class Profiles:
    """The temp table ``segsql_profiles`` (segment × feature), for the names and the write-back."""

    relation: str


# the most feature values whose exact quantiles are taken in one pass over the rows (400 MB of
# float64s, which DuckDB cannot spill); beyond, the features are profiled one at a time (at
# 100,000,000 customers five in one pass did not fit in 8 GB: bench/README.md, "Issue 16")
ONE_PASS_VALUES = 50_000_000


def build(session: Session, results: Mapping[str, Any]) -> Profiles:
    """Profile every segment from ``segsql_features``, ``segsql_scaled`` and ``segsql_labels``."""
    columns = results["preprocess"].columns
    features: Features = results["features"]
    params: dict[str, Any] = {f"feature_{i}": c for i, c in enumerate(columns)}
    params["min_group"] = session.config.output.min_group
    if features.weight is None:
        sql.execute(session.con, "profiles/model_space", columns=columns)
        sql.execute(session.con, "profiles/original_table")
        batch = len(columns) if results["preprocess"].n_rows * len(columns) <= ONE_PASS_VALUES else 1
        for first in range(0, len(columns), batch):
            part = columns[first : first + batch]
            sql.execute(session.con, "profiles/original", {"first": first}, columns=part)
        sql.execute(session.con, "profiles/profiles", params, columns=columns)
    else:
        sql.execute(session.con, "profiles/weighted_quantiles", columns=columns)
        sql.execute(session.con, "profiles/profiles_weighted", params, columns=columns)
    return finish(session, features)


def finish(session: Session, features: Features) -> Profiles:
    """The step once ``segsql_profile_stats`` exists: the overflow check and the published rows.

    The Spark engine's form of the step computes the statistics in Spark and
    then calls this (:mod:`segsql.spark.profiles`).
    """
    # the features step refuses values whose sums can overflow; this is the last line, so that
    # no inf or NaN is ever written as a profile (nor read as a z-score by the names)
    bad = sql.execute(session.con, "profiles/nonfinite").fetchall()
    if bad:
        segment, feature = bad[0]
        raise DataError(
            f"feature {feature!r}: the statistics of segment {segment} overflow double precision "
            "(values too large to profile; rescale the feature)"
        )
    with sql.registered(session.con, "segsql_levels_in", levels_frame(features)):
        sql.execute(session.con, "profiles/published")
    session.leave("profiles", "segsql_profiles")
    return Profiles(relation="segsql_profiles")


def levels_frame(features: Features) -> pa.Table:
    """One row per indicator column: (feature, source_column, level); level None for the "(other)"
    group of the rarer levels (and NULL), as in the ``scaler`` table."""
    rows = [
        (name, c.column, level)
        for c in features.categorical
        for level, name in zip(c.levels, c.indicators, strict=True)
    ]
    return pa.table(
        {
            "feature": pa.array([r[0] for r in rows], pa.string()),
            "source_column": pa.array([r[1] for r in rows], pa.string()),
            "level": pa.array([r[2] for r in rows], pa.string()),
        }
    )
